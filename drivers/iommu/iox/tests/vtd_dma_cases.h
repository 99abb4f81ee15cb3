/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Real DMA through iox on (emulated) VT-d: the shared cases of
 * dma_cases.h and the VT-d ones, for the KUnit suite (vtd_dma_kunit.c)
 * and the vmtest module (tools/testing/iox/modules/iox_vtd_dma_test.c).
 */
#ifndef _IOX_TESTS_VTD_DMA_CASES_H
#define _IOX_TESTS_VTD_DMA_CASES_H

#include <linux/dma-map-ops.h>

#include "../intel/vtd.h"
#include "dma_cases.h"

static inline struct iox_vtd_unit *t_vtd(struct iox_dma_test *t)
{
	return to_vtd_unit(t->unit);
}

static void iox_vtd_dma_scan(struct iox_dma_test *t)
{
	iox_vtd_fault_poll(t_vtd(t));
}

static void iox_vtd_dma_inject(struct iox_dma_test *t, int n)
{
	iox_vtd_inject_inv_errors(t_vtd(t), n);
}

static u64 iox_vtd_dma_unit_faults(struct iox_dma_test *t)
{
	iox_vtd_fault_poll(t_vtd(t));
	return READ_ONCE(t_vtd(t)->nr_faults);
}

static int iox_vtd_dma_entry_domid(struct iox_dma_test *t)
{
	return iox_vtd_context_domain_id(t_vtd(t), t->edu.pdev->bus->number, t->edu.pdev->devfn);
}

/* Every context entry the unit cached goes. */
static int iox_vtd_dma_resync(struct iox_dma_test *t)
{
	return iox_vtd_inv_context(t_vtd(t), VTD_INV_GLOBAL, 0, 0);
}

static const struct iox_dma_backend iox_vtd_dma_backend = {
	.prefix = "dmar",
	.scan = iox_vtd_dma_scan,
	.reports_faults = true,
	.inject_inv_errors = iox_vtd_dma_inject,
	.unit_faults = iox_vtd_dma_unit_faults,
	.entry_domid = iox_vtd_dma_entry_domid,
	.resync = iox_vtd_dma_resync,
};

/*
 * Page tables may only point below the host address width the DMAR table
 * declares: a mapping of memory beyond it is refused and maps nothing.
 */
static void iox_dma_case_phys_beyond_haw(struct iox_dma_test *t)
{
	u64 top = BIT_ULL(t_vtd(t)->haw);
	int ret;

	ret = iox_map(t->domain, SZ_1M, top, SZ_4K, IOX_PROT_READ, GFP_KERNEL);
	T_CHECK(t, ret == -ERANGE, "mapping phys %#llx gave %d, not -ERANGE", top, ret);
	ret = iox_map(t->domain, SZ_1M, top - SZ_8K, SZ_16K, IOX_PROT_READ, GFP_KERNEL);
	T_CHECK(t, ret == -ERANGE, "mapping across %#llx gave %d, not -ERANGE", top, ret);
	T_CHECK(t, !iox_iova_to_phys(t->domain, SZ_1M), "a refused mapping left a translation");
	ret = iox_map(t->domain, SZ_1M, top - SZ_4K, SZ_4K, IOX_PROT_READ, GFP_KERNEL);
	T_CHECK(t, !ret, "mapping the last page below %#llx gave %d", top, ret);
	T_CHECK(t, iox_iova_to_phys(t->domain, SZ_1M) == top - SZ_4K, "wrong translation");
	T_CHECK(t, iox_unmap(t->domain, SZ_1M, SZ_4K) == SZ_4K, "unmap");
}

/*
 * A fault is reported with nobody asking for it: through the fault event
 * interrupt (counted as it arrives), or by the poll work when the unit was
 * told to poll.
 */
static void iox_dma_case_fault_delivery(struct iox_dma_test *t)
{
	s64 irqs = atomic64_read(&t_vtd(t)->nr_fault_irqs);
	int before = t->faults;

	if (t->polled)
		T_CHECK(t, !t_vtd(t)->fault_irq, "told to poll, but interrupt %u is used",
			t_vtd(t)->fault_irq);
	else
		T_CHECK(t, t_vtd(t)->fault_irq, "no fault event interrupt");
	T_CHECK(t, !t_dma_out(t, SZ_128M), "DMA out");
	/* No scan from here: wait up to 200 times. */
	if (!T_CHECK(t, t_wait_fault(t, before, 200, false), "the fault was not reported"))
		return;
	T_CHECK(t, t->fault_iova == SZ_128M, "fault at %#llx", t->fault_iova);
	T_CHECK(t, t->fault_flags == IOX_FAULT_WRITE, "fault flags %#x", t->fault_flags);
	/* VT-d fault reason 5: no translation for a write. */
	T_CHECK(t, t->fault_reason == 5, "fault reason %#x, not 5", t->fault_reason);
	if (!t->polled)
		T_CHECK(t, atomic64_read(&t_vtd(t)->nr_fault_irqs) > irqs,
			"fault reported, but no fault event interrupt arrived");
}

/*
 * The invalidations a scripted sequence of unmaps costs, counted by the
 * unit: each strict unmap is one batch (one wait) of the fewest
 * page-selective invalidations, or one domain invalidation.
 */
static void iox_dma_case_inval_precision(struct iox_dma_test *t)
{
	bool ok;
	static const struct {
		u64 iova;
		size_t len;
		unsigned int psi;
		unsigned int dsi;
	} script[] = {
		{ SZ_32M, SZ_4K, 1, 0 },			/* one page */
		{ SZ_1G, SZ_2M, 1, 0 },				/* a 2M page: AM 9 */
		{ SZ_32M + 5 * SZ_4K, 2 * SZ_4K, 2, 0 },	/* pages 5, 6 */
		{ SZ_32M + 16 * SZ_4K, 4 * SZ_4K, 1, 0 },	/* pages 16-19: AM 2 */
		/* pages 1-1022 of 1023 4K pages: 18 blocks, more than a flush */
		{ SZ_64M + SZ_4K, 1022 * SZ_4K, 0, 1 },
	};
	struct iox_vtd_unit *vtd = t_vtd(t);
	unsigned int i;

	ok = !iox_map(t->domain, SZ_32M, t_phys(t, 0), 128 * SZ_4K, IOX_PROT_READ, GFP_KERNEL);
	if (!T_CHECK(t, ok, "map 128 pages"))
		return;
	ok = !iox_map(t->domain, SZ_1G, t_phys(t, 512), SZ_2M, IOX_PROT_READ, GFP_KERNEL);
	if (!T_CHECK(t, ok, "map 2M"))
		return;
	/*
	 * IOVA and physical address differ modulo 2M: only 4K pages, so the
	 * unmap below gathers exactly its range.  (Unmapping part of a 2M
	 * page gathers all of it: the old large translation must go.)
	 */
	ok = !iox_map(t->domain, SZ_64M, t_phys(t, 1), 1023 * SZ_4K, IOX_PROT_READ,
		      GFP_KERNEL);
	if (!T_CHECK(t, ok, "map 1023 pages"))
		return;
	for (i = 0; i < ARRAY_SIZE(script); i++) {
		u64 psi = vtd->nr_inv[VTD_INV_PAGE], dsi = vtd->nr_inv[VTD_INV_DOMAIN];
		u64 waits = vtd->qi.nr_waits;

		ok = iox_unmap(t->domain, script[i].iova, script[i].len) == script[i].len;
		T_CHECK(t, ok, "unmap %u", i);
		psi = vtd->nr_inv[VTD_INV_PAGE] - psi;
		dsi = vtd->nr_inv[VTD_INV_DOMAIN] - dsi;
		waits = vtd->qi.nr_waits - waits;
		T_CHECK(t, psi == script[i].psi, "unmap %u: %llu page invalidations, not %u",
			i, psi, script[i].psi);
		T_CHECK(t, dsi == script[i].dsi, "unmap %u: %llu domain invalidations, not %u",
			i, dsi, script[i].dsi);
		T_CHECK(t, !vtd->use_qi || waits == 1, "unmap %u: %llu waits, not 1", i, waits);
	}
}

/*
 * Attaching from the blocked state (edu's context entry not present): a
 * unit in caching mode may hold the entry cached as not present, tagged
 * with domain id 0, so the device-selective context-cache invalidation is
 * for domain id 0 and the new domain id's IOTLB follows; other units get
 * the one invalidation, under the new domain id.  The descriptors are read
 * back from the queue.
 */
static void iox_dma_case_attach_from_blocked(struct iox_dma_test *t)
{
	struct iox_vtd_unit *vtd = t_vtd(t);
	struct device *dev = &t->edu.pdev->dev;
	u16 sid = pci_dev_id(t->edu.pdev);
	bool cm = vtd->caps.caching_mode;
	unsigned int idx, tail, cc = 0, dsi = 0;
	int did;

	if (!vtd->use_qi) {
		t_skip(t, "register-based invalidation has no queue");
		return;
	}
	if (!T_CHECK(t, !iox_detach_device(t->domain, dev), "detach"))
		return;
	tail = vtd->qi.tail;
	if (!T_CHECK(t, !iox_attach_device(t->domain, dev), "attach"))
		return;
	did = iox_vtd_dma_entry_domid(t);
	for (idx = tail; idx != vtd->qi.tail; idx = (idx + 1) % VTD_QI_ENTRIES) {
		u64 lo = vtd->qi.ring[idx].lo;
		/* Type in bits 3:0, granularity 5:4, domain id 31:16, source id 47:32. */
		unsigned int type = lo & 0xf, gran = (lo >> 4) & 3, d = (lo >> 16) & 0xffff;

		if (type == 1 && gran == VTD_INV_DEVICE && ((lo >> 32) & 0xffff) == sid) {
			cc++;
			T_CHECK(t, d == (cm ? 0 : did), "context-cache invalidation for did %u", d);
		}
		dsi += type == 2 && gran == VTD_INV_DOMAIN && d == did;
	}
	T_CHECK(t, cc == 1, "%u context-cache invalidations of edu, not 1", cc);
	T_CHECK(t, dsi == (cm ? 1 : 0), "%u IOTLB invalidations of domain id %d", dsi, did);
}

/*
 * A unit in caching mode may cache not-present entries: a new mapping must
 * be invalidated (one page-selective invalidation for one page); other
 * units need none.  Either way the mapping must work at once.
 */
static void iox_dma_case_map_invalidation(struct iox_dma_test *t)
{
	unsigned int want = t_vtd(t)->caps.caching_mode ? 1 : 0;
	u64 before, psi;
	bool ok;

	t_load_buffer(t, 0, SZ_1M, 0x42);
	/* Touch the IOVA first: caching mode may now hold it as not present. */
	memset(t_page(t, 1), 0, PAGE_SIZE);
	T_CHECK(t, !t_dma_out(t, SZ_64M), "DMA out");
	before = t_vtd(t)->nr_inv[VTD_INV_PAGE];
	ok = !iox_map(t->domain, SZ_64M, t_phys(t, 1), SZ_4K, IOX_PROT_WRITE, GFP_KERNEL);
	if (!T_CHECK(t, ok, "map"))
		return;
	psi = t_vtd(t)->nr_inv[VTD_INV_PAGE] - before;
	T_CHECK(t, psi == want, "map caused %llu page invalidations, not %u", psi, want);
	T_CHECK(t, t_lands(t, SZ_64M, 1, 0x42), "the new mapping does not work");
}

/*
 * An invalid descriptor (a wait asking for neither a status write nor an
 * interrupt) makes hardware stop with IQE: the submission fails with -EIO,
 * and the queue goes on working, so a strict unmap still invalidates.
 */
static void iox_dma_case_qi_recovery(struct iox_dma_test *t)
{
	struct iox_vtd_desc bad = { .lo = 5 };
	u64 iqe = t_vtd(t)->qi.nr_iqe;
	int ret;
	bool ok;

	if (!t_vtd(t)->use_qi) {
		t_skip(t, "register-based invalidation has no queue");
		return;
	}
	ret = iox_vtd_qi_submit(t_vtd(t), &bad, 1);
	T_CHECK(t, ret == -EIO, "invalid descriptor gave %d, not -EIO", ret);
	T_CHECK(t, t_vtd(t)->qi.nr_iqe == iqe + 1, "IQE not seen");
	t_load_buffer(t, 0, SZ_1M, 0x5a);
	ok = !iox_map(t->domain, SZ_8M, t_phys(t, 1), SZ_4K, IOX_PROT_WRITE, GFP_KERNEL);
	if (!T_CHECK(t, ok, "map"))
		return;
	t_unmap_then_fault(t, SZ_8M, 1, SZ_8M, SZ_4K);
}

/*
 * Unmapped in the domain, and beyond guest memory: harmless even if the
 * DMA went on after a detach.
 */
#define T_NOWHERE	0x7000000000ULL

/* A fault handler that takes its time and then looks at its domain. */
static void t_slow_fault(struct iox_domain *domain, struct device *dev,
			 const struct iox_fault *fault, void *data)
{
	struct iox_dma_test *t = data;

	if (READ_ONCE(t->in_handler))	/* only the first fault */
		return;
	WRITE_ONCE(t->in_handler, true);
	mdelay(100);
	/* A use after free here if the domain went away meanwhile. */
	t->handler_faults = atomic64_read(&domain->nr_faults);
	WRITE_ONCE(t->handler_done, true);
}

/*
 * A domain detached and freed while its fault handler runs: the free
 * waits for the handler, which may use the domain to the end.
 */
static void iox_dma_case_free_during_fault(struct iox_dma_test *t)
{
	int i, ret;

	iox_domain_set_fault_handler(t->domain, t_slow_fault, t);
	T_CHECK(t, !t_dma_out(t, T_NOWHERE), "DMA out");
	/* No scan from here: the fault thread (or poll work) runs the handler. */
	for (i = 0; i < 200 && !READ_ONCE(t->in_handler); i++)
		usleep_range(5000, 10000);
	if (!T_CHECK(t, READ_ONCE(t->in_handler), "the fault handler did not run"))
		return;
	ret = t_free_domain(t);
	T_CHECK(t, !ret, "detach and free gave %d", ret);
	T_CHECK(t, READ_ONCE(t->handler_done),
		"the domain was freed while its fault handler was running");
	/* Wait for the handler before the test's state goes away. */
	for (i = 0; i < 100 && !READ_ONCE(t->handler_done); i++)
		usleep_range(10000, 20000);
	T_CHECK(t, t->handler_faults > 0, "the handler saw %lld faults",
		(long long)t->handler_faults);
}

/*
 * A storm of faults (every 4-byte chunk of a 4095-byte transfer to an
 * unmapped IOVA faults) while the domain is detached and freed, again and
 * again, with KASAN watching; then a new domain works.
 */
static void iox_dma_case_fault_storm_free(struct iox_dma_test *t)
{
	struct device *dev = &t->edu.pdev->dev;
	struct iox_unit *unit = t->unit;
	int i, before, ret;

	for (i = 0; i < 6; i++) {
		before = t->faults;
		if (!T_CHECK(t, !iox_edu_dma_start(&t->edu, T_NOWHERE + i * SZ_4K, 0,
						   EDU_BUFFER_SIZE - 1, true), "DMA start"))
			return;
		/* Free the domain as soon as the first fault was reported. */
		t_wait_fault(t, before, 50, false);
		ret = t_free_domain(t);
		T_CHECK(t, !ret, "round %d: detach and free gave %d", i, ret);
		T_CHECK(t, !iox_edu_dma_wait(&t->edu), "round %d: DMA did not end", i);
		if (ret)
			return;
		t->domain = iox_domain_alloc(unit);
		if (!T_CHECK(t, !IS_ERR(t->domain), "domain alloc")) {
			t->domain = NULL;
			return;
		}
		iox_domain_set_fault_handler(t->domain, iox_dma_test_fault, t);
		ret = iox_attach_device(t->domain, dev);
		if (!T_CHECK(t, !ret, "round %d: attach gave %d", i, ret))
			return;
	}
	iox_vtd_fault_poll(t_vtd(t));
	before = t->faults;
	T_CHECK(t, !t_dma_out(t, T_NOWHERE), "DMA out");
	T_CHECK(t, t_faulted(t, before), "the new domain gets no fault reports");
}

/*
 * A DMA domain whose detach cannot be made sure (the invalidation after
 * the context entry changed fails) stays: the device is still in the same
 * iox DMA domain, and the DMA API still maps and unmaps through it: a
 * buffer mapped with dma_map_single() after the failure is in that
 * domain's tables, and gone from them after dma_unmap_single().  (Which
 * dma_map_ops the device has tells nothing: built in, iox's come with the
 * IOMMU API default domain too.  That the unit still walks the domain for
 * the device is detach_failure_keeps_entry's check.)  A retried detach
 * completes.
 */
static void iox_dma_case_dma_api_detach_failure(struct iox_dma_test *t)
{
	struct device *dev = &t->edu.pdev->dev;
	struct iox_domain *domain = t_dma_api_enter(t, IOX_DMA_STRICT);
	u8 *buf = t_page(t, 0) + 0x80;
	struct iox_domain *now;
	dma_addr_t addr;
	int id, ret;

	if (!domain)
		return;
	id = domain->id;
	iox_vtd_inject_inv_errors(t_vtd(t), 1);
	ret = iox_dma_detach(dev);
	iox_vtd_inject_inv_errors(t_vtd(t), 0);
	T_CHECK(t, ret == -EIO, "detach with a failed invalidation gave %d", ret);
	now = iox_device_domain(dev);
	if (!T_CHECK(t, now == domain && now->id == id && READ_ONCE(now->dma),
		     "edu left its DMA domain %d (now in %d)", id, now ? now->id : -1))
		goto leave;
	addr = dma_map_single(dev, buf, T_LEN, DMA_BIDIRECTIONAL);
	if (!T_CHECK(t, !dma_mapping_error(dev, addr), "dma_map_single after the failure"))
		goto leave;
	T_CHECK(t, iox_iova_to_phys(domain, addr) == virt_to_phys(buf),
		"%pad is not mapped in DMA domain %d", &addr, id);
	dma_unmap_single(dev, addr, T_LEN, DMA_BIDIRECTIONAL);
	T_CHECK(t, !iox_iova_to_phys(domain, addr),
		"%pad is still mapped in DMA domain %d after the unmap", &addr, id);
leave:
	t_dma_api_leave(t);
}

#endif /* _IOX_TESTS_VTD_DMA_CASES_H */
