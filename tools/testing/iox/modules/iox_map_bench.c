// SPDX-License-Identifier: GPL-2.0
/*
 * make bench module: times map+unmap through the full stack on QEMU's edu
 * device (1234:11e8, no driver bound): iox_map()/iox_unmap() on an iox
 * domain of edu's unit (iox loaded, the kernel's intel-iommu off), or, built
 * as iox_map_bench_kernel.ko (IOX_MAP_BENCH_KERNEL), iommu_map()/
 * iommu_unmap() on an UNMANAGED domain of the kernel's own intel-iommu
 * (booted with intel_iommu=on).  Edu is attached to the domain for the run
 * and detached again before init returns.
 *
 * Shapes: 4K; 1M (256x4K, one call each way); 2M (a superpage); and a 4K
 * unmap inside a 2M mapping (only that unmap is timed; the rest of the 2M
 * is unmapped afterwards, untimed).  Each pair is timed up to BENCH_PAIRS
 * times or BENCH_MAX_NS; lines "iox-map-bench: # bench-vm: map SHAPE NS"
 * (ns per pair, KERN_INFO).  With count=N, no timing: each shape runs N
 * times, for the host to count QEMU's invalidation descriptors.
 */
#define pr_fmt(fmt) "iox-map-bench: " fmt

#include <linux/iommu.h>
#include <linux/iox.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/sizes.h>

#define BENCH_PAIRS	1024
#define BENCH_MAX_NS	(NSEC_PER_SEC / 2)
#define BENCH_IOVA	SZ_1G

/*
 * The domain is a struct iox_domain or a struct iommu_domain: void * below.
 * bench_release(domain, dev) detaches @dev (if not NULL) and frees it.
 */

enum bench_shape { SHAPE_4K, SHAPE_1M, SHAPE_2M, SHAPE_4K_IN_2M, SHAPES };

static const char * const shape_names[SHAPES] = { "4K", "256x4K", "2M", "unmap-4K-in-2M" };
static const size_t shape_sizes[SHAPES] = { SZ_4K, SZ_1M, SZ_2M, SZ_2M };

static unsigned int count;
module_param(count, uint, 0444);
MODULE_PARM_DESC(count, "run each shape this many times untimed (0: time them)");

#ifdef IOX_MAP_BENCH_KERNEL
#define BENCH_API "iommu"

static void *bench_alloc(struct device *dev)
{
	return iommu_domain_alloc(&pci_bus_type) ?: ERR_PTR(-ENOMEM);
}

static int bench_attach(void *d, struct device *dev)
{
	return iommu_attach_device(d, dev);
}

static void bench_release(void *d, struct device *dev)
{
	if (dev)
		iommu_detach_device(d, dev);
	iommu_domain_free(d);
}

static int bench_map(void *d, u64 iova, phys_addr_t pa, size_t size)
{
	return iommu_map(d, iova, pa, size, IOMMU_READ | IOMMU_WRITE);
}

static ssize_t bench_unmap(void *d, u64 iova, size_t size)
{
	return iommu_unmap(d, iova, size);
}
#else
#define BENCH_API "iox"

/* Edu's unit, held while the domain lives. */
static struct iox_unit *bench_unit;

static void *bench_alloc(struct device *dev)
{
	struct iox_domain *d;

	bench_unit = iox_unit_for_device(dev);
	if (!bench_unit)
		return ERR_PTR(-ENODEV);
	d = iox_domain_alloc(bench_unit);
	if (IS_ERR(d))
		iox_unit_put(bench_unit);
	return d;
}

static int bench_attach(void *d, struct device *dev)
{
	return iox_attach_device(d, dev);
}

static void bench_release(void *d, struct device *dev)
{
	if (dev)
		iox_detach_device(d, dev);
	iox_domain_free(d);
	iox_unit_put(bench_unit);
}

static int bench_map(void *d, u64 iova, phys_addr_t pa, size_t size)
{
	return iox_map(d, iova, pa, size, IOX_PROT_READ | IOX_PROT_WRITE, GFP_KERNEL);
}

static ssize_t bench_unmap(void *d, u64 iova, size_t size)
{
	return iox_unmap(d, iova, size);
}
#endif

/* One pair of @shape at BENCH_IOVA; *@ns gets the time of the timed part. */
static int bench_pair(void *d, enum bench_shape shape, phys_addr_t pa, u64 *ns)
{
	size_t size = shape_sizes[shape];
	u64 start = ktime_get_ns();
	ssize_t unmapped;
	int ret;

	ret = bench_map(d, BENCH_IOVA, pa, size);
	if (ret)
		return ret;
	if (shape == SHAPE_4K_IN_2M) {
		start = ktime_get_ns();
		unmapped = bench_unmap(d, BENCH_IOVA + SZ_1M, SZ_4K);
		*ns = ktime_get_ns() - start;
		/* The kernel's intel-iommu unmaps the whole superpage. */
		if (unmapped < SZ_4K)
			return unmapped < 0 ? unmapped : -EIO;
		if (unmapped == SZ_4K &&
		    (bench_unmap(d, BENCH_IOVA, SZ_1M) != SZ_1M ||
		     bench_unmap(d, BENCH_IOVA + SZ_1M + SZ_4K, SZ_1M - SZ_4K) != SZ_1M - SZ_4K))
			return -EIO;
		return 0;
	}
	unmapped = bench_unmap(d, BENCH_IOVA, size);
	*ns = ktime_get_ns() - start;
	return unmapped == size ? 0 : -EIO;
}

/* Time @shape, or run it count times.  Return: 0 or -errno. */
static int bench_shape(void *d, enum bench_shape shape, phys_addr_t pa)
{
	unsigned int pairs = 0, limit = count ?: BENCH_PAIRS;
	u64 ns, total = 0;
	int ret;

	while (pairs < limit && (count || total < BENCH_MAX_NS)) {
		ret = bench_pair(d, shape, pa, &ns);
		if (ret)
			return ret;
		total += ns;
		if (!(++pairs % 64))
			cond_resched();
	}
	if (!count)
		pr_info("# bench-vm: map %s %llu\n", shape_names[shape], div_u64(total, pairs));
	return 0;
}

static int __init iox_map_bench_init(void)
{
	struct pci_dev *pdev = pci_get_device(0x1234, 0x11e8, NULL);
	enum bench_shape shape;
	struct page *pages;
	void *d;
	int ret;

	if (!pdev)
		return -ENODEV;
	/* 2M, naturally aligned: the 2M shapes can be one superpage. */
	pages = alloc_pages(GFP_KERNEL, get_order(SZ_2M));
	d = bench_alloc(&pdev->dev);
	ret = !pages ? -ENOMEM : IS_ERR(d) ? PTR_ERR(d) : bench_attach(d, &pdev->dev);
	if (ret) {
		pr_err(BENCH_API ": no domain attached: %d\n", ret);
		if (!IS_ERR(d))
			bench_release(d, NULL);
		goto out;
	}
	for (shape = 0; shape < SHAPES && !ret; shape++) {
		ret = bench_shape(d, shape, page_to_phys(pages));
		if (ret)
			pr_err(BENCH_API ": %s failed: %d\n", shape_names[shape], ret);
	}
	bench_release(d, &pdev->dev);
	if (!ret)
		pr_info(BENCH_API " done\n");
out:
	if (pages)
		__free_pages(pages, get_order(SZ_2M));
	pci_dev_put(pdev);
	return ret;
}

static void __exit iox_map_bench_exit(void)
{
}

module_init(iox_map_bench_init);
module_exit(iox_map_bench_exit);

MODULE_DESCRIPTION("make bench: map+unmap through the full stack, iox or the kernel's IOMMU API");
MODULE_LICENSE("GPL");
