// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of AMD-Vi discovery against the (emulated) hardware.
 *
 * Run on QEMU q35 with -device amd-iommu,intremap=off and
 * -device edu,addr=0x10 (tools/testing/iox/qemu_configs/amdvi.py), which
 * boots with amdvi_hw_kunit.expected=1: then a missing unit is a failure.
 * Elsewhere the cases are skipped.
 */
#include <kunit/test.h>
#include <linux/io.h>
#include <linux/moduleparam.h>
#include <linux/pci.h>
#include <linux/sizes.h>

#include "../amd/amdvi.h"

static bool expected;
module_param(expected, bool, 0444);
MODULE_PARM_DESC(expected, "the machine has an emulated AMD-Vi unit");

#define QEMU_AMDVI_BASE	0xfed80000ULL
#define QEMU_AMDVI_EFR	0x29d3ULL
/* Base class 08h (system peripheral), sub-class 06h: IOMMU. */
#define PCI_CLASS_IOMMU	0x0806
#define EDU_VENDOR	0x1234
#define EDU_DEVICE	0x11e8

static struct iox_amdvi_unit *get_unit(struct kunit *test)
{
	struct iox_unit *unit = iox_unit_find("ivhd0");

	if (!unit) {
		if (expected)
			KUNIT_ASSERT_FAILURE(test, "no AMD-Vi unit was discovered");
		kunit_skip(test, "no AMD-Vi hardware on this machine");
	}
	return to_amdvi_unit(unit);
}

static void amdvi_unit_from_ivrs(struct kunit *test)
{
	struct iox_amdvi_unit *amdvi = get_unit(test);
	struct pci_dev *self;

	KUNIT_EXPECT_EQ(test, amdvi->mmio_phys, QEMU_AMDVI_BASE);
	KUNIT_EXPECT_EQ(test, amdvi->ivhd_type, 0x10);
	KUNIT_EXPECT_EQ(test, amdvi->cap_offset, 0x40);
	/* The IVHD names the IOMMU's own PCI function. */
	self = pci_get_domain_bus_and_slot(amdvi->segment, PCI_BUS_NUM(amdvi->devid),
					   amdvi->devid & 0xff);
	KUNIT_ASSERT_NOT_NULL(test, self);
	KUNIT_EXPECT_EQ(test, self->vendor, PCI_VENDOR_ID_AMD);
	KUNIT_EXPECT_EQ(test, self->class >> 8, PCI_CLASS_IOMMU);
	pci_dev_put(self);
}

static void amdvi_caps_match_hardware(struct kunit *test)
{
	struct iox_amdvi_unit *amdvi = get_unit(test);
	const struct iox_amdvi_caps *c = &amdvi->caps;

	KUNIT_EXPECT_EQ(test, c->efr, readq(amdvi->mmio + AMDVI_EFR_REG));
	KUNIT_EXPECT_EQ(test, c->efr, QEMU_AMDVI_EFR);
	KUNIT_EXPECT_EQ(test, c->host_levels, 6);
	KUNIT_EXPECT_EQ(test, c->guest_levels, 6);
	KUNIT_EXPECT_TRUE(test, c->prefetch);
	KUNIT_EXPECT_TRUE(test, c->ppr);
	KUNIT_EXPECT_FALSE(test, c->x2apic);
	KUNIT_EXPECT_FALSE(test, c->nx);
	KUNIT_EXPECT_TRUE(test, c->guest_translation);
	KUNIT_EXPECT_TRUE(test, c->invalidate_all);
	KUNIT_EXPECT_TRUE(test, c->hw_error);
	KUNIT_EXPECT_FALSE(test, c->perf_counters);
	KUNIT_EXPECT_EQ(test, amdvi->unit.ias, 64);
	KUNIT_EXPECT_EQ(test, amdvi->unit.pgsize_bitmap, SZ_4K | SZ_2M | SZ_1G);
}

static void amdvi_devices_cover_edu(struct kunit *test)
{
	struct iox_amdvi_unit *amdvi = get_unit(test);
	struct pci_dev *edu = pci_get_device(EDU_VENDOR, EDU_DEVICE, NULL);

	KUNIT_ASSERT_NOT_NULL_MSG(test, edu, "no edu device on this machine");
	KUNIT_EXPECT_TRUE(test, iox_amdvi_serves(amdvi, pci_domain_nr(edu->bus),
						 pci_dev_id(edu)));
	KUNIT_EXPECT_FALSE(test, iox_amdvi_serves(amdvi, 1, pci_dev_id(edu)));
	/* QEMU lists bus-0 devices one by one: nothing on bus 0x80. */
	KUNIT_EXPECT_FALSE(test, iox_amdvi_serves(amdvi, 0, 0x8000));
	pci_dev_put(edu);
}

static void amdvi_unit_left_disabled(struct kunit *test)
{
	struct iox_amdvi_unit *amdvi = get_unit(test);

	KUNIT_EXPECT_EQ(test, readq(amdvi->mmio + AMDVI_CONTROL_REG) &
			(AMDVI_CONTROL_IOMMU_EN | AMDVI_CONTROL_CMD_BUF_EN |
			 AMDVI_CONTROL_EVENT_LOG_EN), 0);
}

static struct kunit_case iox_amdvi_hw_cases[] = {
	KUNIT_CASE(amdvi_unit_from_ivrs),
	KUNIT_CASE(amdvi_caps_match_hardware),
	KUNIT_CASE(amdvi_devices_cover_edu),
	KUNIT_CASE(amdvi_unit_left_disabled),
	{}
};

static struct kunit_suite iox_amdvi_hw_suite = {
	.name = "iox-hw-amdvi",
	.test_cases = iox_amdvi_hw_cases,
};

kunit_test_suite(iox_amdvi_hw_suite);

MODULE_DESCRIPTION("KUnit tests of iox AMD-Vi discovery on (emulated) hardware");
MODULE_LICENSE("GPL");
