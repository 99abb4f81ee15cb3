// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit, iox built in: an NVMe disk is driven through an iox DMA domain
 * from boot, by default.  The unit (VT-d or AMD-Vi) comes up before PCI
 * drivers register, so the nvme driver's device gets its DMA domain before
 * it probes; the kernel's boot-time scan of the disk, and a read of its
 * first block here, go through that domain.  The first block holds what
 * tools/testing/iox/kunit.sh wrote into the disk image.
 *
 * Booted with iox.dma_attach=0 (and boot_disk_kunit.translated=0 to say
 * so), the device must be left untranslated instead: no iox domain, the
 * kernel's direct DMA, an identity default domain where the IOMMU-API
 * bridge probed it, and the same block read back.
 *
 * The machine also has QEMU's pci-serial, whose driver registers before
 * the IOMMU drivers: it must have found its DMA domain too.
 *
 * Without an NVMe device the cases are skipped, unless
 * boot_disk_kunit.expected=1 makes that a failure
 * (tools/testing/iox/qemu_configs/nvme.py).
 */
#include <kunit/test.h>
#include <linux/bio.h>
#include <linux/blkdev.h>
#include <linux/delay.h>
#include <linux/device.h>
#include <linux/dma-map-ops.h>
#include <linux/iommu.h>
#include <linux/iox.h>
#include <linux/iox-dma.h>
#include <linux/moduleparam.h>
#include <linux/pci.h>
#include <linux/string.h>

static bool expected;
module_param(expected, bool, 0444);
MODULE_PARM_DESC(expected, "the machine has an iox unit and an NVMe disk with the test pattern");

static bool translated = true;
module_param(translated, bool, 0444);
MODULE_PARM_DESC(translated, "the disk is in an iox DMA domain (0: booted with iox.dma_attach=0)");

/* The first block of the disk image: this tag, then 'x' to the end. */
#define BOOT_TAG	"IOXBOOT"

/* How long the nvme driver's asynchronous probe may take to show the disk. */
#define BOOT_DISK_WAIT_MS	60000

/* QEMU's pci-serial, driven by 8250_pci. */
#define BOOT_SERIAL_DEVICE	0x0002

static int find_disk(struct device *dev, void *data)
{
	struct device **found = data;

	if (dev->class && !strcmp(dev->class->name, "block") && dev->type &&
	    dev->type->name && !strcmp(dev->type->name, "disk")) {
		*found = get_device(dev);
		return 1;
	}
	return device_for_each_child(dev, data, find_disk);
}

/* The whole-disk block device below @pdev, waiting for it; NULL if none. */
static struct device *boot_disk(struct pci_dev *pdev)
{
	struct device *disk = NULL;
	unsigned int ms;

	for (ms = 0; ms < BOOT_DISK_WAIT_MS; ms += 100) {
		device_for_each_child(&pdev->dev, &disk, find_disk);
		if (disk)
			break;
		msleep(100);
	}
	return disk;
}

/*
 * Open @disk.  Its device appears before add_disk() has made it live, and
 * until then opening it fails with -ENXIO: wait for that too.
 */
static struct block_device *boot_disk_open(struct device *disk)
{
	struct block_device *bdev;
	unsigned int ms;

	for (ms = 0;; ms += 100) {
		bdev = blkdev_get_by_dev(disk->devt, FMODE_READ, NULL);
		if (!IS_ERR(bdev) || PTR_ERR(bdev) != -ENXIO || ms >= BOOT_DISK_WAIT_MS)
			return bdev;
		msleep(100);
	}
}

static struct pci_dev *boot_nvme(struct kunit *test)
{
	struct pci_dev *pdev = pci_get_class(PCI_CLASS_STORAGE_EXPRESS, NULL);

	if (!pdev && !expected)
		kunit_skip(test, "no NVMe device");
	KUNIT_ASSERT_NOT_NULL_MSG(test, pdev, "no NVMe device");
	return pdev;
}

/*
 * Booted with iox.dma_attach=0: no iox domain, the kernel's direct DMA, and
 * the identity default domain if the bridge probed the device.
 */
static void boot_nvme_untranslated(struct kunit *test, struct pci_dev *pdev)
{
	struct iommu_domain *d = iommu_get_domain_for_dev(&pdev->dev);

	KUNIT_EXPECT_NULL_MSG(test, iox_device_domain(&pdev->dev),
			      "%s is in an iox domain", pci_name(pdev));
	KUNIT_EXPECT_NULL(test, get_dma_ops(&pdev->dev));
	if (d)
		KUNIT_EXPECT_EQ(test, d->type, (unsigned int)IOMMU_DOMAIN_IDENTITY);
	kunit_info(test, "%s: untranslated, %s\n", pci_name(pdev),
		   d ? "identity default domain" : "no IOMMU group");
}

/*
 * By default the NVMe device is in an iox DMA domain with iox's
 * dma_map_ops, and the driver's initialisation and the boot-time scan of
 * the disk mapped through it; with iox.dma_attach=0 it is untranslated.
 */
static void boot_nvme_domain(struct kunit *test)
{
	struct pci_dev *pdev = boot_nvme(test);
	struct iox_domain_stats st;
	struct iox_domain *domain;
	struct device *disk;

	disk = boot_disk(pdev);
	KUNIT_EXPECT_NOT_NULL_MSG(test, disk, "the disk did not appear");
	if (disk)
		put_device(disk);
	if (!translated) {
		boot_nvme_untranslated(test, pdev);
		pci_dev_put(pdev);
		return;
	}
	domain = iox_device_domain(&pdev->dev);
	if (!domain)
		pci_dev_put(pdev);
	KUNIT_ASSERT_NOT_NULL_MSG(test, domain, "%s is in no iox domain", pci_name(pdev));
	KUNIT_EXPECT_NOT_NULL(test, domain->dma);
	KUNIT_EXPECT_NOT_NULL(test, get_dma_ops(&pdev->dev));
	iox_domain_get_stats(domain, &st);
	kunit_info(test, "%s: domain %d, %s, %llu maps, %llu unmaps since boot\n",
		   pci_name(pdev), domain->id,
		   iox_dma_is_lazy(&pdev->dev) ? "lazy" : "strict", st.maps, st.unmaps);
	KUNIT_EXPECT_GT(test, st.maps, 0ULL);
	pci_dev_put(pdev);
}

/*
 * Every PCI device behind an iox unit whose driver bound at boot got a DMA
 * domain before its probe, also where the driver registers ahead of the
 * IOMMU drivers: 8250_pci (drivers/tty, the PCI serial port's driver)
 * comes before drivers/iommu in link order, both at device_initcall, so
 * only a unit brought up earlier (rootfs_initcall) serves it.  With
 * iox.dma_attach=0, none is in an iox domain.
 */
static void boot_bound_devices_domain(struct kunit *test)
{
	struct pci_dev *nvme = boot_nvme(test), *serial, *pdev = NULL;
	struct device *disk = boot_disk(nvme);	/* its probe is over */
	int bound = 0;

	pci_dev_put(nvme);
	if (disk)
		put_device(disk);
	serial = pci_get_device(PCI_VENDOR_ID_REDHAT, BOOT_SERIAL_DEVICE, NULL);
	KUNIT_ASSERT_NOT_NULL_MSG(test, serial, "no PCI serial port");
	KUNIT_EXPECT_NOT_NULL_MSG(test, serial->dev.driver, "%s has no driver",
				  pci_name(serial));
	pci_dev_put(serial);

	for_each_pci_dev(pdev) {
		struct iox_domain *domain = iox_device_domain(&pdev->dev);
		struct iox_unit *unit;

		if (!pdev->dev.driver)
			continue;
		unit = iox_unit_for_device(&pdev->dev);
		if (!unit)
			continue;
		iox_unit_put(unit);
		bound++;
		kunit_info(test, "%s (%s): %s\n", pci_name(pdev), pdev->dev.driver->name,
			   domain ? "iox domain" : "untranslated");
		if (translated)
			KUNIT_EXPECT_TRUE_MSG(test, domain && domain->dma,
					      "%s (%s) is in no iox DMA domain", pci_name(pdev),
					      pdev->dev.driver->name);
		else
			KUNIT_EXPECT_NULL_MSG(test, domain, "%s is in an iox domain",
					      pci_name(pdev));
	}
	/* The NVMe disk and the serial port. */
	KUNIT_EXPECT_GE(test, bound, 2);
}

/*
 * Read the first block of the disk: the image's tag, through the domain
 * (its map count grows), or with the kernel's direct DMA when untranslated.
 */
static void boot_disk_read(struct kunit *test)
{
	struct iox_domain_stats before = {}, after = {};
	struct pci_dev *pdev = boot_nvme(test);
	struct block_device *bdev;
	struct iox_domain *domain;
	struct device *disk;
	struct page *page;
	struct bio *bio;
	char *data;

	disk = boot_disk(pdev);
	domain = iox_device_domain(&pdev->dev);
	pci_dev_put(pdev);
	KUNIT_ASSERT_NOT_NULL(test, disk);
	if (!!domain != translated)
		put_device(disk);
	KUNIT_ASSERT_EQ_MSG(test, !!domain, (int)translated, "the disk is%s in an iox domain",
			    domain ? "" : " not");
	bdev = boot_disk_open(disk);
	put_device(disk);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(bdev), "open: %ld", PTR_ERR(bdev));

	page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	bio = page ? bio_alloc(bdev, 1, REQ_OP_READ, GFP_KERNEL) : NULL;
	if (!bio) {
		if (page)
			__free_page(page);
		blkdev_put(bdev, FMODE_READ);
		KUNIT_FAIL(test, "no memory");
		return;
	}
	bio->bi_iter.bi_sector = 0;
	__bio_add_page(bio, page, PAGE_SIZE, 0);
	if (domain)
		iox_domain_get_stats(domain, &before);
	KUNIT_EXPECT_EQ(test, submit_bio_wait(bio), 0);
	if (domain)
		iox_domain_get_stats(domain, &after);
	bio_put(bio);
	blkdev_put(bdev, FMODE_READ);

	data = page_address(page);
	KUNIT_EXPECT_EQ_MSG(test, memcmp(data, BOOT_TAG, strlen(BOOT_TAG)), 0,
			    "the first block starts %*ph", 8, data);
	KUNIT_EXPECT_NULL(test, memchr_inv(data + strlen(BOOT_TAG), 'x',
					   PAGE_SIZE - strlen(BOOT_TAG)));
	if (domain)
		KUNIT_EXPECT_GT(test, after.maps, before.maps);
	__free_page(page);
}

static struct kunit_case boot_disk_cases[] = {
	KUNIT_CASE(boot_nvme_domain),
	KUNIT_CASE(boot_bound_devices_domain),
	KUNIT_CASE(boot_disk_read),
	{}
};

static struct kunit_suite boot_disk_suite = {
	.name = "iox-boot-disk",
	.test_cases = boot_disk_cases,
};

kunit_test_suite(boot_disk_suite);

MODULE_DESCRIPTION("KUnit test of an NVMe disk read through iox from boot");
MODULE_LICENSE("GPL");
