// SPDX-License-Identifier: GPL-2.0
/*
 * make demo: DMA from QEMU's edu device through an iox domain on emulated
 * VT-d or AMD-Vi, whichever unit edu is behind, then the same IOVA after
 * the unmap, which faults.  Narrates with lines prefixed "iox-demo: " that
 * the guest script shows.  It uses the iox API only, so that it loads
 * beside either backend; faults arrive by the backend's own interrupt or
 * poll (QEMU's amd-iommu reports none: there the untouched memory shows
 * the fault).
 */
#define pr_fmt(fmt) "iox-demo: " fmt

#include <linux/delay.h>
#include <linux/iox.h>
#include <linux/module.h>
#include <linux/sizes.h>

#include "../../../../drivers/iommu/iox/tests/edu.h"

#define DEMO_IOVA	(5ULL * SZ_1G + 0x3000)
#define DEMO_LEN	64

static void iox_demo_fault(struct iox_domain *domain, struct device *dev,
			   const struct iox_fault *fault, void *data)
{
	pr_info("fault reported to the domain: %s %s at IOVA %#llx, reason %u\n",
		dev_name(dev), fault->flags & IOX_FAULT_WRITE ? "write" : "read", fault->iova,
		fault->reason);
	(*(int *)data)++;
}

static int iox_demo_run(void)
{
	struct iox_domain *domain;
	struct iox_unit *unit;
	struct iox_edu edu;
	struct page *src, *dst;
	int faults = 0, ret, i;

	ret = iox_edu_open(&edu);
	if (ret)
		return ret;
	unit = iox_unit_for_device(&edu.pdev->dev);
	if (!unit) {
		ret = -ENODEV;
		goto close;
	}
	src = alloc_page(GFP_KERNEL | __GFP_ZERO);
	dst = alloc_page(GFP_KERNEL | __GFP_ZERO);
	ret = -ENOMEM;
	if (!src || !dst)
		goto free;
	domain = iox_domain_alloc(unit);
	if (IS_ERR(domain)) {
		ret = PTR_ERR(domain);
		goto free;
	}
	iox_domain_set_fault_handler(domain, iox_demo_fault, &faults);
	ret = iox_attach_device(domain, &edu.pdev->dev);
	if (ret)
		goto free_domain;
	pr_info("edu %s is behind %s, attached to iox domain %d\n", pci_name(edu.pdev),
		unit->name, domain->id);

	memcpy(page_address(src), "DMA through an iox translation!", 32);
	iox_map(domain, SZ_1M, page_to_phys(src), SZ_4K, IOX_PROT_READ, GFP_KERNEL);
	iox_edu_dma(&edu, SZ_1M, 0, DEMO_LEN, false);
	iox_unmap(domain, SZ_1M, SZ_4K);

	ret = iox_map(domain, DEMO_IOVA & ~0xfffULL, page_to_phys(dst), SZ_4K,
		      IOX_PROT_READ | IOX_PROT_WRITE, GFP_KERNEL);
	pr_info("map IOVA %#llx -> phys %pa: %d\n", DEMO_IOVA & ~0xfffULL,
		&(phys_addr_t){ page_to_phys(dst) }, ret);
	iox_edu_dma(&edu, DEMO_IOVA, 0, DEMO_LEN, true);
	pr_info("edu DMA to IOVA %#llx; memory at phys %pa now reads \"%s\"\n", DEMO_IOVA,
		&(phys_addr_t){ page_to_phys(dst) + 0x0 }, (char *)page_address(dst));
	pr_info("unmap IOVA %#llx: %zd bytes, IOTLB invalidated\n", DEMO_IOVA & ~0xfffULL,
		iox_unmap(domain, DEMO_IOVA & ~0xfffULL, SZ_4K));

	memset(page_address(dst), 0, PAGE_SIZE);
	iox_edu_dma(&edu, DEMO_IOVA, 0, DEMO_LEN, true);
	pr_info("edu DMA to IOVA %#llx again\n", DEMO_IOVA);
	for (i = 0; i < 50 && !faults; i++)
		msleep(20);
	pr_info("memory at phys %pa is untouched: \"%s\"; faults reported: %d\n",
		&(phys_addr_t){ page_to_phys(dst) }, (char *)page_address(dst), faults);
	ret = memchr_inv(page_address(dst), 0, PAGE_SIZE) ? -EIO : 0;

	iox_detach_device(domain, &edu.pdev->dev);
free_domain:
	iox_domain_free(domain);
free:
	if (src)
		__free_page(src);
	if (dst)
		__free_page(dst);
	iox_unit_put(unit);
close:
	iox_edu_close(&edu);
	return ret;
}

static int __init iox_demo_init(void)
{
	int ret = iox_demo_run();

	pr_info("%s (%d)\n", ret ? "demo failed" : "done", ret);
	return 0;
}

static void __exit iox_demo_exit(void)
{
}

module_init(iox_demo_init);
module_exit(iox_demo_exit);

MODULE_DESCRIPTION("make demo: DMA through iox, and a fault after unmap");
MODULE_LICENSE("GPL");
