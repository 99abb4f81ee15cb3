// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the kernel's IOMMU API served by iox (iommu_api.c), driven the way
 * VFIO drives it: groups and default domains of the devices behind a unit,
 * an UNMANAGED domain from iommu_domain_alloc() with iommu_map() and
 * iommu_unmap(), real DMA from QEMU's edu device through it, capability and
 * reserved-region answers, and the group of two functions that share a
 * requester id behind a PCIe-to-PCI bridge.
 *
 * Without a translating unit and edu the cases are skipped, unless
 * iommu_api_kunit.expected=1 makes that a failure; the alias case needs
 * iommu_api_kunit.alias=1 (qemu_configs/vtd-alias.py) to be required.
 */
#include <kunit/test.h>
#include <linux/delay.h>
#include <linux/dma-mapping.h>
#include <linux/iommu.h>
#include <linux/iox.h>
#include <linux/moduleparam.h>
#include <linux/pci.h>
#include <linux/sizes.h>

#include "edu.h"

static bool expected;
module_param(expected, bool, 0444);
MODULE_PARM_DESC(expected, "the machine has a translating iox unit and an edu device");

static bool faults = true;
module_param(faults, bool, 0444);
MODULE_PARM_DESC(faults, "the unit reports DMA faults (QEMU 7.2's AMD-Vi does not: 0)");

static bool alias;
module_param(alias, bool, 0444);
MODULE_PARM_DESC(alias, "two edu functions sit behind a PCIe-to-PCI bridge");

#define T_IOVA		0x10000000UL
#define T_PATTERN	0x5a

/**
 * struct iommu_api_test - state of one case
 * @edu: the edu device (00:10.0), opened
 * @group: its IOMMU group, referenced
 * @domain: an UNMANAGED domain, attached to @edu, or NULL
 * @buf: a page the cases DMA into and out of
 */
struct iommu_api_test {
	struct iox_edu edu;
	struct iommu_group *group;
	struct iommu_domain *domain;
	struct page *buf;
};

static int iommu_api_init(struct kunit *test)
{
	struct iommu_api_test *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);

	if (!t)
		return -ENOMEM;
	if (iox_edu_open(&t->edu)) {
		if (expected)
			KUNIT_FAIL(test, "no edu device");
		else
			kunit_skip(test, "no edu device");
		return 0;
	}
	t->group = iommu_group_get(&t->edu.pdev->dev);
	if (!t->group) {
		iox_edu_close(&t->edu);
		if (expected)
			KUNIT_FAIL(test, "edu is in no IOMMU group: iox did not register");
		else
			kunit_skip(test, "edu is not behind an iox unit serving the IOMMU API");
		return 0;
	}
	t->buf = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!t->buf) {
		iommu_group_put(t->group);
		iox_edu_close(&t->edu);
		return -ENOMEM;
	}
	test->priv = t;
	return 0;
}

static void iommu_api_exit(struct kunit *test)
{
	struct iommu_api_test *t = test->priv;

	if (!t)
		return;
	if (t->domain) {
		iommu_detach_device(t->domain, &t->edu.pdev->dev);
		iommu_domain_free(t->domain);
	}
	__free_page(t->buf);
	iommu_group_put(t->group);
	iox_edu_close(&t->edu);
}

/* Allocate an UNMANAGED domain and attach edu to it, as VFIO does. */
static struct iommu_domain *t_attach(struct kunit *test)
{
	struct iommu_api_test *t = test->priv;
	int ret;

	t->domain = iommu_domain_alloc(&pci_bus_type);
	KUNIT_ASSERT_NOT_NULL(test, t->domain);
	ret = iommu_attach_device(t->domain, &t->edu.pdev->dev);
	if (ret) {
		iommu_domain_free(t->domain);
		t->domain = NULL;
	}
	KUNIT_ASSERT_EQ(test, ret, 0);
	return t->domain;
}

/* The faults iox counted for the domain edu is attached to. */
static s64 t_faults(struct iommu_api_test *t)
{
	struct iox_domain *d = iox_device_domain(&t->edu.pdev->dev);

	return d ? atomic64_read(&d->nr_faults) : -1;
}

/*
 * Wait up to a second for the fault count to pass @before.  Where the
 * unit cannot report faults (faults=0) the callers' checks that memory
 * stayed untouched are all there is.
 */
static bool t_faulted(struct iommu_api_test *t, s64 before)
{
	int i;

	if (!faults)
		return true;
	for (i = 0; i < 50 && t_faults(t) == before; i++)
		msleep(20);
	return t_faults(t) > before;
}

/* edu's buffer filled with @byte by a DMA from a page of known contents. */
static void t_fill_device(struct kunit *test, u8 byte)
{
	struct iommu_api_test *t = test->priv;
	struct page *src = alloc_page(GFP_KERNEL);
	struct iommu_domain *d = t->domain;

	KUNIT_ASSERT_NOT_NULL(test, src);
	memset(page_address(src), byte, PAGE_SIZE);
	KUNIT_ASSERT_EQ(test, iommu_map(d, T_IOVA + SZ_1M, page_to_phys(src), SZ_4K,
					IOMMU_READ), 0);
	KUNIT_EXPECT_EQ(test, iox_edu_dma(&t->edu, T_IOVA + SZ_1M, 0, 256, false), 0);
	KUNIT_EXPECT_EQ(test, iommu_unmap(d, T_IOVA + SZ_1M, SZ_4K), (size_t)SZ_4K);
	__free_page(src);
}

/*
 * Built in, the units register before PCI drivers do, so registration gave
 * every probed device a DMA default domain (DMA-FQ when lazy), served by
 * iox's DMA layer (never the kernel's dma-iommu).  edu has no driver: its
 * domain has no iox domain yet, so its DMA is blocked (isolate.c), its DMA
 * API calls are refused rather than given untranslated addresses, and the
 * IOMMU core cannot map IOVAs of its own into it.
 */
static void iommu_api_default_dma(struct kunit *test)
{
	struct iommu_api_test *t = test->priv;
	struct device *dev = &t->edu.pdev->dev;
	struct iommu_domain *d = iommu_get_domain_for_dev(dev);
	struct pci_dev *pdev = NULL;
	int probed = 0;

	KUNIT_ASSERT_NOT_NULL(test, d);
	KUNIT_EXPECT_TRUE_MSG(test, iommu_is_dma_domain(d), "edu's default domain type %u",
			      d->type);
	KUNIT_EXPECT_NULL(test, dev->driver);
	KUNIT_EXPECT_NULL(test, iox_device_domain(dev));
	KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(d, 0x12345000), (phys_addr_t)0);
	KUNIT_EXPECT_EQ(test, dma_map_single(dev, page_address(t->buf), SZ_4K,
					     DMA_TO_DEVICE), DMA_MAPPING_ERROR);
	KUNIT_EXPECT_EQ(test, iommu_map(d, T_IOVA, page_to_phys(t->buf), SZ_4K, IOMMU_READ),
			-EINVAL);

	for_each_pci_dev(pdev) {
		struct iommu_domain *dom = iommu_get_domain_for_dev(&pdev->dev);

		if (!dom)
			continue;
		probed++;
		KUNIT_EXPECT_TRUE_MSG(test, iommu_is_dma_domain(dom),
				      "%s: default domain type %u", pci_name(pdev), dom->type);
	}
	KUNIT_EXPECT_GT(test, probed, 1);
}

/* map, DMA both ways, strict unmap: the next DMA faults, memory untouched. */
static void iommu_api_map_dma_unmap(struct kunit *test)
{
	struct iommu_api_test *t = test->priv;
	struct iommu_domain *d = t_attach(test);
	u8 *buf = page_address(t->buf);
	struct iox_domain *iox;
	s64 before;

	iox = iox_device_domain(&t->edu.pdev->dev);
	KUNIT_ASSERT_NOT_NULL(test, iox);
	KUNIT_EXPECT_EQ(test, d->pgsize_bitmap, iox->pgsize_bitmap);
	KUNIT_EXPECT_EQ(test, (u64)d->geometry.aperture_end, iox->aperture_end);
	KUNIT_EXPECT_TRUE(test, d->geometry.force_aperture);

	t_fill_device(test, T_PATTERN);
	KUNIT_ASSERT_EQ(test, iommu_map(d, T_IOVA, page_to_phys(t->buf), SZ_4K,
					IOMMU_READ | IOMMU_WRITE | IOMMU_CACHE), 0);
	KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(d, T_IOVA + 0x10), page_to_phys(t->buf) + 0x10);
	KUNIT_EXPECT_EQ(test, atomic64_read(&iox->mapped_bytes), (s64)SZ_4K);

	/* device -> memory */
	KUNIT_ASSERT_EQ(test, iox_edu_dma(&t->edu, T_IOVA, 0, 256, true), 0);
	KUNIT_EXPECT_EQ(test, buf[0], T_PATTERN);
	KUNIT_EXPECT_EQ(test, buf[255], T_PATTERN);
	KUNIT_EXPECT_EQ(test, buf[256], 0);

	/* strict unmap: no translation survives, the DMA faults */
	KUNIT_EXPECT_EQ(test, iommu_unmap(d, T_IOVA, SZ_4K), (size_t)SZ_4K);
	KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(d, T_IOVA), (phys_addr_t)0);
	memset(buf, 0, PAGE_SIZE);
	before = t_faults(t);
	KUNIT_ASSERT_EQ(test, iox_edu_dma(&t->edu, T_IOVA, 0, 256, true), 0);
	KUNIT_EXPECT_TRUE(test, t_faulted(t, before));
	KUNIT_EXPECT_NULL(test, memchr_inv(buf, 0, PAGE_SIZE));
	KUNIT_EXPECT_EQ(test, atomic64_read(&iox->mapped_bytes), 0);
}

/*
 * One iommu_map() of 2 MiB becomes one superpage; unmapping 4 KiB in its
 * middle splits it: the neighbours still translate, the hole faults.
 */
static void iommu_api_superpage_hole(struct kunit *test)
{
	struct iommu_api_test *t = test->priv;
	struct iommu_domain *d = t_attach(test);
	u64 hole = T_IOVA + SZ_1M;
	struct iox_domain *iox;
	struct page *big;
	phys_addr_t pa;
	s64 before;
	u8 *mem;

	if (!(d->pgsize_bitmap & SZ_2M))
		kunit_skip(test, "the unit maps no 2 MiB pages");
	big = alloc_pages(GFP_KERNEL | __GFP_ZERO, get_order(SZ_2M));
	KUNIT_ASSERT_NOT_NULL(test, big);
	pa = page_to_phys(big);
	mem = page_address(big);
	iox = iox_device_domain(&t->edu.pdev->dev);
	t_fill_device(test, T_PATTERN);

	KUNIT_ASSERT_EQ(test, iommu_map(d, T_IOVA, pa, SZ_2M, IOMMU_READ | IOMMU_WRITE), 0);
	KUNIT_EXPECT_TRUE(test, atomic_long_read(&iox->used_pgsizes) & SZ_2M);
	KUNIT_EXPECT_FALSE(test, atomic_long_read(&iox->used_pgsizes) & SZ_4K);

	KUNIT_EXPECT_EQ(test, iommu_unmap(d, hole, SZ_4K), (size_t)SZ_4K);
	KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(d, hole), (phys_addr_t)0);
	KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(d, hole - SZ_4K), pa + SZ_1M - SZ_4K);
	KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(d, hole + SZ_4K), pa + SZ_1M + SZ_4K);

	KUNIT_EXPECT_EQ(test, iox_edu_dma(&t->edu, hole - SZ_4K, 0, 64, true), 0);
	KUNIT_EXPECT_EQ(test, iox_edu_dma(&t->edu, hole + SZ_4K, 0, 64, true), 0);
	KUNIT_EXPECT_EQ(test, mem[SZ_1M - SZ_4K], T_PATTERN);
	KUNIT_EXPECT_EQ(test, mem[SZ_1M + SZ_4K + 63], T_PATTERN);

	before = t_faults(t);
	KUNIT_EXPECT_EQ(test, iox_edu_dma(&t->edu, hole, 0, 64, true), 0);
	KUNIT_EXPECT_TRUE(test, t_faulted(t, before));
	KUNIT_EXPECT_NULL(test, memchr_inv(mem + SZ_1M, 0, SZ_4K));

	KUNIT_EXPECT_EQ(test, iommu_unmap(d, T_IOVA, SZ_1M), (size_t)SZ_1M);
	KUNIT_EXPECT_EQ(test, iommu_unmap(d, hole + SZ_4K, SZ_1M - SZ_4K),
			(size_t)(SZ_1M - SZ_4K));
	KUNIT_EXPECT_EQ(test, atomic64_read(&iox->mapped_bytes), 0);
	__free_pages(big, get_order(SZ_2M));
}

/* Bad input is refused with an errno and changes nothing. */
static void iommu_api_bad_input(struct kunit *test)
{
	struct iommu_api_test *t = test->priv;
	struct iommu_domain *d = t_attach(test);
	phys_addr_t pa = page_to_phys(t->buf);
	struct iox_domain *iox = iox_device_domain(&t->edu.pdev->dev);

	KUNIT_ASSERT_EQ(test, iommu_map(d, T_IOVA, pa, SZ_4K, IOMMU_READ), 0);
	KUNIT_EXPECT_EQ(test, iommu_map(d, T_IOVA + 0x800, pa, SZ_4K, IOMMU_READ), -EINVAL);
	KUNIT_EXPECT_EQ(test, iommu_map(d, T_IOVA, pa, SZ_4K, IOMMU_READ), -EEXIST);
	if (d->geometry.aperture_end != ULONG_MAX)
		KUNIT_EXPECT_EQ(test, iommu_map(d, d->geometry.aperture_end + 1, pa, SZ_4K,
						IOMMU_READ), -ERANGE);
	KUNIT_EXPECT_EQ(test, iommu_unmap(d, T_IOVA + SZ_2M, SZ_4K), (size_t)0);
	KUNIT_EXPECT_EQ(test, atomic64_read(&iox->mapped_bytes), (s64)SZ_4K);
	KUNIT_EXPECT_EQ(test, iommu_iova_to_phys(d, T_IOVA), pa);
	KUNIT_EXPECT_EQ(test, iommu_unmap(d, T_IOVA, SZ_4K), (size_t)SZ_4K);
}

/*
 * Detaching returns edu to its DMA default domain, off iox's domains: with
 * no driver bound, that domain has no iox domain.
 */
static void iommu_api_detach_default(struct kunit *test)
{
	struct iommu_api_test *t = test->priv;
	struct iommu_domain *d = t_attach(test);
	struct iommu_domain *now;

	KUNIT_EXPECT_PTR_EQ(test, iommu_get_domain_for_dev(&t->edu.pdev->dev), d);
	iommu_detach_device(d, &t->edu.pdev->dev);
	now = iommu_get_domain_for_dev(&t->edu.pdev->dev);
	KUNIT_ASSERT_NOT_NULL(test, now);
	KUNIT_EXPECT_PTR_NE(test, now, d);
	KUNIT_EXPECT_TRUE(test, iommu_is_dma_domain(now));
	KUNIT_EXPECT_NULL(test, iox_device_domain(&t->edu.pdev->dev));
	iommu_domain_free(d);
	t->domain = NULL;
}

/*
 * A claimed group (VFIO before it attaches its domain) sits in a blocked
 * domain: an empty iox domain, so the device's DMA faults.  Released, the
 * group returns to its DMA default domain (no iox domain while edu has no
 * driver) and the blocked domain gives its iox domain up
 * (an idle blocking domain must not pin the backend module).
 */
static void iommu_api_dma_owner_blocks(struct kunit *test)
{
	struct iommu_api_test *t = test->priv;
	struct device *dev = &t->edu.pdev->dev;
	u8 *buf = page_address(t->buf);
	struct iommu_domain *d;
	struct iox_domain *iox;
	s64 before;

	KUNIT_ASSERT_EQ(test, iommu_group_claim_dma_owner(t->group, t), 0);
	d = iommu_get_domain_for_dev(dev);
	iox = iox_device_domain(dev);
	KUNIT_EXPECT_EQ(test, d->type, (unsigned int)IOMMU_DOMAIN_BLOCKED);
	KUNIT_ASSERT_NOT_NULL(test, iox);
	KUNIT_EXPECT_EQ(test, atomic64_read(&iox->mapped_bytes), 0);
	KUNIT_EXPECT_EQ(test, iommu_map(d, T_IOVA, page_to_phys(t->buf), SZ_4K, IOMMU_READ),
			-EINVAL);

	before = t_faults(t);
	KUNIT_EXPECT_EQ(test, iox_edu_dma(&t->edu, page_to_phys(t->buf), 0, 64, true), 0);
	KUNIT_EXPECT_TRUE(test, t_faulted(t, before));
	KUNIT_EXPECT_NULL(test, memchr_inv(buf, 0, PAGE_SIZE));

	iommu_group_release_dma_owner(t->group);
	KUNIT_EXPECT_TRUE(test, iommu_is_dma_domain(iommu_get_domain_for_dev(dev)));
	KUNIT_EXPECT_NULL(test, iox_device_domain(dev));
}

/* Coherent DMA, no interrupt remapping; forced snooping only with VT-d SC. */
static void iommu_api_capabilities(struct kunit *test)
{
	struct iommu_api_test *t = test->priv;
	struct device *dev = &t->edu.pdev->dev;
	struct iommu_domain *d = t_attach(test);
	struct iox_domain *iox = iox_device_domain(dev);

	KUNIT_EXPECT_TRUE(test, device_iommu_capable(dev, IOMMU_CAP_CACHE_COHERENCY));
	KUNIT_EXPECT_FALSE(test, device_iommu_capable(dev, IOMMU_CAP_INTR_REMAP));
	KUNIT_EXPECT_FALSE(test, device_iommu_capable(dev, IOMMU_CAP_NOEXEC));
	/* QEMU 7.2's intel-iommu reports no snoop control (ECAP 0xf00f4a). */
	KUNIT_EXPECT_FALSE(test, iox->force_snoop);
	KUNIT_EXPECT_FALSE(test, d->ops->enforce_cache_coherency(d));

	/* A unit that can force snooping enforces it on an empty domain only. */
	iox->force_snoop = true;
	KUNIT_EXPECT_EQ(test, iommu_map(d, T_IOVA, page_to_phys(t->buf), SZ_4K,
					IOMMU_READ), 0);
	KUNIT_EXPECT_FALSE(test, d->ops->enforce_cache_coherency(d));
	KUNIT_EXPECT_EQ(test, iommu_unmap(d, T_IOVA, SZ_4K), (size_t)SZ_4K);
	KUNIT_EXPECT_TRUE(test, d->ops->enforce_cache_coherency(d));
	iox->force_snoop = false;
}

/* The MSI window is reserved: VFIO keeps IOVAs out of it. */
static void iommu_api_resv_regions(struct kunit *test)
{
	struct iommu_api_test *t = test->priv;
	struct iommu_resv_region *r, *next;
	LIST_HEAD(regions);
	int msi = 0, other = 0;

	KUNIT_ASSERT_EQ(test, iommu_get_group_resv_regions(t->group, &regions), 0);
	list_for_each_entry_safe(r, next, &regions, list) {
		if (r->type == IOMMU_RESV_MSI && r->start == 0xfee00000 &&
		    r->length == 0x100000)
			msi++;
		else
			other++;
		kfree(r);
	}
	KUNIT_EXPECT_EQ(test, msi, 1);
	/* QEMU's DMAR table has no RMRR. */
	KUNIT_EXPECT_EQ(test, other, 0);
}

static struct pci_dev *t_next_edu(struct pci_dev *from)
{
	return pci_get_device(EDU_VENDOR, EDU_DEVICE, from);
}

/*
 * Functions behind a PCIe-to-PCI bridge share the bridge's requester id:
 * the IOMMU cannot tell them apart, so they must share a group (and no
 * other device may join it).
 */
static void iommu_api_alias_group(struct kunit *test)
{
	struct iommu_api_test *t = test->priv;
	struct iommu_group *groups[2] = {};
	struct pci_dev *pdev = NULL;
	int n = 0;

	while ((pdev = t_next_edu(pdev))) {
		struct pci_dev *up = pci_upstream_bridge(pdev);

		if (n < 2 && up && pci_is_pcie(up) &&
		    pci_pcie_type(up) == PCI_EXP_TYPE_PCI_BRIDGE)
			groups[n++] = iommu_group_get(&pdev->dev);
	}
	if (n < 2) {
		if (alias)
			KUNIT_FAIL(test, "no two edu functions behind a PCIe-to-PCI bridge");
		else
			kunit_skip(test, "no two edu functions behind a PCIe-to-PCI bridge");
		return;
	}
	KUNIT_EXPECT_NOT_NULL(test, groups[0]);
	KUNIT_EXPECT_PTR_EQ(test, groups[0], groups[1]);
	KUNIT_EXPECT_PTR_NE(test, groups[0], t->group);
	iommu_group_put(groups[0]);
	iommu_group_put(groups[1]);
}

/*
 * A function behind a PCIe-to-PCI bridge is never attached (its DMA
 * arrives under the bridge's requester id) and keeps pass-through: its DMA
 * reaches physical addresses, through the entry of the id it arrives
 * under.  Memory to the device's buffer and back to another page.
 */
static void iommu_api_alias_pass_through(struct kunit *test)
{
	struct page *src = alloc_page(GFP_KERNEL | __GFP_ZERO);
	struct page *dst = alloc_page(GFP_KERNEL | __GFP_ZERO);
	struct pci_dev *pdev = NULL, *behind = NULL;
	struct iox_edu edu;
	int ret;

	KUNIT_ASSERT_NOT_NULL(test, src);
	KUNIT_ASSERT_NOT_NULL(test, dst);
	while (!behind && (pdev = t_next_edu(pdev))) {
		struct pci_dev *up = pci_upstream_bridge(pdev);

		if (up && pci_is_pcie(up) && pci_pcie_type(up) == PCI_EXP_TYPE_PCI_BRIDGE)
			behind = pci_dev_get(pdev);
	}
	pci_dev_put(pdev);
	if (!behind) {
		__free_page(src);
		__free_page(dst);
		if (alias)
			KUNIT_FAIL(test, "no edu function behind a PCIe-to-PCI bridge");
		else
			kunit_skip(test, "no edu function behind a PCIe-to-PCI bridge");
		return;
	}
	memset(page_address(src), 0x5a, 256);
	ret = iox_edu_open_dev(&edu, behind);
	KUNIT_ASSERT_EQ(test, ret, 0);
	KUNIT_EXPECT_EQ(test, iox_edu_dma(&edu, page_to_phys(src), 0, 256, false), 0);
	KUNIT_EXPECT_EQ(test, iox_edu_dma(&edu, page_to_phys(dst), 0, 256, true), 0);
	iox_edu_close(&edu);
	KUNIT_EXPECT_EQ_MSG(test, memcmp(page_address(src), page_address(dst), 256), 0,
			    "DMA of %s did not move the data", pci_name(behind));
	__free_page(src);
	__free_page(dst);
}

static struct kunit_case iommu_api_cases[] = {
	KUNIT_CASE(iommu_api_default_dma),
	KUNIT_CASE(iommu_api_map_dma_unmap),
	KUNIT_CASE(iommu_api_superpage_hole),
	KUNIT_CASE(iommu_api_bad_input),
	KUNIT_CASE(iommu_api_detach_default),
	KUNIT_CASE(iommu_api_dma_owner_blocks),
	KUNIT_CASE(iommu_api_capabilities),
	KUNIT_CASE(iommu_api_resv_regions),
	KUNIT_CASE(iommu_api_alias_group),
	KUNIT_CASE(iommu_api_alias_pass_through),
	{}
};

static struct kunit_suite iommu_api_suite = {
	.name = "iox-hw-iommu-api",
	.init = iommu_api_init,
	.exit = iommu_api_exit,
	.test_cases = iommu_api_cases,
};

kunit_test_suite(iommu_api_suite);

MODULE_DESCRIPTION("KUnit tests of the iox IOMMU API bridge");
MODULE_LICENSE("GPL");
