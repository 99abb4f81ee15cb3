/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iox VT-d backend: planning of page-selective IOTLB invalidations.
 *
 * A page-selective invalidation (PSI) covers 2^AM naturally aligned 4 KiB
 * pages.  An exact cover of a page range with such blocks, taking at each
 * step the largest aligned block that fits, uses the fewest descriptors;
 * blocks never reach outside the range, so no translation that was not
 * unmapped is dropped.
 */
#ifndef _IOX_INTEL_INVAL_PLAN_H
#define _IOX_INTEL_INVAL_PLAN_H

#include <linux/bitops.h>
#include <linux/log2.h>
#include <linux/minmax.h>
#include <linux/types.h>

#define VTD_PAGE_SHIFT	12

/**
 * struct iox_vtd_psi - one page-selective invalidation
 * @addr: first IOVA, aligned to 4 KiB << @am
 * @am: address mask: the invalidation covers 2^@am pages
 */
struct iox_vtd_psi {
	u64 addr;
	u8 am;
};

/**
 * iox_vtd_plan_psi() - cover an IOVA range with page-selective invalidations
 * @start: first IOVA of the range
 * @end: last IOVA of the range (inclusive), not below @start
 * @mamv: largest address mask the unit supports (CAP.MAMV)
 * @psi: filled with up to @max invalidations
 * @max: room in @psi
 *
 * Return: the number of invalidations the range needs; when it is larger
 * than @max only the first @max were stored, and the caller should rather
 * invalidate the whole domain.
 */
static inline unsigned int iox_vtd_plan_psi(u64 start, u64 end, unsigned int mamv,
					    struct iox_vtd_psi *psi, unsigned int max)
{
	u64 pfn = start >> VTD_PAGE_SHIFT, last = end >> VTD_PAGE_SHIFT;
	unsigned int n = 0;

	for (;;) {
		/* Pages left, counting the current one; at most 2^52. */
		u64 left = last - pfn + 1;
		unsigned int am = min_t(unsigned int, mamv, ilog2(left));

		if (pfn)
			am = min_t(unsigned int, am, __ffs64(pfn));
		if (n < max) {
			psi[n].addr = pfn << VTD_PAGE_SHIFT;
			psi[n].am = am;
		}
		n++;
		if (left == BIT_ULL(am))
			return n;
		pfn += BIT_ULL(am);
	}
}

#endif /* _IOX_INTEL_INVAL_PLAN_H */
