// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark of the iox page-table library beside the kernel's own AMD-Vi
 * v1 io-pgtable (drivers/iommu/amd/io_pgtable.c, reached through
 * alloc_io_pgtable_ops(AMD_IOMMU_V1, ...)), in the same boot, on the same
 * work: both iox formats (AMD-Vi v1 and VT-d second stage) and the
 * kernel's, all with 3 levels (39-bit IOVAs, the kernel's default for a
 * new AMD-Vi domain).
 *
 * Shapes, each a timed batch of map calls and one of unmap calls:
 *   1x4K, 256x4K, 1x2M  runs where the tables on the path are kept alive
 *                       by neighbouring pages (steady DMA-API use);
 *   1G-mixed            [1G, 2G) mapped as 2M chunks alternately one 2M
 *                       page and a run of 512 4K pages, unmapped in one
 *                       call (tables iox frees count in its unmap time);
 *   4K-in-2M            unmap of the first 4K of 2M pages, in fresh tables
 *                       each round.  iox splits the page and leaves the
 *                       other 511 4K pages mapped; the 6.1 code unmaps the
 *                       whole 2M page (and says so), so it does less.
 *
 * Rounds interleave the implementations (order rotating); the clock's own
 * cost is subtracted; a figure is the median over the rounds of the ns per
 * call.  Lines "# bench: pgtable FMT OP SHAPE: iox N ns, kernel-amdv1 M
 * ns, ratio R" where the reference is built (x86_64 with CONFIG_AMD_IOMMU),
 * "iox N ns" alone where not (UML), and "pgtable FMT unmap-vs-map SHAPE"
 * compares iox's own unmap with its map.
 */
#include <kunit/test.h>
#include <linux/iox.h>
#include <linux/iox-pgtable.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/sort.h>

#ifdef CONFIG_AMD_IOMMU
#include <linux/io-pgtable.h>
#include <linux/iommu.h>
#include "../../amd/amd_iommu_types.h"
#include "../../amd/amd_iommu.h"
#endif

struct io_pgtable_ops;

#define BENCH_IAS		39
#define BENCH_ROUNDS		201	/* odd, for a median */
#define BENCH_ROUNDS_1G		11
#define BENCH_CHUNKS_1G		(SZ_1G / SZ_2M)

static bool quick;
module_param(quick, bool, 0444);
MODULE_PARM_DESC(quick, "one round of each shape, for make check: the code runs, no figure means anything");

/* A "# bench: " diagnostic line, which make bench collects. */
#define bench_print(test, fmt, ...) \
	kunit_log(KERN_INFO, test, KUNIT_SUBTEST_INDENT "# bench: " fmt, ##__VA_ARGS__)

/**
 * struct bench_impl - one page-table implementation under test
 * @name: shown in the results
 * @init: create an empty table
 * @destroy: free it and every table page
 * @map: map @pgcount pages of @pgsize at @iova (to the same physical
 *	address), read and write
 * @unmap: unmap @pgcount pages of @pgsize at @iova, whatever leaves map
 *	them; return the bytes unmapped
 * @iox: the iox table, for the iox implementations
 * @format: its format
 * @ops: the kernel's table, for the reference
 */
struct bench_impl {
	const char *name;
	int (*init)(struct bench_impl *impl);
	void (*destroy)(struct bench_impl *impl);
	int (*map)(struct bench_impl *impl, u64 iova, size_t pgsize, size_t pgcount);
	size_t (*unmap)(struct bench_impl *impl, u64 iova, size_t pgsize,
			size_t pgcount);
	struct iox_pgtable iox;
	enum iox_pgtable_format format;
	struct io_pgtable_ops *ops;
};

static int iox_impl_init(struct bench_impl *impl)
{
	struct iox_pgtable_cfg cfg = {
		.format = impl->format, .ias = BENCH_IAS, .oas = 48,
		.coherent = true,
	};

	return iox_pgtable_init(&impl->iox, &cfg, GFP_KERNEL);
}

static void iox_impl_destroy(struct bench_impl *impl)
{
	iox_pgtable_destroy(&impl->iox);
}

static int iox_impl_map(struct bench_impl *impl, u64 iova, size_t pgsize,
			size_t pgcount)
{
	size_t mapped;

	return iox_pgtable_map_pages(&impl->iox, iova, iova, pgsize, pgcount,
				     IOX_PROT_READ | IOX_PROT_WRITE, GFP_KERNEL,
				     &mapped);
}

/* Tables the unmap emptied are freed here, as part of its cost. */
static size_t iox_impl_unmap(struct bench_impl *impl, u64 iova, size_t pgsize,
			     size_t pgcount)
{
	struct iox_iotlb_gather gather;
	size_t unmapped;

	iox_iotlb_gather_init(&gather, false);
	if (iox_pgtable_unmap_pages(&impl->iox, iova, pgsize, pgcount, &gather,
				    &unmapped))
		unmapped = 0;
	if (!list_empty(&gather.freelist))
		put_pages_list(&gather.freelist);
	return unmapped;
}

#ifdef CONFIG_AMD_IOMMU
/*
 * The kernel's AMD-Vi v1 table lives in a protection_domain, as
 * protection_domain_init_v1() sets one up, with no device attached: its
 * flushes find no IOMMU to talk to (the bench kernel boots without one).
 */
static int kernel_impl_init(struct bench_impl *impl)
{
	struct protection_domain *dom = kzalloc(sizeof(*dom), GFP_KERNEL);
	u64 *root = (u64 *)get_zeroed_page(GFP_KERNEL);

	if (!dom || !root)
		goto nomem;
	spin_lock_init(&dom->lock);
	INIT_LIST_HEAD(&dom->dev_list);
	amd_iommu_domain_set_pt_root(dom, (u64)root | PAGE_MODE_3_LEVEL);
	impl->ops = alloc_io_pgtable_ops(AMD_IOMMU_V1, &dom->iop.pgtbl_cfg, dom);
	if (impl->ops)
		return 0;
nomem:
	free_page((unsigned long)root);
	kfree(dom);
	return -ENOMEM;
}

static void kernel_impl_destroy(struct bench_impl *impl)
{
	struct protection_domain *dom = io_pgtable_ops_to_domain(impl->ops);

	free_io_pgtable_ops(impl->ops);
	kfree(dom);
}

static int kernel_impl_map(struct bench_impl *impl, u64 iova, size_t pgsize,
			   size_t pgcount)
{
	size_t mapped = 0;

	return impl->ops->map_pages(impl->ops, iova, iova, pgsize, pgcount,
				    IOMMU_READ | IOMMU_WRITE, GFP_KERNEL, &mapped);
}

static size_t kernel_impl_unmap(struct bench_impl *impl, u64 iova,
				size_t pgsize, size_t pgcount)
{
	struct iommu_iotlb_gather gather;

	iommu_iotlb_gather_init(&gather);
	return impl->ops->unmap_pages(impl->ops, iova, pgsize, pgcount, &gather);
}
#endif

enum { IMPL_VTD, IMPL_AMD, IMPL_KERNEL, IMPLS };

static const char * const impl_names[IMPLS] = { "vtd", "amd", "kernel-amdv1" };

static void impl_setup(struct bench_impl *impl, unsigned int which)
{
	memset(impl, 0, sizeof(*impl));
	impl->name = impl_names[which];
	if (which != IMPL_KERNEL) {
		impl->format = which == IMPL_VTD ? IOX_PGTABLE_VTD_SL :
						   IOX_PGTABLE_AMD_V1;
		impl->init = iox_impl_init;
		impl->destroy = iox_impl_destroy;
		impl->map = iox_impl_map;
		impl->unmap = iox_impl_unmap;
		return;
	}
#ifdef CONFIG_AMD_IOMMU
	impl->init = kernel_impl_init;
	impl->destroy = kernel_impl_destroy;
	impl->map = kernel_impl_map;
	impl->unmap = kernel_impl_unmap;
#endif
}

enum bench_shape { SHAPE_4K, SHAPE_256x4K, SHAPE_2M, SHAPE_1G, SHAPE_SPLIT, SHAPES };

/**
 * struct bench_batch - the calls one round of a shape times
 * @name: shown in the results
 * @pgsize: page size of each run
 * @pgcount: pages per run
 * @base: IOVA of the first run
 * @stride: distance between the runs
 * @calls: runs per round; the figure is per run
 *
 * A round maps @calls runs, timed together, then unmaps them, timed
 * together, so that a coarse clock (UML's) still resolves one call.  The
 * small shapes' runs lie where the anchors keep the tables alive.
 */
struct bench_batch {
	const char *name;
	size_t pgsize;
	size_t pgcount;
	u64 base;
	u64 stride;
	unsigned int calls;
};

#define BENCH_ANCHORS	16	/* 2M regions with a page at their end */

static const struct bench_batch bench_batches[SHAPES] = {
	[SHAPE_4K] = { "1x4K", SZ_4K, 1, 0, SZ_4K, 256 },
	[SHAPE_256x4K] = { "256x4K", SZ_4K, 256, 0, SZ_2M, BENCH_ANCHORS },
	[SHAPE_2M] = { "1x2M", SZ_2M, 1, SZ_64M, SZ_2M, 256 },
	[SHAPE_1G] = { "1G-mixed", 0, 0, SZ_1G, 0, 1 },
	[SHAPE_SPLIT] = { "4K-in-2M", SZ_4K, 1, SZ_2M, SZ_2M, 16 },
};

/* The clock's own cost, subtracted from every figure. */
static u64 clock_ns;

static int bench_cmp_u64(const void *a, const void *b)
{
	u64 x = *(const u64 *)a, y = *(const u64 *)b;

	return x < y ? -1 : x > y;
}

static u64 bench_median(u64 *v, unsigned int n)
{
	sort(v, n, sizeof(*v), bench_cmp_u64, NULL);
	return v[n / 2];
}

static u64 bench_elapsed(u64 t0, u64 t1)
{
	return t1 - t0 > clock_ns ? t1 - t0 - clock_ns : 0;
}

static void bench_measure_clock(u64 *v)
{
	unsigned int i;

	for (i = 0; i < BENCH_ROUNDS; i++) {
		u64 t0 = ktime_get_ns();

		v[i] = ktime_get_ns() - t0;
	}
	clock_ns = bench_median(v, BENCH_ROUNDS);
}

/*
 * Map the 1 GiB at 1G as 2M chunks, even ones a 2M page, odd ones 512 4K
 * pages.  Return: 0, or -EIO if a call failed.
 */
static int bench_map_1g(struct bench_impl *impl)
{
	u64 iova = SZ_1G;
	unsigned int c;

	for (c = 0; c < BENCH_CHUNKS_1G; c++, iova += SZ_2M) {
		int ret = c % 2 ? impl->map(impl, iova, SZ_4K, SZ_2M / SZ_4K) :
				  impl->map(impl, iova, SZ_2M, 1);

		if (ret)
			return -EIO;
	}
	return 0;
}

/* Map the runs of @b; return 0 or -EIO. */
static int bench_map_runs(struct bench_impl *impl, const struct bench_batch *b)
{
	unsigned int k;

	for (k = 0; k < b->calls; k++)
		if (impl->map(impl, b->base + k * b->stride, b->pgsize, b->pgcount))
			return -EIO;
	return 0;
}

/* Unmap the runs of @b; return 0 or -EIO if one was not unmapped whole. */
static int bench_unmap_runs(struct bench_impl *impl, const struct bench_batch *b)
{
	size_t size = b->pgsize * b->pgcount;
	unsigned int k;

	for (k = 0; k < b->calls; k++)
		if (impl->unmap(impl, b->base + k * b->stride, b->pgsize,
				b->pgcount) < size)
			return -EIO;
	return 0;
}

/*
 * One round of @shape on @impl: the ns of its map calls in *@map_ns and of
 * its unmap calls in *@unmap_ns, per run.  Return: 0, -ENOMEM, or -EIO if
 * a call failed.
 */
static int bench_round(struct bench_impl *impl, enum bench_shape shape,
		       u64 *map_ns, u64 *unmap_ns)
{
	const struct bench_batch *b = &bench_batches[shape];
	struct bench_batch whole_pages = *b;
	struct bench_impl *fresh;
	u64 t0, t1, t2;
	int ret;

	switch (shape) {
	case SHAPE_1G:
		t0 = ktime_get_ns();
		ret = bench_map_1g(impl);
		t1 = ktime_get_ns();
		/* One call, as __iommu_unmap() makes it: one 1G page size. */
		if (!ret && impl->unmap(impl, SZ_1G, SZ_1G, 1) != SZ_1G)
			ret = -EIO;
		t2 = ktime_get_ns();
		break;
	case SHAPE_SPLIT:
		/*
		 * Fresh tables with 2M pages; only the unmaps of a 4K page
		 * inside each are timed.
		 */
		fresh = kmemdup(impl, sizeof(*impl), GFP_KERNEL);
		if (!fresh || fresh->init(fresh)) {
			kfree(fresh);
			return -ENOMEM;
		}
		whole_pages.pgsize = SZ_2M;
		ret = bench_map_runs(fresh, &whole_pages);
		t0 = ktime_get_ns();
		t1 = t0;
		if (!ret)
			ret = bench_unmap_runs(fresh, b);
		t2 = ktime_get_ns();
		fresh->destroy(fresh);
		kfree(fresh);
		break;
	default:
		t0 = ktime_get_ns();
		ret = bench_map_runs(impl, b);
		t1 = ktime_get_ns();
		if (!ret)
			ret = bench_unmap_runs(impl, b);
		t2 = ktime_get_ns();
		break;
	}
	*map_ns = div_u64(bench_elapsed(t0, t1), b->calls);
	*unmap_ns = div_u64(bench_elapsed(t1, t2), b->calls);
	return ret;
}

/**
 * struct bench_result - the rounds of one shape
 * @map: per implementation and round, ns of the map calls
 * @unmap: the same for the unmap calls
 */
struct bench_result {
	u64 map[IMPLS][BENCH_ROUNDS];
	u64 unmap[IMPLS][BENCH_ROUNDS];
};

static void bench_report(struct kunit *test, const struct bench_impl *impls,
			 unsigned int nr_impls, enum bench_shape shape,
			 struct bench_result *r, unsigned int rounds)
{
	static const char * const ops[] = { "map", "unmap" };
	u64 med[2][IMPLS], ratio;
	unsigned int i, op;

	for (i = 0; i < nr_impls; i++) {
		med[0][i] = bench_median(r->map[i], rounds);
		med[1][i] = bench_median(r->unmap[i], rounds);
	}
	for (op = 0; op < 2; op++) {
		if (op == 0 && shape == SHAPE_SPLIT)
			continue;
		for (i = 0; i < IMPL_KERNEL; i++) {
			if (nr_impls <= IMPL_KERNEL) {
				bench_print(test, "pgtable %s %s %s: iox %llu ns\n",
					    impls[i].name, ops[op], bench_batches[shape].name,
					    med[op][i]);
				continue;
			}
			ratio = div64_u64(med[op][i] * 100,
					  max_t(u64, med[op][IMPL_KERNEL], 1));
			bench_print(test,
				    "pgtable %s %s %s: iox %llu ns, %s %llu ns, ratio %llu.%02llu\n",
				    impls[i].name, ops[op], bench_batches[shape].name,
				    med[op][i], impls[IMPL_KERNEL].name,
				    med[op][IMPL_KERNEL], ratio / 100, ratio % 100);
		}
	}
	if (shape == SHAPE_SPLIT)
		return;
	for (i = 0; i < IMPL_KERNEL; i++) {
		ratio = div64_u64(med[1][i] * 100, max_t(u64, med[0][i], 1));
		bench_print(test,
			    "pgtable %s unmap-vs-map %s: iox %llu ns, iox-map %llu ns, ratio %llu.%02llu\n",
			    impls[i].name, bench_batches[shape].name, med[1][i], med[0][i],
			    ratio / 100, ratio % 100);
	}
}

static void bench_pgtable(struct kunit *test)
{
	unsigned int nr_impls = IS_ENABLED(CONFIG_AMD_IOMMU) ? IMPLS : IMPL_KERNEL;
	struct bench_impl *impls;
	struct bench_result *r;
	enum bench_shape shape;
	unsigned int i, round;

	impls = kunit_kcalloc(test, IMPLS, sizeof(*impls), GFP_KERNEL);
	r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, impls);
	KUNIT_ASSERT_NOT_NULL(test, r);
	bench_measure_clock(r->map[0]);
	bench_print(test,
		    "pgtable: median ns per call sequence, %u-bit IOVAs, iox formats vs %s, clock cost %llu ns subtracted\n",
		    BENCH_IAS, nr_impls > IMPL_KERNEL ?
		    "the kernel's AMD-Vi v1 io-pgtable" : "no reference (not built here)",
		    clock_ns);

	/* Pages at the end of 2M regions keep the small shapes' tables alive. */
	for (i = 0; i < nr_impls; i++) {
		impl_setup(&impls[i], i);
		KUNIT_ASSERT_EQ(test, impls[i].init(&impls[i]), 0);
		for (round = 0; round < BENCH_ANCHORS; round++)
			KUNIT_ASSERT_EQ(test, impls[i].map(&impls[i], round * SZ_2M +
							   SZ_2M - SZ_4K, SZ_4K, 1), 0);
	}

	for (shape = 0; shape < SHAPES; shape++) {
		unsigned int rounds = shape == SHAPE_1G ? BENCH_ROUNDS_1G : BENCH_ROUNDS;

		if (quick)
			rounds = 1;

		for (round = 0; round < rounds; round++) {
			for (i = 0; i < nr_impls; i++) {
				unsigned int k = (i + round) % nr_impls;

				KUNIT_ASSERT_EQ_MSG(test, bench_round(&impls[k], shape,
								      &r->map[k][round],
								      &r->unmap[k][round]), 0,
						    "%s %s failed", impls[k].name,
						    bench_batches[shape].name);
			}
			cond_resched();
		}
		bench_report(test, impls, nr_impls, shape, r, rounds);
	}

	/*
	 * The anchors kept the small shapes' tables, no more: the root, the
	 * table of the first 1G and one leaf table per anchor.
	 */
	for (i = 0; i < IMPL_KERNEL; i++)
		KUNIT_EXPECT_EQ(test, iox_pgtable_live_pages(&impls[i].iox),
				2L + BENCH_ANCHORS);
	for (i = 0; i < nr_impls; i++)
		impls[i].destroy(&impls[i]);
}

static struct kunit_case bench_pgtable_cases[] = {
	KUNIT_CASE(bench_pgtable),
	{}
};

static struct kunit_suite bench_pgtable_suite = {
	.name = "iox-bench-pgtable",
	.test_cases = bench_pgtable_cases,
};

kunit_test_suite(bench_pgtable_suite);

MODULE_DESCRIPTION("Benchmark of the iox page tables beside the kernel's AMD-Vi v1 io-pgtable");
MODULE_LICENSE("GPL");
