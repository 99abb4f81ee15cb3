// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the iox DMA layer, through the kernel's DMA API: IOVAs
 * below the DMA and coherent masks and outside the MSI window, sub-page
 * offsets, scatterlists in one IOVA range with contiguous entries merged,
 * coherent allocations, and strict against lazy unmaps.  The device is a
 * root device behind a mock unit whose domains use the page-table library
 * and count IOTLB syncs and domain-wide flushes.  Needs dma_map_ops (not
 * UML): runs in the x86_64 kernel.
 */
#include <kunit/test.h>
#include <linux/device.h>
#include <linux/dma-map-ops.h>
#include <linux/dma-mapping.h>
#include <linux/iox.h>
#include <linux/iox-dma.h>
#include <linux/iox-flush-queue.h>
#include <linux/iox-pgtable.h>
#include <linux/mm.h>
#include <linux/scatterlist.h>
#include <linux/sizes.h>
#include <linux/slab.h>

#include "../iox-internal.h"
#include "debugfs_read.h"
#include "fail_nth.h"

struct dk_domain {
	struct iox_domain domain;
	struct iox_pgtable pt;
	atomic_t syncs;
	atomic_t flushes;
};

static struct dk_domain *to_dk(struct iox_domain *domain)
{
	return container_of(domain, struct dk_domain, domain);
}

/* When not 0, the map_pages call that counts this down to 0 fails. */
static int dk_map_fail_in;

static int dk_map_pages(struct iox_domain *domain, u64 iova, phys_addr_t paddr,
			size_t pgsize, size_t pgcount, int prot, gfp_t gfp,
			size_t *mapped)
{
	if (dk_map_fail_in && !--dk_map_fail_in)
		return -ENOMEM;
	return iox_pgtable_map_pages(&to_dk(domain)->pt, iova, paddr, pgsize,
				     pgcount, prot, gfp, mapped);
}

static int dk_unmap_pages(struct iox_domain *domain, u64 iova, size_t pgsize,
			  size_t pgcount, struct iox_iotlb_gather *gather,
			  size_t *unmapped)
{
	return iox_pgtable_unmap_pages(&to_dk(domain)->pt, iova, pgsize, pgcount,
				       gather, unmapped);
}

/* What dk_iotlb_sync() returns: an errno makes invalidations fail. */
static int dk_sync_error;

static int dk_iotlb_sync(struct iox_domain *domain, struct iox_iotlb_gather *gather)
{
	atomic_inc(&to_dk(domain)->syncs);
	return dk_sync_error;
}

static int dk_flush_iotlb_all(struct iox_domain *domain)
{
	atomic_inc(&to_dk(domain)->flushes);
	return 0;
}

static phys_addr_t dk_iova_to_phys(struct iox_domain *domain, u64 iova)
{
	return iox_pgtable_iova_to_phys(&to_dk(domain)->pt, iova);
}

static int dk_attach_dev(struct iox_domain *domain, struct iox_unit *unit,
			 struct device *dev)
{
	return 0;
}

/* What the device's state became when it last left a domain or was released. */
static bool dk_detached_blocked;
static int dk_releases;
static bool dk_released_blocked;
static int dk_release_error;

static int dk_detach_dev(struct iox_domain *domain, struct iox_unit *unit,
			 struct device *dev)
{
	dk_detached_blocked = iox_device_blocked(dev);
	return 0;
}

static int dk_release_dev(struct iox_unit *unit, struct device *dev)
{
	dk_releases++;
	dk_released_blocked = iox_device_blocked(dev);
	return dk_release_error;
}

static void dk_free(struct iox_domain *domain)
{
	iox_pgtable_destroy(&to_dk(domain)->pt);
	kfree(to_dk(domain));
}

static const struct iox_domain_ops dk_domain_ops = {
	.map_pages = dk_map_pages,
	.unmap_pages = dk_unmap_pages,
	.iotlb_sync = dk_iotlb_sync,
	.flush_iotlb_all = dk_flush_iotlb_all,
	.iova_to_phys = dk_iova_to_phys,
	.attach_dev = dk_attach_dev,
	.detach_dev = dk_detach_dev,
	.free = dk_free,
};

static struct iox_domain *dk_domain_alloc(struct iox_unit *unit)
{
	struct iox_pgtable_cfg cfg = {
		.format = IOX_PGTABLE_VTD_SL, .ias = 48, .oas = 48, .coherent = true,
	};
	struct dk_domain *dk = kzalloc(sizeof(*dk), GFP_KERNEL);

	if (!dk)
		return ERR_PTR(-ENOMEM);
	if (iox_pgtable_init(&dk->pt, &cfg, GFP_KERNEL)) {
		kfree(dk);
		return ERR_PTR(-ENOMEM);
	}
	dk->domain.ops = &dk_domain_ops;
	return &dk->domain;
}

static struct device *dk_dev;
static u64 dk_dma_mask;

static bool dk_serves(struct iox_unit *unit, struct device *dev)
{
	return dev == dk_dev;
}

static void dk_show(struct iox_unit *unit, struct seq_file *m)
{
}

static const struct iox_unit_ops dk_unit_ops = {
	.show = dk_show,
	.serves = dk_serves,
	.domain_alloc = dk_domain_alloc,
	.release_dev = dk_release_dev,
};

static struct iox_unit dk_unit = {
	.name = "iox_dma_mock",
	.ops = &dk_unit_ops,
	.pgsize_bitmap = SZ_4K | SZ_2M | SZ_1G,
	.ias = 48,
	.lazy_ok = true,
	.coherent = true,
};

static int dk_suite_init(struct kunit_suite *suite)
{
	dk_dev = root_device_register("iox-dma-kunit");
	if (IS_ERR(dk_dev))
		return PTR_ERR(dk_dev);
	dk_dev->dma_mask = &dk_dma_mask;
	return iox_unit_register(&dk_unit);
}

static void dk_suite_exit(struct kunit_suite *suite)
{
	iox_unit_unregister(&dk_unit);
	root_device_unregister(dk_dev);
}

static struct dk_domain *dk_attach(struct kunit *test, enum iox_dma_policy policy)
{
	dk_dma_mask = DMA_BIT_MASK(64);
	dk_dev->coherent_dma_mask = DMA_BIT_MASK(64);
	KUNIT_ASSERT_EQ(test, iox_dma_attach(dk_dev, policy), 0);
	KUNIT_ASSERT_NOT_NULL(test, dk_dev->dma_ops);
	KUNIT_ASSERT_NOT_NULL(test, iox_device_domain(dk_dev));
	return to_dk(iox_device_domain(dk_dev));
}

static void dk_exit(struct kunit *test)
{
	/* A test that gave the device DMA parameters (its own memory) ends. */
	dk_dev->dma_parms = NULL;
	if (iox_device_domain(dk_dev))
		KUNIT_EXPECT_EQ(test, iox_dma_detach(dk_dev), 0);
	KUNIT_EXPECT_NULL(test, dk_dev->dma_ops);
}

static phys_addr_t dk_phys(struct dk_domain *dk, dma_addr_t addr)
{
	return iox_iova_to_phys(&dk->domain, addr);
}

static bool in_msi_window(dma_addr_t addr, size_t size)
{
	return addr <= IOX_DMA_MSI_END && addr + size - 1 >= IOX_DMA_MSI_START;
}

/*
 * What iox_dma_attach() and iox_dma_detach() refuse: a device no unit
 * serves, a device attached already (to a DMA domain or through the iox
 * API), and a detach of a device in no DMA domain; each leaves the device
 * as it was.
 */
static void dma_attach_refusals(struct kunit *test)
{
	struct device *stray = root_device_register("iox-dma-kunit-stray");
	struct iox_domain *domain, *plain;

	KUNIT_ASSERT_FALSE(test, IS_ERR(stray));
	KUNIT_EXPECT_EQ(test, iox_dma_attach(stray, IOX_DMA_STRICT), -ENODEV);
	KUNIT_EXPECT_NULL(test, stray->dma_ops);
	KUNIT_EXPECT_NULL(test, iox_device_domain(stray));
	KUNIT_EXPECT_EQ(test, iox_dma_detach(stray), -ENODEV);
	root_device_unregister(stray);

	KUNIT_EXPECT_EQ(test, iox_dma_detach(dk_dev), -ENODEV);
	KUNIT_EXPECT_FALSE(test, iox_dma_is_lazy(dk_dev));
	dk_attach(test, IOX_DMA_LAZY);
	domain = iox_device_domain(dk_dev);
	KUNIT_EXPECT_EQ(test, iox_dma_attach(dk_dev, IOX_DMA_STRICT), -EBUSY);
	KUNIT_EXPECT_PTR_EQ(test, iox_device_domain(dk_dev), domain);
	KUNIT_EXPECT_NOT_NULL(test, dk_dev->dma_ops);
	KUNIT_EXPECT_TRUE(test, iox_dma_is_lazy(dk_dev));
	KUNIT_EXPECT_EQ(test, iox_dma_detach(dk_dev), 0);
	KUNIT_EXPECT_NULL(test, dk_dev->dma_ops);
	KUNIT_EXPECT_EQ(test, iox_dma_detach(dk_dev), -ENODEV);

	/* Attached through the iox API, the device is no DMA layer's. */
	plain = iox_domain_alloc(&dk_unit);
	KUNIT_ASSERT_FALSE(test, IS_ERR(plain));
	KUNIT_ASSERT_EQ(test, iox_attach_device(plain, dk_dev), 0);
	KUNIT_EXPECT_EQ(test, iox_dma_attach(dk_dev, IOX_DMA_DEFAULT), -EBUSY);
	KUNIT_EXPECT_EQ(test, iox_dma_detach(dk_dev), -ENODEV);
	KUNIT_EXPECT_PTR_EQ(test, iox_device_domain(dk_dev), plain);
	KUNIT_EXPECT_NULL(test, dk_dev->dma_ops);
	KUNIT_EXPECT_EQ(test, iox_detach_device(plain, dk_dev), 0);
	KUNIT_EXPECT_EQ(test, iox_domain_free(plain), 0);
}

/* IOVAs stay below the mask in use and out of the MSI window. */
static void dma_masks(struct kunit *test)
{
	struct dk_domain *dk = dk_attach(test, IOX_DMA_STRICT);
	struct page *page = alloc_page(GFP_KERNEL);
	static const u64 masks[] = {
		DMA_BIT_MASK(64), DMA_BIT_MASK(40), DMA_BIT_MASK(32),
		IOX_DMA_MSI_END, DMA_BIT_MASK(28),
	};
	dma_addr_t addr;
	void *cpu;
	int i;

	KUNIT_ASSERT_NOT_NULL(test, page);
	for (i = 0; i < ARRAY_SIZE(masks); i++) {
		KUNIT_ASSERT_EQ(test, dma_set_mask(dk_dev, masks[i]), 0);
		addr = dma_map_page(dk_dev, page, 0, SZ_8K, DMA_TO_DEVICE);
		KUNIT_ASSERT_FALSE(test, dma_mapping_error(dk_dev, addr));
		KUNIT_EXPECT_LE_MSG(test, addr + SZ_8K - 1, masks[i], "mask %llx", masks[i]);
		KUNIT_EXPECT_FALSE(test, in_msi_window(addr, SZ_8K));
		KUNIT_EXPECT_EQ(test, dk_phys(dk, addr + SZ_4K), page_to_phys(page) + SZ_4K);
		/* Top-down: a wide mask gives addresses above 4G (not cached). */
		if (masks[i] > DMA_BIT_MASK(33))
			KUNIT_EXPECT_GT(test, addr, DMA_BIT_MASK(32));
		dma_unmap_page(dk_dev, addr, SZ_8K, DMA_TO_DEVICE);
		KUNIT_EXPECT_EQ(test, dk_phys(dk, addr), 0);
	}
	/* Too narrow to leave room. */
	KUNIT_EXPECT_NE(test, dma_set_mask(dk_dev, DMA_BIT_MASK(16)), 0);

	/* Coherent allocations follow the coherent mask, not the DMA mask. */
	KUNIT_ASSERT_EQ(test, dma_set_mask(dk_dev, DMA_BIT_MASK(64)), 0);
	KUNIT_ASSERT_EQ(test, dma_set_coherent_mask(dk_dev, DMA_BIT_MASK(32)), 0);
	cpu = dma_alloc_coherent(dk_dev, SZ_4K, &addr, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, cpu);
	KUNIT_EXPECT_LE(test, addr + SZ_4K - 1, DMA_BIT_MASK(32));
	dma_free_coherent(dk_dev, SZ_4K, cpu, addr);
	/* A size no earlier call freed (nothing cached below 4G): from the top. */
	KUNIT_ASSERT_EQ(test, dma_set_coherent_mask(dk_dev, DMA_BIT_MASK(64)), 0);
	cpu = dma_alloc_coherent(dk_dev, SZ_64K, &addr, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, cpu);
	KUNIT_EXPECT_GT(test, addr, DMA_BIT_MASK(32));
	dma_free_coherent(dk_dev, SZ_64K, cpu, addr);
	__free_page(page);
}

/* A buffer keeps its offset into the page; all its pages are mapped. */
static void dma_subpage_offsets(struct kunit *test)
{
	struct dk_domain *dk = dk_attach(test, IOX_DMA_STRICT);
	struct page *pages = alloc_pages(GFP_KERNEL, 1);
	phys_addr_t pa;
	dma_addr_t addr;

	KUNIT_ASSERT_NOT_NULL(test, pages);
	pa = page_to_phys(pages);
	addr = dma_map_page(dk_dev, pages, 0x234, 100, DMA_FROM_DEVICE);
	KUNIT_ASSERT_FALSE(test, dma_mapping_error(dk_dev, addr));
	KUNIT_EXPECT_EQ(test, addr & (PAGE_SIZE - 1), 0x234ULL);
	KUNIT_EXPECT_EQ(test, dk_phys(dk, addr), pa + 0x234);
	dma_unmap_page(dk_dev, addr, 100, DMA_FROM_DEVICE);
	KUNIT_EXPECT_EQ(test, dk_phys(dk, addr), 0);

	/* 0x200 bytes from 0xf00: two pages. */
	addr = dma_map_single(dk_dev, page_address(pages) + 0xf00, 0x200, DMA_BIDIRECTIONAL);
	KUNIT_ASSERT_FALSE(test, dma_mapping_error(dk_dev, addr));
	KUNIT_EXPECT_EQ(test, addr & (PAGE_SIZE - 1), 0xf00ULL);
	KUNIT_EXPECT_EQ(test, dk_phys(dk, addr), pa + 0xf00);
	KUNIT_EXPECT_EQ(test, dk_phys(dk, addr + 0x1ff), pa + 0x10ff);
	dma_unmap_single(dk_dev, addr, 0x200, DMA_BIDIRECTIONAL);
	KUNIT_EXPECT_EQ(test, dk_phys(dk, addr + 0x1ff), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&dk->syncs), 2);
	__free_pages(pages, 1);
}

/*
 * A size that wraps around with the buffer's offset into its page, or when
 * rounded up to pages, is refused with nothing mapped; the unmap of such a
 * size unmaps nothing either.
 */
static void dma_size_wraps(struct kunit *test)
{
	struct dk_domain *dk = dk_attach(test, IOX_DMA_STRICT);
	struct page *page = alloc_page(GFP_KERNEL);
	dma_addr_t addr;

	KUNIT_ASSERT_NOT_NULL(test, page);
	addr = dma_map_page(dk_dev, page, 16, SIZE_MAX - 14, DMA_TO_DEVICE);
	KUNIT_EXPECT_TRUE(test, dma_mapping_error(dk_dev, addr));
	addr = dma_map_page(dk_dev, page, 0, SIZE_MAX - 100, DMA_TO_DEVICE);
	KUNIT_EXPECT_TRUE(test, dma_mapping_error(dk_dev, addr));
	KUNIT_EXPECT_EQ(test, atomic64_read(&dk->domain.mapped_bytes), 0);

	addr = dma_map_page(dk_dev, page, 16, 100, DMA_TO_DEVICE);
	KUNIT_ASSERT_FALSE(test, dma_mapping_error(dk_dev, addr));
	dma_unmap_page(dk_dev, addr, SIZE_MAX - 14, DMA_TO_DEVICE);
	KUNIT_EXPECT_EQ(test, dk_phys(dk, addr), page_to_phys(page) + 16);
	dma_unmap_page(dk_dev, addr, 100, DMA_TO_DEVICE);
	KUNIT_EXPECT_EQ(test, dk_phys(dk, addr), 0);
	KUNIT_EXPECT_EQ(test, atomic64_read(&dk->domain.mapped_bytes), 0);
	__free_page(page);
}

/*
 * One IOVA range per list: an entry that starts a page where the previous
 * one ended a page continues its DMA segment; others start a new one.
 */
static void dma_sg_merging(struct kunit *test)
{
	struct dk_domain *dk = dk_attach(test, IOX_DMA_STRICT);
	struct page *p[4];
	struct scatterlist sgl[4], *s;
	dma_addr_t first;
	int i, count;

	for (i = 0; i < 4; i++) {
		p[i] = alloc_page(GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, p[i]);
	}
	sg_init_table(sgl, 4);
	sg_set_page(&sgl[0], p[0], 0x800, 0x800);	/* ends on a page end */
	sg_set_page(&sgl[1], p[1], SZ_4K, 0);		/* merges */
	sg_set_page(&sgl[2], p[2], 0x200, 0x100);	/* starts mid-page: new */
	sg_set_page(&sgl[3], p[3], 0x100, 0);		/* previous ended mid-page: new */
	count = dma_map_sg(dk_dev, sgl, 4, DMA_TO_DEVICE);
	KUNIT_ASSERT_EQ(test, count, 3);
	KUNIT_EXPECT_EQ(test, sg_dma_len(&sgl[0]), 0x1800U);
	KUNIT_EXPECT_EQ(test, sg_dma_len(&sgl[1]), 0x200U);
	KUNIT_EXPECT_EQ(test, sg_dma_len(&sgl[2]), 0x100U);
	first = sg_dma_address(&sgl[0]);
	KUNIT_EXPECT_EQ(test, first & (PAGE_SIZE - 1), 0x800ULL);
	KUNIT_EXPECT_EQ(test, dk_phys(dk, first), page_to_phys(p[0]) + 0x800);
	KUNIT_EXPECT_EQ(test, dk_phys(dk, first + 0x800), page_to_phys(p[1]));
	KUNIT_EXPECT_EQ(test, dk_phys(dk, sg_dma_address(&sgl[1])), page_to_phys(p[2]) + 0x100);
	KUNIT_EXPECT_EQ(test, dk_phys(dk, sg_dma_address(&sgl[2])), page_to_phys(p[3]));
	/* One contiguous range: the segments follow each other page by page. */
	KUNIT_EXPECT_EQ(test, sg_dma_address(&sgl[1]), (first & PAGE_MASK) + SZ_8K + 0x100);
	KUNIT_EXPECT_EQ(test, sg_dma_address(&sgl[2]), (first & PAGE_MASK) + SZ_8K + SZ_4K);
	/* The entries themselves are as the caller made them. */
	KUNIT_EXPECT_EQ(test, sgl[0].offset, 0x800U);
	KUNIT_EXPECT_EQ(test, sgl[2].length, 0x200U);
	KUNIT_EXPECT_EQ(test, sg_dma_len(&sgl[3]), 0U);

	dma_unmap_sg(dk_dev, sgl, 4, DMA_TO_DEVICE);
	for_each_sg(sgl, s, 3, i)
		KUNIT_EXPECT_EQ(test, dk_phys(dk, sg_dma_address(s)), 0);
	/* One sync, for the whole list. */
	KUNIT_EXPECT_EQ(test, atomic_read(&dk->syncs), 1);
	for (i = 0; i < 4; i++)
		__free_page(p[i]);
}

/*
 * No DMA segment crosses the device's segment boundary: an entry that
 * would cross one where it falls is moved up to the next boundary, the
 * pages skipped left unmapped, and the whole range is unmapped and
 * released again (the same list gets the same range back).
 */
static void dma_sg_boundary(struct kunit *test)
{
	struct dk_domain *dk = dk_attach(test, IOX_DMA_STRICT);
	struct device_dma_parameters *parms = kunit_kzalloc(test, sizeof(*parms), GFP_KERNEL);
	struct page *big = alloc_pages(GFP_KERNEL, 4), *small = alloc_pages(GFP_KERNEL, 1);
	struct scatterlist sgl[3], *s;
	dma_addr_t first;
	int i, count;

	KUNIT_ASSERT_NOT_NULL(test, parms);
	KUNIT_ASSERT_NOT_NULL(test, big);
	KUNIT_ASSERT_NOT_NULL(test, small);
	/* Until dk_exit(), whatever this test does. */
	dk_dev->dma_parms = parms;
	KUNIT_ASSERT_EQ(test, dma_set_seg_boundary(dk_dev, SZ_64K - 1), 0);
	KUNIT_ASSERT_EQ(test, dma_set_max_seg_size(dk_dev, SZ_64K), 0);
	sg_init_table(sgl, 3);
	sg_set_page(&sgl[0], big, SZ_32K + SZ_16K + SZ_8K + SZ_4K, 0);	/* 60K */
	sg_set_page(&sgl[1], small, SZ_8K, 0);	/* would span 60K..68K */
	sg_set_page(&sgl[2], big, SZ_4K, 0);	/* merges with it */
	count = dma_map_sg(dk_dev, sgl, 3, DMA_TO_DEVICE);
	KUNIT_ASSERT_EQ(test, count, 2);
	first = sg_dma_address(&sgl[0]);
	for_each_sg(sgl, s, count, i)
		KUNIT_EXPECT_EQ_MSG(test, (sg_dma_address(s) ^
					   (sg_dma_address(s) + sg_dma_len(s) - 1)) & ~(u64)0xffff,
				    0, "segment %d at %pad+%#x crosses 64K", i, &sg_dma_address(s),
				    sg_dma_len(s));
	KUNIT_EXPECT_EQ(test, sg_dma_len(&sgl[0]), SZ_32K + SZ_16K + SZ_8K + SZ_4K);
	KUNIT_EXPECT_EQ(test, sg_dma_address(&sgl[1]), first + SZ_64K);
	KUNIT_EXPECT_EQ(test, sg_dma_len(&sgl[1]), SZ_8K + SZ_4K);
	KUNIT_EXPECT_EQ(test, dk_phys(dk, first + SZ_32K), page_to_phys(big) + SZ_32K);
	KUNIT_EXPECT_EQ(test, dk_phys(dk, first + SZ_64K - SZ_4K), 0);	/* skipped */
	KUNIT_EXPECT_EQ(test, dk_phys(dk, first + SZ_64K), page_to_phys(small));
	KUNIT_EXPECT_EQ(test, dk_phys(dk, first + SZ_64K + SZ_8K), page_to_phys(big));
	KUNIT_EXPECT_EQ(test, atomic64_read(&dk->domain.mapped_bytes), SZ_64K + SZ_8K);

	dma_unmap_sg(dk_dev, sgl, 3, DMA_TO_DEVICE);
	KUNIT_EXPECT_EQ(test, atomic64_read(&dk->domain.mapped_bytes), 0);
	KUNIT_EXPECT_EQ(test, dk_phys(dk, first), 0);
	KUNIT_EXPECT_EQ(test, dk_phys(dk, first + SZ_64K), 0);
	KUNIT_ASSERT_EQ(test, dma_map_sg(dk_dev, sgl, 3, DMA_TO_DEVICE), 2);
	KUNIT_EXPECT_EQ(test, sg_dma_address(&sgl[0]), first);
	dma_unmap_sg(dk_dev, sgl, 3, DMA_TO_DEVICE);
	__free_pages(small, 1);
	__free_pages(big, 4);
}

/*
 * A list that fails to map, in its checks or halfway through mapping,
 * leaves nothing mapped, its IOVA range free and its entries as they were.
 */
static void dma_sg_failure_unwinds(struct kunit *test)
{
	struct dk_domain *dk = dk_attach(test, IOX_DMA_STRICT);
	struct sg_table sgt = { .orig_nents = 4 };
	struct scatterlist sgl[4];
	struct page *pages;
	dma_addr_t first;
	int i;

	/* Every other page: no two entries merge, each is a run of its own. */
	pages = alloc_pages(GFP_KERNEL, 3);
	KUNIT_ASSERT_NOT_NULL(test, pages);
	sg_init_table(sgl, 4);
	sgt.sgl = sgl;
	for (i = 0; i < 4; i++)
		sg_set_page(&sgl[i], pages + 2 * i, 0x300, 0x100 * i);
	KUNIT_ASSERT_EQ(test, dma_map_sgtable(dk_dev, &sgt, DMA_TO_DEVICE, 0), 0);
	first = sg_dma_address(sgl);
	dma_unmap_sgtable(dk_dev, &sgt, DMA_TO_DEVICE, 0);

	/* The third of the four page runs fails: two are mapped by then. */
	dk_map_fail_in = 3;
	KUNIT_EXPECT_EQ(test, dma_map_sgtable(dk_dev, &sgt, DMA_TO_DEVICE, 0), -ENOMEM);
	KUNIT_EXPECT_EQ(test, dk_map_fail_in, 0);
	dk_map_fail_in = 0;
	KUNIT_EXPECT_EQ(test, atomic64_read(&dk->domain.mapped_bytes), 0);
	KUNIT_EXPECT_EQ(test, dk_phys(dk, first), 0);
	KUNIT_EXPECT_EQ(test, dk_phys(dk, first + SZ_4K), 0);
	for (i = 0; i < 4; i++) {
		KUNIT_EXPECT_EQ(test, sgl[i].offset, 0x100U * i);
		KUNIT_EXPECT_EQ(test, sgl[i].length, 0x300U);
	}

	/* An empty entry is refused before anything is mapped. */
	sg_set_page(&sgl[2], pages + 4, 0, 0);
	KUNIT_EXPECT_EQ(test, dma_map_sgtable(dk_dev, &sgt, DMA_TO_DEVICE, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, sgl[1].offset, 0x100U);
	KUNIT_EXPECT_EQ(test, sgl[1].length, 0x300U);
	sg_set_page(&sgl[2], pages + 4, 0x300, 0x200);

	/* Nothing leaked: the same list gets the same IOVA range again. */
	KUNIT_ASSERT_EQ(test, dma_map_sgtable(dk_dev, &sgt, DMA_TO_DEVICE, 0), 0);
	KUNIT_EXPECT_EQ(test, sg_dma_address(sgl), first);
	KUNIT_EXPECT_EQ(test, dk_phys(dk, first), page_to_phys(pages));
	dma_unmap_sgtable(dk_dev, &sgt, DMA_TO_DEVICE, 0);
	__free_pages(pages, 3);
}

/* Sub-page coherent buffers: zeroed, mapped whole, unmapped on free. */
static void dma_coherent_alloc(struct kunit *test)
{
	struct dk_domain *dk = dk_attach(test, IOX_DMA_STRICT);
	struct sg_table sgt;
	dma_addr_t addr;
	u8 *cpu;
	int i;

	cpu = dma_alloc_coherent(dk_dev, 100, &addr, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, cpu);
	for (i = 0; i < 100; i++)
		KUNIT_EXPECT_EQ(test, cpu[i], 0);
	KUNIT_EXPECT_EQ(test, addr & (PAGE_SIZE - 1), 0ULL);
	KUNIT_EXPECT_EQ(test, dk_phys(dk, addr), virt_to_phys(cpu));
	KUNIT_EXPECT_EQ(test, dk_phys(dk, addr + PAGE_SIZE - 1), virt_to_phys(cpu) + PAGE_SIZE - 1);
	KUNIT_ASSERT_EQ(test, dma_get_sgtable(dk_dev, &sgt, cpu, addr, 100), 0);
	KUNIT_EXPECT_EQ(test, sg_phys(sgt.sgl), virt_to_phys(cpu));
	sg_free_table(&sgt);
	dma_free_coherent(dk_dev, 100, cpu, addr);
	KUNIT_EXPECT_EQ(test, dk_phys(dk, addr), 0);

	/* Three pages and a bit. */
	cpu = dma_alloc_coherent(dk_dev, 3 * SZ_4K + 1, &addr, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, cpu);
	KUNIT_EXPECT_EQ(test, dk_phys(dk, addr + 3 * SZ_4K), virt_to_phys(cpu + 3 * SZ_4K));
	dma_free_coherent(dk_dev, 3 * SZ_4K + 1, cpu, addr);
	KUNIT_EXPECT_EQ(test, dk_phys(dk, addr + 3 * SZ_4K), 0);
	KUNIT_EXPECT_EQ(test, dma_get_required_mask(dk_dev), DMA_BIT_MASK(32));
}

/*
 * A strict free whose invalidation fails, with either errno iox_unmap()
 * gives for it: the device may still reach the buffer, so its four pages
 * are kept with the domain (kept_pages), not freed, until a domain-wide
 * flush succeeds.  Freed at once, the pages would have no reference left.
 */
static void dma_coherent_free_sync_error(struct kunit *test)
{
	static const int errs[] = { -ETIMEDOUT, -EIO };
	struct dk_domain *dk = dk_attach(test, IOX_DMA_STRICT);
	struct page *page;
	dma_addr_t addr;
	unsigned int e;
	void *cpu;
	int i;

	for (e = 0; e < ARRAY_SIZE(errs); e++) {
		cpu = dma_alloc_coherent(dk_dev, 3 * SZ_4K + 1, &addr, GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, cpu);
		page = virt_to_page(cpu);
		KUNIT_ASSERT_EQ(test, atomic_long_read(&dk->domain.nr_kept_pages), 0);
		dk_sync_error = errs[e];
		dma_free_coherent(dk_dev, 3 * SZ_4K + 1, cpu, addr);
		dk_sync_error = 0;
		KUNIT_EXPECT_EQ(test, dk_phys(dk, addr), 0);
		KUNIT_EXPECT_EQ_MSG(test, atomic_long_read(&dk->domain.nr_kept_pages), 4,
				    "sync error %d", errs[e]);
		for (i = 0; i < 4; i++)
			KUNIT_EXPECT_EQ_MSG(test, page_count(page + i), 1, "page %d", i);
		KUNIT_EXPECT_EQ(test, iox_flush_all(&dk->domain), 0);
		KUNIT_EXPECT_EQ(test, atomic_long_read(&dk->domain.nr_kept_pages), 0);
	}
}

/*
 * Strict: one IOTLB sync per unmap, and the IOVA may come back at once.
 * Lazy: no sync; the IOVAs stay out of use until the queue's flush (all
 * distinct here), which comes once the domain goes.
 */
static void dma_strict_and_lazy(struct kunit *test)
{
	const int n = 16;
	struct page *page = alloc_page(GFP_KERNEL);
	dma_addr_t addrs[16];
	struct dk_domain *dk;
	char name[48], buf[512];
	int i, j;

	KUNIT_ASSERT_NOT_NULL(test, page);
	dk = dk_attach(test, IOX_DMA_STRICT);
	KUNIT_EXPECT_FALSE(test, iox_dma_is_lazy(dk_dev));
	for (i = 0; i < n; i++) {
		addrs[i] = dma_map_page(dk_dev, page, 0, SZ_4K, DMA_TO_DEVICE);
		KUNIT_ASSERT_FALSE(test, dma_mapping_error(dk_dev, addrs[i]));
		dma_unmap_page(dk_dev, addrs[i], SZ_4K, DMA_TO_DEVICE);
	}
	KUNIT_EXPECT_EQ(test, atomic_read(&dk->syncs), n);
	KUNIT_EXPECT_EQ(test, atomic_read(&dk->flushes), 0);
	KUNIT_EXPECT_EQ(test, iox_dma_detach(dk_dev), 0);

	dk = dk_attach(test, IOX_DMA_LAZY);
	KUNIT_EXPECT_TRUE(test, iox_dma_is_lazy(dk_dev));
	for (i = 0; i < n; i++) {
		addrs[i] = dma_map_page(dk_dev, page, 0, SZ_4K, DMA_TO_DEVICE);
		KUNIT_ASSERT_FALSE(test, dma_mapping_error(dk_dev, addrs[i]));
		dma_unmap_page(dk_dev, addrs[i], SZ_4K, DMA_TO_DEVICE);
		/* Unmapped from the table at once, only the IOTLB waits. */
		KUNIT_EXPECT_EQ(test, dk_phys(dk, addrs[i]), 0);
		for (j = 0; j < i; j++)
			KUNIT_EXPECT_NE(test, addrs[i], addrs[j]);
	}
	KUNIT_EXPECT_EQ(test, atomic_read(&dk->syncs), 0);
	/* The queue's counters, as any reader of debugfs sees them. */
	snprintf(name, sizeof(name), "iox/domains/%d/flush_queue", iox_device_domain(dk_dev)->id);
	KUNIT_EXPECT_GT(test, iox_test_debugfs_read(test, name, buf, sizeof(buf)), 0);
	KUNIT_EXPECT_NOT_NULL(test, strstr(buf, "queued: 16\n"));
	KUNIT_EXPECT_EQ(test, iox_dma_detach(dk_dev), 0);
	__free_page(page);
}

/*
 * A driver that unmaps twice does not make iox hand one IOVA out twice:
 * an unmap that finds nothing mapped releases nothing, strict or lazy.
 */
static void dma_double_unmap(struct kunit *test)
{
	struct page *page = alloc_page(GFP_KERNEL);
	enum iox_dma_policy policy;
	dma_addr_t a, b, c;
	struct dk_domain *dk;
	char buf[512];

	KUNIT_ASSERT_NOT_NULL(test, page);
	for (policy = IOX_DMA_STRICT; policy <= IOX_DMA_LAZY; policy++) {
		dk = dk_attach(test, policy);
		a = dma_map_page(dk_dev, page, 0, SZ_4K, DMA_TO_DEVICE);
		KUNIT_ASSERT_FALSE(test, dma_mapping_error(dk_dev, a));
		dma_unmap_page(dk_dev, a, SZ_4K, DMA_TO_DEVICE);
		dma_unmap_page(dk_dev, a, SZ_4K, DMA_TO_DEVICE);
		if (policy == IOX_DMA_LAZY)
			KUNIT_EXPECT_EQ(test, iox_fq_flush(dk->domain.fq), 0);
		/* Not even offered back (CONFIG_IOX_IOVA_DEBUG would refuse it). */
		KUNIT_EXPECT_GT(test, iox_test_debugfs_read(test, "iox/iova/iox-dma-kunit/stats",
							    buf, sizeof(buf)), 0);
		KUNIT_EXPECT_NOT_NULL_MSG(test, strstr(buf, "bad_frees: 0\n"),
					  "policy %d: the repeated unmap freed the IOVA again",
					  policy);
		b = dma_map_page(dk_dev, page, 0, SZ_4K, DMA_TO_DEVICE);
		c = dma_map_page(dk_dev, page, 0, SZ_4K, DMA_TO_DEVICE);
		KUNIT_EXPECT_FALSE(test, dma_mapping_error(dk_dev, b));
		KUNIT_EXPECT_FALSE(test, dma_mapping_error(dk_dev, c));
		KUNIT_EXPECT_NE_MSG(test, b, c, "policy %d: one IOVA handed out twice", policy);
		KUNIT_EXPECT_EQ(test, dk_phys(dk, b), page_to_phys(page));
		KUNIT_EXPECT_EQ(test, dk_phys(dk, c), page_to_phys(page));
		dma_unmap_page(dk_dev, c, SZ_4K, DMA_TO_DEVICE);
		dma_unmap_page(dk_dev, b, SZ_4K, DMA_TO_DEVICE);
		KUNIT_EXPECT_EQ(test, iox_dma_detach(dk_dev), 0);
	}
	__free_page(page);
}

/* MMIO of another device maps like memory. */
static void dma_resource(struct kunit *test)
{
	struct dk_domain *dk = dk_attach(test, IOX_DMA_STRICT);
	dma_addr_t addr;

	addr = dma_map_resource(dk_dev, 0xfed00010, 8, DMA_BIDIRECTIONAL, 0);
	KUNIT_ASSERT_FALSE(test, dma_mapping_error(dk_dev, addr));
	KUNIT_EXPECT_EQ(test, dk_phys(dk, addr), 0xfed00010ULL);
	dma_unmap_resource(dk_dev, addr, 8, DMA_BIDIRECTIONAL, 0);
	KUNIT_EXPECT_EQ(test, dk_phys(dk, addr), 0);
}

/*
 * Blocking a device on request: the choice waits while the device is in a
 * domain and the backend sees it at the detach; a device in no domain is
 * released to the new state at once; a backend that fails leaves the
 * choice as it was; a reset gives the decision back to the policy.
 */
static void dma_blocked_state(struct kunit *test)
{
	dk_attach(test, IOX_DMA_LAZY);
	dk_releases = 0;
	dk_release_error = 0;
	KUNIT_EXPECT_EQ(test, iox_device_set_blocked(dk_dev, true), 0);
	KUNIT_EXPECT_TRUE(test, iox_device_blocked(dk_dev));
	KUNIT_EXPECT_EQ(test, dk_releases, 0);
	KUNIT_EXPECT_EQ(test, iox_dma_detach(dk_dev), 0);
	KUNIT_EXPECT_TRUE(test, dk_detached_blocked);
	KUNIT_EXPECT_NULL(test, iox_device_domain(dk_dev));

	KUNIT_EXPECT_EQ(test, iox_device_set_blocked(dk_dev, false), 0);
	KUNIT_EXPECT_EQ(test, dk_releases, 1);
	KUNIT_EXPECT_FALSE(test, dk_released_blocked);
	KUNIT_EXPECT_EQ(test, iox_device_set_blocked(dk_dev, true), 0);
	KUNIT_EXPECT_EQ(test, dk_releases, 2);
	KUNIT_EXPECT_TRUE(test, dk_released_blocked);

	dk_release_error = -EIO;
	KUNIT_EXPECT_EQ(test, iox_device_set_blocked(dk_dev, false), -EIO);
	KUNIT_EXPECT_TRUE(test, iox_device_blocked(dk_dev));
	dk_release_error = 0;
	KUNIT_EXPECT_EQ(test, iox_device_set_blocked(dk_dev, false), 0);
	KUNIT_EXPECT_FALSE(test, iox_device_blocked(dk_dev));
	KUNIT_EXPECT_EQ(test, iox_device_set_blocked(dk_dev, false), 0);
	KUNIT_EXPECT_EQ(test, dk_releases, 4);

	/* Back to the policy, which blocks no device that is not PCI. */
	KUNIT_EXPECT_EQ(test, iox_device_reset_blocked(dk_dev), 0);
	KUNIT_EXPECT_EQ(test, dk_releases, 4);
	KUNIT_EXPECT_EQ(test, iox_device_set_blocked(dk_dev, true), 0);
	KUNIT_EXPECT_EQ(test, dk_releases, 5);
	KUNIT_EXPECT_EQ(test, iox_device_reset_blocked(dk_dev), 0);
	KUNIT_EXPECT_EQ(test, dk_releases, 6);
	KUNIT_EXPECT_FALSE(test, dk_released_blocked);
	KUNIT_EXPECT_FALSE(test, iox_device_blocked(dk_dev));
}

#define DK_DIRECT_BASE	0x7f000000ULL
#define DK_DIRECT_LAST	0x7f00ffffULL

/*
 * A direct region (a VT-d RMRR, as the IOMMU API bridge maps them) in a
 * DMA domain: a misaligned one is refused; the region is mapped 1:1
 * read-write and its IOVAs are reserved, so that the DMA API hands out
 * none of them even where they are the top of the device's mask.
 */
static void dma_direct_region(struct kunit *test)
{
	struct iox_domain *domain = iox_dma_domain_alloc(dk_dev, false);
	struct page *page = alloc_page(GFP_KERNEL);
	dma_addr_t addr;

	KUNIT_ASSERT_FALSE(test, IS_ERR(domain));
	KUNIT_EXPECT_EQ(test, -EINVAL,
			iox_dma_domain_map_direct(domain, DK_DIRECT_BASE + SZ_2K, DK_DIRECT_LAST));
	KUNIT_EXPECT_EQ(test, -EINVAL,
			iox_dma_domain_map_direct(domain, DK_DIRECT_BASE, DK_DIRECT_BASE - 1));
	KUNIT_EXPECT_EQ(test, iox_dma_domain_map_direct(domain, DK_DIRECT_BASE, DK_DIRECT_LAST), 0);
	KUNIT_EXPECT_EQ(test, iox_iova_to_phys(domain, DK_DIRECT_BASE + 0x1234),
			(phys_addr_t)DK_DIRECT_BASE + 0x1234);
	KUNIT_EXPECT_EQ(test, iox_iova_to_phys(domain, DK_DIRECT_LAST + 1), (phys_addr_t)0);

	KUNIT_ASSERT_NOT_NULL(test, page);
	KUNIT_ASSERT_EQ(test, iox_attach_device(domain, dk_dev), 0);
	iox_dma_set_ops(dk_dev);
	dk_dma_mask = DK_DIRECT_LAST;
	addr = dma_map_page(dk_dev, page, 0, SZ_4K, DMA_TO_DEVICE);
	KUNIT_EXPECT_FALSE(test, dma_mapping_error(dk_dev, addr));
	KUNIT_EXPECT_LT_MSG(test, addr, DK_DIRECT_BASE, "IOVA %pad is in the direct region", &addr);
	if (!dma_mapping_error(dk_dev, addr))
		dma_unmap_page(dk_dev, addr, SZ_4K, DMA_TO_DEVICE);
	iox_dma_clear_ops(dk_dev);
	KUNIT_EXPECT_EQ(test, iox_detach_device(domain, dk_dev), 0);
	iox_dma_domain_free(domain);
	__free_page(page);
}

static int dk_probe_id;

static int run_dma_attach(struct kunit *test)
{
	return iox_dma_attach(dk_dev, IOX_DMA_LAZY);
}

static void undo_dma_attach(struct kunit *test)
{
	KUNIT_EXPECT_TRUE(test, iox_dma_is_lazy(dk_dev));
	KUNIT_EXPECT_EQ(test, iox_device_domain(dk_dev)->id, dk_probe_id);
	KUNIT_EXPECT_EQ(test, iox_dma_detach(dk_dev), 0);
}

static void snap_dma_attach(struct kunit *test)
{
}

/* The device as before: no domain, no DMA ops, no domain id kept. */
static void check_dma_attach(struct kunit *test)
{
	struct iox_domain *domain;

	KUNIT_EXPECT_NULL(test, iox_device_domain(dk_dev));
	KUNIT_EXPECT_NULL(test, dk_dev->dma_ops);
	KUNIT_EXPECT_FALSE(test, iox_dma_is_lazy(dk_dev));
	domain = iox_domain_alloc(&dk_unit);
	KUNIT_ASSERT_FALSE(test, IS_ERR(domain));
	KUNIT_EXPECT_EQ(test, domain->id, dk_probe_id);
	KUNIT_EXPECT_EQ(test, iox_domain_free(domain), 0);
}

/*
 * Attaching a device to a lazy DMA domain with each allocation failed in
 * turn (fail_nth.h): the DMA layer's, the domain's, the page table's, the
 * IOVA domain's and the flush queue's.  Each failure leaves the device as
 * it was; the attach that finally succeeds gets the same domain id.
 */
static void dma_attach_fail_nth(struct kunit *test)
{
	const struct sweep attach = {
		"DMA attach (lazy)", run_dma_attach, undo_dma_attach, snap_dma_attach,
		check_dma_attach,
	};
	struct iox_domain *probe;

	if (!IS_ENABLED(CONFIG_IOX_FAULT_INJECTION))
		kunit_skip(test, "needs CONFIG_IOX_FAULT_INJECTION");
	dk_dma_mask = DMA_BIT_MASK(64);
	dk_dev->coherent_dma_mask = DMA_BIT_MASK(64);
	probe = iox_domain_alloc(&dk_unit);
	KUNIT_ASSERT_FALSE(test, IS_ERR(probe));
	dk_probe_id = probe->id;
	KUNIT_ASSERT_EQ(test, iox_domain_free(probe), 0);
	KUNIT_EXPECT_GE(test, sweep_run(test, &attach), 8U);
}

static struct kunit_case dma_cases[] = {
	KUNIT_CASE(dma_attach_fail_nth),
	KUNIT_CASE(dma_direct_region),
	KUNIT_CASE(dma_attach_refusals),
	KUNIT_CASE(dma_masks),
	KUNIT_CASE(dma_subpage_offsets),
	KUNIT_CASE(dma_size_wraps),
	KUNIT_CASE(dma_sg_merging),
	KUNIT_CASE(dma_sg_boundary),
	KUNIT_CASE(dma_sg_failure_unwinds),
	KUNIT_CASE(dma_coherent_alloc),
	KUNIT_CASE(dma_coherent_free_sync_error),
	KUNIT_CASE(dma_strict_and_lazy),
	KUNIT_CASE(dma_resource),
	KUNIT_CASE(dma_double_unmap),
	KUNIT_CASE(dma_blocked_state),
	{}
};

static struct kunit_suite dma_suite = {
	.name = "iox-dma",
	.suite_init = dk_suite_init,
	.suite_exit = dk_suite_exit,
	.exit = dk_exit,
	.test_cases = dma_cases,
};

kunit_test_suite(dma_suite);

MODULE_DESCRIPTION("KUnit tests for the iox DMA layer");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(IOX_TEST);
