// SPDX-License-Identifier: GPL-2.0
/*
 * iox VT-d backend: the global command protocol (VT-d specification 10.4.4
 * and 10.4.5).  A command is written to GCMD and completes when GSTS shows
 * its effect.
 *
 * GCMD is not a set of independent bits: hardware re-evaluates every enable
 * (TE, QIE, IRE, CFI) on each write, so a write carries the enables that
 * are on now plus the change, and never re-issues a one-shot command (SRTP,
 * WBF) by accident.
 */
#define pr_fmt(fmt) "iox-intel: " fmt

#include <linux/io.h>
#include <linux/iopoll.h>

#include "vtd.h"

/* Commands complete in hardware time; a second is far beyond any of it. */
#define VTD_GCMD_TIMEOUT_US	1000000

/* Wait until (GSTS & @mask) == @want. */
static int iox_vtd_gsts_wait(struct iox_vtd_unit *vtd, u32 mask, u32 want,
			     const char *what)
{
	u32 gsts;
	int ret;

	ret = readl_poll_timeout_atomic(vtd->regs + VTD_GSTS_REG, gsts,
					(gsts & mask) == want, 1, VTD_GCMD_TIMEOUT_US);
	if (ret)
		pr_err("%s: %s timed out (GSTS %#x)\n", vtd->unit.name, what, gsts);
	return ret;
}

/*
 * Write a command: the enables that are on now, less @clear, plus @set;
 * then wait until (GSTS & @mask) == @want.  The read-modify-write and the
 * wait run under the register lock, so that no other command (or
 * register-based invalidation) interleaves.
 */
static int iox_vtd_gcmd_locked(struct iox_vtd_unit *vtd, u32 set, u32 clear, u32 mask,
			       u32 want, const char *what)
{
	u32 cur;

	lockdep_assert_held(&vtd->reg_lock);
	cur = readl(vtd->regs + VTD_GSTS_REG) & VTD_GSTS_PERSISTENT;
	writel((cur & ~clear) | set, vtd->regs + VTD_GCMD_REG);
	return iox_vtd_gsts_wait(vtd, mask, want, what);
}

/**
 * iox_vtd_gcmd_enable() - turn a persistent function of the unit on or off
 * @vtd: the unit
 * @bit: VTD_GSTS_TES or VTD_GSTS_QIES
 * @on: the state wanted
 *
 * Return: 0, or -ETIMEDOUT if the status did not follow.
 */
int iox_vtd_gcmd_enable(struct iox_vtd_unit *vtd, u32 bit, bool on)
{
	unsigned long flags;
	int ret;

	raw_spin_lock_irqsave(&vtd->reg_lock, flags);
	ret = iox_vtd_gcmd_locked(vtd, on ? bit : 0, on ? 0 : bit, bit, on ? bit : 0,
				  bit == VTD_GSTS_TES ? "translation enable" :
				  "queued invalidation enable");
	raw_spin_unlock_irqrestore(&vtd->reg_lock, flags);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(iox_vtd_gcmd_enable, IOX_TEST);

/**
 * iox_vtd_gcmd_set_root() - latch the root table address
 * @vtd: the unit
 * @root: physical address of the root table
 *
 * Latching the root table resets the unit's context cache and IOTLB in
 * some implementations but not all: the caller invalidates both globally
 * afterwards.
 *
 * Return: 0, or -ETIMEDOUT.
 */
int iox_vtd_gcmd_set_root(struct iox_vtd_unit *vtd, phys_addr_t root)
{
	unsigned long flags;
	int ret;

	raw_spin_lock_irqsave(&vtd->reg_lock, flags);
	writeq(root, vtd->regs + VTD_RTADDR_REG);
	ret = iox_vtd_gcmd_locked(vtd, VTD_GSTS_RTPS, 0, VTD_GSTS_RTPS, VTD_GSTS_RTPS,
				  "root table pointer set");
	raw_spin_unlock_irqrestore(&vtd->reg_lock, flags);
	return ret;
}

/**
 * iox_vtd_flush_write_buffer() - drain the unit's write buffer
 * @vtd: the unit
 *
 * Units with CAP.RWBF may hold table updates in an internal write buffer;
 * it must be flushed before they look at changed entries.  A no-op for
 * other units.  May be called in any context.
 *
 * Return: 0, or -ETIMEDOUT.
 */
int iox_vtd_flush_write_buffer(struct iox_vtd_unit *vtd)
{
	unsigned long flags;
	int ret;

	if (!vtd->caps.rwbf)
		return 0;
	raw_spin_lock_irqsave(&vtd->reg_lock, flags);
	ret = iox_vtd_gcmd_locked(vtd, VTD_GSTS_WBFS, 0, VTD_GSTS_WBFS, 0,
				  "write buffer flush");
	raw_spin_unlock_irqrestore(&vtd->reg_lock, flags);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(iox_vtd_flush_write_buffer, IOX_TEST);
