// SPDX-License-Identifier: GPL-2.0
/*
 * iox core: lazy invalidation of a domain's unmaps through a flush queue
 * (the library in flush_queue.c), for the DMA layer.  A domain in lazy
 * mode unmaps with a queued gather (no range tracking) and leaves the
 * IOTLB to the queue's domain-wide flushes; the IOVA range and the freed
 * page-table pages go back only after such a flush completed.
 */
#define pr_fmt(fmt) "iox: " fmt

#include <linux/errno.h>
#include <linux/export.h>
#include <linux/iox.h>
#include <linux/iox-flush-queue.h>
#include <linux/iox-iova.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include "iox-internal.h"

static int iox_lazy_flush(void *data)
{
	return iox_flush_all(data);
}

/*
 * The domain's fq_release, called by iox_domain_free(): a last flush
 * releases what is queued.
 */
static void iox_domain_disable_lazy(struct iox_domain *domain)
{
	struct iox_flush_queue *fq = domain->fq;

	WRITE_ONCE(domain->fq, NULL);
	domain->fq_release = NULL;
	iox_fq_destroy(fq);
	kfree(fq);
}

/**
 * iox_domain_enable_lazy() - defer a domain's unmap invalidations
 * @domain: the domain; never one used for device assignment
 * @iovad: the allocator its IOVAs come from; released ranges go back
 *	there, so it must outlive the domain
 * @entries: unmaps per CPU the queue holds before it flushes
 * @timeout_ms: the longest an unmap waits for a flush
 *
 * The queue's counters appear as "flush_queue" in the domain's debugfs
 * directory.  It is destroyed, after a last flush, by iox_domain_free().
 *
 * Return: 0; -EOPNOTSUPP if a unit of the domain cannot defer
 * invalidation (@domain->lazy_ok); -EBUSY if the domain has a queue
 * already; -EINVAL for bounds iox_fq_init() refuses; -ENOMEM.
 */
int iox_domain_enable_lazy(struct iox_domain *domain,
			   struct iox_iova_domain *iovad, unsigned int entries,
			   unsigned int timeout_ms)
{
	struct iox_flush_queue *fq;
	int ret;

	fq = iox_should_fail_alloc() ? NULL : kzalloc(sizeof(*fq), GFP_KERNEL);
	if (!fq)
		return -ENOMEM;
	ret = iox_fq_init(fq, entries, timeout_ms, iox_lazy_flush, domain,
			  iovad);
	if (ret) {
		kfree(fq);
		return ret;
	}
	mutex_lock(&domain->lock);
	if (!domain->lazy_ok) {
		ret = -EOPNOTSUPP;
	} else if (domain->fq) {
		ret = -EBUSY;
	} else {
		domain->fq_release = iox_domain_disable_lazy;
		WRITE_ONCE(domain->fq, fq);
	}
	mutex_unlock(&domain->lock);
	if (ret) {
		iox_fq_destroy(fq);
		kfree(fq);
		return ret;
	}
	iox_fq_debugfs(fq, domain->debugfs);
	return 0;
}
EXPORT_SYMBOL_GPL(iox_domain_enable_lazy);

/**
 * iox_unmap_lazy() - unmap a range and defer its IOTLB invalidation
 * @domain: a domain with a flush queue (iox_domain_enable_lazy())
 * @iova: first IOVA
 * @size: length in bytes, aligned like a map
 * @pfn: the allocation of @iova in the queue's IOVA allocator
 * @npages: its size in pages, as allocated
 *
 * The range is unmapped at once (iox_unmap_fast() with a queued gather):
 * the device may still reach it through the IOTLB until the queue flushes,
 * at most the queue's bounds later.  Then the allocation and the
 * page-table pages the unmap freed are released.  Should the queue refuse
 * (a full ring whose flush failed), neither is reused: the allocation
 * stays allocated (the domain's IOVA allocator reports it as a leak when
 * destroyed), and the pages are kept on the domain, as after a failed
 * iox_iotlb_sync(), until an iox_flush_all() succeeds or the domain is
 * freed.  An unmap that stops short (a hole, or a superpage it could not
 * split for want of memory) is queued for what it did unmap, but the
 * allocation is not released: what lies beyond the stop may still be
 * mapped, so the range stays the caller's for good (a leak the IOVA
 * allocator reports).  Any context.
 *
 * Return: the bytes unmapped, see iox_unmap_fast(); 0 if @domain has no
 * flush queue, or for a range iox_unmap_range() refuses (misaligned,
 * empty, wrapping, outside the aperture): nothing is unmapped then, and
 * nothing queued, so the allocation stays the caller's.
 */
size_t iox_unmap_lazy(struct iox_domain *domain, u64 iova, size_t size,
		      unsigned long pfn, unsigned long npages)
{
	struct iox_flush_queue *fq = READ_ONCE(domain->fq);
	struct iox_iotlb_gather gather = IOX_IOTLB_GATHER(gather, true);
	size_t unmapped;
	int ret;

	if (!fq)
		return 0;
	ret = iox_unmap_range(domain, iova, size, &gather, &unmapped);
	/* Refused input changed nothing: the allocation is the caller's still. */
	if (ret == -EINVAL || ret == -EOVERFLOW || ret == -ERANGE)
		return 0;
	/* Stopped short: the rest may be mapped, the range is never reused. */
	if (unmapped != size)
		npages = 0;
	if (iox_fq_queue(fq, pfn, npages, &gather)) {
		unsigned long nr = iox_domain_keep_pages(domain, &gather.freelist);

		pr_warn_ratelimited("domain %d: unmap of %#llx not invalidated, range and %lu page-table pages kept\n",
				    domain->id, iova, nr);
	}
	return unmapped;
}
EXPORT_SYMBOL_GPL(iox_unmap_lazy);
