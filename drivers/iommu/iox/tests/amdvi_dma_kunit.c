// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: real DMA through iox on (emulated) AMD-Vi, issued by QEMU's edu
 * device.  The cases are in amdvi_dma_cases.h and dma_cases.h, shared with
 * the vmtest module.  Without AMD-Vi hardware and edu the cases are
 * skipped, unless amdvi_dma_kunit.expected=1 makes that a failure
 * (qemu_configs/amdvi.py).
 */
#include <kunit/test.h>
#include <linux/moduleparam.h>

#define IOX_T_REPORT(t, line, vaf) \
	KUNIT_FAIL((struct kunit *)(t)->priv, "line %d: %pV", line, vaf)
#define IOX_T_SKIP(t, reason) \
	kunit_mark_skipped((struct kunit *)(t)->priv, "%s", reason)
#include "amdvi_dma_cases.h"

static bool expected;
module_param(expected, bool, 0444);
MODULE_PARM_DESC(expected, "the machine has emulated AMD-Vi and an edu device");

static int amdvi_dma_init(struct kunit *test)
{
	struct iox_dma_test *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	int ret;

	if (!t)
		return -ENOMEM;
	t->priv = test;
	t->be = &iox_amdvi_dma_backend;
	/* This case checks edu as it came up: without a driver, in no domain. */
	t->detached = !strcmp(test->name, "amdvi_dma_blocked_from_load");
	ret = iox_dma_test_setup(t);
	if (ret == -ENODEV && !expected)
		kunit_skip(test, "no AMD-Vi unit with an edu device behind it");
	if (ret)
		return ret;
	test->priv = t;
	return 0;
}

static void amdvi_dma_exit(struct kunit *test)
{
	if (test->priv)
		iox_dma_test_teardown(test->priv);
}

#define AMDVI_DMA_CASE(name, fn)					\
static void amdvi_dma_##name(struct kunit *test)			\
{									\
	fn(test->priv);							\
}

AMDVI_DMA_CASE(blocked_from_load, iox_dma_case_blocked_from_load)
AMDVI_DMA_CASE(mapped_roundtrip, iox_dma_case_mapped_roundtrip)
AMDVI_DMA_CASE(unmapped_faults, iox_dma_case_unmapped_faults)
AMDVI_DMA_CASE(strict_unmap, iox_dma_case_strict_unmap)
AMDVI_DMA_CASE(read_only, iox_dma_case_read_only)
AMDVI_DMA_CASE(lookup, iox_dma_case_lookup)
AMDVI_DMA_CASE(device_table, iox_amdvi_dma_case_device_table)
AMDVI_DMA_CASE(levels_refused, iox_amdvi_dma_case_levels_refused)
AMDVI_DMA_CASE(alias_refused, iox_amdvi_dma_case_alias_refused)
AMDVI_DMA_CASE(inval_precision, iox_amdvi_dma_case_inval_precision)
AMDVI_DMA_CASE(map_invalidation, iox_amdvi_dma_case_map_invalidation)
AMDVI_DMA_CASE(event_log, iox_amdvi_dma_case_event_log)
AMDVI_DMA_CASE(event_irq, iox_amdvi_dma_case_event_irq)
AMDVI_DMA_CASE(dma_api_strict, iox_dma_case_dma_api_strict)
AMDVI_DMA_CASE(dma_api_lazy, iox_dma_case_dma_api_lazy)
AMDVI_DMA_CASE(sync_error_keeps_tables, iox_dma_case_sync_error_keeps_tables)
AMDVI_DMA_CASE(attach_race, iox_dma_case_attach_race)
AMDVI_DMA_CASE(attach_detach_stress, iox_dma_case_attach_detach_stress)
AMDVI_DMA_CASE(unbind_blocks, iox_dma_case_unbind_blocks)
AMDVI_DMA_CASE(detach_blocks, iox_dma_case_detach_blocks)
AMDVI_DMA_CASE(probe_failure_blocks, iox_dma_case_probe_failure_blocks)
AMDVI_DMA_CASE(detach_failure_keeps_entry, iox_dma_case_detach_failure_keeps_entry)

static struct kunit_case iox_amdvi_dma_cases[] = {
	KUNIT_CASE(amdvi_dma_blocked_from_load),
	KUNIT_CASE(amdvi_dma_mapped_roundtrip),
	KUNIT_CASE(amdvi_dma_unmapped_faults),
	KUNIT_CASE(amdvi_dma_strict_unmap),
	KUNIT_CASE(amdvi_dma_read_only),
	KUNIT_CASE(amdvi_dma_lookup),
	KUNIT_CASE(amdvi_dma_device_table),
	KUNIT_CASE(amdvi_dma_levels_refused),
	KUNIT_CASE(amdvi_dma_alias_refused),
	KUNIT_CASE(amdvi_dma_inval_precision),
	KUNIT_CASE(amdvi_dma_map_invalidation),
	KUNIT_CASE(amdvi_dma_event_log),
	KUNIT_CASE(amdvi_dma_event_irq),
	KUNIT_CASE(amdvi_dma_dma_api_strict),
	KUNIT_CASE(amdvi_dma_dma_api_lazy),
	KUNIT_CASE(amdvi_dma_sync_error_keeps_tables),
	KUNIT_CASE(amdvi_dma_attach_race),
	KUNIT_CASE(amdvi_dma_attach_detach_stress),
	KUNIT_CASE(amdvi_dma_unbind_blocks),
	KUNIT_CASE(amdvi_dma_detach_blocks),
	KUNIT_CASE(amdvi_dma_probe_failure_blocks),
	KUNIT_CASE(amdvi_dma_detach_failure_keeps_entry),
	{}
};

static struct kunit_suite iox_amdvi_dma_suite = {
	.name = "iox-hw-amdvi-dma",
	.init = amdvi_dma_init,
	.exit = amdvi_dma_exit,
	.test_cases = iox_amdvi_dma_cases,
};

kunit_test_suite(iox_amdvi_dma_suite);

MODULE_DESCRIPTION("KUnit tests of DMA through iox on (emulated) AMD-Vi");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(IOX_TEST);
