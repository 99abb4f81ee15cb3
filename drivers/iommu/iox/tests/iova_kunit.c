// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the iox IOVA allocator.
 */
#include <kunit/test.h>
#include <linux/atomic.h>
#include <linux/bitmap.h>
#include <linux/completion.h>
#include <linux/cpu.h>
#include <linux/cpumask.h>
#include <linux/debugfs.h>
#include <linux/delay.h>
#include <linux/dcache.h>
#include <linux/iox-iova.h>
#include <linux/kthread.h>
#include <linux/log2.h>
#include <linux/prandom.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/sizes.h>
#include <linux/workqueue.h>

/* The x86 MSI window, which the DMA layer reserves. */
#define MSI_LO_PFN	(0xfee00000UL >> PAGE_SHIFT)
#define MSI_HI_PFN	(0xfeefffffUL >> PAGE_SHIFT)

static struct iox_iova_domain *new_domain(struct kunit *test, unsigned long start,
					  unsigned long end)
{
	struct iox_iova_domain *iovad;

	iovad = kunit_kzalloc(test, sizeof(*iovad), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, iovad);
	KUNIT_ASSERT_EQ(test, iox_iova_domain_init(iovad, SZ_4K, start, end, NULL), 0);
	return iovad;
}

struct remote_free {
	struct iox_iova_domain *iovad;
	unsigned long pfn;
	unsigned long npages;
	int ret;
	struct completion done;
};

static struct iox_iova_stats stats_of(struct iox_iova_domain *iovad)
{
	struct iox_iova_stats s;

	iox_iova_get_stats(iovad, &s);
	return s;
}

/* Allocation size in pages of a request: cached sizes round up. */
static unsigned long real_size(unsigned long npages)
{
	return npages <= IOX_IOVA_CACHE_MAX_PAGES ? roundup_pow_of_two(npages) : npages;
}

/* Allocate @nr ranges of @npages below @limit, all of which must succeed. */
static void alloc_n(struct kunit *test, struct iox_iova_domain *iovad, unsigned long *pfns,
		    unsigned long nr, unsigned long npages, unsigned long limit)
{
	unsigned long i;

	for (i = 0; i < nr; i++)
		KUNIT_ASSERT_EQ_MSG(test, iox_iova_alloc(iovad, npages, limit, &pfns[i]), 0,
				    "allocation %lu of %lu pages", i, npages);
}

static void iova_bad_input(struct kunit *test)
{
	struct iox_iova_domain *iovad;
	unsigned long pfn;

	iovad = kunit_kzalloc(test, sizeof(*iovad), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, iovad);
	KUNIT_EXPECT_EQ(test, iox_iova_domain_init(iovad, 3000, 1, 100, NULL), -EINVAL);
	KUNIT_EXPECT_EQ(test, iox_iova_domain_init(iovad, SZ_4K, 100, 1, NULL), -EINVAL);
	KUNIT_EXPECT_EQ(test, iox_iova_domain_init(iovad, SZ_4K, 0, ULONG_MAX, NULL), -EINVAL);

	iovad = new_domain(test, 16, 1023);
	KUNIT_EXPECT_EQ(test, iox_iova_alloc(iovad, 0, 1023, &pfn), -EINVAL);
	KUNIT_EXPECT_EQ(test, iox_iova_alloc(iovad, 1, 15, &pfn), -EINVAL);
	KUNIT_EXPECT_EQ(test, iox_iova_alloc(iovad, 2048, 1023, &pfn), -ENOSPC);
	KUNIT_EXPECT_EQ(test, iox_iova_alloc(iovad, ULONG_MAX, ULONG_MAX, &pfn), -ENOSPC);
	KUNIT_EXPECT_EQ(test, iox_iova_reserve(iovad, 20, 10), -EINVAL);

	/* Frees that do not match an allocation are refused and counted. */
	KUNIT_EXPECT_EQ(test, iox_iova_free(iovad, 64, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, iox_iova_free(iovad, 65, 2), -EINVAL);
	KUNIT_EXPECT_EQ(test, iox_iova_free(iovad, 2048, 1), -EINVAL);
	KUNIT_EXPECT_EQ(test, iox_iova_free(iovad, 0, 1), -EINVAL);
	KUNIT_EXPECT_EQ(test, iox_iova_free(iovad, 128, 64), -EINVAL);	/* never allocated */
	KUNIT_ASSERT_EQ(test, iox_iova_alloc(iovad, 64, 1023, &pfn), 0);
	KUNIT_EXPECT_EQ(test, iox_iova_free(iovad, pfn, 40), -EINVAL);	/* wrong size */
	KUNIT_EXPECT_EQ(test, iox_iova_free(iovad, pfn, 64), 0);
	KUNIT_EXPECT_EQ(test, iox_iova_free(iovad, pfn, 64), -EINVAL);	/* double free */
	KUNIT_EXPECT_EQ(test, stats_of(iovad).bad_frees, 7);
	KUNIT_EXPECT_EQ(test, stats_of(iovad).tree_nodes, 0);
	iox_iova_domain_destroy(iovad);
	KUNIT_EXPECT_EQ(test, iovad->leaked, 0);
}

/*
 * A domain may end at the highest pfn that leaves room for the sentinel
 * above it; every page of it is handed out once, none outside it.
 */
static void iova_domain_at_top_of_pfns(struct kunit *test)
{
	const unsigned long end = ULONG_MAX - 1, start = end - 255;
	struct iox_iova_domain *iovad;
	unsigned long pfn, pages = 0, size;

	iovad = kunit_kzalloc(test, sizeof(*iovad), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, iovad);
	/* No pfn is left above ULONG_MAX for the sentinel. */
	KUNIT_EXPECT_EQ(test, iox_iova_domain_init(iovad, 1, ULONG_MAX - 255, ULONG_MAX,
						   NULL), -EINVAL);
	iovad = new_domain(test, start, end);
	KUNIT_ASSERT_EQ(test, iox_iova_alloc(iovad, 64, ULONG_MAX, &pfn), 0);
	KUNIT_EXPECT_EQ(test, pfn, ULONG_MAX - 127);	/* 64-aligned, below the sentinel */
	KUNIT_EXPECT_EQ(test, iox_iova_free(iovad, pfn, 64), 0);
	KUNIT_EXPECT_EQ(test, iox_iova_reserve(iovad, end, ULONG_MAX), 0);
	KUNIT_EXPECT_EQ(test, iox_iova_unreserve(iovad, end, ULONG_MAX), 0);
	for (size = 64; size; size >>= 1) {
		while (!iox_iova_alloc(iovad, size, ULONG_MAX, &pfn)) {
			KUNIT_EXPECT_GE(test, pfn, start);
			KUNIT_EXPECT_LE(test, pfn + (size - 1), end);
			pages += size;
		}
	}
	KUNIT_EXPECT_EQ(test, pages, end - start + 1);
	iox_iova_set_quiet_leaks(iovad, true);
	iox_iova_domain_destroy(iovad);
	KUNIT_EXPECT_GT(test, iovad->leaked, 0UL);
}

static void iova_size_alignment(struct kunit *test)
{
	struct iox_iova_domain *iovad = new_domain(test, 1, (1UL << 20) - 1);
	unsigned long pfns[100], n, size;

	for (n = 1; n <= ARRAY_SIZE(pfns); n++) {
		KUNIT_ASSERT_EQ(test, iox_iova_alloc(iovad, n, ULONG_MAX, &pfns[n - 1]), 0);
		size = real_size(n);
		KUNIT_EXPECT_EQ_MSG(test, pfns[n - 1] & (roundup_pow_of_two(n) - 1), 0,
				    "%lu pages at %#lx", n, pfns[n - 1]);
		KUNIT_EXPECT_GE(test, pfns[n - 1], 1);
		KUNIT_EXPECT_LE(test, pfns[n - 1] + size - 1, (1UL << 20) - 1);
	}
	for (n = 1; n <= ARRAY_SIZE(pfns); n++)
		KUNIT_EXPECT_EQ(test, iox_iova_free(iovad, pfns[n - 1], n), 0);
	iox_iova_domain_destroy(iovad);
	KUNIT_EXPECT_EQ(test, iovad->leaked, 0);
}

static void iova_limit_topdown(struct kunit *test)
{
	const unsigned long limits[] = { 0xfffff, 0x12345, 0x1000, 0x40, 7 };
	struct iox_iova_domain *iovad = new_domain(test, 1, (1UL << 30) - 1);
	unsigned long pfn, i, n;

	/* Top-down: an empty domain answers with the highest aligned block. */
	KUNIT_ASSERT_EQ(test, iox_iova_alloc(iovad, 64, ULONG_MAX, &pfn), 0);
	KUNIT_EXPECT_EQ(test, pfn, (1UL << 30) - 64);
	KUNIT_EXPECT_EQ(test, iox_iova_free(iovad, pfn, 64), 0);

	for (i = 0; i < ARRAY_SIZE(limits); i++) {
		for (n = 1; n <= 48; n += 7) {
			unsigned long size = real_size(n), want = 0;

			if (size <= limits[i])
				want = round_down(limits[i] + 1 - size, roundup_pow_of_two(n));
			if (!want) {
				/* No aligned block fits between pfn 1 and the limit. */
				KUNIT_EXPECT_EQ(test, iox_iova_alloc(iovad, n, limits[i], &pfn),
						-ENOSPC);
				continue;
			}
			KUNIT_ASSERT_EQ(test, iox_iova_alloc(iovad, n, limits[i], &pfn), 0);
			KUNIT_EXPECT_LE_MSG(test, pfn + size - 1, limits[i],
					    "%lu pages below %#lx", n, limits[i]);
			KUNIT_EXPECT_EQ(test, pfn, want);
			KUNIT_EXPECT_EQ(test, iox_iova_free(iovad, pfn, n), 0);
			iox_iova_flush_caches(iovad);
		}
	}
	/* A limit the size cannot fit below fails. */
	KUNIT_EXPECT_EQ(test, iox_iova_alloc(iovad, 8, 7, &pfn), -ENOSPC);
	iox_iova_domain_destroy(iovad);
	KUNIT_EXPECT_EQ(test, iovad->leaked, 0);
}

static void iova_reserved_never_returned(struct kunit *test)
{
	/* 4 MiB around the MSI window, 1 MiB of it reserved. */
	const unsigned long start = MSI_LO_PFN - 512, end = MSI_HI_PFN + 512;
	struct iox_iova_domain *iovad = new_domain(test, start, end);
	unsigned long pfn, got = 0, pages = 0, size;
	bool in_window = false;

	KUNIT_ASSERT_EQ(test, iox_iova_reserve(iovad, MSI_LO_PFN, MSI_HI_PFN), 0);
	/* Reserving again, overlapping, is fine; outside the domain is ignored. */
	KUNIT_ASSERT_EQ(test, iox_iova_reserve(iovad, MSI_LO_PFN + 16, MSI_HI_PFN + 16), 0);
	KUNIT_ASSERT_EQ(test, iox_iova_reserve(iovad, 1, 100), 0);
	KUNIT_EXPECT_EQ(test, stats_of(iovad).tree_nodes, 1);
	/* Cached sizes are only checked when they reach the tree: use 64. */
	KUNIT_EXPECT_EQ(test, iox_iova_free(iovad, MSI_LO_PFN, 64), -EINVAL);

	/* Fill the whole domain with mixed sizes; none may touch the window. */
	for (size = 64; size; size >>= 1) {
		while (!iox_iova_alloc(iovad, size, end, &pfn)) {
			if (pfn + size - 1 >= MSI_LO_PFN && pfn <= MSI_HI_PFN + 16)
				in_window = true;
			got++;
			pages += size;
		}
	}
	KUNIT_EXPECT_FALSE(test, in_window);
	KUNIT_EXPECT_EQ(test, pages, end - start + 1 - (MSI_HI_PFN + 16 - MSI_LO_PFN + 1));
	/* An allocated range cannot be reserved. */
	KUNIT_EXPECT_EQ(test, iox_iova_reserve(iovad, start, start + 1), -EBUSY);
	iox_iova_set_quiet_leaks(iovad, true);
	iox_iova_domain_destroy(iovad);
	KUNIT_EXPECT_EQ(test, iovad->leaked, got);
}

static void iova_exhaustion(struct kunit *test)
{
	/* 16 slots of 64 pages, beyond the caches: tree path only. */
	struct iox_iova_domain *iovad = new_domain(test, 0, 1023);
	unsigned long pfns[17], pfn;
	int i;

	alloc_n(test, iovad, pfns, 16, 64, 1023);
	KUNIT_EXPECT_EQ(test, iox_iova_alloc(iovad, 64, 1023, &pfn), -ENOSPC);
	/* The failure hint must not hide space that frees bring back. */
	KUNIT_EXPECT_EQ(test, iox_iova_alloc(iovad, 128, 1023, &pfn), -ENOSPC);
	KUNIT_EXPECT_EQ(test, iox_iova_free(iovad, pfns[5], 64), 0);
	KUNIT_ASSERT_EQ(test, iox_iova_alloc(iovad, 64, 1023, &pfn), 0);
	KUNIT_EXPECT_EQ(test, pfn, pfns[5]);
	KUNIT_EXPECT_EQ(test, iox_iova_free(iovad, pfns[6], 64), 0);
	KUNIT_EXPECT_EQ(test, iox_iova_alloc(iovad, 128, 1023, &pfn), -ENOSPC);
	KUNIT_EXPECT_EQ(test, iox_iova_free(iovad, pfns[7], 64), 0);
	KUNIT_ASSERT_EQ(test, iox_iova_alloc(iovad, 128, 1023, &pfn), 0);
	KUNIT_EXPECT_EQ(test, pfn, min(pfns[6], pfns[7]));
	KUNIT_EXPECT_EQ(test, iox_iova_free(iovad, pfn, 128), 0);
	for (i = 0; i < 16; i++)
		if (i < 5 || i > 7)
			KUNIT_EXPECT_EQ(test, iox_iova_free(iovad, pfns[i], 64), 0);
	KUNIT_EXPECT_EQ(test, iox_iova_free(iovad, pfns[5], 64), 0);

	/* Cached sizes: exhaustion, then frees (into the cache) are reused. */
	alloc_n(test, iovad, pfns, 16, 32, 511);
	KUNIT_EXPECT_EQ(test, iox_iova_alloc(iovad, 32, 511, &pfn), -ENOSPC);
	KUNIT_EXPECT_EQ(test, iox_iova_free(iovad, pfns[3], 32), 0);
	KUNIT_ASSERT_EQ(test, iox_iova_alloc(iovad, 32, 511, &pfn), 0);
	KUNIT_EXPECT_EQ(test, pfn, pfns[3]);
	for (i = 0; i < 16; i++)
		KUNIT_EXPECT_EQ(test, iox_iova_free(iovad, pfns[i], 32), 0);
	iox_iova_domain_destroy(iovad);
	KUNIT_EXPECT_EQ(test, iovad->leaked, 0);
}

static void iova_flush_and_retry(struct kunit *test)
{
	struct iox_iova_domain *iovad = new_domain(test, 64, 127);
	unsigned long pfns[64], pfn;
	int i;

	alloc_n(test, iovad, pfns, 64, 1, 127);
	for (i = 0; i < 64; i++)
		KUNIT_ASSERT_EQ(test, iox_iova_free(iovad, pfns[i], 1), 0);
	KUNIT_EXPECT_EQ(test, stats_of(iovad).cpu_cached, 64);
	/* The tree is full of cached ranges: the allocation must flush them. */
	KUNIT_ASSERT_EQ(test, iox_iova_alloc(iovad, 64, 127, &pfn), 0);
	KUNIT_EXPECT_EQ(test, pfn, 64);
	KUNIT_EXPECT_EQ(test, stats_of(iovad).cpu_cached, 0);
	KUNIT_EXPECT_EQ(test, iox_iova_alloc(iovad, 1, 127, &pfn), -ENOSPC);
	KUNIT_EXPECT_EQ(test, iox_iova_free(iovad, 64, 64), 0);
	iox_iova_domain_destroy(iovad);
	KUNIT_EXPECT_EQ(test, iovad->leaked, 0);
}

/* 100,000 random operations checked against a bitmap of the space. */
#define RANDOM_PFNS	8192
#define RANDOM_LIVE	512
#define RANDOM_OPS	100000

struct live_range {
	unsigned long pfn;
	unsigned long npages;
};

static bool bitmap_range_clear(const unsigned long *map, unsigned long pfn,
			       unsigned long n)
{
	return find_next_bit(map, pfn + n, pfn) >= pfn + n;
}

/* Free live range @i, and clear it in @map. */
static void free_live(struct kunit *test, struct iox_iova_domain *iovad,
		      struct live_range *live, unsigned long *nr_live,
		      unsigned long *map, unsigned long i)
{
	struct live_range lr = live[i];

	live[i] = live[--*nr_live];
	bitmap_clear(map, lr.pfn, real_size(lr.npages));
	KUNIT_ASSERT_EQ(test, iox_iova_free(iovad, lr.pfn, lr.npages), 0);
}

/* Free the live range @r picks, and clear it in @map. */
static void free_random_live(struct kunit *test, struct iox_iova_domain *iovad,
			     struct live_range *live, unsigned long *nr_live,
			     unsigned long *map, u32 r)
{
	free_live(test, iovad, live, nr_live, map, (r >> 4) % *nr_live);
}

static void free_all_live(struct kunit *test, struct iox_iova_domain *iovad,
			  struct live_range *live, unsigned long nr_live)
{
	while (nr_live--)
		KUNIT_EXPECT_EQ(test, iox_iova_free(iovad, live[nr_live].pfn,
						    live[nr_live].npages), 0);
}

static void iova_random_no_overlap(struct kunit *test)
{
	const unsigned long start = 16, end = start + RANDOM_PFNS - 1;
	struct iox_iova_domain *iovad = new_domain(test, start, end);
	struct live_range *live;
	unsigned long *map, nr_live = 0, overlaps = 0, limit_bad = 0, fails = 0;
	struct rnd_state rnd;
	int op;

	live = kunit_kcalloc(test, RANDOM_LIVE, sizeof(*live), GFP_KERNEL);
	map = kunit_kcalloc(test, BITS_TO_LONGS(end + 1), sizeof(long), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, live);
	KUNIT_ASSERT_NOT_NULL(test, map);
	prandom_seed_state(&rnd, 5);
	KUNIT_ASSERT_EQ(test, iox_iova_reserve(iovad, start + 1000, start + 1099), 0);
	bitmap_set(map, start + 1000, 100);

	for (op = 0; op < RANDOM_OPS; op++) {
		u32 r = prandom_u32_state(&rnd);

		if (nr_live < RANDOM_LIVE && (nr_live == 0 || r % 8 < 4)) {
			/* Mostly cached sizes, some tree-only ones. */
			unsigned long n = r % 16 ? 1 + (r >> 8) % 16 : 33 + (r >> 8) % 64;
			unsigned long limit = r & 0x10000 ? start + 4095 : ULONG_MAX;
			unsigned long size = real_size(n), pfn;

			if (iox_iova_alloc(iovad, n, limit, &pfn)) {
				fails++;
				continue;
			}
			if (pfn < start || pfn + size - 1 > min(limit, end))
				limit_bad++;
			else if (!bitmap_range_clear(map, pfn, size))
				overlaps++;
			else
				bitmap_set(map, pfn, size);
			live[nr_live].pfn = pfn;
			live[nr_live++].npages = n;
		} else {
			free_random_live(test, iovad, live, &nr_live, map, r);
		}
	}
	KUNIT_EXPECT_EQ(test, overlaps, 0);
	KUNIT_EXPECT_EQ(test, limit_bad, 0);
	kunit_info(test, "%d ops, %lu failed allocations (space exhausted)", RANDOM_OPS, fails);
	free_all_live(test, iovad, live, nr_live);
	iox_iova_flush_caches(iovad);
	KUNIT_EXPECT_EQ(test, stats_of(iovad).tree_nodes, 1);	/* the reservation */
	KUNIT_EXPECT_EQ(test, stats_of(iovad).bad_frees, 0);
	iox_iova_domain_destroy(iovad);
	KUNIT_EXPECT_EQ(test, iovad->leaked, 0);
}

#define MODEL_PFNS	BIT(16)
#define MODEL_LIVE	256
#define MODEL_OPS	6000

/*
 * One pass of the tree's placement policy, on a bitmap of the space
 * (Documentation/iommu/iox.rst, "Range tree"): among the free runs of at
 * least @min_gap pages, the highest one that holds an @align-aligned block
 * of @size pages ending at or below @limit, and in it the highest block.
 */
static bool model_pass(const unsigned long *map, unsigned long start, unsigned long end,
		       unsigned long size, unsigned long align, unsigned long limit,
		       unsigned long min_gap, unsigned long *pfn)
{
	unsigned long lo = start, hi, top, cand;
	bool found = false;

	for (;;) {
		lo = find_next_zero_bit(map, end + 1, lo);
		if (lo > end)
			return found;
		hi = find_next_bit(map, end + 1, lo) - 1;
		top = min(hi, limit);
		if (hi - lo + 1 >= min_gap && top >= lo && top - lo + 1 >= size) {
			cand = round_down(top - size + 1, align);
			if (cand >= lo) {
				*pfn = cand;
				found = true;
			}
		}
		lo = hi + 1;
	}
}

/*
 * Ranges beyond the caches come from the tree, whose search may start at
 * a hint rather than the root, and whose CPU may take its staged range
 * again without a search: every answer must still be the one the
 * placement policy gives (large gaps first, then any that fits, highest
 * first), computed here from a bitmap of the space, and a failure must
 * mean that no block fits.  One free in three is of the last range in the
 * live list (the newest one after an allocation), and half the
 * allocations after it ask for the same size, below the same or
 * another limit, so that staged ranges are taken again or returned.
 */
static void iova_tree_placement_matches_model(struct kunit *test)
{
	const unsigned long start = 0x100, end = start + MODEL_PFNS - 1;
	const unsigned long limits[] = { ULONG_MAX, start + MODEL_PFNS / 2 - 1, start + 40123 };
	struct iox_iova_domain *iovad = new_domain(test, start, end);
	unsigned long *map, nr_live = 0, wrong = 0, fails = 0, again = 0;
	struct live_range *live;
	struct rnd_state rnd;
	int op;

	live = kunit_kcalloc(test, MODEL_LIVE, sizeof(*live), GFP_KERNEL);
	map = kunit_kcalloc(test, BITS_TO_LONGS(end + 1), sizeof(long), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, live);
	KUNIT_ASSERT_NOT_NULL(test, map);
	/* Nothing below start, and a reservation in the middle. */
	bitmap_set(map, 0, start);
	KUNIT_ASSERT_EQ(test, iox_iova_reserve(iovad, start + 30000, start + 30099), 0);
	bitmap_set(map, start + 30000, 100);
	prandom_seed_state(&rnd, 11);

	for (op = 0; op < MODEL_OPS; op++) {
		u32 r = prandom_u32_state(&rnd);

		if (nr_live < MODEL_LIVE && (nr_live == 0 || r % 8 < 5)) {
			unsigned long n = IOX_IOVA_CACHE_MAX_PAGES + 1 + (r >> 8) % 300;
			unsigned long limit = limits[(r >> 20) % ARRAY_SIZE(limits)];
			unsigned long align, want, pfn;
			bool fits;

			if (again && r & BIT(30))
				n = again;
			again = 0;
			align = roundup_pow_of_two(n);

			fits = model_pass(map, start, end, n, align, limit, n + align - 1, &want) ||
			       model_pass(map, start, end, n, align, limit, n, &want);
			if (iox_iova_alloc(iovad, n, limit, &pfn)) {
				fails++;
				if (fits && wrong++ < 5)
					kunit_err(test, "op %d: %lu pages below %#lx failed, %#lx fits",
						  op, n, limit, want);
				continue;
			}
			if ((!fits || pfn != want) && wrong++ < 5)
				kunit_err(test, "op %d: %lu pages below %#lx at %#lx, policy says %#lx",
					  op, n, limit, pfn, fits ? want : 0);
			if (!bitmap_range_clear(map, pfn, n))
				KUNIT_FAIL(test, "op %d: %#lx + %lu overlaps", op, pfn, n);
			bitmap_set(map, pfn, n);
			live[nr_live].pfn = pfn;
			live[nr_live++].npages = n;
		} else if (r % 8 == 5) {
			again = live[nr_live - 1].npages;
			free_live(test, iovad, live, &nr_live, map, nr_live - 1);
		} else {
			free_random_live(test, iovad, live, &nr_live, map, r);
		}
	}
	KUNIT_EXPECT_EQ(test, wrong, 0);
	kunit_info(test, "%llu staged ranges taken again", stats_of(iovad).tree_reuses);
	KUNIT_EXPECT_GT(test, stats_of(iovad).tree_reuses, 0);
	kunit_info(test, "%d ops, %lu failed allocations (space exhausted)", MODEL_OPS, fails);
	free_all_live(test, iovad, live, nr_live);
	iox_iova_domain_destroy(iovad);
	KUNIT_EXPECT_EQ(test, iovad->leaked, 0);
}

static void iova_cache_hit_same_cpu(struct kunit *test)
{
	struct iox_iova_domain *iovad = new_domain(test, 1, (1UL << 20) - 1);
	struct iox_iova_stats before, after;
	unsigned long a, b, c;

	migrate_disable();
	KUNIT_ASSERT_EQ(test, iox_iova_alloc(iovad, 4, ULONG_MAX, &a), 0);
	KUNIT_ASSERT_EQ(test, iox_iova_alloc(iovad, 4, ULONG_MAX, &b), 0);
	KUNIT_EXPECT_EQ(test, iox_iova_free(iovad, a, 4), 0);
	iox_iova_get_stats(iovad, &before);
	KUNIT_ASSERT_EQ(test, iox_iova_alloc(iovad, 3, ULONG_MAX, &c), 0);
	iox_iova_get_stats(iovad, &after);
	migrate_enable();
	/* The range freed on this CPU comes back, without the tree. */
	KUNIT_EXPECT_EQ(test, c, a);
	KUNIT_EXPECT_EQ(test, after.alloc_hits, before.alloc_hits + 1);
	KUNIT_EXPECT_EQ(test, after.tree_allocs, before.tree_allocs);
	KUNIT_EXPECT_EQ(test, before.cpu_cached, 1);
	KUNIT_EXPECT_EQ(test, after.cpu_cached, 0);
	KUNIT_EXPECT_EQ(test, iox_iova_free(iovad, b, 4), 0);
	KUNIT_EXPECT_EQ(test, iox_iova_free(iovad, c, 3), 0);
	iox_iova_domain_destroy(iovad);
	KUNIT_EXPECT_EQ(test, iovad->leaked, 0);
}

static int remote_free_fn(void *data)
{
	struct remote_free *rf = data;

	rf->ret = iox_iova_free(rf->iovad, rf->pfn, rf->npages);
	complete(&rf->done);
	return 0;
}

/* Free a range from a kthread on @cpu; the free's return value. */
static int free_on_cpu(struct kunit *test, struct iox_iova_domain *iovad,
		       unsigned long pfn, unsigned long npages, unsigned int cpu)
{
	struct remote_free rf = { .iovad = iovad, .pfn = pfn, .npages = npages };
	struct task_struct *task;

	init_completion(&rf.done);
	task = kthread_create(remote_free_fn, &rf, "iox-iova-free");
	KUNIT_ASSERT_FALSE(test, IS_ERR(task));
	kthread_bind(task, cpu);
	wake_up_process(task);
	wait_for_completion(&rf.done);
	return rf.ret;
}

/*
 * A tree range freed on the CPU that allocated it stays in the tree,
 * staged, until that CPU's next tree allocation: a second free is refused
 * at once, the same request takes the range again without a search, and
 * any other request finds the range returned first.  Freed on another CPU
 * (through the tree and its lock), the range is staged the same way.
 */
static void iova_tree_free_staged(struct kunit *test)
{
	const unsigned long end = (1UL << 20) - 1;
	struct iox_iova_domain *iovad = new_domain(test, 1, end);
	unsigned int cpu, other;
	struct iox_iova_stats s;
	unsigned long a, b, c;

	migrate_disable();
	cpu = smp_processor_id();
	KUNIT_ASSERT_EQ(test, iox_iova_alloc(iovad, 64, end, &a), 0);
	KUNIT_EXPECT_EQ(test, a, end + 1 - 64);
	KUNIT_EXPECT_EQ(test, iox_iova_free(iovad, a, 64), 0);
	s = stats_of(iovad);
	KUNIT_EXPECT_EQ(test, s.tree_staged, 1);
	KUNIT_EXPECT_EQ(test, s.tree_nodes, 0);
	KUNIT_EXPECT_EQ(test, s.tree_frees, 0);
	KUNIT_EXPECT_EQ(test, iox_iova_free(iovad, a, 64), -EINVAL);
	KUNIT_EXPECT_EQ(test, stats_of(iovad).bad_frees, 1);

	KUNIT_ASSERT_EQ(test, iox_iova_alloc(iovad, 64, end, &b), 0);
	KUNIT_EXPECT_EQ(test, b, a);
	s = stats_of(iovad);
	KUNIT_EXPECT_EQ(test, s.tree_reuses, 1);
	KUNIT_EXPECT_EQ(test, s.tree_allocs, 2);
	KUNIT_EXPECT_EQ(test, s.tree_frees, 1);
	KUNIT_EXPECT_EQ(test, s.tree_staged, 0);
	KUNIT_EXPECT_EQ(test, s.tree_nodes, 1);

	/* A larger request: the staged range goes back before the search. */
	KUNIT_EXPECT_EQ(test, iox_iova_free(iovad, b, 64), 0);
	KUNIT_ASSERT_EQ(test, iox_iova_alloc(iovad, 128, end, &c), 0);
	KUNIT_EXPECT_EQ(test, c, end + 1 - 128);
	/* The same size below a lower limit is searched for. */
	KUNIT_EXPECT_EQ(test, iox_iova_free(iovad, c, 128), 0);
	KUNIT_ASSERT_EQ(test, iox_iova_alloc(iovad, 128, end - 4096, &c), 0);
	KUNIT_EXPECT_EQ(test, c, end + 1 - 4096 - 128);
	s = stats_of(iovad);
	KUNIT_EXPECT_EQ(test, s.tree_reuses, 1);
	KUNIT_EXPECT_EQ(test, s.tree_frees, 3);
	KUNIT_EXPECT_EQ(test, s.tree_nodes, 1);

	other = cpumask_any_but(cpu_online_mask, cpu);
	if (other < nr_cpu_ids) {
		KUNIT_EXPECT_EQ(test, free_on_cpu(test, iovad, c, 128, other), 0);
		KUNIT_EXPECT_EQ(test, stats_of(iovad).tree_staged, 1);
		KUNIT_EXPECT_EQ(test, iox_iova_free(iovad, c, 128), -EINVAL);
		KUNIT_EXPECT_EQ(test, free_on_cpu(test, iovad, c, 128, other), -EINVAL);
		KUNIT_EXPECT_EQ(test, stats_of(iovad).bad_frees, 3);
		KUNIT_ASSERT_EQ(test, iox_iova_alloc(iovad, 128, end - 4096, &b), 0);
		KUNIT_EXPECT_EQ(test, b, c);
		KUNIT_EXPECT_EQ(test, stats_of(iovad).tree_reuses, 2);
		c = b;
	} else {
		kunit_info(test, "one CPU: no free from another CPU, run make kunit-qemu");
	}
	migrate_enable();

	/* A flush returns a staged range. */
	KUNIT_EXPECT_EQ(test, iox_iova_free(iovad, c, 128), 0);
	iox_iova_flush_caches(iovad);
	s = stats_of(iovad);
	KUNIT_EXPECT_EQ(test, s.tree_staged, 0);
	KUNIT_EXPECT_EQ(test, s.tree_nodes, 0);
	KUNIT_EXPECT_EQ(test, s.tree_allocs, s.tree_frees);
	iox_iova_domain_destroy(iovad);
	KUNIT_EXPECT_EQ(test, iovad->leaked, 0);
}

/*
 * A staged range in a gap that is too small for the search's first walk is
 * not taken again when a large gap fits lower down: the policy takes large
 * gaps first.  Slots of 64 pages in [1, 1024]: slot 10 is staged while the
 * only large gap (pfns 1-191: slots 1 and 2 and the pages below them) lies
 * below it, and that space came free without any gap above slot 10
 * growing.
 */
static void iova_staged_not_taken_from_small_gap(struct kunit *test)
{
	struct iox_iova_domain *iovad = new_domain(test, 1, 1024);
	unsigned long slot[16], pfn;
	int i;

	migrate_disable();
	for (i = 15; i >= 1; i--) {
		KUNIT_ASSERT_EQ(test, iox_iova_alloc(iovad, 64, ULONG_MAX, &slot[i]), 0);
		KUNIT_ASSERT_EQ(test, slot[i], 64 * i);
	}
	KUNIT_EXPECT_EQ(test, iox_iova_free(iovad, slot[10], 64), 0);
	KUNIT_EXPECT_EQ(test, iox_iova_free(iovad, slot[2], 64), 0);
	/* Only 64-page holes: the second walk takes the highest. */
	KUNIT_ASSERT_EQ(test, iox_iova_alloc(iovad, 64, ULONG_MAX, &pfn), 0);
	KUNIT_ASSERT_EQ(test, pfn, slot[10]);
	KUNIT_EXPECT_EQ(test, iox_iova_free(iovad, slot[1], 64), 0);
	KUNIT_EXPECT_EQ(test, iox_iova_free(iovad, slot[10], 64), 0);
	KUNIT_EXPECT_EQ(test, stats_of(iovad).tree_staged, 1);
	KUNIT_ASSERT_EQ(test, iox_iova_alloc(iovad, 64, ULONG_MAX, &pfn), 0);
	KUNIT_EXPECT_EQ(test, pfn, 128);
	KUNIT_EXPECT_EQ(test, stats_of(iovad).tree_reuses, 0);
	KUNIT_EXPECT_EQ(test, iox_iova_free(iovad, pfn, 64), 0);
	migrate_enable();
	for (i = 3; i <= 15; i++)
		if (i != 10)
			KUNIT_EXPECT_EQ(test, iox_iova_free(iovad, slot[i], 64), 0);
	iox_iova_domain_destroy(iovad);
	KUNIT_EXPECT_EQ(test, iovad->leaked, 0);
}

/*
 * An allocation that fails flushes the caches only if they hold ranges or
 * a CPU has one staged: a CPU's pinned, live range is an allocation, so it
 * stays pinned and its free is still staged.
 */
static void iova_failed_alloc_keeps_pin(struct kunit *test)
{
	struct iox_iova_domain *iovad = new_domain(test, 64, 127);
	unsigned long a, b;

	migrate_disable();
	KUNIT_ASSERT_EQ(test, iox_iova_alloc(iovad, 64, ULONG_MAX, &a), 0);
	KUNIT_EXPECT_EQ(test, iox_iova_alloc(iovad, 64, ULONG_MAX, &b), -ENOSPC);
	KUNIT_EXPECT_EQ(test, iox_iova_free(iovad, a, 64), 0);
	KUNIT_EXPECT_EQ(test, stats_of(iovad).tree_staged, 1);
	migrate_enable();
	iox_iova_domain_destroy(iovad);
	KUNIT_EXPECT_EQ(test, iovad->leaked, 0);
}

static void iova_trim_returns_to_tree(struct kunit *test)
{
	const unsigned long nr = 6 * IOX_IOVA_MAG_SIZE;
	struct iox_iova_domain *iovad = new_domain(test, 1, (1UL << 20) - 1);
	struct iox_iova_stats s;
	unsigned long *pfns, i, depot;

	pfns = kunit_kcalloc(test, nr, sizeof(*pfns), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, pfns);
	/* The test runs the passes; the work must not run one between them. */
	iox_iova_test_trim_interval(iovad, 3600 * HZ);
	/*
	 * One CPU's magazines throughout: waiting for the work may wake the
	 * test up elsewhere, whose empty magazines would take from the depot.
	 */
	migrate_disable();
	alloc_n(test, iovad, pfns, nr, 1, ULONG_MAX);
	for (i = 0; i < nr; i++)
		KUNIT_ASSERT_EQ(test, iox_iova_free(iovad, pfns[i], 1), 0);
	s = stats_of(iovad);
	/* Two magazines stay with the CPU, the other full ones in the depot. */
	KUNIT_EXPECT_EQ(test, s.cpu_cached + s.depot_mags * IOX_IOVA_MAG_SIZE, nr);
	KUNIT_EXPECT_EQ(test, s.depot_mags, 4);
	KUNIT_EXPECT_EQ(test, s.tree_nodes, nr);
	KUNIT_EXPECT_TRUE(test, delayed_work_pending(&iovad->trim_work));
	depot = s.depot_mags;

	/* The work's passes: the first one only learns what sat unused. */
	flush_delayed_work(&iovad->trim_work);
	KUNIT_EXPECT_EQ(test, stats_of(iovad).depot_mags, depot);
	/* A magazine used in the interval survives the next pass. */
	alloc_n(test, iovad, pfns, 2 * IOX_IOVA_MAG_SIZE + 1, 1, ULONG_MAX);
	for (i = 0; i < 2 * IOX_IOVA_MAG_SIZE + 1; i++)
		KUNIT_ASSERT_EQ(test, iox_iova_free(iovad, pfns[i], 1), 0);
	KUNIT_EXPECT_EQ(test, stats_of(iovad).depot_mags, depot);
	flush_delayed_work(&iovad->trim_work);
	s = stats_of(iovad);
	KUNIT_EXPECT_EQ(test, s.depot_mags, 1);
	KUNIT_EXPECT_EQ(test, s.tree_nodes, nr - (depot - 1) * IOX_IOVA_MAG_SIZE);
	/* Idle for another interval: the depot is empty, the work stops. */
	flush_delayed_work(&iovad->trim_work);
	s = stats_of(iovad);
	KUNIT_EXPECT_EQ(test, s.depot_mags, 0);
	KUNIT_EXPECT_EQ(test, s.tree_nodes, s.cpu_cached);
	KUNIT_EXPECT_FALSE(test, delayed_work_pending(&iovad->trim_work));
	migrate_enable();
	iox_iova_domain_destroy(iovad);
	KUNIT_EXPECT_EQ(test, iovad->leaked, 0);
}

static void iova_destroy_reports_leaks_once(struct kunit *test)
{
	struct iox_iova_domain *iovad = new_domain(test, 1, 4095), *other;
	struct iox_iova_stats stats;
	unsigned long pfn;
	u64 allocs;
	int i;

	for (i = 0; i < 3; i++)
		KUNIT_ASSERT_EQ(test, iox_iova_alloc(iovad, 1 + 40 * i, 4095, &pfn), 0);
	/* A range sitting in a cache is not a leak. */
	KUNIT_ASSERT_EQ(test, iox_iova_alloc(iovad, 2, 4095, &pfn), 0);
	KUNIT_ASSERT_EQ(test, iox_iova_free(iovad, pfn, 2), 0);
	/* Leaking on purpose: a WARN would fail the test log. */
	iox_iova_set_quiet_leaks(iovad, true);
	allocs = stats_of(iovad).tree_allocs;
	KUNIT_EXPECT_GE(test, allocs, 3);
	iox_iova_domain_destroy(iovad);
	KUNIT_EXPECT_EQ(test, iovad->leaked, 3);
	KUNIT_EXPECT_EQ(test, iovad->leak_reports, 1);
	/* Still readable: the tree's counters stay, nothing is cached or live. */
	stats = stats_of(iovad);
	KUNIT_EXPECT_EQ(test, stats.tree_allocs, allocs);
	KUNIT_EXPECT_EQ(test, stats.tree_nodes, 0);
	KUNIT_EXPECT_EQ(test, stats.cpu_cached, 0);
	/* A second destroy changes nothing, here or in other domains. */
	other = new_domain(test, 1, 4095);
	iox_iova_domain_destroy(iovad);
	KUNIT_EXPECT_EQ(test, iovad->leak_reports, 1);
	KUNIT_EXPECT_EQ(test, iox_iova_alloc(other, 200, 4095, &pfn), 0);
	KUNIT_EXPECT_EQ(test, iox_iova_free(other, pfn, 200), 0);
	iox_iova_domain_destroy(other);
	KUNIT_EXPECT_EQ(test, other->leaked, 0);

	iovad = new_domain(test, 1, 4095);
	KUNIT_ASSERT_EQ(test, iox_iova_alloc(iovad, 1, 4095, &pfn), 0);
	KUNIT_ASSERT_EQ(test, iox_iova_free(iovad, pfn, 1), 0);
	iox_iova_domain_destroy(iovad);
	KUNIT_EXPECT_EQ(test, iovad->leaked, 0);
	KUNIT_EXPECT_EQ(test, iovad->leak_reports, 0);
}

static void iova_debugfs_stats(struct kunit *test)
{
	struct iox_iova_domain *iovad;
	struct dentry *root, *dir;
	unsigned long pfn;

	iovad = kunit_kzalloc(test, sizeof(*iovad), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, iovad);
	KUNIT_ASSERT_EQ(test, iox_iova_domain_init(iovad, SZ_4K, 1, 4095, "kunit"), 0);
	migrate_disable();
	KUNIT_EXPECT_EQ(test, iox_iova_alloc(iovad, 1, 4095, &pfn), 0);
	KUNIT_EXPECT_EQ(test, iox_iova_free(iovad, pfn, 1), 0);
	KUNIT_EXPECT_EQ(test, iox_iova_alloc(iovad, 1, 4095, &pfn), 0);
	migrate_enable();
	KUNIT_EXPECT_EQ(test, stats_of(iovad).alloc_hits, 1);
	KUNIT_EXPECT_EQ(test, stats_of(iovad).alloc_misses, 1);
	KUNIT_EXPECT_EQ(test, stats_of(iovad).free_hits, 1);
	KUNIT_EXPECT_EQ(test, stats_of(iovad).tree_nodes, 1);

	root = debugfs_lookup("iox", NULL);
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(root));
	dir = debugfs_lookup("iova", root);
	dput(root);
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(dir));
	root = dir;
	dir = debugfs_lookup("kunit", root);
	dput(root);
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(dir));
	root = debugfs_lookup("stats", dir);
	KUNIT_EXPECT_FALSE(test, IS_ERR_OR_NULL(root));
	dput(root);
	dput(dir);
	KUNIT_EXPECT_EQ(test, iox_iova_free(iovad, pfn, 1), 0);
	iox_iova_domain_destroy(iovad);
	KUNIT_EXPECT_EQ(test, iovad->leaked, 0);
}

/* Concurrent users on every CPU share one domain and one bitmap. */
#define CONC_PFNS	16384
#define CONC_LIVE	48
#define CONC_OPS	20000

struct conc_ctx {
	struct iox_iova_domain *iovad;
	unsigned long *map;
	atomic_t overlaps;
	atomic_t errors;
	atomic_t fails;
	atomic_t running;
	struct completion done;
};

struct conc_thread {
	struct conc_ctx *ctx;
	unsigned int seed;
	struct live_range live[CONC_LIVE];
};

/* Claim or release every page of a range; a clash means an overlap. */
static bool conc_claim(unsigned long *map, unsigned long pfn, unsigned long n, bool set)
{
	bool ok = true;
	unsigned long i;

	for (i = pfn; i < pfn + n; i++) {
		if (set)
			ok &= !test_and_set_bit(i, map);
		else
			ok &= test_and_clear_bit(i, map);
	}
	return ok;
}

static int conc_thread_fn(void *data)
{
	struct conc_thread *t = data;
	struct conc_ctx *ctx = t->ctx;
	unsigned long nr_live = 0, pfn;
	struct rnd_state rnd;
	int op;

	prandom_seed_state(&rnd, t->seed);
	for (op = 0; op < CONC_OPS; op++) {
		u32 r = prandom_u32_state(&rnd);

		if (nr_live < CONC_LIVE && (nr_live == 0 || r % 2)) {
			unsigned long n = r % 32 ? 1 + (r >> 8) % 32 : 40;

			if (iox_iova_alloc(ctx->iovad, n, ULONG_MAX, &pfn)) {
				atomic_inc(&ctx->fails);
				continue;
			}
			if (!conc_claim(ctx->map, pfn, real_size(n), true))
				atomic_inc(&ctx->overlaps);
			t->live[nr_live].pfn = pfn;
			t->live[nr_live++].npages = n;
		} else {
			unsigned long i = (r >> 4) % nr_live;
			struct live_range lr = t->live[i];

			t->live[i] = t->live[--nr_live];
			if (!conc_claim(ctx->map, lr.pfn, real_size(lr.npages), false))
				atomic_inc(&ctx->overlaps);
			if (iox_iova_free(ctx->iovad, lr.pfn, lr.npages))
				atomic_inc(&ctx->errors);
		}
		if (!(op % 256))
			cond_resched();
	}
	while (nr_live--) {
		struct live_range lr = t->live[nr_live];

		conc_claim(ctx->map, lr.pfn, real_size(lr.npages), false);
		if (iox_iova_free(ctx->iovad, lr.pfn, lr.npages))
			atomic_inc(&ctx->errors);
	}
	if (atomic_dec_and_test(&ctx->running))
		complete(&ctx->done);
	return 0;
}

static void iova_concurrent_kthreads(struct kunit *test)
{
	unsigned int cpus = num_online_cpus(), nr = max(4U, 2 * cpus), i, cpu;
	struct conc_thread *threads;
	struct conc_ctx *ctx;

	ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);
	threads = kunit_kcalloc(test, nr, sizeof(*threads), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ctx);
	KUNIT_ASSERT_NOT_NULL(test, threads);
	ctx->map = kunit_kcalloc(test, BITS_TO_LONGS(CONC_PFNS), sizeof(long), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ctx->map);
	ctx->iovad = new_domain(test, 1, CONC_PFNS - 1);
	init_completion(&ctx->done);
	atomic_set(&ctx->running, nr);
	kunit_info(test, "%u threads on %u online CPU(s)%s", nr, cpus,
		   cpus < 2 ? ": no real concurrency here, run make kunit-qemu" : "");

	cpu = cpumask_first(cpu_online_mask);
	for (i = 0; i < nr; i++) {
		struct task_struct *task;

		threads[i].ctx = ctx;
		threads[i].seed = 100 + i;
		task = kthread_create(conc_thread_fn, &threads[i], "iox-iova/%u", i);
		KUNIT_ASSERT_FALSE(test, IS_ERR(task));
		kthread_bind(task, cpu);
		wake_up_process(task);
		cpu = cpumask_next(cpu, cpu_online_mask);
		if (cpu >= nr_cpu_ids)
			cpu = cpumask_first(cpu_online_mask);
	}
	wait_for_completion(&ctx->done);
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx->overlaps), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&ctx->errors), 0);
	kunit_info(test, "%d failed allocations (space exhausted)", atomic_read(&ctx->fails));
	KUNIT_EXPECT_TRUE(test, bitmap_empty(ctx->map, CONC_PFNS));
	iox_iova_flush_caches(ctx->iovad);
	KUNIT_EXPECT_EQ(test, stats_of(ctx->iovad).tree_nodes, 0);
	KUNIT_EXPECT_EQ(test, stats_of(ctx->iovad).bad_frees, 0);
	iox_iova_domain_destroy(ctx->iovad);
	KUNIT_EXPECT_EQ(test, ctx->iovad->leaked, 0);
}

struct hotplug_ctx {
	struct iox_iova_domain *iovad;
	unsigned long pfns[64];
	struct completion done;
};

static int hotplug_free_fn(void *data)
{
	struct hotplug_ctx *h = data;
	int i;

	for (i = 0; i < ARRAY_SIZE(h->pfns); i++)
		iox_iova_free(h->iovad, h->pfns[i], 1);
	complete(&h->done);
	return 0;
}

static void iova_cpu_dead_returns_caches(struct kunit *test)
{
	struct hotplug_ctx *h;
	struct task_struct *task;
	unsigned int cpu;

	if (!IS_ENABLED(CONFIG_HOTPLUG_CPU) || num_online_cpus() < 2)
		kunit_skip(test, "needs CPU hotplug and a second CPU");
	cpu = cpumask_last(cpu_online_mask);
	h = kunit_kzalloc(test, sizeof(*h), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, h);
	h->iovad = new_domain(test, 1, 4095);
	init_completion(&h->done);
	alloc_n(test, h->iovad, h->pfns, ARRAY_SIZE(h->pfns), 1, 4095);
	/* The frees land in the last CPU's cache. */
	task = kthread_create(hotplug_free_fn, h, "iox-iova-hp");
	KUNIT_ASSERT_FALSE(test, IS_ERR(task));
	kthread_bind(task, cpu);
	wake_up_process(task);
	wait_for_completion(&h->done);
	KUNIT_EXPECT_EQ(test, stats_of(h->iovad).cpu_cached, 64);
	KUNIT_ASSERT_EQ(test, remove_cpu(cpu), 0);
	KUNIT_EXPECT_EQ(test, stats_of(h->iovad).cpu_cached, 0);
	KUNIT_EXPECT_EQ(test, stats_of(h->iovad).tree_nodes, 0);
	KUNIT_EXPECT_EQ(test, add_cpu(cpu), 0);
	iox_iova_domain_destroy(h->iovad);
	KUNIT_EXPECT_EQ(test, h->iovad->leaked, 0);
}

/*
 * With CONFIG_IOX_IOVA_DEBUG, a free of a cached size that is not a live
 * allocation of that size is refused as it arrives, before it can enter a
 * magazine: a double free no longer hands one range out twice.
 */
static void iova_cached_bad_frees_refused(struct kunit *test)
{
	struct iox_iova_domain *iovad;
	unsigned long a, b, x, y;

	if (!IS_ENABLED(CONFIG_IOX_IOVA_DEBUG))
		kunit_skip(test, "needs CONFIG_IOX_IOVA_DEBUG");
	iovad = new_domain(test, 1, 1023);
	KUNIT_ASSERT_EQ(test, iox_iova_reserve(iovad, 512, 515), 0);
	KUNIT_ASSERT_EQ(test, iox_iova_alloc(iovad, 1, 1023, &a), 0);
	KUNIT_EXPECT_EQ(test, iox_iova_free(iovad, a, 1), 0);
	KUNIT_EXPECT_EQ(test, iox_iova_free(iovad, a, 1), -EINVAL);	/* double */
	KUNIT_EXPECT_EQ(test, iox_iova_free(iovad, 300, 1), -EINVAL);	/* never */
	KUNIT_EXPECT_EQ(test, iox_iova_free(iovad, 512, 4), -EINVAL);	/* reserved */
	KUNIT_ASSERT_EQ(test, iox_iova_alloc(iovad, 2, 1023, &b), 0);
	KUNIT_EXPECT_EQ(test, iox_iova_free(iovad, b, 1), -EINVAL);	/* wrong size */
	KUNIT_EXPECT_EQ(test, iox_iova_free(iovad, b, 4), -EINVAL);	/* wrong size */
	KUNIT_EXPECT_EQ(test, stats_of(iovad).bad_frees, 5);
	/* The range freed twice is in the magazines once. */
	KUNIT_ASSERT_EQ(test, iox_iova_alloc(iovad, 1, 1023, &x), 0);
	KUNIT_ASSERT_EQ(test, iox_iova_alloc(iovad, 1, 1023, &y), 0);
	KUNIT_EXPECT_NE(test, x, y);
	KUNIT_EXPECT_EQ(test, iox_iova_free(iovad, x, 1), 0);
	KUNIT_EXPECT_EQ(test, iox_iova_free(iovad, y, 1), 0);
	KUNIT_EXPECT_EQ(test, iox_iova_free(iovad, b, 2), 0);
	KUNIT_EXPECT_EQ(test, stats_of(iovad).bad_frees, 5);
	iox_iova_domain_destroy(iovad);
	KUNIT_EXPECT_EQ(test, iovad->leaked, 0);
}

/* Reserved pages come back; the reserved pages around them stay. */
static void iova_unreserve(struct kunit *test)
{
	struct iox_iova_domain *iovad = new_domain(test, 1, 1023);
	unsigned long pfn, big;

	KUNIT_ASSERT_EQ(test, iox_iova_reserve(iovad, 1, 199), 0);
	KUNIT_ASSERT_EQ(test, iox_iova_reserve(iovad, 150, 1023), 0);
	KUNIT_EXPECT_EQ(test, stats_of(iovad).tree_nodes, 1);
	KUNIT_EXPECT_EQ(test, iox_iova_alloc(iovad, 1, 1023, &pfn), -ENOSPC);
	/* The middle of the merged range: split in two, 8 pages free. */
	KUNIT_EXPECT_EQ(test, iox_iova_unreserve(iovad, 120, 127), 0);
	KUNIT_EXPECT_EQ(test, stats_of(iovad).tree_nodes, 2);
	KUNIT_ASSERT_EQ(test, iox_iova_alloc(iovad, 8, 1023, &pfn), 0);
	KUNIT_EXPECT_EQ(test, pfn, 120);
	KUNIT_EXPECT_EQ(test, iox_iova_alloc(iovad, 1, 1023, &big), -ENOSPC);
	/* Everything, around an allocation that stays. */
	KUNIT_EXPECT_EQ(test, iox_iova_unreserve(iovad, 0, 2047), 0);
	KUNIT_EXPECT_EQ(test, stats_of(iovad).tree_nodes, 1);
	KUNIT_ASSERT_EQ(test, iox_iova_alloc(iovad, 64, 1023, &big), 0);
	KUNIT_EXPECT_EQ(test, big, 1024 - 64);
	KUNIT_EXPECT_EQ(test, iox_iova_unreserve(iovad, 20, 10), -EINVAL);
	KUNIT_EXPECT_EQ(test, iox_iova_free(iovad, big, 64), 0);
	KUNIT_EXPECT_EQ(test, iox_iova_free(iovad, pfn, 8), 0);
	iox_iova_domain_destroy(iovad);
	KUNIT_EXPECT_EQ(test, iovad->leaked, 0);
}

struct fill_ctx {
	struct iox_iova_domain *iovad;
	unsigned long n;
	int ret;
};

/* On the CPU it runs on: take every page one by one, then free them all. */
static long fill_and_cache(void *data)
{
	struct fill_ctx *c = data;
	unsigned long pfns[64], i;

	for (i = 0; i < c->n; i++) {
		c->ret = iox_iova_alloc(c->iovad, 1, ULONG_MAX, &pfns[i]);
		if (c->ret)
			return 0;
	}
	for (i = 0; i < c->n && !c->ret; i++)
		c->ret = iox_iova_free(c->iovad, pfns[i], 1);
	return 0;
}

/*
 * Every page sits in another CPU's magazine, and an allocation from atomic
 * context finds the tree full: it cannot wait for that CPU, but its flush
 * reaches it, so the pages are back in the tree soon after.
 */
static void iova_atomic_flush_reaches_other_cpus(struct kunit *test)
{
	struct iox_iova_domain *iovad;
	struct fill_ctx c = { .n = 64 };
	unsigned int cpu, other, waited;
	unsigned long pfn;
	int ret;

	cpu = get_cpu();
	other = cpumask_any_but(cpu_online_mask, cpu);
	put_cpu();
	if (other >= nr_cpu_ids)
		kunit_skip(test, "one CPU: run make kunit-qemu");
	iovad = new_domain(test, 1, 64);
	c.iovad = iovad;
	work_on_cpu(other, fill_and_cache, &c);
	KUNIT_ASSERT_EQ(test, c.ret, 0);
	KUNIT_ASSERT_EQ(test, stats_of(iovad).cpu_cached, 64);

	preempt_disable();
	ret = iox_iova_alloc(iovad, 1, ULONG_MAX, &pfn);
	preempt_enable();
	/* A flush that cannot wait sees the local CPU's caches only... */
	if (ret) {
		KUNIT_EXPECT_EQ(test, ret, -ENOSPC);
		/* ...and empties the others' a little later. */
		for (waited = 0; stats_of(iovad).cpu_cached && waited < 2000; waited += 20)
			msleep(20);
		KUNIT_EXPECT_EQ_MSG(test, stats_of(iovad).cpu_cached, 0,
				    "CPU %u's cached ranges never returned", other);
		preempt_disable();
		ret = iox_iova_alloc(iovad, 1, ULONG_MAX, &pfn);
		preempt_enable();
	}
	KUNIT_ASSERT_EQ(test, ret, 0);
	KUNIT_EXPECT_EQ(test, iox_iova_free(iovad, pfn, 1), 0);
	iox_iova_domain_destroy(iovad);
	KUNIT_EXPECT_EQ(test, iovad->leaked, 0);
}

/* A reservation over another CPU's cached ranges flushes that CPU too. */
static void iova_reserve_flushes_other_cpus(struct kunit *test)
{
	struct iox_iova_domain *iovad;
	struct fill_ctx c = { .n = 64 };
	unsigned int cpu, other;

	cpu = get_cpu();
	other = cpumask_any_but(cpu_online_mask, cpu);
	put_cpu();
	if (other >= nr_cpu_ids)
		kunit_skip(test, "one CPU: run make kunit-qemu");
	iovad = new_domain(test, 1, 64);
	c.iovad = iovad;
	work_on_cpu(other, fill_and_cache, &c);
	KUNIT_ASSERT_EQ(test, c.ret, 0);
	KUNIT_EXPECT_EQ(test, iox_iova_reserve(iovad, 1, 64), 0);
	KUNIT_EXPECT_EQ(test, stats_of(iovad).cpu_cached, 0);
	KUNIT_EXPECT_EQ(test, stats_of(iovad).tree_nodes, 1);
	iox_iova_domain_destroy(iovad);
	KUNIT_EXPECT_EQ(test, iovad->leaked, 0);
}

struct busy_ctx {
	struct iox_iova_domain *iovad;
	atomic_t inside;
	struct completion done;
	int ret;
};

static void busy_spin(void *data)
{
	struct busy_ctx *b = data;

	atomic_set(&b->inside, 1);
	/* Long enough for the other CPU's flush IPI to land in here. */
	mdelay(200);
}

static int busy_thread(void *data)
{
	struct busy_ctx *b = data;

	b->ret = iox_iova_test_in_cache_path(b->iovad, busy_spin, b);
	complete(&b->done);
	return 0;
}

/*
 * A flush whose IPI lands while the other CPU is inside its cache path
 * waits for that CPU to leave the path and empty its caches: the
 * reservation over the ranges cached there succeeds.
 */
static void iova_flush_waits_for_busy_cpu(struct kunit *test)
{
	struct fill_ctx c = { .n = 64 };
	struct busy_ctx b = { .inside = ATOMIC_INIT(0) };
	struct task_struct *t;
	unsigned int other, waited;

	migrate_disable();
	other = cpumask_any_but(cpu_online_mask, raw_smp_processor_id());
	if (other >= nr_cpu_ids) {
		migrate_enable();
		kunit_skip(test, "one CPU: run make kunit-qemu");
	}
	b.iovad = new_domain(test, 1, 64);
	c.iovad = b.iovad;
	init_completion(&b.done);
	work_on_cpu(other, fill_and_cache, &c);
	KUNIT_ASSERT_EQ(test, c.ret, 0);
	t = kthread_create(busy_thread, &b, "iox-iova-busy");
	KUNIT_ASSERT_FALSE(test, IS_ERR(t));
	kthread_bind(t, other);
	wake_up_process(t);
	for (waited = 0; !atomic_read(&b.inside) && waited < 5000; waited += 20)
		msleep(20);
	KUNIT_EXPECT_EQ(test, iox_iova_reserve(b.iovad, 1, 64), 0);
	KUNIT_EXPECT_EQ(test, stats_of(b.iovad).cpu_cached, 0);
	wait_for_completion(&b.done);
	migrate_enable();
	KUNIT_EXPECT_EQ(test, b.ret, 0);
	iox_iova_domain_destroy(b.iovad);
	KUNIT_EXPECT_EQ(test, b.iovad->leaked, 0);
}

static struct kunit_case iova_cases[] = {
	KUNIT_CASE(iova_bad_input),
	KUNIT_CASE(iova_domain_at_top_of_pfns),
	KUNIT_CASE(iova_cached_bad_frees_refused),
	KUNIT_CASE(iova_unreserve),
	KUNIT_CASE(iova_atomic_flush_reaches_other_cpus),
	KUNIT_CASE(iova_reserve_flushes_other_cpus),
	KUNIT_CASE(iova_flush_waits_for_busy_cpu),
	KUNIT_CASE(iova_size_alignment),
	KUNIT_CASE(iova_limit_topdown),
	KUNIT_CASE(iova_reserved_never_returned),
	KUNIT_CASE(iova_exhaustion),
	KUNIT_CASE(iova_flush_and_retry),
	KUNIT_CASE(iova_random_no_overlap),
	KUNIT_CASE(iova_tree_placement_matches_model),
	KUNIT_CASE(iova_cache_hit_same_cpu),
	KUNIT_CASE(iova_tree_free_staged),
	KUNIT_CASE(iova_staged_not_taken_from_small_gap),
	KUNIT_CASE(iova_failed_alloc_keeps_pin),
	KUNIT_CASE(iova_trim_returns_to_tree),
	KUNIT_CASE(iova_destroy_reports_leaks_once),
	KUNIT_CASE(iova_debugfs_stats),
	KUNIT_CASE(iova_concurrent_kthreads),
	KUNIT_CASE(iova_cpu_dead_returns_caches),
	{}
};

static struct kunit_suite iova_suite = {
	.name = "iox-iova",
	.test_cases = iova_cases,
};

kunit_test_suite(iova_suite);

MODULE_DESCRIPTION("KUnit tests for the iox IOVA allocator");
MODULE_IMPORT_NS(IOX_TEST);
MODULE_LICENSE("GPL");
