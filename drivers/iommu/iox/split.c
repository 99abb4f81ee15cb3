// SPDX-License-Identifier: GPL-2.0
/*
 * iox range splitter: turns (iova, paddr, size) into runs of the largest
 * page size that the page-size bitmap and the alignment of both addresses
 * allow, so that backends are called once per run and never once per page.
 */
#include <linux/bitops.h>
#include <linux/errno.h>
#include <linux/export.h>
#include <linux/iox.h>
#include <linux/log2.h>

/**
 * iox_split_first() - compute the first run of a validated range
 * @iova: first I/O virtual address of the remaining range
 * @paddr: first physical address of the remaining range
 * @size: remaining length in bytes, non-zero
 * @pgsize_bitmap: page sizes the hardware supports
 * @run: filled with the run
 *
 * The run uses the largest supported page size to which both @iova and
 * @paddr are aligned and which fits in @size.  It extends over as many such
 * pages as possible, stopping early only where a larger page size becomes
 * usable for at least one page: at the next boundary of that larger size,
 * provided @iova and @paddr are congruent modulo it (otherwise the larger
 * size never becomes usable) and at least one larger page fits behind it.
 *
 * The caller advances by run->pgsize * run->pgcount bytes and calls again
 * until the range is consumed; the range must have passed
 * iox_split_check() (include/linux/iox.h, inline: every map checks its
 * range, and a scatterlist each entry).
 */
void iox_split_first(u64 iova, phys_addr_t paddr, size_t size,
		     unsigned long pgsize_bitmap, struct iox_run *run)
{
	unsigned long fits, larger;
	u64 addr_merge = iova | paddr;
	size_t pgsize, count;

	/* Sizes not larger than the remaining length... */
	fits = pgsize_bitmap & GENMASK(__fls(size), 0);
	/* ...to which both addresses are aligned (0 is aligned to all). */
	if (addr_merge)
		fits &= GENMASK(__ffs(addr_merge), 0);

	pgsize = BIT(__fls(fits));
	count = size >> __ffs(pgsize);

	larger = pgsize_bitmap & ~GENMASK(__ffs(pgsize), 0);
	if (larger) {
		unsigned long next = larger & -larger;
		/* Distance to the next @next boundary; wraps correctly at 2^64. */
		u64 to_boundary = -iova & (next - 1);

		if (!((iova ^ paddr) & (next - 1)) && to_boundary < size &&
		    size - to_boundary >= next)
			count = to_boundary >> __ffs(pgsize);
	}

	run->iova = iova;
	run->paddr = paddr;
	run->pgsize = pgsize;
	run->pgcount = count;
}
EXPORT_SYMBOL_GPL(iox_split_first);
