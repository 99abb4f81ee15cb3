// SPDX-License-Identifier: GPL-2.0
/*
 * iox fault injection: every allocation site of iox (the core, the
 * page-table library, the IOVA allocator and the backends) asks
 * iox_should_fail_alloc() first, so that the kernel's fault-injection
 * framework can fail it: through /sys/kernel/debug/iox/fail_alloc/ (the
 * usual probability, interval, times and task-filter attributes) or a
 * task's fail-nth counter, which fails the task's n-th check of any fault
 * attribute.  Tests fail each allocation of an operation in turn this way
 * and check that the operation leaves nothing behind.
 */
#include <linux/debugfs.h>
#include <linux/fault-inject.h>
#include <linux/iox.h>

#include "iox-internal.h"

static DECLARE_FAULT_ATTR(iox_fail_alloc_attr);

/**
 * iox_should_fail_alloc() - whether the next iox allocation is to fail
 *
 * Return: true if the kernel's fault-injection framework chose this
 * allocation to fail, through the "fail_alloc" attribute or the task's
 * fail-nth counter; the caller then fails as if memory were short.  Every
 * allocation site of iox and its backends asks this first.  Without
 * CONFIG_IOX_FAULT_INJECTION it is a constant false (include/linux/iox.h).
 */
bool iox_should_fail_alloc(void)
{
	return should_fail(&iox_fail_alloc_attr, 1);
}
EXPORT_SYMBOL_GPL(iox_should_fail_alloc);

void iox_fault_inject_init(struct dentry *root)
{
	/* Injected failures are expected: no stack dump per failure. */
	iox_fail_alloc_attr.verbose = 0;
	fault_create_debugfs_attr("fail_alloc", root, &iox_fail_alloc_attr);
}
