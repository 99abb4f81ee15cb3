// SPDX-License-Identifier: GPL-2.0
/*
 * iox VT-d backend: root and context tables in legacy mode (VT-d
 * specification 9.1-9.4).  The root table has one entry per bus pointing to
 * that bus's context table; a context entry per device and function names
 * the domain id, the address width and the second-stage page table, or
 * asks for pass-through.
 *
 * Entries are 128 bits, but hardware only uses one whose present bit (in
 * the low quadword) is set: a new entry gets its high quadword first and
 * becomes present with the single 64-bit store of its low quadword; an old
 * one stops being present with a single store before anything else
 * changes.  Units that do not snoop page walks (ECAP.C clear) read the
 * tables from memory, so written entries are flushed from the CPU caches.
 */
#define pr_fmt(fmt) "iox-intel: " fmt

#include <linux/cacheflush.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/pci.h>
#include <linux/seq_file.h>

#include "vtd.h"

#define VTD_ROOT_P		BIT_ULL(0)
#define VTD_CTX_P		BIT_ULL(0)
#define VTD_CTX_TT		GENMASK_ULL(3, 2)
#define VTD_CTX_TT_PT		2
#define VTD_CTX_ADDR		GENMASK_ULL(63, 12)
#define VTD_CTX_AW		GENMASK_ULL(2, 0)
#define VTD_CTX_DID		GENMASK_ULL(23, 8)

static void iox_vtd_flush_entry(struct iox_vtd_unit *vtd, u64 *entry)
{
	if (!vtd->caps.coherent)
		clflush_cache_range(entry, 2 * sizeof(*entry));
}

/**
 * iox_vtd_tables_alloc() - allocate an empty root table
 * @vtd: the unit
 *
 * Return: 0 or -ENOMEM.
 */
int iox_vtd_tables_alloc(struct iox_vtd_unit *vtd)
{
	struct page *page;

	page = iox_should_fail_alloc() ? NULL : alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!page)
		return -ENOMEM;
	vtd->root = page_address(page);
	if (!vtd->caps.coherent)
		clflush_cache_range(vtd->root, PAGE_SIZE);
	return 0;
}

/**
 * iox_vtd_tables_free() - free the root and context tables
 * @vtd: the unit, with translation off
 */
void iox_vtd_tables_free(struct iox_vtd_unit *vtd)
{
	int bus;

	for (bus = 0; bus < ARRAY_SIZE(vtd->context); bus++) {
		free_page((unsigned long)vtd->context[bus]);
		vtd->context[bus] = NULL;
	}
	free_page((unsigned long)vtd->root);
	vtd->root = NULL;
}

/* The context table of @bus, allocated and made present on first use. */
static u64 *iox_vtd_context_table(struct iox_vtd_unit *vtd, u8 bus, u64 *fresh)
{
	u64 *table = vtd->context[bus];

	lockdep_assert_held(&vtd->table_lock);
	if (table || !fresh)
		return table;
	table = fresh;
	if (!vtd->caps.coherent)
		clflush_cache_range(table, PAGE_SIZE);
	vtd->context[bus] = table;
	/* The table is zeroed and flushed before the root entry points at it. */
	wmb();
	WRITE_ONCE(vtd->root[2 * bus], virt_to_phys(table) | VTD_ROOT_P);
	iox_vtd_flush_entry(vtd, &vtd->root[2 * bus]);
	return table;
}

/*
 * Make the entry of @bus/@devfn not present; returns the domain id it had,
 * or -1 if it was not present.
 */
static int iox_vtd_context_unset(struct iox_vtd_unit *vtd, u64 *entry)
{
	u64 lo = entry[0];

	if (!(lo & VTD_CTX_P))
		return -1;
	WRITE_ONCE(entry[0], 0);
	iox_vtd_flush_entry(vtd, entry);
	return FIELD_GET(VTD_CTX_DID, entry[1]);
}

/*
 * After a context entry changed: drop cached copies of it, and IOTLB
 * entries tagged with the domain id it had.  Hardware in caching mode may
 * also have cached the entry while it was not present, tagged with domain
 * id 0 (never given to a domain in that mode), and translations
 * under the new domain id: both go too.
 */
static int iox_vtd_context_changed(struct iox_vtd_unit *vtd, u8 bus, u8 devfn,
				   int old_did, u16 new_did)
{
	bool was_cached = old_did < 0 && vtd->caps.caching_mode;
	u16 sid = bus << 8 | devfn;
	int ret;

	ret = iox_vtd_flush_write_buffer(vtd);
	if (!ret)
		ret = iox_vtd_inv_context(vtd, VTD_INV_DEVICE,
					  old_did >= 0 ? old_did : was_cached ? 0 : new_did, sid);
	if (!ret && (old_did >= 0 || was_cached))
		ret = iox_vtd_inv_iotlb(vtd, VTD_INV_DOMAIN, old_did >= 0 ? old_did : new_did);
	return ret;
}

/*
 * Make @entry @lo/@hi (not present if @lo has no P); returns the domain
 * id it had, or -1 if it was not present.  An entry rewritten with what it
 * holds is left as it is: it is never not present on the way.
 */
static int iox_vtd_context_store(struct iox_vtd_unit *vtd, u64 *entry, u64 lo, u64 hi)
{
	int old_did;

	if ((lo & VTD_CTX_P) && entry[0] == lo && entry[1] == hi)
		return FIELD_GET(VTD_CTX_DID, hi);
	old_did = iox_vtd_context_unset(vtd, entry);
	if (lo & VTD_CTX_P) {
		WRITE_ONCE(entry[1], hi);
		/* The high quadword is in place before the entry is present. */
		wmb();
		WRITE_ONCE(entry[0], lo);
	} else {
		WRITE_ONCE(entry[1], 0);
	}
	iox_vtd_flush_entry(vtd, entry);
	return old_did;
}

static int iox_vtd_context_write(struct iox_vtd_unit *vtd, u8 bus, u8 devfn, u64 lo,
				 u64 hi)
{
	struct page *page = NULL;
	u64 *table;
	int old_did;

	/* No context table: every entry of the bus is not present already. */
	if (!(lo & VTD_CTX_P) && !READ_ONCE(vtd->context[bus]))
		return 0;
	if (!vtd->context[bus]) {
		page = iox_should_fail_alloc() ? NULL : alloc_page(GFP_KERNEL | __GFP_ZERO);
		if (!page)
			return -ENOMEM;
	}

	spin_lock(&vtd->table_lock);
	table = iox_vtd_context_table(vtd, bus, page ? page_address(page) : NULL);
	if (table && page && table != page_address(page)) {
		__free_page(page);	/* lost a race with another bus user */
		page = NULL;
	}
	old_did = iox_vtd_context_store(vtd, &table[2 * devfn], lo, hi);
	spin_unlock(&vtd->table_lock);

	return iox_vtd_context_changed(vtd, bus, devfn, old_did, FIELD_GET(VTD_CTX_DID, hi));
}

/**
 * iox_vtd_context_set_pt() - let a device's DMA through untranslated
 * @vtd: the unit, with ECAP.PT
 * @bus: bus of the device
 * @devfn: device and function
 *
 * Return: 0, -EOPNOTSUPP without pass-through support, -ENOMEM, or an
 * invalidation error.
 */
int iox_vtd_context_set_pt(struct iox_vtd_unit *vtd, u8 bus, u8 devfn)
{
	if (!vtd->caps.pass_through)
		return -EOPNOTSUPP;
	/* Pass-through entries name the widest address width supported. */
	return iox_vtd_context_write(vtd, bus, devfn,
				     VTD_CTX_P | FIELD_PREP(VTD_CTX_TT, VTD_CTX_TT_PT),
				     FIELD_PREP(VTD_CTX_AW, vtd->agaw) |
				     FIELD_PREP(VTD_CTX_DID, vtd->pt_did));
}

/**
 * iox_vtd_context_set() - translate a device's DMA through a page table
 * @vtd: the unit
 * @bus: bus of the device
 * @devfn: device and function
 * @did: domain id that tags the device's IOTLB entries
 * @pgd: physical address of the second-stage page table's top level
 * @agaw: address width code of that table (1: 3-level, 2: 4-level)
 *
 * Return: 0, -ENOMEM, or an invalidation error.
 */
int iox_vtd_context_set(struct iox_vtd_unit *vtd, u8 bus, u8 devfn, u16 did,
			phys_addr_t pgd, u8 agaw)
{
	return iox_vtd_context_write(vtd, bus, devfn,
				     VTD_CTX_P | (pgd & VTD_CTX_ADDR),
				     FIELD_PREP(VTD_CTX_AW, agaw) |
				     FIELD_PREP(VTD_CTX_DID, did));
}

/**
 * iox_vtd_context_clear() - block a device's DMA
 * @vtd: the unit
 * @bus: bus of the device
 * @devfn: device and function
 *
 * Return: 0, or an invalidation error.
 */
int iox_vtd_context_clear(struct iox_vtd_unit *vtd, u8 bus, u8 devfn)
{
	return iox_vtd_context_write(vtd, bus, devfn, 0, 0);
}

/**
 * iox_vtd_context_release() - the context entry of a device in no domain
 * @vtd: the unit
 * @pdev: the device
 *
 * Not present if the core blocks the device (iox_device_blocked()), else
 * pass-through (not present on a unit without it), as at bring-up.  The
 * entry changes in one step from whatever it was, and the old domain id's
 * IOTLB entries are flushed.
 *
 * Return: 0 once the unit uses the new entry, or an errno.
 */
int iox_vtd_context_release(struct iox_vtd_unit *vtd, struct pci_dev *pdev)
{
	int ret = -EOPNOTSUPP;

	if (!iox_device_blocked(&pdev->dev))
		ret = iox_vtd_context_set_pt(vtd, pdev->bus->number, pdev->devfn);
	if (ret == -EOPNOTSUPP)
		ret = iox_vtd_context_clear(vtd, pdev->bus->number, pdev->devfn);
	return ret;
}

/**
 * iox_vtd_context_domain_id() - the domain id a device's context entry names
 * @vtd: the unit
 * @bus: bus of the device
 * @devfn: device and function
 *
 * For tests: reads the entry in the table, which is what the unit uses
 * once nothing it cached of the entry is left.
 *
 * Return: the domain id of a present entry that translates through a page
 * table; -ENOENT for an entry not present (the device is blocked),
 * -EOPNOTSUPP for a pass-through one.
 */
int iox_vtd_context_domain_id(struct iox_vtd_unit *vtd, u8 bus, u8 devfn)
{
	const u64 *table;
	int ret = -ENOENT;
	u64 lo, hi;

	spin_lock(&vtd->table_lock);
	table = vtd->context[bus];
	if (table) {
		lo = READ_ONCE(table[2 * devfn]);
		hi = READ_ONCE(table[2 * devfn + 1]);
		if (lo & VTD_CTX_P)
			ret = FIELD_GET(VTD_CTX_TT, lo) == VTD_CTX_TT_PT ? -EOPNOTSUPP :
			      FIELD_GET(VTD_CTX_DID, hi);
	}
	spin_unlock(&vtd->table_lock);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(iox_vtd_context_domain_id, IOX_TEST);

/**
 * iox_vtd_context_show() - list the present context entries
 * @vtd: the unit
 * @m: the seq_file of the unit's debugfs "context" file
 *
 * One line per entry: the device, pass-through or the table it translates
 * through, and the domain id.
 */
void iox_vtd_context_show(struct iox_vtd_unit *vtd, struct seq_file *m)
{
	unsigned int bus, devfn;

	spin_lock(&vtd->table_lock);
	for (bus = 0; bus < ARRAY_SIZE(vtd->context); bus++) {
		const u64 *table = vtd->context[bus];

		for (devfn = 0; table && devfn < 256; devfn++) {
			u64 lo = READ_ONCE(table[2 * devfn]), hi = READ_ONCE(table[2 * devfn + 1]);

			if (!(lo & VTD_CTX_P))
				continue;
			seq_printf(m, "%02x:%02x.%u ", bus, PCI_SLOT(devfn), PCI_FUNC(devfn));
			if (FIELD_GET(VTD_CTX_TT, lo) == VTD_CTX_TT_PT)
				seq_puts(m, "pass-through");
			else
				seq_printf(m, "table %#llx aw %llu", lo & VTD_CTX_ADDR,
					   FIELD_GET(VTD_CTX_AW, hi));
			seq_printf(m, " did %llu\n", FIELD_GET(VTD_CTX_DID, hi));
		}
	}
	spin_unlock(&vtd->table_lock);
}
