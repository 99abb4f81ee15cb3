// SPDX-License-Identifier: GPL-2.0
/*
 * iox AMD-Vi backend: the device table (AMD IOMMU specification, 2.2.2).
 *
 * One 32-byte entry per device id, up to the highest id the unit's IVHD
 * names.  Every id the unit serves starts in pass-through: V and TV set,
 * paging mode 0 (no translation) with IR and IW (access allowed), domain
 * id AMDVI_PT_DOMID.  Ids the IVHD does not name stay all zero (V clear:
 * the unit does not translate them either).  Interrupt remapping fields
 * stay zero: interrupts pass unremapped.  A device the core blocks
 * (iox_device_blocked(): one without a driver, for instance) gets V and TV
 * with mode 0 and neither IR nor IW instead: its DMA is refused (target
 * abort), at bring-up, when it is added, and whenever it is in no domain.
 *
 * An entry changes in a fixed order: quadword 0 (mode, root pointer,
 * permissions) first, then quadword 1 (the domain id), then
 * INVALIDATE_DEVTAB_ENTRY and an invalidation of every page of the OLD
 * domain id.  Hardware that reads the entry between the two writes tags
 * what it caches with the old domain id, so the final invalidation drops
 * it; nothing is ever cached under the new domain id from the old tables.
 */
#define pr_fmt(fmt) "iox-amd: " fmt

#include <linux/io.h>
#include <linux/iox.h>
#include <linux/mm.h>
#include <linux/pci.h>
#include <linux/seq_file.h>
#include <linux/sizes.h>

#include "amdvi.h"

#define AMDVI_DTE_PT		(AMDVI_DTE_V | AMDVI_DTE_TV | AMDVI_DTE_IR | AMDVI_DTE_IW)
#define AMDVI_DTE_BLOCKED	(AMDVI_DTE_V | AMDVI_DTE_TV)

static u64 *iox_amdvi_dte(struct iox_amdvi_unit *amdvi, u16 devid)
{
	return amdvi->devtab + devid * (AMDVI_DTE_SIZE / sizeof(u64));
}

/**
 * iox_amdvi_devtab_alloc() - allocate the device table and program it
 * @amdvi: the unit, disabled, with its IVHD device ranges
 *
 * Every device id the ranges name gets a pass-through entry, or a blocked
 * one for a device the core blocks.
 *
 * Return: 0, -ENOMEM with nothing allocated.
 */
int iox_amdvi_devtab_alloc(struct iox_amdvi_unit *amdvi)
{
	unsigned int i, last = 0, id;
	struct pci_dev *pdev = NULL;
	struct page *pages;
	size_t size;

	for (i = 0; i < amdvi->nr_ranges; i++)
		last = max_t(unsigned int, last, amdvi->ranges[i].last);
	amdvi->nr_devids = last + 1;
	size = ALIGN(amdvi->nr_devids * AMDVI_DTE_SIZE, SZ_4K);
	amdvi->devtab_order = get_order(size);
	pages = iox_should_fail_alloc() ? NULL :
		alloc_pages(GFP_KERNEL | __GFP_ZERO, amdvi->devtab_order);
	if (!pages)
		return -ENOMEM;
	amdvi->devtab = page_address(pages);
	spin_lock_init(&amdvi->devtab_lock);
	for (i = 0; i < amdvi->nr_ranges; i++) {
		for (id = amdvi->ranges[i].first; id <= amdvi->ranges[i].last; id++) {
			u64 *dte = iox_amdvi_dte(amdvi, id);

			dte[1] = FIELD_PREP(AMDVI_DTE_DOMID, AMDVI_PT_DOMID);
			dte[0] = AMDVI_DTE_PT;
		}
	}
	/* The unit is off: no invalidation needed yet. */
	for_each_pci_dev(pdev)
		if (iox_device_blocked(&pdev->dev) &&
		    iox_amdvi_serves(amdvi, pci_domain_nr(pdev->bus), pci_dev_id(pdev)))
			iox_amdvi_dte(amdvi, pci_dev_id(pdev))[0] = AMDVI_DTE_BLOCKED;
	/* One 64-bit write: base and size latch together. */
	writeq(page_to_phys(pages) | FIELD_PREP(AMDVI_DEVTAB_SIZE, size / SZ_4K - 1),
	       amdvi->mmio + AMDVI_DEVTAB_BASE_REG);
	return 0;
}

/**
 * iox_amdvi_devtab_free() - free the device table
 * @amdvi: the unit, with translation off
 */
void iox_amdvi_devtab_free(struct iox_amdvi_unit *amdvi)
{
	if (!amdvi->devtab)
		return;
	free_pages((unsigned long)amdvi->devtab, amdvi->devtab_order);
	amdvi->devtab = NULL;
}

/* Write both quadwords in the documented order, then invalidate. */
static int iox_amdvi_dte_write(struct iox_amdvi_unit *amdvi, u16 devid, u64 q0, u16 domid)
{
	u64 *dte;
	u16 old;

	if (devid >= amdvi->nr_devids)
		return -ENODEV;
	dte = iox_amdvi_dte(amdvi, devid);
	spin_lock(&amdvi->devtab_lock);
	old = FIELD_GET(AMDVI_DTE_DOMID, dte[1]);
	WRITE_ONCE(dte[0], q0);
	/* Hardware must never see the new domain id with the old root. */
	wmb();
	WRITE_ONCE(dte[1], (dte[1] & ~AMDVI_DTE_DOMID) | FIELD_PREP(AMDVI_DTE_DOMID, domid));
	spin_unlock(&amdvi->devtab_lock);
	return iox_amdvi_inv_devtab(amdvi, devid, old);
}

/**
 * iox_amdvi_dte_set() - translate a device through a page table
 * @amdvi: the unit
 * @devid: the device id
 * @domid: the domain id to tag the device's translations with
 * @root: physical address of the page table's root
 * @levels: levels of the table (the DTE's paging mode), 1 to 6
 *
 * When this returns 0, the unit uses the new entry and nothing cached
 * from the old one remains.
 *
 * Return: 0; -ENODEV for a device id beyond the table; -EINVAL for a bad
 * mode; an errno of the invalidation (the entry is written regardless).
 */
int iox_amdvi_dte_set(struct iox_amdvi_unit *amdvi, u16 devid, u16 domid,
		      phys_addr_t root, unsigned int levels)
{
	if (levels < 1 || levels > 6)
		return -EINVAL;
	return iox_amdvi_dte_write(amdvi, devid,
				   AMDVI_DTE_V | AMDVI_DTE_TV | AMDVI_DTE_IR | AMDVI_DTE_IW |
				   FIELD_PREP(AMDVI_DTE_MODE, levels) |
				   (root & AMDVI_DTE_ROOT), domid);
}
EXPORT_SYMBOL_GPL(iox_amdvi_dte_set);

/**
 * iox_amdvi_dte_set_pt() - put a device back in pass-through
 * @amdvi: the unit
 * @devid: the device id
 *
 * Return: as for iox_amdvi_dte_set().
 */
int iox_amdvi_dte_set_pt(struct iox_amdvi_unit *amdvi, u16 devid)
{
	return iox_amdvi_dte_write(amdvi, devid, AMDVI_DTE_PT, AMDVI_PT_DOMID);
}
EXPORT_SYMBOL_GPL(iox_amdvi_dte_set_pt);

/**
 * iox_amdvi_dte_release() - the entry of a device in no domain
 * @amdvi: the unit
 * @pdev: the device
 *
 * Blocked if the core blocks the device (iox_device_blocked()), else
 * pass-through, as at bring-up.  The entry changes in one step from
 * whatever it was, and the old domain id's translations are flushed.
 *
 * Return: as for iox_amdvi_dte_set().
 */
int iox_amdvi_dte_release(struct iox_amdvi_unit *amdvi, struct pci_dev *pdev)
{
	u64 q0 = iox_device_blocked(&pdev->dev) ? AMDVI_DTE_BLOCKED : AMDVI_DTE_PT;

	return iox_amdvi_dte_write(amdvi, pci_dev_id(pdev), q0, AMDVI_PT_DOMID);
}

/**
 * iox_amdvi_dte_domain_id() - the domain id a device's table entry names
 * @amdvi: the unit
 * @devid: the device id
 *
 * For tests: reads the entry in the table, which is what the unit uses
 * once nothing it cached of the entry is left.
 *
 * Return: the domain id of an entry that translates through a page table;
 * -ENOENT for one that blocks the device, -EOPNOTSUPP for one that passes
 * its DMA through; -ENODEV for an id beyond the table.
 */
int iox_amdvi_dte_domain_id(struct iox_amdvi_unit *amdvi, u16 devid)
{
	const u64 *dte;
	int ret;
	u64 q0;

	if (devid >= amdvi->nr_devids)
		return -ENODEV;
	dte = iox_amdvi_dte(amdvi, devid);
	spin_lock(&amdvi->devtab_lock);
	q0 = READ_ONCE(dte[0]);
	if (!(q0 & AMDVI_DTE_V))
		ret = -EOPNOTSUPP;
	else if ((q0 & AMDVI_DTE_TV) && FIELD_GET(AMDVI_DTE_MODE, q0))
		ret = FIELD_GET(AMDVI_DTE_DOMID, READ_ONCE(dte[1]));
	else
		ret = q0 & (AMDVI_DTE_IR | AMDVI_DTE_IW) ? -EOPNOTSUPP : -ENOENT;
	spin_unlock(&amdvi->devtab_lock);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(iox_amdvi_dte_domain_id, IOX_TEST);

/**
 * iox_amdvi_devtab_show() - list the entries of the device table in use
 * @amdvi: the unit
 * @m: the seq_file of the unit's debugfs "devtab" file
 *
 * One line per valid entry that is not pass-through: the device as
 * bus:slot.function, then "blocked", or the table's root, paging mode
 * and domain id.
 */
void iox_amdvi_devtab_show(struct iox_amdvi_unit *amdvi, struct seq_file *m)
{
	unsigned int id;

	for (id = 0; id < amdvi->nr_devids; id++) {
		const u64 *dte = iox_amdvi_dte(amdvi, id);
		u64 q0 = READ_ONCE(dte[0]), q1 = READ_ONCE(dte[1]);

		if (!(q0 & AMDVI_DTE_V) || q0 == AMDVI_DTE_PT)
			continue;
		seq_printf(m, "%02x:%02x.%u ", PCI_BUS_NUM(id), PCI_SLOT(id), PCI_FUNC(id));
		if (q0 == AMDVI_DTE_BLOCKED)
			seq_puts(m, "blocked\n");
		else
			seq_printf(m, "table %#llx mode %llu domain %llu\n", q0 & AMDVI_DTE_ROOT,
				   FIELD_GET(AMDVI_DTE_MODE, q0), FIELD_GET(AMDVI_DTE_DOMID, q1));
	}
}
