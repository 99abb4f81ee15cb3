// SPDX-License-Identifier: GPL-2.0
/*
 * vmtest module: a PCI driver for QEMU's edu device that uses the DMA API,
 * as any driver binding after iox loaded does.  Bound, edu must sit in the
 * DMA-type default domain the kernel's IOMMU core gave it when iox
 * registered its unit, attached to an iox DMA domain with iox's DMA ops:
 * a dma_map_single() buffer round-trips through edu at an address iox
 * translates, and after dma_unmap_single() the same address, which the
 * IOTLB held, no longer reaches memory (strict domains: the unmap
 * invalidated; the fault is counted where the unit reports faults).
 *
 * The probe prints KTAP lines prefixed "iox-edu-dma-api: " for the guest
 * script and succeeds whatever they say, so that the script can read the
 * domain's counters while the driver is bound.
 *
 * Module parameter: faults=0 for a unit that reports no faults (QEMU 7.2's
 * AMD-Vi): the data that did not land is then the whole check.
 */
#define pr_fmt(fmt) "iox-edu-dma-api: " fmt

#include <linux/delay.h>
#include <linux/dma-map-ops.h>
#include <linux/iommu.h>
#include <linux/iox.h>
#include <linux/iox-dma.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/slab.h>

#include "../../../../drivers/iommu/iox/tests/edu.h"

static bool faults = true;
module_param(faults, bool, 0444);
MODULE_PARM_DESC(faults, "the unit reports DMA faults (QEMU 7.2's AMD-Vi does not: 0)");

#define T_LEN	256
#define T_PLAN	5

static int t_n;

static bool t_result(bool ok, const char *what)
{
	pr_info("%sok %d %s\n", ok ? "" : "not ", ++t_n, what);
	return ok;
}

/* Wait up to 2 s for @domain's fault count to pass @before. */
static bool t_faulted(struct iox_domain *domain, s64 before)
{
	int i;

	for (i = 0; i < 100; i++) {
		if (atomic64_read(&domain->nr_faults) > before)
			return true;
		msleep(20);
	}
	return false;
}

/* Map, round trip, unmap, DMA again: the cases after the domain checks. */
static void t_dma_api(struct iox_edu *edu, struct iox_domain *domain, u8 *buf)
{
	struct device *dev = &edu->pdev->dev;
	dma_addr_t addr;
	bool ok;
	s64 before;

	memset(buf, 0x6b, T_LEN);
	addr = dma_map_single(dev, buf, T_LEN, DMA_BIDIRECTIONAL);
	ok = !dma_mapping_error(dev, addr) && domain &&
	     iox_iova_to_phys(domain, addr) == virt_to_phys(buf);
	pr_info("# dma_map_single: %pad\n", &addr);
	if (!t_result(ok, "dma_map_single() maps the buffer through the iox domain")) {
		t_result(false, "round trip through edu");
		t_result(false, "after dma_unmap_single() the address no longer reaches memory");
		return;
	}
	ok = !iox_edu_dma(edu, addr, 0, T_LEN, false);
	memset(buf, 0, T_LEN);
	ok = ok && !iox_edu_dma(edu, addr, 0, T_LEN, true) && !memchr_inv(buf, 0x6b, T_LEN);
	t_result(ok, "round trip through edu at the iox address");

	/* The IOTLB holds the translation now: only an invalidation removes it. */
	dma_unmap_single(dev, addr, T_LEN, DMA_BIDIRECTIONAL);
	memset(buf, 0, T_LEN);
	before = atomic64_read(&domain->nr_faults);
	ok = !iox_edu_dma(edu, addr, 0, T_LEN, true);
	if (iox_dma_is_lazy(dev)) {
		pr_info("# lazy domain: the unmap waits for the flush queue\n");
		t_result(ok, "the address after dma_unmap_single() # SKIP lazy");
		return;
	}
	ok = ok && !memchr_inv(buf, 0, T_LEN);
	if (faults)
		ok = ok && t_faulted(domain, before);
	t_result(ok, faults ?
		 "after dma_unmap_single() the address faults (iox counts it), memory intact" :
		 "after dma_unmap_single() the address no longer reaches memory");
}

static int t_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct iommu_domain *def = iommu_get_domain_for_dev(&pdev->dev);
	struct iox_edu edu = { .pdev = pdev };
	struct iox_domain *domain;
	u8 *buf;
	bool ok;

	t_n = 0;
	pr_info("KTAP version 1\n");
	pr_info("1..%d\n", T_PLAN);
	pr_info("# default domain type %#x\n", def ? def->type : 0);
	t_result(def && iommu_is_dma_domain(def),
		 "edu's IOMMU API default domain is DMA or DMA-FQ");

	domain = iox_device_domain(&pdev->dev);
	ok = domain && domain->dma && get_dma_ops(&pdev->dev);
	if (domain)
		pr_info("# iox domain %d, %s\n", domain->id,
			iox_dma_is_lazy(&pdev->dev) ? "lazy" : "strict");
	t_result(ok, "at probe edu is in an iox DMA domain, with iox's DMA ops");

	buf = kmalloc(PAGE_SIZE, GFP_KERNEL);
	if (!buf || pci_enable_device(pdev))
		goto out;
	pci_set_master(pdev);
	edu.bar = pci_iomap(pdev, 0, 0);
	if (edu.bar && readl(edu.bar + EDU_ID) == EDU_ID_VALUE &&
	    !dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(64)))
		t_dma_api(&edu, ok ? domain : NULL, buf);
	if (edu.bar)
		pci_iounmap(pdev, edu.bar);
	pci_clear_master(pdev);
	pci_disable_device(pdev);
out:
	while (t_n < T_PLAN)
		t_result(false, "edu could not be driven");
	kfree(buf);
	return 0;
}

static void t_remove(struct pci_dev *pdev)
{
}

static const struct pci_device_id t_ids[] = {
	{ PCI_DEVICE(EDU_VENDOR, EDU_DEVICE) },
	{ }
};
MODULE_DEVICE_TABLE(pci, t_ids);

static struct pci_driver t_driver = {
	.name = "iox_edu_dma_api_test",
	.id_table = t_ids,
	.probe = t_probe,
	.remove = t_remove,
};
module_pci_driver(t_driver);

MODULE_DESCRIPTION("iox test: a DMA API driver for edu in an IOMMU API DMA domain");
MODULE_LICENSE("GPL");
