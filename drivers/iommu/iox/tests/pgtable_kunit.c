// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the iox page-table library: entry encodings checked
 * against the bit layouts of the VT-d and AMD-Vi specifications, lookups at
 * every level, the edges of the address width, refusals, superpage splits
 * (also when memory is short), one walk per run, a randomised run
 * against a reference model of the translation, when tables are freed, and
 * map and unmap of disjoint ranges from several CPUs at once.
 */
#include <kunit/test.h>
#include <linux/atomic.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/io.h>
#include <linux/iox.h>
#include <linux/iox-pgtable.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/prandom.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#define PROT_RW		(IOX_PROT_READ | IOX_PROT_WRITE)

/* Independent of the library: the bits as the specifications give them. */
#define SPEC_VTD_R	BIT_ULL(0)
#define SPEC_VTD_W	BIT_ULL(1)
#define SPEC_VTD_PS	BIT_ULL(7)
#define SPEC_VTD_SNP	BIT_ULL(11)
#define SPEC_AMD_PR	BIT_ULL(0)
#define SPEC_AMD_NL7	(7ULL << 9)
#define SPEC_AMD_FC	BIT_ULL(60)
#define SPEC_AMD_IR	BIT_ULL(61)
#define SPEC_AMD_IW	BIT_ULL(62)

static const int test_prots[] = {
	IOX_PROT_READ, IOX_PROT_WRITE, PROT_RW,
	IOX_PROT_READ | IOX_PROT_SNOOP, PROT_RW | IOX_PROT_SNOOP,
};

static struct iox_pgtable *pt_new(struct kunit *test, enum iox_pgtable_format format,
				  unsigned int ias, unsigned int oas)
{
	struct iox_pgtable_cfg cfg = {
		.format = format, .ias = ias, .oas = oas,
		.coherent = true, .snoop_ctl = true,
	};
	struct iox_pgtable *pt = kunit_kzalloc(test, sizeof(*pt), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, pt);
	KUNIT_ASSERT_EQ(test, iox_pgtable_init(pt, &cfg, GFP_KERNEL), 0);
	return pt;
}

static void map_ok(struct kunit *test, struct iox_pgtable *pt, u64 iova,
		   phys_addr_t pa, size_t pgsize, size_t count, int prot)
{
	size_t mapped;

	KUNIT_ASSERT_EQ_MSG(test, iox_pgtable_map_pages(pt, iova, pa, pgsize, count,
							prot, GFP_KERNEL, &mapped), 0,
			    "map %llx size %zx x%zu", iova, pgsize, count);
	KUNIT_ASSERT_EQ(test, mapped, pgsize * count);
}

/* Free what an unmap collected, as the core does after the flush. */
static unsigned long gather_release(struct iox_iotlb_gather *gather)
{
	struct page *page;
	unsigned long n = 0;

	list_for_each_entry(page, &gather->freelist, lru)
		n++;
	put_pages_list(&gather->freelist);
	return n;
}

/* Unmap and return the bytes unmapped; *@err (if given) gets the errno. */
static size_t unmap_err(struct iox_pgtable *pt, u64 iova, size_t pgsize,
			size_t count, int *err)
{
	struct iox_iotlb_gather gather;
	size_t unmapped;
	int ret;

	iox_iotlb_gather_init(&gather, false);
	ret = iox_pgtable_unmap_pages(pt, iova, pgsize, count, &gather, &unmapped);
	gather_release(&gather);
	if (err)
		*err = ret;
	return unmapped;
}

static size_t unmap_now(struct iox_pgtable *pt, u64 iova, size_t pgsize,
			size_t count)
{
	return unmap_err(pt, iova, pgsize, count, NULL);
}

/* Unmap into @gather; the bytes unmapped. */
static size_t unmap_gather(struct iox_pgtable *pt, u64 iova, size_t pgsize,
			   size_t count, struct iox_iotlb_gather *gather)
{
	size_t unmapped;

	iox_pgtable_unmap_pages(pt, iova, pgsize, count, gather, &unmapped);
	return unmapped;
}

/*
 * Nothing is mapped, the table is consistent, and every table page is
 * reachable; the tables below the root that unmaps did not cover whole
 * are still there, empty (the root and the tables on paths to them are
 * the only non-empty ones).
 */
static void expect_only_root(struct kunit *test, struct iox_pgtable *pt)
{
	struct iox_pgtable_usage usage;

	KUNIT_EXPECT_EQ(test, iox_pgtable_audit(pt, &usage), 0);
	KUNIT_EXPECT_EQ(test, usage.mapped, 0ULL);
	KUNIT_EXPECT_EQ(test, (long)usage.tables, iox_pgtable_live_pages(pt));
	KUNIT_EXPECT_LE(test, usage.empty, usage.tables - 1);
	if (usage.tables > 1)
		KUNIT_EXPECT_GT(test, usage.empty, 0UL);
}

static void pt_free(struct kunit *test, struct iox_pgtable *pt)
{
	iox_pgtable_destroy(pt);
	KUNIT_EXPECT_EQ(test, iox_pgtable_live_pages(pt), 0L);
}

static void pgtable_vtd_encoding(struct kunit *test)
{
	static const size_t sizes[] = { SZ_4K, SZ_2M, SZ_1G };
	unsigned int s, p, k = 0, snoop_ctl;

	for (snoop_ctl = 0; snoop_ctl < 2; snoop_ctl++) {
		struct iox_pgtable *pt = pt_new(test, IOX_PGTABLE_VTD_SL, 48, 52);

		pt->cfg.snoop_ctl = snoop_ctl;
		KUNIT_EXPECT_EQ(test, pt->pgsize_bitmap, (unsigned long)(SZ_4K | SZ_2M | SZ_1G));
		for (s = 0; s < ARRAY_SIZE(sizes); s++) {
			for (p = 0; p < ARRAY_SIZE(test_prots); p++, k++) {
				u64 iova = (k + 1) * 2ULL * SZ_1G;
				phys_addr_t pa = (k + 7) * 4ULL * SZ_1G;
				int prot = test_prots[p], want_prot = prot;
				struct iox_pgtable_leaf leaf;
				u64 want = pa;

				if (prot & IOX_PROT_READ)
					want |= SPEC_VTD_R;
				if (prot & IOX_PROT_WRITE)
					want |= SPEC_VTD_W;
				if (sizes[s] > SZ_4K)
					want |= SPEC_VTD_PS;
				if ((prot & IOX_PROT_SNOOP) && snoop_ctl)
					want |= SPEC_VTD_SNP;
				else
					want_prot &= ~IOX_PROT_SNOOP;

				map_ok(test, pt, iova, pa, sizes[s], 1, prot);
				KUNIT_ASSERT_EQ(test, iox_pgtable_lookup(pt, iova + sizes[s] - 1,
									 &leaf), 0);
				KUNIT_EXPECT_EQ(test, leaf.pte, want);
				KUNIT_EXPECT_EQ(test, leaf.iova, iova);
				KUNIT_EXPECT_EQ(test, leaf.size, (u64)sizes[s]);
				KUNIT_EXPECT_EQ(test, leaf.paddr, pa + sizes[s] - 1);
				KUNIT_EXPECT_EQ(test, leaf.prot, want_prot);
				KUNIT_EXPECT_EQ(test, leaf.level, s + 1);
				KUNIT_EXPECT_EQ(test, unmap_now(pt, iova, sizes[s], 1), sizes[s]);
			}
		}
		expect_only_root(test, pt);
		pt_free(test, pt);
	}

	/* One literal from the specification's layout: 2M, read+write. */
	{
		struct iox_pgtable *pt = pt_new(test, IOX_PGTABLE_VTD_SL, 39, 46);
		struct iox_pgtable_leaf leaf;

		map_ok(test, pt, SZ_2M, 0x40000000, SZ_2M, 1, PROT_RW);
		KUNIT_ASSERT_EQ(test, iox_pgtable_lookup(pt, SZ_2M, &leaf), 0);
		KUNIT_EXPECT_EQ(test, leaf.pte, 0x40000083ULL);
		pt_free(test, pt);
	}
}

static void pgtable_amd_encoding(struct kunit *test)
{
	struct iox_pgtable *pt = pt_new(test, IOX_PGTABLE_AMD_V1, 48, 52);
	struct iox_pgtable_leaf leaf;
	unsigned int shift, p, k = 0;

	KUNIT_EXPECT_EQ(test, pt->pgsize_bitmap, GENMASK(38, 12));
	for (shift = 12; shift <= 38; shift++) {
		unsigned int level = (shift - 12) / 9 + 1;
		unsigned int slots = 1U << ((shift - 12) % 9);
		u64 slot_span = 1ULL << (12 + 9 * (level - 1));
		u64 size = 1ULL << shift;

		for (p = 0; p < ARRAY_SIZE(test_prots); p++, k++) {
			u64 iova = (k + 1) * 512ULL * SZ_1G;
			phys_addr_t pa = (k + 3) * 512ULL * SZ_1G;
			int prot = test_prots[p];
			u64 want = pa | SPEC_AMD_PR;
			unsigned int j;

			if (prot & IOX_PROT_READ)
				want |= SPEC_AMD_IR;
			if (prot & IOX_PROT_WRITE)
				want |= SPEC_AMD_IW;
			if (prot & IOX_PROT_SNOOP)
				want |= SPEC_AMD_FC;
			if (slots > 1) {
				/* Page-size override: next level 7, size in the address. */
				want |= SPEC_AMD_NL7;
				if (shift >= 14)
					want |= GENMASK_ULL(shift - 2, 12);
			}

			map_ok(test, pt, iova, pa, size, 1, prot);
			for (j = 0; j < slots; j++) {
				u64 at = iova + j * slot_span;

				KUNIT_ASSERT_EQ(test, iox_pgtable_lookup(pt, at, &leaf), 0);
				KUNIT_EXPECT_EQ_MSG(test, leaf.pte, want, "shift %u slot %u",
						    shift, j);
				KUNIT_EXPECT_EQ(test, leaf.iova, iova);
				KUNIT_EXPECT_EQ(test, leaf.size, size);
				KUNIT_EXPECT_EQ(test, leaf.paddr, pa + (at - iova));
				KUNIT_EXPECT_EQ(test, leaf.prot, prot);
				KUNIT_EXPECT_EQ(test, leaf.level, level);
			}
			KUNIT_EXPECT_EQ(test, iox_pgtable_iova_to_phys(pt, iova + size - 1),
					pa + size - 1);
			KUNIT_EXPECT_EQ(test, unmap_now(pt, iova, size, 1), size);
		}
	}
	expect_only_root(test, pt);

	/* Literals from the specification's layout: 8K and 16K overrides. */
	map_ok(test, pt, SZ_8K, 0x2000, SZ_8K, 1, PROT_RW);
	KUNIT_ASSERT_EQ(test, iox_pgtable_lookup(pt, SZ_8K, &leaf), 0);
	KUNIT_EXPECT_EQ(test, leaf.pte, 0x6000000000002e01ULL);
	map_ok(test, pt, SZ_64K, 0x10000, SZ_16K, 1, PROT_RW);
	KUNIT_ASSERT_EQ(test, iox_pgtable_lookup(pt, SZ_64K, &leaf), 0);
	KUNIT_EXPECT_EQ(test, leaf.pte, 0x6000000000011e01ULL);
	/* A 2M page at level 2 is next level 0, not an override. */
	map_ok(test, pt, SZ_2M, 0x40000000, SZ_2M, 1, IOX_PROT_READ);
	KUNIT_ASSERT_EQ(test, iox_pgtable_lookup(pt, SZ_2M, &leaf), 0);
	KUNIT_EXPECT_EQ(test, leaf.pte, 0x2000000040000001ULL);
	pt_free(test, pt);
}

struct shape_case {
	enum iox_pgtable_format format;
	unsigned int ias;
	unsigned int levels;
};

static const struct shape_case shapes[] = {
	{ IOX_PGTABLE_VTD_SL, 39, 3 }, { IOX_PGTABLE_VTD_SL, 48, 4 },
	{ IOX_PGTABLE_AMD_V1, 21, 1 }, { IOX_PGTABLE_AMD_V1, 30, 2 },
	{ IOX_PGTABLE_AMD_V1, 39, 3 }, { IOX_PGTABLE_AMD_V1, 48, 4 },
	{ IOX_PGTABLE_AMD_V1, 57, 5 }, { IOX_PGTABLE_AMD_V1, 64, 6 },
};

/*
 * Every level count: a 4K page at IOVA 0 and at the very top of the input
 * address width (a table at every level on the way), leaves at every level
 * that can hold one, lookups inside each, and a run that would cross the
 * top refused.
 */
static void pgtable_levels_and_edges(struct kunit *test)
{
	unsigned int c;

	for (c = 0; c < ARRAY_SIZE(shapes); c++) {
		const struct shape_case *sc = &shapes[c];
		struct iox_pgtable *pt = pt_new(test, sc->format, sc->ias, 48);
		u64 top = (sc->ias == 64 ? U64_MAX : BIT_ULL(sc->ias) - 1) - (SZ_4K - 1);
		struct iox_pgtable_leaf leaf;
		size_t mapped;
		unsigned int level;

		kunit_info(test, "format %d ias %u", sc->format, sc->ias);
		KUNIT_EXPECT_EQ(test, pt->levels, sc->levels);
		map_ok(test, pt, 0, 0x1000000, SZ_4K, 1, PROT_RW);
		map_ok(test, pt, top, 0x2000000, SZ_4K, 1, IOX_PROT_READ);
		KUNIT_EXPECT_EQ(test, iox_pgtable_iova_to_phys(pt, 0xabc), 0x1000abcULL);
		KUNIT_EXPECT_EQ(test, iox_pgtable_iova_to_phys(pt, top + 0xfff), 0x2000fffULL);
		KUNIT_EXPECT_EQ(test, iox_pgtable_iova_to_phys(pt, top - 1), 0ULL);
		KUNIT_EXPECT_EQ(test, iox_pgtable_iova_to_phys(pt, SZ_4K), 0ULL);
		KUNIT_ASSERT_EQ(test, iox_pgtable_lookup(pt, top, &leaf), 0);
		KUNIT_EXPECT_EQ(test, leaf.level, 1U);
		KUNIT_EXPECT_EQ(test, iox_pgtable_live_pages(pt), (long)(2 * sc->levels - 1));

		/* The largest leaf of each level, just below the top 4K page's table. */
		for (level = 2; level <= min(3U, sc->levels); level++) {
			u64 size = 1ULL << (12 + 9 * (level - 1));
			u64 iova = top + SZ_4K - 2 * size;

			if (sc->levels == level)	/* no room beside the top page */
				iova = size;
			map_ok(test, pt, iova, 0x80000000ULL * level, size, 1, PROT_RW);
			KUNIT_ASSERT_EQ(test, iox_pgtable_lookup(pt, iova + 0x1234, &leaf), 0);
			KUNIT_EXPECT_EQ(test, leaf.level, level);
			KUNIT_EXPECT_EQ(test, leaf.paddr, 0x80000000ULL * level + 0x1234);
			KUNIT_EXPECT_EQ(test, unmap_now(pt, iova, size, 1), size);
		}

		/* Crossing the top is refused, nothing changes. */
		KUNIT_EXPECT_EQ(test, iox_pgtable_map_pages(pt, top - SZ_4K, 0, SZ_4K, 3,
							    PROT_RW, GFP_KERNEL, &mapped), -ERANGE);
		KUNIT_EXPECT_EQ(test, mapped, 0UL);
		KUNIT_EXPECT_EQ(test, iox_pgtable_iova_to_phys(pt, top - SZ_4K), 0ULL);
		KUNIT_EXPECT_EQ(test, unmap_now(pt, top, SZ_4K, 2), 0UL);
		if (sc->ias < 64)
			KUNIT_EXPECT_EQ(test, iox_pgtable_lookup(pt, top + SZ_4K, &leaf), -ERANGE);

		KUNIT_EXPECT_EQ(test, unmap_now(pt, top, SZ_4K, 1), (size_t)SZ_4K);
		KUNIT_EXPECT_EQ(test, unmap_now(pt, 0, SZ_4K, 1), (size_t)SZ_4K);
		expect_only_root(test, pt);
		pt_free(test, pt);
	}
}

static void expect_refused(struct kunit *test, struct iox_pgtable *pt, u64 iova,
			   phys_addr_t pa, size_t pgsize, size_t count, int prot,
			   int err)
{
	struct iox_pgtable_usage usage;
	size_t mapped = 1;

	KUNIT_EXPECT_EQ_MSG(test, iox_pgtable_map_pages(pt, iova, pa, pgsize, count,
							prot, GFP_KERNEL, &mapped), err,
			    "iova %llx pa %llx pgsize %zx count %zu prot %d",
			    iova, (u64)pa, pgsize, count, prot);
	KUNIT_EXPECT_EQ(test, mapped, 0UL);
	KUNIT_EXPECT_EQ(test, iox_pgtable_audit(pt, &usage), 0);
	KUNIT_EXPECT_EQ(test, usage.tables, 1UL);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&pt->stats.pages_allocated), 1L);
}

static void pgtable_refusals(struct kunit *test)
{
	struct iox_pgtable *pt = pt_new(test, IOX_PGTABLE_VTD_SL, 39, 46);
	struct iox_pgtable_cfg cfg = { .format = IOX_PGTABLE_VTD_SL, .ias = 39,
				       .oas = 46, .coherent = true };
	struct iox_pgtable *bad = kunit_kzalloc(test, sizeof(*bad), GFP_KERNEL);
	size_t mapped;

	/* Beyond the input and output address widths. */
	expect_refused(test, pt, BIT_ULL(39), 0, SZ_4K, 1, PROT_RW, -ERANGE);
	expect_refused(test, pt, BIT_ULL(39) - SZ_4K, 0, SZ_4K, 2, PROT_RW, -ERANGE);
	expect_refused(test, pt, 0, BIT_ULL(46), SZ_4K, 1, PROT_RW, -ERANGE);
	expect_refused(test, pt, 0, BIT_ULL(46) - SZ_4K, SZ_4K, 2, PROT_RW, -ERANGE);
	expect_refused(test, pt, 0, 0, SZ_4K, SIZE_MAX / SZ_4K + 1, PROT_RW, -ERANGE);
	/* Malformed runs. */
	expect_refused(test, pt, 0x800, 0, SZ_4K, 1, PROT_RW, -EINVAL);
	expect_refused(test, pt, 0, 0x800, SZ_4K, 1, PROT_RW, -EINVAL);
	expect_refused(test, pt, 0, SZ_2M / 2, SZ_2M, 1, PROT_RW, -EINVAL);
	expect_refused(test, pt, 0, 0, SZ_8K, 1, PROT_RW, -EINVAL);
	expect_refused(test, pt, 0, 0, 3 * SZ_4K, 1, PROT_RW, -EINVAL);
	expect_refused(test, pt, 0, 0, SZ_4K, 0, PROT_RW, -EINVAL);
	expect_refused(test, pt, 0, 0, SZ_4K, 1, 0, -EINVAL);
	expect_refused(test, pt, 0, 0, SZ_4K, 1, IOX_PROT_SNOOP, -EINVAL);
	expect_refused(test, pt, 0, 0, SZ_4K, 1, PROT_RW | BIT(5), -EINVAL);
	KUNIT_EXPECT_EQ(test, unmap_now(pt, BIT_ULL(39), SZ_4K, 1), 0UL);
	KUNIT_EXPECT_EQ(test, unmap_now(pt, 0, SZ_4K, 1), 0UL);
	KUNIT_EXPECT_EQ(test, unmap_now(pt, 0x800, SZ_4K, 1), 0UL);

	/* Already mapped: refused where it starts, the rest untouched. */
	map_ok(test, pt, SZ_2M, SZ_1G, SZ_2M, 1, PROT_RW);
	KUNIT_EXPECT_EQ(test, iox_pgtable_map_pages(pt, SZ_2M + SZ_4K, 0, SZ_4K, 1,
						    PROT_RW, GFP_KERNEL, &mapped), -EEXIST);
	KUNIT_EXPECT_EQ(test, mapped, 0UL);
	KUNIT_EXPECT_EQ(test, iox_pgtable_map_pages(pt, SZ_2M - SZ_8K, 0, SZ_4K, 4,
						    PROT_RW, GFP_KERNEL, &mapped), -EEXIST);
	KUNIT_EXPECT_EQ(test, mapped, (size_t)SZ_8K);
	KUNIT_EXPECT_EQ(test, iox_pgtable_iova_to_phys(pt, SZ_2M - SZ_4K), (phys_addr_t)SZ_4K);
	KUNIT_EXPECT_EQ(test, iox_pgtable_iova_to_phys(pt, SZ_2M + SZ_4K), SZ_1G + SZ_4K);
	map_ok(test, pt, SZ_4M + SZ_4K, 0, SZ_4K, 1, PROT_RW);
	KUNIT_EXPECT_EQ(test, iox_pgtable_map_pages(pt, SZ_4M, 0, SZ_2M, 1,
						    PROT_RW, GFP_KERNEL, &mapped), -EEXIST);
	KUNIT_EXPECT_EQ(test, unmap_now(pt, SZ_2M - SZ_8K, SZ_4K, 2), (size_t)SZ_8K);
	KUNIT_EXPECT_EQ(test, unmap_now(pt, SZ_2M, SZ_2M, 1), (size_t)SZ_2M);
	KUNIT_EXPECT_EQ(test, unmap_now(pt, SZ_4M + SZ_4K, SZ_4K, 1), (size_t)SZ_4K);
	expect_only_root(test, pt);
	pt_free(test, pt);

	/* Configurations the hardware cannot walk. */
	KUNIT_ASSERT_NOT_NULL(test, bad);
	cfg.ias = 58;
	KUNIT_EXPECT_EQ(test, iox_pgtable_init(bad, &cfg, GFP_KERNEL), -EINVAL);
	cfg.ias = 39;
	cfg.oas = 53;
	KUNIT_EXPECT_EQ(test, iox_pgtable_init(bad, &cfg, GFP_KERNEL), -EINVAL);
	cfg.oas = 46;
	cfg.pgsize_bitmap = SZ_2M;
	KUNIT_EXPECT_EQ(test, iox_pgtable_init(bad, &cfg, GFP_KERNEL), -EINVAL);
	cfg.pgsize_bitmap = 0;
	cfg.format = 7;
	KUNIT_EXPECT_EQ(test, iox_pgtable_init(bad, &cfg, GFP_KERNEL), -EINVAL);
	cfg.format = IOX_PGTABLE_AMD_V1;
	cfg.ias = 65;
	KUNIT_EXPECT_EQ(test, iox_pgtable_init(bad, &cfg, GFP_KERNEL), -EINVAL);
	/* A unit without 1G pages: the bitmap follows it. */
	cfg.format = IOX_PGTABLE_VTD_SL;
	cfg.ias = 39;
	cfg.pgsize_bitmap = SZ_4K | SZ_2M;
	KUNIT_ASSERT_EQ(test, iox_pgtable_init(bad, &cfg, GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, bad->pgsize_bitmap, (unsigned long)(SZ_4K | SZ_2M));
	KUNIT_EXPECT_EQ(test, iox_pgtable_map_pages(bad, 0, 0, SZ_1G, 1, PROT_RW,
						    GFP_KERNEL, &mapped), -EINVAL);
	pt_free(test, bad);
}

/* Check that [iova, iova + size) translates to pa on, except [hole, +hole_size). */
static void expect_translation(struct kunit *test, struct iox_pgtable *pt, u64 iova,
			       phys_addr_t pa, u64 size, u64 hole, u64 hole_size)
{
	u64 off;

	for (off = 0; off < size; off += SZ_4K) {
		phys_addr_t want = pa + off;

		if (iova + off >= hole && iova + off < hole + hole_size)
			want = 0;
		KUNIT_ASSERT_EQ_MSG(test, iox_pgtable_iova_to_phys(pt, iova + off), want,
				    "iova %llx", iova + off);
	}
}

/*
 * Unmap 4K out of the leaf [leaf_iova, leaf_iova + leaf_size): exactly 4K
 * is reported, the whole leaf is to be invalidated, no table is freed.
 */
static void expect_split_4k(struct kunit *test, struct iox_pgtable *pt, u64 iova,
			    u64 leaf_iova, u64 leaf_size)
{
	struct iox_iotlb_gather gather;
	size_t unmapped;

	iox_iotlb_gather_init(&gather, false);
	KUNIT_EXPECT_EQ(test, iox_pgtable_unmap_pages(pt, iova, SZ_4K, 1, &gather,
						      &unmapped), 0);
	KUNIT_EXPECT_EQ(test, unmapped, (size_t)SZ_4K);
	KUNIT_EXPECT_EQ(test, gather.start, leaf_iova);
	KUNIT_EXPECT_EQ(test, gather.end, leaf_iova + leaf_size - 1);
	KUNIT_EXPECT_EQ(test, gather.pgsize, (size_t)leaf_size);
	KUNIT_EXPECT_EQ(test, gather_release(&gather), 0UL);
}

static void pgtable_split_superpage(struct kunit *test)
{
	static const enum iox_pgtable_format formats[] = {
		IOX_PGTABLE_VTD_SL, IOX_PGTABLE_AMD_V1,
	};
	unsigned int f;

	for (f = 0; f < ARRAY_SIZE(formats); f++) {
		struct iox_pgtable *pt = pt_new(test, formats[f], 48, 48);
		struct iox_pgtable_usage usage;
		struct iox_pgtable_leaf leaf;

		/* 4K out of the middle of a 2M leaf. */
		map_ok(test, pt, SZ_2M, SZ_1G, SZ_2M, 1, IOX_PROT_READ);
		/* The IOTLB may hold the 2M translation: invalidate all of it. */
		expect_split_4k(test, pt, SZ_2M + SZ_8K, SZ_2M, SZ_2M);
		expect_translation(test, pt, SZ_2M, SZ_1G, SZ_2M, SZ_2M + SZ_8K, SZ_4K);
		KUNIT_ASSERT_EQ(test, iox_pgtable_lookup(pt, SZ_2M, &leaf), 0);
		KUNIT_EXPECT_EQ(test, leaf.level, 1U);
		KUNIT_EXPECT_EQ(test, leaf.prot, IOX_PROT_READ);
		KUNIT_EXPECT_EQ(test, iox_pgtable_audit(pt, &usage), 0);
		KUNIT_EXPECT_EQ(test, (long)usage.tables, iox_pgtable_live_pages(pt));
		KUNIT_EXPECT_EQ(test, usage.mapped, (u64)SZ_2M - SZ_4K);
		/* Unmapping stops at the hole. */
		KUNIT_EXPECT_EQ(test, unmap_now(pt, SZ_2M, SZ_4K, 512), (size_t)SZ_8K);
		KUNIT_EXPECT_EQ(test, unmap_now(pt, SZ_2M + 3 * SZ_4K, SZ_4K, 509),
				(size_t)509 * SZ_4K);
		expect_only_root(test, pt);

		/* 4K out of a 1G leaf: a table of 2M leaves and one of 4K leaves. */
		map_ok(test, pt, SZ_1G, 4ULL * SZ_1G, SZ_1G, 1, PROT_RW);
		KUNIT_EXPECT_EQ(test, unmap_now(pt, SZ_1G + SZ_2M + SZ_4K, SZ_4K, 1),
				(size_t)SZ_4K);
		KUNIT_EXPECT_EQ(test, iox_pgtable_iova_to_phys(pt, SZ_1G), 4ULL * SZ_1G);
		expect_translation(test, pt, SZ_1G, 4ULL * SZ_1G, SZ_4M,
				   SZ_1G + SZ_2M + SZ_4K, SZ_4K);
		KUNIT_EXPECT_EQ(test, iox_pgtable_iova_to_phys(pt, 2ULL * SZ_1G - 1),
				5ULL * SZ_1G - 1);
		KUNIT_ASSERT_EQ(test, iox_pgtable_lookup(pt, SZ_1G + SZ_4M, &leaf), 0);
		KUNIT_EXPECT_EQ(test, leaf.size, (u64)SZ_2M);
		KUNIT_EXPECT_EQ(test, unmap_now(pt, SZ_1G, SZ_4K, SZ_2M / SZ_4K + 1),
				(size_t)SZ_2M + SZ_4K);
		KUNIT_EXPECT_EQ(test, unmap_now(pt, SZ_1G + SZ_2M + SZ_8K, SZ_4K,
						SZ_2M / SZ_4K - 2), (size_t)SZ_2M - SZ_8K);
		KUNIT_EXPECT_EQ(test, unmap_now(pt, SZ_1G + SZ_4M, SZ_2M, 510),
				(size_t)510 * SZ_2M);
		expect_only_root(test, pt);

		/* A run ending inside one 2M leaf and starting inside another. */
		map_ok(test, pt, SZ_4M, SZ_1G, SZ_2M, 2, PROT_RW);
		KUNIT_EXPECT_EQ(test, unmap_now(pt, SZ_4M + SZ_1M, SZ_4K, SZ_2M / SZ_4K),
				(size_t)SZ_2M);
		expect_translation(test, pt, SZ_4M, SZ_1G, SZ_4M, SZ_4M + SZ_1M, SZ_2M);
		KUNIT_EXPECT_EQ(test, unmap_now(pt, SZ_4M, SZ_4K, SZ_1M / SZ_4K),
				(size_t)SZ_1M);
		KUNIT_EXPECT_EQ(test, unmap_now(pt, SZ_8M - SZ_1M, SZ_4K, SZ_1M / SZ_4K),
				(size_t)SZ_1M);
		expect_only_root(test, pt);
		pt_free(test, pt);
	}
}

/* AMD-Vi page-size override pages are repeated entries: split them. */
static void pgtable_amd_split_override(struct kunit *test)
{
	struct iox_pgtable *pt = pt_new(test, IOX_PGTABLE_AMD_V1, 48, 48);
	struct iox_pgtable_leaf leaf;

	/* 16K = 4 slots of the leaf table; unmap the third 4K. */
	map_ok(test, pt, SZ_64K, SZ_1M, SZ_16K, 1, PROT_RW);
	expect_split_4k(test, pt, SZ_64K + SZ_8K, SZ_64K, SZ_16K);
	expect_translation(test, pt, SZ_64K, SZ_1M, SZ_16K, SZ_64K + SZ_8K, SZ_4K);
	/* No slot may still claim the 16K page. */
	KUNIT_ASSERT_EQ(test, iox_pgtable_lookup(pt, SZ_64K + 3 * SZ_4K, &leaf), 0);
	KUNIT_EXPECT_EQ(test, leaf.size, (u64)SZ_4K);
	KUNIT_ASSERT_EQ(test, iox_pgtable_lookup(pt, SZ_64K, &leaf), 0);
	KUNIT_EXPECT_EQ(test, leaf.size, (u64)SZ_4K);
	KUNIT_EXPECT_EQ(test, leaf.pte & (7ULL << 9), 0ULL);

	/* 4M = 2 slots of a level-2 table; split 4K out of the second. */
	map_ok(test, pt, SZ_4M, SZ_1G, SZ_4M, 1, PROT_RW);
	KUNIT_EXPECT_EQ(test, unmap_now(pt, SZ_4M + SZ_2M + SZ_4K, SZ_4K, 1), (size_t)SZ_4K);
	expect_translation(test, pt, SZ_4M, SZ_1G, SZ_4M, SZ_4M + SZ_2M + SZ_4K, SZ_4K);
	KUNIT_ASSERT_EQ(test, iox_pgtable_lookup(pt, SZ_4M, &leaf), 0);
	KUNIT_EXPECT_EQ(test, leaf.size, (u64)SZ_2M);
	KUNIT_EXPECT_EQ(test, leaf.level, 2U);

	/* A 64K page unmapped by a run covering its first half only. */
	map_ok(test, pt, SZ_16M, SZ_2G, SZ_64K, 1, IOX_PROT_WRITE);
	KUNIT_EXPECT_EQ(test, unmap_now(pt, SZ_16M, SZ_4K, 8), (size_t)SZ_32K);
	expect_translation(test, pt, SZ_16M, SZ_2G, SZ_64K, SZ_16M, SZ_32K);

	KUNIT_EXPECT_EQ(test, unmap_now(pt, SZ_16M + SZ_32K, SZ_32K, 1), (size_t)SZ_32K);
	KUNIT_EXPECT_EQ(test, unmap_now(pt, SZ_4M, SZ_4K, 513), (size_t)SZ_2M + SZ_4K);
	KUNIT_EXPECT_EQ(test, unmap_now(pt, SZ_4M + SZ_2M + SZ_8K, SZ_4K, 510),
			(size_t)510 * SZ_4K);
	KUNIT_EXPECT_EQ(test, unmap_now(pt, SZ_64K, SZ_8K, 1), (size_t)SZ_8K);
	KUNIT_EXPECT_EQ(test, unmap_now(pt, SZ_64K + 3 * SZ_4K, SZ_4K, 1), (size_t)SZ_4K);
	expect_only_root(test, pt);
	pt_free(test, pt);
}

/* A split that cannot get memory changes nothing. */
static void pgtable_split_without_memory(struct kunit *test)
{
	static const enum iox_pgtable_format formats[] = {
		IOX_PGTABLE_VTD_SL, IOX_PGTABLE_AMD_V1,
	};
	unsigned int f;
	int budget;

	for (f = 0; f < ARRAY_SIZE(formats); f++) {
		struct iox_pgtable *pt = pt_new(test, formats[f], 48, 48);
		struct iox_iotlb_gather gather;
		struct iox_pgtable_leaf before, after;
		long live;

		map_ok(test, pt, SZ_1G, 8ULL * SZ_1G, SZ_1G, 1, PROT_RW);
		map_ok(test, pt, SZ_4M, SZ_4G, SZ_2M, 2, PROT_RW);
		live = iox_pgtable_live_pages(pt);
		KUNIT_ASSERT_EQ(test, iox_pgtable_lookup(pt, SZ_1G, &before), 0);

		/* 1G -> 2M -> 4K needs two tables; 2M edges need one each. */
		for (budget = 0; budget < 2; budget++) {
			size_t unmapped = 1;
			int err;

			pt->alloc_fail_after = budget;
			iox_iotlb_gather_init(&gather, false);
			/* A shortage is told apart from a hole: -ENOMEM, not -ENOENT. */
			KUNIT_EXPECT_EQ(test, iox_pgtable_unmap_pages(pt, SZ_1G + SZ_4K, SZ_4K,
								      1, &gather, &unmapped),
					-ENOMEM);
			KUNIT_EXPECT_EQ(test, unmapped, 0UL);
			KUNIT_EXPECT_TRUE(test, iox_iotlb_gather_empty(&gather));
			KUNIT_EXPECT_TRUE(test, list_empty(&gather.freelist));
			pt->alloc_fail_after = budget;
			KUNIT_EXPECT_EQ(test, unmap_err(pt, SZ_4M + SZ_1M, SZ_4K,
							SZ_2M / SZ_4K, &err), 0UL);
			KUNIT_EXPECT_EQ(test, err, -ENOMEM);
			KUNIT_EXPECT_EQ(test, iox_pgtable_live_pages(pt), live);
			KUNIT_ASSERT_EQ(test, iox_pgtable_lookup(pt, SZ_1G + SZ_4K, &after), 0);
			KUNIT_EXPECT_EQ(test, after.pte, before.pte);
			expect_translation(test, pt, SZ_4M, SZ_4G, SZ_4M, 0, 0);
		}
		pt->alloc_fail_after = -1;
		KUNIT_EXPECT_EQ(test, unmap_now(pt, SZ_1G + SZ_4K, SZ_4K, 1), (size_t)SZ_4K);
		KUNIT_EXPECT_EQ(test, unmap_now(pt, SZ_4M + SZ_1M, SZ_4K, SZ_2M / SZ_4K),
				(size_t)SZ_2M);
		KUNIT_EXPECT_EQ(test, iox_pgtable_iova_to_phys(pt, SZ_1G), 8ULL * SZ_1G);
		expect_translation(test, pt, SZ_4M, SZ_4G, SZ_4M, SZ_4M + SZ_1M, SZ_2M);

		/* Map: tables it cannot get, and a run cut short by one. */
		live = iox_pgtable_live_pages(pt);
		for (budget = 0; budget < 3; budget++) {
			size_t mapped = 1;

			pt->alloc_fail_after = budget;
			KUNIT_EXPECT_EQ(test, iox_pgtable_map_pages(pt, SZ_1T, 0, SZ_4K, 1,
								    PROT_RW, GFP_KERNEL,
								    &mapped), -ENOMEM);
			KUNIT_EXPECT_EQ(test, mapped, 0UL);
			KUNIT_EXPECT_EQ(test, iox_pgtable_live_pages(pt), live);
		}
		pt->alloc_fail_after = -1;
		map_ok(test, pt, SZ_8M + SZ_4M - SZ_16K, 0, SZ_4K, 1, PROT_RW);
		pt->alloc_fail_after = 0;
		{
			size_t mapped;

			/* Two pages fit the existing leaf table, the third needs a new one. */
			KUNIT_EXPECT_EQ(test, iox_pgtable_map_pages(pt, SZ_8M + SZ_4M - SZ_8K,
								    0, SZ_4K, 4, PROT_RW,
								    GFP_KERNEL, &mapped), -ENOMEM);
			KUNIT_EXPECT_EQ(test, mapped, (size_t)SZ_8K);
			KUNIT_EXPECT_EQ(test, iox_pgtable_iova_to_phys(pt, SZ_8M + SZ_4M - SZ_4K),
					(phys_addr_t)SZ_4K);
			KUNIT_EXPECT_EQ(test, iox_pgtable_iova_to_phys(pt, SZ_8M + SZ_4M), 0ULL);
		}
		pt->alloc_fail_after = -1;
		pt_free(test, pt);
	}
}

/* Start counting visits afresh: every CPU's counters back to zero. */
static void visits_reset(struct iox_pgtable *pt)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu)
		memset(per_cpu_ptr(pt->stats.counters, cpu), 0,
		       sizeof(struct iox_pgtable_counters));
}

/* Tables visited at @level since visits_reset(), on every CPU. */
static unsigned long visits(struct iox_pgtable *pt, unsigned int level)
{
	struct iox_pgtable_counters c;

	iox_pgtable_get_counters(pt, &c);
	return c.table_visits[level];
}

static void pgtable_run_walks_each_table_once(struct kunit *test)
{
	struct iox_pgtable *pt = pt_new(test, IOX_PGTABLE_VTD_SL, 48, 48);
	unsigned int level;

	visits_reset(pt);
	map_ok(test, pt, SZ_1G, 0, SZ_4K, 512, PROT_RW);
	for (level = 1; level <= 4; level++)
		KUNIT_EXPECT_EQ_MSG(test, visits(pt, level), 1UL,
				    "map, level %u", level);

	visits_reset(pt);
	map_ok(test, pt, SZ_1G + SZ_2M, SZ_2M, SZ_4K, 1024, PROT_RW);
	KUNIT_EXPECT_EQ(test, visits(pt, 1), 2UL);
	KUNIT_EXPECT_EQ(test, visits(pt, 2), 1UL);

	visits_reset(pt);
	KUNIT_EXPECT_EQ(test, unmap_now(pt, SZ_1G, SZ_4K, 512), (size_t)SZ_2M);
	for (level = 1; level <= 4; level++)
		KUNIT_EXPECT_EQ_MSG(test, visits(pt, level), 1UL,
				    "unmap, level %u", level);
	KUNIT_EXPECT_EQ(test, unmap_now(pt, SZ_1G + SZ_2M, SZ_2M, 2), (size_t)SZ_4M);
	expect_only_root(test, pt);
	pt_free(test, pt);
}

static void expect_visits_once(struct kunit *test, struct iox_pgtable *pt,
			       const char *what)
{
	unsigned int level;

	for (level = 1; level <= pt->levels; level++)
		KUNIT_EXPECT_EQ_MSG(test, visits(pt, level), 1UL,
				    "%s, level %u", what, level);
}

/*
 * A run inside one leaf table is written in one pass until a slot is not
 * as expected; the general walk takes over there, with the same result
 * and errors as if it had done the whole run, and each table counts one
 * visit.
 */
static void pgtable_run_fast_path_hands_over(struct kunit *test)
{
	struct iox_pgtable *pt = pt_new(test, IOX_PGTABLE_VTD_SL, 39, 48);
	struct iox_iotlb_gather gather;
	size_t mapped;
	int err;

	/* Tables on the path; slot 3 taken. */
	map_ok(test, pt, SZ_1G + 3 * SZ_4K, SZ_1G, SZ_4K, 1, PROT_RW);
	visits_reset(pt);
	KUNIT_EXPECT_EQ(test, iox_pgtable_map_pages(pt, SZ_1G, SZ_2G, SZ_4K, 5, PROT_RW,
						    GFP_KERNEL, &mapped), -EEXIST);
	KUNIT_EXPECT_EQ(test, mapped, (size_t)3 * SZ_4K);
	expect_visits_once(test, pt, "map up to a mapped slot");
	KUNIT_EXPECT_EQ(test, iox_pgtable_iova_to_phys(pt, SZ_1G + 2 * SZ_4K),
			(phys_addr_t)SZ_2G + 2 * SZ_4K);
	KUNIT_EXPECT_EQ(test, iox_pgtable_iova_to_phys(pt, SZ_1G + 3 * SZ_4K),
			(phys_addr_t)SZ_1G);
	KUNIT_EXPECT_EQ(test, iox_pgtable_iova_to_phys(pt, SZ_1G + 4 * SZ_4K), (phys_addr_t)0);

	/* Slots 0-3 mapped, 4 a hole: the unmap stops there. */
	visits_reset(pt);
	iox_iotlb_gather_init(&gather, false);
	err = iox_pgtable_unmap_pages(pt, SZ_1G, SZ_4K, 6, &gather, &mapped);
	KUNIT_EXPECT_EQ(test, err, -ENOENT);
	KUNIT_EXPECT_EQ(test, mapped, (size_t)4 * SZ_4K);
	KUNIT_EXPECT_EQ(test, gather.start, (u64)SZ_1G);
	KUNIT_EXPECT_EQ(test, gather.end, (u64)SZ_1G + 4 * SZ_4K - 1);
	KUNIT_EXPECT_EQ(test, gather_release(&gather), 0UL);
	expect_visits_once(test, pt, "unmap up to a hole");
	expect_only_root(test, pt);

	/* 2M pages around 512 4K pages: the fast pass stops at the table. */
	map_ok(test, pt, 0, 0, SZ_2M, 1, PROT_RW);
	map_ok(test, pt, SZ_2M, SZ_2M, SZ_4K, 512, PROT_RW);
	map_ok(test, pt, SZ_4M, SZ_4M, SZ_2M, 1, PROT_RW);
	iox_iotlb_gather_init(&gather, false);
	KUNIT_EXPECT_EQ(test, unmap_gather(pt, 0, SZ_2M, 3, &gather), (size_t)3 * SZ_2M);
	KUNIT_EXPECT_EQ(test, gather.start, 0ULL);
	KUNIT_EXPECT_EQ(test, gather.end, (u64)6 * SZ_1M - 1);
	/* The leaf table the run covered whole is freed. */
	KUNIT_EXPECT_EQ(test, gather_release(&gather), 1UL);
	expect_only_root(test, pt);
	pt_free(test, pt);
}

/*
 * The write-backs of a non-coherent walker, recorded, and the reachable
 * tables before and after an operation, copied, so that the flushed bytes
 * can be compared with the entries that changed.  VT-d layout only.
 */
#define SNAP_TABLES	8
#define FLUSH_LOG	64

struct flush_rec {
	void *addr;
	unsigned int size;
};

static struct flush_rec test_flushes[FLUSH_LOG];
static unsigned long test_flush_calls;

static void test_flush(void *addr, unsigned int size)
{
	if (test_flush_calls < FLUSH_LOG)
		test_flushes[test_flush_calls] = (struct flush_rec){ addr, size };
	test_flush_calls++;
}

struct pt_snap {
	unsigned int nr;
	u64 *va[SNAP_TABLES];
	u64 copy[SNAP_TABLES][512];
};

static void snap_walk(struct kunit *test, struct pt_snap *s, u64 *table,
		      unsigned int level)
{
	unsigned int i;

	KUNIT_ASSERT_LT(test, s->nr, SNAP_TABLES);
	s->va[s->nr] = table;
	memcpy(s->copy[s->nr++], table, PAGE_SIZE);
	for (i = 0; level > 1 && i < 512; i++) {
		u64 pte = table[i];

		if ((pte & (SPEC_VTD_R | SPEC_VTD_W)) && !(pte & SPEC_VTD_PS))
			snap_walk(test, s, phys_to_virt(pte & GENMASK_ULL(51, 12)), level - 1);
	}
}

static void snap_take(struct kunit *test, struct iox_pgtable *pt, struct pt_snap *s)
{
	s->nr = 0;
	test_flush_calls = 0;
	if (pt->root)
		snap_walk(test, s, pt->root, pt->levels);
}

/*
 * Since snap_take(@before): every entry written in a table the walker can
 * reach (all of a new table) was written back exactly once, and nothing
 * else was written back.
 */
static void expect_flushed_exactly(struct kunit *test, struct iox_pgtable *pt,
				   const struct pt_snap *before)
{
	struct pt_snap *after = kunit_kzalloc(test, sizeof(*after), GFP_KERNEL);
	unsigned int t, b, i, f, claimed = 0;

	KUNIT_ASSERT_NOT_NULL(test, after);
	KUNIT_ASSERT_LE(test, test_flush_calls, (unsigned long)FLUSH_LOG);
	snap_walk(test, after, pt->root, pt->levels);
	for (t = 0; t < after->nr; t++) {
		u64 *va = after->va[t];
		const u64 *old = NULL;

		for (b = 0; b < before->nr; b++)
			if (before->va[b] == va)
				old = before->copy[b];
		for (i = 0; i < 512; i++) {
			bool written = !old || old[i] != after->copy[t][i];
			unsigned int times = 0;

			for (f = 0; f < test_flush_calls; f++) {
				void *lo = test_flushes[f].addr;

				if ((void *)&va[i] >= lo &&
				    (void *)&va[i] < lo + test_flushes[f].size)
					times++;
			}
			claimed += times;
			KUNIT_EXPECT_EQ_MSG(test, times, written ? 1U : 0U,
					    "table %u (%s) entry %u: %s, flushed %u times", t,
					    old ? "old" : "new", i,
					    written ? "written" : "unchanged", times);
		}
	}
	/* No write-back went to a table the walker cannot reach. */
	for (f = 0; f < test_flush_calls; f++)
		claimed -= test_flushes[f].size / sizeof(u64);
	KUNIT_EXPECT_EQ(test, claimed, 0U);
}

/*
 * A walker that does not snoop: one write-back per table, not per entry,
 * covering exactly the entries written.
 */
static void pgtable_noncoherent_flush_batching(struct kunit *test)
{
	struct iox_pgtable_cfg cfg = {
		.format = IOX_PGTABLE_VTD_SL, .ias = 48, .oas = 48,
		.coherent = false, .flush = test_flush,
	};
	struct iox_pgtable *pt = kunit_kzalloc(test, sizeof(*pt), GFP_KERNEL);
	struct pt_snap *s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, pt);
	KUNIT_ASSERT_NOT_NULL(test, s);
	snap_take(test, pt, s);
	KUNIT_ASSERT_EQ(test, iox_pgtable_init(pt, &cfg, GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, test_flush_calls, 1UL);	/* the new root */
	expect_flushed_exactly(test, pt, s);

	/* Three new tables, each written back whole once; one root entry. */
	snap_take(test, pt, s);
	map_ok(test, pt, SZ_1G, 0, SZ_4K, 512, PROT_RW);
	KUNIT_EXPECT_EQ(test, test_flush_calls, 4UL);
	expect_flushed_exactly(test, pt, s);
	/* A new leaf table and the entry pointing to it. */
	snap_take(test, pt, s);
	map_ok(test, pt, SZ_1G + SZ_2M, 0, SZ_4K, 512, PROT_RW);
	KUNIT_EXPECT_EQ(test, test_flush_calls, 2UL);
	expect_flushed_exactly(test, pt, s);
	/* Existing leaf table: one write-back for 256 entries, either way. */
	snap_take(test, pt, s);
	KUNIT_EXPECT_EQ(test, unmap_now(pt, SZ_1G + SZ_1M, SZ_4K, 256), (size_t)SZ_1M);
	KUNIT_EXPECT_EQ(test, test_flush_calls, 1UL);
	expect_flushed_exactly(test, pt, s);
	snap_take(test, pt, s);
	map_ok(test, pt, SZ_1G + SZ_1M, 0, SZ_4K, 256, PROT_RW);
	KUNIT_EXPECT_EQ(test, test_flush_calls, 1UL);
	expect_flushed_exactly(test, pt, s);
	/* Emptying a leaf table writes back only its parent's entry. */
	snap_take(test, pt, s);
	KUNIT_EXPECT_EQ(test, unmap_now(pt, SZ_1G, SZ_4K, 512), (size_t)SZ_2M);
	KUNIT_EXPECT_EQ(test, test_flush_calls, 1UL);
	expect_flushed_exactly(test, pt, s);
	/* A split writes back the new table and the replaced entry. */
	map_ok(test, pt, SZ_1G, 0, SZ_2M, 1, PROT_RW);
	snap_take(test, pt, s);
	KUNIT_EXPECT_EQ(test, unmap_now(pt, SZ_1G + SZ_8K, SZ_4K, 1), (size_t)SZ_4K);
	KUNIT_EXPECT_EQ(test, test_flush_calls, 2UL);
	expect_flushed_exactly(test, pt, s);
	pt_free(test, pt);
}

/* ----- randomised run against a reference model ----- */

struct model_ext {
	u64 iova;
	u64 size;
	phys_addr_t pa;
	int prot;
};

/* Non-overlapping extents of mapped IOVA, sorted by IOVA. */
struct model {
	struct model_ext *ext;
	unsigned int nr;
	unsigned int max;
	u64 bytes;
};

static void model_insert_at(struct model *m, unsigned int i, u64 iova, u64 size,
			    phys_addr_t pa, int prot)
{
	memmove(&m->ext[i + 1], &m->ext[i], (m->nr - i) * sizeof(*m->ext));
	m->ext[i] = (struct model_ext){ iova, size, pa, prot };
	m->nr++;
}

static void model_add(struct model *m, u64 iova, u64 size, phys_addr_t pa, int prot)
{
	unsigned int i = 0;

	if (!size)
		return;
	while (i < m->nr && m->ext[i].iova < iova)
		i++;
	model_insert_at(m, i, iova, size, pa, prot);
	m->bytes += size;
}

static void model_remove(struct model *m, u64 start, u64 len)
{
	u64 end = start + len;
	unsigned int i;

	if (!len)
		return;
	for (i = 0; i < m->nr; i++) {
		struct model_ext *e = &m->ext[i];
		u64 eend = e->iova + e->size;
		u64 head, tail;

		if (eend <= start || e->iova >= end)
			continue;
		head = start > e->iova ? start - e->iova : 0;
		tail = eend > end ? eend - end : 0;
		m->bytes -= e->size - head - tail;
		if (head && tail) {
			model_insert_at(m, i + 1, end, tail, e->pa + (end - e->iova),
					e->prot);
			e->size = head;
			i++;
		} else if (head) {
			e->size = head;
		} else if (tail) {
			e->pa += end - e->iova;
			e->iova = end;
			e->size = tail;
		} else {
			memmove(e, e + 1, (m->nr - i - 1) * sizeof(*e));
			m->nr--;
			i--;
		}
	}
}

/* Bytes mapped without a gap from iova on, at most len. */
static u64 model_mapped_prefix(const struct model *m, u64 iova, u64 len)
{
	u64 pos = iova;
	unsigned int i;

	for (i = 0; i < m->nr && pos < iova + len; i++) {
		const struct model_ext *e = &m->ext[i];

		if (e->iova + e->size <= pos)
			continue;
		if (e->iova > pos)
			break;
		pos = e->iova + e->size;
	}
	return min(pos - iova, len);
}

/* Pages of a run from iova on that overlap nothing mapped. */
static size_t model_free_pages(const struct model *m, u64 iova, size_t pgsize,
			       size_t count)
{
	unsigned int i;

	for (i = 0; i < m->nr; i++) {
		const struct model_ext *e = &m->ext[i];

		if (e->iova + e->size <= iova)
			continue;
		if (e->iova <= iova)
			return 0;
		return min_t(u64, count, (e->iova - iova) / pgsize);
	}
	return count;
}

struct random_run {
	struct kunit *test;
	struct iox_pgtable *pt;
	struct model model;
	struct rnd_state rnd;
	u64 window;		/* mappings live in [0, window) */
	u64 hot;		/* most small mappings in [0, hot) */
	unsigned long gathered;	/* table pages the test freed after "flushes" */
	unsigned long ops[5];
	unsigned int step;
	char last[96];		/* the last map or unmap, for failure messages */
};

static u32 rnd(struct random_run *r, u32 n)
{
	return prandom_u32_state(&r->rnd) % n;
}

/*
 * The table translates exactly like the model: every extent of the model,
 * leaf by leaf, and not a byte more (the audit sums what the leaves map).
 */
static void random_check(struct random_run *r)
{
	struct kunit *test = r->test;
	const struct model *m = &r->model;
	struct iox_pgtable_usage usage;
	struct iox_pgtable_leaf leaf;
	unsigned int i;

	for (i = 0; i < m->nr; i++) {
		const struct model_ext *e = &m->ext[i];
		u64 iova;

		for (iova = e->iova; iova < e->iova + e->size; iova += leaf.size) {
			KUNIT_ASSERT_EQ_MSG(test, iox_pgtable_lookup(r->pt, iova, &leaf), 0,
					    "iova %llx, step %u after %s", iova, r->step,
					    r->last);
			KUNIT_ASSERT_EQ(test, leaf.iova, iova);
			KUNIT_ASSERT_LE_MSG(test, iova + leaf.size, e->iova + e->size,
					    "leaf %llx+%llx, step %u after %s", iova,
					    leaf.size, r->step, r->last);
			KUNIT_ASSERT_EQ_MSG(test, leaf.paddr, e->pa + (iova - e->iova),
					    "iova %llx, step %u after %s", iova, r->step,
					    r->last);
			KUNIT_ASSERT_EQ(test, leaf.prot, e->prot);
		}
	}

	/* Every table page is reachable, or was handed to a gather. */
	KUNIT_ASSERT_EQ(test, iox_pgtable_audit(r->pt, &usage), 0);
	KUNIT_ASSERT_EQ_MSG(test, usage.mapped, m->bytes, "step %u after %s", r->step,
			    r->last);
	KUNIT_ASSERT_EQ(test, (long)usage.tables, iox_pgtable_live_pages(r->pt));
	KUNIT_ASSERT_EQ(test, (unsigned long)atomic_long_read(&r->pt->stats.pages_gathered),
			r->gathered);
}

static void random_unmap(struct random_run *r, u64 iova, size_t pgsize, size_t count,
			 bool inject)
{
	struct kunit *test = r->test;
	struct iox_iotlb_gather gather;
	u64 want = model_mapped_prefix(&r->model, iova, (u64)pgsize * count);
	long gathered = atomic_long_read(&r->pt->stats.pages_gathered);
	size_t got;
	int err;

	iox_iotlb_gather_init(&gather, false);
	err = iox_pgtable_unmap_pages(r->pt, iova, pgsize, count, &gather, &got);
	/* Done, a hole (where the model has one), or a shortage of memory. */
	if (got == (u64)pgsize * count)
		KUNIT_ASSERT_EQ(test, err, 0);
	else if (got != want)
		KUNIT_ASSERT_TRUE(test, inject && !got && err == -ENOMEM);
	else
		KUNIT_ASSERT_EQ(test, err, -ENOENT);
	scnprintf(r->last, sizeof(r->last), "unmap %llx %zx x%zu%s: %zx", iova, pgsize,
		  count, inject ? " (inject)" : "", got);
	if (!inject || got)
		KUNIT_ASSERT_EQ_MSG(test, (u64)got, want, "unmap %llx %zx x%zu", iova,
				    pgsize, count);
	if (got) {
		KUNIT_ASSERT_LE(test, gather.start, iova);
		KUNIT_ASSERT_GE(test, gather.end, iova + got - 1);
	} else {
		KUNIT_ASSERT_TRUE(test, iox_iotlb_gather_empty(&gather));
	}
	model_remove(&r->model, iova, got);
	KUNIT_ASSERT_EQ(test, (long)gather_release(&gather),
			atomic_long_read(&r->pt->stats.pages_gathered) - gathered);
	r->gathered = atomic_long_read(&r->pt->stats.pages_gathered);
}

static size_t random_pgsize(struct random_run *r)
{
	unsigned long bitmap = r->pt->pgsize_bitmap;
	u32 pick = rnd(r, 100);

	if (pick < 50)
		return SZ_4K;
	if (pick < 80)
		return SZ_2M;
	if (pick < 84)
		return SZ_1G;
	/* Any size the format has up to 64M (AMD-Vi overrides). */
	pick = 13 + rnd(r, 14);
	return (bitmap & BIT(pick)) ? BIT(pick) : SZ_4K;
}

static void random_map(struct random_run *r, bool inject)
{
	struct kunit *test = r->test;
	size_t pgsize = random_pgsize(r), mapped, count, free;
	u64 span, iova;
	phys_addr_t pa;
	int prot, ret;

	count = 1 + rnd(r, pgsize == SZ_4K ? 16 : pgsize >= SZ_1G ? 1 : 4);
	span = (pgsize < SZ_2M && rnd(r, 5)) ? r->hot : r->window;
	iova = (u64)rnd(r, span / pgsize - count + 1) * pgsize;
	pa = ((u64)prandom_u32_state(&r->rnd) << 12) & ~((u64)pgsize - 1);
	prot = 1 + rnd(r, 3);
	if (!rnd(r, 4))
		prot |= IOX_PROT_SNOOP;

	free = model_free_pages(&r->model, iova, pgsize, count);
	ret = iox_pgtable_map_pages(r->pt, iova, pa, pgsize, count, prot, GFP_KERNEL,
				    &mapped);
	scnprintf(r->last, sizeof(r->last), "map %llx %zx x%zu%s: %d %zx", iova, pgsize,
		  count, inject ? " (inject)" : "", ret, mapped);
	if (free == count && !inject)
		KUNIT_ASSERT_EQ(test, ret, 0);
	if (free < count)
		KUNIT_ASSERT_NE(test, ret, 0);
	if (ret == -ENOMEM) {
		KUNIT_ASSERT_TRUE(test, inject);
		KUNIT_ASSERT_LE(test, mapped, free * pgsize);
	} else if (ret) {
		KUNIT_ASSERT_EQ(test, ret, -EEXIST);
		KUNIT_ASSERT_EQ(test, mapped, free * pgsize);
	} else {
		KUNIT_ASSERT_EQ(test, mapped, count * pgsize);
	}
	KUNIT_ASSERT_EQ(test, mapped % pgsize, 0UL);
	model_add(&r->model, iova, mapped, pa, prot);
	/* Half the time undo a failed map's prefix, as the core does. */
	if (ret && mapped && rnd(r, 2))
		random_unmap(r, iova, pgsize, mapped / pgsize, false);
}

static void random_op(struct random_run *r)
{
	struct model *m = &r->model;
	bool inject = !rnd(r, 20);
	u32 op = rnd(r, 100);

	if (m->nr > m->max - 8)
		op = 40;	/* unmap: keep the model in bounds */
	if (inject)
		r->pt->alloc_fail_after = rnd(r, 3);

	if (op < 40 || !m->nr) {
		r->ops[0]++;
		random_map(r, inject);
	} else if (op < 60) {
		/* A whole extent, in the largest pages that fit it. */
		struct model_ext e = m->ext[rnd(r, m->nr)];
		unsigned long sizes = r->pt->pgsize_bitmap;
		size_t pgsize = SZ_4K;

		while (sizes) {
			size_t p = BIT(__fls(sizes));

			if (!((e.iova | e.size) & (p - 1))) {
				pgsize = p;
				break;
			}
			sizes &= ~p;
		}
		r->ops[1]++;
		random_unmap(r, e.iova, pgsize, e.size / pgsize, inject);
	} else if (op < 85) {
		/* Part of an extent: splits leaves at either end. */
		struct model_ext e = m->ext[rnd(r, m->nr)];
		u64 pages = e.size / SZ_4K;
		u64 first = rnd(r, pages);
		u64 count = 1 + rnd(r, min_t(u64, pages - first, 1024));

		r->ops[2]++;
		random_unmap(r, e.iova + first * SZ_4K, SZ_4K, count, inject);
	} else if (op < 90) {
		/* Any range: unmapping stops at the first hole. */
		r->ops[3]++;
		random_unmap(r, (u64)rnd(r, r->hot / SZ_4K) * SZ_4K, SZ_4K,
			     1 + rnd(r, 1024), inject);
	} else {
		/* iova_to_phys at a few points, mapped or not. */
		unsigned int k;

		r->ops[4]++;
		for (k = 0; k < 8; k++) {
			u64 iova = (u64)rnd(r, r->window / SZ_4K) * SZ_4K + rnd(r, SZ_4K);
			phys_addr_t want = 0;
			unsigned int i;

			if (k < 4 && m->nr) {
				struct model_ext *e = &m->ext[rnd(r, m->nr)];

				iova = e->iova + rnd(r, min_t(u64, e->size, U32_MAX));
			}
			for (i = 0; i < m->nr; i++)
				if (iova >= m->ext[i].iova &&
				    iova < m->ext[i].iova + m->ext[i].size)
					want = m->ext[i].pa + (iova - m->ext[i].iova);
			KUNIT_ASSERT_EQ_MSG(r->test, iox_pgtable_iova_to_phys(r->pt, iova), want,
					    "iova %llx", iova);
		}
	}
	r->pt->alloc_fail_after = -1;
}

#define RANDOM_OPS	10000

static void random_run(struct kunit *test, enum iox_pgtable_format format)
{
	struct random_run *r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);
	unsigned int n;
	u64 t0;

	KUNIT_ASSERT_NOT_NULL(test, r);
	r->test = test;
	r->pt = pt_new(test, format, 48, 48);
	r->window = 4ULL * SZ_1G;
	r->hot = SZ_64M;
	r->model.max = 128;
	r->model.ext = kunit_kcalloc(test, r->model.max, sizeof(*r->model.ext), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, r->model.ext);
	prandom_seed_state(&r->rnd, 0x10c5eed + format);
	t0 = ktime_get_ns();

	for (n = 0; n < RANDOM_OPS; n++) {
		r->step = n;
		random_op(r);
		random_check(r);
	}
	kunit_info(test, "%u ops in %llu ms: %lu map, %lu unmap, %lu partial, %lu range, %lu lookup; %ld pages allocated",
		   n, div_u64(ktime_get_ns() - t0, NSEC_PER_MSEC), r->ops[0], r->ops[1],
		   r->ops[2], r->ops[3], r->ops[4],
		   atomic_long_read(&r->pt->stats.pages_allocated));
	/* Every kind of operation ran, the splits and failures included. */
	for (n = 0; n < ARRAY_SIZE(r->ops); n++)
		KUNIT_EXPECT_GT(test, r->ops[n], 200UL);

	while (r->model.nr)
		random_unmap(r, r->model.ext[0].iova, SZ_4K, r->model.ext[0].size / SZ_4K,
			     false);
	random_check(r);
	expect_only_root(test, r->pt);
	pt_free(test, r->pt);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&r->pt->stats.pages_allocated),
			atomic_long_read(&r->pt->stats.pages_gathered) +
			atomic_long_read(&r->pt->stats.pages_freed));
}

static void pgtable_random_vtd(struct kunit *test)
{
	random_run(test, IOX_PGTABLE_VTD_SL);
}

static void pgtable_random_amd(struct kunit *test)
{
	random_run(test, IOX_PGTABLE_AMD_V1);
}

/*
 * A table is unlinked only by an unmap that covers its whole span: one
 * that covers part of it leaves it (empty) in place, since a walk for
 * another range might be using it.  A large page over such a table maps
 * through it.
 */
static void pgtable_tables_freed_when_covered(struct kunit *test)
{
	struct iox_pgtable *pt = pt_new(test, IOX_PGTABLE_VTD_SL, 48, 48);
	struct iox_iotlb_gather gather;
	struct iox_pgtable_usage usage;
	struct iox_pgtable_leaf leaf;

	/* Root and three tables down to the 4K leaves. */
	map_ok(test, pt, SZ_1G, 0, SZ_4K, 2, PROT_RW);
	KUNIT_EXPECT_EQ(test, iox_pgtable_live_pages(pt), 4L);

	/* Part of the leaf table: nothing is freed, even once it is empty. */
	iox_iotlb_gather_init(&gather, false);
	KUNIT_EXPECT_EQ(test, unmap_gather(pt, SZ_1G, SZ_4K, 2, &gather),
			(size_t)SZ_8K);
	KUNIT_EXPECT_EQ(test, gather_release(&gather), 0UL);
	KUNIT_EXPECT_EQ(test, iox_pgtable_live_pages(pt), 4L);
	KUNIT_EXPECT_EQ(test, iox_pgtable_audit(pt, &usage), 0);
	KUNIT_EXPECT_EQ(test, usage.empty, 1UL);
	KUNIT_EXPECT_EQ(test, usage.mapped, 0ULL);

	/* The empty table serves the next map without a new allocation. */
	map_ok(test, pt, SZ_1G, 0, SZ_4K, 512, PROT_RW);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&pt->stats.pages_allocated), 4L);

	/* A run over the leaf table's whole 2M span frees exactly it. */
	iox_iotlb_gather_init(&gather, false);
	KUNIT_EXPECT_EQ(test, unmap_gather(pt, SZ_1G, SZ_4K, 512, &gather),
			(size_t)SZ_2M);
	KUNIT_EXPECT_EQ(test, gather_release(&gather), 1UL);
	KUNIT_EXPECT_EQ(test, iox_pgtable_live_pages(pt), 3L);

	/* A run that reaches an unmapped IOVA frees nothing it did not cover. */
	map_ok(test, pt, SZ_1G, 0, SZ_4K, 511, PROT_RW);
	iox_iotlb_gather_init(&gather, false);
	KUNIT_EXPECT_EQ(test, unmap_gather(pt, SZ_1G, SZ_4K, 512, &gather),
			(size_t)511 * SZ_4K);
	KUNIT_EXPECT_EQ(test, gather_release(&gather), 0UL);
	KUNIT_EXPECT_EQ(test, iox_pgtable_live_pages(pt), 4L);
	expect_only_root(test, pt);

	/* A 2M page over the empty table maps through it, in 4K leaves... */
	map_ok(test, pt, SZ_1G, SZ_4G, SZ_2M, 1, IOX_PROT_READ);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&pt->stats.pages_allocated), 5L);
	expect_translation(test, pt, SZ_1G, SZ_4G, SZ_2M, 0, 0);
	KUNIT_ASSERT_EQ(test, iox_pgtable_lookup(pt, SZ_1G + SZ_2M - 1, &leaf), 0);
	KUNIT_EXPECT_EQ(test, leaf.level, 1U);
	KUNIT_EXPECT_EQ(test, leaf.prot, IOX_PROT_READ);
	/* ...but not over a table that still maps something. */
	map_ok(test, pt, SZ_1G + SZ_2M + SZ_4K, 0, SZ_4K, 1, PROT_RW);
	KUNIT_EXPECT_EQ(test, iox_pgtable_map_pages(pt, SZ_1G + SZ_2M, 0, SZ_2M, 1,
						    PROT_RW, GFP_KERNEL, NULL), -EEXIST);
	KUNIT_EXPECT_EQ(test, iox_pgtable_iova_to_phys(pt, SZ_1G + SZ_2M), 0ULL);
	/* Unmapping the 2M page frees the table it went through. */
	iox_iotlb_gather_init(&gather, false);
	KUNIT_EXPECT_EQ(test, unmap_gather(pt, SZ_1G, SZ_2M, 1, &gather),
			(size_t)SZ_2M);
	KUNIT_EXPECT_EQ(test, gather_release(&gather), 1UL);
	KUNIT_EXPECT_EQ(test, unmap_now(pt, SZ_1G + SZ_2M + SZ_4K, SZ_4K, 1), (size_t)SZ_4K);
	expect_only_root(test, pt);
	pt_free(test, pt);
}

static struct kunit_case pgtable_cases[] = {
	KUNIT_CASE(pgtable_vtd_encoding),
	KUNIT_CASE(pgtable_amd_encoding),
	KUNIT_CASE(pgtable_levels_and_edges),
	KUNIT_CASE(pgtable_refusals),
	KUNIT_CASE(pgtable_split_superpage),
	KUNIT_CASE(pgtable_amd_split_override),
	KUNIT_CASE(pgtable_split_without_memory),
	KUNIT_CASE(pgtable_run_walks_each_table_once),
	KUNIT_CASE(pgtable_run_fast_path_hands_over),
	KUNIT_CASE(pgtable_noncoherent_flush_batching),
	KUNIT_CASE(pgtable_random_vtd),
	KUNIT_CASE(pgtable_random_amd),
	KUNIT_CASE(pgtable_tables_freed_when_covered),
	{}
};

static struct kunit_suite pgtable_suite = {
	.name = "iox-pgtable",
	.test_cases = pgtable_cases,
};

/*
 * ----- concurrent map and unmap of disjoint ranges -----
 *
 * Threads on every CPU share one table with no lock, each working on its
 * own IOVAs, laid out so that they meet in the same tables: interleaved
 * 4K pages (every install of a table is contended), a 4K page cut out of
 * the same large leaves (contended splits, and for AMD-Vi 1M pages the
 * rewrite of override slots), and a private 2M of 4K pages mapped and
 * unmapped whole (its leaf table installed beside the others' and freed by
 * the covering unmap).  A fresh table each round makes the installs race
 * again.  Lost or misplaced entries show as wrong translations, freed
 * tables still in use as KASAN reports.
 */
#define SMP_ROUNDS	60
#define SMP_PAGES	64
#define SMP_SPLITS	8
#define SMP_PAGES_BASE	SZ_1G
#define SMP_SPLIT_BASE	(4ULL * SZ_1G)
#define SMP_SPLIT_PA	(16ULL * SZ_1G)
#define SMP_OWN_BASE	(8ULL * SZ_1G)

struct smp_ctx {
	struct iox_pgtable *pt;
	unsigned int nr;
	size_t leaf;
	struct completion go;
	struct completion done;
	atomic_t running;
	atomic_t errors;
	char first_error[96];
};

struct smp_thread {
	struct smp_ctx *ctx;
	unsigned int id;
};

static u64 smp_pa(u64 iova, unsigned int id)
{
	return iova + ((u64)(id + 1) << 36);
}

static void smp_fail(struct smp_ctx *ctx, const char *what, u64 iova, u64 got)
{
	if (atomic_inc_return(&ctx->errors) == 1)
		scnprintf(ctx->first_error, sizeof(ctx->first_error),
			  "%s at %#llx: %#llx", what, iova, got);
}

/* Unmap a run; check the bytes and how many table pages it freed. */
static void smp_unmap(struct smp_ctx *ctx, u64 iova, size_t pgcount,
		      unsigned long tables)
{
	struct iox_iotlb_gather gather;
	unsigned long freed;
	size_t got;
	int err;

	iox_iotlb_gather_init(&gather, false);
	err = iox_pgtable_unmap_pages(ctx->pt, iova, SZ_4K, pgcount, &gather, &got);
	freed = gather_release(&gather);
	if (err || got != pgcount * SZ_4K)
		smp_fail(ctx, "unmap", iova, got);
	if (freed != tables)
		smp_fail(ctx, "tables freed", iova, freed);
}

static void smp_map(struct smp_ctx *ctx, unsigned int id, u64 iova,
		    size_t pgcount)
{
	int ret = iox_pgtable_map_pages(ctx->pt, iova, smp_pa(iova, id), SZ_4K,
					pgcount, PROT_RW, GFP_KERNEL, NULL);

	if (ret)
		smp_fail(ctx, "map", iova, ret);
}

static void smp_expect(struct smp_ctx *ctx, u64 iova, phys_addr_t want)
{
	phys_addr_t got = iox_pgtable_iova_to_phys(ctx->pt, iova);

	if (got != want)
		smp_fail(ctx, "translation", iova, got);
}

static int smp_thread_fn(void *data)
{
	struct smp_thread *t = data;
	struct smp_ctx *ctx = t->ctx;
	u64 own = SMP_OWN_BASE + (u64)t->id * SZ_2M, iova;
	unsigned int k;

	wait_for_completion(&ctx->go);
	for (k = 0; k < SMP_PAGES; k++)
		smp_map(ctx, t->id, SMP_PAGES_BASE + (u64)(k * ctx->nr + t->id) * SZ_4K, 1);
	for (k = 0; k < SMP_SPLITS; k++)
		smp_unmap(ctx, SMP_SPLIT_BASE + (u64)k * SZ_2M + t->id * SZ_8K, 1, 0);

	smp_map(ctx, t->id, own, SZ_2M / SZ_4K);
	smp_expect(ctx, own, smp_pa(own, t->id));
	smp_expect(ctx, own + SZ_2M - SZ_4K, smp_pa(own + SZ_2M - SZ_4K, t->id));
	smp_unmap(ctx, own, SZ_2M / SZ_4K, 1);

	for (k = 0; k < SMP_PAGES; k++) {
		iova = SMP_PAGES_BASE + (u64)(k * ctx->nr + t->id) * SZ_4K;
		smp_expect(ctx, iova, smp_pa(iova, t->id));
		smp_unmap(ctx, iova, 1, 0);
	}
	if (atomic_dec_and_test(&ctx->running))
		complete(&ctx->done);
	return 0;
}

static void smp_start(struct kunit *test, struct smp_ctx *ctx,
		      struct smp_thread *threads, int (*fn)(void *data))
{
	unsigned int i, cpu = cpumask_first(cpu_online_mask);

	init_completion(&ctx->go);
	init_completion(&ctx->done);
	atomic_set(&ctx->running, ctx->nr);
	for (i = 0; i < ctx->nr; i++) {
		struct task_struct *task;

		threads[i] = (struct smp_thread){ .ctx = ctx, .id = i };
		task = kthread_create(fn, &threads[i], "iox-pt/%u", i);
		KUNIT_ASSERT_FALSE(test, IS_ERR(task));
		kthread_bind(task, cpu);
		wake_up_process(task);
		cpu = cpumask_next(cpu, cpu_online_mask);
		if (cpu >= nr_cpu_ids)
			cpu = cpumask_first(cpu_online_mask);
	}
	complete_all(&ctx->go);
	wait_for_completion(&ctx->done);
}

/* After a round: exactly the large leaves minus every thread's cut. */
static void smp_check(struct kunit *test, struct smp_ctx *ctx)
{
	struct iox_pgtable_usage usage;
	unsigned int k, id;

	KUNIT_ASSERT_EQ_MSG(test, atomic_read(&ctx->errors), 0, "%s", ctx->first_error);
	KUNIT_ASSERT_EQ(test, iox_pgtable_audit(ctx->pt, &usage), 0);
	KUNIT_ASSERT_EQ(test, usage.mapped, (u64)SMP_SPLITS * (ctx->leaf - ctx->nr * SZ_4K));
	KUNIT_ASSERT_EQ(test, (long)usage.tables, iox_pgtable_live_pages(ctx->pt));
	for (k = 0; k < SMP_SPLITS; k++) {
		u64 leaf = SMP_SPLIT_BASE + (u64)k * SZ_2M;

		for (id = 0; id < ctx->nr; id++) {
			u64 cut = leaf + id * SZ_8K;

			KUNIT_ASSERT_EQ(test, iox_pgtable_iova_to_phys(ctx->pt, cut), 0ULL);
			KUNIT_ASSERT_EQ(test, iox_pgtable_iova_to_phys(ctx->pt, cut + SZ_4K),
					SMP_SPLIT_PA + (cut + SZ_4K - SMP_SPLIT_BASE));
		}
	}
}

static void smp_run(struct kunit *test, enum iox_pgtable_format format)
{
	unsigned int cpus = num_online_cpus(), round, k;
	struct smp_thread *threads;
	struct smp_ctx *ctx;

	ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ctx);
	ctx->nr = max(4U, 2 * cpus);
	threads = kunit_kcalloc(test, ctx->nr, sizeof(*threads), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, threads);
	kunit_info(test, "%u threads on %u online CPU(s)%s", ctx->nr, cpus,
		   cpus < 2 ? ": no real concurrency here, run make kunit-qemu" : "");

	for (round = 0; round < SMP_ROUNDS; round++) {
		/* AMD-Vi: every other round, 1M override pages to cut. */
		ctx->leaf = format == IOX_PGTABLE_AMD_V1 && (round & 1) ? SZ_1M : SZ_2M;
		ctx->pt = pt_new(test, format, 48, 48);
		for (k = 0; k < SMP_SPLITS; k++)
			map_ok(test, ctx->pt, SMP_SPLIT_BASE + (u64)k * SZ_2M,
			       SMP_SPLIT_PA + (u64)k * SZ_2M, ctx->leaf, 1, PROT_RW);
		smp_start(test, ctx, threads, smp_thread_fn);
		smp_check(test, ctx);
		pt_free(test, ctx->pt);
		KUNIT_ASSERT_EQ(test, atomic_long_read(&ctx->pt->stats.pages_allocated),
				atomic_long_read(&ctx->pt->stats.pages_gathered) +
				atomic_long_read(&ctx->pt->stats.pages_freed));
		kunit_kfree(test, ctx->pt);
	}
}

static void pgtable_smp_disjoint_vtd(struct kunit *test)
{
	smp_run(test, IOX_PGTABLE_VTD_SL);
}

static void pgtable_smp_disjoint_amd(struct kunit *test)
{
	smp_run(test, IOX_PGTABLE_AMD_V1);
}

#define SMP_COUNT_PAIRS	2000

/* Map and unmap one page of the thread's own leaf table, many times. */
static int smp_count_fn(void *data)
{
	struct smp_thread *t = data;
	struct smp_ctx *ctx = t->ctx;
	u64 iova = SMP_OWN_BASE + (u64)t->id * SZ_2M;
	unsigned int k;

	wait_for_completion(&ctx->go);
	for (k = 0; k < SMP_COUNT_PAIRS; k++) {
		smp_map(ctx, t->id, iova, 1);
		smp_unmap(ctx, iova, 1, 0);
	}
	if (atomic_dec_and_test(&ctx->running))
		complete(&ctx->done);
	return 0;
}

/*
 * Each CPU counts the walks it runs, so no count is lost while walks run
 * at once on every CPU (and no counter's cache line is shared): threads
 * mapping and unmapping one page each in their own leaf tables visit
 * every level once per map and once per unmap.
 */
static void pgtable_smp_counters_exact(struct kunit *test)
{
	unsigned int cpus = num_online_cpus(), id, level;
	struct smp_thread *threads;
	struct smp_ctx *ctx;
	unsigned long want;

	ctx = kunit_kzalloc(test, sizeof(*ctx), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ctx);
	ctx->nr = max(4U, 2 * cpus);
	threads = kunit_kcalloc(test, ctx->nr, sizeof(*threads), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, threads);
	ctx->pt = pt_new(test, IOX_PGTABLE_VTD_SL, 48, 48);
	/* Every thread's leaf table exists before the counting starts. */
	for (id = 0; id < ctx->nr; id++) {
		u64 iova = SMP_OWN_BASE + (u64)id * SZ_2M;

		map_ok(test, ctx->pt, iova, 0, SZ_4K, 1, PROT_RW);
		KUNIT_ASSERT_EQ(test, unmap_now(ctx->pt, iova, SZ_4K, 1), (size_t)SZ_4K);
	}
	visits_reset(ctx->pt);
	smp_start(test, ctx, threads, smp_count_fn);
	KUNIT_ASSERT_EQ_MSG(test, atomic_read(&ctx->errors), 0, "%s", ctx->first_error);
	want = 2UL * SMP_COUNT_PAIRS * ctx->nr;
	for (level = 1; level <= ctx->pt->levels; level++)
		KUNIT_EXPECT_EQ_MSG(test, visits(ctx->pt, level), want,
				    "level %u, %u threads on %u CPU(s)", level, ctx->nr, cpus);
	pt_free(test, ctx->pt);
}

static struct kunit_case pgtable_smp_cases[] = {
	KUNIT_CASE(pgtable_smp_disjoint_vtd),
	KUNIT_CASE(pgtable_smp_disjoint_amd),
	KUNIT_CASE(pgtable_smp_counters_exact),
	{}
};

static struct kunit_suite pgtable_smp_suite = {
	.name = "iox-pgtable-smp",
	.test_cases = pgtable_smp_cases,
};

kunit_test_suites(&pgtable_suite, &pgtable_smp_suite);

MODULE_DESCRIPTION("KUnit tests for the iox page-table library");
MODULE_LICENSE("GPL");
