// SPDX-License-Identifier: GPL-2.0
/*
 * iox VT-d backend: discovery of the remapping units described by the DMAR
 * table, decoding of their capabilities and registration with the core.
 *
 * Discovery only reads registers.  A unit that another driver has already
 * enabled (translation, queued invalidation or interrupt remapping on) is
 * left alone: taking it over would pull the tables from under that driver.
 *
 * A unit iox takes is brought up with every device in its scope that a
 * driver drives in pass-through, so that DMA in flight keeps working, and
 * every other one blocked (context entry not present, iox_device_blocked());
 * attaching a device to a domain switches that device to translation.
 */
#define pr_fmt(fmt) "iox-intel: " fmt

#include <linux/acpi.h>
#include <linux/debugfs.h>
#include <linux/io.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/seq_file.h>
#include <linux/sizes.h>
#include <linux/slab.h>

#include "../iox-debugfs.h"
#include "vtd.h"

/*
 * Units found at module load.  The lock serialises a unit's bring-up and
 * its addition to the list against the PCI notifier, which walks the list:
 * a device added during a bring-up is set up once the unit is on the list.
 */
static DEFINE_MUTEX(iox_vtd_units_lock);
static LIST_HEAD(iox_vtd_units);

static bool qi = true;
module_param(qi, bool, 0444);
MODULE_PARM_DESC(qi, "use queued invalidation where the unit has it (default: on)");

static bool fault_irq = true;
module_param(fault_irq, bool, 0444);
MODULE_PARM_DESC(fault_irq, "report faults from the fault event interrupt; off: poll (default: on)");

static bool inject_bringup_failure;
module_param(inject_bringup_failure, bool, 0444);
MODULE_PARM_DESC(inject_bringup_failure,
		 "for tests: fail each unit's bring-up once translation is on");

/**
 * iox_vtd_decode_caps() - decode the version and capability registers
 * @ver: value of the version register
 * @cap: value of the capability register
 * @ecap: value of the extended capability register
 * @caps: filled with the decoded fields
 */
void iox_vtd_decode_caps(u32 ver, u64 cap, u64 ecap, struct iox_vtd_caps *caps)
{
	caps->ver = ver;
	caps->cap = cap;
	caps->ecap = ecap;
	/* ND encodes 2^(4 + 2 * ND) domain ids. */
	caps->nr_domains = 1U << (4 + 2 * FIELD_GET(VTD_CAP_ND, cap));
	caps->sagaw = FIELD_GET(VTD_CAP_SAGAW, cap);
	caps->mgaw = FIELD_GET(VTD_CAP_MGAW, cap) + 1;
	caps->sllps = FIELD_GET(VTD_CAP_SLLPS, cap);
	caps->mamv = FIELD_GET(VTD_CAP_MAMV, cap);
	caps->nr_fault_regs = FIELD_GET(VTD_CAP_NFR, cap) + 1;
	/* Register offsets are in units of 16 bytes. */
	caps->fault_reg_offset = FIELD_GET(VTD_CAP_FRO, cap) * 16;
	caps->iotlb_reg_offset = FIELD_GET(VTD_ECAP_IRO, ecap) * 16;
	caps->rwbf = cap & VTD_CAP_RWBF;
	caps->caching_mode = cap & VTD_CAP_CM;
	caps->psi = cap & VTD_CAP_PSI;
	caps->coherent = ecap & VTD_ECAP_C;
	caps->qi = ecap & VTD_ECAP_QI;
	caps->ir = ecap & VTD_ECAP_IR;
	caps->pass_through = ecap & VTD_ECAP_PT;
}
EXPORT_SYMBOL_GPL(iox_vtd_decode_caps);

static bool iox_vtd_scopes_name(const struct iox_vtd_scope *scopes, unsigned int nr,
				u8 type, u8 bus, u8 devfn)
{
	unsigned int i;

	for (i = 0; i < nr; i++)
		if (scopes[i].type == type && scopes[i].bus == bus && scopes[i].devfn == devfn)
			return true;
	return false;
}

/**
 * iox_vtd_scope_names() - whether a unit's device scope has an entry
 * @vtd: the unit
 * @type: ACPI_DMAR_SCOPE_TYPE_ENDPOINT or ACPI_DMAR_SCOPE_TYPE_BRIDGE
 * @bus: bus number the entry's path ends at
 * @devfn: device and function the entry's path ends at
 *
 * Return: true if @vtd's device scope has an entry of @type for the function.
 */
bool iox_vtd_scope_names(const struct iox_vtd_unit *vtd, u8 type, u8 bus, u8 devfn)
{
	return iox_vtd_scopes_name(vtd->scopes, vtd->nr_scopes, type, bus, devfn);
}
EXPORT_SYMBOL_GPL(iox_vtd_scope_names);

/**
 * iox_vtd_scopes_cover() - whether a device scope covers a PCI device
 * @scopes: the scope entries (of a DRHD or an RMRR)
 * @nr: their number
 * @segment: the PCI segment they are on
 * @pdev: the device
 *
 * Return: true if an endpoint entry names @pdev, or a bridge entry names it
 * or a bridge above it: a bridge entry stands for the bridge and everything
 * behind it (a PCIe root port and the device in its slot, say).
 */
bool iox_vtd_scopes_cover(const struct iox_vtd_scope *scopes, unsigned int nr, u16 segment,
			  struct pci_dev *pdev)
{
	struct pci_dev *up;

	if (pci_domain_nr(pdev->bus) != segment)
		return false;
	if (iox_vtd_scopes_name(scopes, nr, ACPI_DMAR_SCOPE_TYPE_ENDPOINT, pdev->bus->number,
				pdev->devfn))
		return true;
	for (up = pdev; up; up = pci_upstream_bridge(up))
		if (iox_vtd_scopes_name(scopes, nr, ACPI_DMAR_SCOPE_TYPE_BRIDGE, up->bus->number,
					up->devfn))
			return true;
	return false;
}
EXPORT_SYMBOL_NS_GPL(iox_vtd_scopes_cover, IOX_TEST);

static bool iox_vtd_scope_covers(const struct iox_vtd_unit *vtd, struct pci_dev *pdev)
{
	return iox_vtd_scopes_cover(vtd->scopes, vtd->nr_scopes, vtd->segment, pdev);
}

/**
 * iox_vtd_serves_among() - whether a PCI device is behind a unit
 * @units: every unit of the system, linked through their @list
 * @vtd: the unit
 * @pdev: the device
 *
 * A unit with INCLUDE_PCI_ALL serves the devices of its segment that no
 * other unit's device scope covers: a device has exactly one unit, or two
 * units would both translate (and both invalidate) for it.
 *
 * Return: true if @vtd's device scope names @pdev as an endpoint or a
 * bridge above it, or @vtd includes all devices of the segment and no
 * other unit in @units covers @pdev that way.
 */
bool iox_vtd_serves_among(const struct list_head *units, const struct iox_vtd_unit *vtd,
			  struct pci_dev *pdev)
{
	const struct iox_vtd_unit *other;

	if (!vtd->include_all)
		return iox_vtd_scope_covers(vtd, pdev);
	if (pci_domain_nr(pdev->bus) != vtd->segment)
		return false;
	list_for_each_entry(other, units, list)
		if (other != vtd && !other->include_all && iox_vtd_scope_covers(other, pdev))
			return false;
	return true;
}
EXPORT_SYMBOL_GPL(iox_vtd_serves_among);

/**
 * iox_vtd_serves() - whether a PCI device is behind a unit
 * @vtd: the unit
 * @pdev: the device
 *
 * The DMAR table lists a segment's INCLUDE_PCI_ALL unit after the others,
 * so while units are brought up in table order the ones it must defer to
 * are already known.
 *
 * Return: iox_vtd_serves_among() of the units found at load.
 */
bool iox_vtd_serves(struct iox_vtd_unit *vtd, struct pci_dev *pdev)
{
	return iox_vtd_serves_among(&iox_vtd_units, vtd, pdev);
}
EXPORT_SYMBOL_GPL(iox_vtd_serves);

/**
 * iox_vtd_check_regs() - whether a DRHD's registers are a unit iox may take
 * @name: name for messages
 * @base: physical address of the registers, for messages
 * @regs: the mapped registers; only read
 *
 * Return: 0; -ENODEV if they read all-ones (nothing decodes the address);
 * -EBUSY if translation, queued invalidation or interrupt remapping is on,
 * that is, another driver owns the unit.  Each refusal is logged.
 */
int iox_vtd_check_regs(const char *name, u64 base, void __iomem *regs)
{
	u64 cap = readq(regs + VTD_CAP_REG), ecap = readq(regs + VTD_ECAP_REG);
	u32 gsts;

	if (cap == ~0ULL || ecap == ~0ULL) {
		pr_warn("%s: registers at %#llx read all-ones, no unit there; skipped\n",
			name, base);
		return -ENODEV;
	}
	gsts = readl(regs + VTD_GSTS_REG);
	if (gsts & VTD_GSTS_OWNED) {
		pr_warn("%s: unit at %#llx is in use by another driver (GSTS %#x:%s%s%s); not touching it, boot with intel_iommu=off intremap=off to give it to iox\n",
			name, base, gsts,
			gsts & VTD_GSTS_TES ? " translation" : "",
			gsts & VTD_GSTS_QIES ? " queued-invalidation" : "",
			gsts & VTD_GSTS_IRES ? " interrupt-remapping" : "");
		return -EBUSY;
	}
	return 0;
}
EXPORT_SYMBOL_GPL(iox_vtd_check_regs);

/* The widest address width both SAGAW and MGAW allow, or 0. */
static unsigned int iox_vtd_address_width(const struct iox_vtd_caps *caps)
{
	static const unsigned int widths[] = { 57, 48, 39 };
	static const u8 sagaw_bits[] = { VTD_SAGAW_57, VTD_SAGAW_48, VTD_SAGAW_39 };
	int i;

	for (i = 0; i < ARRAY_SIZE(widths); i++)
		if ((caps->sagaw & sagaw_bits[i]) && widths[i] <= caps->mgaw)
			return widths[i];
	return 0;
}

static const char *const iox_vtd_scope_types[] = {
	[ACPI_DMAR_SCOPE_TYPE_ENDPOINT] = "endpoint",
	[ACPI_DMAR_SCOPE_TYPE_BRIDGE] = "bridge",
	[ACPI_DMAR_SCOPE_TYPE_IOAPIC] = "ioapic",
	[ACPI_DMAR_SCOPE_TYPE_HPET] = "hpet",
	[ACPI_DMAR_SCOPE_TYPE_NAMESPACE] = "namespace",
};

static void iox_vtd_show(struct iox_unit *unit, struct seq_file *m)
{
	struct iox_vtd_unit *vtd = to_vtd_unit(unit);
	const struct iox_vtd_caps *c = &vtd->caps;
	unsigned int i;

	seq_puts(m, "type: vtd\n");
	seq_printf(m, "base: %#llx\n", vtd->reg_phys);
	seq_printf(m, "segment: %u\n", vtd->segment);
	seq_printf(m, "haw: %u\n", vtd->haw);
	seq_printf(m, "include_all: %d\n", vtd->include_all);
	seq_printf(m, "version: %u.%u\n", (c->ver >> 4) & 0xf, c->ver & 0xf);
	seq_printf(m, "cap: %#018llx\n", c->cap);
	seq_printf(m, "ecap: %#018llx\n", c->ecap);
	seq_printf(m, "gsts: %#010x\n", readl(vtd->regs + VTD_GSTS_REG));
	seq_printf(m, "domains: %u\n", c->nr_domains);
	seq_printf(m, "sagaw: %#x\n", c->sagaw);
	seq_printf(m, "mgaw: %u\n", c->mgaw);
	seq_printf(m, "sllps: %#x\n", c->sllps);
	seq_printf(m, "psi: %d\n", c->psi);
	seq_printf(m, "mamv: %u\n", c->mamv);
	seq_printf(m, "caching_mode: %d\n", c->caching_mode);
	seq_printf(m, "rwbf: %d\n", c->rwbf);
	seq_printf(m, "coherent: %d\n", c->coherent);
	seq_printf(m, "qi: %d\n", c->qi);
	seq_printf(m, "ir: %d\n", c->ir);
	seq_printf(m, "pass_through: %d\n", c->pass_through);
	seq_printf(m, "fault_regs: %u\n", c->nr_fault_regs);
	seq_printf(m, "fault_reg_offset: %#x\n", c->fault_reg_offset);
	seq_printf(m, "iotlb_reg_offset: %#x\n", c->iotlb_reg_offset);
	for (i = 0; i < vtd->nr_scopes; i++) {
		const struct iox_vtd_scope *s = &vtd->scopes[i];
		u8 type = s->type;

		seq_printf(m, "scope: %s %04x:%02x:%02x.%d\n",
			   type < ARRAY_SIZE(iox_vtd_scope_types) &&
			   iox_vtd_scope_types[type] ? iox_vtd_scope_types[type] : "unknown",
			   vtd->segment, s->bus, PCI_SLOT(s->devfn), PCI_FUNC(s->devfn));
	}
}

static bool iox_vtd_unit_serves(struct iox_unit *unit, struct device *dev)
{
	return dev_is_pci(dev) && iox_vtd_serves(to_vtd_unit(unit), to_pci_dev(dev));
}

static int iox_vtd_faults_show(struct seq_file *m, void *unused)
{
	iox_vtd_fault_poll(m->private);
	iox_vtd_fault_show(m->private, m);
	return 0;
}
IOX_DEBUGFS_ATTRIBUTE(iox_vtd_faults);

static int iox_vtd_context_file_show(struct seq_file *m, void *unused)
{
	iox_vtd_context_show(m->private, m);
	return 0;
}
IOX_DEBUGFS_ATTRIBUTE(iox_vtd_context_file);

static int iox_vtd_inval_show(struct seq_file *m, void *unused)
{
	struct iox_vtd_unit *vtd = m->private;

	seq_printf(m, "queued: %d\n", vtd->use_qi);
	seq_printf(m, "descriptors: %llu\n", vtd->qi.nr_descs);
	seq_printf(m, "waits: %llu\n", vtd->qi.nr_waits);
	seq_printf(m, "invalid_descriptors: %llu\n", vtd->qi.nr_iqe);
	seq_printf(m, "devtlb_timeouts: %llu\n", vtd->qi.nr_ite);
	seq_printf(m, "wait_timeouts: %llu\n", vtd->qi.nr_timeouts);
	seq_printf(m, "iotlb_global: %llu\n", vtd->nr_inv[VTD_INV_GLOBAL]);
	seq_printf(m, "iotlb_domain: %llu\n", vtd->nr_inv[VTD_INV_DOMAIN]);
	seq_printf(m, "iotlb_page: %llu\n", vtd->nr_inv[VTD_INV_PAGE]);
	return 0;
}
IOX_DEBUGFS_ATTRIBUTE(iox_vtd_inval);

/* A device in no domain: blocked or pass-through, as the core chose. */
static int iox_vtd_release_dev(struct iox_unit *unit, struct device *dev)
{
	struct pci_dev *pdev;
	int ret;

	pdev = iox_release_pci_dev(dev, &ret);
	if (!pdev)
		return ret;
	return iox_vtd_context_release(to_vtd_unit(unit), pdev);
}

static const struct iox_unit_ops iox_vtd_unit_ops = {
	.owner = THIS_MODULE,
	.show = iox_vtd_show,
	.serves = iox_vtd_unit_serves,
	.domain_alloc = iox_vtd_domain_alloc,
	.release_dev = iox_vtd_release_dev,
	.direct_regions = iox_vtd_direct_regions,
};

/**
 * struct iox_vtd_probe - state of the DRHD walk at module load
 * @walk: the DMAR visitor
 * @p: what it found
 */
struct iox_vtd_probe {
	struct iox_dmar_walk walk;
	struct iox_probe *p;
};

/* Turn translation and queued invalidation off and free the tables. */
static void iox_vtd_disable(struct iox_vtd_unit *vtd)
{
	if (readl(vtd->regs + VTD_GSTS_REG) & VTD_GSTS_TES)
		iox_vtd_gcmd_enable(vtd, VTD_GSTS_TES, false);
	if (vtd->enabled)
		iox_vtd_fault_stop(vtd);
	vtd->enabled = false;
	iox_vtd_qi_free(vtd);
	iox_vtd_tables_free(vtd);
	ida_destroy(&vtd->domain_ids);
}

/**
 * struct iox_vtd_alias_pt - gives pass-through to a device's requester ids
 * @walk: the walk over them
 * @vtd: the unit
 */
struct iox_vtd_alias_pt {
	struct iox_dma_alias_walk walk;
	struct iox_vtd_unit *vtd;
};

/* Pass-through for one of the requester ids a device's DMA arrives under. */
static int iox_vtd_alias_pt(struct iox_dma_alias_walk *walk, u16 alias)
{
	struct iox_vtd_alias_pt *pt = container_of(walk, struct iox_vtd_alias_pt, walk);
	int ret = iox_vtd_context_set_pt(pt->vtd, PCI_BUS_NUM(alias), alias & 0xff);

	/* A unit without pass-through: reported for the device's own id. */
	return ret == -EOPNOTSUPP ? 0 : ret;
}

/*
 * Pass-through for a device the unit serves that no domain has: at bring-up
 * for every device in scope, later for every device added.  A device the
 * core blocks (iox_device_blocked(): no driver, for one) keeps its entry
 * not present.  A device whose DMA arrives under other requester ids too
 * (behind a PCIe-to-PCI bridge, quirk aliases), which the core never
 * blocks, gets pass-through under each of them: its own entry alone would
 * leave its DMA faulting.
 */
static int iox_vtd_device_pt(struct iox_vtd_unit *vtd, struct pci_dev *pdev)
{
	struct iox_vtd_alias_pt pt = { .walk.alias = iox_vtd_alias_pt, .vtd = vtd };
	int ret;

	if (iox_device_blocked(&pdev->dev))
		return 0;
	ret = iox_vtd_context_set_pt(vtd, pdev->bus->number, pdev->devfn);
	if (!ret && !iox_pci_own_requester_id(pdev))
		ret = iox_pci_walk_dma_aliases(pdev, &pt.walk);

	if (ret == -EOPNOTSUPP) {
		pci_warn(pdev, "iox: %s has no pass-through: DMA blocked until attached\n",
			 vtd->unit.name);
		ret = 0;
	}
	return ret;
}

/*
 * Root table, invalidation, pass-through for every device in scope that
 * the core does not block, then translation on.  On failure the unit is
 * left with translation and queued invalidation off.
 */
static int iox_vtd_enable(struct iox_vtd_unit *vtd)
{
	struct pci_dev *pdev = NULL;
	int ret, did;

	raw_spin_lock_init(&vtd->reg_lock);
	spin_lock_init(&vtd->table_lock);
	ida_init(&vtd->domain_ids);
	vtd->agaw = vtd->unit.ias == 57 ? 3 : vtd->unit.ias == 48 ? 2 : 1;

	/* In caching mode, domain id 0 tags not-present entries. */
	did = iox_should_fail_alloc() ? -ENOMEM :
	      ida_alloc_range(&vtd->domain_ids, vtd->caps.caching_mode ? 1 : 0,
			      vtd->caps.nr_domains - 1, GFP_KERNEL);
	if (did < 0)
		return did;
	vtd->pt_did = did;

	ret = iox_vtd_tables_alloc(vtd);
	if (ret)
		goto fail;
	if (vtd->caps.qi && qi) {
		ret = iox_vtd_qi_enable(vtd);
		if (ret)
			goto fail;
		vtd->use_qi = true;
	}
	ret = iox_vtd_gcmd_set_root(vtd, virt_to_phys(vtd->root));
	if (!ret)
		ret = iox_vtd_inv_context(vtd, VTD_INV_GLOBAL, 0, 0);
	if (!ret)
		ret = iox_vtd_inv_iotlb(vtd, VTD_INV_GLOBAL, 0);
	if (ret)
		goto fail;

	for_each_pci_dev(pdev) {
		if (!iox_vtd_serves(vtd, pdev))
			continue;
		ret = iox_vtd_device_pt(vtd, pdev);
		if (ret) {
			pci_dev_put(pdev);
			goto fail;
		}
	}

	ret = iox_vtd_flush_write_buffer(vtd);
	if (!ret)
		ret = iox_vtd_gcmd_enable(vtd, VTD_GSTS_TES, true);
	if (ret)
		goto fail;
	iox_vtd_fault_init(vtd, fault_irq);
	vtd->enabled = true;
	if (inject_bringup_failure) {
		ret = -EIO;
		goto fail;
	}
	return 0;

fail:
	pr_err("%s: bring-up failed (%d), unit left disabled\n", vtd->unit.name, ret);
	iox_vtd_disable(vtd);
	return ret;
}

static void iox_vtd_free(struct iox_vtd_unit *vtd)
{
	if (vtd->regs)
		iounmap(vtd->regs);
	kfree(vtd->scopes);
	kfree(vtd);
}

/*
 * Returns 0 for a unit registered or skipped with a message, an errno
 * only for failures that should fail the load (no memory, broken table).
 */
static int iox_vtd_probe_drhd(struct iox_dmar_walk *walk,
			      const struct acpi_dmar_hardware_unit *drhd)
{
	struct iox_vtd_probe *probe = container_of(walk, struct iox_vtd_probe, walk);
	struct iox_vtd_unit *vtd;
	int ret;

	if (!drhd->address) {
		pr_warn("DRHD without a register base, skipped\n");
		probe->p->nr_bad++;
		return 0;
	}

	vtd = iox_should_fail_alloc() ? NULL : kzalloc(sizeof(*vtd), GFP_KERNEL);
	if (!vtd)
		return -ENOMEM;
	vtd->reg_phys = drhd->address;
	vtd->segment = drhd->segment;
	/* Page-table entries hold at most 52 address bits. */
	vtd->haw = clamp(walk->haw, 32U, 52U);
	vtd->include_all = drhd->flags & ACPI_DMAR_INCLUDE_ALL;
	snprintf(vtd->unit.name, sizeof(vtd->unit.name), "dmar%u", probe->p->nr_units);

	/*
	 * No request_mem_region(): the kernel's own DMAR code may keep the
	 * range reserved even when it was told to stay off.  Ownership is
	 * decided from the unit's status below.
	 */
	vtd->regs = iox_should_fail_alloc() ? NULL : ioremap(drhd->address, VTD_REG_SIZE);
	if (!vtd->regs) {
		pr_err("%s: cannot map registers at %#llx\n", vtd->unit.name, drhd->address);
		iox_vtd_free(vtd);
		return -ENOMEM;
	}

	ret = iox_vtd_check_regs(vtd->unit.name, drhd->address, vtd->regs);
	if (ret) {
		if (ret == -EBUSY)
			probe->p->nr_owned++;
		else
			probe->p->nr_bad++;
		iox_vtd_free(vtd);
		return 0;
	}

	iox_vtd_decode_caps(readl(vtd->regs + VTD_VER_REG), readq(vtd->regs + VTD_CAP_REG),
			    readq(vtd->regs + VTD_ECAP_REG), &vtd->caps);
	vtd->unit.ias = iox_vtd_address_width(&vtd->caps);
	if (!vtd->unit.ias) {
		pr_warn("%s: no supported address width (SAGAW %#x, MGAW %u); skipped\n",
			vtd->unit.name, vtd->caps.sagaw, vtd->caps.mgaw);
		probe->p->nr_bad++;
		iox_vtd_free(vtd);
		return 0;
	}
	vtd->unit.pgsize_bitmap = SZ_4K;
	if (vtd->caps.sllps & VTD_SLLPS_2M)
		vtd->unit.pgsize_bitmap |= SZ_2M;
	if (vtd->caps.sllps & VTD_SLLPS_1G)
		vtd->unit.pgsize_bitmap |= SZ_1G;
	vtd->unit.ops = &iox_vtd_unit_ops;
	vtd->unit.oas = vtd->haw;
	vtd->unit.coherent = vtd->caps.coherent;
	vtd->unit.force_snoop = vtd->caps.ecap & VTD_ECAP_SC;
	vtd->unit.lazy_ok = true;
	vtd->unit.sync_map = vtd->caps.caching_mode || vtd->caps.rwbf;

	ret = iox_dmar_parse_scopes(drhd, &vtd->scopes, &vtd->nr_scopes);
	if (ret) {
		iox_vtd_free(vtd);
		return ret;
	}

	mutex_lock(&iox_vtd_units_lock);
	ret = iox_vtd_enable(vtd);
	if (!ret) {
		ret = iox_unit_register(&vtd->unit);
		if (ret)
			iox_vtd_disable(vtd);
	}
	if (ret) {
		mutex_unlock(&iox_vtd_units_lock);
		iox_vtd_free(vtd);
		return ret;
	}
	debugfs_create_file_unsafe("faults", 0444, vtd->unit.debugfs, vtd,
				   &iox_vtd_faults_fops);
	debugfs_create_file_unsafe("inval", 0444, vtd->unit.debugfs, vtd,
				   &iox_vtd_inval_fops);
	debugfs_create_file_unsafe("context", 0444, vtd->unit.debugfs, vtd,
				   &iox_vtd_context_file_fops);
	list_add_tail(&vtd->list, &iox_vtd_units);
	mutex_unlock(&iox_vtd_units_lock);
	probe->p->nr_units++;

	pr_info("%s: VT-d %u.%u at %#llx, %u-bit, %u domains, %u scope entries%s, %s invalidation, translation on\n",
		vtd->unit.name, (vtd->caps.ver >> 4) & 0xf, vtd->caps.ver & 0xf,
		vtd->reg_phys, vtd->unit.ias, vtd->caps.nr_domains, vtd->nr_scopes,
		vtd->include_all ? ", all devices of the segment" : "",
		vtd->use_qi ? "queued" : "register-based");
	return 0;
}

/*
 * A device added after its unit's bring-up (hot-plugged, or enumerated
 * late) gets its entry as the devices present then did: not present while
 * the core blocks it (until a driver binds, iox_device_blocked()), else
 * pass-through.  A device being added has no domain yet.
 */
static int iox_vtd_pci_notify(struct notifier_block *nb, unsigned long action, void *data)
{
	struct pci_dev *pdev = to_pci_dev(data);
	struct iox_vtd_unit *vtd;

	if (action != BUS_NOTIFY_ADD_DEVICE)
		return NOTIFY_DONE;
	mutex_lock(&iox_vtd_units_lock);
	list_for_each_entry(vtd, &iox_vtd_units, list) {
		if (!iox_vtd_serves(vtd, pdev))
			continue;
		if (iox_vtd_device_pt(vtd, pdev))
			pci_err(pdev, "iox: no context entry on %s, its DMA will fault\n",
				vtd->unit.name);
		else
			pci_info(pdev, "iox: added behind %s, %s\n", vtd->unit.name,
				 iox_device_blocked(&pdev->dev) ? "blocked" : "pass-through");
	}
	mutex_unlock(&iox_vtd_units_lock);
	return NOTIFY_OK;
}

static struct notifier_block iox_vtd_pci_nb = {
	.notifier_call = iox_vtd_pci_notify,
};

/* Unregistered by the core: off, and freed. */
static void iox_vtd_remove(struct iox_unit *unit)
{
	struct iox_vtd_unit *vtd = to_vtd_unit(unit);

	mutex_lock(&iox_vtd_units_lock);
	list_del(&vtd->list);
	mutex_unlock(&iox_vtd_units_lock);
	iox_vtd_disable(vtd);
	iox_vtd_free(vtd);
}

static int iox_vtd_walk(struct iox_probe *p)
{
	struct iox_vtd_probe probe = { .walk.drhd = iox_vtd_probe_drhd, .p = p };

	return iox_dmar_walk_drhds(&probe.walk);
}

/* Exported for the bring-up tests only. */
const struct iox_backend iox_vtd_backend = {
	.hw = "VT-d",
	.table = "DMAR",
	.ops = &iox_vtd_unit_ops,
	.walk = iox_vtd_walk,
	.remove = iox_vtd_remove,
};
EXPORT_SYMBOL_NS_GPL(iox_vtd_backend, IOX_TEST);

static int __init iox_vtd_init(void)
{
	int ret;

	/* The regions first: registering a unit asks for them (IOMMU API). */
	ret = iox_vtd_rmrrs_load();
	if (ret)
		return ret;
	/* Before the bring-up, so that no device added meanwhile is missed. */
	ret = bus_register_notifier(&pci_bus_type, &iox_vtd_pci_nb);
	if (ret)
		goto free_rmrrs;
	ret = iox_backend_probe(&iox_vtd_backend);
	if (!ret)
		return 0;
	bus_unregister_notifier(&pci_bus_type, &iox_vtd_pci_nb);
free_rmrrs:
	iox_vtd_rmrrs_free();
	return ret;
}

static void __exit iox_vtd_exit(void)
{
	bus_unregister_notifier(&pci_bus_type, &iox_vtd_pci_nb);
	iox_backend_remove(&iox_vtd_backend);
	iox_vtd_rmrrs_free();
}

/*
 * Built in: after the PCI buses are enumerated (subsys_initcall) and before
 * PCI drivers register (device_initcall), so that every device whose
 * driver binds gets its DMA domain first (drivers/iommu/iox/dma.c).
 */
rootfs_initcall(iox_vtd_init);
module_exit(iox_vtd_exit);
