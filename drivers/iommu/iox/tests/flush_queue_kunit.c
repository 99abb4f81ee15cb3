// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the iox flush queue: an IOVA range or a page-table page
 * is never reused before the invalidation covering it completed (also when
 * the invalidation fails), a full ring and the timer each trigger one
 * domain-wide flush, the bounds (entries per CPU, timeout) hold and are
 * measured, and lazy unmaps cost at most one flush per ring-full.  The
 * invalidation is a mock that counts calls and can fail.
 */
#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/iox.h>
#include <linux/iox-flush-queue.h>
#include <linux/iox-iova.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/smp.h>
#include <linux/sizes.h>
#include <linux/slab.h>

#define FQ_LONG_MS	IOX_FQ_MAX_TIMEOUT_MS
#define FQ_PFNS		64

/* The mock domain-wide invalidation. */
struct mock_inval {
	atomic_t calls;
	int fail;		/* errno the next calls return, 0: succeed */
	int fail_once;		/* errno the next call returns, before @fail */
	/* Checked at each call: the queued range is still not reusable. */
	struct iox_iova_domain *iovad;
	atomic_t reuse_before_flush;
	/* Called once by the next call, as an unmap racing with the flush. */
	void (*during)(struct mock_inval *mi);
	u64 during_ns;		/* when it was called */
	void *priv;		/* for @during */
};

static int mock_flush(void *data)
{
	void (*during)(struct mock_inval *mi);
	struct mock_inval *mi = data;
	unsigned long pfn;
	int ret;

	atomic_inc(&mi->calls);
	during = mi->during;
	if (during) {
		mi->during = NULL;
		mi->during_ns = ktime_get_ns();
		during(mi);
	}
	/* Nothing queued is released before this call has returned. */
	if (mi->iovad && !iox_iova_alloc(mi->iovad, 1, FQ_PFNS, &pfn)) {
		atomic_inc(&mi->reuse_before_flush);
		iox_iova_free(mi->iovad, pfn, 1);
	}
	ret = mi->fail_once ?: mi->fail;
	mi->fail_once = 0;
	return ret;
}

struct fq_test {
	struct iox_flush_queue fq;
	struct mock_inval mi;
	struct iox_iova_domain iovad;
};

/* A queue over an IOVA domain of FQ_PFNS pages, all allocated. */
static struct fq_test *fq_new(struct kunit *test, unsigned int entries,
			      unsigned int timeout_ms)
{
	struct fq_test *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	unsigned long pfn, i;

	KUNIT_ASSERT_NOT_NULL(test, t);
	KUNIT_ASSERT_EQ(test, iox_iova_domain_init(&t->iovad, SZ_4K, 1, FQ_PFNS,
						   NULL), 0);
	for (i = 0; i < FQ_PFNS; i++)
		KUNIT_ASSERT_EQ(test, iox_iova_alloc(&t->iovad, 1, FQ_PFNS, &pfn), 0);
	KUNIT_ASSERT_EQ(test, iox_iova_alloc(&t->iovad, 1, FQ_PFNS, &pfn), -ENOSPC);
	KUNIT_ASSERT_EQ(test, iox_fq_init(&t->fq, entries, timeout_ms, mock_flush,
					  &t->mi, &t->iovad), 0);
	return t;
}

static void fq_free(struct kunit *test, struct fq_test *t)
{
	unsigned long pfn;

	iox_fq_destroy(&t->fq);
	/* Everything queued went back to the allocator. */
	while (!iox_iova_alloc(&t->iovad, 1, FQ_PFNS, &pfn))
		;
	t->iovad.quiet_leaks = true;
	iox_iova_domain_destroy(&t->iovad);
	KUNIT_EXPECT_EQ(test, t->iovad.leaked, (unsigned long)FQ_PFNS);
}

static int queue_page(struct fq_test *t, unsigned long pfn, struct page *table)
{
	struct iox_iotlb_gather gather;

	iox_iotlb_gather_init(&gather, true);
	if (table)
		iox_iotlb_gather_free_page(&gather, table);
	return iox_fq_queue(&t->fq, pfn, 1, &gather);
}

static struct iox_fq_stats fq_stats(struct fq_test *t)
{
	struct iox_fq_stats s;

	iox_fq_get_stats(&t->fq, &s);
	return s;
}

static void fq_refuses_bad_bounds(struct kunit *test)
{
	struct iox_flush_queue fq;
	struct mock_inval mi = {};

	KUNIT_EXPECT_EQ(test, iox_fq_init(&fq, 0, 10, mock_flush, &mi, NULL), -EINVAL);
	KUNIT_EXPECT_EQ(test, iox_fq_init(&fq, IOX_FQ_MAX_ENTRIES + 1, 10, mock_flush,
					  &mi, NULL), -EINVAL);
	KUNIT_EXPECT_EQ(test, iox_fq_init(&fq, 8, 0, mock_flush, &mi, NULL), -EINVAL);
	KUNIT_EXPECT_EQ(test, iox_fq_init(&fq, 8, IOX_FQ_MAX_TIMEOUT_MS + 1, mock_flush,
					  &mi, NULL), -EINVAL);
	KUNIT_EXPECT_EQ(test, iox_fq_init(&fq, 8, 10, NULL, &mi, NULL), -EINVAL);
	/* Nothing to free after a refusal. */
	iox_fq_destroy(&fq);
	KUNIT_EXPECT_EQ(test, atomic_read(&mi.calls), 0);
	/* The bounds themselves are accepted. */
	KUNIT_EXPECT_EQ(test, iox_fq_init(&fq, IOX_FQ_MAX_ENTRIES, IOX_FQ_MAX_TIMEOUT_MS,
					  mock_flush, &mi, NULL), 0);
	iox_fq_destroy(&fq);
	KUNIT_EXPECT_EQ(test, iox_fq_init(&fq, 1, 1, mock_flush, &mi, NULL), 0);
	iox_fq_destroy(&fq);
	/* An empty queue is not flushed at destroy. */
	KUNIT_EXPECT_EQ(test, atomic_read(&mi.calls), 0);
}

/*
 * A queued IOVA and table page stay unusable until an invalidation that
 * started after the queuing completed; a failed one releases nothing.
 */
static void fq_no_reuse_before_invalidation(struct kunit *test)
{
	struct fq_test *t = fq_new(test, 8, FQ_LONG_MS);
	struct page *table = alloc_page(GFP_KERNEL | __GFP_ZERO);
	unsigned long pfn;

	KUNIT_ASSERT_NOT_NULL(test, table);
	t->mi.iovad = &t->iovad;
	/* Our own reference tells when the queue lets go of the page. */
	get_page(table);
	KUNIT_ASSERT_EQ(test, queue_page(t, 7, table), 0);
	KUNIT_EXPECT_EQ(test, iox_iova_alloc(&t->iovad, 1, FQ_PFNS, &pfn), -ENOSPC);
	KUNIT_EXPECT_EQ(test, page_count(table), 2);
	KUNIT_EXPECT_EQ(test, fq_stats(t).pending, 1L);

	t->mi.fail = -ETIMEDOUT;
	KUNIT_EXPECT_EQ(test, iox_fq_flush(&t->fq), -ETIMEDOUT);
	KUNIT_EXPECT_EQ(test, iox_iova_alloc(&t->iovad, 1, FQ_PFNS, &pfn), -ENOSPC);
	KUNIT_EXPECT_EQ(test, page_count(table), 2);
	KUNIT_EXPECT_EQ(test, fq_stats(t).flush_failures, 1ULL);
	KUNIT_EXPECT_EQ(test, fq_stats(t).flushes, 0ULL);

	t->mi.fail = 0;
	KUNIT_EXPECT_EQ(test, iox_fq_flush(&t->fq), 0);
	KUNIT_EXPECT_EQ(test, page_count(table), 1);
	KUNIT_EXPECT_EQ(test, fq_stats(t).pending, 0L);
	KUNIT_ASSERT_EQ(test, iox_iova_alloc(&t->iovad, 1, FQ_PFNS, &pfn), 0);
	KUNIT_EXPECT_EQ(test, pfn, 7UL);
	/* At each invalidation, the range was not yet available. */
	KUNIT_EXPECT_EQ(test, atomic_read(&t->mi.reuse_before_flush), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->mi.calls), 2);
	put_page(table);
	fq_free(test, t);
}

/*
 * A CPU's ring holds @entries unmaps; the next one flushes the domain once
 * and releases them: lazy unmaps cost one flush per ring-full, never one
 * per unmap, and no more than @entries wait on a CPU.
 */
static void fq_full_ring_flushes_once(struct kunit *test)
{
	const unsigned int entries = 4, rounds = 4;
	struct fq_test *t = fq_new(test, entries, FQ_LONG_MS);
	unsigned long pfn, n;

	/* One CPU, one ring. */
	migrate_disable();
	for (n = 0; n < entries; n++)
		KUNIT_EXPECT_EQ(test, queue_page(t, 1 + n, NULL), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->mi.calls), 0);
	KUNIT_EXPECT_EQ(test, iox_iova_alloc(&t->iovad, 1, FQ_PFNS, &pfn), -ENOSPC);

	KUNIT_EXPECT_EQ(test, queue_page(t, 1 + n++, NULL), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->mi.calls), 1);
	KUNIT_EXPECT_EQ(test, fq_stats(t).full_flushes, 1ULL);
	KUNIT_EXPECT_EQ(test, fq_stats(t).pending, 1L);

	/* The rest of @rounds ring-fulls: one flush each. */
	for (; n < entries * rounds; n++)
		KUNIT_EXPECT_EQ(test, queue_page(t, 1 + n, NULL), 0);
	migrate_enable();
	KUNIT_EXPECT_EQ(test, atomic_read(&t->mi.calls), (int)rounds - 1);
	KUNIT_EXPECT_EQ(test, fq_stats(t).queued, (u64)entries * rounds);
	KUNIT_EXPECT_EQ(test, fq_stats(t).max_pending, (long)entries);
	KUNIT_EXPECT_EQ(test, fq_stats(t).timer_flushes, 0ULL);

	/* The first rings-full came back to the allocator, the last did not. */
	for (n = 0; n < entries * (rounds - 1); n++)
		KUNIT_EXPECT_EQ(test, iox_iova_alloc(&t->iovad, 1, FQ_PFNS, &pfn), 0);
	KUNIT_EXPECT_EQ(test, iox_iova_alloc(&t->iovad, 1, FQ_PFNS, &pfn), -ENOSPC);
	fq_free(test, t);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->mi.calls), (int)rounds);
}

/* A full ring whose flush fails refuses the unmap and keeps the rest. */
static void fq_full_ring_failed_flush(struct kunit *test)
{
	struct fq_test *t = fq_new(test, 2, FQ_LONG_MS);

	migrate_disable();
	KUNIT_EXPECT_EQ(test, queue_page(t, 1, NULL), 0);
	KUNIT_EXPECT_EQ(test, queue_page(t, 2, NULL), 0);
	t->mi.fail = -EIO;
	KUNIT_EXPECT_EQ(test, queue_page(t, 3, NULL), -EIO);
	migrate_enable();
	KUNIT_EXPECT_EQ(test, fq_stats(t).pending, 2L);
	KUNIT_EXPECT_EQ(test, fq_stats(t).queued, 2ULL);
	t->mi.fail = 0;
	/* Range 3 was refused: still the caller's, freed here. */
	KUNIT_EXPECT_EQ(test, iox_iova_free(&t->iovad, 3, 1), 0);
	fq_free(test, t);
}

/*
 * With room in the ring, the timer flushes: once, not before the timeout
 * (less the partial first jiffy), and the window it reports is no longer
 * than the time the test saw the unmap pending.
 */
static void fq_timer_flushes(struct kunit *test)
{
	const unsigned int timeout_ms = 20;
	struct fq_test *t = fq_new(test, 64, timeout_ms);
	u64 t0, waited, floor;
	int i;

	t0 = ktime_get_ns();
	KUNIT_ASSERT_EQ(test, queue_page(t, 5, NULL), 0);
	for (i = 0; i < 250 && fq_stats(t).pending; i++)
		msleep(20);
	waited = ktime_get_ns() - t0;
	KUNIT_ASSERT_EQ(test, fq_stats(t).pending, 0L);
	KUNIT_EXPECT_EQ(test, fq_stats(t).timer_flushes, 1ULL);
	KUNIT_EXPECT_EQ(test, fq_stats(t).flushes, 1ULL);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->mi.calls), 1);
	floor = (u64)(msecs_to_jiffies(timeout_ms) - 1) * TICK_NSEC;
	kunit_info(test, "window %llu ns, timeout %u ms, jiffy %lu ns",
		   fq_stats(t).max_window_ns, timeout_ms, (unsigned long)TICK_NSEC);
	KUNIT_EXPECT_GE(test, fq_stats(t).max_window_ns, floor);
	KUNIT_EXPECT_LE(test, fq_stats(t).max_window_ns, waited);

	/* An idle queue's timer stays quiet. */
	msleep(3 * timeout_ms);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->mi.calls), 1);
	fq_free(test, t);
}

static void queue_pfn_2(struct mock_inval *mi)
{
	struct fq_test *t = container_of(mi, struct fq_test, mi);

	queue_page(t, 2, NULL);
}

/*
 * The window is measured per unmap, also where the entries of a ring are
 * released by different flushes: an unmap queued while a flush runs, behind
 * one that flush covers, waits for the next flush, and its window starts
 * when it was queued, not when the entry before it was.
 */
static void fq_window_across_flushes(struct kunit *test)
{
	struct fq_test *t = fq_new(test, 8, FQ_LONG_MS);
	u64 t0, t1, t2, first, second;

	/* One CPU, one ring. */
	migrate_disable();
	t0 = ktime_get_ns();
	KUNIT_ASSERT_EQ(test, queue_page(t, 1, NULL), 0);
	migrate_enable();
	msleep(30);
	/* The first flush covers unmap 1 only; unmap 2 comes in meanwhile. */
	t->mi.during = queue_pfn_2;
	migrate_disable();
	KUNIT_EXPECT_EQ(test, iox_fq_flush(&t->fq), 0);
	t1 = ktime_get_ns();
	KUNIT_EXPECT_EQ(test, fq_stats(t).pending, 1L);
	first = fq_stats(t).max_window_ns;
	KUNIT_EXPECT_LE(test, first, t1 - t0);
	KUNIT_EXPECT_EQ(test, iox_fq_flush(&t->fq), 0);
	migrate_enable();
	t2 = ktime_get_ns();
	KUNIT_EXPECT_EQ(test, fq_stats(t).pending, 0L);
	/* Unmap 2 waited from the first flush on, far less than unmap 1. */
	second = t2 - t->mi.during_ns;
	KUNIT_EXPECT_LT(test, second, t1 - t0);
	KUNIT_EXPECT_LE(test, fq_stats(t).max_window_ns, max(first, second));
	fq_free(test, t);
}

/* Destroying the queue invalidates and releases what is still queued. */
static void fq_destroy_flushes(struct kunit *test)
{
	struct fq_test *t = fq_new(test, 8, FQ_LONG_MS);

	KUNIT_EXPECT_EQ(test, queue_page(t, 9, NULL), 0);
	KUNIT_EXPECT_EQ(test, queue_page(t, 10, NULL), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->mi.calls), 0);
	/* fq_free() checks that both ranges were returned. */
	fq_free(test, t);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->mi.calls), 1);
}

/*
 * A timer flush that fails leaves its unmaps queued and tries again a
 * timeout later; the range is released only by the flush that completes.
 */
static void fq_timer_retries_failed_flush(struct kunit *test)
{
	const unsigned int timeout_ms = 20;
	struct fq_test *t = fq_new(test, 64, timeout_ms);
	unsigned long pfn;
	int i;

	t->mi.fail = -ETIMEDOUT;
	KUNIT_ASSERT_EQ(test, queue_page(t, 5, NULL), 0);
	for (i = 0; i < 250 && atomic_read(&t->mi.calls) < 2; i++)
		msleep(20);
	KUNIT_EXPECT_GE(test, atomic_read(&t->mi.calls), 2);
	KUNIT_EXPECT_EQ(test, fq_stats(t).pending, 1L);
	KUNIT_EXPECT_EQ(test, fq_stats(t).flushes, 0ULL);
	KUNIT_EXPECT_GE(test, fq_stats(t).flush_failures, 2ULL);
	KUNIT_EXPECT_EQ(test, iox_iova_alloc(&t->iovad, 1, FQ_PFNS, &pfn), -ENOSPC);

	t->mi.fail = 0;
	for (i = 0; i < 250 && fq_stats(t).pending; i++)
		msleep(20);
	KUNIT_EXPECT_EQ(test, fq_stats(t).pending, 0L);
	KUNIT_EXPECT_EQ(test, fq_stats(t).timer_flushes, 1ULL);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->mi.reuse_before_flush), 0);
	fq_free(test, t);
}

/*
 * Destroyed while its final invalidation fails, the queue leaks what it
 * held rather than release it for reuse: the range stays allocated and the
 * page-table page is not freed.
 */
static void fq_destroy_failed_flush_leaks(struct kunit *test)
{
	struct fq_test *t = fq_new(test, 8, FQ_LONG_MS);
	struct page *table = alloc_page(GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, table);
	/* Our own reference shows whether the queue let go of the page. */
	get_page(table);
	KUNIT_EXPECT_EQ(test, queue_page(t, 9, table), 0);
	t->mi.fail = -EIO;
	iox_fq_destroy(&t->fq);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->mi.calls), 1);
	KUNIT_EXPECT_EQ(test, page_count(table), 2);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->mi.reuse_before_flush), 0);
	/* Both references are ours now: the queue is gone. */
	put_page(table);
	put_page(table);
	/* fq_free() finds no range returned: pfn 9 is still allocated. */
	fq_free(test, t);
}

struct remote_queue {
	struct fq_test *t;
	unsigned long pfn;
	int ret;
};

static void remote_queue_fn(void *data)
{
	struct remote_queue *rq = data;

	rq->ret = queue_page(rq->t, rq->pfn, NULL);
}

/* Queue @pfn on @cpu's ring, from that CPU (in its interrupt context). */
static int queue_on(struct fq_test *t, unsigned int cpu, unsigned long pfn)
{
	struct remote_queue rq = { .t = t, .pfn = pfn, .ret = -EIO };
	int ret = smp_call_function_single(cpu, remote_queue_fn, &rq, 1);

	return ret ?: rq.ret;
}

/* Whether @pfn is free in the allocator; what was free stays free. */
static bool pfn_free(struct fq_test *t, unsigned long pfn)
{
	unsigned long got[FQ_PFNS], n = 0, i;
	bool found = false;

	while (n < FQ_PFNS && !iox_iova_alloc(&t->iovad, 1, FQ_PFNS, &got[n]))
		found |= got[n++] == pfn;
	for (i = 0; i < n; i++)
		iox_iova_free(&t->iovad, got[i], 1);
	return found;
}

/*
 * The CPUs of the two-CPU cases: a full ring's flush covers the other
 * CPU's entries too, but only that CPU releases them (when it next
 * queues), or a sweep.  Call with migration disabled.
 */
static unsigned int other_cpu(void)
{
	return cpumask_any_but(cpu_online_mask, smp_processor_id());
}

/*
 * A queue of two entries per ring with pfn 5 on the other CPU's ring, then
 * 6, 7 and 8 on this one: 8 finds the ring full, flushes (covering 5),
 * releases this CPU's ring and is queued.  Returns the other CPU, with
 * migration disabled.
 */
static struct fq_test *fq_cover_other_cpu(struct kunit *test, unsigned int *cpu)
{
	struct fq_test *t;

	if (num_online_cpus() < 2)
		kunit_skip(test, "needs a second CPU");
	t = fq_new(test, 2, FQ_LONG_MS);
	migrate_disable();
	*cpu = other_cpu();
	KUNIT_ASSERT_EQ(test, queue_on(t, *cpu, 5), 0);
	KUNIT_EXPECT_EQ(test, queue_page(t, 6, NULL), 0);
	KUNIT_EXPECT_EQ(test, queue_page(t, 7, NULL), 0);
	KUNIT_EXPECT_EQ(test, queue_page(t, 8, NULL), 0);
	return t;
}

static void fq_full_flush_leaves_other_rings(struct kunit *test)
{
	unsigned int cpu;
	struct fq_test *t = fq_cover_other_cpu(test, &cpu);

	KUNIT_EXPECT_EQ(test, atomic_read(&t->mi.calls), 1);
	KUNIT_EXPECT_EQ(test, fq_stats(t).full_flushes, 1ULL);
	/* 5 is covered but still on the other CPU's ring; 8 is not covered. */
	KUNIT_EXPECT_EQ(test, fq_stats(t).pending, 2L);
	KUNIT_EXPECT_FALSE(test, pfn_free(t, 5));
	/* That CPU releases it when it next queues, without another flush. */
	KUNIT_ASSERT_EQ(test, queue_on(t, cpu, 9), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->mi.calls), 1);
	KUNIT_EXPECT_EQ(test, fq_stats(t).pending, 2L);
	KUNIT_EXPECT_TRUE(test, pfn_free(t, 5));
	migrate_enable();
	fq_free(test, t);
}

/* Destroy releases what a full ring's flush covered, even if its own fails. */
static void fq_destroy_releases_covered(struct kunit *test)
{
	unsigned int cpu;
	struct fq_test *t = fq_cover_other_cpu(test, &cpu);

	migrate_enable();
	t->mi.fail = -EIO;
	iox_fq_destroy(&t->fq);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->mi.calls), 2);
	/* 5 was covered: released; 8 was not: kept (leaked) for good. */
	KUNIT_EXPECT_TRUE(test, pfn_free(t, 5));
	KUNIT_EXPECT_FALSE(test, pfn_free(t, 8));
	fq_free(test, t);
}

/**
 * struct racing_queue - an unmap on the other CPU, racing with a flush
 * @t: the queue
 * @pfn: what it queues
 * @go: set by the flush once running
 * @queuing: set by the thread just before it queues
 * @ret: what iox_fq_queue() returned
 * @done: completed when the thread is done with this structure
 */
struct racing_queue {
	struct fq_test *t;
	unsigned long pfn;
	atomic_t go;
	atomic_t queuing;
	int ret;
	struct completion done;
};

#define FQ_RACE_WAIT	(5 * HZ)	/* for the other side, at most */

static int racing_queue_fn(void *data)
{
	struct racing_queue *rq = data;
	unsigned long end = jiffies + FQ_RACE_WAIT;

	rq->ret = -ETIMEDOUT;
	while (!atomic_read(&rq->go) && time_before(jiffies, end))
		cpu_relax();
	if (atomic_read(&rq->go)) {
		atomic_set(&rq->queuing, 1);
		rq->ret = queue_page(rq->t, rq->pfn, NULL);
	}
	complete(&rq->done);
	return 0;
}

/*
 * The flush's mock, in its @during hook: let the racing thread queue, and
 * run long enough for it to find its ring full while this flush runs.
 */
static void flush_while_other_queues(struct mock_inval *mi)
{
	struct racing_queue *rq = mi->priv;
	unsigned long end = jiffies + FQ_RACE_WAIT;

	atomic_set(&rq->go, 1);
	while (!atomic_read(&rq->queuing) && time_before(jiffies, end))
		cpu_relax();
	mdelay(100);
}

/*
 * Two full rings of two entries, pfns 5 and 6 on the other CPU's, 7 and 8
 * on this one's, and a thread on the other CPU that queues 10 while the
 * flush that this CPU's next unmap forces runs.  Returns with migration
 * disabled.
 */
static struct fq_test *fq_race_full_rings(struct kunit *test,
					  struct racing_queue *rq)
{
	struct task_struct *task;
	struct fq_test *t;
	unsigned int cpu;

	if (num_online_cpus() < 2)
		kunit_skip(test, "needs a second CPU");
	t = fq_new(test, 2, FQ_LONG_MS);
	migrate_disable();
	cpu = other_cpu();
	KUNIT_ASSERT_EQ(test, queue_on(t, cpu, 5), 0);
	KUNIT_ASSERT_EQ(test, queue_on(t, cpu, 6), 0);
	KUNIT_ASSERT_EQ(test, queue_page(t, 7, NULL), 0);
	KUNIT_ASSERT_EQ(test, queue_page(t, 8, NULL), 0);
	*rq = (struct racing_queue){ .t = t, .pfn = 10 };
	init_completion(&rq->done);
	task = kthread_create(racing_queue_fn, rq, "iox-fq-race");
	KUNIT_ASSERT_FALSE(test, IS_ERR(task));
	kthread_bind(task, cpu);
	t->mi.priv = rq;
	t->mi.during = flush_while_other_queues;
	wake_up_process(task);
	return t;
}

/*
 * Rings filled at the same rate fill together: the other CPU's full ring,
 * whose oldest entries the running flush covers, waits for it and releases
 * them rather than flush a second time.
 */
static void fq_full_ring_waits_for_running_flush(struct kunit *test)
{
	struct racing_queue rq;
	struct fq_test *t = fq_race_full_rings(test, &rq);

	KUNIT_EXPECT_EQ(test, queue_page(t, 9, NULL), 0);
	KUNIT_ASSERT_TRUE(test, wait_for_completion_timeout(&rq.done, 2 * FQ_RACE_WAIT));
	KUNIT_EXPECT_EQ(test, rq.ret, 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->mi.calls), 1);
	KUNIT_EXPECT_EQ(test, fq_stats(t).full_flushes, 1ULL);
	KUNIT_EXPECT_EQ(test, fq_stats(t).full_waits, 1ULL);
	/* Each CPU released its covered entries and queued its unmap. */
	KUNIT_EXPECT_EQ(test, fq_stats(t).pending, 2L);
	KUNIT_EXPECT_TRUE(test, pfn_free(t, 5));
	KUNIT_EXPECT_TRUE(test, pfn_free(t, 6));
	KUNIT_EXPECT_TRUE(test, pfn_free(t, 7));
	KUNIT_EXPECT_TRUE(test, pfn_free(t, 8));
	migrate_enable();
	fq_free(test, t);
}

/* If the flush it waited for fails, the full ring flushes itself. */
static void fq_full_ring_wait_flush_fails(struct kunit *test)
{
	struct racing_queue rq;
	struct fq_test *t = fq_race_full_rings(test, &rq);
	int ret;

	t->mi.fail_once = -EIO;
	/* Refused, unless the other CPU's flush covered the ring meanwhile. */
	ret = queue_page(t, 9, NULL);
	KUNIT_EXPECT_TRUE(test, ret == -EIO || ret == 0);
	KUNIT_ASSERT_TRUE(test, wait_for_completion_timeout(&rq.done, 2 * FQ_RACE_WAIT));
	KUNIT_EXPECT_EQ(test, rq.ret, 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->mi.calls), 2);
	KUNIT_EXPECT_EQ(test, fq_stats(t).flush_failures, 1ULL);
	KUNIT_EXPECT_EQ(test, fq_stats(t).full_flushes, 1ULL);
	KUNIT_EXPECT_EQ(test, fq_stats(t).full_waits, 0ULL);
	/* The other CPU's flush covered 5 and 6, released there. */
	KUNIT_EXPECT_TRUE(test, pfn_free(t, 5));
	KUNIT_EXPECT_TRUE(test, pfn_free(t, 6));
	migrate_enable();
	/* If 9 was refused, it is still the caller's. */
	if (ret)
		KUNIT_EXPECT_EQ(test, iox_iova_free(&t->iovad, 9, 1), 0);
	fq_free(test, t);
}

static struct kunit_case fq_cases[] = {
	KUNIT_CASE(fq_refuses_bad_bounds),
	KUNIT_CASE(fq_no_reuse_before_invalidation),
	KUNIT_CASE(fq_full_ring_flushes_once),
	KUNIT_CASE(fq_full_ring_failed_flush),
	KUNIT_CASE(fq_timer_flushes),
	KUNIT_CASE(fq_window_across_flushes),
	KUNIT_CASE(fq_destroy_flushes),
	KUNIT_CASE(fq_timer_retries_failed_flush),
	KUNIT_CASE(fq_destroy_failed_flush_leaks),
	KUNIT_CASE(fq_full_flush_leaves_other_rings),
	KUNIT_CASE(fq_destroy_releases_covered),
	KUNIT_CASE(fq_full_ring_waits_for_running_flush),
	KUNIT_CASE(fq_full_ring_wait_flush_fails),
	{}
};

static struct kunit_suite fq_suite = {
	.name = "iox-flush-queue",
	.test_cases = fq_cases,
};

kunit_test_suite(fq_suite);

MODULE_DESCRIPTION("KUnit tests for the iox flush queue");
MODULE_LICENSE("GPL");
