// SPDX-License-Identifier: GPL-2.0
/*
 * iox IOVA allocator: the range tree.
 *
 * The range store is an rbtree of the allocated and reserved ranges,
 * augmented with the largest free gap below any node of a subtree.  An
 * rbtree rather than the maple tree because:
 *  - the node of an allocation is allocated before the tree lock is taken
 *    and freed with the range, so a free never needs memory and never fails
 *    for lack of it (a maple tree store may have to allocate when it splits
 *    a node, also on erase);
 *  - the augmented gap lets a top-down search for a size-aligned block skip
 *    every subtree whose gaps are too small, so a search costs the depth of
 *    the tree plus the gaps that are large enough but misaligned, instead of
 *    a walk over the allocations; the maple tree's gap search knows nothing
 *    of alignment and would have to be retried per candidate gap;
 *  - a free finds its node by pfn and checks the size, so frees that do not
 *    match an allocation are refused.
 * A sentinel node just above the domain's last pfn makes every free gap the
 * gap below some node, so "the gap below a node" covers all free space.
 * Allocation is top-down, so the next allocation of a size usually lands
 * just below the previous one: a hint per alignment class (struct
 * iox_iova_hint) lets the search start there instead of at the root, and
 * each CPU keeps a spare node so that a range that comes and goes through
 * the tree costs no slab allocation.
 *
 * Each CPU also pins its last tree allocation beyond the cached sizes.  A
 * free of that range on the same CPU is checked and recorded without the
 * tree lock (the node is marked staged), and the CPU's next tree
 * allocation returns it to the tree under the lock it takes anyway; when
 * the request has the same size and the search would place it exactly
 * where the staged range lies, the node is simply taken again.  A CPU that
 * maps and unmaps large buffers so takes the tree lock once per pair, for
 * a few comparisons, where it took it twice for two tree updates: while
 * other CPUs wait for the lock, its hold time is what everybody pays.
 *
 * Sizes up to IOX_IOVA_CACHE_MAX_PAGES are cached per CPU in magazines
 * (iova_cache.c), whose hit path iova-internal.h inlines into
 * iox_iova_alloc() and iox_iova_free(); the counters and the debugfs stats
 * file are in iova_stats.c.
 */
#define pr_fmt(fmt) "iox-iova: " fmt

#include <linux/iox.h>
#include <linux/iox-iova.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/rbtree_augmented.h>
#include <linux/slab.h>

#include "iova-internal.h"

/* Largest span of a domain: sizes up to it have a power-of-two alignment. */
#define IOX_IOVA_MAX_SPAN	(1UL << (BITS_PER_LONG - 1))

/*
 * Protects the state shared by all domains: the node cache below, the CPU
 * hotplug state (iova_cache.c) and the debugfs directory (iova_stats.c)
 * exist while a domain does.
 */
static DEFINE_MUTEX(iox_iova_global_lock);
static unsigned int iox_iova_users;
static struct kmem_cache *iox_iova_node_cache;

/*
 * A node for a tree allocation: the local CPU's spare, or a new one.  The
 * spare saves a slab allocation and free per range when ranges go to the
 * tree and come back, as sizes beyond the caches do.
 */
static struct iox_iova_node *iox_iova_node_get(struct iox_iova_domain *iovad)
{
	struct iox_iova_node *node = this_cpu_xchg(iovad->cpu->spare, NULL);

	if (node || iox_should_fail_alloc())
		return node;
	return kmem_cache_alloc(iox_iova_node_cache, GFP_ATOMIC | __GFP_NOWARN);
}

/* Keep a node that is out of the tree as the local CPU's spare, or free it. */
void iox_iova_node_put(struct iox_iova_domain *iovad,
		       struct iox_iova_node *node)
{
	if (this_cpu_cmpxchg(iovad->cpu->spare, NULL, node))
		kmem_cache_free(iox_iova_node_cache, node);
}

/*
 * Free the spare node of a CPU that died, or of a domain nobody uses any
 * more.
 */
void iox_iova_cpu_free_spare(struct iox_iova_cpu *cc)
{
	if (cc->spare) {
		kmem_cache_free(iox_iova_node_cache, cc->spare);
		cc->spare = NULL;
	}
}

/* ---- the range tree; every function here runs under iovad->lock ---- */

static inline struct iox_iova_node *to_node(struct rb_node *rb)
{
	return rb_entry(rb, struct iox_iova_node, rb);
}

/* Pages in @node's range. */
static inline unsigned long iox_iova_node_pages(const struct iox_iova_node *node)
{
	return node->hi - node->lo + 1;
}

static inline unsigned long iox_iova_node_gap(struct iox_iova_node *node)
{
	return node->gap;
}

RB_DECLARE_CALLBACKS_MAX(static, iox_iova_rb_cb, struct iox_iova_node, rb,
			 unsigned long, max_gap, iox_iova_node_gap);

/* The node whose range starts at @pfn, or NULL. */
static struct iox_iova_node *iox_iova_find(struct iox_iova_domain *iovad,
					   unsigned long pfn)
{
	struct rb_node *rb = iovad->rbroot.rb_node;

	while (rb) {
		struct iox_iova_node *node = to_node(rb);

		if (pfn < node->lo)
			rb = rb->rb_left;
		else if (pfn > node->lo)
			rb = rb->rb_right;
		else
			return node;
	}
	return NULL;
}

/* The lowest node that ends at or above @pfn; the sentinel at the latest. */
static struct iox_iova_node *iox_iova_first_from(struct iox_iova_domain *iovad,
						 unsigned long pfn)
{
	struct rb_node *rb = iovad->rbroot.rb_node;
	struct iox_iova_node *found = NULL;

	while (rb) {
		struct iox_iova_node *node = to_node(rb);

		if (node->hi >= pfn) {
			found = node;
			rb = rb->rb_left;
		} else {
			rb = rb->rb_right;
		}
	}
	return found;
}

/*
 * Insert @node, which lies inside the gap below @next, and shrink that gap.
 * @node becomes the in-order predecessor of @next, so it is linked in
 * @next's subtree; the ancestors between them learn @node's gap before the
 * rebalancing, which needs exact subtree maxima to rotate.
 */
static void iox_iova_link_before(struct iox_iova_domain *iovad,
				 struct iox_iova_node *node,
				 struct iox_iova_node *next)
{
	struct rb_node *parent, **link;
	struct rb_node *rb;

	node->gap = node->lo - (next->lo - next->gap);
	node->max_gap = node->gap;
	if (!next->rb.rb_left) {
		parent = &next->rb;
		link = &parent->rb_left;
	} else {
		parent = next->rb.rb_left;
		while (parent->rb_right)
			parent = parent->rb_right;
		link = &parent->rb_right;
	}
	for (rb = parent; rb != &next->rb; rb = rb_parent(rb))
		to_node(rb)->max_gap = max(to_node(rb)->max_gap, node->gap);
	rb_link_node(&node->rb, parent, link);
	rb_insert_augmented(&node->rb, &iovad->rbroot, &iox_iova_rb_cb);

	next->gap = next->lo - node->hi - 1;
	iox_iova_rb_cb_propagate(&next->rb, NULL);
	iovad->nr_nodes++;
}

/* Remove @node; its range and the gap below it join the next node's gap. */
static void iox_iova_unlink(struct iox_iova_domain *iovad,
			    struct iox_iova_node *node)
{
	struct iox_iova_node *next = to_node(rb_next(&node->rb));

	rb_erase_augmented(&node->rb, &iovad->rbroot, &iox_iova_rb_cb);
	next->gap += node->gap + iox_iova_node_pages(node);
	iox_iova_rb_cb_propagate(&next->rb, NULL);
	iovad->nr_nodes--;
	/* The tree gained space: an earlier failed search may succeed now. */
	if (iovad->fail_size != ULONG_MAX)
		iovad->fail_size = ULONG_MAX;
	/*
	 * A gap above a hint's node grew (or the node itself is gone, which
	 * puts @next above it): void the hints.  A gap that grows at or below
	 * every hint's node is still found by a search that starts there.
	 */
	if (next->lo > iovad->hint_min_lo) {
		iovad->hint_gen++;
		iovad->hint_min_lo = ULONG_MAX;
	}
}

/* Return the freed range of @node to the tree, and count it. */
static void iox_iova_return(struct iox_iova_domain *iovad,
			    struct iox_iova_node *node)
{
	iox_iova_unlink(iovad, node);
	iovad->tree_frees++;
}

/*
 * Whether the gap below @node holds @size pages aligned to @align that end
 * at or below @limit; if so, the highest such block starts at *@pfn.
 */
static bool iox_iova_gap_fits(struct iox_iova_node *node, unsigned long size,
			      unsigned long align, unsigned long limit,
			      unsigned long *pfn)
{
	unsigned long first, last, start;

	if (node->gap < size)
		return false;
	first = node->lo - node->gap;
	last = min(node->lo - 1, limit);
	if (last < first || last - first + 1 < size)
		return false;
	start = round_down(last - size + 1, align);
	if (start < first)
		return false;
	*pfn = start;
	return true;
}

/*
 * From @rb, go down to the highest node of its subtree that a search below
 * @limit for gaps of at least @min_gap pages must look at: right subtrees
 * are skipped when they lie wholly above @limit or hold no such gap.
 */
static struct rb_node *iox_iova_descend(struct rb_node *rb, unsigned long limit,
					unsigned long min_gap)
{
	while (to_node(rb)->hi < limit && rb->rb_right &&
	       to_node(rb->rb_right)->max_gap >= min_gap)
		rb = rb->rb_right;
	return rb;
}

/*
 * The node below @rb, in decreasing order, that the search must look at
 * next: the highest one of @rb's left subtree if that holds a gap of at
 * least @min_gap pages, else the first ancestor that @rb lies right of.
 * NULL when there is none.
 */
static struct rb_node *iox_iova_next_down(struct rb_node *rb, unsigned long limit,
					  unsigned long min_gap)
{
	struct rb_node *prev;

	if (rb->rb_left && to_node(rb->rb_left)->max_gap >= min_gap)
		return iox_iova_descend(rb->rb_left, limit, min_gap);
	do {
		prev = rb;
		rb = rb_parent(rb);
	} while (rb && prev != rb->rb_right);
	return rb;
}

/*
 * Find the highest block of @size pages, aligned to @align, ending at or
 * below @limit, in a gap of at least @min_gap pages: a reverse in-order
 * walk that skips every subtree whose largest gap is smaller than @min_gap
 * and every right subtree lying wholly above @limit.  Only gaps of at least
 * @min_gap pages are taken, also those of the nodes on the way, so that the
 * answer does not depend on the shape of the tree.  The walk starts at the
 * root, or at @from when no node above it has such a gap that holds the
 * block (see struct iox_iova_hint): both find the same gap.  Returns the
 * node whose gap holds the block, or NULL.
 */
static struct iox_iova_node *iox_iova_search(struct iox_iova_domain *iovad,
					     struct iox_iova_node *from,
					     unsigned long size,
					     unsigned long align,
					     unsigned long limit,
					     unsigned long min_gap,
					     unsigned long *pfn)
{
	struct rb_node *rb = iovad->rbroot.rb_node;
	struct iox_iova_node *node;

	if (!rb || to_node(rb)->max_gap < min_gap)
		return NULL;
	rb = from ? &from->rb : iox_iova_descend(rb, limit, min_gap);
	for (; rb; rb = iox_iova_next_down(rb, limit, min_gap)) {
		node = to_node(rb);
		if (node->gap >= min_gap &&
		    iox_iova_gap_fits(node, size, align, limit, pfn))
			return node;
	}
	return NULL;
}

/*
 * Where a search for @size pages below @limit may start instead of the
 * root, or NULL: the node of @hint if it is of this generation, for the
 * same limit and at most @size pages.
 */
static struct iox_iova_node *iox_iova_hint_node(struct iox_iova_domain *iovad,
						struct iox_iova_hint *hint,
						unsigned long size,
						unsigned long limit)
{
	if (hint->gen != iovad->hint_gen || hint->limit != limit ||
	    hint->size > size)
		return NULL;
	return hint->node;
}

/* Make @node, just allocated below @limit, the hint of its class. */
static void iox_iova_hint_set(struct iox_iova_domain *iovad,
			      struct iox_iova_hint *hint,
			      struct iox_iova_node *node, unsigned long limit)
{
	hint->node = node;
	hint->size = iox_iova_node_pages(node);
	hint->limit = limit;
	hint->gen = iovad->hint_gen;
	iovad->hint_min_lo = min(iovad->hint_min_lo, node->lo);
}

/*
 * Whether a search for @size pages below @limit would place them exactly
 * where the staged @node lies, were @node back in the tree: then it may be
 * taken again as it is.  @node was the first fit of its search below a
 * limit of at least @limit, and in the same hint generation no gap above it
 * has grown (see iox_iova_unlink()), so no gap above it holds the block now
 * either.  Left to check: the gap @node would leave is one the search's
 * first walk takes (at least size + align - 1 pages, see
 * iox_iova_tree_alloc()), and its highest aligned block below @limit is
 * @node's.
 */
static bool iox_iova_staged_fits(struct iox_iova_domain *iovad,
				 struct iox_iova_cpu *cc,
				 struct iox_iova_node *node, unsigned long size,
				 unsigned long limit)
{
	unsigned long align = roundup_pow_of_two(size);
	struct iox_iova_node *next;
	unsigned long last;

	if (iox_iova_node_pages(node) != size || node->hi > limit ||
	    limit > cc->recent_limit || cc->recent_gen != iovad->hint_gen)
		return false;
	next = to_node(rb_next(&node->rb));
	if (node->gap + size + next->gap < size + align - 1)
		return false;
	last = min(next->lo - 1, limit);
	return round_down(last - size + 1, align) == node->lo;
}

/*
 * Before a tree allocation of @size pages below @limit on the CPU of @cc,
 * under the lock: if the CPU's pinned node is staged, it is the allocation
 * itself when iox_iova_staged_fits(), and otherwise goes back to the tree,
 * its node to *@dead.  Returns the node taken again, or NULL.  No other
 * CPU changes the node meanwhile: a staged node stays staged, and a pinned
 * one is staged only by its own CPU (which is here) or under the lock
 * (which we hold).
 */
static struct iox_iova_node *iox_iova_settle_recent(struct iox_iova_domain *iovad,
						    struct iox_iova_cpu *cc,
						    unsigned long size,
						    unsigned long limit,
						    struct iox_iova_node **dead)
{
	struct iox_iova_node *node = cc->recent;

	if (!node || READ_ONCE(node->state) != IOX_IOVA_STAGED)
		return NULL;
	if (iox_iova_staged_fits(iovad, cc, node, size, limit)) {
		/* Freed and allocated again, in place. */
		WRITE_ONCE(node->state, IOX_IOVA_PINNED);
		iovad->tree_frees++;
		iovad->tree_reuses++;
		cc->recent_limit = limit;
		return node;
	}
	WRITE_ONCE(cc->recent, NULL);
	iox_iova_return(iovad, node);
	*dead = node;
	return NULL;
}

/*
 * Allocate @size pages below @limit from the tree for the CPU of @cc, which
 * is inside its cache path, or NULL when the caller interrupted that path
 * and may not touch the CPU's pinned node.  *@nodep is a free node: it is
 * used and cleared, or left for the caller.  Returns 0 with the first pfn
 * in *@pfn, or -ENOSPC.
 */
static int iox_iova_tree_alloc(struct iox_iova_domain *iovad,
			       struct iox_iova_cpu *cc,
			       struct iox_iova_node **nodep, unsigned long size,
			       unsigned long limit, unsigned long *pfn)
{
	unsigned long align = roundup_pow_of_two(size);
	struct iox_iova_node *node, *next, *dead = NULL;
	struct iox_iova_hint *hint;
	unsigned long flags, start;
	int ret = -ENOSPC;

	hint = &iovad->hints[min_t(unsigned int, ilog2(align), IOX_IOVA_HINTS - 1)];
	spin_lock_irqsave(&iovad->lock, flags);
	node = cc ? iox_iova_settle_recent(iovad, cc, size, limit, &dead) : NULL;
	if (node)
		goto found;
	/*
	 * A block of at least the size and alignment of one that did not fit
	 * below at least this limit does not fit either: fail without a walk.
	 */
	if (size >= iovad->fail_size && limit <= iovad->fail_limit)
		goto out;
	/*
	 * A gap of size + align - 1 pages holds an aligned block wherever it
	 * lies, so the first walk only visits gaps that fit (but for the one
	 * the limit cuts): its cost is the depth of the tree, or less from a
	 * hint.  Smaller gaps may fit or not depending on their alignment;
	 * many of them can be misaligned, so they are searched only when no
	 * large gap is left.
	 */
	next = iox_iova_search(iovad, iox_iova_hint_node(iovad, hint, size, limit),
			       size, align, limit, size + align - 1, &start);
	if (!next && align > 1)
		next = iox_iova_search(iovad, NULL, size, align, limit, size, &start);
	if (!next) {
		if (limit != iovad->fail_limit || size < iovad->fail_size) {
			iovad->fail_limit = limit;
			iovad->fail_size = size;
		}
		goto out;
	}
	node = *nodep;
	*nodep = NULL;
	node->lo = start;
	node->hi = start + size - 1;
	node->state = IOX_IOVA_LIVE;
	iox_iova_link_before(iovad, node, next);
	/*
	 * Sizes beyond the caches are pinned, so that their free on this CPU
	 * needs no lock (see iox_iova_recent_free()), in place of the CPU's
	 * pinned node, which is live (iox_iova_settle_recent() took a staged
	 * one) and stays so.  A failed or smaller allocation keeps the pin.
	 */
	if (cc && size > IOX_IOVA_CACHE_MAX_PAGES) {
		if (cc->recent)
			WRITE_ONCE(cc->recent->state, IOX_IOVA_LIVE);
		node->state = IOX_IOVA_PINNED;
		WRITE_ONCE(cc->recent, node);
		cc->recent_limit = limit;
		cc->recent_gen = iovad->hint_gen;
	}
found:
	iovad->tree_allocs++;
	/*
	 * No large gap above @node's held the block (or the first walk would
	 * have found it), and what is left of that gap above @node is less
	 * than @align pages: the next search of this class may start at @node.
	 */
	iox_iova_hint_set(iovad, hint, node, limit);
	*pfn = node->lo;
	ret = 0;
out:
	spin_unlock_irqrestore(&iovad->lock, flags);
	if (dead)
		iox_iova_node_put(iovad, dead);
	return ret;
}

/* A domain's name for messages. */
static const char *iox_iova_name(const struct iox_iova_domain *iovad)
{
	return iovad->name[0] ? iovad->name : "domain";
}

static void iox_iova_report_bad_free(struct iox_iova_domain *iovad,
				     unsigned long pfn, unsigned long size)
{
	pr_warn_ratelimited("%s: free of pfn %#lx, %lu pages, which is not an allocation\n",
			    iox_iova_name(iovad), pfn, size);
}

/*
 * Whether every free of a cached size is checked against the tree as it
 * enters a magazine (CONFIG_IOX_IOVA_DEBUG); a constant false otherwise,
 * so that the checks cost nothing.
 */
static inline bool iox_iova_checks_frees(const struct iox_iova_domain *iovad)
{
	return IS_ENABLED(CONFIG_IOX_IOVA_DEBUG) && iovad->check_frees;
}

/* The state a range of a cached size has while it sits in a magazine. */
static inline int iox_iova_cached_state(const struct iox_iova_domain *iovad)
{
	return iox_iova_checks_frees(iovad) ? IOX_IOVA_CACHED : IOX_IOVA_LIVE;
}

/*
 * Take the allocation of @size pages at @pfn out of the tree, under the
 * lock: a user's free, or with @from_cache a range leaving a magazine.
 * Returns 0 with the node in *@taken for the caller to free, or with NULL
 * there when a CPU has the node pinned (it is staged for that CPU to
 * return); -EINVAL, counted and reported, for a free that matches no
 * allocation.
 */
int iox_iova_tree_take(struct iox_iova_domain *iovad, unsigned long pfn,
		       unsigned long size, bool from_cache,
		       struct iox_iova_node **taken)
{
	struct iox_iova_node *node = iox_iova_find(iovad, pfn);
	int want = from_cache ? iox_iova_cached_state(iovad) : IOX_IOVA_LIVE;

	lockdep_assert_held(&iovad->lock);
	*taken = NULL;
	if (node && iox_iova_node_pages(node) == size) {
		int state = READ_ONCE(node->state);

		if (state == want) {
			iox_iova_return(iovad, node);
			*taken = node;
			return 0;
		}
		/* Its CPU may be staging it at this moment, lock-free. */
		if (state == IOX_IOVA_PINNED && !from_cache &&
		    cmpxchg(&node->state, IOX_IOVA_PINNED,
			    IOX_IOVA_STAGED) == IOX_IOVA_PINNED)
			return 0;
	}
	iovad->bad_frees++;
	iox_iova_report_bad_free(iovad, pfn, size);
	return -EINVAL;
}

static int iox_iova_tree_free(struct iox_iova_domain *iovad, unsigned long pfn,
			      unsigned long size, bool from_cache)
{
	struct iox_iova_node *node;
	unsigned long flags;
	int ret;

	spin_lock_irqsave(&iovad->lock, flags);
	ret = iox_iova_tree_take(iovad, pfn, size, from_cache, &node);
	spin_unlock_irqrestore(&iovad->lock, flags);
	/* Kept or freed outside the lock, which other CPUs may be waiting for. */
	if (node)
		iox_iova_node_put(iovad, node);
	return ret;
}

/*
 * In a domain that checks its frees: before the free of @size pages at
 * @pfn enters a magazine, make sure it is a live allocation of that size
 * and mark it cached, so that a second free is seen.  Returns 0, or
 * -EINVAL, counted and reported.
 */
static int iox_iova_check_cached_free(struct iox_iova_domain *iovad,
				      unsigned long pfn, unsigned long size)
{
	struct iox_iova_node *node;
	unsigned long flags;
	int ret = -EINVAL;

	spin_lock_irqsave(&iovad->lock, flags);
	node = iox_iova_find(iovad, pfn);
	if (node && iox_iova_node_pages(node) == size &&
	    node->state == IOX_IOVA_LIVE) {
		node->state = IOX_IOVA_CACHED;
		ret = 0;
	} else {
		iovad->bad_frees++;
	}
	spin_unlock_irqrestore(&iovad->lock, flags);
	if (ret)
		iox_iova_report_bad_free(iovad, pfn, size);
	return ret;
}

/* In a domain that checks its frees: a range left a magazine, it is live. */
static void iox_iova_check_cached_alloc(struct iox_iova_domain *iovad,
					unsigned long pfn)
{
	struct iox_iova_node *node;
	unsigned long flags;

	spin_lock_irqsave(&iovad->lock, flags);
	node = iox_iova_find(iovad, pfn);
	if (!WARN_ON_ONCE(!node || node->state != IOX_IOVA_CACHED))
		node->state = IOX_IOVA_LIVE;
	spin_unlock_irqrestore(&iovad->lock, flags);
}

/* ---- the CPUs' pinned nodes ---- */

/*
 * iox_iova_tree_alloc() for the local CPU, whose cache path it enters to
 * settle and pin the CPU's node.
 */
static int iox_iova_tree_alloc_here(struct iox_iova_domain *iovad,
				    struct iox_iova_node **nodep,
				    unsigned long size, unsigned long limit,
				    unsigned long *pfn)
{
	struct iox_iova_cpu *cc = iox_iova_cpu_enter(iovad);
	int ret;

	ret = iox_iova_tree_alloc(iovad, cc, nodep, size, limit, pfn);
	if (cc)
		iox_iova_cpu_exit(iovad, cc);
	return ret;
}

/*
 * Free the local CPU's pinned range without the tree lock: it is staged,
 * and the CPU's next tree allocation returns it.  Returns 0; -EINVAL if it
 * was freed already; -ENOENT if @pfn is not that range (or this CPU's
 * cache path was interrupted) and the tree must be asked.
 */
static int iox_iova_recent_free(struct iox_iova_domain *iovad, unsigned long pfn,
				unsigned long size)
{
	struct iox_iova_cpu *cc = iox_iova_cpu_enter(iovad);
	struct iox_iova_node *node;
	int ret = -ENOENT;

	if (!cc)
		return ret;
	/* Pinned, the node stays in the tree until this CPU lets it go. */
	node = cc->recent;
	if (node && node->lo == pfn && iox_iova_node_pages(node) == size)
		ret = cmpxchg(&node->state, IOX_IOVA_PINNED,
			      IOX_IOVA_STAGED) == IOX_IOVA_PINNED ? 0 : -EINVAL;
	iox_iova_cpu_exit(iovad, cc);
	return ret;
}

/*
 * Let go of a CPU's pinned node: a staged one goes back to the tree.  Runs
 * on that CPU inside its cache path, or for a CPU that is dead or a domain
 * nobody uses, so the node cannot be staged meanwhile.
 */
void iox_iova_recent_drain(struct iox_iova_domain *iovad,
			   struct iox_iova_cpu *cc)
{
	struct iox_iova_node *node, *dead = NULL;
	unsigned long flags;

	if (!cc->recent)
		return;
	spin_lock_irqsave(&iovad->lock, flags);
	node = cc->recent;
	WRITE_ONCE(cc->recent, NULL);
	if (node->state == IOX_IOVA_STAGED) {
		iox_iova_return(iovad, node);
		dead = node;
	} else {
		node->state = IOX_IOVA_LIVE;
	}
	spin_unlock_irqrestore(&iovad->lock, flags);
	if (dead)
		iox_iova_node_put(iovad, dead);
}

/* Staged ranges in the tree; under the lock, where a pinned node is in it. */
unsigned long iox_iova_nr_staged(struct iox_iova_domain *iovad)
{
	unsigned long staged = 0;
	unsigned int cpu;

	lockdep_assert_held(&iovad->lock);
	for_each_possible_cpu(cpu) {
		struct iox_iova_node *node = READ_ONCE(per_cpu_ptr(iovad->cpu, cpu)->recent);

		if (node && READ_ONCE(node->state) == IOX_IOVA_STAGED)
			staged++;
	}
	return staged;
}

/* ---- the API ---- */

/**
 * iox_iova_alloc() - allocate a range of I/O virtual pages
 * @iovad: the domain
 * @npages: number of pages (of the domain's granule), at least one
 * @limit_pfn: highest pfn the range may use (the device's addressing
 *	limit); clamped to the domain's last pfn
 * @pfn: receives the first pfn of the range
 *
 * The range is aligned to @npages rounded up to a power of two and taken
 * top-down below @limit_pfn, so that low addresses stay available for
 * devices that need them: the highest aligned place in the highest free
 * gap that holds the range wherever the alignment falls (at least @npages
 * plus the alignment less one), or, if no such gap is left, in the
 * highest smaller gap where an aligned range fits.  A higher gap that fits
 * the range only exactly may thus be passed over while larger gaps
 * remain.  Sizes up to IOX_IOVA_CACHE_MAX_PAGES are
 * rounded up to a power of two and are usually served from the local CPU's
 * cache.  When the tree has no room but caches hold ranges, the caches are
 * flushed (see iox_iova_flush_caches()) and the search retried once: from
 * a preemptible caller that retry sees every CPU's cached ranges, from an
 * atomic one only the local CPU's and the depots', the other CPUs' coming
 * back to the tree shortly after.  Callable from any context except NMI.
 *
 * Return: 0 on success; -EINVAL if @npages is zero or @limit_pfn is below
 * the domain's start; -ENOSPC if no suitable range is free; -ENOMEM if no
 * memory for the range's tree node could be had.
 */
int iox_iova_alloc(struct iox_iova_domain *iovad, unsigned long npages,
		   unsigned long limit_pfn, unsigned long *pfn)
{
	unsigned long limit, size = npages;
	struct iox_iova_node *node;
	int ret;

	if (unlikely(!npages || limit_pfn < iovad->start_pfn))
		return -EINVAL;
	limit = min(limit_pfn, iovad->end_pfn);
	if (unlikely(npages > limit - iovad->start_pfn + 1))
		return -ENOSPC;
	if (npages <= IOX_IOVA_CACHE_MAX_PAGES) {
		unsigned int order = order_base_2(npages);

		if (iox_iova_cache_alloc(iovad, order, limit, pfn)) {
			if (iox_iova_checks_frees(iovad))
				iox_iova_check_cached_alloc(iovad, *pfn);
			return 0;
		}
		size = 1UL << order;
	}

	node = iox_iova_node_get(iovad);
	if (!node)
		return -ENOMEM;
	ret = iox_iova_tree_alloc_here(iovad, &node, size, limit, pfn);
	if (ret == -ENOSPC && iox_iova_has_cached(iovad)) {
		iox_iova_flush_caches(iovad);
		ret = iox_iova_tree_alloc_here(iovad, &node, size, limit, pfn);
	}
	if (node)
		iox_iova_node_put(iovad, node);
	return ret;
}
EXPORT_SYMBOL_GPL(iox_iova_alloc);

/**
 * iox_iova_free() - free a range allocated with iox_iova_alloc()
 * @iovad: the domain
 * @pfn: first pfn of the range, as returned by iox_iova_alloc()
 * @npages: the @npages passed to iox_iova_alloc()
 *
 * Sizes beyond IOX_IOVA_CACHE_MAX_PAGES are checked against the tree at
 * once: a free that is not a live allocation of that size (a double free,
 * a range never allocated, a wrong size) is refused.  Cached sizes go to
 * the local CPU's magazine: by default only their alignment and bounds are
 * checked, and a double free, a free of a range never allocated or one with
 * the wrong size (rounded up to a power of two) goes unnoticed until the
 * range leaves the magazines for the tree, if ever: a double free then
 * hands the same range out twice.  With CONFIG_IOX_IOVA_DEBUG every free of
 * a cached size is checked against the tree under its lock as well, so
 * every bad free is refused, at the cost of the tree lock on every cached
 * allocation and free.  A refused free is reported with a rate-limited
 * message and counted (bad_frees in debugfs).  Callable from any context
 * except NMI.
 *
 * Return: 0 on success; -EINVAL for a misaligned or out-of-domain range, a
 * free that is not an allocation of a size beyond the caches, and, with
 * CONFIG_IOX_IOVA_DEBUG, one that is not an allocation of any size.
 */
int iox_iova_free(struct iox_iova_domain *iovad, unsigned long pfn,
		  unsigned long npages)
{
	unsigned long flags, size, align;
	unsigned int order = 0;
	int ret;

	if (npages <= IOX_IOVA_CACHE_MAX_PAGES) {
		order = order_base_2(npages);
		size = 1UL << order;
		align = size;
	} else {
		size = npages;
		if (unlikely(npages > iovad->end_pfn - iovad->start_pfn + 1))
			goto bad;
		align = roundup_pow_of_two(size);
	}
	if (unlikely(!npages || pfn & (align - 1) || pfn < iovad->start_pfn ||
		     pfn > iovad->end_pfn || size - 1 > iovad->end_pfn - pfn))
		goto bad;
	if (npages <= IOX_IOVA_CACHE_MAX_PAGES) {
		bool checked = iox_iova_checks_frees(iovad);

		if (checked && iox_iova_check_cached_free(iovad, pfn, size))
			return -EINVAL;
		if (iox_iova_cache_free(iovad, order, pfn))
			return 0;
		/* We interrupted this CPU's cache path: to the tree. */
		return iox_iova_tree_free(iovad, pfn, size, checked);
	}
	ret = iox_iova_recent_free(iovad, pfn, size);
	if (!ret)
		return 0;
	if (ret == -EINVAL)
		goto bad;
	return iox_iova_tree_free(iovad, pfn, size, false);

bad:
	spin_lock_irqsave(&iovad->lock, flags);
	iovad->bad_frees++;
	spin_unlock_irqrestore(&iovad->lock, flags);
	iox_iova_report_bad_free(iovad, pfn, npages);
	return -EINVAL;
}
EXPORT_SYMBOL_GPL(iox_iova_free);

/* Whether [lo, hi] holds only free and reserved pages; under the lock. */
static bool iox_iova_reservable(struct iox_iova_domain *iovad,
				unsigned long lo, unsigned long hi)
{
	struct iox_iova_node *node = iox_iova_first_from(iovad, lo);
	struct rb_node *rb;

	for (; node && node->lo <= hi; node = rb ? to_node(rb) : NULL) {
		if (node->state != IOX_IOVA_RESERVED)
			return false;
		rb = rb_next(&node->rb);
	}
	return true;
}

/* A node for a path that may sleep; fails under iox fault injection too. */
static struct iox_iova_node *iox_iova_node_zalloc(void)
{
	if (iox_should_fail_alloc())
		return NULL;
	return kmem_cache_zalloc(iox_iova_node_cache, GFP_KERNEL);
}

/**
 * iox_iova_reserve() - keep a range of pfns from ever being allocated
 * @iovad: the domain
 * @lo_pfn: first pfn of the range
 * @hi_pfn: last pfn of the range (inclusive)
 *
 * The part of the range outside the domain is ignored; reserved ranges may
 * overlap.  The x86 MSI window 0xfee00000-0xfeefffff is an example.  If the
 * range overlaps ranges in the caches, every CPU's caches are flushed first
 * and the range is reserved if nothing but cached ranges were in the way.
 * May sleep.
 *
 * Return: 0 on success; -EINVAL if @lo_pfn > @hi_pfn; -EBUSY if part of the
 * range is allocated; -ENOMEM.  On error nothing is reserved.
 */
int iox_iova_reserve(struct iox_iova_domain *iovad, unsigned long lo_pfn,
		     unsigned long hi_pfn)
{
	struct iox_iova_node *node, *old;
	bool flushed = false;
	unsigned long lo, hi;

	might_sleep();
	if (lo_pfn > hi_pfn)
		return -EINVAL;
	if (hi_pfn < iovad->start_pfn || lo_pfn > iovad->end_pfn)
		return 0;
	lo = max(lo_pfn, iovad->start_pfn);
	hi = min(hi_pfn, iovad->end_pfn);

	node = iox_iova_node_zalloc();
	if (!node)
		return -ENOMEM;
	for (;;) {
		spin_lock_irq(&iovad->lock);
		if (iox_iova_reservable(iovad, lo, hi))
			break;
		spin_unlock_irq(&iovad->lock);
		if (flushed || !iox_iova_has_cached(iovad)) {
			kmem_cache_free(iox_iova_node_cache, node);
			return -EBUSY;
		}
		iox_iova_flush_all(iovad);
		flushed = true;
	}
	/* Reserved ranges that overlap merge into the new one. */
	while ((old = iox_iova_first_from(iovad, lo)) && old->lo <= hi) {
		lo = min(lo, old->lo);
		hi = max(hi, old->hi);
		iox_iova_unlink(iovad, old);
		kmem_cache_free(iox_iova_node_cache, old);
	}
	node->lo = lo;
	node->hi = hi;
	node->state = IOX_IOVA_RESERVED;
	iox_iova_link_before(iovad, node, iox_iova_first_from(iovad, hi + 1));
	spin_unlock_irq(&iovad->lock);
	return 0;
}
EXPORT_SYMBOL_GPL(iox_iova_reserve);

/*
 * Give back the part of the reserved range @node outside [@lo, @hi]:
 * @node is out of the tree; what is left of it below @lo and above @hi is
 * linked again, in @node and, when both sides are left, in *@spare.
 */
static void iox_iova_unreserve_node(struct iox_iova_domain *iovad,
				    struct iox_iova_node *node, unsigned long lo,
				    unsigned long hi, struct iox_iova_node **spare)
{
	unsigned long olo = node->lo, ohi = node->hi;
	struct iox_iova_node *left = NULL;

	if (olo < lo) {
		node->hi = lo - 1;
		iox_iova_link_before(iovad, node, iox_iova_first_from(iovad, lo));
		left = node;
	}
	if (ohi > hi) {
		struct iox_iova_node *right = left ? *spare : node;

		if (left)
			*spare = NULL;
		right->lo = hi + 1;
		right->hi = ohi;
		right->state = IOX_IOVA_RESERVED;
		iox_iova_link_before(iovad, right, iox_iova_first_from(iovad, ohi + 1));
	} else if (!left) {
		kmem_cache_free(iox_iova_node_cache, node);
	}
}

/**
 * iox_iova_unreserve() - let a reserved range be allocated again
 * @iovad: the domain
 * @lo_pfn: first pfn of the range
 * @hi_pfn: last pfn of the range (inclusive)
 *
 * Undoes iox_iova_reserve() for the pages of [@lo_pfn, @hi_pfn]: reserved
 * pages in it become free, the reserved pages around it stay reserved.
 * Reservations are not counted: a page reserved twice is freed by one
 * unreserve.  Pages of the range that are free or allocated, and the part
 * outside the domain, are left alone.  May sleep.
 *
 * Return: 0 on success; -EINVAL if @lo_pfn > @hi_pfn; -ENOMEM, with
 * nothing changed (a node is set aside first, in case a reserved range
 * must be split in two).
 */
int iox_iova_unreserve(struct iox_iova_domain *iovad, unsigned long lo_pfn,
		       unsigned long hi_pfn)
{
	struct iox_iova_node *node, *spare;
	unsigned long lo, hi, pfn;

	might_sleep();
	if (lo_pfn > hi_pfn)
		return -EINVAL;
	if (hi_pfn < iovad->start_pfn || lo_pfn > iovad->end_pfn)
		return 0;
	lo = max(lo_pfn, iovad->start_pfn);
	hi = min(hi_pfn, iovad->end_pfn);

	spare = iox_iova_node_zalloc();
	if (!spare)
		return -ENOMEM;
	spin_lock_irq(&iovad->lock);
	/* The sentinel lies above @hi: the walk never reaches it. */
	for (pfn = lo; (node = iox_iova_first_from(iovad, pfn)) && node->lo <= hi;) {
		pfn = node->hi + 1;
		if (node->state != IOX_IOVA_RESERVED)
			continue;
		iox_iova_unlink(iovad, node);
		iox_iova_unreserve_node(iovad, node, lo, hi, &spare);
	}
	spin_unlock_irq(&iovad->lock);
	if (spare)
		kmem_cache_free(iox_iova_node_cache, spare);
	return 0;
}
EXPORT_SYMBOL_GPL(iox_iova_unreserve);

/**
 * iox_iova_set_quiet_leaks() - expect a domain to be destroyed with leaks
 * @iovad: the domain
 * @quiet: report leaks found by iox_iova_domain_destroy() with an
 *	informational message instead of a WARN
 *
 * For users (tests, error paths) that tear a domain down with ranges still
 * allocated on purpose; the leaks are still counted in @iovad->leaked.
 */
void iox_iova_set_quiet_leaks(struct iox_iova_domain *iovad, bool quiet)
{
	WRITE_ONCE(iovad->quiet_leaks, quiet);
}
EXPORT_SYMBOL_GPL(iox_iova_set_quiet_leaks);

/*
 * Tests and benchmarks only: turn the free checks of CONFIG_IOX_IOVA_DEBUG
 * on or off for a domain nothing was allocated from yet.
 */
void iox_iova_test_check_frees(struct iox_iova_domain *iovad, bool check)
{
	WARN_ON_ONCE(iovad->tree_allocs);
	iovad->check_frees = check;
}
EXPORT_SYMBOL_NS_GPL(iox_iova_test_check_frees, IOX_TEST);

/* Set up what all domains share when the first one is created. */
static int iox_iova_global_get(void)
{
	int ret = 0;

	mutex_lock(&iox_iova_global_lock);
	if (iox_iova_users++)
		goto out;
	iox_iova_node_cache = iox_should_fail_alloc() ? NULL :
			      kmem_cache_create("iox_iova_node",
						sizeof(struct iox_iova_node), 0, 0, NULL);
	if (!iox_iova_node_cache) {
		ret = -ENOMEM;
		goto fail;
	}
	ret = iox_iova_cache_setup();
	if (ret) {
		kmem_cache_destroy(iox_iova_node_cache);
		goto fail;
	}
	iox_iova_debugfs_setup();
	goto out;
fail:
	iox_iova_users--;
out:
	mutex_unlock(&iox_iova_global_lock);
	return ret;
}

static void iox_iova_global_put(void)
{
	mutex_lock(&iox_iova_global_lock);
	if (!--iox_iova_users) {
		iox_iova_debugfs_teardown();
		iox_iova_cache_teardown();
		kmem_cache_destroy(iox_iova_node_cache);
		iox_iova_node_cache = NULL;
	}
	mutex_unlock(&iox_iova_global_lock);
}

/**
 * iox_iova_domain_init() - set up an IOVA domain
 * @iovad: the domain to initialise
 * @granule: bytes per page, a power of two (the IOMMU's smallest page)
 * @start_pfn: lowest pfn to hand out; pfn 0 is usually kept out, since a
 *	zero DMA address looks like an error to some drivers
 * @end_pfn: highest pfn to hand out (the domain's limit), below ULONG_MAX
 *	so that the sentinel above it fits; the domain spans at most
 *	2^(BITS_PER_LONG - 1) pfns, so that every size has a power of two
 *	alignment
 * @name: for messages and for /sys/kernel/debug/iox/iova/<name>/stats;
 *	NULL or "" for no debugfs directory.  Names should be unique.
 *
 * Allocates the per-CPU magazines (two per cached size and possible CPU)
 * and registers the domain for CPU hotplug.  May sleep.
 *
 * Return: 0 on success; -EINVAL for a granule that is not a power of two,
 * @start_pfn > @end_pfn, @end_pfn == ULONG_MAX or a span too large;
 * -ENOMEM.  On error nothing needs to be undone.
 */
int iox_iova_domain_init(struct iox_iova_domain *iovad, unsigned long granule,
			 unsigned long start_pfn, unsigned long end_pfn,
			 const char *name)
{
	struct iox_iova_node *sentinel;
	int ret;

	might_sleep();
	if (!is_power_of_2(granule) || start_pfn > end_pfn || end_pfn == ULONG_MAX ||
	    end_pfn - start_pfn >= IOX_IOVA_MAX_SPAN)
		return -EINVAL;
	memset(iovad, 0, sizeof(*iovad));
	strscpy(iovad->name, name ?: "", sizeof(iovad->name));
	spin_lock_init(&iovad->lock);
	iovad->rbroot = RB_ROOT;
	iovad->fail_size = ULONG_MAX;
	iovad->hint_min_lo = ULONG_MAX;
	iovad->granule = granule;
	iovad->shift = __ffs(granule);
	iovad->start_pfn = start_pfn;
	iovad->end_pfn = end_pfn;
	iovad->check_frees = IS_ENABLED(CONFIG_IOX_IOVA_DEBUG);

	ret = iox_iova_global_get();
	if (ret)
		return ret;
	ret = -ENOMEM;
	sentinel = iox_iova_node_zalloc();
	if (!sentinel)
		goto put;
	sentinel->lo = end_pfn + 1;
	sentinel->hi = end_pfn + 1;
	sentinel->gap = end_pfn + 1 - start_pfn;
	sentinel->max_gap = sentinel->gap;
	sentinel->state = IOX_IOVA_RESERVED;
	rb_link_node(&sentinel->rb, NULL, &iovad->rbroot.rb_node);
	rb_insert_color(&sentinel->rb, &iovad->rbroot);
	iovad->nr_nodes = 1;

	ret = iox_iova_cache_init(iovad);
	if (ret)
		goto free_sentinel;
	iox_iova_debugfs_add(iovad);
	return 0;

free_sentinel:
	kmem_cache_free(iox_iova_node_cache, sentinel);
put:
	iox_iova_global_put();
	return ret;
}
EXPORT_SYMBOL_GPL(iox_iova_domain_init);

/**
 * iox_iova_domain_destroy() - free a domain and everything in it
 * @iovad: the domain, which nobody may use any more
 *
 * Returns all cached ranges to the tree first.  Ranges still allocated
 * then are leaks of the domain's user: they are counted in @iovad->leaked
 * and reported once, with a WARN unless iox_iova_set_quiet_leaks() asked
 * for quiet.  The structure itself stays readable: @iovad->leaked,
 * @iovad->leak_reports and iox_iova_get_stats() (which then counts no
 * cached range and no tree node) tell what destroy found.  A second
 * destroy of the same domain is refused with a warning and changes
 * nothing.  May sleep.
 */
void iox_iova_domain_destroy(struct iox_iova_domain *iovad)
{
	struct iox_iova_node *node, *tmp;
	unsigned long leaked = 0;

	might_sleep();
	/* Only destroy clears it (iox_iova_cache_destroy()). */
	if (!iovad->cpu) {
		pr_warn("iox-iova: %s: destroyed already\n", iox_iova_name(iovad));
		return;
	}
	iox_iova_debugfs_remove(iovad);
	iox_iova_cache_destroy(iovad);

	rbtree_postorder_for_each_entry_safe(node, tmp, &iovad->rbroot, rb) {
		if (node->state != IOX_IOVA_RESERVED)
			leaked++;
		kmem_cache_free(iox_iova_node_cache, node);
	}
	iovad->rbroot = RB_ROOT;
	iovad->nr_nodes = 0;
	iovad->leaked = leaked;
	if (leaked) {
		iovad->leak_reports++;
		if (READ_ONCE(iovad->quiet_leaks))
			pr_info("%s: destroyed with %lu live allocations\n",
				iox_iova_name(iovad), leaked);
		else
			WARN(1, "iox-iova: %s: destroyed with %lu live allocations\n",
			     iox_iova_name(iovad), leaked);
	}
	iox_iova_global_put();
}
EXPORT_SYMBOL_GPL(iox_iova_domain_destroy);
