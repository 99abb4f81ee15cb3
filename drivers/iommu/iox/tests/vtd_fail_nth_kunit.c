// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit allocation-failure sweeps on (emulated) VT-d: domain allocation
 * and attaching QEMU's edu device, each run with its 1st, 2nd, ...
 * allocation failed until it succeeds (fail_nth.h).  After each failure
 * the device is not attached, the domain has no device and no unit, and
 * DMA-free state is as before; KASAN and lockdep watch the unwinding.
 * The bring-up of the units is swept the same way (bringup_sweep.h).
 * Without VT-d hardware and edu
 * the cases are skipped, unless vtd_fail_nth_kunit.expected=1 makes that a
 * failure.
 */
#include <kunit/test.h>
#include <linux/io.h>
#include <linux/iox.h>
#include <linux/moduleparam.h>
#include <linux/pci.h>
#include <linux/string.h>

#include "../intel/vtd.h"
#include "bringup_sweep.h"
#include "edu.h"

static bool expected;
module_param(expected, bool, 0444);
MODULE_PARM_DESC(expected, "the machine has emulated VT-d and an edu device");

static struct pci_dev *edu;
static struct iox_unit *unit;
static struct iox_domain *dom, *new_dom;
static int probe_id;

static int run_domain_alloc(struct kunit *test)
{
	new_dom = iox_domain_alloc(unit);
	return IS_ERR(new_dom) ? PTR_ERR(new_dom) : 0;
}

static void undo_domain_alloc(struct kunit *test)
{
	/* The lowest free id: no failed attempt kept one. */
	KUNIT_EXPECT_EQ(test, new_dom->id, probe_id);
	KUNIT_EXPECT_EQ(test, iox_domain_free(new_dom), 0);
}

static void snap_nothing(struct kunit *test)
{
}

static int run_attach(struct kunit *test)
{
	return iox_attach_device(dom, &edu->dev);
}

static void undo_attach(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, iox_detach_device(dom, &edu->dev), 0);
}

static void check_attach(struct kunit *test)
{
	struct iox_pgtable_info info;

	KUNIT_EXPECT_NULL(test, iox_device_domain(&edu->dev));
	KUNIT_EXPECT_EQ(test, dom->nr_devices, 0U);
	KUNIT_ASSERT_EQ(test, iox_domain_pgtable_info(dom, &info), 0);
	KUNIT_EXPECT_EQ(test, info.pages_live, 1L);
}

static int vtd_fail_nth_init(struct kunit *test)
{
	if (!IS_ENABLED(CONFIG_IOX_FAULT_INJECTION))
		kunit_skip(test, "needs CONFIG_IOX_FAULT_INJECTION");
	edu = pci_get_device(EDU_VENDOR, EDU_DEVICE, NULL);
	unit = edu ? iox_unit_for_device(&edu->dev) : NULL;
	/* The same kernel boots on AMD-Vi: sweep VT-d units only. */
	if (unit && strncmp(unit->name, "dmar", 4)) {
		iox_unit_put(unit);
		unit = NULL;
	}
	if (!unit) {
		pci_dev_put(edu);
		edu = NULL;
		if (expected)
			KUNIT_FAIL(test, "no VT-d unit with an edu device behind it");
		kunit_skip(test, "no VT-d unit with an edu device behind it");
	}
	dom = iox_domain_alloc(unit);
	KUNIT_ASSERT_FALSE(test, IS_ERR(dom));
	return 0;
}

static void vtd_fail_nth_exit(struct kunit *test)
{
	if (!IS_ERR_OR_NULL(dom)) {
		if (iox_device_domain(&edu->dev) == dom)
			iox_detach_device(dom, &edu->dev);
		iox_domain_free(dom);
	}
	dom = NULL;
	if (unit)
		iox_unit_put(unit);
	unit = NULL;
	pci_dev_put(edu);
	edu = NULL;
}

static void vtd_fail_nth_domain_alloc(struct kunit *test)
{
	const struct sweep alloc = {
		"VT-d domain alloc", run_domain_alloc, undo_domain_alloc, snap_nothing,
		snap_nothing,
	};
	struct iox_domain *probe = iox_domain_alloc(unit);

	KUNIT_ASSERT_FALSE(test, IS_ERR(probe));
	probe_id = probe->id;
	KUNIT_ASSERT_EQ(test, iox_domain_free(probe), 0);
	/* The backend's domain and root table, the core's stats and id. */
	KUNIT_EXPECT_GE(test, sweep_run(test, &alloc), 4U);
}

static void vtd_fail_nth_attach(struct kunit *test)
{
	const struct sweep attach = {
		"VT-d attach", run_attach, undo_attach, snap_nothing, check_attach,
	};

	/* The core's device data, the domain's record and id on the unit. */
	KUNIT_EXPECT_GE(test, sweep_run(test, &attach), 3U);
}

static bool vtd_on(void __iomem *regs)
{
	return readl(regs + VTD_GSTS_REG) & (VTD_GSTS_TES | VTD_GSTS_QIES);
}

/*
 * Every allocation of the units' bring-up (the unit, its register
 * mapping, device scope, pass-through domain id, root and context tables,
 * invalidation queue) failed in turn (bringup_sweep.h).
 */
static phys_addr_t vtd_regs_phys(struct iox_unit *unit)
{
	return to_vtd_unit(unit)->reg_phys;
}

static void vtd_fail_nth_bringup(struct kunit *test)
{
	struct bringup_sweep b = {
		.backend = &iox_vtd_backend, .unit = "dmar0",
		.regs_phys = vtd_regs_phys, .regs_size = VTD_REG_SIZE,
		.hw_on = vtd_on, .expected = expected, .min_sites = 7,
	};

	bringup_sweep_case(test, &b);
}

static struct kunit_case vtd_fail_nth_cases[] = {
	KUNIT_CASE(vtd_fail_nth_domain_alloc),
	KUNIT_CASE(vtd_fail_nth_attach),
	{}
};

static struct kunit_suite vtd_fail_nth_suite = {
	.name = "iox-hw-vtd-fail-nth",
	.init = vtd_fail_nth_init,
	.exit = vtd_fail_nth_exit,
	.test_cases = vtd_fail_nth_cases,
};

static struct kunit_case vtd_bringup_fail_nth_cases[] = {
	KUNIT_CASE(vtd_fail_nth_bringup),
	{}
};

/* Without the other suite's init: nothing may hold a unit or a domain. */
static struct kunit_suite vtd_bringup_fail_nth_suite = {
	.name = "iox-hw-vtd-fail-nth-bringup",
	.test_cases = vtd_bringup_fail_nth_cases,
};

kunit_test_suites(&vtd_fail_nth_suite, &vtd_bringup_fail_nth_suite);

MODULE_DESCRIPTION("KUnit allocation-failure sweeps of iox on (emulated) VT-d");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(IOX_TEST);
