/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iox flush queue: lazy IOTLB invalidation for DMA unmaps.
 *
 * An unmap in lazy mode clears the page table but does not invalidate the
 * IOTLB: it queues the IOVA range and the page-table pages it freed on its
 * CPU's ring.  One domain-wide invalidation covers everything queued before
 * it started; only after it completed are the IOVAs returned to the
 * allocator and the pages freed.  A ring that fills, or a timer, triggers
 * that invalidation, which bounds how long an unmapped IOVA stays
 * reachable: at most @entries unmaps per CPU, or @timeout_ms plus up to a
 * jiffy of timer granularity, the timer's latency and the flush itself;
 * the longest time is measured.
 *
 * A library, not a layer: the DMA layer (or any user with an IOVA allocator
 * and a domain) embeds one per domain and calls iox_fq_queue() instead of a
 * synchronous IOTLB sync.
 */
#ifndef _LINUX_IOX_FLUSH_QUEUE_H
#define _LINUX_IOX_FLUSH_QUEUE_H

#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/spinlock.h>
#include <linux/timer.h>
#include <linux/types.h>

struct dentry;
struct iox_iotlb_gather;
struct iox_iova_domain;

/*
 * Bounds iox_fq_init() accepts: a CPU's ring is one per-CPU allocation,
 * which must stay well below the per-CPU unit size.
 */
#define IOX_FQ_MAX_ENTRIES	512
#define IOX_FQ_MAX_TIMEOUT_MS	10000
/* Completion times kept, for the windows of entries released late. */
#define IOX_FQ_DONE_SLOTS	16

/**
 * struct iox_fq_entry - one deferred unmap
 * @pfn: first page of the IOVA range, in the allocator's granule
 * @npages: pages of the range, as allocated
 * @freelist: page-table pages the unmap unlinked (page->lru)
 * @serial: the number of flushes started before the unmap was queued: the
 *	entry is covered once more than that many have completed
 * @queued_ns: when the first entry of its CPU's ring with the same @serial
 *	was queued (ktime_get_ns()): the entries of a serial are released
 *	together, so the oldest one's window is theirs at most
 */
struct iox_fq_entry {
	unsigned long pfn;
	unsigned long npages;
	struct list_head freelist;
	u64 serial;
	u64 queued_ns;
};

/**
 * struct iox_fq_ring - one CPU's deferred unmaps
 * @lock: protects @head, @tail, @queued, @waits and the entries; taken with
 *	interrupts disabled, by the owning CPU to queue and by any CPU after a
 *	flush to release covered entries, or to count them
 * @head: oldest entry
 * @tail: where the next entry goes; @head == @tail means empty
 * @queued: unmaps ever queued here
 * @waits: times this ring was full and waited for another CPU's flush
 * @entries: the ring, of the queue's @entries + 1 slots
 *
 * The queue's counters of queued and pending unmaps are the sums over the
 * rings, so that queuing touches no cache line shared with other CPUs but
 * the flush serial.
 */
struct iox_fq_ring {
	spinlock_t lock;	/* see @lock above */
	unsigned int head;
	unsigned int tail;
	u64 queued;
	u64 waits;
	struct iox_fq_entry entries[];
};

/**
 * struct iox_fq_stats - what a flush queue has done
 * @queued: unmaps queued
 * @flushes: domain-wide invalidations that completed
 * @full_flushes: of those, triggered by a full ring
 * @full_waits: times a full ring waited for the flush another CPU was
 *	running, which covered its oldest entries, instead of flushing
 * @timer_flushes: of those flushes, triggered by the timer
 * @flush_failures: invalidations that failed; what they should have
 *	covered stays queued (never reused) until a later one completes
 * @pending: unmaps queued and not yet released
 * @max_pending: the largest @pending seen when a flush completed or the
 *	counters were read
 * @max_window_ns: the longest time from queuing an unmap to the completion
 *	of the invalidation that covered it: how long an unmapped IOVA stayed
 *	reachable at most
 */
struct iox_fq_stats {
	u64 queued;
	u64 flushes;
	u64 full_flushes;
	u64 full_waits;
	u64 timer_flushes;
	u64 flush_failures;
	long pending;
	long max_pending;
	u64 max_window_ns;
};

/**
 * struct iox_fq_counters - the live counters behind struct iox_fq_stats
 *	(queued and pending unmaps are counted by the rings)
 * @flushes: see struct iox_fq_stats; changed under the queue's flush lock
 * @full_flushes: the same, under the flush lock
 * @timer_flushes: the same, under the flush lock
 * @flush_failures: the same, under the flush lock
 * @max_pending: the largest number of unmaps pending when a flush
 *	completed; the reported @max_pending also counts those pending now
 * @max_window_ns: see struct iox_fq_stats
 */
struct iox_fq_counters {
	u64 flushes;
	u64 full_flushes;
	u64 timer_flushes;
	u64 flush_failures;
	atomic_long_t max_pending;
	atomic64_t max_window_ns;
};

/**
 * struct iox_flush_queue - per-CPU rings of deferred unmaps, one domain
 * @flush: the domain-wide invalidation; returns 0 when it completed, an
 *	errno when it did not; called with @flush_lock held and interrupts
 *	disabled
 * @data: passed to @flush
 * @iovad: where released IOVA ranges go; NULL if the user frees nothing
 * @entries: unmaps a CPU's ring holds before it forces a flush
 * @timeout_ms: the longest an unmap waits for the timer's flush
 * @rings: one ring per possible CPU
 * @flush_lock: serialises flushes, so that they complete in the order
 *	they started; protects @flushing and nothing else
 * @flushing: a flush runs; written under @flush_lock, read without it by
 *	a full ring deciding whether to wait for that flush
 * @started: flushes started
 * @completed: flushes completed, in order: an entry whose serial is
 *	below this is covered
 * @done_ns: when the entries of serial n were covered, at n %
 *	IOX_FQ_DONE_SLOTS; written under @flush_lock before @completed
 *	passes n
 * @timer: flushes @timeout_ms after the first unmap queued since the last
 *	timer flush
 * @timer_armed: @timer is pending or about to be
 * @dying: iox_fq_destroy() runs: the timer must not re-arm
 * @stats: counters
 * @debugfs: the "flush_queue" file, if any
 */
struct iox_flush_queue {
	int (*flush)(void *data);
	void *data;
	struct iox_iova_domain *iovad;
	unsigned int entries;
	unsigned int timeout_ms;
	struct iox_fq_ring __percpu *rings;
	spinlock_t flush_lock;	/* see @flush_lock above */
	bool flushing;
	atomic64_t started;
	atomic64_t completed;
	u64 done_ns[IOX_FQ_DONE_SLOTS];
	struct timer_list timer;
	atomic_t timer_armed;
	bool dying;
	struct iox_fq_counters stats;
	struct dentry *debugfs;
};

int iox_fq_init(struct iox_flush_queue *fq, unsigned int entries,
		unsigned int timeout_ms, int (*flush)(void *data), void *data,
		struct iox_iova_domain *iovad);
void iox_fq_destroy(struct iox_flush_queue *fq);
int iox_fq_queue(struct iox_flush_queue *fq, unsigned long pfn,
		 unsigned long npages, struct iox_iotlb_gather *gather);
int iox_fq_flush(struct iox_flush_queue *fq);
void iox_fq_get_stats(struct iox_flush_queue *fq, struct iox_fq_stats *stats);
void iox_fq_debugfs(struct iox_flush_queue *fq, struct dentry *parent);

#endif /* _LINUX_IOX_FLUSH_QUEUE_H */
