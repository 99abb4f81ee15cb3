/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The allocation-failure sweep of a backend's bring-up (fail_nth.h): take
 * the backend's units down, then bring them up with the 1st, 2nd, ...
 * allocation failed in turn.  After each failure no unit of the backend
 * is registered, its debugfs directory is gone and the hardware is off,
 * as before the bring-up; at the end the units are up again for the
 * tests that follow.  Nothing may hold a domain or a reference of the
 * backend's units meanwhile.
 */
#ifndef _IOX_TESTS_BRINGUP_SWEEP_H
#define _IOX_TESTS_BRINGUP_SWEEP_H

#include <kunit/test.h>
#include <linux/debugfs.h>
#include <linux/io.h>
#include <linux/iox.h>

#include "fail_nth.h"

/**
 * struct bringup_sweep - a backend whose bring-up is swept
 * @backend: the backend
 * @unit: the name of its first unit
 * @regs_phys: where that unit's registers are
 * @regs_size: their size
 * @hw_on: whether the unit at @regs is enabled
 * @expected: the machine has the unit: its absence is a failure, not a skip
 * @min_sites: the allocation sites the sweep must reach at least
 * @regs: the unit's registers, mapped by bringup_sweep_case()
 */
struct bringup_sweep {
	const struct iox_backend *backend;
	const char *unit;
	phys_addr_t (*regs_phys)(struct iox_unit *unit);
	size_t regs_size;
	bool (*hw_on)(void __iomem *regs);
	bool expected;
	unsigned int min_sites;
	void __iomem *regs;
};

static struct bringup_sweep *bringup;

static inline int bringup_run(struct kunit *test)
{
	return iox_backend_probe(bringup->backend);
}

static inline void bringup_undo(struct kunit *test)
{
	KUNIT_EXPECT_TRUE(test, bringup->hw_on(bringup->regs));
	iox_backend_remove(bringup->backend);
}

static inline void bringup_snap(struct kunit *test)
{
}

/* No unit, no debugfs directory, the hardware off. */
static inline void bringup_check(struct kunit *test)
{
	struct iox_unit *unit = iox_unit_find(bringup->unit);
	struct dentry *root = debugfs_lookup("iox", NULL), *dir = NULL;

	KUNIT_EXPECT_NULL(test, unit);
	if (unit)
		iox_unit_put(unit);
	if (!IS_ERR_OR_NULL(root)) {
		dir = debugfs_lookup(bringup->unit, root);
		dput(root);
	}
	KUNIT_EXPECT_TRUE(test, IS_ERR_OR_NULL(dir));
	if (!IS_ERR_OR_NULL(dir))
		dput(dir);
	KUNIT_EXPECT_FALSE(test, bringup->hw_on(bringup->regs));
}

/*
 * Sweep @b's bring-up; returns the number of allocation sites it covered.
 * The caller has mapped @b->regs and leaves the units up afterwards.
 */
static inline unsigned int sweep_bringup(struct kunit *test, struct bringup_sweep *b)
{
	const struct sweep op = {
		b->backend->hw, bringup_run, bringup_undo, bringup_snap, bringup_check,
	};
	unsigned int n;

	bringup = b;
	iox_backend_remove(b->backend);
	bringup_check(test);
	n = sweep_run(test, &op);
	KUNIT_EXPECT_EQ(test, iox_backend_probe(b->backend), 0);
	KUNIT_EXPECT_TRUE(test, b->hw_on(b->regs));
	return n;
}

/*
 * The whole test case: find the backend's first unit (skipped without it,
 * unless @b->expected), map its registers and sweep its bring-up.
 */
static inline void bringup_sweep_case(struct kunit *test, struct bringup_sweep *b)
{
	struct iox_unit *unit;

	if (!IS_ENABLED(CONFIG_IOX_FAULT_INJECTION))
		kunit_skip(test, "needs CONFIG_IOX_FAULT_INJECTION");
	unit = iox_unit_find(b->unit);
	if (!unit) {
		if (b->expected)
			KUNIT_FAIL(test, "no %s unit", b->backend->hw);
		kunit_skip(test, "no %s unit", b->backend->hw);
	}
	b->regs = ioremap(b->regs_phys(unit), b->regs_size);
	iox_unit_put(unit);
	KUNIT_ASSERT_TRUE(test, b->regs);
	KUNIT_EXPECT_GE(test, sweep_bringup(test, b), b->min_sites);
	iounmap(b->regs);
}

#endif /* _IOX_TESTS_BRINGUP_SWEEP_H */
