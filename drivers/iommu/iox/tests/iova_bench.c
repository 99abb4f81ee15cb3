// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark of the iox IOVA allocator beside the kernel's own
 * (alloc_iova_fast()/free_iova_fast() of drivers/iommu/iova.c), in the same
 * boot, with the same request sequences: one thread per online CPU, all
 * running at once, each timing alloc+free pairs.  Each figure is measured
 * in BENCH_ROUNDS rounds; a round measures both allocators back to back,
 * the one first in even rounds second in odd ones, so that a slow period
 * of the host hits both alike.  Results are printed as "# bench: " lines:
 * the median ns per pair of each allocator and the median of the rounds'
 * ratios iox / upstream, with the lowest and highest ratio.
 */
#include <kunit/test.h>
#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/iova.h>
#include <linux/iox-iova.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/prandom.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/timekeeping.h>

/* A 48-bit space; requests are limited to 32 bits like a typical PCI device. */
#define BENCH_END_PFN	((1UL << 36) - 1)
#define BENCH_LIMIT_PFN	((1UL << 20) - 1)
#define BENCH_LIVE	10000
#define BENCH_BIG	64	/* beyond both allocators' caches */
#define BENCH_MAX_NS	(3ULL * NSEC_PER_SEC)	/* per phase and thread */
#define BENCH_ROUNDS	5	/* odd, for a median */
#define BENCH_WARMUP	256	/* pairs before the clock starts */

/*
 * For make check: every figure on tiny sizes, so that the code runs; no
 * figure means anything then.
 */
static bool quick;
module_param(quick, bool, 0444);
MODULE_PARM_DESC(quick, "tiny sizes, for make check: the code runs, no figure means anything");

#define BENCH_QUICK_DIV	1024	/* iterations and live ranges, divided */

/* A "# bench: " diagnostic line, which make bench collects. */
#define bench_print(test, fmt, ...) \
	kunit_log(KERN_INFO, test, KUNIT_SUBTEST_INDENT "# bench: " fmt, ##__VA_ARGS__)

enum bench_kind {
	BENCH_HIT, BENCH_HIT_CHECKED, BENCH_MISS, BENCH_WS_MIXED, BENCH_WS_MISS, BENCH_KINDS
};

/*
 * Every iox row but the checked one runs with the free checks of
 * CONFIG_IOX_IOVA_DEBUG off, as a kernel without that option has them; the
 * checked row measures what the option costs on the hit path.
 */
static const char * const bench_names[BENCH_KINDS] = {
	"cache hit (1 page)",
	"cache hit (1 page), frees checked (IOX_IOVA_DEBUG)",
	"miss (64 pages, tree)",
	"10000 live, mixed 1-32 pages",
	"10000 live, 64 pages (tree)",
};

static const unsigned long bench_iters[BENCH_KINDS] = {
	1UL << 20, 1UL << 18, 1UL << 16, 1UL << 17, 1UL << 15,
};

/*
 * @hold keeps iox's node cache and hotplug state alive between the runs,
 * as iova_cache_get() does for the kernel's allocator: without it each iox
 * run would start with a new, cold kmem_cache.  @stop ends every thread's
 * timing when the first one is done, so that all of them time only the
 * period when they all ran.
 */
struct bench_ctx {
	bool upstream;
	struct iox_iova_domain iox;
	struct iox_iova_domain hold;
	struct iova_domain iovad;
	enum bench_kind kind;
	unsigned int nr_threads;
	atomic_t ready;
	atomic_t failures;
	atomic64_t total_ns;
	atomic64_t total_pairs;
	atomic_t running;
	bool stop;
	struct completion done;
};

struct bench_thread {
	struct bench_ctx *ctx;
	unsigned int idx;
};

static bool bench_alloc(struct bench_ctx *ctx, unsigned long n, unsigned long *pfn)
{
	if (ctx->upstream) {
		*pfn = alloc_iova_fast(&ctx->iovad, n, BENCH_LIMIT_PFN, true);
		return *pfn != 0;
	}
	return !iox_iova_alloc(&ctx->iox, n, BENCH_LIMIT_PFN, pfn);
}

static void bench_free(struct bench_ctx *ctx, unsigned long pfn, unsigned long n)
{
	if (ctx->upstream)
		free_iova_fast(&ctx->iovad, pfn, n);
	else
		iox_iova_free(&ctx->iox, pfn, n);
}

static unsigned long bench_size(struct bench_ctx *ctx, struct rnd_state *rnd)
{
	if (ctx->kind == BENCH_WS_MIXED)
		return 1 + prandom_u32_state(rnd) % 32;
	return ctx->kind == BENCH_HIT || ctx->kind == BENCH_HIT_CHECKED ? 1 : BENCH_BIG;
}

static int bench_thread_fn(void *data)
{
	struct bench_thread *t = data;
	struct bench_ctx *ctx = t->ctx;
	unsigned long iters = bench_iters[ctx->kind], nr_live = 0, done, i, pfn;
	unsigned long live = BENCH_LIVE;
	unsigned long *live_pfn = NULL, *live_n = NULL;
	struct rnd_state rnd;
	u64 start, ns;

	if (quick) {
		iters /= BENCH_QUICK_DIV;
		live /= BENCH_QUICK_DIV;
	}
	prandom_seed_state(&rnd, 42 + t->idx);
	if (ctx->kind == BENCH_WS_MIXED || ctx->kind == BENCH_WS_MISS) {
		nr_live = live / ctx->nr_threads;
		live_pfn = kcalloc(nr_live, sizeof(*live_pfn), GFP_KERNEL);
		live_n = kcalloc(nr_live, sizeof(*live_n), GFP_KERNEL);
		if (!live_pfn || !live_n)
			nr_live = 0;
		for (i = 0; i < nr_live; i++) {
			live_n[i] = 1 + prandom_u32_state(&rnd) % 32;
			if (!bench_alloc(ctx, live_n[i], &live_pfn[i]))
				live_n[i] = 0;
		}
	}
	/* Warm the caches, then start together with the other threads. */
	for (i = 0; i < BENCH_WARMUP; i++) {
		unsigned long n = bench_size(ctx, &rnd);

		if (bench_alloc(ctx, n, &pfn))
			bench_free(ctx, pfn, n);
	}
	atomic_inc(&ctx->ready);
	while (atomic_read(&ctx->ready) < ctx->nr_threads)
		cond_resched();

	start = ktime_get_ns();
	for (done = 0; done < iters;) {
		unsigned long n = bench_size(ctx, &rnd);

		if (nr_live) {
			/* Replace a random live range: free it, then allocate. */
			unsigned long j = prandom_u32_state(&rnd) % nr_live;

			if (live_n[j])
				bench_free(ctx, live_pfn[j], live_n[j]);
			live_n[j] = n;
			if (!bench_alloc(ctx, n, &live_pfn[j])) {
				live_n[j] = 0;
				atomic_inc(&ctx->failures);
			}
		} else if (bench_alloc(ctx, n, &pfn)) {
			bench_free(ctx, pfn, n);
		} else {
			atomic_inc(&ctx->failures);
		}
		/*
		 * Let the CPU's other work (RCU) run, stop a slow phase
		 * early (the kernel may not be preemptible), and stop when
		 * another thread is done.
		 */
		if (!(++done % 64)) {
			cond_resched();
			if (READ_ONCE(ctx->stop) ||
			    ktime_get_ns() - start > BENCH_MAX_NS)
				break;
		}
	}
	ns = ktime_get_ns() - start;
	WRITE_ONCE(ctx->stop, true);
	atomic64_add(ns, &ctx->total_ns);
	atomic64_add(done, &ctx->total_pairs);

	for (i = 0; i < nr_live; i++)
		if (live_n[i])
			bench_free(ctx, live_pfn[i], live_n[i]);
	kfree(live_pfn);
	kfree(live_n);
	if (atomic_dec_and_test(&ctx->running))
		complete(&ctx->done);
	return 0;
}

/*
 * Ns per alloc+free pair with one thread per online CPU: the threads' time
 * over the pairs they completed, all in the period when all of them ran.
 */
static u64 bench_run(struct kunit *test, struct bench_ctx *ctx, bool upstream,
		     enum bench_kind kind)
{
	struct bench_thread *threads;
	unsigned int i, cpu;

	ctx->upstream = upstream;
	ctx->kind = kind;
	ctx->nr_threads = num_online_cpus();
	atomic_set(&ctx->ready, 0);
	atomic_set(&ctx->running, ctx->nr_threads);
	atomic64_set(&ctx->total_ns, 0);
	atomic64_set(&ctx->total_pairs, 0);
	WRITE_ONCE(ctx->stop, false);
	init_completion(&ctx->done);
	threads = kunit_kcalloc(test, ctx->nr_threads, sizeof(*threads), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, threads);
	if (upstream) {
		init_iova_domain(&ctx->iovad, SZ_4K, 1);
		KUNIT_ASSERT_EQ(test, iova_domain_init_rcaches(&ctx->iovad), 0);
	} else {
		KUNIT_ASSERT_EQ(test, iox_iova_domain_init(&ctx->iox, SZ_4K, 1,
							   BENCH_END_PFN, "bench"), 0);
		iox_iova_test_check_frees(&ctx->iox, kind == BENCH_HIT_CHECKED);
	}

	i = 0;
	for_each_online_cpu(cpu) {
		struct task_struct *task;

		threads[i].ctx = ctx;
		threads[i].idx = i;
		task = kthread_create(bench_thread_fn, &threads[i], "iova-bench/%u", cpu);
		KUNIT_ASSERT_FALSE(test, IS_ERR(task));
		kthread_bind(task, cpu);
		wake_up_process(task);
		i++;
	}
	wait_for_completion(&ctx->done);

	if (upstream)
		put_iova_domain(&ctx->iovad);
	else
		iox_iova_domain_destroy(&ctx->iox);
	return div64_u64(atomic64_read(&ctx->total_ns),
			 max_t(u64, atomic64_read(&ctx->total_pairs), 1));
}

static int bench_cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

/* Sort @v, BENCH_ROUNDS values, and return their median. */
static u64 bench_median(u64 *v)
{
	sort(v, BENCH_ROUNDS, sizeof(*v), bench_cmp_u64, NULL);
	return v[BENCH_ROUNDS / 2];
}

static void iova_bench_pairs(struct kunit *test)
{
	u64 up[BENCH_ROUNDS], iox[BENCH_ROUNDS], ratio[BENCH_ROUNDS];
	struct bench_ctx *ctx;
	enum bench_kind kind;
	unsigned int round;

	ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ctx);
	KUNIT_ASSERT_EQ(test, iova_cache_get(), 0);
	KUNIT_ASSERT_EQ(test, iox_iova_domain_init(&ctx->hold, SZ_4K, 1, 1, NULL), 0);
	bench_print(test,
		    "iova: ns per alloc+free pair, %u CPU(s) at once, %s, median of %u rounds\n",
		    num_online_cpus(), "iox vs alloc_iova_fast()/free_iova_fast()",
		    BENCH_ROUNDS);
	for (kind = 0; kind < BENCH_KINDS; kind++) {
		u64 med;

		atomic_set(&ctx->failures, 0);
		for (round = 0; round < BENCH_ROUNDS; round++) {
			if (round % 2) {
				iox[round] = bench_run(test, ctx, false, kind);
				up[round] = bench_run(test, ctx, true, kind);
			} else {
				up[round] = bench_run(test, ctx, true, kind);
				iox[round] = bench_run(test, ctx, false, kind);
			}
			ratio[round] = div64_u64(iox[round] * 100, max_t(u64, up[round], 1));
		}
		med = bench_median(ratio);
		/* The median ratio, then the lowest and the highest. */
		bench_print(test,
			    "iova %s: iox %llu ns, alloc_iova_fast %llu ns, ratio %llu.%02llu (rounds %llu.%02llu-%llu.%02llu)\n",
			    bench_names[kind], bench_median(iox), bench_median(up),
			    med / 100, med % 100, ratio[0] / 100, ratio[0] % 100,
			    ratio[BENCH_ROUNDS - 1] / 100, ratio[BENCH_ROUNDS - 1] % 100);
		KUNIT_EXPECT_EQ_MSG(test, atomic_read(&ctx->failures), 0,
				    "allocations failed in %s", bench_names[kind]);
	}
	iox_iova_domain_destroy(&ctx->hold);
	iova_cache_put();
}

/*
 * Under fragmentation: N live ranges of mixed sizes (1-32 pages, and one
 * in four 33-256 pages) spread over a 48-bit space with holes between
 * them, as a long-running machine with many mappings has; then one
 * allocation at a time is timed alone, each after a random live range was
 * freed (untimed), so that N stays the same.  The median and the worst
 * latency of each allocator, for iox, alloc_iova() (the tree; what a
 * request beyond alloc_iova_fast()'s caches gets, and where soft lockups
 * were reported) and alloc_iova_fast().  One thread: latency, not
 * throughput.  Not on UML, whose clock cannot time one allocation.
 */
#define FRAG_OPS	4000
#define FRAG_MAX_NS	(2ULL * NSEC_PER_SEC)	/* per allocator and size */

enum frag_kind { FRAG_IOX, FRAG_TREE, FRAG_FAST, FRAG_KINDS };

static const char * const frag_names[FRAG_KINDS] = {
	"iox", "alloc_iova", "alloc_iova_fast",
};

/**
 * struct frag_ctx - one allocator under fragmentation
 * @kind: which allocator
 * @iox: its domain, for iox
 * @iovad: its domain, for the kernel's
 * @slots: live range slots, 3/2 of the live count; a third start free
 * @pfn: per slot, the first pfn of its range
 * @npages: per slot, the range's size in pages, 0 if the slot is free
 * @lat: the timed allocations' ns
 * @failures: allocations that failed
 */
struct frag_ctx {
	enum frag_kind kind;
	struct iox_iova_domain iox;
	struct iova_domain iovad;
	unsigned long slots;
	unsigned long *pfn;
	unsigned long *npages;
	u64 lat[FRAG_OPS];
	unsigned int failures;
};

static bool frag_alloc(struct frag_ctx *f, unsigned long n, unsigned long *pfn)
{
	struct iova *iova;

	switch (f->kind) {
	case FRAG_IOX:
		return !iox_iova_alloc(&f->iox, n, BENCH_END_PFN, pfn);
	case FRAG_TREE:
		iova = alloc_iova(&f->iovad, n, BENCH_END_PFN, true);
		*pfn = iova ? iova->pfn_lo : 0;
		return iova;
	default:
		*pfn = alloc_iova_fast(&f->iovad, n, BENCH_END_PFN, true);
		return *pfn;
	}
}

static void frag_free(struct frag_ctx *f, unsigned long slot)
{
	if (!f->npages[slot])
		return;
	if (f->kind == FRAG_IOX)
		iox_iova_free(&f->iox, f->pfn[slot], f->npages[slot]);
	else if (f->kind == FRAG_TREE)
		free_iova(&f->iovad, f->pfn[slot]);
	else
		free_iova_fast(&f->iovad, f->pfn[slot], f->npages[slot]);
	f->npages[slot] = 0;
}

static unsigned long frag_size(struct rnd_state *rnd)
{
	u32 r = prandom_u32_state(rnd);

	return r % 4 ? 1 + (r >> 2) % 32 : 33 + (r >> 2) % 224;
}

/* Fill the slots, then free about a third of them at random. */
static void frag_fill(struct frag_ctx *f, struct rnd_state *rnd)
{
	unsigned long i;

	for (i = 0; i < f->slots; i++) {
		f->npages[i] = frag_size(rnd);
		if (!frag_alloc(f, f->npages[i], &f->pfn[i])) {
			f->npages[i] = 0;
			f->failures++;
		}
		if (!(i % 1024))
			cond_resched();
	}
	for (i = 0; i < f->slots; i++)
		if (!(prandom_u32_state(rnd) % 3))
			frag_free(f, i);
}

/* Time allocations one at a time; return how many were timed. */
static unsigned int frag_time(struct frag_ctx *f, struct rnd_state *rnd)
{
	u64 start = ktime_get_ns(), t0;
	unsigned int op;

	for (op = 0; op < (quick ? FRAG_OPS / BENCH_QUICK_DIV : FRAG_OPS); op++) {
		unsigned long slot = prandom_u32_state(rnd) % f->slots;
		unsigned long n = frag_size(rnd), pfn;
		bool ok;

		frag_free(f, slot);
		t0 = ktime_get_ns();
		ok = frag_alloc(f, n, &pfn);
		f->lat[op] = ktime_get_ns() - t0;
		if (ok) {
			f->pfn[slot] = pfn;
			f->npages[slot] = n;
		} else {
			f->failures++;
		}
		if (!(op % 64)) {
			cond_resched();
			if (ktime_get_ns() - start > FRAG_MAX_NS)
				return op + 1;
		}
	}
	return op;
}

/*
 * One allocator with @live ranges: its median and worst ns in @med and
 * @worst.  The same seed gives every allocator the same request sequence.
 */
static void frag_run(struct kunit *test, struct frag_ctx *f, unsigned long live,
		     u64 *med, u64 *worst, unsigned int *timed)
{
	struct rnd_state rnd;

	prandom_seed_state(&rnd, live);
	f->slots = live + live / 2;
	f->failures = 0;
	f->pfn = kvcalloc(f->slots, sizeof(*f->pfn), GFP_KERNEL);
	f->npages = kvcalloc(f->slots, sizeof(*f->npages), GFP_KERNEL);
	KUNIT_ASSERT_TRUE(test, f->pfn && f->npages);
	if (f->kind == FRAG_IOX) {
		KUNIT_ASSERT_EQ(test, iox_iova_domain_init(&f->iox, SZ_4K, 1,
							   BENCH_END_PFN, "bench-frag"), 0);
		iox_iova_test_check_frees(&f->iox, false);
		iox_iova_set_quiet_leaks(&f->iox, true);
	} else {
		init_iova_domain(&f->iovad, SZ_4K, 1);
		if (f->kind == FRAG_FAST)
			KUNIT_ASSERT_EQ(test, iova_domain_init_rcaches(&f->iovad), 0);
	}

	frag_fill(f, &rnd);
	*timed = frag_time(f, &rnd);
	sort(f->lat, *timed, sizeof(*f->lat), bench_cmp_u64, NULL);
	*med = f->lat[*timed / 2];
	*worst = f->lat[*timed - 1];

	if (f->kind == FRAG_IOX)
		iox_iova_domain_destroy(&f->iox);
	else
		put_iova_domain(&f->iovad);
	kvfree(f->pfn);
	kvfree(f->npages);
	KUNIT_EXPECT_EQ_MSG(test, f->failures, 0, "%s: allocations failed with %lu live",
			    frag_names[f->kind], live);
}

static void iova_bench_fragmented(struct kunit *test)
{
	static const unsigned long lives[] = { 10000, 100000, 1000000 };
	u64 med[FRAG_KINDS], worst[FRAG_KINDS], r;
	unsigned int timed[FRAG_KINDS], l, k;
	struct frag_ctx *f;

	if (IS_ENABLED(CONFIG_UML) && !quick)
		kunit_skip(test, "UML's clock cannot time one allocation");
	f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, f);
	KUNIT_ASSERT_EQ(test, iova_cache_get(), 0);
	bench_print(test,
		    "iova fragmented: ns per allocation, 1 thread, median and worst of up to %u, after a random free\n",
		    FRAG_OPS);
	for (l = 0; l < (quick ? 1 : ARRAY_SIZE(lives)); l++) {
		for (k = 0; k < FRAG_KINDS; k++) {
			f->kind = k;
			frag_run(test, f, quick ? lives[l] / BENCH_QUICK_DIV : lives[l],
				 &med[k], &worst[k], &timed[k]);
		}
		for (k = FRAG_TREE; k < FRAG_KINDS; k++) {
			r = div64_u64(med[FRAG_IOX] * 100, max_t(u64, med[k], 1));
			bench_print(test,
				    "iova fragmented %lu live, median: iox %llu ns, %s %llu ns, ratio %llu.%02llu\n",
				    lives[l], med[FRAG_IOX], frag_names[k], med[k],
				    r / 100, r % 100);
			r = div64_u64(worst[FRAG_IOX] * 100, max_t(u64, worst[k], 1));
			bench_print(test,
				    "iova fragmented %lu live, worst: iox %llu ns, %s %llu ns, ratio %llu.%02llu\n",
				    lives[l], worst[FRAG_IOX], frag_names[k], worst[k],
				    r / 100, r % 100);
		}
		bench_print(test,
			    "iova fragmented %lu live: allocations timed: iox %u, alloc_iova %u, alloc_iova_fast %u\n",
			    lives[l], timed[FRAG_IOX], timed[FRAG_TREE], timed[FRAG_FAST]);
	}
	iova_cache_put();
}

static struct kunit_case iova_bench_cases[] = {
	KUNIT_CASE(iova_bench_pairs),
	KUNIT_CASE(iova_bench_fragmented),
	{}
};

static struct kunit_suite iova_bench_suite = {
	.name = "iox-bench-iova",
	.test_cases = iova_bench_cases,
};

kunit_test_suite(iova_bench_suite);

MODULE_IMPORT_NS(IOX_TEST);
MODULE_DESCRIPTION("Benchmark of the iox IOVA allocator against the kernel's");
MODULE_LICENSE("GPL");
