/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iox: planning of IOTLB range invalidations, for every backend whose
 * range invalidation covers a naturally aligned power-of-two block of
 * 4 KiB pages: VT-d page-selective invalidation (2^AM pages) and AMD-Vi
 * INVALIDATE_IOMMU_PAGES (the S-bit size encoding).
 *
 * An exact cover of a page range with such blocks, taking at each step the
 * largest aligned block that fits, uses the fewest commands; blocks never
 * reach outside the range, so no translation that was not unmapped is
 * dropped.
 */
#ifndef _IOX_INVAL_PLAN_H
#define _IOX_INVAL_PLAN_H

#include <linux/bitops.h>
#include <linux/log2.h>
#include <linux/minmax.h>
#include <linux/types.h>

#define IOX_INV_PAGE_SHIFT	12

/*
 * For the arrays of blocks and commands an invalidation builds on the
 * stack, filled before they are read: exempt from the clearing of
 * uninitialised locals (CONFIG_INIT_STACK_ALL_ZERO, on in distribution
 * kernels), which would write both whole on every unmap, several times
 * the stores of the commands themselves.  Later kernels spell this
 * __uninitialized.
 */
#if __has_attribute(__uninitialized__)
#define __iox_filled_before_use	__attribute__((__uninitialized__))
#else
#define __iox_filled_before_use
#endif

/**
 * struct iox_inv_block - one range invalidation
 * @addr: first IOVA, aligned to 4 KiB << @order
 * @order: the invalidation covers 2^@order pages (VT-d: the address mask)
 */
struct iox_inv_block {
	u64 addr;
	u8 order;
};

/**
 * iox_plan_inv_blocks() - cover an IOVA range with aligned blocks
 * @start: first IOVA of the range
 * @end: last IOVA of the range (inclusive), not below @start
 * @max_order: largest block the unit can invalidate at once (VT-d:
 *	CAP.MAMV)
 * @blk: filled with up to @max blocks
 * @max: room in @blk
 *
 * Planning stops as soon as the range is seen to need more than @max
 * blocks, so a plan costs O(@max) steps however large the range.
 *
 * Return: the number of blocks the range needs, all stored in @blk, if it
 * is at most @max; otherwise @max + 1, with @blk filled with the first
 * @max: the caller should rather invalidate the whole domain.
 */
static inline unsigned int iox_plan_inv_blocks(u64 start, u64 end, unsigned int max_order,
					       struct iox_inv_block *blk, unsigned int max)
{
	u64 pfn = start >> IOX_INV_PAGE_SHIFT, last = end >> IOX_INV_PAGE_SHIFT;
	unsigned int n = 0;

	for (;;) {
		/* Pages left, counting the current one; at most 2^52. */
		u64 left = last - pfn + 1;
		unsigned int order = min_t(unsigned int, max_order, ilog2(left));

		if (pfn)
			order = min_t(unsigned int, order, __ffs64(pfn));
		if (n == max)
			return max + 1;
		blk[n].addr = pfn << IOX_INV_PAGE_SHIFT;
		blk[n].order = order;
		n++;
		if (left == BIT_ULL(order))
			return n;
		pfn += BIT_ULL(order);
	}
}

/**
 * iox_inv_leaf_only() - whether an invalidation may keep cached
 *	page-directory entries
 * @new_mappings: the invalidation makes new mappings visible (to a unit
 *	that caches not-present entries: VT-d caching mode, AMD-Vi NpCache);
 *	a map may have written page-directory entries, pointing to tables it
 *	installed
 * @tables_freed: an unmap freed page-table pages, clearing the
 *	page-directory entries that pointed to them
 *
 * A unit may keep its paging-structure (directory) caches only when no
 * page-directory entry changed, that is for an unmap that cleared leaves
 * only: VT-d then sets the invalidation hint (IH), AMD-Vi leaves PDE
 * clear.  A map is not told apart by whether it installed tables, so its
 * invalidation always drops the directory entries too.
 *
 * Return: true if the invalidation may be limited to leaf entries.
 */
static inline bool iox_inv_leaf_only(bool new_mappings, bool tables_freed)
{
	return !new_mappings && !tables_freed;
}

#endif /* _IOX_INVAL_PLAN_H */
