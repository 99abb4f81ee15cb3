// SPDX-License-Identifier: GPL-2.0
/*
 * vmtest module: real DMA through iox on emulated AMD-Vi, in the stock
 * kernel (which has no KUnit).  Runs the cases of amdvi_dma_cases.h at
 * load and prints KTAP lines prefixed "iox-amdvi-dma: " for the guest
 * script to pass on.  It keeps one domain allocated while loaded, so that
 * unloading iox-amd under it can be tried.
 *
 * Module parameters: markers=1 brackets the invalidation-precision case
 * with INVALIDATE_DEVTAB_ENTRY of device id 0xfffe (ff:1f.6, no device),
 * which the host finds in QEMU's trace, and prints the numbers of
 * INVALIDATE_IOMMU_PAGES and COMPLETION_WAIT iox submitted between them
 * ("# amdvi-plan: pages N waits M") for the host to compare.  hotplug=1
 * runs only the cases of an edu hot-added after iox-amd loaded
 * (hotplug_cases.h).
 */
#define pr_fmt(fmt) "iox-amdvi-dma: " fmt

#include <linux/module.h>

#define IOX_T_REPORT(t, line, vaf) pr_info("# line %d: %pV\n", line, vaf)
#define IOX_T_SKIP(t, reason) do { } while (0)
#include "../../../../drivers/iommu/iox/tests/amdvi_dma_cases.h"
#include "../../../../drivers/iommu/iox/amd/cmd.h"
#include "hotplug_cases.h"

static bool markers;
module_param(markers, bool, 0444);
MODULE_PARM_DESC(markers, "bracket the precision case with trace markers");

static bool polled;
module_param(polled, bool, 0444);
MODULE_PARM_DESC(polled, "iox-amd polls the event log (event_irq=0)");

static bool hotplug;
module_param(hotplug, bool, 0444);
MODULE_PARM_DESC(hotplug, "edu was hot-added after iox-amd loaded: run the hotplug cases");

#define MARKER_DEVID	0xfffe

static struct iox_unit *held_unit;
static struct iox_domain *held;

/* With @detached, the case runs with edu in no domain (the state since load). */
static const struct {
	const char *name;
	void (*run)(struct iox_dma_test *t);
	bool detached;
} cases[] = {
	{ "blocked_from_load", iox_dma_case_blocked_from_load, true },
	{ "mapped_roundtrip", iox_dma_case_mapped_roundtrip },
	{ "unmapped_faults", iox_dma_case_unmapped_faults },
	{ "strict_unmap", iox_dma_case_strict_unmap },
	{ "read_only", iox_dma_case_read_only },
	{ "lookup", iox_dma_case_lookup },
	{ "device_table", iox_amdvi_dma_case_device_table },
	{ "levels_refused", iox_amdvi_dma_case_levels_refused },
	{ "alias_refused", iox_amdvi_dma_case_alias_refused },
	{ "inval_precision", iox_amdvi_dma_case_inval_precision },
	{ "map_invalidation", iox_amdvi_dma_case_map_invalidation },
	{ "event_log", iox_amdvi_dma_case_event_log },
	{ "event_irq", iox_amdvi_dma_case_event_irq },
	{ "dma_api_strict", iox_dma_case_dma_api_strict },
	{ "dma_api_lazy", iox_dma_case_dma_api_lazy },
	{ "sync_error_keeps_tables", iox_dma_case_sync_error_keeps_tables },
	{ "attach_race", iox_dma_case_attach_race },
	{ "attach_detach_stress", iox_dma_case_attach_detach_stress },
	{ "unbind_blocks", iox_dma_case_unbind_blocks },
	{ "detach_blocks", iox_dma_case_detach_blocks },
	{ "probe_failure_blocks", iox_dma_case_probe_failure_blocks },
	{ "detach_failure_keeps_entry", iox_dma_case_detach_failure_keeps_entry },
};

/* INVALIDATE_DEVTAB_ENTRY of a device id no device has, and its wait. */
static void iox_amdvi_marker(struct iox_dma_test *t)
{
	struct iox_amdvi_cmd c = {
		.lo = FIELD_PREP(AMDVI_CMD_OPCODE, AMDVI_CMD_INV_DEVTAB_ENTRY) | MARKER_DEVID,
	};

	iox_amdvi_cmd_submit(t_amdvi(t), &c, 1);
}

static void iox_amdvi_run_case(struct iox_dma_test *t, unsigned int i)
{
	bool precision = cases[i].run == iox_amdvi_dma_case_inval_precision;
	struct iox_amdvi_cmdbuf *cmd;
	u64 pages, waits;

	if (!(precision && markers)) {
		cases[i].run(t);
		return;
	}
	cmd = &t_amdvi(t)->cmd;
	iox_amdvi_marker(t);
	pages = cmd->nr_inv[AMDVI_INV_PAGES] + cmd->nr_inv[AMDVI_INV_DOMAIN];
	waits = cmd->nr_waits;
	cases[i].run(t);
	pages = cmd->nr_inv[AMDVI_INV_PAGES] + cmd->nr_inv[AMDVI_INV_DOMAIN] - pages;
	waits = cmd->nr_waits - waits;
	iox_amdvi_marker(t);
	pr_info("# amdvi-plan: pages %llu waits %llu\n", pages, waits);
}

static int __init iox_amdvi_dma_test_init(void)
{
	struct iox_dma_test *t;
	unsigned int i;
	int ret;

	t = kzalloc(sizeof(*t), GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	pr_info("KTAP version 1\n");
	if (hotplug) {
		iox_hotplug_test(t, &iox_amdvi_dma_backend);
		kfree(t);
		return 0;
	}
	pr_info("1..%zu\n", ARRAY_SIZE(cases) + 1);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		memset(t, 0, sizeof(*t));
		t->be = &iox_amdvi_dma_backend;
		t->polled = polled;
		t->detached = cases[i].detached;
		ret = iox_dma_test_setup(t);
		if (ret) {
			pr_info("# setup failed: %d\n", ret);
			pr_info("not ok %u %s\n", i + 1, cases[i].name);
			continue;
		}
		iox_amdvi_run_case(t, i);
		iox_dma_test_teardown(t);
		if (t->skip && !t->failed)
			pr_info("ok %u %s # SKIP %s\n", i + 1, cases[i].name, t->skip);
		else
			pr_info("%sok %u %s\n", t->failed ? "not " : "", i + 1, cases[i].name);
	}
	kfree(t);

	/* Hold a domain, so that unloading iox-amd must be refused. */
	held_unit = iox_unit_find("ivhd0");
	held = held_unit ? iox_domain_alloc(held_unit) : ERR_PTR(-ENODEV);
	pr_info("%sok %zu a domain can be held\n", IS_ERR(held) ? "not " : "",
		ARRAY_SIZE(cases) + 1);
	if (IS_ERR(held))
		held = NULL;
	return 0;
}

static void __exit iox_amdvi_dma_test_exit(void)
{
	if (held)
		iox_domain_free(held);
	if (held_unit)
		iox_unit_put(held_unit);
}

module_init(iox_amdvi_dma_test_init);
module_exit(iox_amdvi_dma_test_exit);

MODULE_DESCRIPTION("vmtest: DMA through iox on emulated AMD-Vi");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(IOX_TEST);
