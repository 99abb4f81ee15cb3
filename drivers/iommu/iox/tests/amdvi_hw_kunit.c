// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of AMD-Vi discovery and bring-up against the (emulated)
 * hardware, and of the event log decoder (no hardware needed).
 *
 * Run on QEMU q35 with -device amd-iommu,intremap=off and
 * -device edu,addr=0x10 (tools/testing/iox/qemu_configs/amdvi.py), which
 * boots with amdvi_hw_kunit.expected=1: then a missing unit is a failure.
 * Elsewhere the cases are skipped.
 */
#include <kunit/test.h>
#include <linux/acpi.h>
#include <linux/io.h>
#include <linux/moduleparam.h>
#include <linux/pci.h>
#include <linux/sizes.h>

#include "../amd/amdvi.h"
#include "bringup_sweep.h"
#include "debugfs_read.h"

static bool expected;
module_param(expected, bool, 0444);
MODULE_PARM_DESC(expected, "the machine has an emulated AMD-Vi unit");

#define QEMU_AMDVI_BASE	0xfed80000ULL
/* Base class 08h (system peripheral), sub-class 06h: IOMMU. */
#define PCI_CLASS_IOMMU	0x0806
#define EDU_VENDOR	0x1234
#define EDU_DEVICE	0x11e8

#include "bind_bringup.h"

static struct iox_amdvi_unit *get_unit(struct kunit *test)
{
	struct iox_unit *unit = iox_unit_find("ivhd0");

	if (!unit) {
		if (expected)
			KUNIT_ASSERT_FAILURE(test, "no AMD-Vi unit was discovered");
		kunit_skip(test, "no AMD-Vi hardware on this machine");
	}
	test->priv = unit;	/* referenced until amdvi_hw_exit() */
	return to_amdvi_unit(unit);
}

static void amdvi_hw_exit(struct kunit *test)
{
	if (test->priv)
		iox_unit_put(test->priv);
}

/*
 * The unit's debugfs files can be read from the kernel (kernel_read()
 * needs read_iter) and show what the unit does.
 */
static void amdvi_debugfs_kernel_read(struct kunit *test)
{
	struct iox_amdvi_unit *amdvi = get_unit(test);
	char *buf = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);
	char name[32];

	KUNIT_ASSERT_NOT_NULL(test, buf);
	snprintf(name, sizeof(name), "iox/%s/inval", amdvi->unit.name);
	KUNIT_EXPECT_GT(test, iox_test_debugfs_read(test, name, buf, PAGE_SIZE), 0);
	/* INVALIDATE_IOMMU_ALL at bring-up, with its completion wait. */
	KUNIT_EXPECT_NOT_NULL(test, strstr(buf, "all: "));
	KUNIT_EXPECT_NULL(test, strstr(buf, "all: 0\n"));
	snprintf(name, sizeof(name), "iox/%s/events", amdvi->unit.name);
	KUNIT_EXPECT_GT(test, iox_test_debugfs_read(test, name, buf, PAGE_SIZE), 0);
	/* Lists the devices that are not in pass-through. */
	snprintf(name, sizeof(name), "iox/%s/devtab", amdvi->unit.name);
	KUNIT_EXPECT_GE(test, iox_test_debugfs_read(test, name, buf, PAGE_SIZE), 0);
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

/*
 * The decoded capabilities against the register as the hardware reports
 * it, with the fields at the bit positions the AMD IOMMU specification
 * gives them (not the driver's own masks), so that a decoding slip fails
 * whatever the emulated unit advertises.
 */
static void amdvi_caps_match_hardware(struct kunit *test)
{
	struct iox_amdvi_unit *amdvi = get_unit(test);
	const struct iox_amdvi_caps *c = &amdvi->caps;
	u64 efr = readq(amdvi->mmio + AMDVI_EFR_REG);
	unsigned int hats = (efr >> 10) & 3, gats = (efr >> 12) & 3;

	KUNIT_EXPECT_EQ(test, c->efr, efr);
	KUNIT_EXPECT_EQ(test, c->prefetch, !!(efr & BIT_ULL(0)));
	KUNIT_EXPECT_EQ(test, c->ppr, !!(efr & BIT_ULL(1)));
	KUNIT_EXPECT_EQ(test, c->x2apic, !!(efr & BIT_ULL(2)));
	KUNIT_EXPECT_EQ(test, c->nx, !!(efr & BIT_ULL(3)));
	KUNIT_EXPECT_EQ(test, c->guest_translation, !!(efr & BIT_ULL(4)));
	KUNIT_EXPECT_EQ(test, c->invalidate_all, !!(efr & BIT_ULL(6)));
	KUNIT_EXPECT_EQ(test, c->hw_error, !!(efr & BIT_ULL(8)));
	KUNIT_EXPECT_EQ(test, c->perf_counters, !!(efr & BIT_ULL(9)));
	/* HATS and GATS: 0 means 4 levels, 1 five, 2 six; 3 is reserved. */
	KUNIT_ASSERT_LT(test, hats, 3);
	KUNIT_ASSERT_LT(test, gats, 3);
	KUNIT_EXPECT_EQ(test, c->host_levels, 4 + hats);
	KUNIT_EXPECT_EQ(test, c->guest_levels, 4 + gats);
	/* A v1 table of n levels translates 12 + 9n bits, at most 64. */
	KUNIT_EXPECT_EQ(test, amdvi->unit.ias, min(12 + 9 * (4 + hats), 64U));
	/* The v1 format has 4K, 2M and 1G leaves whatever the unit. */
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

/*
 * A unit whose own PCI function is not there (firmware that names the
 * wrong device id) is assumed to cache not-present entries, so that iox
 * invalidates after each map rather than leave new mappings faulting.
 * Needs no AMD-Vi hardware: bus 0xfe holds no function on any machine the
 * tests run on.
 */
static void amdvi_np_cache_assumed_without_function(struct kunit *test)
{
	struct iox_amdvi_unit *fake = kunit_kzalloc(test, sizeof(*fake), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, fake);
	fake->devid = PCI_DEVID(0xfe, PCI_DEVFN(0x1f, 7));
	fake->cap_offset = 0x40;
	iox_amdvi_find_function(fake);
	KUNIT_EXPECT_NULL(test, fake->pdev);
	KUNIT_EXPECT_TRUE(test, fake->np_cache);
}

/*
 * Bring-up turned translation, the command buffer and the event log on,
 * pointed the unit at the tables, and invalidated everything once.
 */
static void amdvi_unit_brought_up(struct kunit *test)
{
	struct iox_amdvi_unit *amdvi = get_unit(test);
	u64 control = readq(amdvi->mmio + AMDVI_CONTROL_REG);
	u64 status = readq(amdvi->mmio + AMDVI_STATUS_REG);
	u64 devtab = readq(amdvi->mmio + AMDVI_DEVTAB_BASE_REG);

	KUNIT_EXPECT_TRUE(test, amdvi->enabled);
	KUNIT_EXPECT_TRUE(test, control & AMDVI_CONTROL_IOMMU_EN);
	KUNIT_EXPECT_TRUE(test, control & AMDVI_CONTROL_CMD_BUF_EN);
	KUNIT_EXPECT_TRUE(test, control & AMDVI_CONTROL_EVENT_LOG_EN);
	KUNIT_EXPECT_EQ(test, !!(control & AMDVI_CONTROL_EVENT_INT_EN), !!amdvi->evt.irq);
	KUNIT_EXPECT_TRUE(test, status & AMDVI_STATUS_CMD_RUN);
	KUNIT_EXPECT_TRUE(test, status & AMDVI_STATUS_EVT_RUN);
	KUNIT_EXPECT_EQ(test, devtab & AMDVI_BASE_ADDR, virt_to_phys(amdvi->devtab));
	/* The table covers the highest device id the IVHD names. */
	KUNIT_EXPECT_GE(test, ((devtab & AMDVI_DEVTAB_SIZE) + 1) * SZ_4K,
			(u64)amdvi->nr_devids * AMDVI_DTE_SIZE);
	KUNIT_EXPECT_EQ(test, readq(amdvi->mmio + AMDVI_CMDBUF_BASE_REG) & AMDVI_BASE_ADDR,
			virt_to_phys(amdvi->cmd.ring));
	KUNIT_EXPECT_EQ(test, readq(amdvi->mmio + AMDVI_EVTLOG_BASE_REG) & AMDVI_BASE_ADDR,
			virt_to_phys(amdvi->evt.ring));
	KUNIT_EXPECT_GE(test, amdvi->cmd.nr_inv[AMDVI_INV_ALL], 1);
	/* QEMU's capability header says NpCache. */
	KUNIT_EXPECT_TRUE(test, amdvi->np_cache);
}

/*
 * A device without a driver is blocked: V, TV, mode 0, neither IR nor IW,
 * and the devtab debugfs file says so.
 */
static void amdvi_edu_blocked(struct kunit *test)
{
	struct iox_amdvi_unit *amdvi = get_unit(test);
	struct pci_dev *edu = pci_get_device(EDU_VENDOR, EDU_DEVICE, NULL);
	char *buf = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);
	char name[32], line[32];
	const u64 *dte;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_NOT_NULL(test, edu);
	KUNIT_ASSERT_LT(test, pci_dev_id(edu), amdvi->nr_devids);
	KUNIT_EXPECT_NULL(test, edu->dev.driver);
	KUNIT_EXPECT_TRUE(test, iox_device_blocked(&edu->dev));
	dte = amdvi->devtab + pci_dev_id(edu) * 4;
	KUNIT_EXPECT_EQ(test, dte[0], AMDVI_DTE_V | AMDVI_DTE_TV);
	KUNIT_EXPECT_EQ(test, dte[1] & AMDVI_DTE_DOMID, AMDVI_PT_DOMID);
	/* A device id no IVHD entry names stays invalid (V clear). */
	KUNIT_EXPECT_EQ(test, amdvi->devtab[(pci_dev_id(edu) - 1) * 4], 0);
	snprintf(name, sizeof(name), "iox/%s/devtab", amdvi->unit.name);
	snprintf(line, sizeof(line), "%02x:%02x.%u blocked\n", edu->bus->number,
		 PCI_SLOT(edu->devfn), PCI_FUNC(edu->devfn));
	KUNIT_EXPECT_GT(test, iox_test_debugfs_read(test, name, buf, PAGE_SIZE), 0);
	KUNIT_EXPECT_NOT_NULL(test, strstr(buf, line));
	pci_dev_put(edu);
}

/*
 * A batch completes: its COMPLETION_WAIT stored the batch's number, and
 * hardware fetched everything (head caught up with the tail).
 */
static void amdvi_command_buffer_completes(struct kunit *test)
{
	struct iox_amdvi_unit *amdvi = get_unit(test);
	u64 waits = amdvi->cmd.nr_waits;
	int i;

	for (i = 0; i < 300; i++)	/* more than the ring holds: it wraps */
		KUNIT_ASSERT_EQ(test, iox_amdvi_cmd_submit(amdvi, NULL, 0), 0);
	KUNIT_EXPECT_EQ(test, amdvi->cmd.nr_waits, waits + 300);
	KUNIT_EXPECT_EQ(test, READ_ONCE(*amdvi->cmd.sem), amdvi->cmd.seq);
	KUNIT_EXPECT_EQ(test, readq(amdvi->mmio + AMDVI_CMDBUF_HEAD_REG) & AMDVI_RING_PTR,
			amdvi->cmd.tail);
	KUNIT_EXPECT_EQ(test, iox_amdvi_cmd_submit(amdvi, NULL, 255), -EINVAL);
	KUNIT_EXPECT_EQ(test, amdvi->cmd.nr_timeouts, 0);
}

static bool amdvi_on(void __iomem *regs)
{
	return readq(regs + AMDVI_CONTROL_REG) & AMDVI_CONTROL_IOMMU_EN;
}

/*
 * Every allocation of the units' bring-up (the unit, its MMIO mapping,
 * device ranges, device table, command buffer and its semaphore, event
 * log) failed in turn (bringup_sweep.h).
 */
static phys_addr_t amdvi_regs_phys(struct iox_unit *unit)
{
	return to_amdvi_unit(unit)->mmio_phys;
}

static void amdvi_fail_nth_bringup(struct kunit *test)
{
	struct bringup_sweep b = {
		.backend = &iox_amdvi_backend, .unit = "ivhd0",
		.regs_phys = amdvi_regs_phys, .regs_size = AMDVI_MMIO_SIZE,
		.hw_on = amdvi_on, .expected = expected, .min_sites = 6,
	};

	bringup_sweep_case(test, &b);
}

/* The domain id of edu's device table entry, or -ENOENT, -EOPNOTSUPP. */
static int t_edu_dte_domid(struct iox_unit *unit, struct pci_dev *edu)
{
	return iox_amdvi_dte_domain_id(to_amdvi_unit(unit), pci_dev_id(edu));
}

/* A driver binding to edu while ivhd0 comes up (bind_bringup.h). */
static void amdvi_bind_during_bringup(struct kunit *test)
{
	static const struct bind_bringup b = {
		.backend = &iox_amdvi_backend, .unit = "ivhd0", .entry = t_edu_dte_domid,
	};

	get_unit(test);
	iox_unit_put(test->priv);
	test->priv = NULL;
	bind_bringup_case(test, &b);
}

static struct kunit_case amdvi_bringup_fail_nth_cases[] = {
	KUNIT_CASE(amdvi_fail_nth_bringup),
	{}
};

/* Without the other suites' references: nothing may hold a unit. */
static struct kunit_suite amdvi_bringup_fail_nth_suite = {
	.name = "iox-hw-amdvi-fail-nth-bringup",
	.test_cases = amdvi_bringup_fail_nth_cases,
};

static struct kunit_case iox_amdvi_hw_cases[] = {
	KUNIT_CASE(amdvi_unit_from_ivrs),
	KUNIT_CASE(amdvi_debugfs_kernel_read),
	KUNIT_CASE(amdvi_caps_match_hardware),
	KUNIT_CASE(amdvi_devices_cover_edu),
	KUNIT_CASE(amdvi_unit_brought_up),
	KUNIT_CASE(amdvi_edu_blocked),
	KUNIT_CASE(amdvi_command_buffer_completes),
	KUNIT_CASE(amdvi_bind_during_bringup),
	{}
};

static struct kunit_suite iox_amdvi_hw_suite = {
	.name = "iox-hw-amdvi",
	.exit = amdvi_hw_exit,
	.test_cases = iox_amdvi_hw_cases,
};

/*
 * Event log entries as the specification lays them out (QEMU never writes
 * any): device id in bits 15:0, domain id 47:32, flags 59:48, code 63:60,
 * the address in the second quadword.
 */
static void amdvi_event_decode_page_fault(struct kunit *test)
{
	const u64 entry[2] = {
		(0x2ULL << 60) | ((u64)(AMDVI_EVT_FLAG_RW | AMDVI_EVT_FLAG_PR) << 48) |
		(0x2aULL << 32) | 0x0080,
		0xdead000,
	};
	struct iox_amdvi_event evt;

	iox_amdvi_event_decode(entry, &evt);
	KUNIT_EXPECT_EQ(test, evt.code, AMDVI_EVT_IO_PAGE_FAULT);
	KUNIT_EXPECT_EQ(test, evt.devid, 0x0080);
	KUNIT_EXPECT_EQ(test, evt.domid, 0x2a);
	KUNIT_EXPECT_EQ(test, evt.flags, AMDVI_EVT_FLAG_RW | AMDVI_EVT_FLAG_PR);
	KUNIT_EXPECT_EQ(test, evt.addr, 0xdead000);
	KUNIT_EXPECT_STREQ(test, iox_amdvi_event_name(evt.code), "IO_PAGE_FAULT");
}

static void amdvi_event_decode_illegal_dte(struct kunit *test)
{
	const u64 entry[2] = { (0x1ULL << 60) | ((u64)AMDVI_EVT_FLAG_TR << 48) | 0xfffe, 0x1000 };
	struct iox_amdvi_event evt;

	iox_amdvi_event_decode(entry, &evt);
	KUNIT_EXPECT_EQ(test, evt.code, AMDVI_EVT_ILLEGAL_DEV_TABLE_ENTRY);
	KUNIT_EXPECT_EQ(test, evt.devid, 0xfffe);
	KUNIT_EXPECT_EQ(test, evt.flags, AMDVI_EVT_FLAG_TR);
	KUNIT_EXPECT_EQ(test, evt.addr, 0x1000);
	KUNIT_EXPECT_STREQ(test, iox_amdvi_event_name(evt.code), "ILLEGAL_DEV_TABLE_ENTRY");
}

static void amdvi_event_names(struct kunit *test)
{
	KUNIT_EXPECT_STREQ(test, iox_amdvi_event_name(AMDVI_EVT_ILLEGAL_COMMAND),
			   "ILLEGAL_COMMAND_ERROR");
	KUNIT_EXPECT_STREQ(test, iox_amdvi_event_name(AMDVI_EVT_IOTLB_INV_TIMEOUT),
			   "IOTLB_INV_TIMEOUT");
	KUNIT_EXPECT_STREQ(test, iox_amdvi_event_name(0), "UNKNOWN");
	KUNIT_EXPECT_STREQ(test, iox_amdvi_event_name(0xf), "UNKNOWN");
}

static struct kunit_case iox_amdvi_event_cases[] = {
	KUNIT_CASE(amdvi_event_decode_page_fault),
	KUNIT_CASE(amdvi_event_decode_illegal_dte),
	KUNIT_CASE(amdvi_event_names),
	{}
};

static struct kunit_suite iox_amdvi_event_suite = {
	.name = "iox-hw-amdvi-event-decode",
	.test_cases = iox_amdvi_event_cases,
};

/*
 * IVHD alias entries: the device's own range carries the requester id its
 * DMA arrives under, which is a range of its own; a device the alias
 * names is not aliased itself, nor is a device of a plain range.
 */
static void amdvi_ivrs_aliases(struct kunit *test)
{
	static const u8 entries[] = {
		0x02, 0x08, 0x00, 0x00,				/* select 00:01.0 */
		0x42, 0x28, 0x00, 0x00, 0x00, 0xa4, 0x00, 0x00,	/* 00:05.0 as 00:14.4 */
		0x43, 0x00, 0x01, 0x00, 0x00, 0x10, 0x00, 0x00,	/* 01:00.0... as 00:02.0 */
		0x04, 0x07, 0x01, 0x00,				/* ...to 01:00.7 */
		0x03, 0x00, 0x02, 0x00,				/* 02:00.0... */
		0x04, 0xff, 0x02, 0x00,				/* ...to 02:1f.7 */
	};
	struct iox_amdvi_unit *fake = kunit_kzalloc(test, sizeof(*fake), GFP_KERNEL);
	struct acpi_ivrs_hardware_10 *ivhd;
	u16 alias = 0;

	KUNIT_ASSERT_NOT_NULL(test, fake);
	ivhd = kunit_kzalloc(test, sizeof(*ivhd) + sizeof(entries), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, ivhd);
	ivhd->header.type = ACPI_IVRS_TYPE_HARDWARE1;
	ivhd->header.length = sizeof(*ivhd) + sizeof(entries);
	memcpy(ivhd + 1, entries, sizeof(entries));
	KUNIT_ASSERT_EQ(test, iox_ivrs_parse_devices(ivhd, &fake->ranges, &fake->nr_ranges), 0);
	KUNIT_EXPECT_EQ(test, fake->nr_ranges, 6U);

	KUNIT_EXPECT_TRUE(test, iox_amdvi_dma_alias(fake, 0x0028, &alias));
	KUNIT_EXPECT_EQ(test, alias, 0x00a4);
	KUNIT_EXPECT_TRUE(test, iox_amdvi_dma_alias(fake, 0x0103, &alias));
	KUNIT_EXPECT_EQ(test, alias, 0x0010);
	KUNIT_EXPECT_FALSE(test, iox_amdvi_dma_alias(fake, 0x00a4, &alias));
	KUNIT_EXPECT_FALSE(test, iox_amdvi_dma_alias(fake, 0x0010, &alias));
	KUNIT_EXPECT_FALSE(test, iox_amdvi_dma_alias(fake, 0x0008, &alias));
	KUNIT_EXPECT_FALSE(test, iox_amdvi_dma_alias(fake, 0x0205, &alias));
	/* The aliases are served too, the range after the alias range plainly. */
	fake->segment = 0;
	KUNIT_EXPECT_TRUE(test, iox_amdvi_serves(fake, 0, 0x00a4));
	KUNIT_EXPECT_TRUE(test, iox_amdvi_serves(fake, 0, 0x0010));
	KUNIT_EXPECT_TRUE(test, iox_amdvi_serves(fake, 0, 0x0107));
	KUNIT_EXPECT_FALSE(test, iox_amdvi_serves(fake, 0, 0x0108));
	kfree(fake->ranges);
}

/* What the probe makes of firmware and hardware, without a unit. */
static struct kunit_case iox_amdvi_probe_cases[] = {
	KUNIT_CASE(amdvi_np_cache_assumed_without_function),
	KUNIT_CASE(amdvi_ivrs_aliases),
	{}
};

static struct kunit_suite iox_amdvi_probe_suite = {
	.name = "iox-hw-amdvi-probe",
	.test_cases = iox_amdvi_probe_cases,
};

kunit_test_suites(&iox_amdvi_hw_suite, &iox_amdvi_event_suite, &iox_amdvi_probe_suite,
		  &amdvi_bringup_fail_nth_suite);

MODULE_DESCRIPTION("KUnit tests of iox AMD-Vi discovery, bring-up and events");
MODULE_IMPORT_NS(IOX_TEST);
MODULE_LICENSE("GPL");
