/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The allocation-failure sweep shared by the iox KUnit suites: run an
 * operation with its 1st, 2nd, ... allocation failed in turn (the task's
 * fail-nth counter of the fault-injection framework, which counts iox's
 * allocation sites, see iox_should_fail_alloc()) until it runs with none
 * failed, checking after every failed run that the state is as before.
 */
#ifndef _IOX_TESTS_FAIL_NTH_H
#define _IOX_TESTS_FAIL_NTH_H

#include <kunit/test.h>
#include <linux/sched.h>

#define SWEEP_MAX	256

/**
 * struct sweep - one operation to sweep
 * @name: for the report
 * @run: the operation; 0 or a negative errno
 * @undo: after a run that succeeded, bring the state back for the next
 * @check: after a run that failed, expect the state as it was before
 * @snap: take the state that @check compares with
 */
struct sweep {
	const char *name;
	int (*run)(struct kunit *test);
	void (*undo)(struct kunit *test);
	void (*snap)(struct kunit *test);
	void (*check)(struct kunit *test);
};

/* The task's fail-nth counter: fail its n-th check of a fault attribute. */
static inline void fail_nth_set(unsigned int n)
{
#ifdef CONFIG_FAULT_INJECTION
	current->fail_nth = n;
#endif
}

static inline unsigned int fail_nth_get(void)
{
#ifdef CONFIG_FAULT_INJECTION
	return current->fail_nth;
#else
	return 0;
#endif
}

/*
 * Fail the n-th allocation for n = 1, 2, ... until the operation makes
 * fewer than n, which it must then survive.  Returns the number of
 * allocation sites the operation reached.
 */
static inline unsigned int sweep_run(struct kunit *test, const struct sweep *op)
{
	unsigned int n, left;
	int ret;

	for (n = 1; n <= SWEEP_MAX; n++) {
		op->snap(test);
		fail_nth_set(n);
		ret = op->run(test);
		left = fail_nth_get();
		fail_nth_set(0);
		if (left) {
			KUNIT_EXPECT_EQ_MSG(test, ret, 0, "%s: failed without an injected failure",
					    op->name);
			if (!ret)
				op->undo(test);
			kunit_info(test, "fail_nth: %s: %u allocation site(s) failed in turn\n",
				   op->name, n - 1);
			return n - 1;
		}
		if (!ret) {
			/* The failed allocation was optional: it went on. */
			op->undo(test);
			continue;
		}
		KUNIT_EXPECT_EQ_MSG(test, ret, -ENOMEM, "%s: allocation %u", op->name, n);
		op->check(test);
	}
	KUNIT_FAIL(test, "%s: still failing after %u allocations", op->name, SWEEP_MAX);
	return SWEEP_MAX;
}

#endif /* _IOX_TESTS_FAIL_NTH_H */
