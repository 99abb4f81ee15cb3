// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: real DMA through iox on (emulated) VT-d, issued by QEMU's edu
 * device.  The cases are in vtd_dma_cases.h, shared with the vmtest module.
 * Without VT-d hardware and edu the cases are skipped, unless
 * vtd_dma_kunit.expected=1 makes that a failure (qemu_configs/vtd.py).
 */
#include <kunit/test.h>
#include <linux/moduleparam.h>

#define IOX_T_REPORT(t, line, vaf) \
	KUNIT_FAIL((struct kunit *)(t)->priv, "line %d: %pV", line, vaf)
#define IOX_T_SKIP(t, reason) \
	kunit_mark_skipped((struct kunit *)(t)->priv, "%s", reason)
#include "vtd_dma_cases.h"

static bool expected;
module_param(expected, bool, 0444);
MODULE_PARM_DESC(expected, "the machine has emulated VT-d and an edu device");

static bool polled;
module_param(polled, bool, 0444);
MODULE_PARM_DESC(polled, "iox-intel polls for faults (fault_irq=0)");

static int vtd_dma_init(struct kunit *test)
{
	struct iox_dma_test *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	int ret;

	if (!t)
		return -ENOMEM;
	t->priv = test;
	t->be = &iox_vtd_dma_backend;
	t->polled = polled;
	/* This case checks edu as it came up: without a driver, in no domain. */
	t->detached = !strcmp(test->name, "vtd_dma_blocked_from_load");
	ret = iox_dma_test_setup(t);
	if (ret == -ENODEV && !expected)
		kunit_skip(test, "no VT-d unit with an edu device behind it");
	if (ret)
		return ret;
	test->priv = t;
	return 0;
}

static void vtd_dma_exit(struct kunit *test)
{
	if (test->priv)
		iox_dma_test_teardown(test->priv);
}

#define VTD_DMA_CASE(name)						\
static void vtd_dma_##name(struct kunit *test)				\
{									\
	iox_dma_case_##name(test->priv);				\
}

VTD_DMA_CASE(blocked_from_load)
VTD_DMA_CASE(mapped_roundtrip)
VTD_DMA_CASE(unmapped_faults)
VTD_DMA_CASE(strict_unmap)
VTD_DMA_CASE(read_only)
VTD_DMA_CASE(lookup)
VTD_DMA_CASE(fault_delivery)
VTD_DMA_CASE(phys_beyond_haw)
VTD_DMA_CASE(inval_precision)
VTD_DMA_CASE(map_invalidation)
VTD_DMA_CASE(attach_from_blocked)
VTD_DMA_CASE(qi_recovery)
VTD_DMA_CASE(dma_api_strict)
VTD_DMA_CASE(dma_api_lazy)
VTD_DMA_CASE(sync_error_keeps_tables)
VTD_DMA_CASE(attach_race)
VTD_DMA_CASE(attach_detach_stress)
VTD_DMA_CASE(free_during_fault)
VTD_DMA_CASE(fault_storm_free)
VTD_DMA_CASE(unbind_blocks)
VTD_DMA_CASE(detach_blocks)
VTD_DMA_CASE(probe_failure_blocks)
VTD_DMA_CASE(dma_api_detach_failure)
VTD_DMA_CASE(detach_failure_keeps_entry)

static struct kunit_case iox_vtd_dma_cases[] = {
	KUNIT_CASE(vtd_dma_blocked_from_load),
	KUNIT_CASE(vtd_dma_mapped_roundtrip),
	KUNIT_CASE(vtd_dma_unmapped_faults),
	KUNIT_CASE(vtd_dma_strict_unmap),
	KUNIT_CASE(vtd_dma_read_only),
	KUNIT_CASE(vtd_dma_lookup),
	KUNIT_CASE(vtd_dma_fault_delivery),
	KUNIT_CASE(vtd_dma_phys_beyond_haw),
	KUNIT_CASE(vtd_dma_inval_precision),
	KUNIT_CASE(vtd_dma_map_invalidation),
	KUNIT_CASE(vtd_dma_attach_from_blocked),
	KUNIT_CASE(vtd_dma_qi_recovery),
	KUNIT_CASE(vtd_dma_dma_api_strict),
	KUNIT_CASE(vtd_dma_dma_api_lazy),
	KUNIT_CASE(vtd_dma_sync_error_keeps_tables),
	KUNIT_CASE(vtd_dma_attach_race),
	KUNIT_CASE(vtd_dma_attach_detach_stress),
	KUNIT_CASE(vtd_dma_free_during_fault),
	KUNIT_CASE(vtd_dma_fault_storm_free),
	KUNIT_CASE(vtd_dma_unbind_blocks),
	KUNIT_CASE(vtd_dma_detach_blocks),
	KUNIT_CASE(vtd_dma_probe_failure_blocks),
	KUNIT_CASE(vtd_dma_dma_api_detach_failure),
	KUNIT_CASE(vtd_dma_detach_failure_keeps_entry),
	{}
};

static struct kunit_suite iox_vtd_dma_suite = {
	.name = "iox-hw-vtd-dma",
	.init = vtd_dma_init,
	.exit = vtd_dma_exit,
	.test_cases = iox_vtd_dma_cases,
};

kunit_test_suite(iox_vtd_dma_suite);

MODULE_DESCRIPTION("KUnit tests of DMA through iox on (emulated) VT-d");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(IOX_TEST);
