// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests of VT-d discovery against the (emulated) hardware.
 *
 * Run on QEMU q35 with -device intel-iommu,intremap=off,aw-bits=48 and
 * -device edu,addr=0x10 (tools/testing/iox/qemu_configs/vtd.py), which
 * boots with vtd_hw_kunit.expected=1: then a missing unit is a failure.
 * Elsewhere the hardware cases are skipped.
 */
#include <kunit/test.h>
#include <linux/acpi.h>
#include <linux/hrtimer.h>
#include <linux/io.h>
#include <linux/iommu.h>
#include <linux/moduleparam.h>
#include <linux/pci.h>
#include <linux/sizes.h>

#include "../intel/vtd.h"
#include "debugfs_read.h"

static bool expected;
module_param(expected, bool, 0444);
MODULE_PARM_DESC(expected, "the machine has an emulated VT-d unit");

#define QEMU_VTD_BASE	0xfed90000ULL
#define EDU_VENDOR	0x1234
#define EDU_DEVICE	0x11e8

#include "bind_bringup.h"

/* dmar0, referenced until the test ends (vtd_hw_exit()). */
static struct iox_vtd_unit *get_unit(struct kunit *test)
{
	struct iox_unit *unit = iox_unit_find("dmar0");

	if (!unit) {
		if (expected)
			KUNIT_ASSERT_FAILURE(test, "no VT-d unit was discovered");
		kunit_skip(test, "no VT-d hardware on this machine");
	}
	test->priv = unit;
	return to_vtd_unit(unit);
}

static void vtd_hw_exit(struct kunit *test)
{
	if (test->priv)
		iox_unit_put(test->priv);
}

static int list_unit(struct iox_unit *unit, void *data)
{
	struct iox_unit **found = data;

	if (strcmp(unit->name, "dmar0"))
		return 0;
	*found = unit;
	return 1;
}

/*
 * The unit API: listing finds dmar0, with the address widths the
 * registers and the DMAR table give; a lookup by name or by device returns
 * the same unit, referenced.
 */
static void vtd_unit_api(struct kunit *test)
{
	struct iox_vtd_unit *vtd = get_unit(test);
	struct pci_dev *edu = pci_get_device(EDU_VENDOR, EDU_DEVICE, NULL);
	struct iox_unit *listed = NULL, *unit;

	KUNIT_ASSERT_NOT_NULL_MSG(test, edu, "no edu device on this machine");
	KUNIT_EXPECT_EQ(test, iox_walk_units(list_unit, &listed), 1);
	KUNIT_EXPECT_PTR_EQ(test, listed, &vtd->unit);
	KUNIT_EXPECT_EQ(test, vtd->unit.ias, ((readq(vtd->regs + VTD_CAP_REG) >> 16) & 0x3f) + 1);
	/* QEMU declares a host address width of aw-bits (48). */
	KUNIT_EXPECT_EQ(test, vtd->unit.oas, 48);
	unit = iox_unit_for_device(&edu->dev);
	KUNIT_EXPECT_PTR_EQ(test, unit, &vtd->unit);
	if (unit)
		iox_unit_put(unit);
	KUNIT_EXPECT_NULL(test, iox_unit_find("dmar-none"));
	pci_dev_put(edu);
}

/*
 * The unit's debugfs files can be read from the kernel (kernel_read()
 * needs read_iter) and show what the unit does.
 */
static void vtd_debugfs_kernel_read(struct kunit *test)
{
	struct iox_vtd_unit *vtd = get_unit(test);
	char *buf = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);
	char want[32];

	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_EXPECT_GT(test, iox_test_debugfs_read(test, "iox/dmar0/inval", buf, PAGE_SIZE), 0);
	snprintf(want, sizeof(want), "queued: %d\n", vtd->use_qi);
	KUNIT_EXPECT_NOT_NULL(test, strstr(buf, want));
	KUNIT_EXPECT_NOT_NULL(test, strstr(buf, "iotlb_global: "));
	KUNIT_EXPECT_GT(test, iox_test_debugfs_read(test, "iox/dmar0/faults", buf, PAGE_SIZE), 0);
	/* Empty when every device is blocked (no driver bound at bring-up). */
	KUNIT_EXPECT_GE(test, iox_test_debugfs_read(test, "iox/dmar0/context", buf, PAGE_SIZE),
			0);
	KUNIT_EXPECT_GT(test, iox_test_debugfs_read(test, "iox/dmar0/devices", buf, PAGE_SIZE),
			0);
	KUNIT_EXPECT_GT(test, iox_test_debugfs_read(test, "iox/dmar0/caps", buf, PAGE_SIZE), 0);
}

/*
 * edu has no driver and no domain: it is blocked, with no context entry,
 * and listed as blocked in the unit's debugfs "devices" file.
 */
static void vtd_edu_blocked(struct kunit *test)
{
	struct pci_dev *edu = pci_get_device(EDU_VENDOR, EDU_DEVICE, NULL);
	char *buf = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);
	char line[32];

	get_unit(test);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	KUNIT_ASSERT_NOT_NULL_MSG(test, edu, "no edu device on this machine");
	KUNIT_EXPECT_NULL(test, edu->dev.driver);
	KUNIT_EXPECT_NULL(test, iox_device_domain(&edu->dev));
	KUNIT_EXPECT_TRUE(test, iox_device_blocked(&edu->dev));
	snprintf(line, sizeof(line), "%s blocked\n", pci_name(edu));
	KUNIT_EXPECT_GT(test, iox_test_debugfs_read(test, "iox/dmar0/devices", buf, PAGE_SIZE), 0);
	KUNIT_EXPECT_NOT_NULL(test, strstr(buf, line));
	snprintf(line, sizeof(line), "%02x:%02x.%u ", edu->bus->number, PCI_SLOT(edu->devfn),
		 PCI_FUNC(edu->devfn));
	memset(buf, 0, PAGE_SIZE);
	KUNIT_EXPECT_GE(test, iox_test_debugfs_read(test, "iox/dmar0/context", buf, PAGE_SIZE), 0);
	KUNIT_EXPECT_NULL(test, strstr(buf, line));
	pci_dev_put(edu);
}

/* The domain id of edu's context entry, or -ENOENT, -EOPNOTSUPP. */
static int t_edu_context(struct iox_unit *unit, struct pci_dev *edu)
{
	return iox_vtd_context_domain_id(to_vtd_unit(unit), edu->bus->number, edu->devfn);
}

/* A driver binding to edu while dmar0 comes up (bind_bringup.h). */
static void vtd_bind_during_bringup(struct kunit *test)
{
	static const struct bind_bringup b = {
		.backend = &iox_vtd_backend, .unit = "dmar0", .entry = t_edu_context,
	};

	get_unit(test);
	iox_unit_put(test->priv);
	test->priv = NULL;
	bind_bringup_case(test, &b);
}

/* The unit sits where the DMAR table's first DRHD says. */
struct first_drhd {
	struct iox_dmar_walk walk;
	u64 base;
};

static int first_drhd_base(struct iox_dmar_walk *walk,
			   const struct acpi_dmar_hardware_unit *drhd)
{
	container_of(walk, struct first_drhd, walk)->base = drhd->address;
	return 1;
}

static void vtd_unit_from_dmar(struct kunit *test)
{
	struct iox_vtd_unit *vtd = get_unit(test);
	struct first_drhd first = { .walk.drhd = first_drhd_base };
	u64 base;

	KUNIT_ASSERT_EQ(test, iox_dmar_walk_drhds(&first.walk), 1);
	base = first.base;
	KUNIT_EXPECT_EQ(test, base, QEMU_VTD_BASE);
	KUNIT_EXPECT_EQ(test, vtd->reg_phys, base);
	KUNIT_EXPECT_FALSE(test, vtd->include_all);
	KUNIT_EXPECT_EQ(test, vtd->segment, 0);
	/* QEMU declares a host address width of aw-bits (48). */
	KUNIT_EXPECT_EQ(test, first.walk.haw, 48);
	KUNIT_EXPECT_EQ(test, vtd->haw, 48);
}

/* Bits @hi..@lo of @v, extracted here independently of vtd.h's masks. */
static u64 bits(u64 v, unsigned int hi, unsigned int lo)
{
	return (v >> lo) & ((2ULL << (hi - lo)) - 1);
}

/*
 * The decoded capabilities against the registers the unit reports, taken
 * apart here by the field positions of the VT-d specification (11.4.2,
 * 11.4.3); the machine's configuration (aw-bits=48, intremap=off) fixes
 * what some of them must be.
 */
static void vtd_caps_match_hardware(struct kunit *test)
{
	struct iox_vtd_unit *vtd = get_unit(test);
	const struct iox_vtd_caps *c = &vtd->caps;
	u64 cap = readq(vtd->regs + VTD_CAP_REG), ecap = readq(vtd->regs + VTD_ECAP_REG);
	unsigned long pgsizes = SZ_4K;

	KUNIT_EXPECT_EQ(test, c->nr_domains, 1U << (4 + 2 * bits(cap, 2, 0)));
	KUNIT_EXPECT_EQ(test, c->sagaw, bits(cap, 12, 8));
	KUNIT_EXPECT_EQ(test, c->mgaw, bits(cap, 21, 16) + 1);
	KUNIT_EXPECT_EQ(test, c->sllps, bits(cap, 37, 34));
	KUNIT_EXPECT_EQ(test, c->psi, bits(cap, 39, 39));
	KUNIT_EXPECT_EQ(test, c->mamv, bits(cap, 53, 48));
	KUNIT_EXPECT_EQ(test, c->nr_fault_regs, bits(cap, 47, 40) + 1);
	KUNIT_EXPECT_EQ(test, c->fault_reg_offset, bits(cap, 33, 24) * 16);
	KUNIT_EXPECT_EQ(test, c->caching_mode, bits(cap, 7, 7));
	KUNIT_EXPECT_EQ(test, c->rwbf, bits(cap, 4, 4));
	KUNIT_EXPECT_EQ(test, c->iotlb_reg_offset, bits(ecap, 17, 8) * 16);
	KUNIT_EXPECT_EQ(test, c->coherent, bits(ecap, 0, 0));
	KUNIT_EXPECT_EQ(test, c->qi, bits(ecap, 1, 1));
	KUNIT_EXPECT_EQ(test, c->ir, bits(ecap, 3, 3));
	KUNIT_EXPECT_EQ(test, c->pass_through, bits(ecap, 6, 6));

	/* aw-bits=48: a 48-bit guest address width and 4-level tables. */
	KUNIT_EXPECT_EQ(test, c->mgaw, 48);
	KUNIT_EXPECT_TRUE(test, c->sagaw & VTD_SAGAW_48);
	KUNIT_EXPECT_EQ(test, vtd->unit.ias, 48);
	/* intremap=off: no interrupt remapping. */
	KUNIT_EXPECT_FALSE(test, c->ir);
	/* The unit maps the page sizes SLLPS names. */
	if (bits(cap, 34, 34))
		pgsizes |= SZ_2M;
	if (bits(cap, 35, 35))
		pgsizes |= SZ_1G;
	KUNIT_EXPECT_EQ(test, vtd->unit.pgsize_bitmap, pgsizes);
	/* The fault recording registers lie inside the register page. */
	KUNIT_EXPECT_LE(test, c->fault_reg_offset + 16 * c->nr_fault_regs, VTD_REG_SIZE);
	KUNIT_EXPECT_LE(test, c->iotlb_reg_offset + 16, VTD_REG_SIZE);
}

static void vtd_scope_serves_edu(struct kunit *test)
{
	struct iox_vtd_unit *vtd = get_unit(test);
	struct pci_dev *edu = pci_get_device(EDU_VENDOR, EDU_DEVICE, NULL);

	KUNIT_ASSERT_NOT_NULL_MSG(test, edu, "no edu device on this machine");
	KUNIT_EXPECT_EQ(test, edu->devfn, PCI_DEVFN(0x10, 0));
	KUNIT_EXPECT_TRUE(test, iox_vtd_serves(vtd, edu));
	KUNIT_EXPECT_TRUE(test, iox_vtd_scope_names(vtd, ACPI_DMAR_SCOPE_TYPE_ENDPOINT,
						    0, edu->devfn));
	/* Not as a bridge; nothing at 00:1e.7 or on another bus. */
	KUNIT_EXPECT_FALSE(test, iox_vtd_scope_names(vtd, ACPI_DMAR_SCOPE_TYPE_BRIDGE,
						     0, edu->devfn));
	KUNIT_EXPECT_FALSE(test, iox_vtd_scope_names(vtd, ACPI_DMAR_SCOPE_TYPE_ENDPOINT,
						     0, PCI_DEVFN(0x1e, 7)));
	KUNIT_EXPECT_FALSE(test, iox_vtd_scope_names(vtd, ACPI_DMAR_SCOPE_TYPE_ENDPOINT,
						     1, edu->devfn));
	pci_dev_put(edu);
}

/*
 * Units as a DMAR table with two units on segment 0 could describe them:
 * one naming edu, then an INCLUDE_PCI_ALL one for the rest; and an
 * INCLUDE_PCI_ALL unit alone on segment 1.
 */
static void vtd_include_all_defers_to_scopes(struct kunit *test)
{
	struct pci_dev *edu = pci_get_device(EDU_VENDOR, EDU_DEVICE, NULL);
	struct pci_dev *host = pci_get_domain_bus_and_slot(0, 0, PCI_DEVFN(0, 0));
	struct iox_vtd_scope *edu_scope;
	struct iox_vtd_unit *named, *all, *all1;
	LIST_HEAD(units);

	KUNIT_ASSERT_NOT_NULL_MSG(test, edu, "no edu device on this machine");
	KUNIT_ASSERT_NOT_NULL_MSG(test, host, "no host bridge at 00:00.0");
	named = kunit_kzalloc(test, sizeof(*named), GFP_KERNEL);
	all = kunit_kzalloc(test, sizeof(*all), GFP_KERNEL);
	all1 = kunit_kzalloc(test, sizeof(*all1), GFP_KERNEL);
	edu_scope = kunit_kzalloc(test, sizeof(*edu_scope), GFP_KERNEL);
	KUNIT_ASSERT_TRUE(test, named && all && all1 && edu_scope);
	edu_scope->type = ACPI_DMAR_SCOPE_TYPE_ENDPOINT;
	edu_scope->bus = edu->bus->number;
	edu_scope->devfn = edu->devfn;
	named->segment = pci_domain_nr(edu->bus);
	named->scopes = edu_scope;
	named->nr_scopes = 1;
	all->include_all = true;
	all->segment = named->segment;
	all1->include_all = true;
	all1->segment = named->segment + 1;
	list_add_tail(&named->list, &units);
	list_add_tail(&all->list, &units);
	list_add_tail(&all1->list, &units);

	KUNIT_EXPECT_TRUE(test, iox_vtd_serves_among(&units, named, edu));
	KUNIT_EXPECT_FALSE(test, iox_vtd_serves_among(&units, named, host));
	/* The INCLUDE_PCI_ALL unit leaves edu to the unit that names it... */
	KUNIT_EXPECT_FALSE(test, iox_vtd_serves_among(&units, all, edu));
	/* ...and takes the rest of its segment, but nothing of another one. */
	KUNIT_EXPECT_TRUE(test, iox_vtd_serves_among(&units, all, host));
	KUNIT_EXPECT_FALSE(test, iox_vtd_serves_among(&units, all1, edu));
	KUNIT_EXPECT_FALSE(test, iox_vtd_serves_among(&units, all1, host));
	pci_dev_put(host);
	pci_dev_put(edu);
}

static void vtd_unit_enabled(struct kunit *test)
{
	struct iox_vtd_unit *vtd = get_unit(test);

	/* Translation and queued invalidation on; interrupt remapping left off. */
	KUNIT_EXPECT_EQ(test, readl(vtd->regs + VTD_GSTS_REG) & VTD_GSTS_OWNED,
			VTD_GSTS_TES | VTD_GSTS_QIES);
	KUNIT_EXPECT_TRUE(test, vtd->enabled);
	KUNIT_EXPECT_TRUE(test, vtd->use_qi);
}

/* The register values QEMU 7.2 reports with intremap on and 39-bit width. */
static void vtd_decode_known_registers(struct kunit *test)
{
	struct iox_vtd_caps c;

	iox_vtd_decode_caps(0x10, 0x00d2008c22260206ULL, 0xf00f4aULL, &c);
	KUNIT_EXPECT_EQ(test, c.nr_domains, 65536);
	KUNIT_EXPECT_EQ(test, c.sagaw, VTD_SAGAW_39);
	KUNIT_EXPECT_EQ(test, c.mgaw, 39);
	KUNIT_EXPECT_EQ(test, c.sllps, VTD_SLLPS_2M | VTD_SLLPS_1G);
	KUNIT_EXPECT_TRUE(test, c.psi);
	KUNIT_EXPECT_EQ(test, c.mamv, 18);
	KUNIT_EXPECT_EQ(test, c.fault_reg_offset, 0x220);
	KUNIT_EXPECT_EQ(test, c.nr_fault_regs, 1);
	KUNIT_EXPECT_TRUE(test, c.qi);
	KUNIT_EXPECT_TRUE(test, c.ir);
	KUNIT_EXPECT_TRUE(test, c.pass_through);
	KUNIT_EXPECT_FALSE(test, c.coherent);
	KUNIT_EXPECT_EQ(test, c.iotlb_reg_offset, 0xf0);
	/* Caching mode and write-buffer flushing, each alone. */
	iox_vtd_decode_caps(0x10, BIT_ULL(7), 0, &c);
	KUNIT_EXPECT_TRUE(test, c.caching_mode);
	KUNIT_EXPECT_FALSE(test, c.rwbf);
	iox_vtd_decode_caps(0x10, BIT_ULL(4), 0, &c);
	KUNIT_EXPECT_FALSE(test, c.caching_mode);
	KUNIT_EXPECT_TRUE(test, c.rwbf);
}

/*
 * Registers that read all-ones (no unit decodes the address) and a unit
 * another driver enabled are refused; only reads happen.  Ordinary memory
 * stands in for the register page.
 */
static void vtd_check_regs_refuses(struct kunit *test)
{
	u8 *page = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);
	void __iomem *regs = (void __force __iomem *)page;

	KUNIT_ASSERT_NOT_NULL(test, page);
	memset(page, 0xff, PAGE_SIZE);
	KUNIT_EXPECT_EQ(test, iox_vtd_check_regs("test", 0, regs), -ENODEV);
	memset(page, 0, PAGE_SIZE);
	*(u64 *)(page + VTD_CAP_REG) = 0x00d2008c22260206ULL;
	KUNIT_EXPECT_EQ(test, iox_vtd_check_regs("test", 0, regs), 0);
	*(u32 *)(page + VTD_GSTS_REG) = VTD_GSTS_IRES;
	KUNIT_EXPECT_EQ(test, iox_vtd_check_regs("test", 0, regs), -EBUSY);
	*(u32 *)(page + VTD_GSTS_REG) = VTD_GSTS_TES;
	KUNIT_EXPECT_EQ(test, iox_vtd_check_regs("test", 0, regs), -EBUSY);
	*(u32 *)(page + VTD_GSTS_REG) = VTD_GSTS_QIES;
	KUNIT_EXPECT_EQ(test, iox_vtd_check_regs("test", 0, regs), -EBUSY);
	/* Nothing was written. */
	KUNIT_EXPECT_EQ(test, *(u32 *)(page + VTD_GSTS_REG), VTD_GSTS_QIES);
	KUNIT_EXPECT_EQ(test, *(u32 *)(page + VTD_GCMD_REG), 0);
}

/* A unit whose registers are a page of memory, zeroed. */
static struct iox_vtd_unit *fake_unit(struct kunit *test)
{
	u8 *page = kunit_kzalloc(test, PAGE_SIZE, GFP_KERNEL);
	struct iox_vtd_unit *vtd = kunit_kzalloc(test, sizeof(*vtd), GFP_KERNEL);

	KUNIT_ASSERT_TRUE(test, page && vtd);
	vtd->regs = (void __force __iomem *)page;
	raw_spin_lock_init(&vtd->reg_lock);
	strscpy(vtd->unit.name, "fake", sizeof(vtd->unit.name));
	return vtd;
}

/* The fake unit's register page. */
static u8 *fake_regs(struct iox_vtd_unit *vtd)
{
	return (u8 __force *)vtd->regs;
}

/*
 * A fake unit with queued invalidation on: the enable command "completes"
 * because its status bit reads set, and a batch completes only when the
 * test writes its wait's status.
 */
static struct iox_vtd_unit *fake_qi_unit(struct kunit *test, u64 timeout_ns)
{
	struct iox_vtd_unit *vtd = fake_unit(test);

	*(u32 *)(fake_regs(vtd) + VTD_GSTS_REG) = VTD_GSTS_QIES;
	KUNIT_ASSERT_EQ(test, iox_vtd_qi_enable(vtd), 0);
	vtd->qi.timeout_ns = timeout_ns;
	return vtd;
}

/* The fake queue drains, then turns off: it is freed. */
static void fake_qi_unit_free(struct kunit *test, struct iox_vtd_unit *vtd)
{
	*(u64 *)(fake_regs(vtd) + VTD_IQH_REG) = (u64)vtd->qi.tail << VTD_IQ_SHIFT;
	*(u32 *)(fake_regs(vtd) + VTD_GSTS_REG) = 0;
	iox_vtd_qi_free(vtd);
	KUNIT_EXPECT_NULL(test, vtd->qi.ring);
}

/*
 * A queue whose hardware stopped fetching (ordinary memory stands in for
 * the registers, so no wait ever completes): each batch times out and
 * stays queued; a batch that does not fit in front of the descriptors
 * hardware has not fetched is refused without overwriting them; once
 * hardware has moved on, the same batch goes in.
 */
static void vtd_qi_timeout_keeps_unfetched(struct kunit *test)
{
	struct iox_vtd_unit *vtd = fake_qi_unit(test, 5 * NSEC_PER_MSEC);
	struct iox_vtd_desc *descs, queued[4];
	unsigned int i;

	descs = kunit_kcalloc(test, VTD_QI_MAX_BATCH, sizeof(*descs), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, descs);
	for (i = 0; i < VTD_QI_MAX_BATCH; i++)	/* domain-selective IOTLB, did i */
		descs[i].lo = 2 | (2 << 4) | ((u64)i << 16);

	KUNIT_EXPECT_EQ(test, iox_vtd_qi_submit(vtd, descs, 1), -ETIMEDOUT);
	KUNIT_EXPECT_EQ(test, iox_vtd_qi_submit(vtd, descs + 1, 1), -ETIMEDOUT);
	KUNIT_EXPECT_EQ(test, vtd->qi.nr_timeouts, 2);
	KUNIT_EXPECT_EQ(test, vtd->qi.tail, 4);
	memcpy(queued, vtd->qi.ring, sizeof(queued));
	/* Head 0, tail 4: 251 free slots, the batch needs 254. */
	KUNIT_EXPECT_EQ(test, iox_vtd_qi_submit(vtd, descs, VTD_QI_MAX_BATCH), -ETIMEDOUT);
	KUNIT_EXPECT_EQ_MSG(test, memcmp(queued, vtd->qi.ring, sizeof(queued)), 0,
			    "unfetched descriptors were overwritten");
	KUNIT_EXPECT_EQ(test, vtd->qi.tail, 4);
	KUNIT_EXPECT_EQ(test, vtd->qi.nr_timeouts, 2);

	/* Hardware fetched both batches and completes the next one at once. */
	*(u64 *)(fake_regs(vtd) + VTD_IQH_REG) = 4 << VTD_IQ_SHIFT;
	WRITE_ONCE(vtd->qi.status[0], vtd->qi.seq + 1);
	KUNIT_EXPECT_EQ(test, iox_vtd_qi_submit(vtd, descs, VTD_QI_MAX_BATCH), 0);
	KUNIT_EXPECT_EQ(test, vtd->qi.tail, (4 + VTD_QI_MAX_BATCH + 1) % VTD_QI_ENTRIES);
	KUNIT_EXPECT_EQ(test, vtd->qi.ring[4].lo, descs[0].lo);
	fake_qi_unit_free(test, vtd);
}

/*
 * Turning the queue off waits for hardware to fetch what is queued: with a
 * timed-out batch still unfetched, or a unit that keeps the queue on, the
 * ring and the wait status stay allocated (hardware may still use them),
 * and a later call frees them once the queue drained and went off.
 */
static void vtd_qi_free_keeps_busy_queue(struct kunit *test)
{
	struct iox_vtd_unit *vtd = fake_qi_unit(test, 5 * NSEC_PER_MSEC);
	struct iox_vtd_desc desc = { .lo = 2 | (1 << 4) };	/* global IOTLB */

	KUNIT_EXPECT_EQ(test, iox_vtd_qi_submit(vtd, &desc, 1), -ETIMEDOUT);

	/* Nothing fetched: kept. */
	iox_vtd_qi_free(vtd);
	KUNIT_EXPECT_NOT_NULL(test, vtd->qi.ring);
	KUNIT_EXPECT_NOT_NULL(test, vtd->qi.status);
	/* Fetched, but the unit keeps QIES set: kept. */
	*(u64 *)(fake_regs(vtd) + VTD_IQH_REG) = (u64)vtd->qi.tail << VTD_IQ_SHIFT;
	iox_vtd_qi_free(vtd);
	KUNIT_EXPECT_NOT_NULL(test, vtd->qi.ring);
	/* Off at last: freed. */
	fake_qi_unit_free(test, vtd);
	KUNIT_EXPECT_NULL(test, vtd->qi.status);
}

/* Completes the fake queue's batch in flight, from a timer interrupt. */
struct qi_completer {
	struct hrtimer timer;
	struct iox_vtd_qi *qi;
	bool fired;
};

static enum hrtimer_restart qi_complete_from_irq(struct hrtimer *timer)
{
	struct qi_completer *c = container_of(timer, struct qi_completer, timer);

	u32 seq = READ_ONCE(c->qi->seq);

	/* Not submitted yet (the first batch is number 1): try again later. */
	if (!seq) {
		hrtimer_forward_now(timer, ms_to_ktime(1));
		return HRTIMER_RESTART;
	}
	WRITE_ONCE(c->qi->status[0], seq);
	WRITE_ONCE(c->fired, true);
	return HRTIMER_NORESTART;
}

/*
 * A submitter that came with interrupts on lets them in while it waits:
 * the only thing that completes the fake queue's wait is a timer pinned
 * to the submitter's CPU, so the batch completes only if that CPU took
 * the interrupt during the wait; a wait with interrupts off throughout
 * would time out first.
 */
static void vtd_qi_waits_with_irqs_on(struct kunit *test)
{
	struct iox_vtd_unit *vtd = fake_qi_unit(test, 2 * NSEC_PER_SEC);
	struct iox_vtd_desc desc = { .lo = 2 | (1 << 4) };	/* global IOTLB */
	struct qi_completer c = {};
	int ret;

	c.qi = &vtd->qi;

	migrate_disable();
	hrtimer_init(&c.timer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_PINNED);
	c.timer.function = qi_complete_from_irq;
	hrtimer_start(&c.timer, ms_to_ktime(2), HRTIMER_MODE_REL_PINNED);
	ret = iox_vtd_qi_submit(vtd, &desc, 1);
	migrate_enable();
	hrtimer_cancel(&c.timer);

	KUNIT_EXPECT_TRUE(test, c.fired);
	KUNIT_EXPECT_EQ_MSG(test, ret, 0, "the wait kept interrupts off until it timed out");
	KUNIT_EXPECT_EQ(test, vtd->qi.nr_timeouts, 0);
	fake_qi_unit_free(test, vtd);
}

/*
 * Global commands on a fake unit (memory for registers, whose status
 * "completes" at once): a write-buffer flush writes the enables that are
 * on plus WBF, a disable writes them less the bit.  Each command's
 * read-modify-write runs under the register lock, which lockdep checks.
 */
static void vtd_gcmd_read_modify_write(struct kunit *test)
{
	struct iox_vtd_unit *vtd = fake_unit(test);
	u8 *page = fake_regs(vtd);

	*(u32 *)(page + VTD_GSTS_REG) = VTD_GSTS_TES | VTD_GSTS_QIES | VTD_GSTS_RTPS;
	/* Without CAP.RWBF nothing is written. */
	KUNIT_EXPECT_EQ(test, iox_vtd_flush_write_buffer(vtd), 0);
	KUNIT_EXPECT_EQ(test, *(u32 *)(page + VTD_GCMD_REG), 0);
	vtd->caps.rwbf = true;
	KUNIT_EXPECT_EQ(test, iox_vtd_flush_write_buffer(vtd), 0);
	/* The enables are kept, the one-shot root pointer bit is not. */
	KUNIT_EXPECT_EQ(test, *(u32 *)(page + VTD_GCMD_REG),
			VTD_GSTS_TES | VTD_GSTS_QIES | VTD_GSTS_WBFS);
	*(u32 *)(page + VTD_GSTS_REG) = VTD_GSTS_QIES;
	KUNIT_EXPECT_EQ(test, iox_vtd_gcmd_enable(vtd, VTD_GSTS_TES, false), 0);
	KUNIT_EXPECT_EQ(test, *(u32 *)(page + VTD_GCMD_REG), VTD_GSTS_QIES);
}

/* ---- RMRRs: a DMAR table crafted here (QEMU's has none) ---- */

#define T_RMRR_BASE	0x7f000000ULL
#define T_RMRR_LAST	0x7f00ffffULL

/* A DMAR table being built in a buffer. */
struct t_dmar {
	u8 buf[512];
	unsigned int len;
};

static void *t_dmar_add(struct t_dmar *t, u16 type, size_t size)
{
	struct acpi_dmar_header *h = (void *)t->buf + t->len;

	h->type = type;
	h->length = size;
	t->len += size;
	return h;
}

/* A device scope entry of @len bytes (8: one hop) naming bus:dev.fn. */
static void t_dmar_scope(struct t_dmar *t, struct acpi_dmar_header *owner, u8 len,
			 u8 bus, u8 dev, u8 fn)
{
	struct acpi_dmar_device_scope *ds = (void *)t->buf + t->len;
	struct acpi_dmar_pci_path *path = (void *)(ds + 1);

	ds->entry_type = ACPI_DMAR_SCOPE_TYPE_ENDPOINT;
	ds->length = len;
	ds->bus = bus;
	if (len >= sizeof(*ds) + sizeof(*path)) {
		path->device = dev;
		path->function = fn;
	}
	t->len += len;
	owner->length += len;
}

static struct acpi_dmar_reserved_memory *t_dmar_rmrr(struct t_dmar *t, u64 base, u64 end)
{
	struct acpi_dmar_reserved_memory *r;

	r = t_dmar_add(t, ACPI_DMAR_TYPE_RESERVED_MEMORY, sizeof(*r));
	r->base_address = base;
	r->end_address = end;
	return r;
}

static void t_dmar_start(struct t_dmar *t)
{
	struct acpi_table_dmar *dmar = (void *)t->buf;

	memset(t, 0, sizeof(*t));
	memcpy(dmar->header.signature, ACPI_SIG_DMAR, 4);
	dmar->width = 47;
	t->len = sizeof(*dmar);
}

static struct acpi_table_header *t_dmar_end(struct t_dmar *t)
{
	struct acpi_table_header *hdr = (void *)t->buf;

	hdr->length = t->len;
	return hdr;
}

/* What a walk over the crafted table found. */
struct t_rmrr_walk {
	struct iox_dmar_walk walk;
	int drhds;
	int refused;
	struct iox_vtd_rmrr *parsed[4];
	int nr_parsed;
};

static int t_count_drhd(struct iox_dmar_walk *walk, const struct acpi_dmar_hardware_unit *drhd)
{
	container_of(walk, struct t_rmrr_walk, walk)->drhds++;
	return 0;
}

static int t_parse_rmrr(struct iox_dmar_walk *walk, const struct acpi_dmar_reserved_memory *rmrr)
{
	struct t_rmrr_walk *w = container_of(walk, struct t_rmrr_walk, walk);
	struct iox_vtd_rmrr *r = NULL;
	int ret = iox_dmar_parse_rmrr(rmrr, &r);

	if (ret == -EINVAL)
		w->refused++;
	else if (!ret && w->nr_parsed < ARRAY_SIZE(w->parsed))
		w->parsed[w->nr_parsed++] = r;
	else if (!ret)
		iox_vtd_rmrr_free(r);
	return ret == -EINVAL ? 0 : ret;
}

static void t_rmrr_walk_free(struct t_rmrr_walk *w)
{
	while (w->nr_parsed)
		iox_vtd_rmrr_free(w->parsed[--w->nr_parsed]);
}

/*
 * A DMAR table with a DRHD, a good RMRR for 00:10.0 and three bad ones
 * (misaligned base, end below base, a scope entry too short to hold a
 * path): the walk visits each entry, the good region is parsed with its
 * bounds and scope, each bad one is refused with -EINVAL; an entry running
 * past the table's end fails the walk.
 */
static void vtd_dmar_rmrr_parse(struct kunit *test)
{
	struct t_dmar *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	struct t_rmrr_walk w = {
		.walk.drhd = t_count_drhd,
		.walk.rmrr = t_parse_rmrr,
	};
	struct acpi_dmar_hardware_unit *drhd;
	struct acpi_dmar_reserved_memory *r;
	struct iox_vtd_rmrr *got;

	KUNIT_ASSERT_NOT_NULL(test, t);
	t_dmar_start(t);
	drhd = t_dmar_add(t, ACPI_DMAR_TYPE_HARDWARE_UNIT, sizeof(*drhd));
	drhd->address = QEMU_VTD_BASE;
	t_dmar_scope(t, &drhd->header, 8, 0, 0x10, 0);
	r = t_dmar_rmrr(t, T_RMRR_BASE, T_RMRR_LAST);
	t_dmar_scope(t, &r->header, 8, 0, 0x10, 0);
	r = t_dmar_rmrr(t, T_RMRR_BASE + 0x800, T_RMRR_LAST);
	t_dmar_scope(t, &r->header, 8, 0, 0x10, 0);
	r = t_dmar_rmrr(t, T_RMRR_BASE, T_RMRR_BASE - 1);
	t_dmar_scope(t, &r->header, 8, 0, 0x10, 0);
	r = t_dmar_rmrr(t, T_RMRR_BASE, T_RMRR_LAST);
	t_dmar_scope(t, &r->header, 6, 0, 0x10, 0);

	KUNIT_EXPECT_EQ(test, iox_dmar_walk_table(t_dmar_end(t), &w.walk), 0);
	KUNIT_EXPECT_EQ(test, w.walk.haw, 48);
	KUNIT_EXPECT_EQ(test, w.drhds, 1);
	KUNIT_EXPECT_EQ(test, w.refused, 3);
	KUNIT_ASSERT_EQ(test, w.nr_parsed, 1);
	got = w.parsed[0];
	KUNIT_EXPECT_EQ(test, got->base, T_RMRR_BASE);
	KUNIT_EXPECT_EQ(test, got->last, T_RMRR_LAST);
	KUNIT_EXPECT_EQ(test, got->segment, 0);
	KUNIT_ASSERT_EQ(test, got->nr_scopes, 1);
	KUNIT_EXPECT_EQ(test, got->scopes[0].type, ACPI_DMAR_SCOPE_TYPE_ENDPOINT);
	KUNIT_EXPECT_EQ(test, got->scopes[0].bus, 0);
	KUNIT_EXPECT_EQ(test, got->scopes[0].devfn, PCI_DEVFN(0x10, 0));
	t_rmrr_walk_free(&w);

	/* The last RMRR claims 8 bytes more than the table has. */
	r->header.length += 8;
	KUNIT_EXPECT_EQ(test, iox_dmar_walk_table(t_dmar_end(t), &w.walk), -EINVAL);
	t_rmrr_walk_free(&w);
}

/* IOMMU_RESV_DIRECT regions of @dev's group at [@base, @last]; -1 on error. */
static int t_direct_regions(struct device *dev, u64 base, u64 last, int *msi)
{
	struct iommu_group *group = iommu_group_get(dev);
	struct iommu_resv_region *r, *next;
	LIST_HEAD(regions);
	int n = 0;

	*msi = 0;
	if (!group)
		return -1;
	if (iommu_get_group_resv_regions(group, &regions))
		n = -1;
	list_for_each_entry_safe(r, next, &regions, list) {
		if (n >= 0 && r->type == IOMMU_RESV_DIRECT && r->start == base &&
		    r->length == last - base + 1 && r->prot == (IOMMU_READ | IOMMU_WRITE))
			n++;
		if (r->type == IOMMU_RESV_MSI)
			(*msi)++;
		kfree(r);
	}
	iommu_group_put(group);
	return n;
}

/*
 * An RMRR whose scope names edu (parsed from a crafted entry and handed to
 * the backend, as the load does with the table's): the IOMMU API reports it
 * for edu's group as a read-write direct region beside the MSI window, and
 * not for a device outside its scope; gone with the region.
 */
static void vtd_rmrr_resv_region(struct kunit *test)
{
	struct t_dmar *t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	struct pci_dev *edu, *other = NULL;
	struct acpi_dmar_reserved_memory *r;
	struct iommu_group *group;
	struct iox_vtd_rmrr *rmrr;
	int msi;

	get_unit(test);
	KUNIT_ASSERT_NOT_NULL(test, t);
	edu = pci_get_device(EDU_VENDOR, EDU_DEVICE, NULL);
	KUNIT_ASSERT_NOT_NULL_MSG(test, edu, "no edu device on this machine");
	group = iommu_group_get(&edu->dev);
	if (!group) {
		pci_dev_put(edu);
		KUNIT_FAIL(test, "edu is in no IOMMU group: dmar0 does not serve the IOMMU API");
		return;
	}
	iommu_group_put(group);
	while ((other = pci_get_device(PCI_ANY_ID, PCI_ANY_ID, other)))
		if (other != edu && other->dev.iommu_group != edu->dev.iommu_group &&
		    other->dev.iommu_group)
			break;

	t_dmar_start(t);
	r = t_dmar_rmrr(t, T_RMRR_BASE, T_RMRR_LAST);
	t_dmar_scope(t, &r->header, 8, edu->bus->number, PCI_SLOT(edu->devfn),
		     PCI_FUNC(edu->devfn));
	KUNIT_ASSERT_EQ(test, iox_dmar_parse_rmrr(r, &rmrr), 0);
	KUNIT_EXPECT_EQ(test, t_direct_regions(&edu->dev, T_RMRR_BASE, T_RMRR_LAST, &msi), 0);

	iox_vtd_rmrr_add(rmrr);
	KUNIT_EXPECT_EQ_MSG(test, t_direct_regions(&edu->dev, T_RMRR_BASE, T_RMRR_LAST, &msi), 1,
			    "edu's RMRR is not a direct region of its group");
	KUNIT_EXPECT_EQ(test, msi, 1);
	if (other)
		KUNIT_EXPECT_EQ_MSG(test, t_direct_regions(&other->dev, T_RMRR_BASE, T_RMRR_LAST,
							   &msi), 0,
				    "%s, outside the RMRR's scope, got it", pci_name(other));
	iox_vtd_rmrr_del(rmrr);
	iox_vtd_rmrr_free(rmrr);

	KUNIT_EXPECT_EQ(test, t_direct_regions(&edu->dev, T_RMRR_BASE, T_RMRR_LAST, &msi), 0);
	pci_dev_put(other);
	pci_dev_put(edu);
}

static struct kunit_case iox_vtd_hw_cases[] = {
	KUNIT_CASE(vtd_dmar_rmrr_parse),
	KUNIT_CASE(vtd_rmrr_resv_region),
	KUNIT_CASE(vtd_check_regs_refuses),
	KUNIT_CASE(vtd_decode_known_registers),
	KUNIT_CASE(vtd_unit_from_dmar),
	KUNIT_CASE(vtd_caps_match_hardware),
	KUNIT_CASE(vtd_scope_serves_edu),
	KUNIT_CASE(vtd_include_all_defers_to_scopes),
	KUNIT_CASE(vtd_unit_enabled),
	KUNIT_CASE(vtd_qi_timeout_keeps_unfetched),
	KUNIT_CASE(vtd_qi_free_keeps_busy_queue),
	KUNIT_CASE(vtd_qi_waits_with_irqs_on),
	KUNIT_CASE(vtd_gcmd_read_modify_write),
	KUNIT_CASE(vtd_unit_api),
	KUNIT_CASE(vtd_debugfs_kernel_read),
	KUNIT_CASE(vtd_edu_blocked),
	KUNIT_CASE(vtd_bind_during_bringup),
	{}
};

static struct kunit_suite iox_vtd_hw_suite = {
	.name = "iox-hw-vtd",
	.exit = vtd_hw_exit,
	.test_cases = iox_vtd_hw_cases,
};

kunit_test_suite(iox_vtd_hw_suite);

MODULE_DESCRIPTION("KUnit tests of iox VT-d discovery on (emulated) hardware");
MODULE_LICENSE("GPL");
MODULE_IMPORT_NS(IOX_TEST);
