// SPDX-License-Identifier: GPL-2.0
/*
 * iox flush queue: deferred (lazy) IOTLB invalidation, see
 * include/linux/iox-flush-queue.h.
 *
 * Ordering.  An unmap clears its page-table entries, then queues its entry
 * with the number of flushes started so far as its serial (a full barrier
 * in between: the ring lock's acquisition and smp_mb__after_spinlock()).
 * A flush takes the next number, then invalidates the whole domain: it
 * covers every entry whose serial is not above its number.
 * Flushes run one at a time, so "completed" counts them in order, and the
 * time each completed is kept for the entries it covered.  CPUs unmapping
 * at the same rate fill their rings together: a full ring whose oldest
 * entry the running flush covers waits for that flush rather than queue a
 * second one behind it.  Covered entries
 * release their IOVA ranges and page-table pages, measuring how long each
 * unmap stayed reachable: a ring's owner releases its own covered entries
 * whenever it queues, and after the flush its full ring forced, so that a
 * CPU's unmaps return to its own IOVA caches and no CPU takes another's
 * ring lock on the fast path; the timer's and explicit flushes sweep every
 * ring.  A failed flush advances nothing: what it should have covered
 * stays queued until a later flush completes.
 */
#define pr_fmt(fmt) "iox: " fmt

#include <linux/debugfs.h>
#include <linux/errno.h>
#include <linux/export.h>
#include <linux/iox.h>
#include <linux/iox-flush-queue.h>
#include <linux/iox-iova.h>
#include <linux/jiffies.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/seq_file.h>
#include <linux/smp.h>

#include "iox-debugfs.h"

enum fq_reason { FQ_EXPLICIT, FQ_FULL, FQ_TIMER };

static unsigned int ring_next(const struct iox_flush_queue *fq, unsigned int i)
{
	return i == fq->entries ? 0 : i + 1;
}

static bool ring_full(const struct iox_flush_queue *fq,
		      const struct iox_fq_ring *ring)
{
	return ring_next(fq, ring->tail) == ring->head;
}

static void stat_max64(atomic64_t *max, s64 val)
{
	s64 old = atomic64_read(max);

	while (val > old && !atomic64_try_cmpxchg(max, &old, val))
		;
}

static void stat_max_long(atomic_long_t *max, long val)
{
	long old = atomic_long_read(max);

	while (val > old && !atomic_long_try_cmpxchg(max, &old, val))
		;
}

/* Entries from @head to @tail in a ring of @fq. */
static unsigned int ring_span(const struct iox_flush_queue *fq, unsigned int head,
			      unsigned int tail)
{
	return tail >= head ? tail - head : tail + fq->entries + 1 - head;
}

/* Entries in @ring; its lock held. */
static unsigned int ring_count(const struct iox_flush_queue *fq,
			       const struct iox_fq_ring *ring)
{
	return ring_span(fq, ring->head, ring->tail);
}

/* Unmaps queued and not released, over all rings. */
static long fq_pending(struct iox_flush_queue *fq)
{
	unsigned long flags;
	unsigned int cpu;
	long pending = 0;

	for_each_possible_cpu(cpu) {
		struct iox_fq_ring *ring = per_cpu_ptr(fq->rings, cpu);

		spin_lock_irqsave(&ring->lock, flags);
		pending += ring_count(fq, ring);
		spin_unlock_irqrestore(&ring->lock, flags);
	}
	return pending;
}

/* The same, without the ring locks: a statistic only. */
static long fq_pending_racy(struct iox_flush_queue *fq)
{
	unsigned int cpu;
	long pending = 0;

	for_each_possible_cpu(cpu) {
		struct iox_fq_ring *ring = per_cpu_ptr(fq->rings, cpu);

		pending += ring_span(fq, READ_ONCE(ring->head), READ_ONCE(ring->tail));
	}
	return pending;
}

static unsigned int ring_prev(const struct iox_flush_queue *fq, unsigned int i)
{
	return i ? i - 1 : fq->entries;
}

/*
 * Stamp @e, about to go in at @ring's tail, with its queueing time.  The
 * entries of one serial are released together, by the same sweep, so the
 * longest window among them is that of the first one queued: the others
 * take its stamp, and the clock (an MMIO read where the clocksource is the
 * HPET) is read once per serial and CPU, not once per unmap.
 */
static void entry_stamp(const struct iox_flush_queue *fq, struct iox_fq_ring *ring,
			struct iox_fq_entry *e)
{
	const struct iox_fq_entry *prev = &ring->entries[ring_prev(fq, ring->tail)];

	if (ring->head != ring->tail && prev->serial == e->serial)
		e->queued_ns = prev->queued_ns;
	else
		e->queued_ns = ktime_get_ns();
}

/*
 * When the flush that covered entries of @serial completed: flush number
 * @serial, or the first to complete after it if it failed.  Kept for the
 * last IOX_FQ_DONE_SLOTS flush numbers; older entries count until now.
 */
static u64 fq_done_ns(const struct iox_flush_queue *fq, u64 serial, u64 completed)
{
	if (completed - serial <= IOX_FQ_DONE_SLOTS)
		return READ_ONCE(fq->done_ns[serial % IOX_FQ_DONE_SLOTS]);
	return ktime_get_ns();
}

/* Release the entries of @ring that a completed flush covered; its lock held. */
static void ring_release(struct iox_flush_queue *fq, struct iox_fq_ring *ring)
{
	/* Pairs with the release in fq_do_flush(): the times come first. */
	u64 completed = atomic64_read_acquire(&fq->completed), done = 0, serial = 0;

	while (ring->head != ring->tail) {
		struct iox_fq_entry *e = &ring->entries[ring->head];

		if (e->serial >= completed)
			break;
		if (fq->iovad && e->npages)
			iox_iova_free(fq->iovad, e->pfn, e->npages);
		put_pages_list(&e->freelist);
		if (!done || e->serial != serial) {
			serial = e->serial;
			done = fq_done_ns(fq, serial, completed);
			/* Stamped after a racing flush completed: no window. */
			if (done > e->queued_ns)
				stat_max64(&fq->stats.max_window_ns, done - e->queued_ns);
		}
		WRITE_ONCE(ring->head, ring_next(fq, ring->head));
	}
}

/* Release what completed flushes covered on every ring. */
static void fq_sweep(struct iox_flush_queue *fq)
{
	unsigned long flags;
	unsigned int cpu;

	for_each_possible_cpu(cpu) {
		struct iox_fq_ring *ring = per_cpu_ptr(fq->rings, cpu);

		spin_lock_irqsave(&ring->lock, flags);
		ring_release(fq, ring);
		spin_unlock_irqrestore(&ring->lock, flags);
	}
}

/* Record that flushes @from to @serial are covered, as of @now. */
static void fq_note_done(struct iox_flush_queue *fq, u64 from, u64 serial, u64 now)
{
	u64 n;

	if (serial - from >= IOX_FQ_DONE_SLOTS)
		from = serial + 1 - IOX_FQ_DONE_SLOTS;
	for (n = from; n <= serial; n++)
		WRITE_ONCE(fq->done_ns[n % IOX_FQ_DONE_SLOTS], now);
}

/*
 * Invalidate the domain, so that every entry queued before is covered;
 * with @sweep, release them on every ring.  Return: 0 or the errno of the
 * failed invalidation (nothing covered).
 */
static int fq_do_flush(struct iox_flush_queue *fq, enum fq_reason reason, bool sweep)
{
	unsigned long flags;
	u64 serial;
	int ret;

	spin_lock_irqsave(&fq->flush_lock, flags);
	WRITE_ONCE(fq->flushing, true);
	/* Covers every entry queued with a serial up to this one. */
	serial = atomic64_inc_return(&fq->started) - 1;
	ret = fq->flush(fq->data);
	if (ret) {
		fq->stats.flush_failures++;
	} else {
		fq_note_done(fq, atomic64_read(&fq->completed), serial, ktime_get_ns());
		/* Pending only shrinks once this is published: its peak is now. */
		stat_max_long(&fq->stats.max_pending, fq_pending_racy(fq));
		atomic64_set_release(&fq->completed, serial + 1);
		fq->stats.flushes++;
		if (reason == FQ_FULL)
			fq->stats.full_flushes++;
		else if (reason == FQ_TIMER)
			fq->stats.timer_flushes++;
	}
	/* After @completed: see fq_wait_running(). */
	smp_store_release(&fq->flushing, false);
	spin_unlock_irqrestore(&fq->flush_lock, flags);
	if (ret) {
		pr_warn_ratelimited("flush queue invalidation failed (%d), %ld unmaps kept\n",
				    ret, fq_pending(fq));
		return ret;
	}
	if (sweep)
		fq_sweep(fq);
	return 0;
}

/*
 * Make room in a full ring whose oldest entry has serial @oldest by
 * waiting for the flush running on another CPU, if it covers that entry.
 * Return: true if a flush covering @oldest completed; false if none was
 * running or it failed, and the caller must flush.
 */
static bool fq_wait_running(struct iox_flush_queue *fq, u64 oldest)
{
	/*
	 * Flushes are numbered in the order they run: the running one, if
	 * any, is the last started.  Pairs with the increment in
	 * fq_do_flush(), after @flushing was set.
	 */
	if (atomic64_read_acquire(&fq->started) <= oldest)
		return false;
	while (atomic64_read(&fq->completed) <= oldest) {
		/* Pairs with the release there: @completed came first. */
		if (!smp_load_acquire(&fq->flushing))
			return atomic64_read(&fq->completed) > oldest;
		cpu_relax();
	}
	return true;
}

/* Whether some ring holds an entry no completed flush covers. */
static bool fq_uncovered(struct iox_flush_queue *fq)
{
	u64 completed = atomic64_read(&fq->completed);
	unsigned long flags;
	unsigned int cpu;
	bool found = false;

	for_each_possible_cpu(cpu) {
		struct iox_fq_ring *ring = per_cpu_ptr(fq->rings, cpu);

		spin_lock_irqsave(&ring->lock, flags);
		/* A ring's newest entry has its largest serial. */
		if (ring->head != ring->tail &&
		    ring->entries[ring_prev(fq, ring->tail)].serial >= completed)
			found = true;
		spin_unlock_irqrestore(&ring->lock, flags);
		if (found)
			break;
	}
	return found;
}

static void fq_arm_timer(struct iox_flush_queue *fq)
{
	/* Read first: the exchange is a locked operation on a shared line. */
	if (!READ_ONCE(fq->dying) && !atomic_read(&fq->timer_armed) &&
	    !atomic_xchg(&fq->timer_armed, 1))
		mod_timer(&fq->timer, jiffies + msecs_to_jiffies(fq->timeout_ms));
}

static void fq_timeout(struct timer_list *t)
{
	struct iox_flush_queue *fq = from_timer(fq, t, timer);

	atomic_set(&fq->timer_armed, 0);
	/*
	 * Disarm, then look at each ring under its lock: a queuer looks at
	 * timer_armed under the lock of the ring it adds to, so either its
	 * critical section comes after this one's on that ring and it sees
	 * the timer disarmed (and arms it again), or this sees its entry.
	 */
	if (!fq_pending(fq))
		return;
	/* Entries a full ring's flush covered need only releasing. */
	if (!fq_uncovered(fq)) {
		fq_sweep(fq);
		return;
	}
	/*
	 * A failed flush left entries queued: release what earlier flushes
	 * covered, try again later.
	 */
	if (fq_do_flush(fq, FQ_TIMER, true)) {
		fq_sweep(fq);
		fq_arm_timer(fq);
	}
}

/**
 * iox_fq_queue() - defer the invalidation of an unmap
 * @fq: the flush queue
 * @pfn: first page of the unmapped IOVA range, as allocated from
 *	@fq->iovad
 * @npages: its size in pages, as allocated; 0 to release no range, only
 *	the pages of @gather
 * @gather: the unmap's gather, initialised queued (no range tracked); its
 *	free list of page-table pages moves to the queue
 *
 * Call after the page-table entries were cleared (iox_unmap_fast()).  The
 * range and pages are released only after a domain-wide invalidation that
 * started after this call has completed.  When the CPU's ring is full, the
 * queue first flushes (synchronously, in the caller's context), or waits
 * for the flush another CPU is running if that one covers the ring's
 * oldest entries.  Any context; the caller may not hold locks the flush
 * callback takes.
 *
 * Return: 0 when queued (@gather's free list is then empty); if the ring
 * was full and the flush failed, that flush's errno (-EBUSY if it did not
 * free the ring), with nothing queued: the caller must invalidate
 * synchronously and free the range and pages itself.
 */
int iox_fq_queue(struct iox_flush_queue *fq, unsigned long pfn,
		 unsigned long npages, struct iox_iotlb_gather *gather)
{
	struct iox_fq_ring *ring;
	struct iox_fq_entry *e;
	unsigned long flags;
	bool arm;
	int ret;

	local_irq_save(flags);
	ring = this_cpu_ptr(fq->rings);
	spin_lock(&ring->lock);
	/* The cleared entries are visible before the serial is read. */
	smp_mb__after_spinlock();
	ring_release(fq, ring);
	if (ring_full(fq, ring)) {
		u64 oldest = ring->entries[ring->head].serial;
		bool waited;

		spin_unlock(&ring->lock);
		waited = fq_wait_running(fq, oldest);
		ret = waited ? 0 : fq_do_flush(fq, FQ_FULL, false);
		spin_lock(&ring->lock);
		ring->waits += waited;
		ring_release(fq, ring);
		if (ring_full(fq, ring)) {
			spin_unlock(&ring->lock);
			local_irq_restore(flags);
			return ret ?: -EBUSY;
		}
	}
	e = &ring->entries[ring->tail];
	e->pfn = pfn;
	e->npages = npages;
	INIT_LIST_HEAD(&e->freelist);
	list_splice_init(&gather->freelist, &e->freelist);
	e->serial = atomic64_read(&fq->started);
	entry_stamp(fq, ring, e);
	WRITE_ONCE(ring->tail, ring_next(fq, ring->tail));
	ring->queued++;
	/* Under the ring lock: see fq_timeout(). */
	arm = !atomic_read(&fq->timer_armed);
	spin_unlock(&ring->lock);
	/* Not preemptible in between: no other queuer would arm it. */
	if (arm)
		fq_arm_timer(fq);
	local_irq_restore(flags);
	return 0;
}
EXPORT_SYMBOL_GPL(iox_fq_queue);

/**
 * iox_fq_flush() - invalidate now and release what that covered
 * @fq: the flush queue
 *
 * Every unmap queued before the call is released when it returns 0.  Any
 * context, as iox_fq_queue().
 *
 * Return: 0, or the errno of the failed invalidation (nothing released).
 */
int iox_fq_flush(struct iox_flush_queue *fq)
{
	return fq_do_flush(fq, FQ_EXPLICIT, true);
}
EXPORT_SYMBOL_GPL(iox_fq_flush);

/**
 * iox_fq_init() - set up an empty flush queue
 * @fq: the flush queue
 * @entries: unmaps each CPU's ring holds, 1 to IOX_FQ_MAX_ENTRIES; the
 *	next one on a full ring flushes first
 * @timeout_ms: the longest a queued unmap waits for the timer's flush, 1
 *	to IOX_FQ_MAX_TIMEOUT_MS (rounded up to jiffies)
 * @flush: the domain-wide invalidation, see struct iox_flush_queue
 * @data: passed to @flush
 * @iovad: the allocator that released ranges go back to, or NULL
 *
 * Return: 0, -EINVAL for bounds out of range or no @flush, -ENOMEM.
 */
int iox_fq_init(struct iox_flush_queue *fq, unsigned int entries,
		unsigned int timeout_ms, int (*flush)(void *data), void *data,
		struct iox_iova_domain *iovad)
{
	unsigned int cpu, i;

	memset(fq, 0, sizeof(*fq));
	if (!flush || !entries || entries > IOX_FQ_MAX_ENTRIES || !timeout_ms ||
	    timeout_ms > IOX_FQ_MAX_TIMEOUT_MS)
		return -EINVAL;
	fq->rings = iox_should_fail_alloc() ? NULL :
		    __alloc_percpu(sizeof(struct iox_fq_ring) +
				   (entries + 1) * sizeof(struct iox_fq_entry),
				   __alignof__(struct iox_fq_ring));
	if (!fq->rings)
		return -ENOMEM;
	for_each_possible_cpu(cpu) {
		struct iox_fq_ring *ring = per_cpu_ptr(fq->rings, cpu);

		spin_lock_init(&ring->lock);
		for (i = 0; i <= entries; i++)
			INIT_LIST_HEAD(&ring->entries[i].freelist);
	}
	fq->flush = flush;
	fq->data = data;
	fq->iovad = iovad;
	fq->entries = entries;
	fq->timeout_ms = timeout_ms;
	spin_lock_init(&fq->flush_lock);
	timer_setup(&fq->timer, fq_timeout, 0);
	return 0;
}
EXPORT_SYMBOL_GPL(iox_fq_init);

/**
 * iox_fq_destroy() - flush and release everything, then free the queue
 * @fq: the flush queue; no iox_fq_queue() may run any more
 *
 * If the final invalidation fails, the queued IOVA ranges and pages are
 * leaked rather than reused (and reported).
 */
void iox_fq_destroy(struct iox_flush_queue *fq)
{
	long pending;

	if (!fq->rings)
		return;
	WRITE_ONCE(fq->dying, true);
	del_timer_sync(&fq->timer);
	/* What full rings' flushes covered is released, not leaked. */
	fq_sweep(fq);
	if (fq_pending(fq) && fq_do_flush(fq, FQ_EXPLICIT, true)) {
		pending = fq_pending(fq);
		pr_err("flush queue destroyed with %ld unmaps not invalidated, leaked\n",
		       pending);
	}
	debugfs_remove(fq->debugfs);
	fq->debugfs = NULL;
	free_percpu(fq->rings);
	fq->rings = NULL;
}
EXPORT_SYMBOL_GPL(iox_fq_destroy);

/**
 * iox_fq_get_stats() - a snapshot of the queue's counters
 * @fq: the flush queue
 * @stats: filled in, see struct iox_fq_stats; all zero for a queue that
 *	was destroyed or never set up
 *
 * Takes each ring's lock in turn; any context but one holding a ring lock.
 */
void iox_fq_get_stats(struct iox_flush_queue *fq, struct iox_fq_stats *stats)
{
	unsigned long flags;
	unsigned int cpu;

	*stats = (struct iox_fq_stats){};
	if (!fq->rings)
		return;
	*stats = (struct iox_fq_stats){
		.flushes = READ_ONCE(fq->stats.flushes),
		.full_flushes = READ_ONCE(fq->stats.full_flushes),
		.timer_flushes = READ_ONCE(fq->stats.timer_flushes),
		.flush_failures = READ_ONCE(fq->stats.flush_failures),
		.max_window_ns = atomic64_read(&fq->stats.max_window_ns),
	};
	for_each_possible_cpu(cpu) {
		struct iox_fq_ring *ring = per_cpu_ptr(fq->rings, cpu);

		spin_lock_irqsave(&ring->lock, flags);
		stats->queued += ring->queued;
		stats->full_waits += ring->waits;
		stats->pending += ring_count(fq, ring);
		spin_unlock_irqrestore(&ring->lock, flags);
	}
	stats->max_pending = max(atomic_long_read(&fq->stats.max_pending),
				 stats->pending);
}
EXPORT_SYMBOL_GPL(iox_fq_get_stats);

static int iox_fq_show(struct seq_file *m, void *v)
{
	struct iox_flush_queue *fq = m->private;
	struct iox_fq_stats s;

	iox_fq_get_stats(fq, &s);
	seq_printf(m, "entries_per_cpu: %u\ntimeout_ms: %u\n", fq->entries,
		   fq->timeout_ms);
	seq_printf(m, "queued: %llu\nflushes: %llu\nfull_flushes: %llu\n",
		   s.queued, s.flushes, s.full_flushes);
	seq_printf(m, "full_waits: %llu\ntimer_flushes: %llu\nflush_failures: %llu\n",
		   s.full_waits, s.timer_flushes, s.flush_failures);
	seq_printf(m, "pending: %ld\nmax_pending: %ld\nmax_window_ns: %llu\n",
		   s.pending, s.max_pending, s.max_window_ns);
	return 0;
}
IOX_DEBUGFS_ATTRIBUTE(iox_fq);

/**
 * iox_fq_debugfs() - show the queue's bounds and counters in debugfs
 * @fq: the flush queue
 * @parent: the directory (a domain's) to create the "flush_queue" file in
 *
 * The file goes with iox_fq_destroy().
 */
void iox_fq_debugfs(struct iox_flush_queue *fq, struct dentry *parent)
{
	fq->debugfs = debugfs_create_file_unsafe("flush_queue", 0444, parent, fq, &iox_fq_fops);
}
EXPORT_SYMBOL_GPL(iox_fq_debugfs);
