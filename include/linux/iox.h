/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iox: an IOMMU subsystem - the generic core.
 *
 * Backends (VT-d, AMD-Vi) register the hardware instances they discover as
 * units.  The core splits every map and unmap range into runs of the largest
 * page size that the hardware and the alignment of the range allow, so that
 * a backend handles a whole run in one call.
 */
#ifndef _LINUX_IOX_H
#define _LINUX_IOX_H

#include <linux/bits.h>
#include <linux/limits.h>
#include <linux/minmax.h>
#include <linux/list.h>
#include <linux/mm_types.h>
#include <linux/types.h>

struct dentry;
struct seq_file;
struct iox_unit;

/*
 * The prot argument of a mapping: what the device may do through it, and
 * whether its accesses snoop the CPU caches (VT-d SNP; ignored by hardware
 * that always snoops).  A mapping needs at least IOX_PROT_READ or
 * IOX_PROT_WRITE.
 */
#define IOX_PROT_READ	BIT(0)
#define IOX_PROT_WRITE	BIT(1)
#define IOX_PROT_SNOOP	BIT(2)

/**
 * struct iox_run - one run of equally sized pages produced by the splitter
 * @iova: I/O virtual address of the first page
 * @paddr: physical address of the first page
 * @pgsize: page size of the run, a single bit of the page-size bitmap
 * @pgcount: number of pages in the run, at least one
 */
struct iox_run {
	u64 iova;
	phys_addr_t paddr;
	size_t pgsize;
	size_t pgcount;
};

int iox_split_check(u64 iova, phys_addr_t paddr, size_t size,
		    unsigned long pgsize_bitmap);
void iox_split_first(u64 iova, phys_addr_t paddr, size_t size,
		     unsigned long pgsize_bitmap, struct iox_run *run);

/**
 * struct iox_iotlb_gather - invalidation work collected during an unmap
 * @start: first IOVA whose translation must be invalidated
 * @end: last IOVA (inclusive) whose translation must be invalidated;
 *	@start > @end means no range was gathered
 * @pgsize: size of the leaf entries that were cleared, for invalidation
 *	hints; 0 when none were
 * @freelist: page-table pages (linked through page->lru) that became
 *	unreachable; they are freed only after the IOTLB flush, because the
 *	hardware may still walk them until then
 * @queued: the unmap will be covered by a later domain-wide flush (lazy
 *	invalidation): ranges are not tracked at all
 *
 * Backends add ranges while unmapping; the core hands the gather to the
 * backend's iotlb_sync and then frees @freelist.
 */
struct iox_iotlb_gather {
	u64 start;
	u64 end;
	size_t pgsize;
	struct list_head freelist;
	bool queued;
};

/**
 * iox_iotlb_gather_init() - start an empty gather
 * @gather: the gather
 * @queued: whether a later domain-wide flush covers this unmap
 */
static inline void iox_iotlb_gather_init(struct iox_iotlb_gather *gather, bool queued)
{
	gather->start = U64_MAX;
	gather->end = 0;
	gather->pgsize = 0;
	INIT_LIST_HEAD(&gather->freelist);
	gather->queued = queued;
}

/**
 * iox_iotlb_gather_empty() - whether no range has been gathered
 * @gather: the gather
 *
 * Return: true if there is no range to invalidate.
 */
static inline bool iox_iotlb_gather_empty(const struct iox_iotlb_gather *gather)
{
	return gather->start > gather->end;
}

/**
 * iox_iotlb_gather_is_disjoint() - whether a range would widen the gather
 *	over IOVAs that were not unmapped
 * @gather: the gather
 * @iova: first IOVA of the range
 * @size: length of the range in bytes, non-zero
 *
 * Backends whose invalidation cost grows with the size of the range (page-
 * selective invalidation) may sync the gather before adding a range that
 * neither overlaps nor touches it; others may merge.  Never true for an
 * empty or queued gather.
 *
 * Return: true if the range neither overlaps nor is adjacent to the
 * gathered range.
 */
static inline bool iox_iotlb_gather_is_disjoint(const struct iox_iotlb_gather *gather,
						u64 iova, size_t size)
{
	u64 last = iova + (size - 1);

	if (gather->queued || iox_iotlb_gather_empty(gather))
		return false;
	return (gather->start && last < gather->start - 1) ||
	       (gather->end != U64_MAX && iova > gather->end + 1);
}

/**
 * iox_iotlb_gather_add_range() - record a range whose translations were
 *	removed
 * @gather: the gather
 * @iova: first IOVA of the range
 * @size: length of the range in bytes, non-zero
 * @pgsize: size of the leaf entries cleared
 *
 * A no-op for a queued gather: the domain-wide flush covers everything, so
 * per-range tracking would be wasted work.
 */
static inline void iox_iotlb_gather_add_range(struct iox_iotlb_gather *gather,
					      u64 iova, size_t size, size_t pgsize)
{
	u64 last = iova + (size - 1);

	if (gather->queued)
		return;
	if (iox_iotlb_gather_empty(gather)) {
		gather->start = iova;
		gather->end = last;
	} else {
		gather->start = min(gather->start, iova);
		gather->end = max(gather->end, last);
	}
	if (pgsize > gather->pgsize)
		gather->pgsize = pgsize;
}

/**
 * iox_iotlb_gather_free_page() - free a page-table page after the flush
 * @gather: the gather
 * @page: the page, no longer reachable from the page table
 *
 * Also for a queued gather: the page must outlive the flush either way.
 */
static inline void iox_iotlb_gather_free_page(struct iox_iotlb_gather *gather,
					      struct page *page)
{
	list_add_tail(&page->lru, &gather->freelist);
}

/**
 * struct iox_unit_ops - operations a backend provides for its units
 * @show: print the decoded hardware description of the unit into a
 *	seq_file; backs the "caps" file of the unit's debugfs directory
 */
struct iox_unit_ops {
	void (*show)(struct iox_unit *unit, struct seq_file *m);
};

/**
 * struct iox_unit - one IOMMU hardware instance registered with the core
 * @name: unique name, e.g. "dmar0" or "ivhd0"
 * @ops: backend operations
 * @pgsize_bitmap: page sizes the unit's page tables can map
 * @ias: input (IOVA) address width in bits
 * @list: entry in the core's unit list, protected by the core's unit lock
 * @debugfs: the unit's directory under /sys/kernel/debug/iox/
 *
 * The backend fills in @name, @ops, @pgsize_bitmap and @ias before calling
 * iox_unit_register(); the core owns @list and @debugfs.
 */
struct iox_unit {
	char name[16];
	const struct iox_unit_ops *ops;
	unsigned long pgsize_bitmap;
	unsigned int ias;
	struct list_head list;
	struct dentry *debugfs;
};

int iox_unit_register(struct iox_unit *unit);
void iox_unit_unregister(struct iox_unit *unit);
struct iox_unit *iox_unit_find(const char *name);

#endif /* _LINUX_IOX_H */
