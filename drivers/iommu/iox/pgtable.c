// SPDX-License-Identifier: GPL-2.0
/*
 * iox page-table library: the format-independent part.  Allocation and
 * accounting of table pages, the map and unmap walks, lookups and freeing.
 *
 * A run (pgcount pages of one size) is handled by one recursive walk that
 * visits each table of the range once, in IOVA order, so that a run of N
 * pages costs one descent plus N entry writes, never N descents.
 *
 * Ordering rules, because the IOMMU may walk the table at any moment:
 * - every entry is written with one 64-bit store (WRITE_ONCE), so the
 *   walker sees it either old or new, never half-written;
 * - a new table is filled (or zeroed) before the entry pointing to it is
 *   written, with dma_wmb() in between, so the walker never reaches a table
 *   whose contents it cannot see yet;
 * - for a walker that does not snoop the CPU caches, written entries are
 *   flushed once per table and run (the span from the first to the last
 *   written entry), and a new table is flushed whole before it is published;
 * - a table is unlinked only by an unmap whose run covers the table's whole
 *   span, and put on the gather's free list: the walker (and its
 *   paging-structure caches) may still use it until the IOTLB flush, after
 *   which the core frees the list.  A table that smaller unmaps leave empty
 *   stays in place for the next map (until iox_pgtable_destroy()).
 *
 * Concurrency: map and unmap of disjoint ranges may run at once on every
 * CPU, with no lock.  Every entry that more than one such walk may change
 * (a not-present entry where a table is to be installed, a large leaf that
 * two unmaps both split, the slots of an AMD-Vi override page) is changed
 * with a compare-and-exchange; the walk that loses frees what it built and
 * carries on through the winner's table.  Entries inside the caller's own
 * range are written with plain stores: no other walk may touch them, and a
 * table the run covers whole is nobody else's to use or free.
 */
#include <linux/bitops.h>
#include <linux/errno.h>
#include <linux/export.h>
#include <linux/indirect_call_wrapper.h>
#include <linux/io.h>
#include <linux/iox.h>
#include <linux/iox-pgtable.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/overflow.h>
#include <linux/percpu.h>
#include <linux/seq_file.h>
#include <linux/sizes.h>
#include <asm/barrier.h>
#ifdef CONFIG_X86
#include <linux/cacheflush.h>
#endif

#include "pgtable-fmt.h"

#define IOX_PT_OAS_MAX		52
#define IOX_PROT_ALL		(IOX_PROT_READ | IOX_PROT_WRITE | IOX_PROT_SNOOP)

static inline u64 entry_span(unsigned int level)
{
	return BIT_ULL(iox_pt_level_shift(level));
}

static inline unsigned int entry_index(u64 iova, unsigned int level)
{
	return (iova >> iox_pt_level_shift(level)) & (IOX_PT_ENTRIES - 1);
}

static inline u64 max_iova(const struct iox_pgtable *pt)
{
	return pt->cfg.ias >= 64 ? U64_MAX : BIT_ULL(pt->cfg.ias) - 1;
}

static inline bool entry_present(const struct iox_pgtable *pt, u64 pte)
{
	return pte & pt->fmt->present;
}

/* A present entry above level 1 is either a table or a large leaf. */
static inline bool entry_is_table(const struct iox_pgtable *pt, u64 pte,
				  unsigned int level)
{
	return level > 1 &&
	       (pte & pt->fmt->type_mask) == pt->fmt->table_type[level];
}

/*
 * A present leaf mapping exactly the entry's span (not one slot of an
 * AMD-Vi page-size override page).
 */
static inline bool entry_is_standalone_leaf(const struct iox_pgtable *pt,
					    u64 pte, unsigned int level)
{
	return entry_present(pt, pte) && !entry_is_table(pt, pte, level) &&
	       (pte & pt->fmt->type_mask) != pt->fmt->replicated_type;
}

static inline u64 *entry_table(u64 pte)
{
	return phys_to_virt(pte & IOX_PT_ADDR_MASK);
}

static u64 *table_alloc(struct iox_pgtable *pt, gfp_t gfp)
{
	struct page *page;

	if (pt->alloc_fail_after >= 0) {
		if (!pt->alloc_fail_after)
			return NULL;
		pt->alloc_fail_after--;
	}
	if (iox_should_fail_alloc())
		return NULL;
	page = alloc_page((gfp & ~__GFP_HIGHMEM) | __GFP_ZERO);
	if (!page)
		return NULL;
	atomic_long_inc(&pt->stats.pages_allocated);
	return page_address(page);
}

/* Free a table the walker can no longer reach, at once. */
static void table_free(struct iox_pgtable *pt, u64 *table)
{
	__free_page(virt_to_page(table));
	atomic_long_inc(&pt->stats.pages_freed);
}

/* Free a table that was reachable: only after the IOTLB flush. */
static void table_release(struct iox_pgtable *pt, u64 *table,
			  struct iox_iotlb_gather *gather)
{
	iox_iotlb_gather_free_page(gather, virt_to_page(table));
	atomic_long_inc(&pt->stats.pages_gathered);
}

/* Free a table and every table below it, at once. */
static void table_free_tree(struct iox_pgtable *pt, u64 *table,
			    unsigned int level)
{
	unsigned int i;

	for (i = 0; level > 1 && i < IOX_PT_ENTRIES; i++) {
		u64 pte = table[i];

		if (entry_present(pt, pte) && entry_is_table(pt, pte, level))
			table_free_tree(pt, entry_table(pte), level - 1);
	}
	table_free(pt, table);
}

/* The flush hook of most non-coherent walkers, called directly. */
#ifdef CONFIG_X86
#define IOX_PT_DEFAULT_FLUSH	clflush_cache_range
#endif

static void flush_entries(struct iox_pgtable *pt, u64 *table,
			  unsigned int first, unsigned int last)
{
	void *addr = &table[first];
	unsigned int size = (last - first + 1) * sizeof(*table);

#ifdef IOX_PT_DEFAULT_FLUSH
	INDIRECT_CALL_1(pt->cfg.flush, IOX_PT_DEFAULT_FLUSH, addr, size);
#else
	pt->cfg.flush(addr, size);
#endif
	this_cpu_inc(pt->stats.counters->flushes);
}

/*
 * The span of entries a walk wrote in one table, flushed once at the end of
 * the visit for a non-coherent walker.
 */
struct dirty_span {
	unsigned int first;
	unsigned int last;
};

#define DIRTY_SPAN_INIT	{ .first = IOX_PT_ENTRIES, .last = 0 }

static inline void dirty_mark(struct dirty_span *d, unsigned int first,
			      unsigned int last)
{
	d->first = min(d->first, first);
	d->last = max(d->last, last);
}

static void dirty_flush(struct iox_pgtable *pt, u64 *table,
			const struct dirty_span *d)
{
	if (!pt->cfg.coherent && d->first <= d->last)
		flush_entries(pt, table, d->first, d->last);
}

/*
 * Make a private table, fully written, reachable through @slot, provided
 * @slot still holds @old: another walk may have replaced it meanwhile.  The
 * walker may fetch any of the table's entries, so a non-coherent walker
 * needs the whole page in memory first; the barrier keeps the contents
 * before the pointer for a coherent one.  Return: false if @slot changed,
 * with the table still private.
 */
static bool table_publish(struct iox_pgtable *pt, u64 *slot, u64 old,
			  u64 *table, unsigned int level)
{
	if (!pt->cfg.coherent)
		flush_entries(pt, table, 0, IOX_PT_ENTRIES - 1);
	dma_wmb();
	return cmpxchg64(slot, old,
			 pt->fmt->make_table(virt_to_phys(table), level)) == old;
}

/* Validate a run; on success *last is its last IOVA. */
static __always_inline int check_run(const struct iox_pgtable *pt, u64 iova,
				     size_t pgsize, size_t pgcount, u64 *last)
{
	size_t bytes;

	if (!is_power_of_2(pgsize) || !(pt->pgsize_bitmap & pgsize) ||
	    !pgcount || (iova & (pgsize - 1)))
		return -EINVAL;
	if (check_mul_overflow(pgsize, pgcount, &bytes) ||
	    check_add_overflow(iova, (u64)bytes - 1, last) ||
	    *last > max_iova(pt))
		return -ERANGE;
	return 0;
}

/*
 * The table at @leaf_level that holds the whole run [@iova, @last], if the
 * run fits in one such table and every table on the way there exists: the
 * common case of DMA-API maps and unmaps, which the fast paths below take
 * without the recursive walk.  Return: the table, or NULL when the run
 * needs the general walk.
 */
static __always_inline u64 *run_table(struct iox_pgtable *pt, u64 iova,
				      u64 last, unsigned int leaf_level)
{
	const struct iox_pgtable_fmt *fmt = pt->fmt;
	u64 *table = pt->root;
	unsigned int level;

	if (leaf_level < pt->levels &&
	    (iova ^ last) >> iox_pt_level_shift(leaf_level + 1))
		return NULL;
	for (level = pt->levels; level > leaf_level; level--) {
		u64 pte = READ_ONCE(table[entry_index(iova, level)]);

		if (!(pte & fmt->present) ||
		    (pte & fmt->type_mask) != fmt->table_type[level])
			return NULL;
		table = entry_table(pte);
	}
	return table;
}

/* Count the visits of a fast path: each table from the root down, once. */
static void run_table_visits(struct iox_pgtable *pt, unsigned int leaf_level)
{
	unsigned int level;

	for (level = pt->levels; level >= leaf_level; level--)
		this_cpu_inc(pt->stats.counters->table_visits[level]);
}

/* ----- map ----- */

/**
 * struct map_walk - state of one map_pages() run
 * @pt: the page table
 * @pte: leaf entry of the next page to map
 * @pgsize: page size of the run
 * @leaf_level: level of the tables holding the leaves
 * @span: entries per page at @leaf_level (more than one only for an AMD-Vi
 *	page-size override)
 * @gfp: allocation flags for new tables
 * @mapped: bytes mapped so far, always whole pages from the start of the run
 */
struct map_walk {
	struct iox_pgtable *pt;
	u64 pte;
	size_t pgsize;
	unsigned int leaf_level;
	unsigned int span;
	gfp_t gfp;
	size_t mapped;
};

/*
 * Whether slot @i of @table at @level can take a page of its span: it is
 * not present, or it holds a table that maps nothing (one that unmaps left
 * empty) and every slot of it can in turn.
 */
static bool slot_free(struct iox_pgtable *pt, u64 *table, unsigned int level,
		      unsigned int i, bool *tables)
{
	u64 pte = READ_ONCE(table[i]);
	unsigned int k;

	if (!entry_present(pt, pte))
		return true;
	if (!entry_is_table(pt, pte, level))
		return false;
	*tables = true;
	for (k = 0; k < IOX_PT_ENTRIES; k++)
		if (!slot_free(pt, entry_table(pte), level - 1, k, tables))
			return false;
	return true;
}

/*
 * Map [@pa, @pa + span) with @prot through slot @i at @level, which
 * slot_free() accepted: an empty slot gets a leaf of the slot's span, a
 * table that stayed behind is filled with leaves of the next level down
 * (a unit that has a page size has the format's smaller ones too).
 * The translation is the page's, in smaller leaves; the table stays, so
 * no walker can be left holding a pointer to a freed page.  The run covers
 * the slot whole, so no other walk uses the table.
 */
static void slot_fill(struct iox_pgtable *pt, u64 *table, unsigned int level,
		      unsigned int i, phys_addr_t pa, int prot)
{
	u64 pte = READ_ONCE(table[i]);
	u64 child = entry_span(level - 1), *sub;
	unsigned int k;

	if (!entry_present(pt, pte)) {
		WRITE_ONCE(table[i], pt->fmt->make_leaf(pt, pa, level,
							iox_pt_level_shift(level),
							prot));
		return;
	}
	sub = entry_table(pte);
	for (k = 0; k < IOX_PT_ENTRIES; k++)
		slot_fill(pt, sub, level - 1, k, pa + k * child, prot);
	if (!pt->cfg.coherent)
		flush_entries(pt, sub, 0, IOX_PT_ENTRIES - 1);
}

/* Map the run's next page where tables stayed behind in its slots. */
static void map_page_through_tables(struct map_walk *w, u64 *table,
				    unsigned int i)
{
	struct iox_pgtable *pt = w->pt;
	u64 span = entry_span(w->leaf_level);
	unsigned int shift, j;
	phys_addr_t pa;
	int prot;

	pt->fmt->decode_leaf(w->pte, w->leaf_level, &pa, &shift, &prot);
	for (j = 0; j < w->span; j++)
		slot_fill(pt, table, w->leaf_level, i + j, pa + j * span, prot);
}

static int map_leaves(struct map_walk *w, u64 *table, unsigned int first,
		      unsigned int last, struct dirty_span *d)
{
	unsigned int i, j;
	bool tables;
	int ret = 0;

	for (i = first; i <= last; i += w->span) {
		tables = false;
		for (j = 0; j < w->span; j++) {
			if (!slot_free(w->pt, table, w->leaf_level, i + j,
				       &tables)) {
				ret = -EEXIST;
				goto out;
			}
		}
		if (tables) {
			map_page_through_tables(w, table, i);
		} else {
			for (j = 0; j < w->span; j++)
				WRITE_ONCE(table[i + j], w->pte);
		}
		w->pte += w->pgsize;
		w->mapped += w->pgsize;
	}
out:
	if (i > first)
		dirty_mark(d, first, i - 1);
	return ret;
}

static int map_level(struct map_walk *w, u64 *table, unsigned int level,
		     u64 start, u64 last, bool fresh);

/*
 * Map a run that fits in one existing leaf table: one pass over the slots,
 * each written while empty, and for a walker that does not snoop the
 * caches one write-back of the slots written.  At the first slot that is
 * not empty (a table left behind, a mapping), it stops; the general walk
 * maps the rest or fails there, as if it had done the whole run (@w says
 * how far the run got).  Visits are counted only for a run done here, so
 * that the counters count each table once either way.
 * Return: true if the whole run was mapped.
 */
static bool map_run_fast(struct map_walk *w, u64 iova, u64 last)
{
	struct iox_pgtable *pt = w->pt;
	u64 present = pt->fmt->present, pte = w->pte, pgsize = w->pgsize;
	unsigned int first, end, i;
	u64 *table;

	if (w->span != 1)
		return false;
	table = run_table(pt, iova, last, w->leaf_level);
	if (!table)
		return false;
	first = entry_index(iova, w->leaf_level);
	end = entry_index(last, w->leaf_level);
	for (i = first; i <= end; i++, pte += pgsize) {
		if (READ_ONCE(table[i]) & present)
			break;
		WRITE_ONCE(table[i], pte);
	}
	if (!pt->cfg.coherent && i > first)
		flush_entries(pt, table, first, i - 1);
	w->pte = pte;
	w->mapped = (size_t)(i - first) * pgsize;
	if (i <= end)
		return false;
	run_table_visits(pt, w->leaf_level);
	return true;
}

/*
 * Map [@s, @l] through entry @i of @table.  Where no table is there yet,
 * one is built privately and published with a compare-and-exchange; if a
 * walk mapping a disjoint range published one first, the private one is
 * dropped and the run goes through the winner's.
 */
static int map_entry(struct map_walk *w, u64 *table, unsigned int level,
		     unsigned int i, u64 s, u64 l, struct dirty_span *d)
{
	struct iox_pgtable *pt = w->pt;
	size_t mapped = w->mapped;
	u64 leaf = w->pte;
	u64 pte, *sub;
	int ret;

	for (;;) {
		pte = READ_ONCE(table[i]);
		if (entry_present(pt, pte)) {
			if (!entry_is_table(pt, pte, level))
				return -EEXIST;	/* a larger leaf covers the run */
			return map_level(w, entry_table(pte), level - 1, s, l,
					 false);
		}
		sub = table_alloc(pt, w->gfp);
		if (!sub)
			return -ENOMEM;
		/* Fill the table while the walker cannot see it yet. */
		ret = map_level(w, sub, level - 1, s, l, true);
		if (w->mapped == mapped) {
			table_free_tree(pt, sub, level - 1);
			return ret;
		}
		if (table_publish(pt, &table[i], pte, sub, level)) {
			dirty_mark(d, i, i);
			return ret;
		}
		table_free_tree(pt, sub, level - 1);
		w->mapped = mapped;
		w->pte = leaf;
	}
}

/*
 * Map [@start, @last] below @table.  A @fresh table is not reachable yet:
 * its caller flushes it whole when it publishes it.
 */
static int map_level(struct map_walk *w, u64 *table, unsigned int level,
		     u64 start, u64 last, bool fresh)
{
	struct iox_pgtable *pt = w->pt;
	unsigned int first = entry_index(start, level);
	unsigned int end = entry_index(last, level);
	struct dirty_span d = DIRTY_SPAN_INIT;
	u64 span = entry_span(level);
	u64 base = start & ~(span - 1);
	unsigned int i;
	int ret = 0;

	this_cpu_inc(pt->stats.counters->table_visits[level]);
	if (level == w->leaf_level) {
		ret = map_leaves(w, table, first, end, &d);
		goto out;
	}
	for (i = first; i <= end && !ret; i++, base += span)
		ret = map_entry(w, table, level, i, max(start, base),
				min(last, base + (span - 1)), &d);
out:
	if (!fresh)
		dirty_flush(pt, table, &d);
	return ret;
}

/**
 * iox_pgtable_map_pages() - map a run of equally sized pages
 * @pt: the page table
 * @iova: first IOVA, aligned to @pgsize
 * @paddr: first physical address, aligned to @pgsize
 * @pgsize: page size, one of @pt->pgsize_bitmap
 * @pgcount: number of pages, at least one
 * @prot: IOX_PROT_READ and/or IOX_PROT_WRITE, optionally IOX_PROT_SNOOP
 * @gfp: allocation flags for new tables (GFP_ATOMIC in atomic context)
 * @mapped: set to the bytes mapped, whole pages from @iova on, also on
 *	failure; may be NULL
 *
 * The run is mapped in one walk.  Where an unmap left an empty table in
 * the slot of a large page, the page is mapped through that table in
 * leaves of the next sizes down (same translation): the table is not
 * freed, since a walker may have cached it.  Pages are mapped in IOVA
 * order, so on
 * failure [@iova, @iova + *@mapped) is mapped and nothing else changed: the
 * caller unmaps that prefix (with an IOTLB flush, since the walker may have
 * seen it).  Refused input changes nothing.
 *
 * Return: 0 on success; -EINVAL for a page size the table does not offer,
 * a zero @pgcount, a misaligned address or bad @prot; -ERANGE if the run
 * goes beyond the input address width or the physical range beyond the
 * output address width; -EEXIST if part of the run is already mapped;
 * -ENOMEM if a table could not be allocated.
 */
int iox_pgtable_map_pages(struct iox_pgtable *pt, u64 iova, phys_addr_t paddr,
			  size_t pgsize, size_t pgcount, int prot, gfp_t gfp,
			  size_t *mapped)
{
	struct map_walk w = { .pt = pt, .pgsize = pgsize, .gfp = gfp };
	unsigned int shift;
	phys_addr_t plast;
	u64 last;
	int ret;

	if (mapped)
		*mapped = 0;
	ret = check_run(pt, iova, pgsize, pgcount, &last);
	if (ret)
		return ret;
	if (!(prot & (IOX_PROT_READ | IOX_PROT_WRITE)) || (prot & ~IOX_PROT_ALL) ||
	    (paddr & (pgsize - 1)))
		return -EINVAL;
	plast = paddr + (last - iova);
	if (plast < paddr || plast >= BIT_ULL(pt->cfg.oas))
		return -ERANGE;

	shift = __ffs(pgsize);
	w.leaf_level = (shift - IOX_PT_PAGE_SHIFT) / IOX_PT_ENTRY_BITS + 1;
	w.span = pgsize >> iox_pt_level_shift(w.leaf_level);
	w.pte = pt->fmt->make_leaf(pt, paddr, w.leaf_level, shift, prot);
	if (!map_run_fast(&w, iova, last))
		ret = map_level(&w, pt->root, pt->levels, iova + w.mapped, last,
				false);
	if (mapped)
		*mapped = w.mapped;
	return ret;
}
EXPORT_SYMBOL_GPL(iox_pgtable_map_pages);

/* ----- unmap ----- */

/**
 * struct unmap_walk - state of one unmap_pages() run
 * @pt: the page table
 * @gather: collects the invalidation range and the emptied tables
 * @unmapped: bytes unmapped so far, from the start of the run
 * @inval_start: first IOVA whose translation changed
 * @inval_last: last IOVA whose translation changed; a split leaf counts
 *	whole, since the IOTLB may hold its large translation
 * @inval_pgsize: largest leaf cleared or split
 * @tail_probed: the path to the last IOVA of the run has been examined
 * @tail_split: the prepared replacement of the leaf holding the run's last
 *	IOVA, if that leaf must be split; private until installed
 * @tail_level: level of the entry @tail_split replaces
 * @tail_base: first IOVA of the entry @tail_split replaces
 * @tail_pte: the leaf entry @tail_split was built from
 */
struct unmap_walk {
	struct iox_pgtable *pt;
	struct iox_iotlb_gather *gather;
	size_t unmapped;
	u64 inval_start;
	u64 inval_last;
	size_t inval_pgsize;
	bool tail_probed;
	u64 *tail_split;
	unsigned int tail_level;
	u64 tail_base;
	u64 tail_pte;
};

/*
 * Build, privately, the table that replaces the leaf entry @pte at @level
 * (covering [@base, @base + span)) minus the IOVAs [@cut_start, @cut_last]:
 * the rest keeps its translation through next-level leaves, and tables
 * again where the cut ends inside one of them.  Nested tables are written
 * back here, the returned one by table_publish().  Return: the table, or
 * NULL with nothing allocated when memory is short.
 */
static u64 *split_build(struct iox_pgtable *pt, u64 pte, unsigned int level,
			u64 base, u64 cut_start, u64 cut_last)
{
	u64 child_span = entry_span(level - 1);
	unsigned int shift, j;
	u64 child_pte, cb, *table;
	phys_addr_t pa;
	int prot;

	pt->fmt->decode_leaf(pte, level, &pa, &shift, &prot);
	pa += base & (BIT_ULL(shift) - 1);
	table = table_alloc(pt, GFP_ATOMIC | __GFP_NOWARN);
	if (!table)
		return NULL;

	child_pte = pt->fmt->make_leaf(pt, pa, level - 1,
				       iox_pt_level_shift(level - 1), prot);
	for (j = 0, cb = base; j < IOX_PT_ENTRIES;
	     j++, cb += child_span, child_pte += child_span) {
		u64 cl = cb + (child_span - 1);
		u64 *sub;

		if (cl < cut_start || cb > cut_last) {
			table[j] = child_pte;
		} else if (cb < cut_start || cl > cut_last) {
			sub = split_build(pt, child_pte, level - 1, cb,
					  cut_start, cut_last);
			if (!sub) {
				table_free_tree(pt, table, level - 1);
				return NULL;
			}
			if (!pt->cfg.coherent)
				flush_entries(pt, sub, 0, IOX_PT_ENTRIES - 1);
			table[j] = pt->fmt->make_table(virt_to_phys(sub), level - 1);
		}
		/* else inside the cut: left not present */
	}
	return table;	/* flushed by table_publish() */
}

/*
 * Before the walk changes anything, prepare the split of the leaf holding
 * the run's last IOVA, if the run ends inside one: together with the split
 * at the run's first IOVA (the first thing the walk does) this is all the
 * memory an unmap can need, so a shortage changes nothing.
 */
static int unmap_prepare_tail(struct unmap_walk *w, u64 *table,
			      unsigned int level, u64 last)
{
	struct iox_pgtable *pt = w->pt;

	for (;;) {
		u64 span = entry_span(level);
		u64 pte = READ_ONCE(table[entry_index(last, level)]);

		/* Nothing mapped, or the run ends with the entry: no split. */
		if (!entry_present(pt, pte) || !((last + 1) & (span - 1)))
			return 0;
		if (entry_is_table(pt, pte, level)) {
			table = entry_table(pte);
			level--;
			continue;
		}
		w->tail_base = last & ~(span - 1);
		w->tail_split = split_build(pt, pte, level, w->tail_base,
					    w->tail_base, last);
		if (!w->tail_split)
			return -ENOMEM;
		w->tail_level = level;
		w->tail_pte = pte;
		return 0;
	}
}

/*
 * An AMD-Vi override page is one entry repeated over several slots; when
 * only part of it is unmapped, rewrite every slot as a standalone leaf of
 * the slot's span first, so that no slot still claims the whole page.
 * The translation of each slot stays the same.  Unmaps of other parts of
 * the page may do the same at once, so a slot is rewritten only while it
 * still holds the page's entry.
 */
static void leaf_unreplicate(struct iox_pgtable *pt, u64 *table,
			     unsigned int level, unsigned int first,
			     unsigned int count, u64 pte,
			     struct dirty_span *d)
{
	u64 span = entry_span(level), old = pte;
	unsigned int shift, j;
	phys_addr_t pa;
	int prot;

	pt->fmt->decode_leaf(pte, level, &pa, &shift, &prot);
	pte = pt->fmt->make_leaf(pt, pa, level, iox_pt_level_shift(level), prot);
	for (j = 0; j < count; j++, pte += span)
		cmpxchg64(&table[first + j], old, pte);
	dirty_mark(d, first, first + count - 1);
}

/* [@start, @start + @size) changed, in leaves of at most @pgsize. */
static void unmap_note(struct unmap_walk *w, u64 start, u64 size, u64 pgsize)
{
	w->inval_start = min(w->inval_start, start);
	w->inval_last = max(w->inval_last, start + (size - 1));
	w->inval_pgsize = max_t(size_t, w->inval_pgsize, pgsize);
}

/*
 * Unmap [@s, @l] from the leaf entry @pte in slot @i of @table, which spans
 * [@base, @base + span).  [@start, @last] is the part of the run inside
 * @table.  Return: 0, -ENOMEM, or -EAGAIN if another walk changed the slot
 * first (split the same leaf for a disjoint range): look at it again.
 */
static int unmap_leaf(struct unmap_walk *w, u64 *table, unsigned int level,
		      unsigned int i, u64 pte, u64 base, u64 s, u64 l,
		      u64 start, u64 last, struct dirty_span *d)
{
	struct iox_pgtable *pt = w->pt;
	u64 span = entry_span(level);
	u64 leaf_size, leaf_base, *split = NULL;
	unsigned int shift;
	phys_addr_t pa;
	int prot;

	pt->fmt->decode_leaf(pte, level, &pa, &shift, &prot);
	leaf_size = BIT_ULL(shift);
	leaf_base = base & ~(leaf_size - 1);

	if (s != base || l != base + (span - 1)) {
		if (w->tail_split && w->tail_level == level &&
		    w->tail_base == base && w->tail_pte == pte) {
			split = w->tail_split;
			w->tail_split = NULL;
		} else {
			split = split_build(pt, pte, level, base, s, l);
			if (!split)
				return -ENOMEM;
		}
	}
	if (leaf_size > span &&
	    (leaf_base < start || leaf_base + (leaf_size - 1) > last)) {
		leaf_unreplicate(pt, table, level,
				 entry_index(leaf_base, level),
				 leaf_size >> iox_pt_level_shift(level), pte, d);
		/* Slot @i is ours: only this walk changes it from here on. */
		pte = READ_ONCE(table[i]);
	}

	unmap_note(w, leaf_base, leaf_size, leaf_size);
	if (split) {
		if (!table_publish(pt, &table[i], pte, split, level)) {
			table_free_tree(pt, split, level - 1);
			return -EAGAIN;
		}
	} else {
		WRITE_ONCE(table[i], 0);
	}
	dirty_mark(d, i, i);
	w->unmapped += l - s + 1;
	return 0;
}

static int unmap_level(struct unmap_walk *w, u64 *table, unsigned int level,
		       u64 start, u64 last, bool whole);

/*
 * Clear the standalone leaves from slot @i of @table on (slot @i spans
 * [@base, @base + span)) that the run [@start, @last] covers whole, up to
 * slot @end: the common case of an unmap, one load and one store per
 * entry, with the walk's bookkeeping done once for the stretch.  Only the
 * first and the last slot of a table can be covered in part; those, tables,
 * the slots of an AMD-Vi override page and holes are left to unmap_entry().
 * Return: the number of slots cleared, 0 if slot @i is not such a leaf.
 */
static unsigned int unmap_leaf_run(struct unmap_walk *w, u64 *table,
				   unsigned int level, unsigned int i,
				   unsigned int end, u64 base, u64 start,
				   u64 last, struct dirty_span *d)
{
	const struct iox_pgtable_fmt *fmt = w->pt->fmt;
	u64 present = fmt->present, type_mask = fmt->type_mask;
	u64 replicated = fmt->replicated_type;
	u64 table_type = level > 1 ? fmt->table_type[level] : replicated;
	u64 span = entry_span(level);
	unsigned int j, n;

	if (base < start)
		return 0;
	n = end - i + !((last + 1) & (span - 1));
	for (j = 0; j < n; j++) {
		u64 pte = READ_ONCE(table[i + j]), type = pte & type_mask;

		if (!(pte & present) || type == replicated || type == table_type)
			break;
		WRITE_ONCE(table[i + j], 0);
	}
	if (j) {
		dirty_mark(d, i, i + j - 1);
		unmap_note(w, base, j * span, span);
		w->unmapped += j * span;
	}
	return j;
}

/*
 * Unmap [@s, @l] through slot @i of @table, which spans [@base, @base +
 * span).  A table below is unlinked only if the run covers all of it and
 * unmapped all of it: a table the run covers in part may be in use by a
 * walk for another range.
 */
static int unmap_entry(struct unmap_walk *w, u64 *table, unsigned int level,
		       unsigned int i, u64 base, u64 s, u64 l, u64 start,
		       u64 last, struct dirty_span *d)
{
	struct iox_pgtable *pt = w->pt;
	u64 span = entry_span(level);
	bool whole = s == base && l == base + (span - 1);
	u64 pte, *sub;
	int ret;

	do {
		pte = READ_ONCE(table[i]);
		if (!entry_present(pt, pte))
			return -ENOENT;
		if (entry_is_table(pt, pte, level)) {
			sub = entry_table(pte);
			ret = unmap_level(w, sub, level - 1, s, l, whole);
			if (whole && !ret) {
				WRITE_ONCE(table[i], 0);
				dirty_mark(d, i, i);
				table_release(pt, sub, w->gather);
			}
			return ret;
		}
		if (whole && entry_is_standalone_leaf(pt, pte, level)) {
			/* The common case, a whole page of the entry's span. */
			WRITE_ONCE(table[i], 0);
			dirty_mark(d, i, i);
			unmap_note(w, base, span, span);
			w->unmapped += span;
			return 0;
		}
		ret = unmap_leaf(w, table, level, i, pte, base, s, l, start,
				 last, d);
	} while (ret == -EAGAIN);
	return ret;
}

/*
 * Unmap [@start, @last] below @table; @whole if that is the table's whole
 * span.  Return: 0, -ENOENT at the first IOVA that is not mapped (the walk
 * stops there), or -ENOMEM.
 */
static int unmap_level(struct unmap_walk *w, u64 *table, unsigned int level,
		       u64 start, u64 last, bool whole)
{
	struct iox_pgtable *pt = w->pt;
	unsigned int first = entry_index(start, level);
	unsigned int end = entry_index(last, level);
	struct dirty_span d = DIRTY_SPAN_INIT;
	u64 span = entry_span(level);
	u64 base = start & ~(span - 1);
	unsigned int i, n;
	int ret = 0;

	this_cpu_inc(pt->stats.counters->table_visits[level]);
	/* Where the paths to the first and last IOVA part, look ahead. */
	if (first != end && !w->tail_probed) {
		w->tail_probed = true;
		ret = unmap_prepare_tail(w, table, level, last);
		if (ret)
			return ret;
	}

	for (i = first; i <= end && !ret; i += n, base += n * span) {
		/* A single entry takes unmap_entry()'s own leaf case. */
		n = first == end ? 0 : unmap_leaf_run(w, table, level, i, end,
						      base, start, last, &d);
		if (n)
			continue;
		ret = unmap_entry(w, table, level, i, base, max(start, base),
				  min(last, base + (span - 1)), start, last, &d);
		n = 1;
	}
	/*
	 * A table emptied whole is unlinked by the caller; the walker reaches
	 * it only through stale caches until the flush, so its own entries
	 * need no write-back.
	 */
	if (!whole || ret)
		dirty_flush(pt, table, &d);
	return ret;
}

/*
 * Unmap a run of pages of @pgsize that fits in one existing table: one pass
 * over the slots, each cleared while it holds a standalone leaf of that
 * size, and for a walker that does not snoop the caches one write-back of
 * the slots cleared.  At the first slot that does not (a hole, smaller
 * leaves, an AMD-Vi override page) it stops and the general walk does the
 * rest from there, as if it had done the whole run; a run over a whole
 * table, which the general walk unlinks and frees, is left to it from the
 * start.  Visits are counted only for a run done here, so that the counters
 * count each table once either way.  Return: the bytes unmapped from @iova
 * on, their range added to @gather.
 */
static size_t unmap_run_fast(struct iox_pgtable *pt, u64 iova, u64 last,
			     size_t pgsize, struct iox_iotlb_gather *gather)
{
	const struct iox_pgtable_fmt *fmt = pt->fmt;
	unsigned int level = (__ffs(pgsize) - IOX_PT_PAGE_SHIFT) /
			     IOX_PT_ENTRY_BITS + 1;
	u64 present = fmt->present, type_mask = fmt->type_mask;
	u64 leaf_type = fmt->leaf_type[level];
	unsigned int first, end, i;
	size_t done;
	u64 *table;

	if (pgsize != entry_span(level))
		return 0;
	table = run_table(pt, iova, last, level);
	if (!table)
		return 0;
	first = entry_index(iova, level);
	end = entry_index(last, level);
	if (!first && end == IOX_PT_ENTRIES - 1 && level < pt->levels)
		return 0;
	for (i = first; i <= end; i++) {
		u64 pte = READ_ONCE(table[i]);

		if (!(pte & present) || (pte & type_mask) != leaf_type)
			break;
		WRITE_ONCE(table[i], 0);
	}
	if (!pt->cfg.coherent && i > first)
		flush_entries(pt, table, first, i - 1);
	done = (size_t)(i - first) * pgsize;
	if (i > end)
		run_table_visits(pt, level);
	if (done)
		iox_iotlb_gather_add_range(gather, iova, done, pgsize);
	return done;
}

/*
 * The general walk of [@iova, @last], for what the fast path left; out of
 * line, so that the fast path's caller does not set up its state.
 */
static noinline int unmap_general(struct iox_pgtable *pt, u64 iova, u64 last,
				  struct iox_iotlb_gather *gather, size_t *unmapped)
{
	struct unmap_walk w = {
		.pt = pt,
		.gather = gather,
		.inval_start = U64_MAX,
	};
	int ret = unmap_level(&w, pt->root, pt->levels, iova, last, false);

	if (w.tail_split)
		table_free_tree(pt, w.tail_split, w.tail_level - 1);
	if (w.unmapped)
		iox_iotlb_gather_add_range(gather, w.inval_start,
					   w.inval_last - w.inval_start + 1,
					   w.inval_pgsize);
	*unmapped = w.unmapped;
	return ret;
}

/**
 * iox_pgtable_unmap_pages() - unmap a run of equally sized pages
 * @pt: the page table
 * @iova: first IOVA, aligned to @pgsize
 * @pgsize: page size, one of @pt->pgsize_bitmap
 * @pgcount: number of pages, at least one
 * @gather: receives the IOVA range to invalidate and the table pages that
 *	became unreachable (those whose whole span the run unmapped), to be
 *	freed after the IOTLB flush
 * @unmapped: set to the bytes unmapped from @iova on, also on failure
 *
 * The run is unmapped in one walk, whatever leaves map it: a leaf that the
 * run covers only in part (a 4 KiB unmap inside a 2 MiB page) is split, its
 * replacement table built completely first and installed with one store,
 * so the rest of the leaf never stops translating.  Only the leaves holding
 * the run's first and last IOVA can need a split, and the memory for both
 * is allocated (GFP_ATOMIC) before anything changes.  Unmapping stops at the
 * first IOVA that is not mapped.
 *
 * Return: 0 if the whole run was unmapped; -ENOENT if the walk reached an
 * IOVA that is not mapped (*@unmapped bytes before it were unmapped, the
 * rest is untouched); -ENOMEM if a split needed a table that could not be
 * allocated (the walk stopped there, as at a hole: since the splits are
 * prepared before anything changes, *@unmapped is 0 unless a concurrent
 * unmap changed the leaf holding the run's last IOVA meanwhile); -EINVAL or
 * -ERANGE for a run refused as for iox_pgtable_map_pages() (nothing
 * changed).
 */
int iox_pgtable_unmap_pages(struct iox_pgtable *pt, u64 iova, size_t pgsize,
			    size_t pgcount, struct iox_iotlb_gather *gather,
			    size_t *unmapped)
{
	size_t done, rest;
	u64 last;
	int ret;

	*unmapped = 0;
	ret = check_run(pt, iova, pgsize, pgcount, &last);
	if (ret)
		return ret;
	done = unmap_run_fast(pt, iova, last, pgsize, gather);
	*unmapped = done;
	if (done == last - iova + 1)
		return 0;
	ret = unmap_general(pt, iova + done, last, gather, &rest);
	*unmapped = done + rest;
	return ret;
}
EXPORT_SYMBOL_GPL(iox_pgtable_unmap_pages);

/* ----- lookup, setup, teardown ----- */

/**
 * iox_pgtable_lookup() - find the leaf translating an IOVA
 * @pt: the page table
 * @iova: the IOVA
 * @leaf: filled with the leaf; when @iova is not mapped, only @leaf->iova,
 *	@leaf->size and @leaf->level describe the empty entry the walk found
 *
 * Return: 0 if @iova is mapped, -ENOENT if not, -ERANGE if it is beyond
 * the input address width.
 */
int iox_pgtable_lookup(struct iox_pgtable *pt, u64 iova,
		       struct iox_pgtable_leaf *leaf)
{
	unsigned int level = pt->levels, shift;
	u64 *table = pt->root;
	phys_addr_t pa;
	u64 pte;

	if (iova > max_iova(pt))
		return -ERANGE;
	for (;;) {
		pte = READ_ONCE(table[entry_index(iova, level)]);
		if (!entry_present(pt, pte)) {
			*leaf = (struct iox_pgtable_leaf) {
				.iova = iova & ~(entry_span(level) - 1),
				.size = entry_span(level),
				.level = level,
			};
			return -ENOENT;
		}
		if (!entry_is_table(pt, pte, level))
			break;
		table = entry_table(pte);
		level--;
	}
	pt->fmt->decode_leaf(pte, level, &pa, &shift, &leaf->prot);
	leaf->size = BIT_ULL(shift);
	leaf->iova = iova & ~(leaf->size - 1);
	leaf->paddr = pa + (iova - leaf->iova);
	leaf->level = level;
	leaf->pte = pte;
	return 0;
}
EXPORT_SYMBOL_GPL(iox_pgtable_lookup);

/**
 * iox_pgtable_iova_to_phys() - translate an IOVA like the hardware would
 * @pt: the page table
 * @iova: the IOVA
 *
 * Return: the physical address, or 0 if @iova is not mapped.
 */
phys_addr_t iox_pgtable_iova_to_phys(struct iox_pgtable *pt, u64 iova)
{
	struct iox_pgtable_leaf leaf;

	return iox_pgtable_lookup(pt, iova, &leaf) ? 0 : leaf.paddr;
}
EXPORT_SYMBOL_GPL(iox_pgtable_iova_to_phys);

/**
 * iox_pgtable_root_phys() - the address to program into the hardware
 * @pt: the page table
 *
 * VT-d takes it as the context entry's second-stage pointer with the
 * address width of @pt->levels; AMD-Vi as the device-table entry's page
 * table root pointer with Mode = @pt->levels.
 *
 * Return: physical address of the top-level table.
 */
phys_addr_t iox_pgtable_root_phys(const struct iox_pgtable *pt)
{
	return virt_to_phys(pt->root);
}
EXPORT_SYMBOL_GPL(iox_pgtable_root_phys);

/**
 * iox_pgtable_init() - create an empty page table
 * @pt: the page table to set up
 * @cfg: what the hardware can walk
 * @gfp: allocation flags for the top-level table
 *
 * Return: 0 on success; -EINVAL for an unknown format, an address width
 * the format cannot walk, a page-size bitmap without 4 KiB or without any
 * size the format has, or a non-coherent walker without a flush hook where
 * there is no default; -EOPNOTSUPP if the CPU page size is not 4 KiB;
 * -ENOMEM.
 */
int iox_pgtable_init(struct iox_pgtable *pt, const struct iox_pgtable_cfg *cfg,
		     gfp_t gfp)
{
	const struct iox_pgtable_fmt *fmt;
	unsigned long sizes, size;
	int levels;

	memset(pt, 0, sizeof(*pt));
	pt->alloc_fail_after = -1;
	if (PAGE_SIZE != SZ_4K)
		return -EOPNOTSUPP;
	switch (cfg->format) {
	case IOX_PGTABLE_VTD_SL:
		fmt = &iox_pgtable_vtd_fmt;
		break;
	case IOX_PGTABLE_AMD_V1:
		fmt = &iox_pgtable_amd_fmt;
		break;
	default:
		return -EINVAL;
	}
	levels = fmt->levels(cfg->ias);
	if (levels < 0 || cfg->oas <= IOX_PT_PAGE_SHIFT || cfg->oas > IOX_PT_OAS_MAX)
		return -EINVAL;

	/* Every page size whose leaves sit at a level the table has. */
	sizes = fmt->pgsizes;
	if (cfg->pgsize_bitmap)
		sizes &= cfg->pgsize_bitmap;
	pt->pgsize_bitmap = 0;
	for_each_set_bit(size, &sizes, BITS_PER_LONG)
		if ((size - IOX_PT_PAGE_SHIFT) / IOX_PT_ENTRY_BITS < levels)
			pt->pgsize_bitmap |= BIT(size);
	if (!(pt->pgsize_bitmap & SZ_4K))
		return -EINVAL;

	pt->cfg = *cfg;
	if (!cfg->coherent && !cfg->flush) {
#ifdef IOX_PT_DEFAULT_FLUSH
		pt->cfg.flush = IOX_PT_DEFAULT_FLUSH;
#else
		return -EINVAL;
#endif
	}
	pt->fmt = fmt;
	pt->levels = levels;
	if (!iox_should_fail_alloc())
		pt->stats.counters = alloc_percpu_gfp(struct iox_pgtable_counters, gfp);
	if (!pt->stats.counters)
		return -ENOMEM;
	pt->root = table_alloc(pt, gfp);
	if (!pt->root) {
		free_percpu(pt->stats.counters);
		pt->stats.counters = NULL;
		return -ENOMEM;
	}
	if (!pt->cfg.coherent)
		flush_entries(pt, pt->root, 0, IOX_PT_ENTRIES - 1);
	return 0;
}
EXPORT_SYMBOL_GPL(iox_pgtable_init);

/**
 * iox_pgtable_destroy() - free every table page at once
 * @pt: the page table; may have mappings left
 *
 * The caller guarantees that no walker can reach the table any more: the
 * hardware no longer points at it and its caches were invalidated.
 */
void iox_pgtable_destroy(struct iox_pgtable *pt)
{
	free_percpu(pt->stats.counters);
	pt->stats.counters = NULL;
	if (!pt->root)
		return;
	table_free_tree(pt, pt->root, pt->levels);
	pt->root = NULL;
}
EXPORT_SYMBOL_GPL(iox_pgtable_destroy);

/* A leaf must map a page size the format has, at least its slot's span. */
static bool audit_leaf(struct iox_pgtable *pt, u64 pte, unsigned int level)
{
	unsigned int shift;
	phys_addr_t pa;
	int prot;

	pt->fmt->decode_leaf(pte, level, &pa, &shift, &prot);
	return shift >= iox_pt_level_shift(level) && shift < BITS_PER_LONG &&
	       (pt->fmt->pgsizes & BIT(shift)) &&
	       !(pa & (BIT_ULL(shift) - 1));
}

static int audit_table(struct iox_pgtable *pt, u64 *table, unsigned int level,
		       struct iox_pgtable_usage *usage)
{
	unsigned int i, present = 0;
	int ret = 0;

	usage->tables++;
	for (i = 0; i < IOX_PT_ENTRIES; i++) {
		u64 pte = READ_ONCE(table[i]);

		if (!entry_present(pt, pte))
			continue;
		present++;
		/* A repeated override entry maps one slot's span per slot. */
		if (!entry_is_table(pt, pte, level)) {
			usage->mapped += entry_span(level);
			if (!audit_leaf(pt, pte, level))
				ret = -EUCLEAN;
		} else if (!ret) {
			ret = audit_table(pt, entry_table(pte), level - 1, usage);
		}
	}
	if (!present && level != pt->levels)
		usage->empty++;
	return ret;
}

/**
 * iox_pgtable_audit() - check the table's bookkeeping and measure it
 * @pt: the page table
 * @usage: set to the reachable table pages and the bytes mapped
 *
 * Every leaf must map a page size the format has, aligned, at a level
 * that can hold it.  Tables that unmaps emptied without covering them
 * whole are counted in @usage->empty.  Reads every table: for tests and
 * debugfs, with no map or unmap running.
 *
 * Return: 0 if consistent, -EUCLEAN otherwise.
 */
int iox_pgtable_audit(struct iox_pgtable *pt, struct iox_pgtable_usage *usage)
{
	*usage = (struct iox_pgtable_usage){};
	return audit_table(pt, pt->root, pt->levels, usage);
}
EXPORT_SYMBOL_GPL(iox_pgtable_audit);

/**
 * iox_pgtable_show() - print the table's shape and accounting
 * @pt: the page table
 * @m: the seq_file of a debugfs file
 *
 * For the core's per-domain debugfs file.
 */
void iox_pgtable_show(struct iox_pgtable *pt, struct seq_file *m)
{
	struct iox_pgtable_counters c;
	unsigned int level;

	seq_printf(m, "format: %s\n", pt->fmt->name);
	seq_printf(m, "levels: %u\n", pt->levels);
	seq_printf(m, "ias: %u\noas: %u\n", pt->cfg.ias, pt->cfg.oas);
	seq_printf(m, "pgsize_bitmap: %#lx\n", pt->pgsize_bitmap);
	seq_printf(m, "coherent: %d\n", pt->cfg.coherent);
	seq_printf(m, "pages_allocated: %ld\n",
		   atomic_long_read(&pt->stats.pages_allocated));
	seq_printf(m, "pages_gathered: %ld\n",
		   atomic_long_read(&pt->stats.pages_gathered));
	seq_printf(m, "pages_freed: %ld\n",
		   atomic_long_read(&pt->stats.pages_freed));
	seq_printf(m, "pages_live: %ld\n", iox_pgtable_live_pages(pt));
	iox_pgtable_get_counters(pt, &c);
	seq_printf(m, "flushes: %lu\n", c.flushes);
	for (level = 1; level <= pt->levels; level++)
		seq_printf(m, "table_visits_level%u: %lu\n", level,
			   c.table_visits[level]);
}
EXPORT_SYMBOL_GPL(iox_pgtable_show);

/**
 * iox_pgtable_get_info() - the table's accounting, for the core's API
 * @pt: the page table
 * @info: filled with the page counters, the levels and the flushes
 */
void iox_pgtable_get_info(struct iox_pgtable *pt, struct iox_pgtable_info *info)
{
	struct iox_pgtable_counters c;

	iox_pgtable_get_counters(pt, &c);
	info->levels = pt->levels;
	info->pages_allocated = atomic_long_read(&pt->stats.pages_allocated);
	info->pages_gathered = atomic_long_read(&pt->stats.pages_gathered);
	info->pages_freed = atomic_long_read(&pt->stats.pages_freed);
	info->pages_live = info->pages_allocated - info->pages_gathered -
			   info->pages_freed;
	info->flushes = c.flushes;
}
EXPORT_SYMBOL_GPL(iox_pgtable_get_info);

/**
 * iox_pgtable_get_counters() - what the walks of a table did, all CPUs'
 * @pt: the page table
 * @sum: filled with the sums of the CPUs' counters; zeros once the table
 *	is destroyed
 *
 * Any context.  Walks running meanwhile may or may not be counted.
 */
void iox_pgtable_get_counters(struct iox_pgtable *pt, struct iox_pgtable_counters *sum)
{
	unsigned int cpu, level;

	memset(sum, 0, sizeof(*sum));
	if (!pt->stats.counters)
		return;
	for_each_possible_cpu(cpu) {
		const struct iox_pgtable_counters *c = per_cpu_ptr(pt->stats.counters, cpu);

		sum->flushes += READ_ONCE(c->flushes);
		for (level = 1; level <= IOX_PGTABLE_MAX_LEVELS; level++)
			sum->table_visits[level] += READ_ONCE(c->table_visits[level]);
	}
}
EXPORT_SYMBOL_GPL(iox_pgtable_get_counters);

/**
 * iox_pgtable_get_mapping() - iox_pgtable_lookup() in the core's terms
 * @pt: the page table
 * @iova: the IOVA
 * @m: filled with the leaf page and the translation of @iova
 *
 * Return: 0, -ENOENT if @iova is not mapped, -ERANGE if it is beyond the
 * input address width.
 */
int iox_pgtable_get_mapping(struct iox_pgtable *pt, u64 iova, struct iox_mapping *m)
{
	struct iox_pgtable_leaf leaf;
	int ret = iox_pgtable_lookup(pt, iova, &leaf);

	if (ret)
		return ret;
	*m = (struct iox_mapping){
		.iova = leaf.iova, .size = leaf.size, .paddr = leaf.paddr,
		.prot = leaf.prot,
	};
	return 0;
}
EXPORT_SYMBOL_GPL(iox_pgtable_get_mapping);
