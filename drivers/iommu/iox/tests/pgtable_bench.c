// SPDX-License-Identifier: GPL-2.0
/*
 * Benchmark of the iox page-table library: nanoseconds per map and per
 * unmap of one run, for 1x4K, 256x4K and 1x2M, in both formats.  The tables
 * on the path stay allocated (a neighbouring page keeps them alive), as in
 * steady DMA-API use; table allocation is not what is measured.
 *
 * There is no reference beside it: the kernel's own VT-d and AMD-Vi page
 * tables cannot be built on UML.  The figures are absolute.
 */
#include <kunit/test.h>
#include <linux/iox.h>
#include <linux/iox-pgtable.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/sizes.h>

#define BENCH_ROUNDS	2000

struct bench_case {
	const char *name;
	size_t pgsize;
	size_t pgcount;
	u64 iova;
};

/* 4K runs in [0, 2M), the 2M run at 2M; the anchor page at 2M - 4K. */
static const struct bench_case bench_cases[] = {
	{ "1x4K", SZ_4K, 1, 0 },
	{ "256x4K", SZ_4K, 256, 0 },
	{ "1x2M", SZ_2M, 1, SZ_2M },
};

/*
 * A KTAP diagnostic line that reads "# bench: ..." (kunit_info() would put
 * the test name in between), which is what make bench collects.
 */
static void bench_report(struct kunit *test, const char *fmt_name, const char *op,
			 const char *run, u64 total_ns)
{
	kunit_log(KERN_INFO, test, KUNIT_SUBTEST_INDENT "# bench: pgtable %s %s %s: %llu ns\n",
		  fmt_name, op, run, div_u64(total_ns, BENCH_ROUNDS));
}

static void bench_format(struct kunit *test, enum iox_pgtable_format format,
			 const char *fmt_name)
{
	struct iox_pgtable_cfg cfg = {
		.format = format, .ias = 48, .oas = 48, .coherent = true,
	};
	struct iox_pgtable *pt = kunit_kzalloc(test, sizeof(*pt), GFP_KERNEL);
	struct iox_iotlb_gather gather;
	unsigned int c, i;
	size_t mapped, unmapped;

	KUNIT_ASSERT_NOT_NULL(test, pt);
	KUNIT_ASSERT_EQ(test, iox_pgtable_init(pt, &cfg, GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, iox_pgtable_map_pages(pt, SZ_2M - SZ_4K, 0, SZ_4K, 1,
						    IOX_PROT_READ, GFP_KERNEL, &mapped), 0);

	for (c = 0; c < ARRAY_SIZE(bench_cases); c++) {
		const struct bench_case *bc = &bench_cases[c];
		size_t bytes = bc->pgsize * bc->pgcount;
		u64 map_ns = 0, unmap_ns = 0, t0, t1, t2;

		for (i = 0; i < BENCH_ROUNDS; i++) {
			iox_iotlb_gather_init(&gather, false);
			t0 = ktime_get_ns();
			if (iox_pgtable_map_pages(pt, bc->iova, SZ_1G, bc->pgsize,
						  bc->pgcount, IOX_PROT_READ |
						  IOX_PROT_WRITE, GFP_KERNEL, &mapped))
				break;
			t1 = ktime_get_ns();
			if (iox_pgtable_unmap_pages(pt, bc->iova, bc->pgsize, bc->pgcount,
						    &gather, &unmapped) || unmapped != bytes)
				break;
			t2 = ktime_get_ns();
			map_ns += t1 - t0;
			unmap_ns += t2 - t1;
			put_pages_list(&gather.freelist);
		}
		KUNIT_ASSERT_EQ_MSG(test, i, BENCH_ROUNDS, "%s %s failed", fmt_name, bc->name);
		bench_report(test, fmt_name, "map", bc->name, map_ns);
		bench_report(test, fmt_name, "unmap", bc->name, unmap_ns);
	}
	/* The anchor kept every table: nothing was allocated per round. */
	KUNIT_EXPECT_EQ(test, iox_pgtable_live_pages(pt), 4L);
	iox_pgtable_destroy(pt);
}

static void bench_pgtable_vtd(struct kunit *test)
{
	bench_format(test, IOX_PGTABLE_VTD_SL, "vtd");
}

static void bench_pgtable_amd(struct kunit *test)
{
	bench_format(test, IOX_PGTABLE_AMD_V1, "amd");
}

static struct kunit_case bench_pgtable_cases[] = {
	KUNIT_CASE(bench_pgtable_vtd),
	KUNIT_CASE(bench_pgtable_amd),
	{}
};

static struct kunit_suite bench_pgtable_suite = {
	.name = "iox-bench-pgtable",
	.test_cases = bench_pgtable_cases,
};

kunit_test_suite(bench_pgtable_suite);

MODULE_DESCRIPTION("Benchmark of the iox page-table library");
MODULE_LICENSE("GPL");
