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
#include <linux/dma-mapping.h>
#include <linux/iommu.h>
#include <linux/kernel.h>
#include <linux/iox.h>
#include <linux/iox-dma.h>
#include <linux/iox-flush-queue.h>
#include <linux/ktime.h>
#include <linux/kthread.h>
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
 * @inject_inv_errors: make the unit's next @n invalidation batches fail (0
 *	stops); NULL if the backend cannot
 * @unit_faults: the faults the unit recorded so far, of every device (those
 *	in no domain too), after a scan; NULL where it reports none
 * @entry_domid: the domain id edu's device entry in the unit's table (not
 *	what the unit may have cached of it) translates with; -ENOENT if the
 *	entry blocks edu, -EOPNOTSUPP if it passes edu's DMA through
 * @resync: make the unit drop what it cached of edu's device entry, so that
 *	it reads the entry from the table next; 0 or an errno.  NULL where the
 *	unit reads the entry on every walk
 */
struct iox_dma_backend {
	const char *prefix;
	void (*scan)(struct iox_dma_test *t);
	bool reports_faults;
	void (*inject_inv_errors)(struct iox_dma_test *t, int n);
	u64 (*unit_faults)(struct iox_dma_test *t);
	int (*entry_domid)(struct iox_dma_test *t);
	int (*resync)(struct iox_dma_test *t);
};

/**
 * struct iox_dma_test - the state of one DMA test
 * @priv: the includer's context (the struct kunit, for KUnit)
 * @be: the backend of the unit under test
 * @polled: the unit was told to poll for faults (iox-intel fault_irq=0);
 *	else they must come by the fault event interrupt
 * @detached: iox_dma_test_setup() leaves edu in no domain (@domain NULL)
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
	bool detached;
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
 * @t->be's (unless @t->detached); 0 or an errno.
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
	if (t->detached)
		return 0;
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

/*
 * DMA out of the device to @iova, which nothing maps any more, @what
 * happened: it must not land in page @page (and must fault, where the
 * hardware reports faults).
 */
static void t_check_gone(struct iox_dma_test *t, u64 iova, unsigned int page, const char *what)
{
	int before = t->faults;

	memset(t_page(t, page), 0, PAGE_SIZE);
	T_CHECK(t, !t_dma_out(t, iova), "DMA %s", what);
	T_CHECK(t, !memchr_inv(t_page(t, page), 0, PAGE_SIZE), "DMA to %#llx landed %s", iova,
		what);
	t_check_fault(t, before, __LINE__, what);
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

/*
 * iox_lookup() tells the leaf a mapping ended up in (a 2 MiB page where
 * IOVA and physical address allow it, else 4 KiB pages) with its
 * permissions, and iox_domain_pgtable_info() the table's levels and pages;
 * both work on every backend.
 */
static void iox_dma_case_lookup(struct iox_dma_test *t)
{
	struct iox_pgtable_info info;
	struct iox_mapping m;
	int ret;

	if (!T_CHECK(t, !iox_map(t->domain, SZ_1G, t_phys(t, 512), SZ_2M, IOX_PROT_WRITE,
				 GFP_KERNEL), "map 2M") ||
	    !T_CHECK(t, !iox_map(t->domain, SZ_4M, t_phys(t, 3), SZ_4K,
				 IOX_PROT_READ | IOX_PROT_WRITE, GFP_KERNEL), "map 4K"))
		return;
	ret = iox_lookup(t->domain, SZ_1G + 5 * SZ_4K + 0x10, &m);
	T_CHECK(t, !ret, "lookup in the 2M page gave %d", ret);
	T_CHECK(t, !ret && m.iova == SZ_1G && m.size == SZ_2M &&
		m.paddr == t_phys(t, 517) + 0x10 && (m.prot & IOX_PROT_WRITE),
		"2M leaf: iova %#llx size %#llx paddr %pa prot %#x", m.iova, m.size, &m.paddr,
		m.prot);
	ret = iox_lookup(t->domain, SZ_4M, &m);
	T_CHECK(t, !ret && m.iova == SZ_4M && m.size == SZ_4K && m.paddr == t_phys(t, 3),
		"4K leaf: %d, iova %#llx size %#llx", ret, m.iova, m.size);
	ret = iox_lookup(t->domain, SZ_4M + SZ_4K, &m);
	T_CHECK(t, ret == -ENOENT, "lookup of an unmapped IOVA gave %d", ret);
	ret = iox_domain_pgtable_info(t->domain, &info);
	T_CHECK(t, !ret && info.levels >= 3 && info.pages_live > info.levels,
		"pgtable info %d: %u levels, %ld pages", ret, info.levels, info.pages_live);
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

/* Move edu from the test's domain into an iox DMA domain: that or NULL. */
static struct iox_domain *t_dma_api_enter(struct iox_dma_test *t,
					  enum iox_dma_policy policy)
{
	struct device *dev = &t->edu.pdev->dev;
	struct iox_domain *domain;

	iox_detach_device(t->domain, dev);
	if (!T_CHECK(t, !iox_dma_attach(dev, policy), "iox_dma_attach")) {
		T_CHECK(t, !iox_attach_device(t->domain, dev), "attach back");
		return NULL;
	}
	domain = iox_device_domain(dev);
	iox_domain_set_fault_handler(domain, iox_dma_test_fault, t);
	T_CHECK(t, !dma_set_mask_and_coherent(dev, DMA_BIT_MASK(64)), "mask");
	return domain;
}

static void t_dma_api_leave(struct iox_dma_test *t)
{
	struct device *dev = &t->edu.pdev->dev;

	T_CHECK(t, !iox_dma_detach(dev), "iox_dma_detach");
	T_CHECK(t, !iox_attach_device(t->domain, dev), "attach back");
}

/*
 * Map @buf with dma_map_single() and send @byte through the device and
 * back.  Return: the address, still mapped, or DMA_MAPPING_ERROR.
 */
static dma_addr_t t_dma_api_roundtrip(struct iox_dma_test *t, u8 *buf, u8 byte)
{
	struct device *dev = &t->edu.pdev->dev;
	dma_addr_t addr;

	memset(buf, byte, T_LEN);
	addr = dma_map_single(dev, buf, T_LEN, DMA_BIDIRECTIONAL);
	if (!T_CHECK(t, !dma_mapping_error(dev, addr), "dma_map_single"))
		return DMA_MAPPING_ERROR;
	T_CHECK(t, !t_dma_in(t, addr), "DMA into the device");
	memset(buf, 0, T_LEN);
	T_CHECK(t, !t_dma_out(t, addr), "DMA out of the device");
	T_CHECK(t, !memchr_inv(buf, byte, T_LEN), "round trip through the DMA API");
	return addr;
}

/*
 * Through the DMA API: edu in a strict iox DMA domain (iox_dma_attach()).
 * A buffer from dma_map_single() round-trips at a PCI address below 4 GiB
 * keeping its offset; after dma_unmap_single() a DMA to the same address
 * no longer lands (and faults, where the hardware reports faults) although
 * the IOTLB held its translation: the unmap invalidated before returning.
 */
static void iox_dma_case_dma_api_strict(struct iox_dma_test *t)
{
	struct device *dev = &t->edu.pdev->dev;
	u8 *buf = t_page(t, 0) + 0x100;
	struct iox_domain *domain;
	dma_addr_t addr;
	int before;

	domain = t_dma_api_enter(t, IOX_DMA_STRICT);
	if (!domain)
		return;
	T_CHECK(t, !iox_dma_is_lazy(dev), "domain is lazy");
	addr = t_dma_api_roundtrip(t, buf, 0x6b);
	if (addr == DMA_MAPPING_ERROR)
		goto leave;
	T_CHECK(t, addr <= DMA_BIT_MASK(32), "PCI address %pad not below 4G", &addr);
	T_CHECK(t, (addr & ~PAGE_MASK) == 0x100, "offset lost: %pad", &addr);
	T_CHECK(t, iox_iova_to_phys(domain, addr) == virt_to_phys(buf), "translation");

	dma_unmap_single(dev, addr, T_LEN, DMA_BIDIRECTIONAL);
	before = t->faults;
	memset(buf, 0, T_LEN);
	T_CHECK(t, !t_dma_out(t, addr), "DMA after unmap");
	T_CHECK(t, !memchr_inv(buf, 0, T_LEN),
		"DMA to %pad landed after dma_unmap_single(): not invalidated", &addr);
	t_check_fault(t, before, __LINE__, "a DMA after dma_unmap_single()");
leave:
	t_dma_api_leave(t);
}

/*
 * A lazy unmap of a buffer the IOTLB holds, the timer's flush, then a DMA
 * to its old address: it must not land.  No map runs in between (a map
 * may invalidate, on a unit caching not-present entries).
 */
static void t_dma_api_lazy_flushed(struct iox_dma_test *t, struct iox_flush_queue *fq, u8 *buf)
{
	struct device *dev = &t->edu.pdev->dev;
	struct iox_fq_stats st;
	dma_addr_t addr;
	unsigned int i;

	addr = t_dma_api_roundtrip(t, buf, 0x4e);
	if (addr == DMA_MAPPING_ERROR)
		return;
	dma_unmap_single(dev, addr, T_LEN, DMA_BIDIRECTIONAL);
	iox_fq_get_stats(fq, &st);
	for (i = 0; i < 100 && st.pending; i++) {
		msleep(fq->timeout_ms);
		iox_fq_get_stats(fq, &st);
	}
	if (!T_CHECK(t, !st.pending, "%ld unmaps still pending", st.pending))
		return;
	memset(buf, 0, T_LEN);
	T_CHECK(t, !t_dma_out(t, addr), "DMA after the flush");
	T_CHECK(t, !memchr_inv(buf, 0, T_LEN),
		"DMA to %pad landed after the lazy unmap was flushed: not invalidated", &addr);
}

/*
 * Lazy DMA domain: a round trip works; many map/unmap pairs cost one
 * domain-wide flush per full ring of a CPU (plus the timer's), never one
 * per unmap; no more unmaps wait than the rings hold; the timer empties
 * the queue, and its flush really invalidates: a buffer whose translation
 * the IOTLB held when it was unmapped is out of the device's reach once
 * the queue is empty.  The measured window is printed.
 */
static void iox_dma_case_dma_api_lazy(struct iox_dma_test *t)
{
	struct device *dev = &t->edu.pdev->dev;
	const unsigned int n = 1000;
	u8 *buf = t_page(t, 0);
	struct iox_flush_queue *fq;
	struct iox_domain *domain;
	struct iox_fq_stats st;
	dma_addr_t addr;
	unsigned int i;
	u64 t0, ms;

	domain = t_dma_api_enter(t, IOX_DMA_LAZY);
	if (!domain)
		return;
	fq = domain->fq;
	if (!T_CHECK(t, iox_dma_is_lazy(dev) && fq, "domain is not lazy"))
		goto leave;
	addr = t_dma_api_roundtrip(t, buf, 0x3d);
	if (addr == DMA_MAPPING_ERROR)
		goto leave;
	dma_unmap_single(dev, addr, T_LEN, DMA_BIDIRECTIONAL);

	t0 = ktime_get_ns();
	for (i = 0; i < n; i++) {
		addr = dma_map_single(dev, buf, T_LEN, DMA_TO_DEVICE);
		if (!T_CHECK(t, !dma_mapping_error(dev, addr), "map %u", i))
			break;
		dma_unmap_single(dev, addr, T_LEN, DMA_TO_DEVICE);
	}
	iox_fq_get_stats(fq, &st);
	T_CHECK(t, st.queued == n + 1, "%llu unmaps queued", st.queued);
	T_CHECK(t, st.full_flushes <= (n + 1) / fq->entries,
		"%llu full-ring flushes for %u unmaps, %u per ring", st.full_flushes,
		n + 1, fq->entries);
	T_CHECK(t, st.max_pending <= (long)fq->entries * num_possible_cpus(),
		"%ld unmaps pending", st.max_pending);
	/* The timer flushes what is left. */
	for (i = 0; i < 100 && st.pending; i++) {
		msleep(fq->timeout_ms);
		iox_fq_get_stats(fq, &st);
	}
	ms = div_u64(ktime_get_ns() - t0, NSEC_PER_MSEC);
	T_CHECK(t, !st.pending, "%ld unmaps still pending", st.pending);
	/* Only full rings and the timer flush; the timer once per timeout. */
	T_CHECK(t, st.flushes == st.full_flushes + st.timer_flushes,
		"%llu flushes, %llu full, %llu timer", st.flushes, st.full_flushes,
		st.timer_flushes);
	T_CHECK(t, st.timer_flushes <= div_u64(ms, fq->timeout_ms) + 1,
		"%llu timer flushes in %llu ms", st.timer_flushes, ms);
	pr_info("iox: lazy DMA domain: %llu unmaps, %llu flushes (%llu ring full, %llu timer), max %ld pending, longest window %llu ns (bounds %u per CPU, %u ms)\n",
		st.queued, st.flushes, st.full_flushes, st.timer_flushes, st.max_pending,
		st.max_window_ns, fq->entries, fq->timeout_ms);
	t_dma_api_lazy_flushed(t, fq, buf);
leave:
	t_dma_api_leave(t);
}

/*
 * An invalidation that fails (the backend's inject_inv_errors hook: on
 * VT-d an invalid descriptor makes the hardware report IQE, or without a
 * queue the invalidation is skipped; on AMD-Vi the command batch is not
 * submitted): the strict unmap reports it, and the page-table pages the
 * unmap emptied are kept, not freed, until a domain-wide flush succeeds.
 * That flush really invalidates: DMA to the old IOVA does not land (and
 * faults, where the hardware reports faults) afterwards.
 */
static void iox_dma_case_sync_error_keeps_tables(struct iox_dma_test *t)
{
	const u64 iova = SZ_1G;	/* 512 4K pages fill one leaf table */
	ssize_t ret;
	bool ok;

	if (!t->be->inject_inv_errors) {
		t_skip(t, "the backend cannot make an invalidation fail");
		return;
	}
	t_load_buffer(t, 0, SZ_1M, 0x6b);
	/* Physical address off 2M alignment: 4K pages only. */
	ok = !iox_map(t->domain, iova, t_phys(t, 1), SZ_2M, IOX_PROT_WRITE, GFP_KERNEL);
	if (!T_CHECK(t, ok, "map 512 pages"))
		return;
	if (!T_CHECK(t, t_lands(t, iova, 1, 0x6b), "warm-up DMA did not land"))
		return;
	t->be->inject_inv_errors(t, 1);
	ret = iox_unmap(t->domain, iova, SZ_2M);
	t->be->inject_inv_errors(t, 0);
	T_CHECK(t, ret == -EIO, "unmap with a failing invalidation gave %zd, not -EIO", ret);
	/* The leaf table, emptied by an unmap of its whole span. */
	T_CHECK(t, atomic_long_read(&t->domain->nr_kept_pages) > 0,
		"the page-table pages the unmap emptied were not kept");
	T_CHECK(t, !iox_flush_all(t->domain), "flush after the failure");
	T_CHECK(t, !atomic_long_read(&t->domain->nr_kept_pages),
		"kept pages not released by a successful flush");
	t_check_gone(t, iova, 1, "after the flush (a stale IOTLB entry)");
}

/*
 * A detach whose invalidation fails (the backend's inject_inv_errors hook)
 * leaves no partial state: edu stays attached to the domain, and its device
 * entry in the table names the domain's id as the attach left it, not the
 * blocked entry a detach writes.  Once the unit dropped what it had cached
 * of the entry, edu's DMA still translates through the domain (at an IOVA
 * not used before, which no IOTLB entry serves).  A retried detach then
 * takes the entry away.
 */
static void iox_dma_case_detach_failure_keeps_entry(struct iox_dma_test *t)
{
	struct device *dev = &t->edu.pdev->dev;
	const u64 iova = SZ_32M;
	int id, now, ret;
	bool ok;

	if (!t->be->inject_inv_errors) {
		t_skip(t, "the backend cannot make an invalidation fail");
		return;
	}
	id = t->be->entry_domid(t);
	if (!T_CHECK(t, id >= 0, "the entry of attached edu does not translate (%d)", id))
		return;
	t_load_buffer(t, 0, SZ_1M, 0x4b);
	ok = !iox_map(t->domain, iova, t_phys(t, 1), SZ_4K, IOX_PROT_WRITE, GFP_KERNEL);
	if (!T_CHECK(t, ok, "map"))
		return;
	t->be->inject_inv_errors(t, 1);
	ret = iox_detach_device(t->domain, dev);
	t->be->inject_inv_errors(t, 0);
	if (!T_CHECK(t, ret == -EIO, "detach with a failed invalidation gave %d", ret)) {
		if (!ret)
			T_CHECK(t, !iox_attach_device(t->domain, dev), "attach back");
		return;
	}
	T_CHECK(t, iox_device_domain(dev) == t->domain, "edu left the domain");
	now = t->be->entry_domid(t);
	T_CHECK(t, now == id,
		"after the failed detach edu's entry has domain id %d, not the domain's %d",
		now, id);
	if (t->be->resync)
		T_CHECK(t, !t->be->resync(t), "invalidation of edu's entry");
	T_CHECK(t, t_lands(t, iova, 1, 0x4b),
		"DMA of edu, still attached, did not land through the domain");
	T_CHECK(t, iox_unmap(t->domain, iova, SZ_4K) == SZ_4K, "unmap");
	ret = iox_detach_device(t->domain, dev);
	now = t->be->entry_domid(t);
	T_CHECK(t, !ret && now < 0, "retried detach gave %d, entry domain id %d", ret, now);
	T_CHECK(t, !iox_attach_device(t->domain, dev), "attach back");
}

#define T_RACE_IOVA	SZ_256M

/* In the attach, once edu's device entry points at the domain's table. */
static void t_attach_live(void *data)
{
	struct iox_dma_test *t = data;

	t->race_landed = t_lands(t, T_RACE_IOVA, 1, 0x2d);
	t->race_unmapped = iox_unmap(t->domain, T_RACE_IOVA, SZ_4K);
}

/*
 * A strict unmap that runs while a device is being attached, after its
 * device entry went live: the unit must already be in the domain's set of
 * units the sync invalidates, or the device keeps the old translation.  A
 * test hook (iox_test_set_attach_hook()) runs a DMA (which fills the
 * IOTLB) and the unmap at that point of the attach.
 */
static void iox_dma_case_attach_race(struct iox_dma_test *t)
{
	struct device *dev = &t->edu.pdev->dev;
	bool ok;
	int ret;

	t_load_buffer(t, 0, SZ_1M, 0x2d);
	if (!T_CHECK(t, !iox_detach_device(t->domain, dev), "detach"))
		return;
	ok = !iox_map(t->domain, T_RACE_IOVA, t_phys(t, 1), SZ_4K, IOX_PROT_WRITE,
		      GFP_KERNEL);
	iox_test_set_attach_hook(t_attach_live, t);
	ret = iox_attach_device(t->domain, dev);
	iox_test_set_attach_hook(NULL, NULL);
	if (!T_CHECK(t, ok && !ret, "map %d, attach %d", ok, ret))
		return;
	T_CHECK(t, t->race_landed, "DMA in the middle of the attach did not land");
	T_CHECK(t, t->race_unmapped == SZ_4K, "unmap in the attach gave %zd",
		t->race_unmapped);
	t_check_gone(t, T_RACE_IOVA, 1,
		     "after the unmap in the attach (the sync missed the unit)");
}

/**
 * struct t_unmapper - a thread mapping and unmapping strictly, in a loop
 * @t: the test
 * @base: first of the 16 IOVAs it uses
 * @rounds: map/unmap rounds done
 * @errors: rounds that failed
 */
struct t_unmapper {
	struct iox_dma_test *t;
	u64 base;
	unsigned long rounds;
	unsigned long errors;
};

static int t_unmapper_fn(void *data)
{
	struct t_unmapper *u = data;
	struct iox_domain *domain = u->t->domain;

	while (!kthread_should_stop()) {
		u64 iova = u->base + (u->rounds % 16) * SZ_4K;

		if (iox_map(domain, iova, t_phys(u->t, 2), SZ_4K, IOX_PROT_READ, GFP_KERNEL) ||
		    iox_unmap(domain, iova, SZ_4K) != SZ_4K)
			u->errors++;
		u->rounds++;
		cond_resched();
	}
	return 0;
}

/*
 * Threads unmap strictly while edu is detached and attached again and
 * again, so that the domain's unit set changes under their syncs (lockdep
 * and KASAN watch it); afterwards a strict unmap still leaves no stale
 * translation.
 */
static void iox_dma_case_attach_detach_stress(struct iox_dma_test *t)
{
	struct device *dev = &t->edu.pdev->dev;
	struct t_unmapper u[2] = {};
	struct task_struct *task[2];
	int i, attach_errors = 0;
	bool ok;

	for (i = 0; i < 2; i++) {
		u[i].t = t;
		u[i].base = SZ_512M + i * SZ_1M;
		task[i] = kthread_run(t_unmapper_fn, &u[i], "iox-unmap%d", i);
		if (!T_CHECK(t, !IS_ERR(task[i]), "thread %d", i)) {
			while (i--)
				kthread_stop(task[i]);
			return;
		}
	}
	/* A thread stopped before it first ran would never unmap: let both start. */
	for (i = 0; i < 2; i++) {
		int tries = 0;

		while (!READ_ONCE(u[i].rounds) && tries++ < 100)
			usleep_range(1000, 2000);
	}
	for (i = 0; i < 100; i++)
		attach_errors += !!iox_detach_device(t->domain, dev) +
				 !!iox_attach_device(t->domain, dev);
	for (i = 0; i < 2; i++)
		kthread_stop(task[i]);
	T_CHECK(t, !attach_errors, "%d attach/detach failures", attach_errors);
	for (i = 0; i < 2; i++)
		T_CHECK(t, u[i].rounds && !u[i].errors, "thread %d: %lu of %lu rounds failed",
			i, u[i].errors, u[i].rounds);
	if (attach_errors || iox_device_domain(dev) != t->domain)
		return;
	t_load_buffer(t, 0, SZ_1M, 0x5a);
	ok = !iox_map(t->domain, SZ_8M, t_phys(t, 1), SZ_4K, IOX_PROT_WRITE, GFP_KERNEL);
	if (T_CHECK(t, ok, "map"))
		t_unmap_then_fault(t, SZ_8M, 1, SZ_8M, SZ_4K);
}

static const struct pci_device_id t_edu_ids[] = {
	{ PCI_DEVICE(EDU_VENDOR, EDU_DEVICE) },
	{ }
};

static int t_edu_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	return dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(64));
}

static void t_edu_remove(struct pci_dev *pdev)
{
}

/* A driver of edu that uses the DMA API, bound and unbound by the test. */
static struct pci_driver t_edu_driver = {
	.name = "iox-edu-test",
	.id_table = t_edu_ids,
	.probe = t_edu_probe,
	.remove = t_edu_remove,
};

/* Bind t_edu_driver to edu: edu's DMA domain from the DMA layer, or NULL. */
static struct iox_domain *t_edu_bind(struct iox_dma_test *t)
{
	struct device *dev = &t->edu.pdev->dev;
	struct iox_domain *domain;

	if (!T_CHECK(t, !pci_register_driver(&t_edu_driver), "register the driver"))
		return NULL;
	domain = iox_device_domain(dev);
	if (!domain || !domain->dma || dev->driver != &t_edu_driver.driver) {
		pci_unregister_driver(&t_edu_driver);
		return NULL;
	}
	return domain;
}

/* Whether edu's DMA out of the device lands at bus address @addr (in @buf). */
static bool t_edu_lands(struct iox_dma_test *t, dma_addr_t addr, u8 *buf, u8 byte)
{
	memset(buf, 0, T_LEN);
	return !t_dma_out(t, addr) && !memchr_inv(buf, byte, T_LEN);
}

/* Whether @dev is in a DMA domain of the IOMMU API (default domain). */
static bool t_iommu_api_dma_domain(struct device *dev)
{
	struct iommu_domain *domain = iommu_get_domain_for_dev(dev);

	return domain && iommu_is_dma_domain(domain);
}

/*
 * A driver that uses the DMA API binds to edu and gets a DMA domain from
 * the DMA layer's bus notifier (or, edu being in an IOMMU group of iox, from
 * its DMA default domain: the default, built in too).  When it unbinds, the
 * domain is freed and
 * edu is blocked: DMA to the address the driver had mapped (left mapped,
 * or unmapped and maybe still queued) and to the buffer's physical address
 * (which pass-through would reach) lands nowhere.  A rebind gets a working
 * domain again.  Asking for pass-through explicitly gives it, where the
 * same physical DMA lands (so the blocked check could fail); letting the
 * policy decide again blocks edu, which has no driver, again.
 */
static void iox_dma_case_unbind_blocks(struct iox_dma_test *t)
{
	struct device *dev = &t->edu.pdev->dev;
	u8 *buf = t_page(t, 0);
	phys_addr_t phys = virt_to_phys(buf);
	struct iox_domain *domain;
	dma_addr_t addr;
	int round;

	T_CHECK(t, !iox_detach_device(t->domain, dev), "detach from the test's domain");
	for (round = 0; round < 2; round++) {
		domain = t_edu_bind(t);
		if (!T_CHECK(t, domain, "no DMA domain on %s", round ? "rebind" : "bind"))
			goto out;
		addr = t_dma_api_roundtrip(t, buf, 0x5a + round);
		if (addr == DMA_MAPPING_ERROR) {
			pci_unregister_driver(&t_edu_driver);
			goto out;
		}
		/*
		 * The translation is in the IOTLB.  The first time the driver
		 * unbinds with the buffer still mapped (a driver bug: the
		 * mapping goes with the domain); the second time it unmaps
		 * first, and in a lazy domain the address stays reachable
		 * until the queue flushes.  The unbind must cut both.
		 */
		T_CHECK(t, t_edu_lands(t, addr, buf, 0x5a + round), "DMA while bound");
		/* A DMA domain of the IOMMU API is the IOMMU core's to detach. */
		if (!round && t_iommu_api_dma_domain(dev)) {
			int ret = iox_dma_detach(dev);

			T_CHECK(t, ret == -EBUSY && iox_device_domain(dev) == domain,
				"iox_dma_detach() of the IOMMU API's DMA domain: %d", ret);
		}
		if (round)
			dma_unmap_single(dev, addr, T_LEN, DMA_BIDIRECTIONAL);
		pci_unregister_driver(&t_edu_driver);

		T_CHECK(t, !iox_device_domain(dev), "a domain is left after unbind");
		T_CHECK(t, iox_device_blocked(dev), "edu is not blocked after unbind");
		T_CHECK(t, !t_edu_lands(t, addr, buf, 0x5a + round),
			"DMA to %pad landed after unbind", &addr);
		T_CHECK(t, !t_edu_lands(t, phys, buf, 0x5a + round),
			"DMA to physical %pa landed after unbind", &phys);
	}
	T_CHECK(t, !iox_device_set_blocked(dev, false), "unblock");
	T_CHECK(t, t_edu_lands(t, phys, buf, 0x5a + round - 1),
		"DMA to physical %pa did not land in pass-through", &phys);
	T_CHECK(t, !iox_device_reset_blocked(dev), "back to the policy");
	T_CHECK(t, iox_device_blocked(dev), "edu without a driver is not blocked");
	T_CHECK(t, !t_edu_lands(t, phys, buf, 0x5a + round - 1),
		"DMA to physical %pa landed, edu having no driver", &phys);
out:
	iox_device_reset_blocked(dev);
	T_CHECK(t, !iox_attach_device(t->domain, dev), "attach back");
}

/*
 * Whether edu's DMA reaches memory at physical addresses: a transfer into
 * the device from page 2 (filled with 0x3c) and back out to page 3 carries
 * the bytes only if both directions pass untranslated.
 */
static bool t_untranslated(struct iox_dma_test *t)
{
	memset(t_page(t, 2), 0x3c, T_LEN);
	memset(t_page(t, 3), 0, PAGE_SIZE);
	return !t_dma_in(t, t_phys(t, 2)) && !t_dma_out(t, t_phys(t, 3)) &&
	       !memchr_inv(t_page(t, 3), 0x3c, T_LEN);
}

/* Whether the unit recorded a fault after @before, within a second. */
static bool t_unit_faulted(struct iox_dma_test *t, u64 before)
{
	int i;

	for (i = 0; i < 50 && t->be->unit_faults(t) == before; i++)
		usleep_range(10000, 20000);
	return t->be->unit_faults(t) != before;
}

/*
 * edu, which has no driver, is in no domain: it is blocked.  Its DMA
 * reaches no memory (and faults, where the unit reports faults).  Passed
 * through on request, the same DMA lands (so that the check can fail);
 * the policy deciding again blocks it again.
 */
static void t_check_driverless_blocked(struct iox_dma_test *t)
{
	struct device *dev = &t->edu.pdev->dev;
	u64 before = t->be->unit_faults ? t->be->unit_faults(t) : 0;

	T_CHECK(t, !dev->driver, "edu has a driver");
	T_CHECK(t, !iox_device_domain(dev), "edu is in a domain");
	T_CHECK(t, iox_device_blocked(dev), "edu without a driver is not blocked");
	T_CHECK(t, !t_untranslated(t), "DMA of edu without a driver reached memory");
	if (t->be->unit_faults)
		T_CHECK(t, t_unit_faulted(t, before), "the unit recorded no fault for it");
	if (!T_CHECK(t, !iox_device_set_blocked(dev, false), "pass-through on request"))
		return;
	T_CHECK(t, !iox_device_blocked(dev), "edu is blocked in spite of the request");
	T_CHECK(t, t_untranslated(t), "DMA in pass-through did not reach memory");
	T_CHECK(t, !iox_device_reset_blocked(dev), "back to the policy");
	T_CHECK(t, iox_device_blocked(dev), "edu is not blocked again");
	T_CHECK(t, !t_untranslated(t), "DMA reached memory with edu blocked again");
}

/*
 * Set up with @t->detached: edu has been in no domain since its unit came
 * up, and is blocked since then.
 */
static void iox_dma_case_blocked_from_load(struct iox_dma_test *t)
{
	t_check_driverless_blocked(t);
}

/* Whether edu was in a DMA domain while t_edu_failing_driver probed. */
static bool t_probe_dma_domain;

static int t_edu_probe_fails(struct pci_dev *pdev, const struct pci_device_id *id)
{
	int ret = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(64));
	struct iox_domain *domain = iox_device_domain(&pdev->dev);

	/* The domain goes with the failed probe: look at it now. */
	t_probe_dma_domain = domain && domain->dma;
	return ret ?: -ENODEV;
}

/* A driver of edu that uses the DMA API and whose probe fails. */
static struct pci_driver t_edu_failing_driver = {
	.name = "iox-edu-fail",
	.id_table = t_edu_ids,
	.probe = t_edu_probe_fails,
};

/*
 * A driver whose probe fails leaves edu without a driver, as an unbind
 * does: edu goes from the DMA domain it was given for the probe straight
 * to the blocked state.  The driver core still names the failed driver
 * while it announces the failure (BUS_NOTIFY_DRIVER_NOT_BOUND); counted as
 * a driver using the DMA API, it would leave edu passed through.
 */
static void iox_dma_case_probe_failure_blocks(struct iox_dma_test *t)
{
	struct device *dev = &t->edu.pdev->dev;

	T_CHECK(t, !iox_detach_device(t->domain, dev), "detach from the test's domain");
	t_probe_dma_domain = false;
	if (!T_CHECK(t, !pci_register_driver(&t_edu_failing_driver), "register the driver"))
		goto out;
	T_CHECK(t, t_probe_dma_domain, "edu was in no DMA domain while its driver probed");
	t_check_driverless_blocked(t);
	pci_unregister_driver(&t_edu_failing_driver);
out:
	iox_device_reset_blocked(dev);
	T_CHECK(t, !iox_attach_device(t->domain, dev), "attach back");
}

/* A test domain replaces the blocked state; its detach blocks edu again. */
static void iox_dma_case_detach_blocks(struct iox_dma_test *t)
{
	bool ok;

	t_load_buffer(t, 0, SZ_1M, 0x77);
	ok = !iox_map(t->domain, SZ_2M, t_phys(t, 1), SZ_4K, IOX_PROT_WRITE, GFP_KERNEL);
	if (!T_CHECK(t, ok, "map"))
		return;
	T_CHECK(t, t_lands(t, SZ_2M, 1, 0x77), "DMA through the test's domain did not land");
	T_CHECK(t, iox_unmap(t->domain, SZ_2M, SZ_4K) == SZ_4K, "unmap");
	if (!T_CHECK(t, !t_free_domain(t), "detach and free"))
		return;
	t_check_driverless_blocked(t);
}

#endif /* _IOX_TESTS_DMA_CASES_H */
