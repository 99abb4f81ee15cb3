/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iox IOVA allocator: I/O virtual address ranges for DMA mappings.
 *
 * A domain hands out size-aligned ranges of pages (of the domain's granule)
 * top-down below a caller's limit.  Small sizes are served from per-CPU
 * magazine caches that touch only the local CPU; the shared range tree and
 * its lock are the slow path.  Documentation/iommu/iox.rst describes the
 * design.
 */
#ifndef _LINUX_IOX_IOVA_H
#define _LINUX_IOX_IOVA_H

#include <linux/cache.h>
#include <linux/list.h>
#include <linux/log2.h>
#include <linux/rbtree.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/workqueue.h>

struct dentry;
struct iox_iova_cpu;
struct iox_iova_node;

/*
 * Sizes of 1, 2, 4, ... 2^(IOX_IOVA_CACHE_ORDERS - 1) pages are cached per
 * CPU; larger requests always go to the range tree.
 */
#define IOX_IOVA_CACHE_ORDERS	6
#define IOX_IOVA_CACHE_MAX_PAGES	(1UL << (IOX_IOVA_CACHE_ORDERS - 1))
/* Ranges per magazine; each CPU holds at most two magazines per size. */
#define IOX_IOVA_MAG_SIZE	125
/*
 * Search hints per domain: one per alignment of 1, 2, 4, ... 64 pages, and
 * one shared by all larger alignments.
 */
#define IOX_IOVA_HINTS		8

/**
 * struct iox_iova_depot - the shared store of full magazines of one size
 * @lock: protects @full, @nr_full and @low; taken with interrupts disabled,
 *	only when a CPU's own two magazines cannot serve a request
 * @full: full magazines, most recently added first
 * @nr_full: number of magazines on @full
 * @low: smallest @nr_full since the last trim pass: that many magazines
 *	were not needed during the whole interval and are the next to go back
 *	to the tree
 */
struct iox_iova_depot {
	spinlock_t lock;	/* protects the depot, see above */
	struct list_head full;
	unsigned int nr_full;
	unsigned int low;
} ____cacheline_aligned_in_smp;

/**
 * struct iox_iova_hint - where the last tree allocation of a size class ended
 * @node: the node allocated last for this class
 * @size: its size in pages
 * @limit: the limit it was allocated below
 * @gen: the domain's @hint_gen when the hint was made; the hint is void
 *	once they differ
 *
 * When @node was allocated, no node above it had a gap of at least
 * @size + align - 1 pages (align being @size rounded up to a power of two)
 * that held an aligned block of @size pages below @limit: the walk for it
 * would have found that gap first, and what was left of the gap it used is
 * less than align pages.  Gaps only shrink as ranges are allocated, and a
 * larger request (with an alignment that is a multiple) fits only where a
 * smaller one does, so this remains true for any request of at least @size
 * pages below the same limit until a range goes back to the tree above
 * @node: such a search may start at @node instead of at the root and
 * finds the same gap.
 */
struct iox_iova_hint {
	struct iox_iova_node *node;
	unsigned long size;
	unsigned long limit;
	u64 gen;
};

/**
 * struct iox_iova_domain - an I/O virtual address space
 * @granule: bytes per page of this domain, a power of two
 * @shift: log2 of @granule
 * @start_pfn: lowest page number that may be allocated
 * @end_pfn: highest page number that may be allocated
 * @cpu: per-CPU magazines, spare tree nodes and counters (see iova-internal.h)
 * @lock: protects @rbroot and every node in it (but for a pinned node's
 *	staging by its CPU), @fail_size, @fail_limit, @nr_nodes, the hints,
 *	the tree counters and the CPUs' pinned-node pointers; taken with interrupts
 *	disabled because DMA mappings are made from any context.  It has a
 *	cache line of its own, which a CPU waiting for it polls, so that the
 *	holder's writes to the tree state do not steal that line from the
 *	waiter and back.
 * @rbroot: allocated and reserved ranges, augmented with the largest free
 *	gap of each subtree; a sentinel node sits just above @end_pfn
 * @fail_size: smallest size whose search below @fail_limit failed since
 *	the tree last gained free space; ULONG_MAX when there is no hint
 * @fail_limit: the limit of that failed search
 * @nr_nodes: nodes in @rbroot, the sentinel included
 * @hint_gen: generation of the hints: incremented to void them all when a
 *	range goes back to the tree above @hint_min_lo
 * @hint_min_lo: lowest first pfn of a node made a hint in this generation
 * @tree_allocs: ranges allocated from the tree
 * @tree_frees: ranges returned to the tree
 * @tree_reuses: tree allocations that took a staged range again
 * @bad_frees: frees refused as not matching an allocation
 * @hints: per alignment class, where the last tree allocation ended
 * @depot: one depot per cached size, each in cache lines of its own
 * @trim_work: returns depot magazines that stayed unused for a whole
 *	interval to the tree
 * @trim_interval: that interval, in jiffies (IOX_IOVA_TRIM_INTERVAL unless
 *	a test set it with iox_iova_test_trim_interval())
 * @flush_work: empties every CPU's caches for a flush that could not wait
 *	for them (see iox_iova_flush_caches())
 * @check_frees: every free of a cached size is checked against the tree
 *	(CONFIG_IOX_IOVA_DEBUG; set at init, constant afterwards)
 * @cpuhp_node: instance of the CPU hotplug state that drains dead CPUs
 * @debugfs: this domain's directory, /sys/kernel/debug/iox/iova/<name>/
 * @leaked: live allocations that iox_iova_domain_destroy() found
 * @leak_reports: number of leak reports issued by destroy (at most one)
 * @quiet_leaks: report leaks without a WARN; set with
 *	iox_iova_set_quiet_leaks()
 * @name: the name given at init, for messages and debugfs
 *
 * The structure may be embedded; all fields are private to the allocator
 * except @leaked and @leak_reports, which may be read after destroy.  The fields every call
 * reads (@granule to @cpu) come first and are written only by init.
 */
struct iox_iova_domain {
	unsigned long granule;
	unsigned int shift;
	unsigned long start_pfn;
	unsigned long end_pfn;
	struct iox_iova_cpu __percpu *cpu;
	spinlock_t lock ____cacheline_aligned_in_smp;	/* protects the tree, see above */
	struct rb_root rbroot ____cacheline_aligned_in_smp;
	unsigned long fail_size;
	unsigned long fail_limit;
	unsigned long nr_nodes;
	u64 hint_gen;
	unsigned long hint_min_lo;
	u64 tree_allocs;
	u64 tree_frees;
	u64 tree_reuses;
	u64 bad_frees;
	struct iox_iova_hint hints[IOX_IOVA_HINTS];
	struct iox_iova_depot depot[IOX_IOVA_CACHE_ORDERS];
	struct delayed_work trim_work;
	unsigned long trim_interval;
	struct work_struct flush_work;
	bool check_frees;
	struct hlist_node cpuhp_node;
	struct dentry *debugfs;
	unsigned long leaked;
	unsigned int leak_reports;
	bool quiet_leaks;
	char name[32];
};

/**
 * struct iox_iova_stats - a snapshot of a domain's counters
 * @alloc_hits: allocations served by a per-CPU cache or the depot
 * @alloc_misses: allocations of a cached size that went to the tree
 * @free_hits: frees kept in a per-CPU cache or the depot
 * @cpu_cached: ranges held in the per-CPU magazines
 * @depot_mags: full magazines in the depots
 * @tree_nodes: allocated and reserved ranges in the tree (including the
 *	cached ones, not the staged ones)
 * @tree_staged: freed ranges still in the tree until the CPU that
 *	allocated them allocates from the tree again (at most one per CPU)
 * @tree_allocs: ranges allocated from the tree
 * @tree_frees: ranges returned to the tree
 * @tree_reuses: tree allocations that took the CPU's staged range again,
 *	where the search would have placed them (counted in both of the above)
 * @bad_frees: frees refused as not matching an allocation
 *
 * Per-CPU figures are summed without stopping the CPUs, so a snapshot of a
 * busy domain is approximate.
 */
struct iox_iova_stats {
	u64 alloc_hits;
	u64 alloc_misses;
	u64 free_hits;
	unsigned long cpu_cached;
	unsigned long depot_mags;
	unsigned long tree_nodes;
	unsigned long tree_staged;
	u64 tree_allocs;
	u64 tree_frees;
	u64 tree_reuses;
	u64 bad_frees;
};

int iox_iova_domain_init(struct iox_iova_domain *iovad, unsigned long granule,
			 unsigned long start_pfn, unsigned long end_pfn,
			 const char *name);
void iox_iova_domain_destroy(struct iox_iova_domain *iovad);
int iox_iova_alloc(struct iox_iova_domain *iovad, unsigned long npages,
		   unsigned long limit_pfn, unsigned long *pfn);
int iox_iova_free(struct iox_iova_domain *iovad, unsigned long pfn,
		  unsigned long npages);
int iox_iova_reserve(struct iox_iova_domain *iovad, unsigned long lo_pfn,
		     unsigned long hi_pfn);
int iox_iova_unreserve(struct iox_iova_domain *iovad, unsigned long lo_pfn,
		       unsigned long hi_pfn);
void iox_iova_flush_caches(struct iox_iova_domain *iovad);
void iox_iova_set_quiet_leaks(struct iox_iova_domain *iovad, bool quiet);
/* For tests and benchmarks only (namespace IOX_TEST). */
void iox_iova_test_check_frees(struct iox_iova_domain *iovad, bool check);
void iox_iova_test_trim_interval(struct iox_iova_domain *iovad,
				 unsigned long interval);
void iox_iova_trim(struct iox_iova_domain *iovad);
int iox_iova_test_in_cache_path(struct iox_iova_domain *iovad, void (*fn)(void *arg),
				void *arg);
void iox_iova_get_stats(struct iox_iova_domain *iovad,
			struct iox_iova_stats *stats);

/**
 * iox_iova_pfn() - the page number of an I/O virtual address
 * @iovad: the domain
 * @iova: the address
 *
 * Return: @iova divided by the domain's granule.
 */
static inline unsigned long iox_iova_pfn(const struct iox_iova_domain *iovad,
					 u64 iova)
{
	return iova >> iovad->shift;
}

/**
 * iox_iova_addr() - the I/O virtual address of a page number
 * @iovad: the domain
 * @pfn: the page number
 *
 * Return: the address of the first byte of page @pfn.
 */
static inline u64 iox_iova_addr(const struct iox_iova_domain *iovad,
				unsigned long pfn)
{
	return (u64)pfn << iovad->shift;
}

#endif /* _LINUX_IOX_IOVA_H */
