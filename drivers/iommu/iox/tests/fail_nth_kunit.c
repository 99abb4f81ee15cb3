// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit allocation-failure sweeps, after iommufd's fail_nth test: each
 * operation runs with its 1st, 2nd, ... allocation failed in turn (the
 * task's fail-nth counter of the fault-injection framework, which counts
 * iox's allocation sites, see iox_should_fail_alloc()), until it runs with
 * no failure.  After every failed run the state must be as before: page-
 * table pages and their audit, the domain's counters (its debugfs "stats"
 * file), mappings, attached devices, IOVA counters; KASAN and lockdep watch
 * the unwinding.  Each sweep prints how many allocation sites it covered.
 *
 * The domains here are served by a small backend on the page-table
 * library, as a hardware backend is, so that map and unmap allocate the
 * way they do on hardware.
 */
#include <kunit/test.h>
#include <linux/cred.h>
#include <linux/debugfs.h>
#include <linux/device.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/mount.h>
#include <linux/iox.h>
#include <linux/iox-iova.h>
#include <linux/iox-pgtable.h>
#include <linux/scatterlist.h>
#include <linux/sched.h>
#include <linux/sizes.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "debugfs_read.h"
#include "fail_nth.h"

#define PT_PGSIZES	(SZ_4K | SZ_2M | SZ_1G)

/* ----- a backend on the page-table library ----- */

struct pt_domain {
	struct iox_domain domain;
	spinlock_t lock;	/* serialises changes to @pgt */
	struct iox_pgtable pgt;
};

static struct pt_domain *to_pt(struct iox_domain *domain)
{
	return container_of(domain, struct pt_domain, domain);
}

static int pt_map_pages(struct iox_domain *domain, u64 iova, phys_addr_t paddr,
			size_t pgsize, size_t pgcount, int prot, gfp_t gfp, size_t *mapped)
{
	struct pt_domain *pd = to_pt(domain);
	unsigned long flags;
	int ret;

	spin_lock_irqsave(&pd->lock, flags);
	ret = iox_pgtable_map_pages(&pd->pgt, iova, paddr, pgsize, pgcount, prot,
				    GFP_ATOMIC, mapped);
	spin_unlock_irqrestore(&pd->lock, flags);
	return ret;
}

static int pt_unmap_pages(struct iox_domain *domain, u64 iova, size_t pgsize,
			  size_t pgcount, struct iox_iotlb_gather *gather, size_t *unmapped)
{
	struct pt_domain *pd = to_pt(domain);
	unsigned long flags;
	int ret;

	spin_lock_irqsave(&pd->lock, flags);
	ret = iox_pgtable_unmap_pages(&pd->pgt, iova, pgsize, pgcount, gather, unmapped);
	spin_unlock_irqrestore(&pd->lock, flags);
	return ret;
}

static int pt_iotlb_sync(struct iox_domain *domain, struct iox_iotlb_gather *gather)
{
	return 0;
}

static int pt_flush_iotlb_all(struct iox_domain *domain)
{
	return 0;
}

static phys_addr_t pt_iova_to_phys(struct iox_domain *domain, u64 iova)
{
	return iox_pgtable_iova_to_phys(&to_pt(domain)->pgt, iova);
}

static int pt_attach_dev(struct iox_domain *domain, struct iox_unit *unit, struct device *dev)
{
	return 0;
}

static int pt_detach_dev(struct iox_domain *domain, struct iox_unit *unit,
			 struct device *dev)
{
	return 0;
}

static void pt_free(struct iox_domain *domain)
{
	struct pt_domain *pd = to_pt(domain);

	iox_pgtable_destroy(&pd->pgt);
	kfree(pd);
}

static int pt_lookup(struct iox_domain *domain, u64 iova, struct iox_mapping *m)
{
	return iox_pgtable_get_mapping(&to_pt(domain)->pgt, iova, m);
}

static void pt_pgtable_info(struct iox_domain *domain, struct iox_pgtable_info *info)
{
	iox_pgtable_get_info(&to_pt(domain)->pgt, info);
}

static const struct iox_domain_ops pt_domain_ops = {
	.map_pages = pt_map_pages,
	.unmap_pages = pt_unmap_pages,
	.iotlb_sync = pt_iotlb_sync,
	.flush_iotlb_all = pt_flush_iotlb_all,
	.iova_to_phys = pt_iova_to_phys,
	.attach_dev = pt_attach_dev,
	.detach_dev = pt_detach_dev,
	.free = pt_free,
	.lookup = pt_lookup,
	.pgtable_info = pt_pgtable_info,
};

static struct iox_domain *pt_domain_alloc(struct iox_unit *unit)
{
	struct iox_pgtable_cfg cfg = {
		.format = IOX_PGTABLE_VTD_SL, .ias = 48, .oas = 48,
		.pgsize_bitmap = PT_PGSIZES, .coherent = true,
	};
	struct pt_domain *pd;
	int ret;

	pd = iox_should_fail_alloc() ? NULL : kzalloc(sizeof(*pd), GFP_KERNEL);
	if (!pd)
		return ERR_PTR(-ENOMEM);
	spin_lock_init(&pd->lock);
	ret = iox_pgtable_init(&pd->pgt, &cfg, GFP_KERNEL);
	if (ret) {
		kfree(pd);
		return ERR_PTR(ret);
	}
	pd->domain.ops = &pt_domain_ops;
	return &pd->domain;
}

static bool pt_serves(struct iox_unit *unit, struct device *dev);

static void pt_show(struct iox_unit *unit, struct seq_file *m)
{
}

static const struct iox_unit_ops pt_unit_ops = {
	.show = pt_show,
	.serves = pt_serves,
	.domain_alloc = pt_domain_alloc,
};

static struct iox_unit pt_unit = {
	.name = "fail_nth_pt",
	.ops = &pt_unit_ops,
	.pgsize_bitmap = PT_PGSIZES,
	.ias = 48,
	.coherent = true,
};

static struct device *pt_dev;

static bool pt_serves(struct iox_unit *unit, struct device *dev)
{
	return dev == pt_dev;
}

/* The state of the domain under test, as the checks compare it. */
struct dom_state {
	long live_pages;
	struct iox_pgtable_usage usage;
	s64 mapped_bytes;
	struct iox_domain_stats stats;
	unsigned int nr_devices;
	struct iox_domain *dev_domain;
};

static struct iox_domain *dom;
static struct dom_state dom_before;

static void dom_state_of(struct kunit *test, struct dom_state *st)
{
	struct pt_domain *pd = to_pt(dom);
	struct iox_pgtable_info info;

	KUNIT_ASSERT_EQ(test, iox_domain_pgtable_info(dom, &info), 0);
	st->live_pages = info.pages_live;
	KUNIT_EXPECT_EQ(test, iox_pgtable_audit(&pd->pgt, &st->usage), 0);
	KUNIT_EXPECT_EQ(test, (long)st->usage.tables, st->live_pages);
	st->mapped_bytes = atomic64_read(&dom->mapped_bytes);
	iox_domain_get_stats(dom, &st->stats);
	st->nr_devices = dom->nr_devices;
	st->dev_domain = iox_device_domain(pt_dev);
}

static void dom_snap(struct kunit *test)
{
	dom_state_of(test, &dom_before);
}

/*
 * As before, but that a failed map may leave the tables it installed
 * behind, mapping nothing: the unmap that undoes it frees only the tables
 * it covers whole, and such tables serve later maps.  Every table page is
 * reachable (dom_state_of() checks), so none leaked.
 */
static void dom_check(struct kunit *test)
{
	struct dom_state now;

	dom_state_of(test, &now);
	KUNIT_EXPECT_GE(test, now.live_pages, dom_before.live_pages);
	KUNIT_EXPECT_EQ(test, now.usage.mapped, dom_before.usage.mapped);
	KUNIT_EXPECT_EQ(test, now.mapped_bytes, dom_before.mapped_bytes);
	KUNIT_EXPECT_EQ(test, now.stats.maps, dom_before.stats.maps);
	KUNIT_EXPECT_EQ(test, now.stats.unmaps, dom_before.stats.unmaps);
	KUNIT_EXPECT_EQ(test, now.stats.bytes_mapped, dom_before.stats.bytes_mapped);
	KUNIT_EXPECT_EQ(test, now.stats.bytes_unmapped, dom_before.stats.bytes_unmapped);
	KUNIT_EXPECT_EQ(test, now.nr_devices, dom_before.nr_devices);
	KUNIT_EXPECT_PTR_EQ(test, now.dev_domain, dom_before.dev_domain);
}

/* Where the ranges below lie: far from each other, so that each needs tables. */
#define MAP_IOVA	(5ULL * SZ_1G + SZ_2M - SZ_8K)
#define MAP_FAR		BIT_ULL(40)	/* below another root entry */
#define SG_IOVA		(9ULL * SZ_1G)
#define SPLIT_IOVA	(12ULL * SZ_1G)

static u64 map_at;

static int run_map(struct kunit *test)
{
	/* 8K before a 2M boundary, 2M, 8K after: three runs, two leaf tables. */
	return iox_map(dom, map_at, MAP_IOVA, SZ_8K + SZ_2M + SZ_8K,
		       IOX_PROT_READ | IOX_PROT_WRITE, GFP_KERNEL);
}

static void undo_map(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, iox_unmap(dom, map_at, SZ_8K + SZ_2M + SZ_8K),
			SZ_8K + SZ_2M + SZ_8K);
}

static void check_map(struct kunit *test)
{
	dom_check(test);
	KUNIT_EXPECT_EQ(test, iox_iova_to_phys(dom, map_at), 0);
	KUNIT_EXPECT_EQ(test, iox_iova_to_phys(dom, map_at + SZ_8K + SZ_2M), 0);
}

static struct page *sg_pages;
static struct scatterlist sg[3];

static int run_map_sg(struct kunit *test)
{
	ssize_t ret = iox_map_sg(dom, SG_IOVA, sg, ARRAY_SIZE(sg), IOX_PROT_READ, GFP_KERNEL);

	return ret < 0 ? ret : 0;
}

static void undo_map_sg(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, iox_unmap(dom, SG_IOVA, 3 * SZ_4K), 3 * SZ_4K);
}

static void check_map_sg(struct kunit *test)
{
	dom_check(test);
	KUNIT_EXPECT_EQ(test, iox_iova_to_phys(dom, SG_IOVA), 0);
}

static int run_unmap_split(struct kunit *test)
{
	size_t unmapped;

	/* 4K out of a 1G page: a 2M table and a 4K table. */
	return iox_unmap_range(dom, SPLIT_IOVA + SZ_2M + SZ_4K, SZ_4K, NULL, &unmapped);
}

static void undo_unmap_split(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, iox_map(dom, SPLIT_IOVA + SZ_2M + SZ_4K, SZ_2M + SZ_4K, SZ_4K,
				      IOX_PROT_READ, GFP_KERNEL), 0);
}

static u64 nomem_before;

static void snap_unmap_split(struct kunit *test)
{
	dom_snap(test);
	nomem_before = dom_before.stats.unmap_nomem;
}

static void check_unmap_split(struct kunit *test)
{
	struct iox_pgtable_info info;
	struct iox_domain_stats stats;

	dom_check(test);
	/* Nothing changed: no table was installed. */
	KUNIT_EXPECT_EQ(test, iox_domain_pgtable_info(dom, &info), 0);
	KUNIT_EXPECT_EQ(test, info.pages_live, dom_before.live_pages);
	/* The 1G page still translates all of it, and the shortage was counted. */
	KUNIT_EXPECT_EQ(test, iox_iova_to_phys(dom, SPLIT_IOVA + SZ_2M + SZ_4K),
			SZ_2M + SZ_4K);
	iox_domain_get_stats(dom, &stats);
	KUNIT_EXPECT_EQ(test, stats.unmap_nomem, nomem_before + 1);
}

static int run_attach(struct kunit *test)
{
	return iox_attach_device(dom, pt_dev);
}

static void undo_attach(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, iox_detach_device(dom, pt_dev), 0);
}

/* Domain allocation: nothing is left, not even the domain's id. */
static struct iox_domain *new_dom;
static int probe_id;

static int run_domain_alloc(struct kunit *test)
{
	new_dom = iox_domain_alloc(&pt_unit);
	return IS_ERR(new_dom) ? PTR_ERR(new_dom) : 0;
}

static void undo_domain_alloc(struct kunit *test)
{
	/* The lowest free id: no failed attempt kept one. */
	KUNIT_EXPECT_EQ(test, new_dom->id, probe_id);
	KUNIT_EXPECT_EQ(test, iox_domain_free(new_dom), 0);
}

static void snap_nothing(struct kunit *test)
{
}

static void check_domain_alloc(struct kunit *test)
{
	struct dentry *iox = debugfs_lookup("iox", NULL), *root = NULL, *d;
	char name[16];

	if (!IS_ERR_OR_NULL(iox))
		root = debugfs_lookup("domains", iox);
	/* No debugfs directory was left for the id the attempt had. */
	if (!IS_ERR_OR_NULL(root)) {
		snprintf(name, sizeof(name), "%d", probe_id);
		d = debugfs_lookup(name, root);
		KUNIT_EXPECT_TRUE(test, IS_ERR_OR_NULL(d));
		if (!IS_ERR_OR_NULL(d))
			dput(d);
		dput(root);
	}
	if (!IS_ERR_OR_NULL(iox))
		dput(iox);
}

static struct iox_iova_domain *iovad;

static int run_iova_init(struct kunit *test)
{
	return iox_iova_domain_init(iovad, SZ_4K, 1, (1UL << 20) - 1, "fail_nth");
}

static void undo_iova_init(struct kunit *test)
{
	iox_iova_domain_destroy(iovad);
	KUNIT_EXPECT_EQ(test, iovad->leaked, 0);
}

static struct iox_iova_stats iova_before;

static void snap_iova(struct kunit *test)
{
	iox_iova_get_stats(iovad, &iova_before);
}

static void check_iova(struct kunit *test)
{
	struct iox_iova_stats now;

	iox_iova_get_stats(iovad, &now);
	KUNIT_EXPECT_EQ(test, now.tree_nodes, iova_before.tree_nodes);
	KUNIT_EXPECT_EQ(test, now.tree_allocs, iova_before.tree_allocs);
	KUNIT_EXPECT_EQ(test, now.tree_frees, iova_before.tree_frees);
	KUNIT_EXPECT_EQ(test, now.cpu_cached, iova_before.cpu_cached);
	KUNIT_EXPECT_EQ(test, now.bad_frees, iova_before.bad_frees);
}

static int run_iova_reserve(struct kunit *test)
{
	return iox_iova_reserve(iovad, 0x1000, 0x10ff);
}

static void undo_iova_reserve(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, iox_iova_unreserve(iovad, 0x1000, 0x10ff), 0);
}

static unsigned long iova_pfn;

static int run_iova_alloc(struct kunit *test)
{
	/* Beyond the caches: a tree node is allocated. */
	return iox_iova_alloc(iovad, 64, (1UL << 20) - 1, &iova_pfn);
}

static void undo_iova_alloc(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, iox_iova_free(iovad, iova_pfn, 64), 0);
	iox_iova_flush_caches(iovad);
}

static void check_iova_alloc(struct kunit *test)
{
	check_iova(test);
}

static int fail_nth_init(struct kunit *test)
{
	if (!IS_ENABLED(CONFIG_IOX_FAULT_INJECTION))
		kunit_skip(test, "needs CONFIG_IOX_FAULT_INJECTION");
	dom = iox_domain_alloc(&pt_unit);
	KUNIT_ASSERT_FALSE(test, IS_ERR(dom));
	return 0;
}

static void fail_nth_exit(struct kunit *test)
{
	if (IS_ERR_OR_NULL(dom))
		return;
	if (iox_device_domain(pt_dev) == dom)
		iox_detach_device(dom, pt_dev);
	iox_domain_free(dom);
	dom = NULL;
}

static void fail_nth_domain(struct kunit *test)
{
	const struct sweep alloc = {
		"domain alloc", run_domain_alloc, undo_domain_alloc, snap_nothing,
		check_domain_alloc,
	};
	struct iox_domain *probe = iox_domain_alloc(&pt_unit);

	KUNIT_ASSERT_FALSE(test, IS_ERR(probe));
	probe_id = probe->id;
	KUNIT_ASSERT_EQ(test, iox_domain_free(probe), 0);
	/* Core stats and id, the backend's domain and its root table. */
	KUNIT_EXPECT_GE(test, sweep_run(test, &alloc), 4U);
}

static void fail_nth_attach(struct kunit *test)
{
	const struct sweep attach = {
		"attach", run_attach, undo_attach, dom_snap, dom_check,
	};

	/* The core's device data (its slot in the device table is not one). */
	KUNIT_EXPECT_GE(test, sweep_run(test, &attach), 1U);
}

static void fail_nth_map(struct kunit *test)
{
	const struct sweep map = { "map", run_map, undo_map, dom_snap, check_map };

	/* Some tables exist already: a map next to them needs fewer. */
	KUNIT_ASSERT_EQ(test, iox_map(dom, MAP_IOVA - SZ_1M, 0, SZ_4K, IOX_PROT_READ,
				      GFP_KERNEL), 0);
	/* The 8K after the 2M page needs a leaf table: one site. */
	map_at = MAP_IOVA;
	KUNIT_EXPECT_EQ(test, sweep_run(test, &map), 1U);
	/* Where no table is: level 3, 2 and 1 tables, then the last leaf table. */
	map_at = MAP_FAR + MAP_IOVA;
	KUNIT_EXPECT_EQ(test, sweep_run(test, &map), 4U);
}

static void fail_nth_map_sg(struct kunit *test)
{
	const struct sweep map_sg = {
		"map_sg", run_map_sg, undo_map_sg, dom_snap, check_map_sg,
	};
	unsigned int i;

	sg_pages = alloc_pages(GFP_KERNEL, 2);
	KUNIT_ASSERT_NOT_NULL(test, sg_pages);
	sg_init_table(sg, ARRAY_SIZE(sg));
	/* Not contiguous: three runs, one walk each. */
	for (i = 0; i < ARRAY_SIZE(sg); i++)
		sg_set_page(&sg[i], sg_pages + (ARRAY_SIZE(sg) - i), SZ_4K, 0);
	/* Levels 3, 2 and 1 for the first entry; the others reuse them. */
	KUNIT_EXPECT_EQ(test, sweep_run(test, &map_sg), 3U);
	__free_pages(sg_pages, 2);
}

static void fail_nth_unmap_split(struct kunit *test)
{
	const struct sweep split = {
		"unmap with split", run_unmap_split, undo_unmap_split, snap_unmap_split,
		check_unmap_split,
	};

	KUNIT_ASSERT_EQ(test, iox_map(dom, SPLIT_IOVA, 0, SZ_1G, IOX_PROT_READ, GFP_KERNEL), 0);
	KUNIT_EXPECT_EQ(test, sweep_run(test, &split), 2U);
	/* Undone by mapping the page again: 4K pages in a split table. */
	KUNIT_EXPECT_EQ(test, iox_unmap(dom, SPLIT_IOVA, SZ_1G), SZ_1G);
}

static void fail_nth_iova(struct kunit *test)
{
	const struct sweep init = {
		"IOVA domain init", run_iova_init, undo_iova_init, snap_nothing, snap_nothing,
	};
	const struct sweep reserve = {
		"IOVA reserve", run_iova_reserve, undo_iova_reserve, snap_iova, check_iova,
	};
	const struct sweep alloc = {
		"IOVA alloc", run_iova_alloc, undo_iova_alloc, snap_iova, check_iova_alloc,
	};
	struct iox_iova_domain *hold;

	iovad = kunit_kzalloc(test, sizeof(*iovad), GFP_KERNEL);
	hold = kunit_kzalloc(test, sizeof(*hold), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, iovad);
	KUNIT_ASSERT_NOT_NULL(test, hold);
	/* Sentinel, per-CPU data, two magazines per size and CPU. */
	KUNIT_EXPECT_GE(test, sweep_run(test, &init), 2U + 12U * num_possible_cpus());
	/* With a domain alive, the shared node cache exists already. */
	KUNIT_ASSERT_EQ(test, iox_iova_domain_init(hold, SZ_4K, 1, 15, NULL), 0);
	KUNIT_ASSERT_EQ(test, iox_iova_domain_init(iovad, SZ_4K, 1, (1UL << 20) - 1,
						   "fail_nth"), 0);
	KUNIT_EXPECT_EQ(test, sweep_run(test, &reserve), 1U);
	iox_iova_flush_caches(iovad);
	KUNIT_EXPECT_GE(test, sweep_run(test, &alloc), 1U);
	iox_iova_domain_destroy(iovad);
	KUNIT_EXPECT_EQ(test, iovad->leaked, 0);
	iox_iova_domain_destroy(hold);
}

/*
 * The API for what a domain's page table holds: the leaf size of a
 * mapping, and the table pages, which debugfs shows too.
 */
static void api_lookup_and_pgtable_info(struct kunit *test)
{
	struct iox_pgtable_info info;
	struct iox_mapping m;

	KUNIT_ASSERT_EQ(test, iox_domain_pgtable_info(dom, &info), 0);
	KUNIT_EXPECT_EQ(test, info.levels, 4U);
	KUNIT_EXPECT_EQ(test, info.pages_live, 1L);
	/* 4K, 2M and 1G leaves, each where the alignment allows. */
	KUNIT_ASSERT_EQ(test, iox_map(dom, SZ_1G - SZ_4K, SZ_1G - SZ_4K,
				      SZ_4K + SZ_1G + SZ_2M, IOX_PROT_READ, GFP_KERNEL), 0);
	KUNIT_ASSERT_EQ(test, iox_lookup(dom, SZ_1G - 1, &m), 0);
	KUNIT_EXPECT_EQ(test, m.size, SZ_4K);
	KUNIT_EXPECT_EQ(test, m.iova, SZ_1G - SZ_4K);
	KUNIT_EXPECT_EQ(test, m.paddr, SZ_1G - 1);
	KUNIT_EXPECT_EQ(test, m.prot, IOX_PROT_READ);
	KUNIT_ASSERT_EQ(test, iox_lookup(dom, SZ_1G + 12345, &m), 0);
	KUNIT_EXPECT_EQ(test, m.size, SZ_1G);
	KUNIT_EXPECT_EQ(test, m.paddr, SZ_1G + 12345);
	KUNIT_ASSERT_EQ(test, iox_lookup(dom, SZ_2G + SZ_4K, &m), 0);
	KUNIT_EXPECT_EQ(test, m.size, SZ_2M);
	KUNIT_EXPECT_EQ(test, iox_lookup(dom, SZ_2G + SZ_2M, &m), -ENOENT);
	KUNIT_EXPECT_EQ(test, iox_lookup(dom, BIT_ULL(48), &m), -ERANGE);
	/* Levels 3, 2 and 1 for the 4K page, level 2 for the 2M page. */
	KUNIT_ASSERT_EQ(test, iox_domain_pgtable_info(dom, &info), 0);
	KUNIT_EXPECT_EQ(test, info.pages_live, 5L);
	KUNIT_EXPECT_EQ(test, info.pages_allocated, 5L);
	KUNIT_EXPECT_EQ(test, iox_unmap(dom, SZ_1G - SZ_4K, SZ_4K + SZ_1G + SZ_2M),
			SZ_4K + SZ_1G + SZ_2M);
	/* No run covered a table whole: they stay, empty, for later maps. */
	KUNIT_ASSERT_EQ(test, iox_domain_pgtable_info(dom, &info), 0);
	KUNIT_EXPECT_EQ(test, info.pages_live, 5L);
	KUNIT_EXPECT_EQ(test, info.pages_gathered, 0L);
}

/*
 * The domain's debugfs files can be read from the kernel, with
 * kernel_read(), which needs read_iter: debugfs' own proxy has none.
 */
static void api_debugfs_kernel_read(struct kunit *test)
{
	char name[48], *buf = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_EQ(test, iox_map(dom, SZ_1M, 0, SZ_8K, IOX_PROT_READ, GFP_KERNEL), 0);
	snprintf(name, sizeof(name), "iox/domains/%d/stats", dom->id);
	KUNIT_EXPECT_GT(test, iox_test_debugfs_read(test, name, buf, PAGE_SIZE), 0);
	KUNIT_EXPECT_NOT_NULL(test, strstr(buf, "mapped_bytes: 8192\n"));
	KUNIT_EXPECT_NOT_NULL(test, strstr(buf, "unmap_nomem: 0\n"));
	KUNIT_EXPECT_EQ(test, iox_unmap(dom, SZ_1M, SZ_8K), SZ_8K);
}

static int pt_api_init(struct kunit *test)
{
	dom = iox_domain_alloc(&pt_unit);
	KUNIT_ASSERT_FALSE(test, IS_ERR(dom));
	return 0;
}

static int fail_nth_suite_init(struct kunit_suite *suite)
{
	pt_dev = root_device_register("iox-fail-nth-dev");
	if (IS_ERR(pt_dev))
		return PTR_ERR(pt_dev);
	return iox_unit_register(&pt_unit);
}

static void fail_nth_suite_exit(struct kunit_suite *suite)
{
	iox_unit_unregister(&pt_unit);
	root_device_unregister(pt_dev);
}

static struct kunit_case fail_nth_cases[] = {
	KUNIT_CASE(fail_nth_domain),
	KUNIT_CASE(fail_nth_attach),
	KUNIT_CASE(fail_nth_map),
	KUNIT_CASE(fail_nth_map_sg),
	KUNIT_CASE(fail_nth_unmap_split),
	KUNIT_CASE(fail_nth_iova),
	{}
};

static struct kunit_suite fail_nth_suite = {
	.name = "iox-fail-nth",
	.suite_init = fail_nth_suite_init,
	.suite_exit = fail_nth_suite_exit,
	.init = fail_nth_init,
	.exit = fail_nth_exit,
	.test_cases = fail_nth_cases,
};

static struct kunit_case pt_api_cases[] = {
	KUNIT_CASE(api_lookup_and_pgtable_info),
	KUNIT_CASE(api_debugfs_kernel_read),
	{}
};

static struct kunit_suite pt_api_suite = {
	.name = "iox-core-pgtable-api",
	.suite_init = fail_nth_suite_init,
	.suite_exit = fail_nth_suite_exit,
	.init = pt_api_init,
	.exit = fail_nth_exit,
	.test_cases = pt_api_cases,
};

kunit_test_suites(&fail_nth_suite, &pt_api_suite);

MODULE_DESCRIPTION("KUnit allocation-failure sweeps of iox");
MODULE_LICENSE("GPL");
