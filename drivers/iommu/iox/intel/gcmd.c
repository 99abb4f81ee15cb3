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
	u32 cur = readl(vtd->regs + VTD_GSTS_REG) & VTD_GSTS_PERSISTENT;

	writel(on ? cur | bit : cur & ~bit, vtd->regs + VTD_GCMD_REG);
	return iox_vtd_gsts_wait(vtd, bit, on ? bit : 0,
				 bit == VTD_GSTS_TES ? "translation enable" :
				 "queued invalidation enable");
}

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
	u32 cur = readl(vtd->regs + VTD_GSTS_REG) & VTD_GSTS_PERSISTENT;

	writeq(root, vtd->regs + VTD_RTADDR_REG);
	writel(cur | VTD_GSTS_RTPS, vtd->regs + VTD_GCMD_REG);
	return iox_vtd_gsts_wait(vtd, VTD_GSTS_RTPS, VTD_GSTS_RTPS, "root table pointer set");
}

/**
 * iox_vtd_flush_write_buffer() - drain the unit's write buffer
 * @vtd: the unit
 *
 * Units with CAP.RWBF may hold table updates in an internal write buffer;
 * it must be flushed before they look at changed entries.  A no-op for
 * other units.
 *
 * Return: 0, or -ETIMEDOUT.
 */
int iox_vtd_flush_write_buffer(struct iox_vtd_unit *vtd)
{
	u32 cur;

	if (!vtd->caps.rwbf)
		return 0;
	cur = readl(vtd->regs + VTD_GSTS_REG) & VTD_GSTS_PERSISTENT;
	writel(cur | VTD_GSTS_WBFS, vtd->regs + VTD_GCMD_REG);
	return iox_vtd_gsts_wait(vtd, VTD_GSTS_WBFS, 0, "write buffer flush");
}
