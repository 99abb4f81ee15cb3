// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the iox range splitter.
 */
#include <kunit/test.h>
#include <linux/iox.h>
#include <linux/prandom.h>
#include <linux/sizes.h>

#define PGS_4K_2M_1G	(SZ_4K | SZ_2M | SZ_1G)
#define MAX_RUNS	64

struct split_case {
	u64 iova;
	phys_addr_t paddr;
	size_t size;
	unsigned long bitmap;
};

/* Split a range completely; returns the number of runs, or -E2BIG. */
static int split_all(const struct split_case *c, struct iox_run *runs, int max)
{
	u64 iova = c->iova;
	phys_addr_t paddr = c->paddr;
	size_t left = c->size;
	int n = 0;

	while (left) {
		size_t bytes;

		if (n == max)
			return -E2BIG;
		iox_split_first(iova, paddr, left, c->bitmap, &runs[n]);
		bytes = runs[n].pgsize * runs[n].pgcount;
		iova += bytes;
		paddr += bytes;
		left -= bytes;
		n++;
	}
	return n;
}

static void expect_runs(struct kunit *test, const struct split_case *c,
			const struct iox_run *want, int nr_want)
{
	struct iox_run *got = kunit_kcalloc(test, MAX_RUNS, sizeof(*got), GFP_KERNEL);
	int i, n;

	KUNIT_ASSERT_NOT_NULL(test, got);
	KUNIT_ASSERT_EQ(test, iox_split_check(c->iova, c->paddr, c->size,
					      c->bitmap), 0);
	n = split_all(c, got, MAX_RUNS);
	KUNIT_ASSERT_EQ(test, n, nr_want);
	for (i = 0; i < n; i++) {
		KUNIT_EXPECT_EQ_MSG(test, got[i].iova, want[i].iova, "run %d", i);
		KUNIT_EXPECT_EQ_MSG(test, got[i].paddr, want[i].paddr, "run %d", i);
		KUNIT_EXPECT_EQ_MSG(test, got[i].pgsize, want[i].pgsize, "run %d", i);
		KUNIT_EXPECT_EQ_MSG(test, got[i].pgcount, want[i].pgcount, "run %d", i);
	}
}

static void split_one_gigabyte_page(struct kunit *test)
{
	const struct split_case c = { SZ_1G, 3ULL * SZ_1G, SZ_1G, PGS_4K_2M_1G };
	const struct iox_run want[] = { { SZ_1G, 3ULL * SZ_1G, SZ_1G, 1 } };

	expect_runs(test, &c, want, ARRAY_SIZE(want));
}

static void split_mixed_alignment(struct kunit *test)
{
	/* 4K head up to a 2M boundary, a 2M body, a 4K tail. */
	const u64 iova = SZ_4M - SZ_4K;
	const phys_addr_t pa = SZ_1G + SZ_2M - SZ_4K;
	const struct split_case c = { iova, pa, SZ_4K + SZ_4M + SZ_8K, PGS_4K_2M_1G };
	const struct iox_run want[] = {
		{ iova, pa, SZ_4K, 1 },
		{ iova + SZ_4K, pa + SZ_4K, SZ_2M, 2 },
		{ iova + SZ_4K + SZ_4M, pa + SZ_4K + SZ_4M, SZ_4K, 2 },
	};

	expect_runs(test, &c, want, ARRAY_SIZE(want));
}

static void split_largest_first(struct kunit *test)
{
	const struct split_case c = { 0, 0, SZ_1G + SZ_2M + SZ_4K, PGS_4K_2M_1G };
	const struct iox_run want[] = {
		{ 0, 0, SZ_1G, 1 },
		{ SZ_1G, SZ_1G, SZ_2M, 1 },
		{ SZ_1G + SZ_2M, SZ_1G + SZ_2M, SZ_4K, 1 },
	};

	expect_runs(test, &c, want, ARRAY_SIZE(want));
}

static void split_only_4k(struct kunit *test)
{
	const struct split_case c = { SZ_1G, SZ_2G, SZ_1G, SZ_4K };
	const struct iox_run want[] = { { SZ_1G, SZ_2G, SZ_4K, SZ_1G / SZ_4K } };

	expect_runs(test, &c, want, ARRAY_SIZE(want));
}

static void split_bitmap_with_gap(struct kunit *test)
{
	/* No 2M pages: 4K pages up to the 1G boundary, then one 1G page. */
	const u64 iova = SZ_1G - SZ_2M;
	const struct split_case c = { iova, iova, SZ_2M + SZ_1G, SZ_4K | SZ_1G };
	const struct iox_run want[] = {
		{ iova, iova, SZ_4K, SZ_2M / SZ_4K },
		{ SZ_1G, SZ_1G, SZ_1G, 1 },
	};

	expect_runs(test, &c, want, ARRAY_SIZE(want));
}

static void split_incongruent_addresses(struct kunit *test)
{
	/* iova and paddr differ modulo 2M: no larger page ever fits. */
	const struct split_case c = { SZ_2M - SZ_4K, SZ_4M, SZ_8M, PGS_4K_2M_1G };
	const struct iox_run want[] = { { SZ_2M - SZ_4K, SZ_4M, SZ_4K, SZ_8M / SZ_4K } };

	expect_runs(test, &c, want, ARRAY_SIZE(want));
}

static void split_no_larger_page_behind_boundary(struct kunit *test)
{
	/* Crossing a 2M boundary with less than 2M left: one 4K run. */
	const u64 iova = SZ_2M - SZ_8K;
	const struct split_case c = { iova, iova, SZ_16K, PGS_4K_2M_1G };
	const struct iox_run want[] = { { iova, iova, SZ_4K, 4 } };

	expect_runs(test, &c, want, ARRAY_SIZE(want));
}

static void split_top_of_address_space(struct kunit *test)
{
	const u64 iova = 0ULL - SZ_4M;
	const struct split_case c = { iova, SZ_1G, SZ_4M, PGS_4K_2M_1G };
	const struct iox_run want[] = { { iova, SZ_1G, SZ_2M, 2 } };
	const struct split_case last = { 0ULL - SZ_4K, SZ_4K, SZ_4K, PGS_4K_2M_1G };
	const struct iox_run want_last[] = { { 0ULL - SZ_4K, SZ_4K, SZ_4K, 1 } };

	expect_runs(test, &c, want, ARRAY_SIZE(want));
	expect_runs(test, &last, want_last, ARRAY_SIZE(want_last));
}

static void split_refuses_bad_input(struct kunit *test)
{
	/* Misaligned iova, paddr and size. */
	KUNIT_EXPECT_EQ(test, iox_split_check(0x1200, 0, SZ_4K, PGS_4K_2M_1G), -EINVAL);
	KUNIT_EXPECT_EQ(test, iox_split_check(0, 0x1200, SZ_4K, PGS_4K_2M_1G), -EINVAL);
	KUNIT_EXPECT_EQ(test, iox_split_check(0, 0, SZ_4K + 1, PGS_4K_2M_1G), -EINVAL);
	/* A bitmap whose smallest page is 2M makes 4K alignment too little. */
	KUNIT_EXPECT_EQ(test, iox_split_check(SZ_4K, 0, SZ_2M, SZ_2M), -EINVAL);
	/* Zero size and empty bitmap. */
	KUNIT_EXPECT_EQ(test, iox_split_check(0, 0, 0, PGS_4K_2M_1G), -EINVAL);
	KUNIT_EXPECT_EQ(test, iox_split_check(0, 0, SZ_4K, 0), -EINVAL);
	/* Wrap-around of the IOVA range and of the physical range. */
	KUNIT_EXPECT_EQ(test, iox_split_check(0ULL - SZ_4K, 0, SZ_8K, PGS_4K_2M_1G),
			-EOVERFLOW);
	KUNIT_EXPECT_EQ(test, iox_split_check(0, (phys_addr_t)0 - SZ_4K, SZ_8K,
					      PGS_4K_2M_1G), -EOVERFLOW);
	KUNIT_EXPECT_EQ(test, iox_split_check(SZ_8K, 0, (size_t)0 - SZ_4K,
					      PGS_4K_2M_1G), -EOVERFLOW);
	/* Ending exactly at the top is fine. */
	KUNIT_EXPECT_EQ(test, iox_split_check(0ULL - SZ_8K, 0, SZ_8K, PGS_4K_2M_1G), 0);
}

/* The largest size in @bitmap that fits @left and aligns @iova and @paddr. */
static size_t reference_pgsize(u64 iova, phys_addr_t paddr, size_t left,
			       unsigned long bitmap)
{
	int bit;

	for (bit = BITS_PER_LONG - 1; bit >= 0; bit--) {
		size_t pgsize = 1UL << bit;

		if ((bitmap & pgsize) && pgsize <= left &&
		    !((iova | paddr) & (pgsize - 1)))
			return pgsize;
	}
	return 0;
}

/*
 * Random ranges against a page-by-page reference: every run covers exactly
 * the pages the reference would pick, in order, with no gap or overlap, and
 * is maximal: the page after it is of another size, so a splitter that cut
 * runs short (one page per run, say) would fail.
 */
static void split_random_against_reference(struct kunit *test)
{
	static const unsigned long bitmaps[] = {
		SZ_4K, SZ_4K | SZ_2M, PGS_4K_2M_1G, SZ_4K | SZ_1G,
		SZ_4K | SZ_64K | SZ_2M, SZ_16K | SZ_32M,
	};
	struct rnd_state rnd;
	int iter;

	prandom_seed_state(&rnd, 0x10c5);
	for (iter = 0; iter < 2000; iter++) {
		unsigned long bitmap = bitmaps[prandom_u32_state(&rnd) %
					       ARRAY_SIZE(bitmaps)];
		unsigned long min = bitmap & -bitmap;
		struct split_case c;
		struct iox_run run;
		u64 iova;
		phys_addr_t paddr;
		size_t left;

		c.iova = (prandom_u32_state(&rnd) % 4096) * (u64)min;
		c.paddr = (prandom_u32_state(&rnd) % 4096) * (u64)min;
		if (prandom_u32_state(&rnd) & 1)
			c.paddr = c.iova + SZ_1G;
		c.size = (1 + prandom_u32_state(&rnd) % 2048) * min;
		c.bitmap = bitmap;
		KUNIT_ASSERT_EQ(test, iox_split_check(c.iova, c.paddr, c.size, bitmap), 0);

		iova = c.iova;
		paddr = c.paddr;
		left = c.size;
		while (left) {
			size_t i;

			iox_split_first(iova, paddr, left, bitmap, &run);
			KUNIT_ASSERT_EQ(test, run.iova, iova);
			KUNIT_ASSERT_EQ(test, run.paddr, paddr);
			KUNIT_ASSERT_GT(test, run.pgcount, 0);
			KUNIT_ASSERT_LE(test, run.pgsize * run.pgcount, left);
			for (i = 0; i < run.pgcount; i++) {
				KUNIT_ASSERT_EQ(test, run.pgsize,
						reference_pgsize(iova, paddr, left, bitmap));
				iova += run.pgsize;
				paddr += run.pgsize;
				left -= run.pgsize;
			}
			if (left)
				KUNIT_ASSERT_NE_MSG(test,
						    reference_pgsize(iova, paddr, left, bitmap),
						    run.pgsize, "run at %llx cut short",
						    run.iova);
		}
	}
}

static struct kunit_case iox_split_cases[] = {
	KUNIT_CASE(split_one_gigabyte_page),
	KUNIT_CASE(split_mixed_alignment),
	KUNIT_CASE(split_largest_first),
	KUNIT_CASE(split_only_4k),
	KUNIT_CASE(split_bitmap_with_gap),
	KUNIT_CASE(split_incongruent_addresses),
	KUNIT_CASE(split_no_larger_page_behind_boundary),
	KUNIT_CASE(split_top_of_address_space),
	KUNIT_CASE(split_refuses_bad_input),
	KUNIT_CASE(split_random_against_reference),
	{}
};

static struct kunit_suite iox_split_suite = {
	.name = "iox-split",
	.test_cases = iox_split_cases,
};

kunit_test_suite(iox_split_suite);

MODULE_DESCRIPTION("KUnit tests for the iox range splitter");
MODULE_LICENSE("GPL");
