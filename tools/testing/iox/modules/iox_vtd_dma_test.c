// SPDX-License-Identifier: GPL-2.0
/*
 * vmtest module: real DMA through iox on emulated VT-d, in the stock
 * kernel (which has no KUnit).  Runs the cases of vtd_dma_cases.h at load
 * and prints KTAP lines prefixed "iox-vtd-dma: " for the guest script to
 * pass on.  It keeps one domain allocated while loaded, so that unloading
 * iox-intel under it can be tried.
 *
 * Module parameters: markers=1 brackets the invalidation-precision case
 * with device-selective context-cache invalidations of source id 0xfffe
 * (ff:1f.6, no device), which the host finds in QEMU's trace of
 * invalidation descriptors.  mark=1 only issues one such marker and
 * stays loaded doing nothing, for scripts that bracket their own work.
 */
#define pr_fmt(fmt) "iox-vtd-dma: " fmt

#include <linux/module.h>

#define IOX_T_REPORT(t, line, vaf) pr_info("# line %d: %pV\n", line, vaf)
#define IOX_T_SKIP(t, reason) do { } while (0)
#include "../../../../drivers/iommu/iox/tests/vtd_dma_cases.h"
#include "hotplug_cases.h"

static bool markers;
module_param(markers, bool, 0444);
MODULE_PARM_DESC(markers, "bracket the precision case with trace markers");

static bool mark;
module_param(mark, bool, 0444);
MODULE_PARM_DESC(mark, "issue one trace marker, run no case");

static bool polled;
module_param(polled, bool, 0444);
MODULE_PARM_DESC(polled, "iox-intel polls for faults (fault_irq=0)");

static bool aliased;
module_param(aliased, bool, 0444);
MODULE_PARM_DESC(aliased, "edu sits behind a conventional PCI bridge: run the alias cases");

static bool hotplug;
module_param(hotplug, bool, 0444);
MODULE_PARM_DESC(hotplug, "edu was hot-added after iox-intel loaded: run the hotplug cases");

#define MARKER_SID	0xfffe

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
	{ "fault_delivery", iox_dma_case_fault_delivery },
	{ "phys_beyond_haw", iox_dma_case_phys_beyond_haw },
	{ "inval_precision", iox_dma_case_inval_precision },
	{ "map_invalidation", iox_dma_case_map_invalidation },
	{ "attach_from_blocked", iox_dma_case_attach_from_blocked },
	{ "qi_recovery", iox_dma_case_qi_recovery },
	{ "dma_api_strict", iox_dma_case_dma_api_strict },
	{ "dma_api_lazy", iox_dma_case_dma_api_lazy },
	{ "sync_error_keeps_tables", iox_dma_case_sync_error_keeps_tables },
	{ "attach_race", iox_dma_case_attach_race },
	{ "attach_detach_stress", iox_dma_case_attach_detach_stress },
	{ "free_during_fault", iox_dma_case_free_during_fault },
	{ "fault_storm_free", iox_dma_case_fault_storm_free },
	{ "unbind_blocks", iox_dma_case_unbind_blocks },
	{ "detach_blocks", iox_dma_case_detach_blocks },
	{ "probe_failure_blocks", iox_dma_case_probe_failure_blocks },
	{ "dma_api_detach_failure", iox_dma_case_dma_api_detach_failure },
	{ "detach_failure_keeps_entry", iox_dma_case_detach_failure_keeps_entry },
};

/* Whether edu's DMA reaches memory at physical addresses (pass-through). */
static bool __init iox_edu_untranslated(struct iox_dma_test *t)
{
	struct page *page = alloc_page(GFP_KERNEL);
	bool ok = page && !iox_edu_open(&t->edu);

	if (ok) {
		memset(page_address(page), 0x3c, T_LEN);
		ok = !iox_edu_dma(&t->edu, page_to_phys(page), 0, T_LEN, false);
		memset(page_address(page), 0, T_LEN);
		ok = ok && !iox_edu_dma(&t->edu, page_to_phys(page) + T_LEN, 0, T_LEN, true);
		ok = ok && !memchr_inv(page_address(page) + T_LEN, 0x3c, T_LEN);
		iox_edu_close(&t->edu);
	}
	if (page)
		__free_page(page);
	return ok;
}

/*
 * edu behind a conventional PCI bridge: its DMA carries the bridge's
 * requester id, shared by all devices behind the bridge.  Attaching it is
 * refused, and its DMA passes untranslated as before iox was loaded.
 */
static void __init iox_vtd_alias_test(struct iox_dma_test *t)
{
	int ret;

	pr_info("1..2\n");
	t->be = &iox_vtd_dma_backend;
	ret = iox_dma_test_setup(t);
	if (!ret)
		iox_dma_test_teardown(t);
	pr_info("# attach gave %d\n", ret);
	pr_info("%sok 1 attaching a device with a shared requester id is refused\n",
		ret == -EOPNOTSUPP ? "" : "not ");

	memset(t, 0, sizeof(*t));
	pr_info("%sok 2 its DMA passes untranslated\n", iox_edu_untranslated(t) ? "" : "not ");
}

/* One marker in QEMU's trace, on the unit "dmar0". */
static int __init iox_vtd_dma_mark(void)
{
	struct iox_unit *unit = iox_unit_find("dmar0");
	int ret;

	if (!unit)
		return -ENODEV;
	ret = iox_vtd_inv_context(to_vtd_unit(unit), VTD_INV_DEVICE, 0, MARKER_SID);
	iox_unit_put(unit);
	return ret;
}

static int __init iox_vtd_dma_test_init(void)
{
	struct iox_dma_test *t;
	unsigned int i;
	int ret;

	if (mark)
		return iox_vtd_dma_mark();
	t = kzalloc(sizeof(*t), GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	pr_info("KTAP version 1\n");
	if (aliased || hotplug) {
		if (aliased)
			iox_vtd_alias_test(t);
		else
			iox_hotplug_test(t, &iox_vtd_dma_backend);
		kfree(t);
		return 0;
	}
	pr_info("1..%zu\n", ARRAY_SIZE(cases) + 1);
	for (i = 0; i < ARRAY_SIZE(cases); i++) {
		bool precision = cases[i].run == iox_dma_case_inval_precision;

		memset(t, 0, sizeof(*t));
		t->be = &iox_vtd_dma_backend;
		t->polled = polled;
		t->detached = cases[i].detached;
		ret = iox_dma_test_setup(t);
		if (ret) {
			pr_info("# setup failed: %d\n", ret);
			pr_info("not ok %u %s\n", i + 1, cases[i].name);
			continue;
		}
		if (precision && markers)
			iox_vtd_inv_context(t_vtd(t), VTD_INV_DEVICE, 0, MARKER_SID);
		cases[i].run(t);
		if (precision && markers)
			iox_vtd_inv_context(t_vtd(t), VTD_INV_DEVICE, 0, MARKER_SID);
		iox_dma_test_teardown(t);
		if (t->skip && !t->failed)
			pr_info("ok %u %s # SKIP %s\n", i + 1, cases[i].name, t->skip);
		else
			pr_info("%sok %u %s\n", t->failed ? "not " : "", i + 1, cases[i].name);
	}
	kfree(t);

	/* Hold the unit and a domain: unloading iox-intel must be refused. */
	held_unit = iox_unit_find("dmar0");
	held = held_unit ? iox_domain_alloc(held_unit) : ERR_PTR(-ENODEV);
	pr_info("%sok %zu a unit and a domain can be held\n", IS_ERR(held) ? "not " : "",
		ARRAY_SIZE(cases) + 1);
	if (IS_ERR(held))
		held = NULL;
	return 0;
}

static void __exit iox_vtd_dma_test_exit(void)
{
	if (held)
		iox_domain_free(held);
	if (held_unit)
		iox_unit_put(held_unit);
}

module_init(iox_vtd_dma_test_init);
module_exit(iox_vtd_dma_test_exit);

MODULE_DESCRIPTION("vmtest: DMA through iox on emulated VT-d");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(IOX_TEST);
