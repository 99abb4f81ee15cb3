// SPDX-License-Identifier: GPL-2.0
/*
 * iox map and unmap: validate a range, split it into runs by the domain's
 * page-size bitmap (split.c) and hand each run to the backend in one call;
 * collect the invalidation work in an IOTLB gather and sync it.
 *
 * These paths take no lock of the core: they may run concurrently, in any
 * context the gfp flags allow, on disjoint ranges.  Callers serialise
 * operations on the same IOVAs.
 */
#define pr_fmt(fmt) "iox: " fmt

#include <linux/iox.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/scatterlist.h>

#include "iox-internal.h"
#include "iox_trace.h"

#define IOX_PROT_ALL	(IOX_PROT_READ | IOX_PROT_WRITE | IOX_PROT_SNOOP)

/* Validate a range of @domain; returns 0 or the errno to refuse it with. */
static int iox_check_range(struct iox_domain *domain, u64 iova, phys_addr_t paddr,
			   size_t size)
{
	int ret;

	ret = iox_split_check(iova, paddr, size, READ_ONCE(domain->pgsize_bitmap));
	if (ret)
		return ret;
	if (iova + (size - 1) > READ_ONCE(domain->aperture_end))
		return -ERANGE;
	return 0;
}

/*
 * A domain's records of what it maps (used page sizes, highest IOVA) only
 * grow while it has mappings and are reset when an unmap empties it, so
 * that a unit that could not serve earlier mappings may join again.  Maps
 * and unmaps run concurrently without a lock, so the reset must not wipe
 * the record of a map that raced with it.  A map counts its bytes first,
 * then records; the emptying unmap resets, then looks at the count again.
 * With a full barrier between the two steps on both sides, either the map
 * records after the reset (and its record stands) or the unmap sees the
 * map's bytes, and then assumes the worst: every page size and the highest
 * IOVA, until the domain is empty again.  A record may be wider than what
 * is mapped, never narrower.  The count's barrier also orders the map's
 * page-table writes before iox_map_sync() looks at the domain's units, and
 * the record is made only once the sync succeeded, so that a failed map
 * leaves no record behind.
 */
static inline void iox_count_mapped(struct iox_domain *domain, size_t size)
{
	atomic64_add(size, &domain->mapped_bytes);
	/* Count, then record: pairs with the barrier in iox_note_unmapped(). */
	smp_mb__after_atomic();
}

static inline void iox_record_mapped(struct iox_domain *domain, u64 iova, size_t size,
				     unsigned long pgsizes)
{
	u64 last = iova + (size - 1), highest;

	if ((atomic_long_read(&domain->used_pgsizes) & pgsizes) != pgsizes)
		atomic_long_or(pgsizes, &domain->used_pgsizes);
	highest = atomic64_read(&domain->highest_mapped);
	while (last > highest && !atomic64_try_cmpxchg(&domain->highest_mapped,
						       &highest, last))
		;
}

#if IS_ENABLED(CONFIG_IOX_KUNIT_TEST)
static void (*iox_test_emptied_hook)(struct iox_domain *domain);

/*
 * Tests only: @hook runs when an unmap empties a domain, before its
 * records are reset, so that a test can map at exactly that moment.
 */
void iox_test_set_emptied_hook(void (*hook)(struct iox_domain *domain))
{
	WRITE_ONCE(iox_test_emptied_hook, hook);
}
EXPORT_SYMBOL_NS_GPL(iox_test_set_emptied_hook, IOX_TEST);

static void iox_test_emptied(struct iox_domain *domain)
{
	void (*hook)(struct iox_domain *domain) = READ_ONCE(iox_test_emptied_hook);

	if (hook)
		hook(domain);
}
#else
static inline void iox_test_emptied(struct iox_domain *domain)
{
}
#endif

static void iox_note_unmapped(struct iox_domain *domain, size_t size)
{
	if (atomic64_sub_return(size, &domain->mapped_bytes))
		return;
	iox_test_emptied(domain);
	/* Once empty, the domain no longer constrains the units it accepts. */
	atomic_long_set(&domain->used_pgsizes, 0);
	atomic64_set(&domain->highest_mapped, 0);
	/* Reset, then look: pairs with the barrier in iox_count_mapped(). */
	smp_mb();
	if (atomic64_read(&domain->mapped_bytes)) {
		/* A map raced with the reset: its record may be lost. */
		atomic_long_set(&domain->used_pgsizes, ~0UL);
		atomic64_set(&domain->highest_mapped, U64_MAX);
	}
}

/*
 * Map a validated range run by run; on failure *@mapped says how much of it
 * is mapped (from @iova on), for the caller to unwind.
 */
static int iox_map_runs(struct iox_domain *domain, u64 iova, phys_addr_t paddr,
			size_t size, int prot, gfp_t gfp, size_t *mapped,
			unsigned long *pgsizes)
{
	unsigned long bitmap = READ_ONCE(domain->pgsize_bitmap);
	size_t left = size;
	int ret = 0;

	*mapped = 0;
	while (left) {
		struct iox_run run;
		size_t done = 0;

		iox_split_first(iova, paddr, left, bitmap, &run);
		ret = domain->ops->map_pages(domain, run.iova, run.paddr, run.pgsize,
					     run.pgcount, prot, gfp, &done);
		*mapped += done;
		if (ret)
			break;
		if (WARN_ON_ONCE(done != run.pgsize * run.pgcount)) {
			ret = -EIO;
			break;
		}
		*pgsizes |= run.pgsize;
		iova += done;
		paddr += done;
		left -= done;
	}
	return ret;
}

/*
 * Unmap a validated range run by run, stopping where a run stops short;
 * *@unmapped says how far it got.  Returns 0 or the run's errno.
 */
static int iox_unmap_runs(struct iox_domain *domain, u64 iova, size_t size,
			  struct iox_iotlb_gather *gather, size_t *unmapped)
{
	unsigned long bitmap = READ_ONCE(domain->pgsize_bitmap);
	int ret = 0;

	*unmapped = 0;
	while (*unmapped < size) {
		struct iox_run run;
		size_t done = 0;

		/* Unmap has no physical address: split by the IOVA alone. */
		iox_split_first(iova, iova, size - *unmapped, bitmap, &run);
		ret = domain->ops->unmap_pages(domain, iova, run.pgsize, run.pgcount,
					       gather, &done);
		*unmapped += done;
		iova += done;
		if (ret)
			break;
		if (WARN_ON_ONCE(done != run.pgsize * run.pgcount)) {
			ret = -EIO;
			break;
		}
	}
	return ret;
}

/*
 * Undo a failed map: remove what it mapped, strictly, without accounting.
 * A failing sync keeps the tables (iox_iotlb_sync()); the map fails anyway.
 */
static void iox_unwind(struct iox_domain *domain, u64 iova, size_t mapped)
{
	struct iox_iotlb_gather gather = IOX_IOTLB_GATHER(gather, false);
	size_t unmapped;

	if (!mapped)
		return;
	/* The same runs as the map: no superpage is split, nothing allocated. */
	WARN_ON_ONCE(iox_unmap_runs(domain, iova, mapped, &gather, &unmapped));
	iox_iotlb_sync(domain, &gather);
}

/*
 * Make a new mapping visible to units that cache not-present entries or
 * buffer writes.  Most units need nothing: the domain says whether one
 * that does ever joined.  The caller's page-table writes must be ordered
 * before that look by a full barrier, which pairs with the one after a
 * unit joins (iox_domain_unit_join()): either this sees the flag, or the
 * unit's device entry went live after the writes and it cannot have cached
 * the entries as they were before.
 */
static int iox_map_sync(struct iox_domain *domain, u64 iova, size_t size)
{
	if (!READ_ONCE(domain->sync_map) || !domain->ops->iotlb_sync_map)
		return 0;
	return domain->ops->iotlb_sync_map(domain, iova, size);
}

/*
 * Count a range whose entries are written, sync it, then record it; on
 * failure remove it again, count and all.  iox_count_mapped()'s atomic and
 * barrier are the full barrier iox_map_sync() needs, so the fast path pays
 * for one, not two.
 */
static int iox_map_commit(struct iox_domain *domain, u64 iova, size_t size,
			  unsigned long pgsizes)
{
	int ret;

	iox_count_mapped(domain, size);
	ret = iox_map_sync(domain, iova, size);
	if (ret) {
		iox_unwind(domain, iova, size);
		iox_note_unmapped(domain, size);
		return ret;
	}
	iox_record_mapped(domain, iova, size, pgsizes);
	return 0;
}

static int iox_check_prot(int prot)
{
	if (!(prot & (IOX_PROT_READ | IOX_PROT_WRITE)) || (prot & ~IOX_PROT_ALL))
		return -EINVAL;
	return 0;
}

/* Validate a map of @domain; returns 0 or the errno to refuse it with. */
static int iox_check_map(struct iox_domain *domain, u64 iova, phys_addr_t paddr,
			 size_t size, int prot)
{
	int ret = iox_check_prot(prot);

	return ret ?: iox_check_range(domain, iova, paddr, size);
}

static inline void iox_count_map(struct iox_domain *domain, size_t size)
{
	this_cpu_inc(domain->stats->maps);
	this_cpu_add(domain->stats->bytes_mapped, size);
}

/**
 * iox_map() - map a physically contiguous range into a domain
 * @domain: the domain
 * @iova: first IOVA
 * @paddr: first physical address
 * @size: length in bytes
 * @prot: IOX_PROT_* flags, with at least read or write
 * @gfp: allocation flags for page-table pages
 *
 * The range is mapped with the largest pages the domain's page sizes and
 * the alignment of @iova and @paddr allow, one backend call per run.
 *
 * Return: 0, or a negative errno with the domain as before: -EINVAL for a
 * misaligned or empty range or bad @prot, -EOVERFLOW for a range that
 * wraps, -ERANGE for one outside the aperture, -EEXIST if part of it is
 * mapped already, -ENOMEM, or the backend's error.
 */
int iox_map(struct iox_domain *domain, u64 iova, phys_addr_t paddr, size_t size,
	    int prot, gfp_t gfp)
{
	unsigned long pgsizes = 0;
	size_t mapped;
	int ret;

	ret = iox_check_map(domain, iova, paddr, size, prot);
	if (ret)
		return ret;

	ret = iox_map_runs(domain, iova, paddr, size, prot, gfp, &mapped, &pgsizes);
	if (ret) {
		iox_unwind(domain, iova, mapped);
		return ret;
	}
	ret = iox_map_commit(domain, iova, size, pgsizes);
	if (ret)
		return ret;

	iox_count_map(domain, size);
	trace_iox_map(domain->id, iova, paddr, size, prot);
	return 0;
}
EXPORT_SYMBOL_GPL(iox_map);

/**
 * iox_map_batch_check() - check a batch before mapping chunks into it
 * @domain: the domain
 * @b: the batch, just set up by IOX_MAP_BATCH(): the IOVA range the
 *	chunks will fill at consecutive IOVAs, its protection and
 *	allocation flags
 *
 * Checks the protection and the IOVA range as iox_map() does; the caller
 * has validated each chunk it will add (iox_split_check() of its physical
 * address and length) and that they add up to the range.
 *
 * Return: 0, or the errno iox_map() would refuse the range with.
 */
int iox_map_batch_check(struct iox_domain *domain, const struct iox_map_batch *b)
{
	return iox_check_map(domain, b->iova, b->iova, b->size, b->prot);
}

/* Map the pending chunk of @b after what is mapped already. */
static int iox_map_batch_flush(struct iox_domain *domain, struct iox_map_batch *b)
{
	size_t done;
	int ret;

	if (!b->chunk_len)
		return 0;
	ret = iox_map_runs(domain, b->iova + b->mapped, b->chunk_pa, b->chunk_len,
			   b->prot, b->gfp, &done, &b->pgsizes);
	b->mapped += done;
	b->chunk_len = 0;
	return ret;
}

/**
 * iox_map_batch_start_chunk() - map a batch's pending chunk, start another
 * @domain: the domain
 * @b: the batch
 * @paddr: physical address of the new chunk
 * @size: its length
 *
 * The slow path of iox_map_batch_add(), for a chunk that does not continue
 * the pending one.
 *
 * Return: 0, or a negative errno; then iox_map_batch_abort() must follow.
 */
int iox_map_batch_start_chunk(struct iox_domain *domain, struct iox_map_batch *b,
			      phys_addr_t paddr, size_t size)
{
	int ret;

	if (!b->chunk_len)
		b->first_pa = paddr;
	ret = iox_map_batch_flush(domain, b);
	b->chunk_pa = paddr;
	b->chunk_len = size;
	return ret;
}

/**
 * iox_map_batch_abort() - undo a batch
 * @domain: the domain
 * @b: the batch
 *
 * Removes what the batch mapped, leaving the domain as before it.
 */
void iox_map_batch_abort(struct iox_domain *domain, struct iox_map_batch *b)
{
	iox_unwind(domain, b->iova, b->mapped);
}

/**
 * iox_map_batch_end() - finish a batch
 * @domain: the domain
 * @b: the batch, whose chunks fill the range it began with
 *
 * Maps the last chunk and makes the whole range visible with one
 * iotlb_sync_map.
 *
 * Return: 0, or a negative errno with the domain as before the batch.
 */
int iox_map_batch_end(struct iox_domain *domain, struct iox_map_batch *b)
{
	int ret;

	ret = iox_map_batch_flush(domain, b);
	if (ret) {
		iox_map_batch_abort(domain, b);
		return ret;
	}
	ret = iox_map_commit(domain, b->iova, b->size, b->pgsizes);
	if (ret)
		return ret;
	iox_count_map(domain, b->size);
	trace_iox_map(domain->id, b->iova, b->first_pa, b->size, b->prot);
	return 0;
}

/* Map the list, whose entries passed the checks, to [@iova, @iova + @total). */
static int iox_map_sg_checked(struct iox_domain *domain, u64 iova, size_t total,
			      struct scatterlist *sg, unsigned int nents, int prot,
			      gfp_t gfp)
{
	struct iox_map_batch b = IOX_MAP_BATCH(iova, total, prot, gfp);
	struct scatterlist *s;
	unsigned int i;
	int ret;

	ret = iox_map_batch_check(domain, &b);
	if (ret)
		return ret;
	for (i = 0, s = sg; i < nents; i++, s = iox_sg_next(s)) {
		ret = iox_map_batch_add(domain, &b, sg_phys(s), s->length);
		if (ret) {
			iox_map_batch_abort(domain, &b);
			return ret;
		}
	}
	return iox_map_batch_end(domain, &b);
}

/**
 * iox_map_sg() - map a scatterlist at consecutive IOVAs
 * @domain: the domain
 * @iova: IOVA of the first byte of the first entry
 * @sg: the scatterlist; each entry's physical address and length are
 *	aligned to the domain's smallest page size
 * @nents: number of entries
 * @prot: IOX_PROT_* flags, with at least read or write
 * @gfp: allocation flags for page-table pages
 *
 * Physically contiguous neighbours are merged, so that they can use larger
 * pages, and the whole list is made visible with one iotlb_sync_map.
 * Either every entry is mapped or none is.
 *
 * Return: the number of bytes mapped, or a negative errno as for iox_map()
 * with the domain as before.
 */
ssize_t iox_map_sg(struct iox_domain *domain, u64 iova, struct scatterlist *sg,
		   unsigned int nents, int prot, gfp_t gfp)
{
	struct scatterlist *s;
	size_t total = 0;
	unsigned int i;
	int ret;

	ret = iox_check_prot(prot);
	if (ret)
		return ret;
	if (!sg || !nents)
		return -EINVAL;

	/*
	 * Validate everything first, so that bad input changes nothing: each
	 * entry (alignment, length, physical wrap), then the IOVA range of
	 * the whole list as iox_map() checks its range.
	 */
	for (i = 0, s = sg; i < nents; i++, s = iox_sg_next(s)) {
		ret = iox_split_check(iova + total, sg_phys(s), s->length,
				      READ_ONCE(domain->pgsize_bitmap));
		if (ret)
			return ret;
		if (total + s->length < total)
			return -EOVERFLOW;
		total += s->length;
	}
	ret = iox_map_sg_checked(domain, iova, total, sg, nents, prot, gfp);
	return ret ? ret : total;
}
EXPORT_SYMBOL_GPL(iox_map_sg);

/* Unmap a range that passed the checks; account and trace what it did. */
static int iox_unmap_checked(struct iox_domain *domain, u64 iova, size_t size,
			     struct iox_iotlb_gather *gather, size_t *unmapped)
{
	int ret = iox_unmap_runs(domain, iova, size, gather, unmapped);

	if (*unmapped) {
		iox_note_unmapped(domain, *unmapped);
		this_cpu_inc(domain->stats->unmaps);
		this_cpu_add(domain->stats->bytes_unmapped, *unmapped);
	}
	if (ret == -ENOMEM) {
		this_cpu_inc(domain->stats->unmap_nomem);
		pr_warn_ratelimited("domain %d: unmap stopped at %#llx: no memory to split a superpage\n",
				    domain->id, iova + *unmapped);
	}
	trace_iox_unmap(domain->id, iova, size, *unmapped);
	return ret;
}

/* The same, strictly: invalidated before this returns. */
static noinline int iox_unmap_checked_strict(struct iox_domain *domain, u64 iova,
					     size_t size, size_t *unmapped)
{
	struct iox_iotlb_gather gather = IOX_IOTLB_GATHER(gather, false);
	int ret = iox_unmap_checked(domain, iova, size, &gather, unmapped);
	int err = iox_iotlb_sync(domain, &gather);

	return err ?: ret;
}

/**
 * iox_unmap_range() - unmap a range and tell why it stopped short
 * @domain: the domain
 * @iova: first IOVA
 * @size: length in bytes, aligned like a map
 * @gather: collects the invalidation work, as for iox_unmap_fast(); NULL
 *	to unmap strictly, as iox_unmap() does
 * @unmapped: set to the bytes unmapped from @iova on, also on failure
 *
 * The range is unmapped run by run, in IOVA order, and unmapping stops at
 * the first run that cannot be unmapped whole.  Whatever was unmapped is
 * accounted and, with a NULL @gather, invalidated before this returns.
 *
 * Return: 0 if the whole range was unmapped.  -EINVAL for a misaligned or
 * empty range, -EOVERFLOW for one that wraps, -ERANGE for one outside the
 * aperture: refused, nothing changed.  -ENOENT: the IOVA @iova + *@unmapped
 * is not mapped; the rest of the range is untouched.  -ENOMEM: a superpage
 * holding @iova + *@unmapped had to be split (the range ends or starts
 * inside it) and no memory was available (page-table pages are allocated
 * with GFP_ATOMIC); that superpage and the rest of the range are still
 * mapped, and the caller may retry the rest.  With a NULL @gather,
 * -ETIMEDOUT or -EIO from the IOTLB sync, which takes precedence: what was
 * unmapped may still be reachable, as for iox_unmap().
 */
int iox_unmap_range(struct iox_domain *domain, u64 iova, size_t size,
		    struct iox_iotlb_gather *gather, size_t *unmapped)
{
	int ret;

	*unmapped = 0;
	ret = iox_check_range(domain, iova, iova, size);
	if (ret)
		return ret;
	if (!gather)
		return iox_unmap_checked_strict(domain, iova, size, unmapped);
	return iox_unmap_checked(domain, iova, size, gather, unmapped);
}
EXPORT_SYMBOL_GPL(iox_unmap_range);

/**
 * iox_unmap_fast() - unmap a range, leaving the IOTLB sync to the caller
 * @domain: the domain
 * @iova: first IOVA
 * @size: length in bytes, aligned like a map
 * @gather: collects the invalidation work; initialise it with
 *	iox_iotlb_gather_init(), queued if a later domain-wide flush will
 *	cover this unmap, and pass it to iox_iotlb_sync() afterwards
 *
 * iox_unmap_range() with a gather, for callers that need only the count:
 * unmapping stops at the first IOVA that is not mapped, or at a superpage
 * that could not be split for lack of memory (counted in the domain's
 * unmap_nomem statistic and logged); iox_unmap_range() tells the two apart.
 *
 * Return: the number of bytes unmapped from @iova on; 0 for a misaligned,
 * empty, wrapping or out-of-aperture range.
 */
size_t iox_unmap_fast(struct iox_domain *domain, u64 iova, size_t size,
		      struct iox_iotlb_gather *gather)
{
	size_t unmapped;

	iox_unmap_range(domain, iova, size, gather, &unmapped);
	return unmapped;
}
EXPORT_SYMBOL_GPL(iox_unmap_fast);

/**
 * iox_unmap() - unmap a range strictly
 * @domain: the domain
 * @iova: first IOVA
 * @size: length in bytes, aligned like a map
 *
 * As iox_unmap_fast(), then the IOTLB is synced once: when this returns a
 * non-negative value, no device can reach the old translations of what
 * was unmapped.
 *
 * Return: the number of bytes unmapped, see iox_unmap_fast() (use
 * iox_unmap_range() to learn why a range was unmapped short); or a
 * negative errno from the sync (-ETIMEDOUT, -EIO): the range is gone from
 * the page table, but a device may still reach the old translations.  The
 * caller must then neither reuse the IOVAs nor free the memory they
 * pointed to until iox_flush_all() succeeded.
 */
ssize_t iox_unmap(struct iox_domain *domain, u64 iova, size_t size)
{
	struct iox_iotlb_gather gather = IOX_IOTLB_GATHER(gather, false);
	size_t unmapped;
	int ret;

	iox_unmap_range(domain, iova, size, &gather, &unmapped);
	ret = iox_iotlb_sync(domain, &gather);
	return ret ? ret : unmapped;
}
EXPORT_SYMBOL_GPL(iox_unmap);

/*
 * Hardware may still walk the tables @freelist holds (their invalidation
 * did not complete): keep them, never reused, until a domain-wide flush
 * succeeds or the domain is freed.  Any context.  Returns how many.
 */
unsigned long iox_domain_keep_pages(struct iox_domain *domain, struct list_head *freelist)
{
	unsigned long flags, nr = list_count_nodes(freelist);

	if (nr) {
		spin_lock_irqsave(&domain->kept_lock, flags);
		list_splice_tail_init(freelist, &domain->kept_pages);
		atomic_long_add(nr, &domain->nr_kept_pages);
		spin_unlock_irqrestore(&domain->kept_lock, flags);
	}
	return nr;
}

/* The backend could not complete an invalidation: keep the tables. */
static void iox_sync_failed(struct iox_domain *domain, struct list_head *freelist,
			    int err)
{
	unsigned long nr = iox_domain_keep_pages(domain, freelist);

	this_cpu_inc(domain->stats->sync_errors);
	pr_err_ratelimited("domain %d: IOTLB invalidation failed (%d), %lu page-table pages kept\n",
			   domain->id, err, nr);
}

/**
 * iox_iotlb_sync() - carry out the invalidation a gather collected
 * @domain: the domain the unmaps were made in
 * @gather: the gather; empty again afterwards, with its queued flag kept
 *
 * The backend invalidates the gathered range; then the page-table pages
 * that the unmaps emptied are freed, as nothing can walk them any more.
 * If the backend reports that the invalidation may not have completed,
 * the pages are kept instead (counted in the domain's debugfs "stats" as
 * kept_pages, and logged) until a later iox_flush_all() succeeds or the
 * domain is freed.  Nothing is done for a gather that collected nothing.
 *
 * Return: 0, or the backend's errno (-ETIMEDOUT, -EIO): devices may still
 * use the gathered translations.
 */
int iox_iotlb_sync(struct iox_domain *domain, struct iox_iotlb_gather *gather)
{
	int ret;

	if (iox_iotlb_gather_empty(gather) && list_empty(&gather->freelist))
		return 0;

	ret = domain->ops->iotlb_sync(domain, gather);
	this_cpu_inc(domain->stats->syncs);
	trace_iox_sync(domain->id, gather->start, gather->end, gather->pgsize,
		       gather->queued);
	if (ret)
		iox_sync_failed(domain, &gather->freelist, ret);
	else
		put_pages_list(&gather->freelist);
	iox_iotlb_gather_init(gather, gather->queued);
	return ret;
}
EXPORT_SYMBOL_GPL(iox_iotlb_sync);

/**
 * iox_flush_all() - invalidate every translation of a domain
 * @domain: the domain
 *
 * Page-table pages kept after failed syncs are freed once this succeeds.
 *
 * Return: 0, or the backend's errno (-ETIMEDOUT, -EIO): devices may still
 * use old translations, and kept pages stay kept.
 */
int iox_flush_all(struct iox_domain *domain)
{
	unsigned long flags, nr;
	LIST_HEAD(kept);
	int ret;

	/* The flush covers the pages kept before it starts. */
	spin_lock_irqsave(&domain->kept_lock, flags);
	list_splice_init(&domain->kept_pages, &kept);
	nr = atomic_long_xchg(&domain->nr_kept_pages, 0);
	spin_unlock_irqrestore(&domain->kept_lock, flags);

	ret = domain->ops->flush_iotlb_all(domain);
	this_cpu_inc(domain->stats->flush_alls);
	if (ret) {
		spin_lock_irqsave(&domain->kept_lock, flags);
		list_splice(&kept, &domain->kept_pages);
		atomic_long_add(nr, &domain->nr_kept_pages);
		spin_unlock_irqrestore(&domain->kept_lock, flags);
		this_cpu_inc(domain->stats->sync_errors);
		pr_err_ratelimited("domain %d: IOTLB flush failed (%d)\n", domain->id, ret);
		return ret;
	}
	put_pages_list(&kept);
	return 0;
}
EXPORT_SYMBOL_GPL(iox_flush_all);

/**
 * iox_iova_to_phys() - the physical address an IOVA translates to
 * @domain: the domain
 * @iova: the IOVA
 *
 * Return: the physical address, or 0 if @iova is not mapped or outside the
 * aperture.
 */
phys_addr_t iox_iova_to_phys(struct iox_domain *domain, u64 iova)
{
	if (iova > READ_ONCE(domain->aperture_end))
		return 0;
	return domain->ops->iova_to_phys(domain, iova);
}
EXPORT_SYMBOL_GPL(iox_iova_to_phys);

/**
 * iox_lookup() - the leaf that translates an IOVA
 * @domain: the domain
 * @iova: the IOVA
 * @m: filled with the leaf page and the translation of @iova
 *
 * Tells what iox_iova_to_phys() does not: the size of the page-table
 * entry (4 KiB, 2 MiB, ...) a mapping ended up in, and its permissions.
 * Like iox_iova_to_phys(), safe against concurrent map and unmap of other
 * IOVAs.
 *
 * Return: 0; -ENOENT if @iova is not mapped; -ERANGE if it is outside the
 * aperture; -EOPNOTSUPP if the backend cannot tell.
 */
int iox_lookup(struct iox_domain *domain, u64 iova, struct iox_mapping *m)
{
	if (iova > READ_ONCE(domain->aperture_end))
		return -ERANGE;
	if (!domain->ops->lookup)
		return -EOPNOTSUPP;
	return domain->ops->lookup(domain, iova, m);
}
EXPORT_SYMBOL_GPL(iox_lookup);
