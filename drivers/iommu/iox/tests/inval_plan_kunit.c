// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the invalidation planner shared by the backends, checked
 * against a page-by-page reference: the blocks cover exactly the range, are
 * naturally aligned, respect the largest order (VT-d MAMV), and are as few
 * as possible.  Also the AMD-Vi S-bit encoding of a block in
 * INVALIDATE_IOMMU_PAGES, checked against the specification's decoding
 * rule: QEMU ignores the address and size of that command (it drops the
 * whole domain), so the range precision is proven here.
 */
#include <kunit/test.h>
#include <linux/prandom.h>
#include <linux/sizes.h>

#include "../amd/cmd.h"
#include "../inval_plan.h"

#define MAX_BLOCKS	64

static unsigned int plan(u64 start, u64 end, unsigned int mamv, struct iox_inv_block *psi)
{
	return iox_plan_inv_blocks(start, end, mamv, psi, MAX_BLOCKS);
}

static void plan_examples(struct kunit *test)
{
	struct iox_inv_block psi[MAX_BLOCKS];

	/* One page, an aligned 2M page, two pages straddling an AM=1 boundary. */
	KUNIT_ASSERT_EQ(test, plan(SZ_1M, SZ_1M + SZ_4K - 1, 18, psi), 1);
	KUNIT_EXPECT_EQ(test, psi[0].addr, SZ_1M);
	KUNIT_EXPECT_EQ(test, psi[0].order, 0);
	KUNIT_ASSERT_EQ(test, plan(SZ_1G, SZ_1G + SZ_2M - 1, 18, psi), 1);
	KUNIT_EXPECT_EQ(test, psi[0].order, 9);
	KUNIT_ASSERT_EQ(test, plan(5 * SZ_4K, 7 * SZ_4K - 1, 18, psi), 2);
	KUNIT_EXPECT_EQ(test, psi[0].addr, 5 * SZ_4K);
	KUNIT_EXPECT_EQ(test, psi[1].addr, 6 * SZ_4K);
	/* Pages 1..1022: 9 blocks up to 512, 9 down: 18. */
	KUNIT_EXPECT_EQ(test, plan(SZ_4K, 1023 * SZ_4K - 1, 18, psi), 18);
	/* MAMV caps the block size: 1G with MAMV 4 needs 16384 / 16 blocks. */
	KUNIT_EXPECT_EQ(test, plan(0, SZ_1G - 1, 4, psi), MAX_BLOCKS + 1);
	/* Unaligned byte addresses are widened to whole pages. */
	KUNIT_ASSERT_EQ(test, plan(SZ_4K + 8, SZ_8K + 8, 18, psi), 2);
	/* The last page of the address space. */
	KUNIT_ASSERT_EQ(test, plan(0ULL - SZ_4K, ~0ULL, 18, psi), 1);
	KUNIT_EXPECT_EQ(test, psi[0].addr, 0ULL - SZ_4K);
	/* The whole 64-bit space: 2^52 pages, one block with AM 52. */
	KUNIT_EXPECT_EQ(test, plan(0, ~0ULL, 52, psi), 1);
}

/* The fewest aligned blocks covering [first, last] pages, brute force. */
static unsigned int reference_count(u64 first, u64 last, unsigned int mamv)
{
	unsigned int n = 0, am;

	while (first <= last) {
		for (am = mamv; am > 0; am--)
			if (!(first & (BIT_ULL(am) - 1)) && first + BIT_ULL(am) - 1 <= last)
				break;
		first += BIT_ULL(am);
		n++;
	}
	return n;
}

static void plan_random_against_reference(struct kunit *test)
{
	struct iox_inv_block psi[MAX_BLOCKS];
	struct rnd_state rnd;
	int iter;

	prandom_seed_state(&rnd, 0x9e37);
	for (iter = 0; iter < 5000; iter++) {
		u64 first = prandom_u32_state(&rnd) % 100000;
		u64 last = first + prandom_u32_state(&rnd) % 5000;
		unsigned int mamv = prandom_u32_state(&rnd) % 19, n, i, want;
		u64 next = first;

		n = plan(first << 12, (last << 12) | 0xfff, mamv, psi);
		want = min_t(unsigned int, reference_count(first, last, mamv), MAX_BLOCKS + 1);
		KUNIT_ASSERT_EQ(test, n, want);
		if (n > MAX_BLOCKS)
			continue;	/* only "too many" is returned */
		for (i = 0; i < n; i++) {
			KUNIT_ASSERT_EQ(test, psi[i].addr >> 12, next);
			KUNIT_ASSERT_LE(test, psi[i].order, mamv);
			KUNIT_ASSERT_EQ(test, next & (BIT_ULL(psi[i].order) - 1), 0);
			next += BIT_ULL(psi[i].order);
		}
		KUNIT_ASSERT_EQ(test, next, last + 1);
	}
}

static void amdvi_encode_examples(struct kunit *test)
{
	u64 size;

	/* One page: S clear. */
	KUNIT_EXPECT_EQ(test, iox_amdvi_pages_encode(SZ_1M, 0, false), SZ_1M);
	/* Two pages: S set, bit 12 clear. */
	KUNIT_EXPECT_EQ(test, iox_amdvi_pages_encode(SZ_8K, 1, false), SZ_8K | 1);
	/* A 2M block at 1G: bits 12-19 set, bit 20 clear; PDE is bit 1. */
	KUNIT_EXPECT_EQ(test, iox_amdvi_pages_encode(SZ_1G, 9, true), SZ_1G | 0xff000 | 3);
	KUNIT_EXPECT_EQ(test, iox_amdvi_pages_decode(SZ_1G | 0xff000 | 1, &size), SZ_1G);
	KUNIT_EXPECT_EQ(test, size, SZ_2M);
	/* The largest block is still a range, not the whole domain. */
	iox_amdvi_pages_decode(iox_amdvi_pages_encode(0, AMDVI_INV_MAX_ORDER, false), &size);
	KUNIT_EXPECT_EQ(test, size, BIT_ULL(12 + AMDVI_INV_MAX_ORDER));
	/* The whole-domain address. */
	KUNIT_EXPECT_EQ(test, iox_amdvi_pages_decode(AMDVI_INV_ALL_PAGES_ADDR | 1, &size), 0);
	KUNIT_EXPECT_EQ(test, size, 0);
}

/* Every planned block encodes to exactly itself, never to more or less. */
static void amdvi_encode_plans_exactly(struct kunit *test)
{
	struct iox_inv_block blk[MAX_BLOCKS];
	struct rnd_state rnd;
	int iter;

	prandom_seed_state(&rnd, 0x5eed);
	for (iter = 0; iter < 5000; iter++) {
		u64 first = (((u64)prandom_u32_state(&rnd) << 32) | prandom_u32_state(&rnd)) &
			    GENMASK_ULL(39, 0);
		u64 last = first + (prandom_u32_state(&rnd) % 100000);
		unsigned int n, i;
		u64 next = first;

		n = iox_plan_inv_blocks(first << 12, (last << 12) | 0xfff, AMDVI_INV_MAX_ORDER,
					blk, MAX_BLOCKS);
		if (n > MAX_BLOCKS)
			continue;
		for (i = 0; i < n; i++) {
			u64 hi = iox_amdvi_pages_encode(blk[i].addr, blk[i].order, i & 1);
			u64 size, addr = iox_amdvi_pages_decode(hi, &size);

			KUNIT_ASSERT_EQ(test, addr, next << 12);
			KUNIT_ASSERT_EQ(test, size, (u64)SZ_4K << blk[i].order);
			KUNIT_ASSERT_EQ(test, !!(hi & AMDVI_CMD_PAGES_PDE), i & 1);
			next += BIT_ULL(blk[i].order);
		}
		KUNIT_ASSERT_EQ(test, next, last + 1);
	}
}

/*
 * The planner gives up as soon as it knows a range needs more than the
 * room it was given: its cost is bounded by the commands, not by the
 * range.  A 2^52-page range with order 0 would take 2^52 steps to count.
 */
static void plan_stops_at_the_limit(struct kunit *test)
{
	struct iox_inv_block blk[4];
	unsigned int i;

	KUNIT_EXPECT_EQ(test, iox_plan_inv_blocks(0, SZ_1G - 1, 0, blk, 4), 5U);
	for (i = 0; i < 4; i++)
		KUNIT_EXPECT_EQ(test, blk[i].addr, (u64)i * SZ_4K);
	KUNIT_EXPECT_EQ(test, iox_plan_inv_blocks(SZ_4K, ~0ULL, 0, blk, 4), 5U);
	KUNIT_EXPECT_EQ(test, iox_plan_inv_blocks(0, ~0ULL, 0, blk, 0), 1U);
	/* Exactly as many as fit is not "too many". */
	KUNIT_EXPECT_EQ(test, iox_plan_inv_blocks(0, 4 * SZ_4K - 1, 0, blk, 4), 4U);
}

/*
 * Directory entries may stay cached (VT-d IH set, AMD-Vi PDE clear) only
 * when no page-directory entry changed: an unmap that cleared leaves only.
 * A map (caching mode, NpCache) may have installed tables; an unmap that
 * freed tables cleared the entries pointing to them.
 */
static void leaf_only_for_leaf_changes(struct kunit *test)
{
	KUNIT_EXPECT_TRUE(test, iox_inv_leaf_only(false, false));
	KUNIT_EXPECT_FALSE(test, iox_inv_leaf_only(false, true));
	KUNIT_EXPECT_FALSE(test, iox_inv_leaf_only(true, false));
	KUNIT_EXPECT_FALSE(test, iox_inv_leaf_only(true, true));
}

static struct kunit_case iox_inval_plan_cases[] = {
	KUNIT_CASE(plan_stops_at_the_limit),
	KUNIT_CASE(leaf_only_for_leaf_changes),
	KUNIT_CASE(plan_examples),
	KUNIT_CASE(plan_random_against_reference),
	KUNIT_CASE(amdvi_encode_examples),
	KUNIT_CASE(amdvi_encode_plans_exactly),
	{}
};

static struct kunit_suite iox_inval_plan_suite = {
	.name = "iox-inval-plan",
	.test_cases = iox_inval_plan_cases,
};

kunit_test_suite(iox_inval_plan_suite);

MODULE_DESCRIPTION("KUnit tests for the iox invalidation planner and encodings");
MODULE_LICENSE("GPL");
