/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the files of the iox IOVA allocator share: the tree's nodes, the
 * per-CPU caches, and the cache fast path, which is inlined into
 * iox_iova_alloc() and iox_iova_free() so that a cache hit makes no call.
 *
 * iova.c        the range tree: search, alloc/free, reserve/unreserve, the
 *               CPUs' pinned nodes, free checks, domain init and destroy
 * iova_cache.c  the per-CPU magazines' slow path: the depot and its trim,
 *               flushing the caches, CPU hotplug
 * iova_stats.c  counters and the debugfs stats file
 */
#ifndef _IOX_IOVA_INTERNAL_H
#define _IOX_IOVA_INTERNAL_H

#include <linux/compiler.h>
#include <linux/iox-iova.h>
#include <linux/list.h>
#include <linux/percpu.h>
#include <linux/preempt.h>
#include <linux/rbtree.h>
#include <linux/types.h>

/**
 * struct iox_iova_node - an allocated or reserved range in the tree
 * @rb: link in the domain's tree, ordered by @lo
 * @next: once out of the tree, link in a list of nodes to free after the
 *	tree lock is dropped
 * @lo: first pfn of the range
 * @hi: last pfn of the range
 * @gap: free pfns between the previous node (or the domain's start) and @lo
 * @max_gap: largest @gap in the subtree rooted here
 * @state: an enum iox_iova_state.  Changed under the tree lock, except
 *	that the CPU that pinned a node may stage it without the lock, so
 *	the change from pinned to staged is a cmpxchg() wherever it is made.
 */
struct iox_iova_node {
	union {
		struct rb_node rb;
		struct iox_iova_node *next;
	};
	unsigned long lo;
	unsigned long hi;
	unsigned long gap;
	unsigned long max_gap;
	int state;
};

/**
 * enum iox_iova_state - what a node's range is
 * @IOX_IOVA_LIVE: allocated
 * @IOX_IOVA_RESERVED: reserved by iox_iova_reserve() (or the sentinel):
 *	never freed
 * @IOX_IOVA_PINNED: allocated, and the last tree allocation of the CPU
 *	whose @recent it is; only that CPU unlinks it
 * @IOX_IOVA_STAGED: a pinned range that was freed: still in the tree until
 *	its CPU's next tree allocation, a flush or the CPU's death returns it
 * @IOX_IOVA_CACHED: a range of a cached size that was freed into a
 *	magazine; only in a domain that checks its frees (see
 *	iox_iova_checks_frees()), elsewhere such a range stays LIVE
 */
enum iox_iova_state {
	IOX_IOVA_LIVE,
	IOX_IOVA_RESERVED,
	IOX_IOVA_PINNED,
	IOX_IOVA_STAGED,
	IOX_IOVA_CACHED,
};

/**
 * struct iox_iova_mag - a stack of free ranges of one size
 * @link: entry in a depot's list of full magazines
 * @nr: number of ranges in @pfns
 * @pfns: first pfns of the ranges
 */
struct iox_iova_mag {
	struct list_head link;
	unsigned long nr;
	unsigned long pfns[IOX_IOVA_MAG_SIZE];
};

/* A magazine fills a 1 KiB kmalloc object (exactly, on 64-bit). */
static_assert(sizeof(struct iox_iova_mag) <= 1024);

/**
 * struct iox_iova_cpu - one CPU's caches and counters
 * @busy: the owning CPU is inside the cache path.  Only the owner writes
 *	it, with preemption disabled, so plain accesses ordered by compiler
 *	barriers suffice: whatever reads it on the same CPU (an interrupt) sees
 *	it in program order.  While it is set, nothing else touches the
 *	magazines or counters below; remote CPUs never do (flushes run on the
 *	owning CPU through an IPI, dead CPUs are drained after they stopped).
 * @flush_pending: a flush's IPI found the CPU inside the cache path;
 *	the CPU empties its caches when it leaves the path, then clears it
 *	(with release: the flusher waits for that, see iox_iova_flush_all()).
 *	Written only on the owning CPU.
 * @alloc_hits: allocations served here or from the depot
 * @alloc_misses: allocations of a cached size that went to the tree
 * @free_hits: frees kept here or in the depot
 * @moved: ranges that entered (or, negative, left) the magazines other
 *	than by a hit: from or to the depot or the tree.  The ranges held are
 *	@free_hits - @alloc_hits + @moved (see iox_iova_cpu_cached()), so a
 *	hit updates no count of its own.
 * @loaded: the magazine ranges are popped from and pushed to, per size;
 *	never NULL
 * @prev: the previous magazine, full or empty, per size; never NULL
 * @spare: a tree node kept for the next tree allocation on this CPU, or
 *	NULL.  Only this_cpu_xchg() and this_cpu_cmpxchg() touch it while the
 *	CPU is up, so it needs neither @busy nor interrupts disabled.
 * @recent: the CPU's pinned node (IOX_IOVA_PINNED or IOX_IOVA_STAGED), or
 *	NULL.  Set and cleared under the tree lock and @busy, so a node seen
 *	here under the tree lock is in the tree; read without the lock only by
 *	the owner inside the cache path.
 * @recent_limit: the limit @recent was allocated below
 * @recent_gen: the domain's hint generation when @recent was allocated
 */
struct iox_iova_cpu {
	bool busy;
	bool flush_pending;
	u64 alloc_hits;
	u64 alloc_misses;
	u64 free_hits;
	u64 moved;
	struct iox_iova_mag *loaded[IOX_IOVA_CACHE_ORDERS];
	struct iox_iova_mag *prev[IOX_IOVA_CACHE_ORDERS];
	struct iox_iova_node *spare;
	struct iox_iova_node *recent;
	unsigned long recent_limit;
	u64 recent_gen;
};

/* ---- the per-CPU cache fast path ---- */

/* Ranges in a CPU's magazines; approximate when read from another CPU. */
static inline unsigned long iox_iova_cpu_cached(struct iox_iova_cpu *cc)
{
	return READ_ONCE(cc->free_hits) - READ_ONCE(cc->alloc_hits) + READ_ONCE(cc->moved);
}

/*
 * Enter the local CPU's cache path, or return NULL if this CPU is already
 * inside it (we interrupted it) and the caller must use the tree.
 */
static inline struct iox_iova_cpu *iox_iova_cpu_enter(struct iox_iova_domain *iovad)
{
	struct iox_iova_cpu *cc;

	preempt_disable();
	cc = this_cpu_ptr(iovad->cpu);
	if (unlikely(READ_ONCE(cc->busy))) {
		preempt_enable();
		return NULL;
	}
	WRITE_ONCE(cc->busy, true);
	barrier();
	return cc;
}

bool iox_iova_cpu_flush(struct iox_iova_domain *iovad);

/*
 * Leave the cache path, and carry out a flush that came in meanwhile.  An
 * IPI after the flag was cleared finds the path free and drains itself.
 */
static inline void iox_iova_cpu_exit(struct iox_iova_domain *iovad, struct iox_iova_cpu *cc)
{
	barrier();
	WRITE_ONCE(cc->busy, false);
	if (unlikely(READ_ONCE(cc->flush_pending)))
		iox_iova_cpu_flush(iovad);
	preempt_enable();
}

/*
 * Pop a range that ends at or below @limit.  Usually the top one does: a
 * domain's devices tend to share a limit.  Otherwise the highest-indexed
 * one that fits is swapped to the top first.
 */
static inline bool iox_iova_mag_pop(struct iox_iova_mag *mag, unsigned int order,
				    unsigned long limit, unsigned long *pfn)
{
	unsigned long last = (1UL << order) - 1;
	unsigned long i = mag->nr;

	if (unlikely(!i))
		return false;
	if (likely(mag->pfns[i - 1] + last <= limit)) {
		*pfn = mag->pfns[--mag->nr];
		return true;
	}
	/* The top one is at i - 1: look below it. */
	for (i--; i-- > 0;) {
		if (mag->pfns[i] + last <= limit) {
			*pfn = mag->pfns[i];
			mag->pfns[i] = mag->pfns[--mag->nr];
			return true;
		}
	}
	return false;
}

/* In iova_cache.c: exchanges with the depot when both magazines fail. */
bool iox_iova_depot_get(struct iox_iova_domain *iovad,
			struct iox_iova_cpu *cc, unsigned int order);
void iox_iova_depot_put(struct iox_iova_domain *iovad,
			struct iox_iova_cpu *cc, unsigned int order);

/*
 * Allocate a range of 2^@order pages ending at or below @limit from the
 * local CPU's magazines or the depot.  Returns false on a miss, or when
 * this CPU's cache path was interrupted: the caller goes to the tree.
 */
static inline bool iox_iova_cache_alloc(struct iox_iova_domain *iovad,
					unsigned int order, unsigned long limit,
					unsigned long *pfn)
{
	struct iox_iova_cpu *cc = iox_iova_cpu_enter(iovad);
	bool hit;

	if (!cc)
		return false;
	hit = iox_iova_mag_pop(cc->loaded[order], order, limit, pfn);
	if (!hit && cc->prev[order]->nr) {
		swap(cc->loaded[order], cc->prev[order]);
		hit = iox_iova_mag_pop(cc->loaded[order], order, limit, pfn);
	}
	if (!hit && !cc->prev[order]->nr && iox_iova_depot_get(iovad, cc, order))
		hit = iox_iova_mag_pop(cc->loaded[order], order, limit, pfn);
	if (hit)
		cc->alloc_hits++;
	else
		cc->alloc_misses++;
	iox_iova_cpu_exit(iovad, cc);
	return hit;
}

/*
 * Keep the freed range of 2^@order pages at @pfn in the local CPU's
 * magazines.  Returns false when this CPU's cache path was interrupted:
 * the caller returns the range to the tree.
 */
static inline bool iox_iova_cache_free(struct iox_iova_domain *iovad,
				       unsigned int order, unsigned long pfn)
{
	struct iox_iova_cpu *cc = iox_iova_cpu_enter(iovad);
	struct iox_iova_mag *mag;

	if (!cc)
		return false;
	if (cc->loaded[order]->nr == IOX_IOVA_MAG_SIZE) {
		if (cc->prev[order]->nr < IOX_IOVA_MAG_SIZE)
			swap(cc->loaded[order], cc->prev[order]);
		else
			iox_iova_depot_put(iovad, cc, order);
	}
	mag = cc->loaded[order];
	mag->pfns[mag->nr++] = pfn;
	cc->free_hits++;
	iox_iova_cpu_exit(iovad, cc);
	return true;
}

/* ---- iova.c: the tree, for the caches and the counters ---- */

void iox_iova_node_put(struct iox_iova_domain *iovad,
		       struct iox_iova_node *node);
void iox_iova_cpu_free_spare(struct iox_iova_cpu *cc);
int iox_iova_tree_take(struct iox_iova_domain *iovad, unsigned long pfn,
		       unsigned long size, bool from_cache,
		       struct iox_iova_node **taken);
void iox_iova_recent_drain(struct iox_iova_domain *iovad,
			   struct iox_iova_cpu *cc);
unsigned long iox_iova_nr_staged(struct iox_iova_domain *iovad);

/* ---- iova_cache.c: the depot, flushes, trimming, CPU hotplug ---- */

bool iox_iova_has_cached(struct iox_iova_domain *iovad);
void iox_iova_flush_all(struct iox_iova_domain *iovad);
int iox_iova_cache_setup(void);
void iox_iova_cache_teardown(void);
int iox_iova_cache_init(struct iox_iova_domain *iovad);
void iox_iova_cache_destroy(struct iox_iova_domain *iovad);

/* ---- iova_stats.c: counters and debugfs ---- */

void iox_iova_debugfs_setup(void);
void iox_iova_debugfs_teardown(void);
void iox_iova_debugfs_add(struct iox_iova_domain *iovad);
void iox_iova_debugfs_remove(struct iox_iova_domain *iovad);

#endif /* _IOX_IOVA_INTERNAL_H */
