/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Real DMA through iox on an (emulated) IOMMU: the test cases every
 * backend runs, shared by the KUnit suites (vtd_dma_kunit.c,
 * amdvi_dma_kunit.c, built in) and the vmtest modules
 * (tools/testing/iox/modules/, loaded into the stock kernel).  Backend
 * cases are in vtd_dma_cases.h and amdvi_dma_cases.h, which include this.
 *
 * The includer defines IOX_T_REPORT(t, line, vaf) to report a failed check
 * of test @t at @line, with a struct va_format message, and
 * IOX_T_SKIP(t, reason) to report that test @t does not apply (a case
 * then returns; @t->skip holds the reason).  QEMU's edu device
 * issues the DMA.  The emulated IOTLBs keep successful translations until
 * they are invalidated, so a DMA that still lands after an unmap proves a
 * missing or wrong invalidation.
 */
#ifndef _IOX_TESTS_DMA_CASES_H
#define _IOX_TESTS_DMA_CASES_H

#include <linux/delay.h>
#include <linux/kernel.h>
#include <linux/iox.h>
#include <linux/mm.h>
#include <linux/sizes.h>
#include <linux/string.h>

#include "edu.h"

#define T_CHECK(t, cond, fmt, ...) t_check(t, cond, __LINE__, fmt, ##__VA_ARGS__)

/* An order-10 block: 4 MiB, naturally aligned, so it holds a 2 MiB page. */
#define T_ORDER		10
#define T_LEN		256	/* bytes per transfer */

struct iox_dma_test;

/**
 * struct iox_dma_backend - what the shared cases need to know of a backend
 * @prefix: the names of its units start with this ("dmar", "ivhd")
 * @scan: report the faults the unit recorded, without waiting
 * @reports_faults: the (emulated) hardware reports DMA faults; QEMU 7.2's
 *	amd-iommu does not (its event log stays empty, shared/QEMU.md), so
 *	there a fault shows only as data that did not move
 */
struct iox_dma_backend {
	const char *prefix;
	void (*scan)(struct iox_dma_test *t);
	bool reports_faults;
};

/**
 * struct iox_dma_test - the state of one DMA test
 * @priv: the includer's context (the struct kunit, for KUnit)
 * @be: the backend of the unit under test
 * @polled: the unit was told to poll for faults (iox-intel fault_irq=0);
 *	else they must come by the fault event interrupt
 * @failed: a check failed
 * @skip: why the case did not apply, NULL if it ran
 * @edu: the DMA engine
 * @unit: the unit edu is behind
 * @domain: a domain edu is attached to
 * @pages: a naturally aligned 4 MiB block of memory
 * @faults: faults reported to @domain's handler
 * @fault_iova: address of the last one
 * @fault_flags: IOX_FAULT_* of the last one
 * @fault_reason: hardware reason code of the last one
 * @fault_dev: device of the last one
 * @race_landed: attach_race: the DMA in the middle of the attach landed
 * @race_unmapped: attach_race: what the unmap there returned
 * @in_handler: free_during_fault: the slow fault handler started
 * @handler_done: free_during_fault: it finished
 * @handler_faults: free_during_fault: the domain's fault count it read last
 */
struct iox_dma_test {
	void *priv;
	const struct iox_dma_backend *be;
	bool polled;
	bool failed;
	const char *skip;
	struct iox_edu edu;
	struct iox_unit *unit;
	struct iox_domain *domain;
	struct page *pages;
	int faults;
	u64 fault_iova;
	int fault_flags;
	u32 fault_reason;
	struct device *fault_dev;
	bool race_landed;
	ssize_t race_unmapped;
	bool in_handler;
	bool handler_done;
	s64 handler_faults;
};

/* Report a failed check with its line; returns @ok. */
static __printf(4, 5) bool t_check(struct iox_dma_test *t, bool ok, int line,
				   const char *fmt, ...)
{
	struct va_format vaf;
	va_list args;

	if (ok)
		return true;
	t->failed = true;
	va_start(args, fmt);
	vaf.fmt = fmt;
	vaf.va = &args;
	IOX_T_REPORT(t, line, &vaf);
	va_end(args);
	return false;
}

static inline void t_skip(struct iox_dma_test *t, const char *reason)
{
	t->skip = reason;
	IOX_T_SKIP(t, reason);
}

static void iox_dma_test_fault(struct iox_domain *domain, struct device *dev,
			       const struct iox_fault *fault, void *data)
{
	struct iox_dma_test *t = data;

	t->fault_dev = dev;
	t->fault_iova = fault->iova;
	t->fault_flags = fault->flags;
	t->fault_reason = fault->reason;
	WRITE_ONCE(t->faults, t->faults + 1);
}

static inline void *t_page(struct iox_dma_test *t, unsigned int i)
{
	return page_address(t->pages + i);
}

static inline phys_addr_t t_phys(struct iox_dma_test *t, unsigned int i)
{
	return page_to_phys(t->pages + i);
}

/*
 * Open edu, attach it to a new domain on its unit, which must be one of
 * @t->be's; 0 or an errno.
 */
static int iox_dma_test_setup(struct iox_dma_test *t)
{
	struct iox_unit *unit;
	int ret;

	ret = iox_edu_open(&t->edu);
	if (ret)
		return ret;
	/* The unit reference is kept until the teardown. */
	unit = iox_unit_for_device(&t->edu.pdev->dev);
	ret = -ENODEV;
	if (!unit)
		goto close;
	if (strncmp(unit->name, t->be->prefix, strlen(t->be->prefix)))
		goto put_unit;
	t->unit = unit;
	ret = -ENOMEM;
	t->pages = alloc_pages(GFP_KERNEL | __GFP_ZERO, T_ORDER);
	if (!t->pages)
		goto put_unit;
	t->domain = iox_domain_alloc(unit);
	if (IS_ERR(t->domain)) {
		ret = PTR_ERR(t->domain);
		goto free_pages;
	}
	iox_domain_set_fault_handler(t->domain, iox_dma_test_fault, t);
	ret = iox_attach_device(t->domain, &t->edu.pdev->dev);
	if (ret)
		goto free_domain;
	/* Start without stale faults of earlier tests. */
	t->be->scan(t);
	t->faults = 0;
	return 0;

free_domain:
	iox_domain_free(t->domain);
free_pages:
	__free_pages(t->pages, T_ORDER);
put_unit:
	iox_unit_put(unit);
close:
	iox_edu_close(&t->edu);
	return ret;
}

/* Detach edu and free the domain; 0 or the first errno. */
static int t_free_domain(struct iox_dma_test *t)
{
	int ret = iox_detach_device(t->domain, &t->edu.pdev->dev);

	ret = ret ?: iox_domain_free(t->domain);
	if (!ret)
		t->domain = NULL;
	return ret;
}

static void iox_dma_test_teardown(struct iox_dma_test *t)
{
	if (t->domain)
		t_free_domain(t);
	__free_pages(t->pages, T_ORDER);
	iox_unit_put(t->unit);
	iox_edu_close(&t->edu);
}

/* Memory at @iova to the device buffer, and the device buffer to @iova. */
static int t_dma_in(struct iox_dma_test *t, u64 iova)
{
	return iox_edu_dma(&t->edu, iova, 0, T_LEN, false);
}

static int t_dma_out(struct iox_dma_test *t, u64 iova)
{
	return iox_edu_dma(&t->edu, iova, 0, T_LEN, true);
}

/*
 * Whether a new fault was reported within @tries waits of 10-20 ms, each
 * after a scan of the unit's fault records if @scan.
 */
static bool t_wait_fault(struct iox_dma_test *t, int before, int tries, bool scan)
{
	int i;

	for (i = 0; i < tries && READ_ONCE(t->faults) == before; i++) {
		if (scan)
			t->be->scan(t);
		usleep_range(10000, 20000);
	}
	return READ_ONCE(t->faults) != before;
}

/* Whether a new fault was reported, scanning the unit for a while. */
static bool t_faulted(struct iox_dma_test *t, int before)
{
	return t_wait_fault(t, before, 50, true);
}

/*
 * Check that a fault was reported, where the hardware reports faults;
 * returns whether the details of the last fault may be checked.
 */
static bool t_check_fault(struct iox_dma_test *t, int before, int line, const char *what)
{
	if (!t->be->reports_faults)
		return false;
	return t_check(t, t_faulted(t, before), line, "no fault for %s", what);
}

/* Load the device buffer with @byte by DMA from page @src mapped at @iova. */
static void t_load_buffer(struct iox_dma_test *t, unsigned int src, u64 iova, u8 byte)
{
	bool ok;

	memset(t_page(t, src), byte, PAGE_SIZE);
	ok = !iox_map(t->domain, iova, t_phys(t, src), SZ_4K, IOX_PROT_READ, GFP_KERNEL);
	if (!T_CHECK(t, ok, "map source"))
		return;
	T_CHECK(t, !t_dma_in(t, iova), "DMA into the device");
	T_CHECK(t, iox_unmap(t->domain, iova, SZ_4K) == SZ_4K, "unmap source");
}

/* Whether DMA out of the device to @iova landed in page @dst. */
static bool t_lands(struct iox_dma_test *t, u64 iova, unsigned int dst, u8 byte)
{
	u8 *p = t_page(t, dst);

	memset(p, 0, PAGE_SIZE);
	if (t_dma_out(t, iova))
		return false;
	return !memchr_inv(p, byte, T_LEN) && !memchr_inv(p + T_LEN, 0, PAGE_SIZE - T_LEN);
}

static void iox_dma_case_mapped_roundtrip(struct iox_dma_test *t)
{
	bool ok;
	static const u64 iovas[] = { SZ_1M, 5ULL * SZ_1G };
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(iovas); i++) {
		u64 iova = iovas[i];

		t_load_buffer(t, 0, iova, 0xa5 + i);
		ok = !iox_map(t->domain, iova + SZ_4K, t_phys(t, 1), SZ_4K, IOX_PROT_WRITE,
			      GFP_KERNEL);
		if (!T_CHECK(t, ok, "map destination"))
			return;
		ok = t_lands(t, iova + SZ_4K, 1, 0xa5 + i);
		T_CHECK(t, ok, "bytes did not arrive at IOVA %#llx", iova + SZ_4K);
		T_CHECK(t, iox_unmap(t->domain, iova + SZ_4K, SZ_4K) == SZ_4K, "unmap");
	}
	T_CHECK(t, t->faults == 0, "%d unexpected faults", t->faults);
}

static void iox_dma_case_unmapped_faults(struct iox_dma_test *t)
{
	bool ok;
	const u64 iova = 0x7000000;
	int before;

	t_load_buffer(t, 0, SZ_1M, 0x3c);
	/* A write to an IOVA nothing maps: fault, and nothing lands. */
	memset(t_page(t, 1), 0, PAGE_SIZE);
	before = t->faults;
	T_CHECK(t, !t_dma_out(t, iova), "DMA out");
	if (t_check_fault(t, before, __LINE__, "a write to an unmapped IOVA")) {
		T_CHECK(t, t->fault_iova == iova, "fault at %#llx, not %#llx", t->fault_iova, iova);
		T_CHECK(t, t->fault_flags == IOX_FAULT_WRITE, "fault flags %#x", t->fault_flags);
		T_CHECK(t, t->fault_dev == &t->edu.pdev->dev, "fault names another device");
	}
	T_CHECK(t, !memchr_inv(t_page(t, 1), 0, PAGE_SIZE), "data landed somewhere");
	/* A read from it: fault, and the device reads zeros. */
	before = t->faults;
	T_CHECK(t, !t_dma_in(t, iova + SZ_8K), "DMA in");
	if (t_check_fault(t, before, __LINE__, "a read")) {
		T_CHECK(t, t->fault_iova == iova + SZ_8K, "read fault at %#llx", t->fault_iova);
		T_CHECK(t, t->fault_flags == IOX_FAULT_READ, "fault flags %#x", t->fault_flags);
	}
	ok = !iox_map(t->domain, SZ_2M, t_phys(t, 2), SZ_4K, IOX_PROT_WRITE, GFP_KERNEL);
	if (!T_CHECK(t, ok, "map"))
		return;
	memset(t_page(t, 2), 0xff, PAGE_SIZE);
	T_CHECK(t, !t_dma_out(t, SZ_2M), "DMA out");
	T_CHECK(t, !memchr_inv(t_page(t, 2), 0, T_LEN), "the faulting read did not read zeros");
	iox_unmap(t->domain, SZ_2M, SZ_4K);
}

/* Warm the IOTLB for @iova, unmap @unmap_len at @unmap_iova, DMA again. */
static void t_unmap_then_fault(struct iox_dma_test *t, u64 iova, unsigned int page,
			       u64 unmap_iova, size_t unmap_len)
{
	bool ok;
	int before;

	if (!T_CHECK(t, t_lands(t, iova, page, 0x5a), "warm-up DMA to %#llx did not land", iova))
		return;
	if (!T_CHECK(t, iox_unmap(t->domain, unmap_iova, unmap_len) == unmap_len, "unmap"))
		return;
	before = t->faults;
	memset(t_page(t, page), 0, PAGE_SIZE);
	T_CHECK(t, !t_dma_out(t, iova), "DMA after unmap");
	ok = !memchr_inv(t_page(t, page), 0, PAGE_SIZE);
	T_CHECK(t, ok, "DMA to %#llx still landed after the unmap: stale IOTLB entry", iova);
	t_check_fault(t, before, __LINE__, "a DMA after the unmap");
}

static void iox_dma_case_strict_unmap(struct iox_dma_test *t)
{
	bool ok;
	const u64 sp = SZ_1G;	/* 2 MiB page at a 2 MiB-aligned IOVA */
	const u64 mid = SZ_1G + SZ_8M;
	unsigned int i;

	t_load_buffer(t, 0, SZ_1M, 0x5a);

	/* A single page. */
	ok = !iox_map(t->domain, SZ_4M, t_phys(t, 1), SZ_4K, IOX_PROT_WRITE, GFP_KERNEL);
	if (!T_CHECK(t, ok, "map"))
		return;
	t_unmap_then_fault(t, SZ_4M, 1, SZ_4M, SZ_4K);

	/* A page inside a 2 MiB mapping: the rest of it keeps working. */
	ok = !iox_map(t->domain, sp, t_phys(t, 512), SZ_2M, IOX_PROT_WRITE, GFP_KERNEL);
	if (!T_CHECK(t, ok, "map 2M"))
		return;
	t_unmap_then_fault(t, sp + 7 * SZ_4K, 512 + 7, sp + 7 * SZ_4K, SZ_4K);
	T_CHECK(t, t_lands(t, sp + 8 * SZ_4K, 512 + 8, 0x5a), "neighbour in the 2M page");
	T_CHECK(t, t_lands(t, sp + 6 * SZ_4K, 512 + 6, 0x5a), "neighbour in the 2M page");

	/* The middle of a 16-page mapping. */
	ok = !iox_map(t->domain, mid, t_phys(t, 16), 16 * SZ_4K, IOX_PROT_WRITE, GFP_KERNEL);
	if (!T_CHECK(t, ok, "map 16 pages"))
		return;
	for (i = 7; i <= 8; i++)
		T_CHECK(t, t_lands(t, mid + i * SZ_4K, 16 + i, 0x5a), "warm page %u", i);
	t_unmap_then_fault(t, mid + 7 * SZ_4K, 16 + 7, mid + 7 * SZ_4K, 2 * SZ_4K);
	T_CHECK(t, !t_lands(t, mid + 8 * SZ_4K, 16 + 8, 0x5a), "page 8 still reachable");
	T_CHECK(t, t_lands(t, mid + 6 * SZ_4K, 16 + 6, 0x5a), "page 6 lost");
	T_CHECK(t, t_lands(t, mid + 9 * SZ_4K, 16 + 9, 0x5a), "page 9 lost");
}

static void iox_dma_case_read_only(struct iox_dma_test *t)
{
	bool ok;
	int before;

	t_load_buffer(t, 0, SZ_1M, 0x77);
	ok = !iox_map(t->domain, SZ_16M, t_phys(t, 3), SZ_4K, IOX_PROT_READ, GFP_KERNEL);
	if (!T_CHECK(t, ok, "map read-only"))
		return;
	memset(t_page(t, 3), 0x11, PAGE_SIZE);
	before = t->faults;
	T_CHECK(t, !t_dma_out(t, SZ_16M), "DMA out");
	if (t_check_fault(t, before, __LINE__, "a write to a read-only page"))
		T_CHECK(t, t->fault_flags == IOX_FAULT_WRITE, "fault flags %#x", t->fault_flags);
	T_CHECK(t, !memchr_inv(t_page(t, 3), 0x11, PAGE_SIZE), "read-only page written");
	/* Reading it is fine. */
	before = t->faults;
	T_CHECK(t, !t_dma_in(t, SZ_16M), "DMA in");
	T_CHECK(t, t->faults == before, "reading a read-only page faulted");
}

#endif /* _IOX_TESTS_DMA_CASES_H */
