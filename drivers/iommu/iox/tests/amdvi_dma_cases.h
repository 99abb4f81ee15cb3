/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Real DMA through iox on (emulated) AMD-Vi: the shared cases of
 * dma_cases.h and the AMD-Vi ones, for the KUnit suite
 * (amdvi_dma_kunit.c) and the vmtest module
 * (tools/testing/iox/modules/iox_amdvi_dma_test.c).
 *
 * QEMU 7.2's amd-iommu never writes its event log, and an unmapped IOVA
 * (an all-zero entry) fails without any trace of it: faults show only as
 * data that did not move, which the shared cases check.  The event log
 * code is driven here with entries written into the log as hardware would,
 * the tail register advanced by hand.
 */
#ifndef _IOX_TESTS_AMDVI_DMA_CASES_H
#define _IOX_TESTS_AMDVI_DMA_CASES_H

#include <linux/io.h>

#include "../amd/amdvi.h"
#include "dma_cases.h"

static inline struct iox_amdvi_unit *t_amdvi(struct iox_dma_test *t)
{
	return to_amdvi_unit(t->unit);
}

static void iox_amdvi_dma_scan(struct iox_dma_test *t)
{
	iox_amdvi_event_poll(t_amdvi(t));
}

static void iox_amdvi_dma_inject(struct iox_dma_test *t, int n)
{
	iox_amdvi_inject_cmd_errors(t_amdvi(t), n);
}

static int iox_amdvi_dma_entry_domid(struct iox_dma_test *t)
{
	return iox_amdvi_dte_domain_id(t_amdvi(t), pci_dev_id(t->edu.pdev));
}

/* QEMU's amd-iommu reads the device table entry on every walk: no resync. */
static const struct iox_dma_backend iox_amdvi_dma_backend = {
	.prefix = "ivhd",
	.scan = iox_amdvi_dma_scan,
	.reports_faults = false,
	.inject_inv_errors = iox_amdvi_dma_inject,
	.entry_domid = iox_amdvi_dma_entry_domid,
};

/* The device table entry of edu, both quadwords. */
static void t_edu_dte(struct iox_dma_test *t, u64 *q0, u64 *q1)
{
	const u64 *dte = t_amdvi(t)->devtab + pci_dev_id(t->edu.pdev) * 4;

	*q0 = READ_ONCE(dte[0]);
	*q1 = READ_ONCE(dte[1]);
}

/*
 * Attaching points edu's device table entry at the domain's table under a
 * domain id below 256; detaching blocks it (edu has no driver: mode 0,
 * neither IR nor IW, domain id 0), and pass-through asked for explicitly
 * gives access (IR and IW).  Each change is followed by
 * INVALIDATE_DEVTAB_ENTRY and an invalidation of the old domain id: the
 * emulated IOTLB keeps what it cached under the old entry otherwise, which
 * the DMA below would use.  The IOVAs are the physical addresses of pages
 * of the test, so that what pass-through reaches is the test's own memory.
 */
static void iox_amdvi_dma_case_device_table(struct iox_dma_test *t)
{
	struct iox_amdvi_unit *amdvi = t_amdvi(t);
	struct device *dev = &t->edu.pdev->dev;
	u64 q0, q1, devtab, dom, p5 = t_phys(t, 5), p7 = t_phys(t, 7);
	unsigned int domid;

	t_edu_dte(t, &q0, &q1);
	domid = FIELD_GET(AMDVI_DTE_DOMID, q1);
	T_CHECK(t, q0 & AMDVI_DTE_V && q0 & AMDVI_DTE_TV, "attached DTE %#llx not valid", q0);
	T_CHECK(t, q0 & AMDVI_DTE_IR && q0 & AMDVI_DTE_IW, "attached DTE %#llx lacks IR/IW", q0);
	T_CHECK(t, FIELD_GET(AMDVI_DTE_MODE, q0) == 6, "mode %llu, not 6 levels",
		FIELD_GET(AMDVI_DTE_MODE, q0));
	T_CHECK(t, domid > AMDVI_PT_DOMID && domid <= AMDVI_MAX_DOMID, "domain id %u", domid);

	/* Translated: IOVA p7 reaches page 6, and the IOTLB holds that. */
	t_load_buffer(t, 0, SZ_1M, 0x6b);
	if (!T_CHECK(t, !iox_map(t->domain, p7, t_phys(t, 6), SZ_4K, IOX_PROT_WRITE, GFP_KERNEL),
		     "map"))
		return;
	T_CHECK(t, t_lands(t, p7, 6, 0x6b), "DMA through the domain did not land");

	devtab = amdvi->cmd.nr_inv[AMDVI_INV_DEVTAB];
	dom = amdvi->cmd.nr_inv[AMDVI_INV_DOMAIN];
	T_CHECK(t, !iox_detach_device(t->domain, dev), "detach");
	t_edu_dte(t, &q0, &q1);
	T_CHECK(t, q0 == (AMDVI_DTE_V | AMDVI_DTE_TV), "detached DTE %#llx is not blocked", q0);
	T_CHECK(t, FIELD_GET(AMDVI_DTE_DOMID, q1) == AMDVI_PT_DOMID, "detached domain id %llu",
		FIELD_GET(AMDVI_DTE_DOMID, q1));
	T_CHECK(t, amdvi->cmd.nr_inv[AMDVI_INV_DEVTAB] == devtab + 1, "no DTE invalidation");
	T_CHECK(t, amdvi->cmd.nr_inv[AMDVI_INV_DOMAIN] == dom + 1,
		"the old domain id was not invalidated");
	/* Blocked: p7 reaches neither page 6 (the stale translation) nor page 7. */
	memset(t_page(t, 6), 0, PAGE_SIZE);
	T_CHECK(t, !t_lands(t, p7, 7, 0x6b), "DMA of the blocked device reached its address");
	T_CHECK(t, !memchr_inv(t_page(t, 6), 0, PAGE_SIZE),
		"after detach, DMA used the domain's stale translation");

	T_CHECK(t, !iox_device_set_blocked(dev, false), "pass-through");
	t_edu_dte(t, &q0, &q1);
	T_CHECK(t, q0 == (AMDVI_DTE_V | AMDVI_DTE_TV | AMDVI_DTE_IR | AMDVI_DTE_IW),
		"unblocked DTE %#llx is not pass-through", q0);
	/* Pass-through: p7 is page 7 now, and the IOTLB holds p5's translation. */
	T_CHECK(t, t_lands(t, p7, 7, 0x6b), "pass-through DMA did not reach its address");
	T_CHECK(t, t_lands(t, p5, 5, 0x6b), "pass-through DMA did not reach its address");

	T_CHECK(t, !iox_attach_device(t->domain, dev), "attach again");
	/* Attached, the choice only matters at the next detach: blocked again. */
	T_CHECK(t, !iox_device_reset_blocked(dev), "back to the policy");
	if (!T_CHECK(t, !iox_map(t->domain, p5, t_phys(t, 4), SZ_4K, IOX_PROT_WRITE,
				 GFP_KERNEL), "map"))
		return;
	memset(t_page(t, 5), 0, PAGE_SIZE);
	T_CHECK(t, t_lands(t, p5, 4, 0x6b), "DMA after re-attach did not land");
	T_CHECK(t, !memchr_inv(t_page(t, 5), 0, PAGE_SIZE),
		"after attach, DMA used the stale pass-through translation");
}

/*
 * A unit whose HATS allows fewer levels than the domain's table has cannot
 * walk it: attaching a device behind it is refused, its device table entry
 * untouched.  The unit's HATS is lowered by hand for the test (QEMU's is 6
 * levels, as the domain's table).
 */
static void iox_amdvi_dma_case_levels_refused(struct iox_dma_test *t)
{
	struct iox_amdvi_unit *amdvi = t_amdvi(t);
	struct device *dev = &t->edu.pdev->dev;
	u8 levels = amdvi->caps.host_levels;
	u64 q0, q1, b0, b1;
	int ret;

	if (!T_CHECK(t, !iox_detach_device(t->domain, dev), "detach"))
		return;
	t_edu_dte(t, &b0, &b1);
	amdvi->caps.host_levels = 4;
	ret = iox_attach_device(t->domain, dev);
	amdvi->caps.host_levels = levels;
	T_CHECK(t, ret == -EINVAL, "attach of a 6-level table to a 4-level unit: %d", ret);
	t_edu_dte(t, &q0, &q1);
	T_CHECK(t, q0 == b0 && q1 == b1, "refused attach changed the DTE: %#llx %#llx", q0, q1);
	T_CHECK(t, !iox_attach_device(t->domain, dev), "attach with the unit's own HATS");
	t_edu_dte(t, &q0, &q1);
	T_CHECK(t, FIELD_GET(AMDVI_DTE_MODE, q0) == 6, "mode %llu, not 6 levels",
		FIELD_GET(AMDVI_DTE_MODE, q0));
}

/*
 * A device whose DMA firmware says arrives under another requester id (an
 * IVHD alias entry) is not attached: its own device table entry would not
 * translate that DMA.  The alias is given to edu's range by hand for the
 * test (QEMU's IVRS names none for it).
 */
static void iox_amdvi_dma_case_alias_refused(struct iox_dma_test *t)
{
	struct iox_amdvi_unit *amdvi = t_amdvi(t);
	struct device *dev = &t->edu.pdev->dev;
	u16 devid = pci_dev_id(t->edu.pdev);
	struct iox_amdvi_devrange *r = NULL, saved;
	unsigned int i;
	u64 q0, q1, b0, b1;
	int ret;

	for (i = 0; i < amdvi->nr_ranges && !r; i++)
		if (devid >= amdvi->ranges[i].first && devid <= amdvi->ranges[i].last)
			r = &amdvi->ranges[i];
	if (!T_CHECK(t, r, "no IVHD range covers edu") ||
	    !T_CHECK(t, !iox_detach_device(t->domain, dev), "detach"))
		return;
	t_edu_dte(t, &b0, &b1);
	saved = *r;
	r->alias = devid ^ 0x8;
	r->aliased = true;
	ret = iox_attach_device(t->domain, dev);
	*r = saved;
	T_CHECK(t, ret == -EOPNOTSUPP, "attach of an aliased device: %d", ret);
	t_edu_dte(t, &q0, &q1);
	T_CHECK(t, q0 == b0 && q1 == b1, "refused attach changed the DTE: %#llx %#llx", q0, q1);
	T_CHECK(t, !iox_attach_device(t->domain, dev), "attach without the alias");
}

/*
 * The invalidations a scripted sequence of unmaps costs, counted by the
 * unit: each strict unmap is one batch (one COMPLETION_WAIT) of the fewest
 * INVALIDATE_IOMMU_PAGES that cover its range exactly, or one
 * invalidation of the whole domain when that takes more than
 * AMDVI_MAX_INV_RANGES.  (The vmtest module brackets this case with
 * markers, and the host compares QEMU's trace with the unit's counters.)
 */
static void iox_amdvi_dma_case_inval_precision(struct iox_dma_test *t)
{
	static const struct {
		u64 iova;
		size_t len;
		unsigned int ranges;
		unsigned int domains;
	} script[] = {
		{ SZ_32M, SZ_4K, 1, 0 },			/* one page */
		{ SZ_1G, SZ_2M, 1, 0 },				/* a 2M page: S, order 9 */
		{ SZ_32M + 5 * SZ_4K, 2 * SZ_4K, 2, 0 },	/* pages 5, 6 */
		{ SZ_32M + 16 * SZ_4K, 4 * SZ_4K, 1, 0 },	/* pages 16-19: order 2 */
		/* pages 1-1022 of 1023 4K pages: 18 blocks, more than a flush */
		{ SZ_64M + SZ_4K, 1022 * SZ_4K, 0, 1 },
	};
	struct iox_amdvi_cmdbuf *cmd = &t_amdvi(t)->cmd;
	unsigned int i;
	bool ok;

	ok = !iox_map(t->domain, SZ_32M, t_phys(t, 0), 128 * SZ_4K, IOX_PROT_READ, GFP_KERNEL);
	if (!T_CHECK(t, ok, "map 128 pages"))
		return;
	ok = !iox_map(t->domain, SZ_1G, t_phys(t, 512), SZ_2M, IOX_PROT_READ, GFP_KERNEL);
	if (!T_CHECK(t, ok, "map 2M"))
		return;
	/* IOVA and physical address differ modulo 2M: only 4K pages. */
	ok = !iox_map(t->domain, SZ_64M, t_phys(t, 1), 1023 * SZ_4K, IOX_PROT_READ,
		      GFP_KERNEL);
	if (!T_CHECK(t, ok, "map 1023 pages"))
		return;
	for (i = 0; i < ARRAY_SIZE(script); i++) {
		u64 ranges = cmd->nr_inv[AMDVI_INV_PAGES], domains = cmd->nr_inv[AMDVI_INV_DOMAIN];
		u64 waits = cmd->nr_waits;

		ok = iox_unmap(t->domain, script[i].iova, script[i].len) == script[i].len;
		T_CHECK(t, ok, "unmap %u", i);
		ranges = cmd->nr_inv[AMDVI_INV_PAGES] - ranges;
		domains = cmd->nr_inv[AMDVI_INV_DOMAIN] - domains;
		waits = cmd->nr_waits - waits;
		T_CHECK(t, ranges == script[i].ranges, "unmap %u: %llu range invalidations, not %u",
			i, ranges, script[i].ranges);
		T_CHECK(t, domains == script[i].domains,
			"unmap %u: %llu domain invalidations, not %u", i, domains,
			script[i].domains);
		T_CHECK(t, waits == 1, "unmap %u: %llu completion waits, not 1", i, waits);
	}
}

/*
 * QEMU's unit reports NpCache: it may cache not-present entries, so a new
 * mapping is invalidated like a removed one (one INVALIDATE_IOMMU_PAGES for
 * one page); a unit without it needs none.  Either way the mapping must
 * work at once.
 */
static void iox_amdvi_dma_case_map_invalidation(struct iox_dma_test *t)
{
	struct iox_amdvi_unit *amdvi = t_amdvi(t);
	unsigned int want = amdvi->np_cache ? 1 : 0;
	u64 before, ranges;
	bool ok;

	t_load_buffer(t, 0, SZ_1M, 0x42);
	memset(t_page(t, 1), 0, PAGE_SIZE);
	T_CHECK(t, !t_dma_out(t, SZ_64M), "DMA out");
	before = amdvi->cmd.nr_inv[AMDVI_INV_PAGES];
	ok = !iox_map(t->domain, SZ_64M, t_phys(t, 1), SZ_4K, IOX_PROT_WRITE, GFP_KERNEL);
	if (!T_CHECK(t, ok, "map"))
		return;
	ranges = amdvi->cmd.nr_inv[AMDVI_INV_PAGES] - before;
	T_CHECK(t, ranges == want, "map caused %llu range invalidations, not %u", ranges, want);
	T_CHECK(t, t_lands(t, SZ_64M, 1, 0x42), "the new mapping does not work");
}

/* Put an entry into the event log as hardware would, and move the tail. */
static void t_log_event(struct iox_amdvi_unit *amdvi, u64 lo, u64 hi)
{
	u32 tail = readq(amdvi->mmio + AMDVI_EVTLOG_TAIL_REG) & AMDVI_RING_PTR;

	amdvi->evt.ring[tail / 8] = lo;
	amdvi->evt.ring[tail / 8 + 1] = hi;
	/* The entry must be in memory before the tail says it is there. */
	wmb();
	writeq((tail + 16) % 4096, amdvi->mmio + AMDVI_EVTLOG_TAIL_REG);
}

/*
 * Event log entries are read from the head, decoded, counted and consumed
 * (the head register follows); an IO_PAGE_FAULT of edu reaches the
 * domain's fault handler with its address and direction.
 */
static void iox_amdvi_dma_case_event_log(struct iox_dma_test *t)
{
	struct iox_amdvi_unit *amdvi = t_amdvi(t);
	u64 devid = pci_dev_id(t->edu.pdev), events = amdvi->evt.nr_events;
	u64 pf = amdvi->evt.by_code[AMDVI_EVT_IO_PAGE_FAULT];
	u64 idte = amdvi->evt.by_code[AMDVI_EVT_ILLEGAL_DEV_TABLE_ENTRY];
	u32 head;

	iox_amdvi_event_poll(amdvi);
	t->faults = 0;
	/* IO_PAGE_FAULT, write (RW), page present (PR), domain 5. */
	t_log_event(amdvi, (2ULL << 60) | ((u64)(AMDVI_EVT_FLAG_RW | AMDVI_EVT_FLAG_PR) << 48) |
			   (5ULL << 32) | devid, 0x7654000);
	/* IO_PAGE_FAULT, read. */
	t_log_event(amdvi, (2ULL << 60) | (5ULL << 32) | devid, 0x1234000);
	/* ILLEGAL_DEV_TABLE_ENTRY of device 00:1f.7: counted, not a fault. */
	t_log_event(amdvi, (1ULL << 60) | 0xff, 0xabc0);
	/* The poll work of a polled unit may get there first: count, don't ask. */
	iox_amdvi_event_poll(amdvi);
	head = readq(amdvi->mmio + AMDVI_EVTLOG_HEAD_REG) & AMDVI_RING_PTR;
	T_CHECK(t, head == (readq(amdvi->mmio + AMDVI_EVTLOG_TAIL_REG) & AMDVI_RING_PTR),
		"head %#x did not catch up with the tail", head);
	T_CHECK(t, amdvi->evt.nr_events == events + 3, "events counted: %llu",
		amdvi->evt.nr_events - events);
	T_CHECK(t, amdvi->evt.by_code[AMDVI_EVT_IO_PAGE_FAULT] == pf + 2, "page faults counted");
	T_CHECK(t, amdvi->evt.by_code[AMDVI_EVT_ILLEGAL_DEV_TABLE_ENTRY] == idte + 1,
		"illegal DTE not counted");
	T_CHECK(t, t->faults == 2, "%d faults delivered, not 2", t->faults);
	T_CHECK(t, t->fault_iova == 0x1234000, "last fault at %#llx", t->fault_iova);
	T_CHECK(t, t->fault_flags == IOX_FAULT_READ, "last fault flags %#x", t->fault_flags);
	T_CHECK(t, t->fault_dev == &t->edu.pdev->dev, "fault names another device");
	T_CHECK(t, !iox_amdvi_event_poll(amdvi), "entries read twice");
}

/*
 * The MSI of the IOMMU's PCI function arrives: a COMPLETION_WAIT with its
 * interrupt bit makes the unit signal it (QEMU signals it for that command
 * as for new events).  Polled units have no interrupt to check.
 */
static void iox_amdvi_dma_case_event_irq(struct iox_dma_test *t)
{
	struct iox_amdvi_unit *amdvi = t_amdvi(t);
	struct iox_amdvi_cmd wait = {
		.lo = (1ULL << 60) | BIT_ULL(1),
	};
	s64 irqs = atomic64_read(&amdvi->evt.nr_irqs);
	int i;

	if (t->polled) {
		T_CHECK(t, !amdvi->evt.irq, "told to poll, but interrupt %u is used",
			amdvi->evt.irq);
		return;
	}
	if (!T_CHECK(t, amdvi->evt.irq, "no event log interrupt"))
		return;
	T_CHECK(t, !iox_amdvi_cmd_submit(amdvi, &wait, 1), "completion wait");
	for (i = 0; i < 100 && atomic64_read(&amdvi->evt.nr_irqs) == irqs; i++)
		usleep_range(10000, 20000);
	T_CHECK(t, atomic64_read(&amdvi->evt.nr_irqs) > irqs, "no interrupt arrived");
}

#endif /* _IOX_TESTS_AMDVI_DMA_CASES_H */
