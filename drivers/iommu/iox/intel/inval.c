// SPDX-License-Identifier: GPL-2.0
/*
 * iox VT-d backend: context-cache and IOTLB invalidation, through the
 * invalidation queue when the unit has one (and it is not disabled with the
 * module parameter), through the CCMD and IOTLB registers otherwise.
 *
 * Hardware ignores register-based invalidation while queued invalidation
 * is on, so the choice is made once, at bring-up, and kept.
 */
#define pr_fmt(fmt) "iox-intel: " fmt

#include <linux/io.h>
#include <linux/iopoll.h>

#include "../inval_plan.h"
#include "vtd.h"

#define VTD_REG_INV_TIMEOUT_US	1000000

#define VTD_DESC_CC		1
#define VTD_DESC_IOTLB		2
#define VTD_DESC_G		GENMASK_ULL(5, 4)
#define VTD_DESC_DR		BIT_ULL(7)
#define VTD_DESC_DW		BIT_ULL(6)
#define VTD_DESC_DID		GENMASK_ULL(31, 16)
#define VTD_DESC_SID		GENMASK_ULL(47, 32)
#define VTD_DESC_FM		GENMASK_ULL(49, 48)
#define VTD_DESC_IH		BIT_ULL(6)
#define VTD_DESC_AM		GENMASK_ULL(5, 0)

#define VTD_CAP_DWD		BIT_ULL(54)
#define VTD_CAP_DRD		BIT_ULL(55)

static int iox_vtd_reg_poll(struct iox_vtd_unit *vtd, unsigned int reg, u64 busy,
			    const char *what)
{
	u64 val;
	int ret;

	ret = readq_poll_timeout_atomic(vtd->regs + reg, val, !(val & busy), 1,
					VTD_REG_INV_TIMEOUT_US);
	if (ret)
		pr_err("%s: %s invalidation timed out\n", vtd->unit.name, what);
	return ret;
}

/**
 * iox_vtd_inject_inv_errors() - make a unit's next invalidations fail
 * @vtd: the unit
 * @n: how many of its next submissions fail (0 stops)
 *
 * For tests of the error paths.  With queued invalidation each such batch
 * carries an invalid descriptor, so that hardware reports an error (IQE)
 * and the batch fails with -EIO although its other descriptors are
 * carried out; with register-based invalidation the invalidation is not
 * issued at all and fails with -EIO.
 */
void iox_vtd_inject_inv_errors(struct iox_vtd_unit *vtd, int n)
{
	atomic_set(&vtd->inject_inv_errors, n);
}
EXPORT_SYMBOL_NS_GPL(iox_vtd_inject_inv_errors, IOX_TEST);

/**
 * iox_vtd_inv_inject() - whether to fail this invalidation (a test hook)
 * @vtd: the unit
 *
 * Return: true once for each failure iox_vtd_inject_inv_errors() asked for.
 */
bool iox_vtd_inv_inject(struct iox_vtd_unit *vtd)
{
	return atomic_read(&vtd->inject_inv_errors) > 0 &&
	       atomic_dec_if_positive(&vtd->inject_inv_errors) >= 0;
}

/**
 * iox_vtd_inv_context() - invalidate context-cache entries
 * @vtd: the unit
 * @granularity: VTD_INV_GLOBAL, VTD_INV_DOMAIN or VTD_INV_DEVICE
 * @did: domain id, for domain and device granularity
 * @sid: source id (bus << 8 | devfn), for device granularity
 *
 * Return: 0 or a negative errno from the invalidation.
 */
int iox_vtd_inv_context(struct iox_vtd_unit *vtd, unsigned int granularity, u16 did,
			u16 sid)
{
	unsigned long flags;
	int ret;

	if (vtd->use_qi) {
		struct iox_vtd_desc desc = {
			.lo = VTD_DESC_CC | FIELD_PREP(VTD_DESC_G, granularity) |
			      FIELD_PREP(VTD_DESC_DID, did) | FIELD_PREP(VTD_DESC_SID, sid),
		};

		return iox_vtd_qi_submit(vtd, &desc, 1);
	}

	if (iox_vtd_inv_inject(vtd))
		return -EIO;
	raw_spin_lock_irqsave(&vtd->reg_lock, flags);
	writeq(VTD_CCMD_ICC | FIELD_PREP(VTD_CCMD_CIRG, granularity) |
	       FIELD_PREP(VTD_CCMD_SID, sid) | FIELD_PREP(VTD_CCMD_DID, did),
	       vtd->regs + VTD_CCMD_REG);
	ret = iox_vtd_reg_poll(vtd, VTD_CCMD_REG, VTD_CCMD_ICC, "context-cache");
	raw_spin_unlock_irqrestore(&vtd->reg_lock, flags);
	return ret;
}
EXPORT_SYMBOL_GPL(iox_vtd_inv_context);

static u64 iox_vtd_desc_drain(struct iox_vtd_unit *vtd)
{
	return (vtd->caps.cap & VTD_CAP_DRD ? VTD_DESC_DR : 0) |
	       (vtd->caps.cap & VTD_CAP_DWD ? VTD_DESC_DW : 0);
}

static struct iox_vtd_desc iox_vtd_iotlb_desc(struct iox_vtd_unit *vtd,
					      unsigned int granularity, u16 did,
					      u64 addr, unsigned int am, bool ih)
{
	return (struct iox_vtd_desc){
		.lo = VTD_DESC_IOTLB | FIELD_PREP(VTD_DESC_G, granularity) |
		      iox_vtd_desc_drain(vtd) | FIELD_PREP(VTD_DESC_DID, did),
		.hi = addr | (ih ? VTD_DESC_IH : 0) | FIELD_PREP(VTD_DESC_AM, am),
	};
}

/* Register-based IOTLB invalidation of one granule. */
static int iox_vtd_reg_iotlb(struct iox_vtd_unit *vtd, unsigned int granularity,
			     u16 did, u64 addr, unsigned int am, bool ih)
{
	unsigned int iro = vtd->caps.iotlb_reg_offset;
	unsigned long flags;
	int ret;

	if (iox_vtd_inv_inject(vtd))
		return -EIO;
	raw_spin_lock_irqsave(&vtd->reg_lock, flags);
	if (granularity == VTD_INV_PAGE)
		writeq(addr | (ih ? VTD_IVA_IH : 0) | FIELD_PREP(VTD_IVA_AM, am),
		       vtd->regs + VTD_IVA_REG(iro));
	writeq(VTD_IOTLB_IVT | FIELD_PREP(VTD_IOTLB_IIRG, granularity) |
	       ((vtd->caps.cap & VTD_CAP_DRD) ? VTD_IOTLB_DR : 0) |
	       ((vtd->caps.cap & VTD_CAP_DWD) ? VTD_IOTLB_DW : 0) |
	       FIELD_PREP(VTD_IOTLB_DID, did), vtd->regs + VTD_IOTLB_REG(iro));
	ret = iox_vtd_reg_poll(vtd, VTD_IOTLB_REG(iro), VTD_IOTLB_IVT, "IOTLB");
	raw_spin_unlock_irqrestore(&vtd->reg_lock, flags);
	return ret;
}

/**
 * iox_vtd_inv_iotlb() - invalidate the IOTLB globally or for a domain
 * @vtd: the unit
 * @granularity: VTD_INV_GLOBAL or VTD_INV_DOMAIN
 * @did: domain id, for domain granularity
 *
 * Return: 0 or a negative errno from the invalidation.
 */
int iox_vtd_inv_iotlb(struct iox_vtd_unit *vtd, unsigned int granularity, u16 did)
{
	struct iox_vtd_desc desc;

	vtd->nr_inv[granularity]++;
	if (!vtd->use_qi)
		return iox_vtd_reg_iotlb(vtd, granularity, did, 0, 0, false);
	desc = iox_vtd_iotlb_desc(vtd, granularity, did, 0, 0, false);
	return iox_vtd_qi_submit(vtd, &desc, 1);
}

/**
 * iox_vtd_inv_iotlb_range() - invalidate the IOTLB for an IOVA range
 * @vtd: the unit
 * @did: domain id
 * @start: first IOVA
 * @end: last IOVA, inclusive
 * @leaf_only: only leaf entries changed (no page-table page was freed), so
 *	cached upper-level entries may stay (the invalidation hint)
 *
 * The range is covered with the fewest page-selective invalidations
 * (iox_plan_inv_blocks()) and submitted as one batch with one wait.  If the
 * unit lacks page-selective invalidation, or more than VTD_MAX_PSI
 * descriptors would be needed, the whole domain is invalidated instead.
 *
 * Return: 0 or a negative errno from the invalidation.
 */
int iox_vtd_inv_iotlb_range(struct iox_vtd_unit *vtd, u16 did, u64 start, u64 end,
			    bool leaf_only)
{
	struct iox_inv_block psi[VTD_MAX_PSI] __iox_filled_before_use;
	struct iox_vtd_desc descs[VTD_MAX_PSI] __iox_filled_before_use;
	unsigned int i, n;
	int ret;

	if (!vtd->caps.psi)
		return iox_vtd_inv_iotlb(vtd, VTD_INV_DOMAIN, did);
	n = iox_plan_inv_blocks(start, end, vtd->caps.mamv, psi, VTD_MAX_PSI);
	if (n > VTD_MAX_PSI)
		return iox_vtd_inv_iotlb(vtd, VTD_INV_DOMAIN, did);

	vtd->nr_inv[VTD_INV_PAGE] += n;
	if (!vtd->use_qi) {
		for (i = 0; i < n; i++) {
			ret = iox_vtd_reg_iotlb(vtd, VTD_INV_PAGE, did, psi[i].addr,
						psi[i].order, leaf_only);
			if (ret)
				return ret;
		}
		return 0;
	}
	for (i = 0; i < n; i++)
		descs[i] = iox_vtd_iotlb_desc(vtd, VTD_INV_PAGE, did, psi[i].addr,
					      psi[i].order, leaf_only);
	return iox_vtd_qi_submit(vtd, descs, n);
}
