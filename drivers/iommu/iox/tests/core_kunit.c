// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the iox core: map/unmap dispatch, unwinding, the IOTLB
 * gather, attach/detach and capability intersection, statistics and
 * tracepoints, against a mock backend that records every call.
 */
#include <kunit/test.h>
#include <linux/device.h>
#include <linux/idr.h>
#include <linux/iox.h>
#include <linux/iox-flush-queue.h>
#include <linux/iox-iova.h>
#include <linux/mm.h>
#include <linux/sched.h>
#include <linux/scatterlist.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/tracepoint.h>

#include "../iox-internal.h"

#define PGS_4K_2M_1G	(SZ_4K | SZ_2M | SZ_1G)
#define MOCK_CALLS	64
#define MOCK_MAPPINGS	64

enum mock_op { MOCK_MAP, MOCK_UNMAP, MOCK_SYNC, MOCK_SYNC_MAP, MOCK_FLUSH_ALL };

struct mock_call {
	enum mock_op op;
	u64 iova;
	phys_addr_t paddr;
	size_t pgsize;
	size_t pgcount;
	u64 gather_start;
	u64 gather_end;
};

struct mock_mapping {
	u64 iova;
	phys_addr_t paddr;
	u64 size;
};

/* The mock's page table is a list of mapped ranges; calls are recorded. */
struct mock_domain {
	struct iox_domain domain;
	struct mock_call calls[MOCK_CALLS];
	int nr_calls;
	struct mock_mapping maps[MOCK_MAPPINGS];
	int nr_maps;
	int nr_map_calls;
	int fail_map_call;	/* 1-based map_pages call that fails, 0: none */
	size_t fail_pages;	/* whole pages that failing call maps first */
	int fail_sync_map;	/* errno iotlb_sync_map returns */
	int nr_unmap_calls;
	int nomem_unmap_call;	/* 1-based unmap_pages call short of memory */
	int fail_sync;		/* errno iotlb_sync and flush_iotlb_all return */
	struct page *table;	/* freed into the gather by the next unmap */
};

static struct mock_domain *to_mock(struct iox_domain *domain)
{
	return container_of(domain, struct mock_domain, domain);
}

static void mock_record(struct mock_domain *md, struct mock_call call)
{
	if (md->nr_calls < MOCK_CALLS)
		md->calls[md->nr_calls] = call;
	md->nr_calls++;
}

static int mock_count(struct mock_domain *md, enum mock_op op)
{
	int i, n = 0;

	for (i = 0; i < min(md->nr_calls, MOCK_CALLS); i++)
		n += md->calls[i].op == op;
	return n;
}

static struct mock_mapping *mock_find(struct mock_domain *md, u64 iova)
{
	int i;

	for (i = 0; i < md->nr_maps; i++)
		if (iova >= md->maps[i].iova && iova - md->maps[i].iova < md->maps[i].size)
			return &md->maps[i];
	return NULL;
}

static bool mock_overlaps(struct mock_domain *md, u64 iova, u64 size)
{
	int i;

	for (i = 0; i < md->nr_maps; i++)
		if (iova < md->maps[i].iova + md->maps[i].size &&
		    md->maps[i].iova < iova + size)
			return true;
	return false;
}

static void mock_add(struct mock_domain *md, u64 iova, phys_addr_t paddr, u64 size)
{
	if (!WARN_ON(md->nr_maps == MOCK_MAPPINGS))
		md->maps[md->nr_maps++] = (struct mock_mapping){ iova, paddr, size };
}

static int mock_map_pages(struct iox_domain *domain, u64 iova, phys_addr_t paddr,
			  size_t pgsize, size_t pgcount, int prot, gfp_t gfp,
			  size_t *mapped)
{
	struct mock_domain *md = to_mock(domain);
	u64 size = (u64)pgsize * pgcount;

	mock_record(md, (struct mock_call){ MOCK_MAP, iova, paddr, pgsize, pgcount });
	md->nr_map_calls++;
	*mapped = 0;
	if (mock_overlaps(md, iova, size))
		return -EEXIST;
	if (md->nr_map_calls == md->fail_map_call) {
		/* The contract: whole pages from the start of the run. */
		size_t bytes = min(md->fail_pages, pgcount) * pgsize;

		if (bytes) {
			mock_add(md, iova, paddr, bytes);
			*mapped = bytes;
		}
		return -ENOMEM;
	}
	mock_add(md, iova, paddr, size);
	*mapped = size;
	return 0;
}

/*
 * Remove [iova, iova + size) from the list, stopping at a hole; the call
 * chosen by nomem_unmap_call fails as a split short of memory would.
 */
static int mock_unmap_pages(struct iox_domain *domain, u64 iova, size_t pgsize,
			    size_t pgcount, struct iox_iotlb_gather *gather,
			    size_t *unmapped)
{
	struct mock_domain *md = to_mock(domain);
	u64 end = iova + (u64)pgsize * pgcount, cur = iova;
	struct mock_mapping *m;

	mock_record(md, (struct mock_call){ MOCK_UNMAP, iova, 0, pgsize, pgcount });
	*unmapped = 0;
	if (++md->nr_unmap_calls == md->nomem_unmap_call)
		return -ENOMEM;
	while (cur < end && (m = mock_find(md, cur))) {
		u64 m_end = m->iova + m->size;
		struct mock_mapping old = *m;

		*m = md->maps[--md->nr_maps];
		if (old.iova < cur)
			mock_add(md, old.iova, old.paddr, cur - old.iova);
		if (m_end > end)
			mock_add(md, end, old.paddr + (end - old.iova), m_end - end);
		cur = min(m_end, end);
	}
	if (cur > iova)
		iox_iotlb_gather_add_range(gather, iova, cur - iova, pgsize);
	if (cur > iova && md->table) {
		iox_iotlb_gather_free_page(gather, md->table);
		md->table = NULL;
	}
	*unmapped = cur - iova;
	return cur == end ? 0 : -ENOENT;
}

static int mock_iotlb_sync(struct iox_domain *domain, struct iox_iotlb_gather *gather)
{
	struct mock_call call = {
		.op = MOCK_SYNC,
		.gather_start = gather->start,
		.gather_end = gather->end,
	};

	mock_record(to_mock(domain), call);
	return to_mock(domain)->fail_sync;
}

static int mock_iotlb_sync_map(struct iox_domain *domain, u64 iova, size_t size)
{
	struct mock_domain *md = to_mock(domain);

	/* pgsize holds the length of the range. */
	mock_record(md, (struct mock_call){ .op = MOCK_SYNC_MAP, .iova = iova, .pgsize = size });
	return md->fail_sync_map;
}

static int mock_flush_iotlb_all(struct iox_domain *domain)
{
	mock_record(to_mock(domain), (struct mock_call){ .op = MOCK_FLUSH_ALL });
	return to_mock(domain)->fail_sync;
}

static phys_addr_t mock_iova_to_phys(struct iox_domain *domain, u64 iova)
{
	struct mock_mapping *m = mock_find(to_mock(domain), iova);

	return m ? m->paddr + (iova - m->iova) : 0;
}

static int mock_attach_fail;
static int mock_detach_fail;

/* Set: attach_dev joins the unit, then fails as if its undo failed too. */
static bool mock_attach_stays_joined;
static struct iox_domain_unit *mock_joined;
static DEFINE_IDA(mock_domain_ids);

static int mock_attach_dev(struct iox_domain *domain, struct iox_unit *unit,
			   struct device *dev)
{
	if (mock_attach_stays_joined) {
		mock_joined = iox_domain_unit_join(domain, unit, &mock_domain_ids, 1, 100);
		return IS_ERR(mock_joined) ? PTR_ERR(mock_joined) : -EIO;
	}
	return mock_attach_fail;
}

static int mock_detach_dev(struct iox_domain *domain, struct iox_unit *unit,
			   struct device *dev)
{
	return mock_detach_fail;
}

static void mock_free(struct iox_domain *domain)
{
	kfree(to_mock(domain));
}

static const struct iox_domain_ops mock_domain_ops = {
	.map_pages = mock_map_pages,
	.unmap_pages = mock_unmap_pages,
	.iotlb_sync = mock_iotlb_sync,
	.iotlb_sync_map = mock_iotlb_sync_map,
	.flush_iotlb_all = mock_flush_iotlb_all,
	.iova_to_phys = mock_iova_to_phys,
	.attach_dev = mock_attach_dev,
	.detach_dev = mock_detach_dev,
	.free = mock_free,
};

static struct iox_domain *mock_domain_alloc(struct iox_unit *unit)
{
	struct mock_domain *md = kzalloc(sizeof(*md), GFP_KERNEL);

	if (!md)
		return ERR_PTR(-ENOMEM);
	md->domain.ops = &mock_domain_ops;
	return &md->domain;
}

/*
 * Units: mock_wide (4K|2M|1G, 48 bits) serves devices 0 and 1, mock_narrow
 * (4K, 39 bits) device 2, mock_other (another backend) device 3, mock_plain
 * (like mock_wide, but neither coherent nor with snoop control) device 5;
 * device 4 has no unit.
 */
#define NR_DEVS 6
static struct device *mock_devs[NR_DEVS];
static struct iox_unit mock_units[4];

static bool mock_serves(struct iox_unit *unit, struct device *dev)
{
	int u = unit - mock_units;

	return (u == 0 && (dev == mock_devs[0] || dev == mock_devs[1])) ||
	       (u == 1 && dev == mock_devs[2]) || (u == 2 && dev == mock_devs[3]) ||
	       (u == 3 && dev == mock_devs[5]);
}

static void mock_show(struct iox_unit *unit, struct seq_file *m)
{
}

static const struct iox_unit_ops mock_unit_ops = {
	.show = mock_show,
	.serves = mock_serves,
	.domain_alloc = mock_domain_alloc,
};

/* Same callbacks, different ops: a unit of another backend. */
static const struct iox_unit_ops mock_other_unit_ops = {
	.show = mock_show,
	.serves = mock_serves,
	.domain_alloc = mock_domain_alloc,
};

static int iox_core_suite_init(struct kunit_suite *suite)
{
	static const struct {
		const char *name;
		const struct iox_unit_ops *ops;
		unsigned long pgsizes;
		unsigned int ias;
		bool plain;
	} units[] = {
		{ "mock_wide", &mock_unit_ops, PGS_4K_2M_1G, 48 },
		{ "mock_narrow", &mock_unit_ops, SZ_4K, 39 },
		{ "mock_other", &mock_other_unit_ops, PGS_4K_2M_1G, 48 },
		{ "mock_plain", &mock_unit_ops, PGS_4K_2M_1G, 48, true },
	};
	int i, ret;

	for (i = 0; i < NR_DEVS; i++) {
		char name[24];

		snprintf(name, sizeof(name), "iox-mock-dev%d", i);
		mock_devs[i] = root_device_register(name);
		if (IS_ERR(mock_devs[i]))
			return PTR_ERR(mock_devs[i]);
	}
	for (i = 0; i < ARRAY_SIZE(units); i++) {
		strscpy(mock_units[i].name, units[i].name, sizeof(mock_units[i].name));
		mock_units[i].ops = units[i].ops;
		mock_units[i].pgsize_bitmap = units[i].pgsizes;
		mock_units[i].ias = units[i].ias;
		mock_units[i].lazy_ok = true;
		mock_units[i].coherent = !units[i].plain;
		mock_units[i].force_snoop = !units[i].plain;
		ret = iox_unit_register(&mock_units[i]);
		if (ret)
			return ret;
	}
	return 0;
}

static void iox_core_suite_exit(struct kunit_suite *suite)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(mock_units); i++)
		iox_unit_unregister(&mock_units[i]);
	for (i = 0; i < NR_DEVS; i++)
		root_device_unregister(mock_devs[i]);
}

/* Each test gets a fresh domain on mock_wide. */
static int iox_core_test_init(struct kunit *test)
{
	struct iox_domain *domain = iox_domain_alloc(&mock_units[0]);

	if (IS_ERR(domain))
		return PTR_ERR(domain);
	/* As if a unit caching not-present entries had joined: maps sync. */
	domain->sync_map = true;
	mock_attach_fail = 0;
	mock_detach_fail = 0;
	test->priv = to_mock(domain);
	return 0;
}

static void iox_core_test_exit(struct kunit *test)
{
	struct mock_domain *md = test->priv;
	int i;

	mock_units[1].lazy_ok = true;
	if (!md)
		return;	/* the test freed its domain */

	for (i = 0; i < NR_DEVS; i++)
		if (iox_device_domain(mock_devs[i]) == &md->domain)
			iox_detach_device(&md->domain, mock_devs[i]);
	iox_domain_free(&md->domain);
}

static void expect_call(struct kunit *test, struct mock_domain *md, int i,
			enum mock_op op, u64 iova, phys_addr_t paddr, size_t pgsize,
			size_t pgcount)
{
	KUNIT_ASSERT_LT(test, i, min(md->nr_calls, MOCK_CALLS));
	KUNIT_EXPECT_EQ_MSG(test, md->calls[i].op, op, "call %d", i);
	KUNIT_EXPECT_EQ_MSG(test, md->calls[i].iova, iova, "call %d", i);
	if (op == MOCK_MAP)
		KUNIT_EXPECT_EQ_MSG(test, md->calls[i].paddr, paddr, "call %d", i);
	KUNIT_EXPECT_EQ_MSG(test, md->calls[i].pgsize, pgsize, "call %d", i);
	KUNIT_EXPECT_EQ_MSG(test, md->calls[i].pgcount, pgcount, "call %d", i);
}

static void map_gigabyte_in_one_call(struct kunit *test)
{
	struct mock_domain *md = test->priv;
	struct iox_domain *d = &md->domain;

	/* 2M-aligned but not congruent modulo 1G: one run of 512 2M pages. */
	KUNIT_ASSERT_EQ(test, iox_map(d, SZ_2M, SZ_1G + SZ_4M, SZ_1G, IOX_PROT_READ,
				      GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, md->nr_calls, 2);
	expect_call(test, md, 0, MOCK_MAP, SZ_2M, SZ_1G + SZ_4M, SZ_2M, 512);
	KUNIT_EXPECT_EQ(test, md->calls[1].op, MOCK_SYNC_MAP);

	/* 1G-aligned on both sides: a single 1G page. */
	KUNIT_ASSERT_EQ(test, iox_map(d, 4ULL * SZ_1G, SZ_2G, SZ_1G, IOX_PROT_WRITE,
				      GFP_KERNEL), 0);
	expect_call(test, md, 2, MOCK_MAP, 4ULL * SZ_1G, SZ_2G, SZ_1G, 1);
	KUNIT_EXPECT_EQ(test, mock_count(md, MOCK_MAP), 2);
}

static void map_mixed_alignment(struct kunit *test)
{
	struct mock_domain *md = test->priv;
	const u64 iova = SZ_2M - SZ_4K;
	const phys_addr_t pa = SZ_4M - SZ_4K;

	KUNIT_ASSERT_EQ(test, iox_map(&md->domain, iova, pa, SZ_4K + SZ_2M + SZ_4K,
				      IOX_PROT_READ | IOX_PROT_WRITE, GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, mock_count(md, MOCK_MAP), 3);
	expect_call(test, md, 0, MOCK_MAP, iova, pa, SZ_4K, 1);
	expect_call(test, md, 1, MOCK_MAP, iova + SZ_4K, pa + SZ_4K, SZ_2M, 1);
	expect_call(test, md, 2, MOCK_MAP, iova + SZ_4K + SZ_2M, pa + SZ_4K + SZ_2M, SZ_4K, 1);
	/* One sync_map for the whole range, not one per run. */
	KUNIT_EXPECT_EQ(test, mock_count(md, MOCK_SYNC_MAP), 1);
	KUNIT_EXPECT_EQ(test, md->calls[3].iova, iova);
	KUNIT_EXPECT_EQ(test, md->calls[3].pgsize, SZ_4K + SZ_2M + SZ_4K);
}

/*
 * Maps make their entries visible (iotlb_sync_map) only in a domain that a
 * unit needing it joined: none before, every map after.
 */
static void map_syncs_once_a_unit_needs_it(struct kunit *test)
{
	struct iox_unit needy = { .name = "mock_needy", .sync_map = true };
	struct iox_domain *d = iox_domain_alloc(&mock_units[0]);
	struct iox_domain_unit *du;
	struct mock_domain *md;
	struct ida ids;

	ida_init(&ids);
	KUNIT_ASSERT_FALSE(test, IS_ERR(d));
	md = to_mock(d);
	KUNIT_EXPECT_EQ(test, iox_map(d, 0, 0, SZ_4K, IOX_PROT_READ, GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, mock_count(md, MOCK_MAP), 1);
	KUNIT_EXPECT_EQ(test, mock_count(md, MOCK_SYNC_MAP), 0);

	mutex_lock(&d->lock);
	du = iox_domain_unit_join(d, &needy, &ids, 1, 1);
	mutex_unlock(&d->lock);
	KUNIT_ASSERT_FALSE(test, IS_ERR(du));
	KUNIT_EXPECT_EQ(test, iox_map(d, SZ_4K, SZ_4K, SZ_4K, IOX_PROT_READ, GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, mock_count(md, MOCK_SYNC_MAP), 1);

	mutex_lock(&d->lock);
	iox_domain_unit_release(du);
	mutex_unlock(&d->lock);
	/* Set for good: a unit that needed it may still cache entries. */
	KUNIT_EXPECT_EQ(test, iox_map(d, SZ_8K, SZ_8K, SZ_4K, IOX_PROT_READ, GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, mock_count(md, MOCK_SYNC_MAP), 2);
	KUNIT_EXPECT_EQ(test, iox_unmap(d, 0, 3 * SZ_4K), (ssize_t)(3 * SZ_4K));
	ida_destroy(&ids);
	KUNIT_EXPECT_EQ(test, iox_domain_free(d), 0);
}

static void map_4k_only_backend(struct kunit *test)
{
	struct iox_domain *d = iox_domain_alloc(&mock_units[1]);
	struct mock_domain *md;

	KUNIT_ASSERT_FALSE(test, IS_ERR(d));
	md = to_mock(d);
	KUNIT_EXPECT_EQ(test, iox_map(d, SZ_1G, SZ_2G, SZ_4M, IOX_PROT_READ, GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, mock_count(md, MOCK_MAP), 1);
	expect_call(test, md, 0, MOCK_MAP, SZ_1G, SZ_2G, SZ_4K, SZ_4M / SZ_4K);
	KUNIT_EXPECT_EQ(test, iox_domain_free(d), 0);
}

/* Fail the k-th run after it mapped some pages: exactly those are undone. */
static void map_failure_unwinds_exactly(struct kunit *test)
{
	struct mock_domain *md = test->priv;
	struct iox_domain *d = &md->domain;
	const u64 iova = SZ_2M - SZ_4K;
	struct iox_domain_stats stats;

	md->fail_map_call = 2;
	md->fail_pages = 1;
	KUNIT_EXPECT_EQ(test, iox_map(d, iova, iova, SZ_4K + SZ_4M + SZ_4K,
				      IOX_PROT_READ, GFP_KERNEL), -ENOMEM);
	/*
	 * map 4K, map 2M x2 (fails after one page), then [iova, +4K+2M)
	 * unmapped as the map made it, 4K then 2M, and synced once.
	 */
	KUNIT_ASSERT_EQ(test, md->nr_calls, 5);
	expect_call(test, md, 0, MOCK_MAP, iova, iova, SZ_4K, 1);
	expect_call(test, md, 1, MOCK_MAP, iova + SZ_4K, iova + SZ_4K, SZ_2M, 2);
	expect_call(test, md, 2, MOCK_UNMAP, iova, 0, SZ_4K, 1);
	expect_call(test, md, 3, MOCK_UNMAP, iova + SZ_4K, 0, SZ_2M, 1);
	KUNIT_EXPECT_EQ(test, md->calls[4].op, MOCK_SYNC);
	KUNIT_EXPECT_EQ(test, md->calls[4].gather_start, iova);
	KUNIT_EXPECT_EQ(test, md->calls[4].gather_end, iova + SZ_4K + SZ_2M - 1);
	KUNIT_EXPECT_EQ(test, md->nr_maps, 0);
	KUNIT_EXPECT_EQ(test, atomic64_read(&d->mapped_bytes), 0);
	iox_domain_get_stats(d, &stats);
	KUNIT_EXPECT_EQ(test, stats.maps, 0);
	KUNIT_EXPECT_EQ(test, stats.unmaps, 0);

	/* Failing the first run before it mapped anything: nothing to undo. */
	md->nr_calls = 0;
	md->nr_map_calls = 0;
	md->fail_map_call = 1;
	md->fail_pages = 0;
	KUNIT_EXPECT_EQ(test, iox_map(d, iova, iova, SZ_4K, IOX_PROT_READ, GFP_KERNEL),
			-ENOMEM);
	KUNIT_EXPECT_EQ(test, md->nr_calls, 1);

	/* A failing sync_map undoes the whole, fully mapped range. */
	md->nr_calls = 0;
	md->fail_map_call = 0;
	md->fail_sync_map = -EIO;
	KUNIT_EXPECT_EQ(test, iox_map(d, 0, 0, SZ_2M, IOX_PROT_READ, GFP_KERNEL), -EIO);
	KUNIT_EXPECT_EQ(test, md->nr_maps, 0);
	KUNIT_EXPECT_EQ(test, mock_count(md, MOCK_UNMAP), 1);
	KUNIT_EXPECT_EQ(test, mock_count(md, MOCK_SYNC), 1);

	/*
	 * Beside a mapping that stays, the failed map leaves the domain's
	 * records as they were: no page size or IOVA of its own.
	 */
	md->fail_sync_map = 0;
	KUNIT_ASSERT_EQ(test, iox_map(d, 0, 0, SZ_4K, IOX_PROT_READ, GFP_KERNEL), 0);
	md->fail_sync_map = -EIO;
	KUNIT_EXPECT_EQ(test, iox_map(d, SZ_1G, SZ_1G, SZ_2M, IOX_PROT_READ, GFP_KERNEL),
			-EIO);
	KUNIT_EXPECT_EQ(test, atomic64_read(&d->mapped_bytes), SZ_4K);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&d->used_pgsizes), SZ_4K);
	KUNIT_EXPECT_EQ(test, atomic64_read(&d->highest_mapped), SZ_4K - 1);
	md->fail_sync_map = 0;
	KUNIT_EXPECT_EQ(test, iox_unmap(d, 0, SZ_4K), SZ_4K);
}

static void map_refuses_bad_input(struct kunit *test)
{
	struct mock_domain *md = test->priv;
	struct iox_domain *d = &md->domain;
	const int rw = IOX_PROT_READ | IOX_PROT_WRITE;
	struct iox_pgtable_info info;
	struct iox_mapping m;

	KUNIT_EXPECT_EQ(test, iox_map(d, 0x1800, 0, SZ_4K, rw, GFP_KERNEL), -EINVAL);
	KUNIT_EXPECT_EQ(test, iox_map(d, 0, 0x1800, SZ_4K, rw, GFP_KERNEL), -EINVAL);
	KUNIT_EXPECT_EQ(test, iox_map(d, 0, 0, SZ_4K + 8, rw, GFP_KERNEL), -EINVAL);
	KUNIT_EXPECT_EQ(test, iox_map(d, 0, 0, 0, rw, GFP_KERNEL), -EINVAL);
	KUNIT_EXPECT_EQ(test, iox_map(d, 0, 0, SZ_4K, 0, GFP_KERNEL), -EINVAL);
	KUNIT_EXPECT_EQ(test, iox_map(d, 0, 0, SZ_4K, IOX_PROT_SNOOP, GFP_KERNEL), -EINVAL);
	KUNIT_EXPECT_EQ(test, iox_map(d, 0, 0, SZ_4K, rw | BIT(7), GFP_KERNEL), -EINVAL);
	KUNIT_EXPECT_EQ(test, iox_map(d, 0ULL - SZ_4K, 0, SZ_8K, rw, GFP_KERNEL), -EOVERFLOW);
	/* mock_wide has a 48-bit aperture. */
	KUNIT_EXPECT_EQ(test, iox_map(d, BIT_ULL(48), 0, SZ_4K, rw, GFP_KERNEL), -ERANGE);
	KUNIT_EXPECT_EQ(test, iox_map(d, BIT_ULL(48) - SZ_4K, 0, SZ_8K, rw, GFP_KERNEL),
			-ERANGE);
	KUNIT_EXPECT_EQ(test, iox_unmap(d, 0x1800, SZ_4K), 0);
	KUNIT_EXPECT_EQ(test, iox_unmap(d, 0, 0), 0);
	KUNIT_EXPECT_EQ(test, iox_unmap(d, BIT_ULL(48), SZ_4K), 0);
	KUNIT_EXPECT_EQ(test, iox_iova_to_phys(d, BIT_ULL(48)), 0);
	/* The mock keeps no page table to describe. */
	KUNIT_EXPECT_EQ(test, iox_lookup(d, 0, &m), -EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, iox_lookup(d, BIT_ULL(48), &m), -ERANGE);
	KUNIT_EXPECT_EQ(test, iox_domain_pgtable_info(d, &info), -EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, md->nr_calls, 0);
	/* The largest range that fits ends at the aperture's last byte. */
	KUNIT_EXPECT_EQ(test, iox_map(d, BIT_ULL(48) - SZ_4K, 0, SZ_4K, rw, GFP_KERNEL), 0);
}

static void map_over_mapping_fails(struct kunit *test)
{
	struct mock_domain *md = test->priv;
	struct iox_domain *d = &md->domain;

	KUNIT_ASSERT_EQ(test, iox_map(d, SZ_8K, SZ_1M, SZ_8K, IOX_PROT_READ, GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, iox_map(d, 0, SZ_2M, SZ_16K, IOX_PROT_READ, GFP_KERNEL),
			-EEXIST);
	KUNIT_EXPECT_EQ(test, md->nr_maps, 1);
	KUNIT_EXPECT_EQ(test, iox_iova_to_phys(d, SZ_8K + 5), SZ_1M + 5);
	KUNIT_EXPECT_EQ(test, iox_iova_to_phys(d, 0), 0);
	KUNIT_EXPECT_EQ(test, atomic64_read(&d->mapped_bytes), SZ_8K);
}

static void unmap_syncs_once(struct kunit *test)
{
	struct mock_domain *md = test->priv;
	struct iox_domain *d = &md->domain;
	const u64 iova = SZ_2M - SZ_4K;

	KUNIT_ASSERT_EQ(test, iox_map(d, iova, iova, SZ_4K + SZ_4M + SZ_4K,
				      IOX_PROT_READ, GFP_KERNEL), 0);
	md->nr_calls = 0;
	KUNIT_EXPECT_EQ(test, iox_unmap(d, iova, SZ_4K + SZ_4M + SZ_4K),
			SZ_4K + SZ_4M + SZ_4K);
	/* Split like the map: three runs, one sync covering all of them. */
	KUNIT_EXPECT_EQ(test, md->nr_calls, 4);
	expect_call(test, md, 0, MOCK_UNMAP, iova, 0, SZ_4K, 1);
	expect_call(test, md, 1, MOCK_UNMAP, iova + SZ_4K, 0, SZ_2M, 2);
	expect_call(test, md, 2, MOCK_UNMAP, iova + SZ_4K + SZ_4M, 0, SZ_4K, 1);
	KUNIT_EXPECT_EQ(test, md->calls[3].op, MOCK_SYNC);
	KUNIT_EXPECT_EQ(test, md->calls[3].gather_start, iova);
	KUNIT_EXPECT_EQ(test, md->calls[3].gather_end, iova + SZ_4K + SZ_4M + SZ_4K - 1);
	KUNIT_EXPECT_EQ(test, iox_iova_to_phys(d, iova + SZ_4K), 0);
}

static void unmap_stops_at_hole(struct kunit *test)
{
	struct mock_domain *md = test->priv;
	struct iox_domain *d = &md->domain;

	KUNIT_ASSERT_EQ(test, iox_map(d, 0, 0, SZ_8K, IOX_PROT_READ, GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, iox_map(d, SZ_16K, SZ_16K, SZ_4K, IOX_PROT_READ, GFP_KERNEL), 0);
	md->nr_calls = 0;
	KUNIT_EXPECT_EQ(test, iox_unmap(d, 0, SZ_32K), SZ_8K);
	KUNIT_EXPECT_EQ(test, mock_count(md, MOCK_SYNC), 1);
	/* What lies beyond the hole is untouched. */
	KUNIT_EXPECT_EQ(test, iox_iova_to_phys(d, SZ_16K), SZ_16K);
	/* A range that starts at a hole unmaps nothing and syncs nothing. */
	md->nr_calls = 0;
	KUNIT_EXPECT_EQ(test, iox_unmap(d, SZ_8K, SZ_4K), 0);
	KUNIT_EXPECT_EQ(test, mock_count(md, MOCK_SYNC), 0);
}

/* Refused input, a hole and a shortage of memory each have their errno. */
static void unmap_range_tells_why(struct kunit *test)
{
	struct mock_domain *md = test->priv;
	struct iox_domain *d = &md->domain;
	struct iox_domain_stats stats;
	size_t unmapped = 1;

	KUNIT_EXPECT_EQ(test, iox_unmap_range(d, 0x1800, SZ_4K, NULL, &unmapped), -EINVAL);
	KUNIT_EXPECT_EQ(test, unmapped, 0);
	KUNIT_EXPECT_EQ(test, iox_unmap_range(d, BIT_ULL(48), SZ_4K, NULL, &unmapped),
			-ERANGE);
	KUNIT_EXPECT_EQ(test, iox_unmap_range(d, 0, SZ_4K, NULL, &unmapped), -ENOENT);
	KUNIT_EXPECT_EQ(test, unmapped, 0);

	/* 4K, 2M, 4K runs; the 2M run is short of memory. */
	KUNIT_ASSERT_EQ(test, iox_map(d, SZ_2M - SZ_4K, SZ_2M - SZ_4K,
				      SZ_4K + SZ_2M + SZ_4K, IOX_PROT_READ, GFP_KERNEL), 0);
	md->nr_calls = 0;
	md->nr_unmap_calls = 0;
	md->nomem_unmap_call = 2;
	KUNIT_EXPECT_EQ(test, iox_unmap_range(d, SZ_2M - SZ_4K, SZ_4K + SZ_2M + SZ_4K, NULL,
					      &unmapped), -ENOMEM);
	KUNIT_EXPECT_EQ(test, unmapped, SZ_4K);
	/* What was unmapped is invalidated and accounted; the rest stays. */
	KUNIT_EXPECT_EQ(test, mock_count(md, MOCK_SYNC), 1);
	KUNIT_EXPECT_EQ(test, iox_iova_to_phys(d, SZ_2M), SZ_2M);
	KUNIT_EXPECT_EQ(test, atomic64_read(&d->mapped_bytes), SZ_2M + SZ_4K);
	iox_domain_get_stats(d, &stats);
	KUNIT_EXPECT_EQ(test, stats.unmap_nomem, 1);
	KUNIT_EXPECT_EQ(test, stats.bytes_unmapped, SZ_4K);

	/* The caller retries the rest once memory is back. */
	md->nomem_unmap_call = 0;
	KUNIT_EXPECT_EQ(test, iox_unmap_range(d, SZ_2M, SZ_2M + SZ_4K, NULL, &unmapped), 0);
	KUNIT_EXPECT_EQ(test, unmapped, SZ_2M + SZ_4K);
	KUNIT_EXPECT_EQ(test, atomic64_read(&d->mapped_bytes), 0);
}

static void unmap_fast_queued_gathers_nothing(struct kunit *test)
{
	struct mock_domain *md = test->priv;
	struct iox_domain *d = &md->domain;
	struct iox_iotlb_gather gather;

	KUNIT_ASSERT_EQ(test, iox_map(d, 0, 0, SZ_4M, IOX_PROT_READ, GFP_KERNEL), 0);

	iox_iotlb_gather_init(&gather, true);
	KUNIT_EXPECT_EQ(test, iox_unmap_fast(d, 0, SZ_2M, &gather), SZ_2M);
	KUNIT_EXPECT_TRUE(test, iox_iotlb_gather_empty(&gather));
	KUNIT_EXPECT_EQ(test, iox_iova_to_phys(d, 0), 0);
	md->nr_calls = 0;
	iox_iotlb_sync(d, &gather);
	KUNIT_EXPECT_EQ(test, md->nr_calls, 0);

	/* Not queued: the range is recorded, and synced by the caller. */
	iox_iotlb_gather_init(&gather, false);
	KUNIT_EXPECT_EQ(test, iox_unmap_fast(d, SZ_2M, SZ_2M, &gather), SZ_2M);
	KUNIT_EXPECT_EQ(test, gather.start, SZ_2M);
	KUNIT_EXPECT_EQ(test, gather.end, SZ_4M - 1);
	KUNIT_EXPECT_EQ(test, gather.pgsize, SZ_2M);
	KUNIT_EXPECT_EQ(test, mock_count(md, MOCK_SYNC), 0);
	iox_iotlb_sync(d, &gather);
	KUNIT_EXPECT_EQ(test, mock_count(md, MOCK_SYNC), 1);
	KUNIT_EXPECT_TRUE(test, iox_iotlb_gather_empty(&gather));
}

/*
 * Strict: one IOTLB sync per unmap.  Lazy: no sync, the IOVA stays
 * allocated, and one domain-wide flush per ring-full of unmaps.
 */
static void lazy_unmap_flushes_per_ring(struct kunit *test)
{
	const unsigned int entries = 4, unmaps = 16;
	struct iox_iova_domain *iovad = kunit_kzalloc(test, sizeof(*iovad), GFP_KERNEL);
	struct mock_domain *md = test->priv;
	struct iox_domain *d = &md->domain, *lazy;
	struct iox_fq_stats fq_stats;
	struct mock_domain *ml;
	unsigned long pfn;
	unsigned int i;

	KUNIT_ASSERT_NOT_NULL(test, iovad);
	KUNIT_ASSERT_EQ(test, iox_iova_domain_init(iovad, SZ_4K, 1, 1023, NULL), 0);

	/* Strict, for comparison. */
	for (i = 0; i < unmaps / 2; i++) {
		KUNIT_ASSERT_EQ(test, iox_map(d, SZ_4K * i, 0, SZ_4K, IOX_PROT_READ,
					      GFP_KERNEL), 0);
		KUNIT_EXPECT_EQ(test, iox_unmap(d, SZ_4K * i, SZ_4K), SZ_4K);
	}
	KUNIT_EXPECT_EQ(test, mock_count(md, MOCK_SYNC), (int)unmaps / 2);

	lazy = iox_domain_alloc(&mock_units[0]);
	KUNIT_ASSERT_FALSE(test, IS_ERR(lazy));
	ml = to_mock(lazy);
	lazy->lazy_ok = false;
	KUNIT_EXPECT_EQ(test, iox_domain_enable_lazy(lazy, iovad, entries, 10000),
			-EOPNOTSUPP);
	lazy->lazy_ok = true;
	KUNIT_EXPECT_EQ(test, iox_domain_enable_lazy(lazy, iovad, 0, 10000), -EINVAL);
	KUNIT_ASSERT_EQ(test, iox_domain_enable_lazy(lazy, iovad, entries, 10000), 0);
	KUNIT_EXPECT_EQ(test, iox_domain_enable_lazy(lazy, iovad, entries, 10000), -EBUSY);
	/* No queue, no unmap. */
	KUNIT_EXPECT_EQ(test, iox_unmap_lazy(d, 0, SZ_4K, 1, 1), 0);
	/* Refused input queues nothing: the allocation stays the caller's. */
	KUNIT_EXPECT_EQ(test, iox_unmap_lazy(lazy, SZ_4K + 512, SZ_4K, 1, 1), 0);
	KUNIT_EXPECT_EQ(test, iox_unmap_lazy(lazy, SZ_4K, 0, 1, 1), 0);
	KUNIT_EXPECT_EQ(test, iox_unmap_lazy(lazy, BIT_ULL(48), SZ_4K, 1, 1), 0);
	iox_fq_get_stats(lazy->fq, &fq_stats);
	KUNIT_EXPECT_EQ(test, fq_stats.queued, 0ULL);

	migrate_disable();	/* one CPU's ring */
	for (i = 0; i < unmaps; i++) {
		KUNIT_ASSERT_EQ(test, iox_iova_alloc(iovad, 1, 1023, &pfn), 0);
		KUNIT_ASSERT_EQ(test, iox_map(lazy, (u64)pfn << 12, SZ_1G, SZ_4K,
					      IOX_PROT_READ, GFP_KERNEL), 0);
		KUNIT_EXPECT_EQ(test, iox_unmap_lazy(lazy, (u64)pfn << 12, SZ_4K, pfn, 1),
				SZ_4K);
		KUNIT_EXPECT_EQ(test, iox_iova_to_phys(lazy, (u64)pfn << 12), 0);
	}
	migrate_enable();
	KUNIT_EXPECT_EQ(test, mock_count(ml, MOCK_SYNC), 0);
	KUNIT_EXPECT_EQ(test, mock_count(ml, MOCK_FLUSH_ALL), (int)(unmaps / entries - 1));
	KUNIT_EXPECT_EQ(test, iox_domain_free(lazy), 0);
	iox_iova_domain_destroy(iovad);
	/* The last ring-full went back to the allocator when the domain went. */
	KUNIT_EXPECT_EQ(test, iovad->leaked, 0UL);
}

/*
 * Whether @d keeps @table after a failed invalidation: the page then has
 * the domain's reference besides the test's own.
 */
static void expect_kept(struct kunit *test, struct iox_domain *d, struct page *table,
			long kept)
{
	KUNIT_EXPECT_EQ(test, page_count(table), 1 + (int)kept);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&d->nr_kept_pages), kept);
}

/*
 * A lazy unmap whose queue refuses it (a full ring whose flush failed)
 * keeps the page-table pages it freed on the domain, as a failed sync
 * does: a later domain-wide flush that succeeds frees them, and the IOVA
 * range stays allocated, never reused.
 */
static void lazy_refused_unmap_keeps_tables(struct kunit *test)
{
	struct iox_iova_domain *iovad = kunit_kzalloc(test, sizeof(*iovad), GFP_KERNEL);
	struct page *table = alloc_page(GFP_KERNEL);
	struct iox_domain *lazy;
	struct mock_domain *ml;
	unsigned long a, b;

	KUNIT_ASSERT_NOT_NULL(test, iovad);
	KUNIT_ASSERT_NOT_NULL(test, table);
	/* Our own reference shows whether the core let go of the page. */
	get_page(table);
	KUNIT_ASSERT_EQ(test, iox_iova_domain_init(iovad, SZ_4K, 1, 1023, NULL), 0);
	lazy = iox_domain_alloc(&mock_units[0]);
	KUNIT_ASSERT_FALSE(test, IS_ERR(lazy));
	ml = to_mock(lazy);
	KUNIT_ASSERT_EQ(test, iox_domain_enable_lazy(lazy, iovad, 1, 10000), 0);

	migrate_disable();	/* one CPU's ring, of one entry */
	KUNIT_ASSERT_EQ(test, iox_iova_alloc(iovad, 1, 1023, &a), 0);
	KUNIT_ASSERT_EQ(test, iox_iova_alloc(iovad, 1, 1023, &b), 0);
	KUNIT_ASSERT_EQ(test, iox_map(lazy, (u64)a << 12, SZ_1G, SZ_4K, IOX_PROT_READ,
				      GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, iox_map(lazy, (u64)b << 12, SZ_1G, SZ_4K, IOX_PROT_READ,
				      GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, iox_unmap_lazy(lazy, (u64)a << 12, SZ_4K, a, 1), SZ_4K);
	/* The ring is full and its flush fails: the second unmap is refused. */
	ml->fail_sync = -EIO;
	ml->table = table;
	KUNIT_EXPECT_EQ(test, iox_unmap_lazy(lazy, (u64)b << 12, SZ_4K, b, 1), SZ_4K);
	migrate_enable();
	KUNIT_EXPECT_EQ(test, iox_iova_to_phys(lazy, (u64)b << 12), 0);
	expect_kept(test, lazy, table, 1);

	/* A flush that succeeds covers the refused unmap: the page goes. */
	ml->fail_sync = 0;
	KUNIT_EXPECT_EQ(test, iox_flush_all(lazy), 0);
	expect_kept(test, lazy, table, 0);
	put_page(table);

	KUNIT_EXPECT_EQ(test, iox_domain_free(lazy), 0);
	/* The queued range went back; the refused one is kept by its caller. */
	iox_iova_set_quiet_leaks(iovad, true);
	iox_iova_domain_destroy(iovad);
	KUNIT_EXPECT_EQ(test, iovad->leaked, 1UL);
}

/*
 * A lazy unmap that stops at a hole queues what it unmapped, but never
 * releases the allocation: past the stop the range may still be mapped.
 */
static void lazy_short_unmap_keeps_range(struct kunit *test)
{
	struct iox_iova_domain *iovad = kunit_kzalloc(test, sizeof(*iovad), GFP_KERNEL);
	struct iox_fq_stats fq_stats;
	struct iox_domain *lazy;
	unsigned long a;

	KUNIT_ASSERT_NOT_NULL(test, iovad);
	KUNIT_ASSERT_EQ(test, iox_iova_domain_init(iovad, SZ_4K, 1, 1023, NULL), 0);
	lazy = iox_domain_alloc(&mock_units[0]);
	KUNIT_ASSERT_FALSE(test, IS_ERR(lazy));
	KUNIT_ASSERT_EQ(test, iox_domain_enable_lazy(lazy, iovad, 4, 10000), 0);

	KUNIT_ASSERT_EQ(test, iox_iova_alloc(iovad, 2, 1023, &a), 0);
	/* Only the first of the two pages is mapped. */
	KUNIT_ASSERT_EQ(test, iox_map(lazy, (u64)a << 12, SZ_1G, SZ_4K, IOX_PROT_READ,
				      GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, iox_unmap_lazy(lazy, (u64)a << 12, 2 * SZ_4K, a, 2), SZ_4K);
	KUNIT_EXPECT_EQ(test, iox_iova_to_phys(lazy, (u64)a << 12), 0);
	iox_fq_get_stats(lazy->fq, &fq_stats);
	KUNIT_EXPECT_EQ(test, fq_stats.queued, 1ULL);
	KUNIT_EXPECT_EQ(test, iox_fq_flush(lazy->fq), 0);
	iox_fq_get_stats(lazy->fq, &fq_stats);
	KUNIT_EXPECT_EQ(test, fq_stats.pending, 0L);

	KUNIT_EXPECT_EQ(test, iox_domain_free(lazy), 0);
	/* The flush released the entry, not the range. */
	iox_iova_set_quiet_leaks(iovad, true);
	iox_iova_domain_destroy(iovad);
	KUNIT_EXPECT_EQ(test, iovad->leaked, 1UL);
}

static void gather_helpers(struct kunit *test)
{
	struct iox_iotlb_gather g;

	iox_iotlb_gather_init(&g, false);
	KUNIT_EXPECT_TRUE(test, iox_iotlb_gather_empty(&g));
	KUNIT_EXPECT_FALSE(test, iox_iotlb_gather_is_disjoint(&g, SZ_1M, SZ_4K));
	iox_iotlb_gather_add_range(&g, SZ_1M, SZ_4K, SZ_4K);
	KUNIT_EXPECT_FALSE(test, iox_iotlb_gather_is_disjoint(&g, SZ_1M + SZ_4K, SZ_4K));
	KUNIT_EXPECT_FALSE(test, iox_iotlb_gather_is_disjoint(&g, SZ_1M - SZ_4K, SZ_4K));
	KUNIT_EXPECT_TRUE(test, iox_iotlb_gather_is_disjoint(&g, SZ_1M + SZ_8K, SZ_4K));
	KUNIT_EXPECT_TRUE(test, iox_iotlb_gather_is_disjoint(&g, 0, SZ_4K));
	iox_iotlb_gather_add_range(&g, SZ_2M, SZ_2M, SZ_2M);
	KUNIT_EXPECT_EQ(test, g.start, SZ_1M);
	KUNIT_EXPECT_EQ(test, g.end, SZ_4M - 1);
	KUNIT_EXPECT_EQ(test, g.pgsize, SZ_2M);
	/* Ranges at both ends of the address space. */
	iox_iotlb_gather_init(&g, false);
	iox_iotlb_gather_add_range(&g, 0, SZ_4K, SZ_4K);
	KUNIT_EXPECT_FALSE(test, iox_iotlb_gather_empty(&g));
	KUNIT_EXPECT_TRUE(test, iox_iotlb_gather_is_disjoint(&g, 0ULL - SZ_4K, SZ_4K));
	iox_iotlb_gather_add_range(&g, 0ULL - SZ_4K, SZ_4K, SZ_4K);
	KUNIT_EXPECT_EQ(test, g.end, U64_MAX);
	KUNIT_EXPECT_FALSE(test, iox_iotlb_gather_is_disjoint(&g, SZ_1G, SZ_4K));
	/* Queued: nothing recorded, nothing disjoint. */
	iox_iotlb_gather_init(&g, true);
	iox_iotlb_gather_add_range(&g, SZ_1M, SZ_4K, SZ_4K);
	KUNIT_EXPECT_TRUE(test, iox_iotlb_gather_empty(&g));
	KUNIT_EXPECT_EQ(test, g.pgsize, 0);
}

static void map_sg_merges_and_is_atomic(struct kunit *test)
{
	struct mock_domain *md = test->priv;
	struct iox_domain *d = &md->domain;
	struct scatterlist sg[3];
	struct page *pages;

	/*
	 * An order-10 block is naturally aligned: 1M + 1M physically
	 * contiguous at a 4M boundary, then 4K elsewhere.
	 */
	pages = alloc_pages(GFP_KERNEL, get_order(SZ_4M));
	KUNIT_ASSERT_NOT_NULL(test, pages);
	sg_init_table(sg, 3);
	sg_set_page(&sg[0], pages, SZ_1M, 0);
	sg_set_page(&sg[1], pages + (SZ_1M >> PAGE_SHIFT), SZ_1M, 0);
	sg_set_page(&sg[2], pages + (3 * SZ_1M >> PAGE_SHIFT), SZ_4K, 0);

	KUNIT_EXPECT_EQ(test, iox_map_sg(d, SZ_2M, sg, 3, IOX_PROT_READ, GFP_KERNEL),
			SZ_2M + SZ_4K);
	KUNIT_EXPECT_EQ(test, mock_count(md, MOCK_MAP), 2);
	expect_call(test, md, 0, MOCK_MAP, SZ_2M, sg_phys(&sg[0]), SZ_2M, 1);
	expect_call(test, md, 1, MOCK_MAP, SZ_4M, sg_phys(&sg[2]), SZ_4K, 1);
	KUNIT_EXPECT_EQ(test, mock_count(md, MOCK_SYNC_MAP), 1);
	KUNIT_EXPECT_EQ(test, iox_unmap(d, SZ_2M, SZ_2M + SZ_4K), SZ_2M + SZ_4K);

	/* The last entry collides: everything mapped before is removed. */
	KUNIT_ASSERT_EQ(test, iox_map(d, SZ_4M, 0, SZ_4K, IOX_PROT_READ, GFP_KERNEL), 0);
	md->nr_calls = 0;
	KUNIT_EXPECT_EQ(test, iox_map_sg(d, SZ_2M, sg, 3, IOX_PROT_READ, GFP_KERNEL),
			-EEXIST);
	KUNIT_EXPECT_EQ(test, md->nr_maps, 1);
	KUNIT_EXPECT_EQ(test, iox_iova_to_phys(d, SZ_2M), 0);
	KUNIT_EXPECT_EQ(test, mock_count(md, MOCK_SYNC), 1);

	/* A misaligned entry is refused before anything is mapped. */
	md->nr_calls = 0;
	sg[1].length = SZ_1M - 512;
	KUNIT_EXPECT_EQ(test, iox_map_sg(d, SZ_8M, sg, 3, IOX_PROT_READ, GFP_KERNEL),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, md->nr_calls, 0);
	__free_pages(pages, get_order(SZ_4M));
}

/* Bad input is refused before anything is mapped, with iox_map()'s errnos. */
static void map_sg_refuses_bad_input(struct kunit *test)
{
	struct mock_domain *md = test->priv;
	struct iox_domain *d = &md->domain;
	struct scatterlist sg[2];
	struct page *pages;

	pages = alloc_pages(GFP_KERNEL, 1);
	KUNIT_ASSERT_NOT_NULL(test, pages);
	sg_init_table(sg, 2);
	sg_set_page(&sg[0], pages, SZ_4K, 0);
	sg_set_page(&sg[1], pages + 1, SZ_4K, 0);

	KUNIT_EXPECT_EQ(test, iox_map_sg(d, 0, NULL, 2, IOX_PROT_READ, GFP_KERNEL), -EINVAL);
	KUNIT_EXPECT_EQ(test, iox_map_sg(d, 0, sg, 0, IOX_PROT_READ, GFP_KERNEL), -EINVAL);
	KUNIT_EXPECT_EQ(test, iox_map_sg(d, 0, sg, 2, 0, GFP_KERNEL), -EINVAL);
	KUNIT_EXPECT_EQ(test, iox_map_sg(d, 0, sg, 2, IOX_PROT_SNOOP, GFP_KERNEL), -EINVAL);
	KUNIT_EXPECT_EQ(test, iox_map_sg(d, 0x1800, sg, 2, IOX_PROT_READ, GFP_KERNEL),
			-EINVAL);
	/* The second entry crosses the 48-bit aperture's end. */
	KUNIT_EXPECT_EQ(test, iox_map_sg(d, BIT_ULL(48) - SZ_4K, sg, 2, IOX_PROT_READ,
					 GFP_KERNEL), -ERANGE);
	KUNIT_EXPECT_EQ(test, iox_map_sg(d, 0ULL - SZ_4K, sg, 2, IOX_PROT_READ, GFP_KERNEL),
			-EOVERFLOW);
	/* An empty entry is a zero-size range. */
	sg[1].length = 0;
	KUNIT_EXPECT_EQ(test, iox_map_sg(d, 0, sg, 2, IOX_PROT_READ, GFP_KERNEL), -EINVAL);
	KUNIT_EXPECT_EQ(test, md->nr_calls, 0);
	KUNIT_EXPECT_EQ(test, atomic64_read(&d->mapped_bytes), 0);
	/* The one that fits ends at the aperture's last byte. */
	sg[1].length = SZ_4K;
	KUNIT_EXPECT_EQ(test, iox_map_sg(d, BIT_ULL(48) - SZ_8K, sg, 2, IOX_PROT_READ,
					 GFP_KERNEL), SZ_8K);
	__free_pages(pages, 1);
}

/* Unmapping twice, or a range never mapped, unmaps and syncs nothing. */
static void unmap_twice_is_harmless(struct kunit *test)
{
	struct mock_domain *md = test->priv;
	struct iox_domain *d = &md->domain;
	struct iox_domain_stats stats;
	size_t unmapped = 1;

	KUNIT_ASSERT_EQ(test, iox_map(d, SZ_2M, SZ_4M, SZ_2M, IOX_PROT_WRITE, GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, iox_unmap(d, SZ_2M, SZ_2M), SZ_2M);
	md->nr_calls = 0;
	KUNIT_EXPECT_EQ(test, iox_unmap(d, SZ_2M, SZ_2M), 0);
	KUNIT_EXPECT_EQ(test, iox_unmap_range(d, SZ_2M, SZ_2M, NULL, &unmapped), -ENOENT);
	KUNIT_EXPECT_EQ(test, unmapped, 0);
	KUNIT_EXPECT_EQ(test, mock_count(md, MOCK_SYNC), 0);
	iox_domain_get_stats(d, &stats);
	KUNIT_EXPECT_EQ(test, stats.unmaps, 1);
	KUNIT_EXPECT_EQ(test, stats.bytes_unmapped, SZ_2M);
	KUNIT_EXPECT_EQ(test, atomic64_read(&d->mapped_bytes), 0);
	/* The range can be mapped again. */
	KUNIT_EXPECT_EQ(test, iox_map(d, SZ_2M, SZ_4M, SZ_2M, IOX_PROT_WRITE, GFP_KERNEL), 0);
}

static int count_units(struct iox_unit *unit, void *data)
{
	int *n = data;

	return ++*n == 2 ? 42 : 0;
}

/* What iox_unit_register() and the unit lookups refuse or find. */
static void unit_registration_rules(struct kunit *test)
{
	static const struct iox_unit_ops no_domains = { .show = mock_show };
	struct iox_unit *u = kunit_kzalloc(test, sizeof(*u), GFP_KERNEL);
	struct iox_domain *d;
	int n = 0;

	KUNIT_ASSERT_NOT_NULL(test, u);
	u->ops = &mock_unit_ops;
	u->pgsize_bitmap = SZ_4K;
	u->ias = 39;
	KUNIT_EXPECT_EQ(test, iox_unit_register(u), -EINVAL);	/* no name */
	strscpy(u->name, "mock_wide", sizeof(u->name));
	KUNIT_EXPECT_EQ(test, iox_unit_register(u), -EEXIST);
	strscpy(u->name, "mock_new", sizeof(u->name));
	u->ops = NULL;
	KUNIT_EXPECT_EQ(test, iox_unit_register(u), -EINVAL);
	u->ops = &no_domains;
	u->pgsize_bitmap = 0;
	KUNIT_EXPECT_EQ(test, iox_unit_register(u), -EINVAL);
	u->pgsize_bitmap = SZ_4K;
	u->ias = 0;
	KUNIT_EXPECT_EQ(test, iox_unit_register(u), -EINVAL);
	KUNIT_EXPECT_NULL(test, iox_unit_find("mock_new"));

	/* A unit whose backend cannot translate yet has no domains. */
	u->ias = 39;
	KUNIT_ASSERT_EQ(test, iox_unit_register(u), 0);
	KUNIT_EXPECT_PTR_EQ(test, iox_unit_find("mock_new"), u);
	iox_unit_put(u);
	d = iox_domain_alloc(u);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(d), -EOPNOTSUPP);
	iox_unit_unregister(u);
	KUNIT_EXPECT_NULL(test, iox_unit_find("mock_new"));
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(iox_domain_alloc(NULL)), -EINVAL);

	KUNIT_EXPECT_PTR_EQ(test, iox_unit_for_device(mock_devs[2]), &mock_units[1]);
	iox_unit_put(&mock_units[1]);
	KUNIT_EXPECT_NULL(test, iox_unit_for_device(mock_devs[4]));
	/* A walk stops at the first non-zero return and passes it on. */
	KUNIT_EXPECT_EQ(test, iox_walk_units(count_units, &n), 42);
	KUNIT_EXPECT_EQ(test, n, 2);
}

static int count_domain_units(struct iox_domain *d)
{
	struct iox_domain_unit *du;
	int n = 0;

	iox_domain_units_lock();
	iox_domain_for_each_unit(du, d)
		n++;
	iox_domain_units_unlock();
	return n;
}

/*
 * A domain's unit set: a unit joins once, with an id from its allocator
 * (-ENOSPC, nothing changed, when none is left), stays while a device
 * behind it is attached and leaves with its last one, giving its id back.
 */
static void unit_set_lifecycle(struct kunit *test)
{
	struct iox_domain *d = &((struct mock_domain *)test->priv)->domain;
	struct iox_domain_unit *du, *other;
	struct ida ids;

	ida_init(&ids);
	mutex_lock(&d->lock);
	du = iox_domain_unit_join(d, &mock_units[0], &ids, 5, 5);
	KUNIT_ASSERT_FALSE(test, IS_ERR(du));
	KUNIT_EXPECT_EQ(test, du->id, 5);
	KUNIT_EXPECT_PTR_EQ(test, iox_domain_unit_join(d, &mock_units[0], &ids, 5, 5), du);
	KUNIT_EXPECT_PTR_EQ(test, iox_domain_unit_find(d, &mock_units[0]), du);
	/* The only id is taken: the next unit is refused and not in the set. */
	other = iox_domain_unit_join(d, &mock_units[1], &ids, 5, 5);
	KUNIT_EXPECT_EQ(test, PTR_ERR_OR_ZERO(other), -ENOSPC);
	KUNIT_EXPECT_NULL(test, iox_domain_unit_find(d, &mock_units[1]));
	KUNIT_EXPECT_EQ(test, count_domain_units(d), 1);

	/* A unit with a device attached stays; it leaves with its last one. */
	iox_domain_unit_attached(du);
	iox_domain_unit_attached(du);
	iox_domain_unit_release(du);
	iox_domain_unit_detached(du);
	KUNIT_EXPECT_PTR_EQ(test, iox_domain_unit_find(d, &mock_units[0]), du);
	iox_domain_unit_detached(du);
	KUNIT_EXPECT_NULL(test, iox_domain_unit_find(d, &mock_units[0]));
	KUNIT_EXPECT_EQ(test, count_domain_units(d), 0);

	/* Its id is free again; a join whose attach failed is released. */
	other = iox_domain_unit_join(d, &mock_units[1], &ids, 5, 5);
	KUNIT_ASSERT_FALSE(test, IS_ERR(other));
	KUNIT_EXPECT_EQ(test, other->id, 5);
	iox_domain_unit_release(other);
	KUNIT_EXPECT_EQ(test, count_domain_units(d), 0);
	mutex_unlock(&d->lock);
	/* Entries are freed after a grace period; the ids are back at once. */
	KUNIT_EXPECT_TRUE(test, ida_is_empty(&ids));
	rcu_barrier();
	ida_destroy(&ids);
}

struct fault_seen {
	int calls;
	struct device *dev;
	struct iox_fault fault;
};

static void record_fault(struct iox_domain *domain, struct device *dev,
			 const struct iox_fault *fault, void *data)
{
	struct fault_seen *seen = data;

	seen->calls++;
	seen->dev = dev;
	seen->fault = *fault;
}

/* Faults reach the handler of the faulting device's domain, and only then. */
static void fault_reports_reach_handler(struct kunit *test)
{
	struct iox_domain *d = &((struct mock_domain *)test->priv)->domain;
	const struct iox_fault fault = { .iova = SZ_1M, .flags = IOX_FAULT_WRITE, .reason = 5 };
	struct fault_seen seen = {};

	KUNIT_EXPECT_FALSE(test, iox_report_fault(mock_devs[0], &fault));
	KUNIT_ASSERT_EQ(test, iox_attach_device(d, mock_devs[0]), 0);
	/* Attached, but no handler yet: counted only. */
	KUNIT_EXPECT_TRUE(test, iox_report_fault(mock_devs[0], &fault));
	iox_domain_set_fault_handler(d, record_fault, &seen);
	KUNIT_EXPECT_TRUE(test, iox_report_fault(mock_devs[0], &fault));
	KUNIT_EXPECT_EQ(test, seen.calls, 1);
	KUNIT_EXPECT_PTR_EQ(test, seen.dev, mock_devs[0]);
	KUNIT_EXPECT_EQ(test, seen.fault.iova, SZ_1M);
	KUNIT_EXPECT_EQ(test, seen.fault.flags, IOX_FAULT_WRITE);
	KUNIT_EXPECT_EQ(test, seen.fault.reason, 5);
	KUNIT_EXPECT_EQ(test, atomic64_read(&d->nr_faults), 2);
	/* Another device's fault is not this domain's. */
	KUNIT_EXPECT_FALSE(test, iox_report_fault(mock_devs[1], &fault));
	iox_domain_set_fault_handler(d, NULL, NULL);
	KUNIT_EXPECT_TRUE(test, iox_report_fault(mock_devs[0], &fault));
	KUNIT_EXPECT_EQ(test, seen.calls, 1);
	iox_domain_set_fault_handler(d, record_fault, &seen);
	KUNIT_EXPECT_EQ(test, iox_detach_device(d, mock_devs[0]), 0);
	KUNIT_EXPECT_FALSE(test, iox_report_fault(mock_devs[0], &fault));
	KUNIT_EXPECT_EQ(test, seen.calls, 1);
	KUNIT_EXPECT_EQ(test, atomic64_read(&d->nr_faults), 3);
}

static void attach_detach_rules(struct kunit *test)
{
	struct mock_domain *md = test->priv;
	struct iox_domain *d = &md->domain, *other, *foreign;

	KUNIT_EXPECT_EQ(test, iox_attach_device(d, mock_devs[0]), 0);
	KUNIT_EXPECT_PTR_EQ(test, iox_device_domain(mock_devs[0]), d);
	KUNIT_EXPECT_EQ(test, iox_attach_device(d, mock_devs[0]), -EBUSY);
	other = iox_domain_alloc(&mock_units[0]);
	KUNIT_ASSERT_FALSE(test, IS_ERR(other));
	KUNIT_EXPECT_EQ(test, iox_attach_device(other, mock_devs[0]), -EBUSY);
	KUNIT_EXPECT_EQ(test, iox_detach_device(other, mock_devs[0]), -EINVAL);
	/* Attached is -EBUSY for any domain, also one the unit could not join. */
	foreign = iox_domain_alloc(&mock_units[2]);
	KUNIT_ASSERT_FALSE(test, IS_ERR(foreign));
	KUNIT_EXPECT_EQ(test, iox_attach_device(foreign, mock_devs[0]), -EBUSY);
	KUNIT_EXPECT_EQ(test, iox_domain_free(foreign), 0);
	KUNIT_EXPECT_EQ(test, iox_detach_device(d, mock_devs[1]), -EINVAL);
	KUNIT_EXPECT_EQ(test, iox_attach_device(d, mock_devs[4]), -ENODEV);
	KUNIT_EXPECT_EQ(test, iox_attach_device(d, mock_devs[3]), -EINVAL);
	KUNIT_EXPECT_NULL(test, iox_device_domain(mock_devs[4]));

	/* A backend failure leaves the device unattached. */
	mock_attach_fail = -EIO;
	KUNIT_EXPECT_EQ(test, iox_attach_device(d, mock_devs[1]), -EIO);
	KUNIT_EXPECT_NULL(test, iox_device_domain(mock_devs[1]));
	mock_attach_fail = 0;

	KUNIT_EXPECT_EQ(test, iox_domain_free(d), -EBUSY);
	KUNIT_EXPECT_EQ(test, d->nr_devices, 1);
	KUNIT_EXPECT_EQ(test, iox_detach_device(d, mock_devs[0]), 0);
	KUNIT_EXPECT_NULL(test, iox_device_domain(mock_devs[0]));
	KUNIT_EXPECT_EQ(test, iox_attach_device(other, mock_devs[0]), 0);
	KUNIT_EXPECT_PTR_EQ(test, iox_device_domain(mock_devs[0]), other);
	KUNIT_EXPECT_EQ(test, iox_detach_device(other, mock_devs[0]), 0);
	KUNIT_EXPECT_EQ(test, iox_domain_free(other), 0);
	KUNIT_EXPECT_EQ(test, iox_domain_free(NULL), -EINVAL);
	KUNIT_EXPECT_EQ(test, iox_domain_free(ERR_PTR(-ENOMEM)), -EINVAL);
	/* No domain or no device: refused. */
	KUNIT_EXPECT_EQ(test, iox_attach_device(NULL, mock_devs[1]), -EINVAL);
	KUNIT_EXPECT_EQ(test, iox_attach_device(d, NULL), -EINVAL);
	KUNIT_EXPECT_EQ(test, iox_detach_device(NULL, mock_devs[1]), -EINVAL);
	KUNIT_EXPECT_EQ(test, iox_detach_device(d, NULL), -EINVAL);
	KUNIT_EXPECT_NULL(test, iox_device_domain(mock_devs[1]));
}

static void attach_intersects_caps(struct kunit *test)
{
	struct mock_domain *md = test->priv;
	struct iox_domain *d = &md->domain;

	KUNIT_ASSERT_EQ(test, iox_attach_device(d, mock_devs[0]), 0);
	KUNIT_ASSERT_EQ(test, iox_map(d, 0, 0, SZ_2M, IOX_PROT_READ, GFP_KERNEL), 0);
	/* mock_narrow has no 2M pages: the 2M mapping keeps it out. */
	KUNIT_EXPECT_EQ(test, iox_attach_device(d, mock_devs[2]), -EINVAL);
	KUNIT_EXPECT_EQ(test, iox_unmap(d, 0, SZ_2M), SZ_2M);
	/* Its 4K page table could map this, but not 2^39 and beyond. */
	KUNIT_ASSERT_EQ(test, iox_map(d, BIT_ULL(40), 0, SZ_4K, IOX_PROT_READ, GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, iox_attach_device(d, mock_devs[2]), -ERANGE);
	KUNIT_EXPECT_EQ(test, iox_unmap(d, BIT_ULL(40), SZ_4K), SZ_4K);

	KUNIT_ASSERT_EQ(test, iox_attach_device(d, mock_devs[2]), 0);
	KUNIT_EXPECT_EQ(test, d->pgsize_bitmap, SZ_4K);
	KUNIT_EXPECT_EQ(test, d->aperture_end, BIT_ULL(39) - 1);
	md->nr_calls = 0;
	KUNIT_EXPECT_EQ(test, iox_map(d, 0, 0, SZ_2M, IOX_PROT_READ, GFP_KERNEL), 0);
	expect_call(test, md, 0, MOCK_MAP, 0, 0, SZ_4K, 512);
	KUNIT_EXPECT_EQ(test, iox_map(d, BIT_ULL(39), 0, SZ_4K, IOX_PROT_READ, GFP_KERNEL),
			-ERANGE);
	KUNIT_EXPECT_EQ(test, iox_unmap(d, 0, SZ_2M), SZ_2M);

	/* Detaching the narrow unit's device widens the domain again. */
	KUNIT_EXPECT_EQ(test, iox_detach_device(d, mock_devs[2]), 0);
	KUNIT_EXPECT_EQ(test, d->pgsize_bitmap, PGS_4K_2M_1G);
	KUNIT_EXPECT_EQ(test, d->aperture_end, BIT_ULL(48) - 1);
}

/*
 * A unit joins a domain only if it can walk the page table as written: a
 * non-coherent unit would miss entries written without cache flushes, a
 * unit without snoop control would fault on the SNP bit.
 */
static void attach_refuses_unwalkable_units(struct kunit *test)
{
	struct mock_domain *md = test->priv;
	struct iox_domain *d = &md->domain, *plain;

	/* Refused even while empty: the root table itself was not flushed. */
	KUNIT_EXPECT_EQ(test, iox_attach_device(d, mock_devs[5]), -EINVAL);
	KUNIT_EXPECT_NULL(test, iox_device_domain(mock_devs[5]));
	/* Coherent, but without snoop control: still refused. */
	mock_units[3].coherent = true;
	KUNIT_EXPECT_EQ(test, iox_attach_device(d, mock_devs[5]), -EINVAL);
	mock_units[3].coherent = false;
	/* Snoop control, but not coherent: refused. */
	mock_units[3].force_snoop = true;
	KUNIT_EXPECT_EQ(test, iox_attach_device(d, mock_devs[5]), -EINVAL);
	mock_units[3].force_snoop = false;
	KUNIT_EXPECT_TRUE(test, d->coherent);

	/* Tables written for the plain unit suit any: flushed, no SNP. */
	plain = iox_domain_alloc(&mock_units[3]);
	KUNIT_ASSERT_FALSE(test, IS_ERR(plain));
	KUNIT_EXPECT_EQ(test, iox_attach_device(plain, mock_devs[5]), 0);
	KUNIT_EXPECT_EQ(test, iox_attach_device(plain, mock_devs[0]), 0);
	KUNIT_EXPECT_FALSE(test, plain->coherent);
	KUNIT_EXPECT_EQ(test, iox_detach_device(plain, mock_devs[0]), 0);
	KUNIT_EXPECT_EQ(test, iox_detach_device(plain, mock_devs[5]), 0);
	KUNIT_EXPECT_EQ(test, iox_domain_free(plain), 0);
}

/*
 * A domain flushes lazily only if every unit allows it: a unit that cannot
 * defer invalidation does not join a domain with a flush queue.
 */
static void attach_refuses_lazy_for_strict_unit(struct kunit *test)
{
	struct iox_iova_domain *iovad = kunit_kzalloc(test, sizeof(*iovad), GFP_KERNEL);
	struct mock_domain *md = test->priv;
	struct iox_domain *d = &md->domain;
	int ret;

	KUNIT_ASSERT_NOT_NULL(test, iovad);
	KUNIT_ASSERT_EQ(test, iox_iova_domain_init(iovad, SZ_4K, 1, 1023, NULL), 0);
	mock_units[1].lazy_ok = false;
	/* Strict, the domain takes the unit, and lazy mode is refused then. */
	KUNIT_EXPECT_EQ(test, iox_attach_device(d, mock_devs[2]), 0);
	KUNIT_EXPECT_EQ(test, iox_domain_enable_lazy(d, iovad, 8, 10), -EOPNOTSUPP);
	KUNIT_EXPECT_EQ(test, iox_detach_device(d, mock_devs[2]), 0);
	/* Lazy, the unit is refused and the domain keeps its queue. */
	KUNIT_ASSERT_EQ(test, iox_domain_enable_lazy(d, iovad, 8, 10), 0);
	ret = iox_attach_device(d, mock_devs[2]);
	KUNIT_EXPECT_TRUE(test, d->lazy_ok);
	if (!ret)
		iox_detach_device(d, mock_devs[2]);
	KUNIT_EXPECT_EQ(test, ret, -EINVAL);
	KUNIT_EXPECT_NULL(test, iox_device_domain(mock_devs[2]));
	KUNIT_EXPECT_EQ(test, iox_attach_device(d, mock_devs[0]), 0);
	mock_units[1].lazy_ok = true;
	KUNIT_EXPECT_EQ(test, iox_detach_device(d, mock_devs[0]), 0);
	/* The queue goes with the domain, before the allocator it frees into. */
	KUNIT_ASSERT_EQ(test, iox_domain_free(d), 0);
	test->priv = NULL;
	iox_iova_domain_destroy(iovad);
	KUNIT_EXPECT_EQ(test, iovad->leaked, 0UL);
}

static int emptied_map_ret;

/* Runs when an unmap empties the domain, between its count and its reset. */
static void map_when_emptied(struct iox_domain *d)
{
	iox_test_set_emptied_hook(NULL);
	emptied_map_ret = iox_map(d, BIT_ULL(40), 0, SZ_2M, IOX_PROT_READ, GFP_ATOMIC);
}

/*
 * A map that races with the unmap emptying the domain keeps its record, so
 * a unit that cannot translate it (no 2M pages, a 39-bit aperture) stays
 * out.
 */
static void accounting_survives_racing_map(struct kunit *test)
{
	struct mock_domain *md = test->priv;
	struct iox_domain *d = &md->domain;

	KUNIT_ASSERT_EQ(test, iox_map(d, 0, 0, SZ_4K, IOX_PROT_READ, GFP_KERNEL), 0);
	emptied_map_ret = -EINVAL;
	iox_test_set_emptied_hook(map_when_emptied);
	KUNIT_EXPECT_EQ(test, iox_unmap(d, 0, SZ_4K), SZ_4K);
	iox_test_set_emptied_hook(NULL);
	KUNIT_ASSERT_EQ(test, emptied_map_ret, 0);
	KUNIT_EXPECT_EQ(test, atomic64_read(&d->mapped_bytes), SZ_2M);
	KUNIT_EXPECT_TRUE(test, atomic_long_read(&d->used_pgsizes) & SZ_2M);
	KUNIT_EXPECT_GE(test, (u64)atomic64_read(&d->highest_mapped),
			BIT_ULL(40) + SZ_2M - 1);
	KUNIT_EXPECT_NE(test, iox_attach_device(d, mock_devs[2]), 0);
	KUNIT_EXPECT_NULL(test, iox_device_domain(mock_devs[2]));

	/* Emptied for good, the domain forgets and admits the unit again. */
	KUNIT_EXPECT_EQ(test, iox_unmap(d, BIT_ULL(40), SZ_2M), SZ_2M);
	KUNIT_EXPECT_EQ(test, iox_attach_device(d, mock_devs[2]), 0);
}

/*
 * An attach that its backend could neither complete nor undo leaves the
 * unit in the domain's set, as the unit may still walk the domain's tables
 * for the device: the domain is not freed (-EBUSY) until the unit is out
 * of the set.  Freed at once, its tables would be freed under the unit.
 */
static void free_refused_while_unit_joined(struct kunit *test)
{
	struct iox_domain *d = iox_domain_alloc(&mock_units[0]);

	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(d));
	mock_attach_stays_joined = true;
	KUNIT_EXPECT_EQ(test, iox_attach_device(d, mock_devs[1]), -EIO);
	mock_attach_stays_joined = false;
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(mock_joined));
	KUNIT_EXPECT_NULL(test, iox_device_domain(mock_devs[1]));
	KUNIT_EXPECT_EQ(test, iox_domain_free(d), -EBUSY);

	/* The backend took the unit back later: now the domain goes. */
	mutex_lock(&d->lock);
	iox_domain_unit_release(mock_joined);
	mutex_unlock(&d->lock);
	KUNIT_EXPECT_EQ(test, iox_domain_free(d), 0);
}

static void stats_count_operations(struct kunit *test)
{
	struct mock_domain *md = test->priv;
	struct iox_domain *d = &md->domain;
	struct iox_domain_stats stats;

	KUNIT_ASSERT_EQ(test, iox_map(d, 0, 0, SZ_8K, IOX_PROT_READ, GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, iox_map(d, SZ_2M, 0, SZ_2M, IOX_PROT_READ, GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, iox_map(d, 0, 0, SZ_4K, IOX_PROT_READ, GFP_KERNEL), -EEXIST);
	KUNIT_EXPECT_EQ(test, iox_unmap(d, 0, SZ_4K), SZ_4K);
	KUNIT_EXPECT_EQ(test, iox_unmap(d, SZ_1M, SZ_4K), 0);
	iox_flush_all(d);
	iox_domain_get_stats(d, &stats);
	KUNIT_EXPECT_EQ(test, stats.maps, 2);
	KUNIT_EXPECT_EQ(test, stats.bytes_mapped, SZ_8K + SZ_2M);
	KUNIT_EXPECT_EQ(test, stats.unmaps, 1);
	KUNIT_EXPECT_EQ(test, stats.bytes_unmapped, SZ_4K);
	KUNIT_EXPECT_EQ(test, stats.syncs, 1);
	KUNIT_EXPECT_EQ(test, stats.flush_alls, 1);
	KUNIT_EXPECT_EQ(test, mock_count(md, MOCK_FLUSH_ALL), 1);
	KUNIT_EXPECT_EQ(test, atomic64_read(&d->mapped_bytes), SZ_4K + SZ_2M);
}

/*
 * A sync the backend reports failed: the unmap returns its errno, and the
 * page-table page the unmap freed is kept (hardware may still walk it)
 * until a domain-wide flush succeeds.
 */
static void sync_failure_keeps_tables(struct kunit *test)
{
	struct mock_domain *md = test->priv;
	struct iox_domain *d = &md->domain;
	struct iox_domain_stats stats;
	struct page *table = alloc_page(GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, table);
	/* Our own reference shows whether the core let go of the page. */
	get_page(table);
	KUNIT_ASSERT_EQ(test, iox_map(d, 0, 0, SZ_8K, IOX_PROT_READ, GFP_KERNEL), 0);
	md->table = table;
	md->fail_sync = -ETIMEDOUT;
	KUNIT_EXPECT_EQ(test, iox_unmap(d, 0, SZ_8K), -ETIMEDOUT);
	KUNIT_EXPECT_EQ(test, iox_iova_to_phys(d, 0), 0);
	expect_kept(test, d, table, 1);
	iox_domain_get_stats(d, &stats);
	KUNIT_EXPECT_EQ(test, stats.sync_errors, 1);

	/* A failing flush keeps them too; a successful one lets them go. */
	KUNIT_EXPECT_EQ(test, iox_flush_all(d), -ETIMEDOUT);
	expect_kept(test, d, table, 1);
	md->fail_sync = 0;
	KUNIT_EXPECT_EQ(test, iox_flush_all(d), 0);
	expect_kept(test, d, table, 0);
	iox_domain_get_stats(d, &stats);
	KUNIT_EXPECT_EQ(test, stats.sync_errors, 2);
	put_page(table);

	/* Kept pages left at free time go with the domain. */
	KUNIT_ASSERT_EQ(test, iox_map(d, 0, 0, SZ_8K, IOX_PROT_READ, GFP_KERNEL), 0);
	md->table = alloc_page(GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, md->table);
	md->fail_sync = -EIO;
	KUNIT_EXPECT_EQ(test, iox_unmap(d, 0, SZ_8K), -EIO);
	KUNIT_EXPECT_EQ(test, atomic_long_read(&d->nr_kept_pages), 1);
}

/* A detach the backend could not complete leaves the device attached. */
static void detach_failure_keeps_device(struct kunit *test)
{
	struct mock_domain *md = test->priv;
	struct iox_domain *d = &md->domain;

	KUNIT_ASSERT_EQ(test, iox_attach_device(d, mock_devs[0]), 0);
	mock_detach_fail = -ETIMEDOUT;
	KUNIT_EXPECT_EQ(test, iox_detach_device(d, mock_devs[0]), -ETIMEDOUT);
	KUNIT_EXPECT_PTR_EQ(test, iox_device_domain(mock_devs[0]), d);
	KUNIT_EXPECT_EQ(test, d->nr_devices, 1);
	KUNIT_EXPECT_EQ(test, iox_domain_free(d), -EBUSY);
	mock_detach_fail = 0;
	KUNIT_EXPECT_EQ(test, iox_detach_device(d, mock_devs[0]), 0);
	KUNIT_EXPECT_NULL(test, iox_device_domain(mock_devs[0]));
}

#ifdef CONFIG_TRACEPOINTS
#include "../iox_trace.h"

struct trace_seen {
	int maps;
	u64 iova;
	size_t size;
	int unmaps;
	size_t unmapped;
	int syncs;
};

static void probe_map(void *data, int domain, u64 iova, phys_addr_t paddr, size_t size,
		      int prot)
{
	struct trace_seen *seen = data;

	seen->maps++;
	seen->iova = iova;
	seen->size = size;
}

static void probe_unmap(void *data, int domain, u64 iova, size_t size, size_t unmapped)
{
	struct trace_seen *seen = data;

	seen->unmaps++;
	seen->unmapped = unmapped;
}

static void probe_sync(void *data, int domain, u64 start, u64 end, size_t pgsize,
		       bool queued)
{
	((struct trace_seen *)data)->syncs++;
}

static void tracepoints_fire(struct kunit *test)
{
	struct iox_domain *d = &((struct mock_domain *)test->priv)->domain;
	struct trace_seen seen = {};

	KUNIT_ASSERT_EQ(test, register_trace_iox_map(probe_map, &seen), 0);
	KUNIT_ASSERT_EQ(test, register_trace_iox_unmap(probe_unmap, &seen), 0);
	KUNIT_ASSERT_EQ(test, register_trace_iox_sync(probe_sync, &seen), 0);
	KUNIT_EXPECT_EQ(test, iox_map(d, SZ_1M, 0, SZ_8K, IOX_PROT_READ, GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, iox_unmap(d, SZ_1M, SZ_8K), SZ_8K);
	unregister_trace_iox_map(probe_map, &seen);
	unregister_trace_iox_unmap(probe_unmap, &seen);
	unregister_trace_iox_sync(probe_sync, &seen);
	tracepoint_synchronize_unregister();
	KUNIT_EXPECT_EQ(test, seen.maps, 1);
	KUNIT_EXPECT_EQ(test, seen.iova, SZ_1M);
	KUNIT_EXPECT_EQ(test, seen.size, SZ_8K);
	KUNIT_EXPECT_EQ(test, seen.unmaps, 1);
	KUNIT_EXPECT_EQ(test, seen.unmapped, SZ_8K);
	KUNIT_EXPECT_EQ(test, seen.syncs, 1);
}
#else
static void tracepoints_fire(struct kunit *test)
{
	kunit_skip(test, "CONFIG_TRACEPOINTS is off");
}
#endif

static struct kunit_case iox_core_cases[] = {
	KUNIT_CASE(map_gigabyte_in_one_call),
	KUNIT_CASE(map_mixed_alignment),
	KUNIT_CASE(map_syncs_once_a_unit_needs_it),
	KUNIT_CASE(map_4k_only_backend),
	KUNIT_CASE(map_failure_unwinds_exactly),
	KUNIT_CASE(map_refuses_bad_input),
	KUNIT_CASE(map_over_mapping_fails),
	KUNIT_CASE(unmap_syncs_once),
	KUNIT_CASE(unmap_stops_at_hole),
	KUNIT_CASE(unmap_range_tells_why),
	KUNIT_CASE(unmap_fast_queued_gathers_nothing),
	KUNIT_CASE(gather_helpers),
	KUNIT_CASE(lazy_unmap_flushes_per_ring),
	KUNIT_CASE(lazy_refused_unmap_keeps_tables),
	KUNIT_CASE(lazy_short_unmap_keeps_range),
	KUNIT_CASE(map_sg_merges_and_is_atomic),
	KUNIT_CASE(map_sg_refuses_bad_input),
	KUNIT_CASE(unmap_twice_is_harmless),
	KUNIT_CASE(unit_registration_rules),
	KUNIT_CASE(fault_reports_reach_handler),
	KUNIT_CASE(unit_set_lifecycle),
	KUNIT_CASE(attach_detach_rules),
	KUNIT_CASE(attach_intersects_caps),
	KUNIT_CASE(attach_refuses_unwalkable_units),
	KUNIT_CASE(attach_refuses_lazy_for_strict_unit),
	KUNIT_CASE(accounting_survives_racing_map),
	KUNIT_CASE(stats_count_operations),
	KUNIT_CASE(free_refused_while_unit_joined),
	KUNIT_CASE(sync_failure_keeps_tables),
	KUNIT_CASE(detach_failure_keeps_device),
	KUNIT_CASE(tracepoints_fire),
	{}
};

static struct kunit_suite iox_core_suite = {
	.name = "iox-core",
	.suite_init = iox_core_suite_init,
	.suite_exit = iox_core_suite_exit,
	.init = iox_core_test_init,
	.exit = iox_core_test_exit,
	.test_cases = iox_core_cases,
};

kunit_test_suite(iox_core_suite);

MODULE_IMPORT_NS(IOX_TEST);
MODULE_DESCRIPTION("KUnit tests for the iox core");
MODULE_LICENSE("GPL");
