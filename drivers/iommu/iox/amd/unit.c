// SPDX-License-Identifier: GPL-2.0
/*
 * iox AMD-Vi backend: discovery of the units described by the IVRS table,
 * decoding of their features, bring-up and registration with the core.
 *
 * Discovery only reads registers.  A unit whose IommuEn control bit is set
 * belongs to another driver and is left alone.
 *
 * A unit iox takes is brought up with every device its IVHD names in
 * pass-through, so that DMA in flight keeps working, except the devices
 * the core blocks (iox_device_blocked(): those no driver drives), whose
 * DMA is refused; attaching a device to a domain switches that device to
 * translation.  Bring-up programs the
 * device table, the command buffer and the event log, then enables in
 * this order: CmdBufEn, EventLogEn (and EventIntEn), IommuEn; then
 * INVALIDATE_IOMMU_ALL drops whatever an earlier owner left cached.  On
 * unload or any failure translation goes off first, then the buffers, and
 * the registers are written back as they were found.
 */
#define pr_fmt(fmt) "iox-amd: " fmt

#include <linux/acpi.h>
#include <linux/debugfs.h>
#include <linux/io.h>
#include <linux/iopoll.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/seq_file.h>
#include <linux/sizes.h>
#include <linux/slab.h>

#include "../iox-debugfs.h"
#include "amdvi.h"

static bool event_irq = true;
module_param(event_irq, bool, 0444);
MODULE_PARM_DESC(event_irq, "signal events with the IOMMU's MSI; off: poll the log (default: on)");

static bool inject_bringup_failure;
module_param(inject_bringup_failure, bool, 0444);
MODULE_PARM_DESC(inject_bringup_failure,
		 "for tests: fail each unit's bring-up once translation is on");

#define AMDVI_DISABLE_TIMEOUT_US	1000000
/* The registers written back when a unit is given up, in this order. */
static const unsigned int iox_amdvi_found_regs[] = {
	AMDVI_DEVTAB_BASE_REG, AMDVI_CMDBUF_BASE_REG, AMDVI_EVTLOG_BASE_REG, AMDVI_CONTROL_REG,
};

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
	seq_printf(m, "np_cache: %d\n", amdvi->np_cache);
	seq_printf(m, "status: %#018llx\n", readq(amdvi->mmio + AMDVI_STATUS_REG));
	seq_printf(m, "device_ids: %u\n", amdvi->nr_devids);
	for (i = 0; i < amdvi->nr_ranges; i++) {
		const struct iox_amdvi_devrange *r = &amdvi->ranges[i];

		if (r->aliased)
			seq_printf(m, "devices: %04x-%04x alias %04x\n", r->first, r->last,
				   r->alias);
		else
			seq_printf(m, "devices: %04x-%04x\n", r->first, r->last);
	}
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

static int iox_amdvi_events_show(struct seq_file *m, void *unused)
{
	iox_amdvi_event_poll(m->private);
	iox_amdvi_event_show(m->private, m);
	return 0;
}
IOX_DEBUGFS_ATTRIBUTE(iox_amdvi_events);

static int iox_amdvi_inval_show(struct seq_file *m, void *unused)
{
	struct iox_amdvi_cmdbuf *cmd = &((struct iox_amdvi_unit *)m->private)->cmd;

	seq_printf(m, "commands: %llu\n", cmd->nr_cmds);
	seq_printf(m, "completion_waits: %llu\n", cmd->nr_waits);
	seq_printf(m, "timeouts: %llu\n", cmd->nr_timeouts);
	seq_printf(m, "devtab_entry: %llu\n", cmd->nr_inv[AMDVI_INV_DEVTAB]);
	seq_printf(m, "pages_range: %llu\n", cmd->nr_inv[AMDVI_INV_PAGES]);
	seq_printf(m, "pages_domain: %llu\n", cmd->nr_inv[AMDVI_INV_DOMAIN]);
	seq_printf(m, "all: %llu\n", cmd->nr_inv[AMDVI_INV_ALL]);
	return 0;
}
IOX_DEBUGFS_ATTRIBUTE(iox_amdvi_inval);

static int iox_amdvi_dtes_show(struct seq_file *m, void *unused)
{
	iox_amdvi_devtab_show(m->private, m);
	return 0;
}
IOX_DEBUGFS_ATTRIBUTE(iox_amdvi_dtes);

/* A device in no domain: blocked or pass-through, as the core chose. */
static int iox_amdvi_release_dev(struct iox_unit *unit, struct device *dev)
{
	struct iox_amdvi_unit *amdvi = to_amdvi_unit(unit);
	struct pci_dev *pdev;
	int ret;

	pdev = iox_release_pci_dev(dev, &ret);
	if (!pdev)
		return ret;
	if (pci_dev_id(pdev) >= amdvi->nr_devids)
		return -ENODEV;
	return iox_amdvi_dte_release(amdvi, pdev);
}

static const struct iox_unit_ops iox_amdvi_unit_ops = {
	.owner = THIS_MODULE,
	.show = iox_amdvi_show,
	.serves = iox_amdvi_unit_serves,
	.domain_alloc = iox_amdvi_domain_alloc,
	.release_dev = iox_amdvi_release_dev,
};

/**
 * struct iox_amdvi_probe - state of the IVHD walk at module load
 * @walk: the IVRS visitor
 * @p: what it found
 */
struct iox_amdvi_probe {
	struct iox_ivrs_walk walk;
	struct iox_probe *p;
};

static void iox_amdvi_free(struct iox_amdvi_unit *amdvi)
{
	if (amdvi->mmio)
		iounmap(amdvi->mmio);
	pci_dev_put(amdvi->pdev);
	kfree(amdvi->ranges);
	kfree(amdvi);
}

/*
 * Translation off first; then the event interrupts, and the log's reader
 * stops (so that it cannot restart the log behind our back); then the
 * command buffer and the log.  Wait until hardware says both stopped, write
 * the registers back as found and free the memory.  Safe on a partly
 * brought-up unit.
 */
static void iox_amdvi_disable(struct iox_amdvi_unit *amdvi)
{
	u64 control = readq(amdvi->mmio + AMDVI_CONTROL_REG), status;
	unsigned int i;

	amdvi->enabled = false;
	control &= ~AMDVI_CONTROL_IOMMU_EN;
	writeq(control, amdvi->mmio + AMDVI_CONTROL_REG);
	control &= ~(AMDVI_CONTROL_EVENT_INT_EN | AMDVI_CONTROL_COMP_WAIT_INT_EN);
	writeq(control, amdvi->mmio + AMDVI_CONTROL_REG);
	if (amdvi->evt.ring)
		iox_amdvi_event_stop(amdvi);
	writeq(amdvi->found[3], amdvi->mmio + AMDVI_CONTROL_REG);
	if (readq_poll_timeout(amdvi->mmio + AMDVI_STATUS_REG, status,
			       !(status & (AMDVI_STATUS_CMD_RUN | AMDVI_STATUS_EVT_RUN)),
			       10, AMDVI_DISABLE_TIMEOUT_US))
		pr_warn("%s: command buffer or event log still running (status %#llx)\n",
			amdvi->unit.name, status);
	for (i = 0; i < ARRAY_SIZE(iox_amdvi_found_regs) - 1; i++)
		writeq(amdvi->found[i], amdvi->mmio + iox_amdvi_found_regs[i]);
	iox_amdvi_event_free(amdvi);
	iox_amdvi_cmdbuf_free(amdvi);
	iox_amdvi_devtab_free(amdvi);
	ida_destroy(&amdvi->domain_ids);
}

/*
 * Device table, command buffer, event log, then the control bits in the
 * documented order, then INVALIDATE_IOMMU_ALL.  On failure the unit is
 * left as it was found.
 */
static int iox_amdvi_enable(struct iox_amdvi_unit *amdvi)
{
	u64 control;
	unsigned int i;
	int ret;

	for (i = 0; i < ARRAY_SIZE(iox_amdvi_found_regs); i++)
		amdvi->found[i] = readq(amdvi->mmio + iox_amdvi_found_regs[i]);
	ida_init(&amdvi->domain_ids);
	control = amdvi->found[3];

	ret = iox_amdvi_devtab_alloc(amdvi);
	if (!ret)
		ret = iox_amdvi_cmdbuf_alloc(amdvi);
	if (!ret)
		ret = iox_amdvi_event_alloc(amdvi);
	if (ret)
		goto fail;
	iox_amdvi_event_start(amdvi, event_irq);

	control |= AMDVI_CONTROL_CMD_BUF_EN;
	writeq(control, amdvi->mmio + AMDVI_CONTROL_REG);
	control |= AMDVI_CONTROL_EVENT_LOG_EN | (amdvi->evt.irq ? AMDVI_CONTROL_EVENT_INT_EN : 0);
	writeq(control, amdvi->mmio + AMDVI_CONTROL_REG);
	control |= AMDVI_CONTROL_IOMMU_EN;
	writeq(control, amdvi->mmio + AMDVI_CONTROL_REG);

	ret = iox_amdvi_inv_all(amdvi);
	if (ret)
		goto fail;
	amdvi->enabled = true;
	if (inject_bringup_failure) {
		ret = -EIO;
		goto fail;
	}
	return 0;

fail:
	pr_err("%s: bring-up failed (%d), unit left as found\n", amdvi->unit.name, ret);
	iox_amdvi_disable(amdvi);
	return ret;
}

/**
 * iox_amdvi_find_function() - the IOMMU's own PCI function and its header
 * @amdvi: the unit, with the segment, device id and capability offset its
 *	IVHD gives
 *
 * Takes a reference to the function (@amdvi->pdev, NULL if there is none)
 * and reads NpCache from its capability header.  A unit whose header
 * cannot be read (a device id that names no function, a failed read) is
 * assumed to cache not-present entries: that costs an invalidation per
 * map, where the opposite guess would leave new mappings faulting on
 * stale entries.
 */
void iox_amdvi_find_function(struct iox_amdvi_unit *amdvi)
{
	u32 header;

	amdvi->np_cache = true;
	amdvi->pdev = pci_get_domain_bus_and_slot(amdvi->segment, PCI_BUS_NUM(amdvi->devid),
						  amdvi->devid & 0xff);
	if (!amdvi->pdev) {
		pr_warn("%s: IOMMU PCI function %04x not found: no event interrupt, NpCache assumed\n",
			amdvi->unit.name, amdvi->devid);
		return;
	}
	if (!pci_read_config_dword(amdvi->pdev, amdvi->cap_offset, &header))
		amdvi->np_cache = header & AMDVI_CAP_NP_CACHE;
}
EXPORT_SYMBOL_NS_GPL(iox_amdvi_find_function, IOX_TEST);

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
		probe->p->nr_bad++;
		return 0;
	}

	amdvi = iox_should_fail_alloc() ? NULL : kzalloc(sizeof(*amdvi), GFP_KERNEL);
	if (!amdvi)
		return -ENOMEM;
	amdvi->mmio_phys = ivhd->base_address;
	amdvi->ivhd_type = ivhd->header.type;
	amdvi->devid = ivhd->header.device_id;
	amdvi->cap_offset = ivhd->capability_offset;
	amdvi->segment = ivhd->pci_segment_group;
	snprintf(amdvi->unit.name, sizeof(amdvi->unit.name), "ivhd%u", probe->p->nr_units);

	/* As for VT-d: ownership is decided by the control register. */
	amdvi->mmio = iox_should_fail_alloc() ? NULL : ioremap(ivhd->base_address, AMDVI_MMIO_SIZE);
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
		probe->p->nr_bad++;
		iox_amdvi_free(amdvi);
		return 0;
	}
	if (control & AMDVI_CONTROL_IOMMU_EN) {
		pr_warn("%s: unit at %#llx is in use by another driver (control %#llx: IommuEn set); not touching it, boot with amd_iommu=off intremap=off to give it to iox\n",
			amdvi->unit.name, ivhd->base_address, control);
		probe->p->nr_owned++;
		iox_amdvi_free(amdvi);
		return 0;
	}

	iox_amdvi_decode_caps(efr, &amdvi->caps);
	if (amdvi->caps.host_levels > 6) {
		pr_warn("%s: reserved HATS value in EFR %#llx; skipped\n",
			amdvi->unit.name, efr);
		probe->p->nr_bad++;
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
	iox_amdvi_find_function(amdvi);
	amdvi->unit.sync_map = amdvi->np_cache;

	ret = iox_amdvi_enable(amdvi);
	if (ret) {
		iox_amdvi_free(amdvi);
		return ret;
	}

	ret = iox_unit_register(&amdvi->unit);
	if (ret) {
		iox_amdvi_disable(amdvi);
		iox_amdvi_free(amdvi);
		return ret;
	}
	debugfs_create_file_unsafe("events", 0444, amdvi->unit.debugfs, amdvi,
				   &iox_amdvi_events_fops);
	debugfs_create_file_unsafe("inval", 0444, amdvi->unit.debugfs, amdvi,
				   &iox_amdvi_inval_fops);
	debugfs_create_file_unsafe("devtab", 0444, amdvi->unit.debugfs, amdvi,
				   &iox_amdvi_dtes_fops);
	probe->p->nr_units++;

	pr_info("%s: AMD-Vi at %#llx (IVHD type %#x, devid %04x), %u-level host tables, %u device ranges, %u device ids, events %s, translation on\n",
		amdvi->unit.name, amdvi->mmio_phys, amdvi->ivhd_type, amdvi->devid,
		amdvi->caps.host_levels, amdvi->nr_ranges, amdvi->nr_devids,
		amdvi->evt.irq ? "by interrupt" : "polled");
	return 0;
}

/* Unregistered by the core: off, and freed. */
static void iox_amdvi_remove(struct iox_unit *unit)
{
	struct iox_amdvi_unit *amdvi = to_amdvi_unit(unit);

	iox_amdvi_disable(amdvi);
	iox_amdvi_free(amdvi);
}

static int iox_amdvi_walk(struct iox_probe *p)
{
	struct iox_amdvi_probe probe = { .walk.ivhd = iox_amdvi_probe_ivhd, .p = p };

	return iox_ivrs_walk_ivhds(&probe.walk);
}

/* Exported for the bring-up tests only. */
const struct iox_backend iox_amdvi_backend = {
	.hw = "AMD-Vi",
	.table = "IVRS",
	.ops = &iox_amdvi_unit_ops,
	.walk = iox_amdvi_walk,
	.remove = iox_amdvi_remove,
};
EXPORT_SYMBOL_NS_GPL(iox_amdvi_backend, IOX_TEST);

static int __init iox_amdvi_init(void)
{
	return iox_backend_probe(&iox_amdvi_backend);
}

static void __exit iox_amdvi_exit(void)
{
	iox_backend_remove(&iox_amdvi_backend);
}

/*
 * Built in: after the PCI buses are enumerated (subsys_initcall; the IVRS
 * table is reachable from then on) and before PCI drivers register
 * (device_initcall), so that every device behind the unit gets its DMA
 * domain before its driver first probes, as with VT-d.
 */
rootfs_initcall(iox_amdvi_init);
module_exit(iox_amdvi_exit);
