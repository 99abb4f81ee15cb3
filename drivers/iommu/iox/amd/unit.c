// SPDX-License-Identifier: GPL-2.0
/*
 * iox AMD-Vi backend: discovery of the units described by the IVRS table,
 * decoding of their features and registration with the core.
 *
 * Discovery only reads registers.  A unit whose IommuEn control bit is set
 * belongs to another driver and is left alone.
 */
#define pr_fmt(fmt) "iox-amd: " fmt

#include <linux/acpi.h>
#include <linux/io.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/seq_file.h>
#include <linux/sizes.h>
#include <linux/slab.h>

#include "amdvi.h"

/* Units found at module load; only init and exit touch it, no lock. */
static LIST_HEAD(iox_amdvi_units);

static void iox_amdvi_decode_caps(u64 efr, struct iox_amdvi_caps *caps)
{
	caps->efr = efr;
	/* HATS and GATS encode 4, 5 or 6 levels (3 is reserved). */
	caps->host_levels = 4 + FIELD_GET(AMDVI_EFR_HATS, efr);
	caps->guest_levels = 4 + FIELD_GET(AMDVI_EFR_GATS, efr);
	caps->prefetch = efr & AMDVI_EFR_PREF;
	caps->ppr = efr & AMDVI_EFR_PPR;
	caps->x2apic = efr & AMDVI_EFR_XT;
	caps->nx = efr & AMDVI_EFR_NX;
	caps->guest_translation = efr & AMDVI_EFR_GT;
	caps->invalidate_all = efr & AMDVI_EFR_IA;
	caps->hw_error = efr & AMDVI_EFR_HE;
	caps->perf_counters = efr & AMDVI_EFR_PC;
}

/**
 * iox_amdvi_serves() - whether a PCI requester is behind a unit
 * @amdvi: the unit
 * @segment: PCI segment of the requester
 * @devid: requester id (bus << 8 | devfn)
 *
 * Return: true if one of the unit's IVHD device entries covers @devid.
 */
bool iox_amdvi_serves(struct iox_amdvi_unit *amdvi, u16 segment, u16 devid)
{
	unsigned int i;

	if (segment != amdvi->segment)
		return false;
	for (i = 0; i < amdvi->nr_ranges; i++)
		if (devid >= amdvi->ranges[i].first && devid <= amdvi->ranges[i].last)
			return true;
	return false;
}
EXPORT_SYMBOL_GPL(iox_amdvi_serves);

static void iox_amdvi_show(struct iox_unit *unit, struct seq_file *m)
{
	struct iox_amdvi_unit *amdvi = to_amdvi_unit(unit);
	const struct iox_amdvi_caps *c = &amdvi->caps;
	unsigned int i;

	seq_puts(m, "type: amdvi\n");
	seq_printf(m, "base: %#llx\n", amdvi->mmio_phys);
	seq_printf(m, "ivhd_type: %#x\n", amdvi->ivhd_type);
	seq_printf(m, "devid: %04x:%02x:%02x.%d\n", amdvi->segment,
		   PCI_BUS_NUM(amdvi->devid), PCI_SLOT(amdvi->devid), PCI_FUNC(amdvi->devid));
	seq_printf(m, "cap_offset: %#x\n", amdvi->cap_offset);
	seq_printf(m, "efr: %#018llx\n", c->efr);
	seq_printf(m, "control: %#018llx\n", readq(amdvi->mmio + AMDVI_CONTROL_REG));
	seq_printf(m, "host_levels: %u\n", c->host_levels);
	seq_printf(m, "guest_levels: %u\n", c->guest_levels);
	seq_printf(m, "prefetch: %d\n", c->prefetch);
	seq_printf(m, "ppr: %d\n", c->ppr);
	seq_printf(m, "x2apic: %d\n", c->x2apic);
	seq_printf(m, "nx: %d\n", c->nx);
	seq_printf(m, "guest_translation: %d\n", c->guest_translation);
	seq_printf(m, "invalidate_all: %d\n", c->invalidate_all);
	seq_printf(m, "hw_error: %d\n", c->hw_error);
	seq_printf(m, "perf_counters: %d\n", c->perf_counters);
	for (i = 0; i < amdvi->nr_ranges; i++)
		seq_printf(m, "devices: %04x-%04x\n", amdvi->ranges[i].first,
			   amdvi->ranges[i].last);
}

static bool iox_amdvi_unit_serves(struct iox_unit *unit, struct device *dev)
{
	struct pci_dev *pdev;

	if (!dev_is_pci(dev))
		return false;
	pdev = to_pci_dev(dev);
	return iox_amdvi_serves(to_amdvi_unit(unit), pci_domain_nr(pdev->bus),
				pci_dev_id(pdev));
}

static const struct iox_unit_ops iox_amdvi_unit_ops = {
	.show = iox_amdvi_show,
	.serves = iox_amdvi_unit_serves,
};

/**
 * struct iox_amdvi_probe - state of the IVHD walk at module load
 * @walk: the IVRS visitor
 * @index: number given to the next unit found
 * @nr_owned: units skipped because another driver enabled them
 * @nr_bad: units skipped because their registers are unusable
 */
struct iox_amdvi_probe {
	struct iox_ivrs_walk walk;
	unsigned int index;
	unsigned int nr_owned;
	unsigned int nr_bad;
};

static void iox_amdvi_free(struct iox_amdvi_unit *amdvi)
{
	if (amdvi->mmio)
		iounmap(amdvi->mmio);
	kfree(amdvi->ranges);
	kfree(amdvi);
}

/*
 * Returns 0 for a unit registered or skipped with a message, an errno
 * only for failures that should fail the load (no memory, broken table).
 */
static int iox_amdvi_probe_ivhd(struct iox_ivrs_walk *walk,
				const struct acpi_ivrs_hardware_10 *ivhd)
{
	struct iox_amdvi_probe *probe = container_of(walk, struct iox_amdvi_probe, walk);
	struct iox_amdvi_unit *amdvi;
	u64 efr, control;
	int ret;

	if (!ivhd->base_address) {
		pr_warn("IVHD without an MMIO base, skipped\n");
		probe->nr_bad++;
		return 0;
	}

	amdvi = kzalloc(sizeof(*amdvi), GFP_KERNEL);
	if (!amdvi)
		return -ENOMEM;
	amdvi->mmio_phys = ivhd->base_address;
	amdvi->ivhd_type = ivhd->header.type;
	amdvi->devid = ivhd->header.device_id;
	amdvi->cap_offset = ivhd->capability_offset;
	amdvi->segment = ivhd->pci_segment_group;
	snprintf(amdvi->unit.name, sizeof(amdvi->unit.name), "ivhd%u", probe->index);

	/* As for VT-d: ownership is decided by the control register. */
	amdvi->mmio = ioremap(ivhd->base_address, AMDVI_MMIO_SIZE);
	if (!amdvi->mmio) {
		pr_err("%s: cannot map MMIO at %#llx\n", amdvi->unit.name, ivhd->base_address);
		iox_amdvi_free(amdvi);
		return -ENOMEM;
	}

	efr = readq(amdvi->mmio + AMDVI_EFR_REG);
	control = readq(amdvi->mmio + AMDVI_CONTROL_REG);
	if (efr == ~0ULL || control == ~0ULL) {
		pr_warn("%s: MMIO at %#llx reads all-ones, no unit there; skipped\n",
			amdvi->unit.name, ivhd->base_address);
		probe->nr_bad++;
		iox_amdvi_free(amdvi);
		return 0;
	}
	if (control & AMDVI_CONTROL_IOMMU_EN) {
		pr_warn("%s: unit at %#llx is in use by another driver (control %#llx: IommuEn set); not touching it, boot with amd_iommu=off intremap=off to give it to iox\n",
			amdvi->unit.name, ivhd->base_address, control);
		probe->nr_owned++;
		iox_amdvi_free(amdvi);
		return 0;
	}

	iox_amdvi_decode_caps(efr, &amdvi->caps);
	if (amdvi->caps.host_levels > 6) {
		pr_warn("%s: reserved HATS value in EFR %#llx; skipped\n",
			amdvi->unit.name, efr);
		probe->nr_bad++;
		iox_amdvi_free(amdvi);
		return 0;
	}
	/* Each v1 level translates 9 bits above the 12-bit page offset. */
	amdvi->unit.ias = min(12 + 9 * amdvi->caps.host_levels, 64);
	/*
	 * 4K leaves, and large leaves at levels 2 and 3; page-size override
	 * sizes are added with the page-table code that can encode them.
	 */
	amdvi->unit.pgsize_bitmap = SZ_4K | SZ_2M | SZ_1G;
	amdvi->unit.ops = &iox_amdvi_unit_ops;
	/* AMD-Vi table walks always snoop. */
	amdvi->unit.coherent = true;
	amdvi->unit.lazy_ok = true;

	ret = iox_ivrs_parse_devices(ivhd, &amdvi->ranges, &amdvi->nr_ranges);
	if (ret) {
		iox_amdvi_free(amdvi);
		return ret;
	}

	ret = iox_unit_register(&amdvi->unit);
	if (ret) {
		iox_amdvi_free(amdvi);
		return ret;
	}
	list_add_tail(&amdvi->list, &iox_amdvi_units);
	probe->index++;

	pr_info("%s: AMD-Vi at %#llx (IVHD type %#x, devid %04x), %u-level host tables, %u device ranges\n",
		amdvi->unit.name, amdvi->mmio_phys, amdvi->ivhd_type, amdvi->devid,
		amdvi->caps.host_levels, amdvi->nr_ranges);
	return 0;
}

static void iox_amdvi_remove_all(void)
{
	struct iox_amdvi_unit *amdvi, *next;

	list_for_each_entry_safe_reverse(amdvi, next, &iox_amdvi_units, list) {
		list_del(&amdvi->list);
		iox_unit_unregister(&amdvi->unit);
		iox_amdvi_free(amdvi);
	}
}

static int __init iox_amdvi_init(void)
{
	struct iox_amdvi_probe probe = { .walk.ivhd = iox_amdvi_probe_ivhd };
	int ret;

	ret = iox_ivrs_walk_ivhds(&probe.walk);
	if (ret == -ENODEV) {
		pr_info("no IVRS table, no AMD-Vi hardware\n");
		return ret;
	}
	if (ret) {
		iox_amdvi_remove_all();
		return ret;
	}
	if (list_empty(&iox_amdvi_units)) {
		pr_warn("no usable AMD-Vi unit (%u in use by another driver, %u unusable)\n",
			probe.nr_owned, probe.nr_bad);
		return probe.nr_owned ? -EBUSY : -ENODEV;
	}
	return 0;
}

static void __exit iox_amdvi_exit(void)
{
	iox_amdvi_remove_all();
}

module_init(iox_amdvi_init);
module_exit(iox_amdvi_exit);

MODULE_DESCRIPTION("iox AMD-Vi backend");
MODULE_LICENSE("GPL");
