// SPDX-License-Identifier: GPL-2.0
/*
 * iox VT-d backend: queued invalidation (VT-d specification 6.5.2).
 *
 * Descriptors go into a ring of 256 128-bit entries; software advances the
 * tail (IQT), hardware the head (IQH).  Every batch ends with a wait
 * descriptor that writes the batch's sequence number to a status word, and
 * the submitter polls that word: once it holds the batch's number or a
 * later one, hardware has finished every descriptor before it (waits are
 * fenced, so batches complete in order).  The wait uses the status write
 * only: asking for an interrupt as well (SW and IF together) is not
 * something every implementation handles.
 *
 * The submitter polls with interrupts off for a few microseconds; if the
 * batch is not done by then and the caller had interrupts on, the lock is
 * dropped and interrupts let in between polls, so that a slow or stuck
 * queue never keeps interrupts off for long.  Other submitters may then
 * queue behind the batch.  A batch that does not complete in time is left
 * where it is: descriptors hardware has not fetched yet (from IQH to the
 * tail) are never overwritten, and new batches wait for room.
 *
 * Errors: an invalid descriptor (IQE) stops hardware at it; it is replaced
 * by a harmless wait, hardware goes on, and the batch it belonged to fails
 * with -EIO.  A device-TLB invalidation time-out (ITE) drops the pending
 * waits: their batches fail with -ETIMEDOUT.
 */
#define pr_fmt(fmt) "iox-intel: " fmt

#include <linux/delay.h>
#include <linux/io.h>
#include <linux/iopoll.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include "vtd.h"

#define VTD_QI_TIMEOUT_NS	(1000 * NSEC_PER_MSEC)
/* A caller that came with interrupts off is not kept longer than this. */
#define VTD_QI_ATOMIC_TIMEOUT_NS	(10 * NSEC_PER_MSEC)
/* Polling with interrupts off before they are let in between polls. */
#define VTD_QI_SPIN_NS		(20 * NSEC_PER_USEC)

#define VTD_DESC_WAIT		5
#define VTD_DESC_TYPE		GENMASK_ULL(3, 0)
#define VTD_WAIT_SW		BIT_ULL(5)
#define VTD_WAIT_FN		BIT_ULL(6)

/**
 * struct iox_vtd_qi_batch - one submission being waited for
 * @need: ring slots the batch takes, its wait included
 * @seq: the number its wait writes
 * @ite_gen: @qi.ite_gen when it was submitted
 * @timeout: how long it may take, from its first wait on, in ns
 * @deadline: the end of that time; 0 until it first waited
 */
struct iox_vtd_qi_batch {
	unsigned int need;
	u32 seq;
	u32 ite_gen;
	u64 timeout;
	ktime_t deadline;
};

static struct iox_vtd_desc iox_vtd_wait_desc(u32 data, u32 *status)
{
	/* The fence makes later descriptors wait for this one to complete. */
	return (struct iox_vtd_desc){
		.lo = VTD_DESC_WAIT | VTD_WAIT_SW | VTD_WAIT_FN | ((u64)data << 32),
		.hi = virt_to_phys(status),
	};
}

static unsigned int iox_vtd_qi_head(struct iox_vtd_unit *vtd)
{
	return (readq(vtd->regs + VTD_IQH_REG) >> VTD_IQ_SHIFT) % VTD_QI_ENTRIES;
}

/* Whether the batch whose wait writes @seq has completed. */
static bool iox_vtd_qi_done(struct iox_vtd_qi *qi, u32 seq)
{
	return (s32)(READ_ONCE(qi->status[0]) - seq) >= 0;
}

/*
 * Room for the batch between the tail and the first unfetched descriptor.
 * Once the last batch submitted has completed, hardware has fetched every
 * descriptor up to the tail and the whole ring is free: only otherwise is
 * the head register read (an MMIO access, an exit under emulation).
 */
static bool iox_vtd_qi_has_room(struct iox_vtd_unit *vtd, const struct iox_vtd_qi_batch *b)
{
	unsigned int head;

	if (iox_vtd_qi_done(&vtd->qi, vtd->qi.seq))
		return true;
	head = iox_vtd_qi_head(vtd);

	return (head + VTD_QI_ENTRIES - vtd->qi.tail - 1) % VTD_QI_ENTRIES >= b->need;
}

static bool iox_vtd_qi_ended(struct iox_vtd_unit *vtd, const struct iox_vtd_qi_batch *b)
{
	return iox_vtd_qi_done(&vtd->qi, b->seq) || READ_ONCE(vtd->qi.ite_gen) != b->ite_gen;
}

/* The batch the descriptor at @head belongs to failed: its wait follows it. */
static void iox_vtd_qi_mark_failed(struct iox_vtd_qi *qi, unsigned int head)
{
	u64 status = virt_to_phys(&qi->status[0]);
	unsigned int idx;

	for (idx = (head + 1) % VTD_QI_ENTRIES; idx != qi->tail;
	     idx = (idx + 1) % VTD_QI_ENTRIES) {
		const struct iox_vtd_desc *d = &qi->ring[idx];

		if (FIELD_GET(VTD_DESC_TYPE, d->lo) == VTD_DESC_WAIT && d->hi == status) {
			set_bit(upper_32_bits(d->lo) % VTD_QI_SEQ_BITS, qi->failed);
			return;
		}
	}
}

/*
 * Hardware stopped at an invalid descriptor (IQE): replace it with a wait
 * that writes the scratch status word, then let hardware go on with the
 * rest of the ring.
 */
static void iox_vtd_qi_recover_iqe(struct iox_vtd_unit *vtd)
{
	struct iox_vtd_qi *qi = &vtd->qi;
	unsigned int head = iox_vtd_qi_head(vtd);

	pr_err_ratelimited("%s: invalid invalidation descriptor %#llx %#llx at %u, skipped\n",
			   vtd->unit.name, qi->ring[head].lo, qi->ring[head].hi, head);
	iox_vtd_qi_mark_failed(qi, head);
	qi->ring[head] = iox_vtd_wait_desc(0, &qi->status[1]);
	/* The replacement must be in memory before hardware restarts. */
	wmb();
	writel(VTD_FSTS_IQE, vtd->regs + VTD_FSTS_REG);
	/*
	 * Rewriting the unchanged tail is a no-op for hardware that resumes on
	 * its own, and restarts implementations (QEMU) that only fetch
	 * descriptors when the tail is written.
	 */
	writeq((u64)qi->tail << VTD_IQ_SHIFT, vtd->regs + VTD_IQT_REG);
	qi->nr_iqe++;
}

static void iox_vtd_qi_check_errors(struct iox_vtd_unit *vtd)
{
	u32 fsts = readl(vtd->regs + VTD_FSTS_REG);

	if (fsts & VTD_FSTS_IQE)
		iox_vtd_qi_recover_iqe(vtd);
	if (fsts & VTD_FSTS_ITE) {
		/* Hardware dropped the pending waits. */
		writel(VTD_FSTS_ITE, vtd->regs + VTD_FSTS_REG);
		WRITE_ONCE(vtd->qi.ite_gen, vtd->qi.ite_gen + 1);
		vtd->qi.nr_ite++;
		pr_err_ratelimited("%s: device-TLB invalidation timed out\n", vtd->unit.name);
	}
}

/*
 * Poll until @cond holds or the batch's time is up, recovering from queue
 * errors on the way.  Called and left with the queue lock held; see the top
 * of the file for when it is dropped in between.  The clock (an MMIO read
 * where the clocksource is the HPET) is read only once @cond failed: the
 * batch's deadline starts at its first wait, the spin at this poll's.
 */
static int iox_vtd_qi_poll(struct iox_vtd_unit *vtd, unsigned long *flags,
			   bool (*cond)(struct iox_vtd_unit *vtd,
					const struct iox_vtd_qi_batch *b),
			   struct iox_vtd_qi_batch *b)
{
	ktime_t spin_end = 0, now;

	while (!cond(vtd, b)) {
		iox_vtd_qi_check_errors(vtd);
		if (cond(vtd, b))
			break;
		now = ktime_get();
		if (!b->deadline)
			b->deadline = ktime_add_ns(now, b->timeout);
		if (!spin_end)
			spin_end = ktime_add_ns(now, VTD_QI_SPIN_NS);
		if (ktime_after(now, b->deadline))
			return -ETIMEDOUT;
		if (!irqs_disabled_flags(*flags) && ktime_after(now, spin_end)) {
			raw_spin_unlock_irqrestore(&vtd->qi.lock, *flags);
			cpu_relax();
			raw_spin_lock_irqsave(&vtd->qi.lock, *flags);
		} else {
			cpu_relax();
		}
	}
	return 0;
}

static void iox_vtd_qi_put(struct iox_vtd_qi *qi, struct iox_vtd_desc desc)
{
	qi->ring[qi->tail] = desc;
	qi->tail = (qi->tail + 1) % VTD_QI_ENTRIES;
}

/**
 * iox_vtd_qi_submit() - submit descriptors and wait for their completion
 * @vtd: the unit, with queued invalidation enabled
 * @descs: the descriptors
 * @n: number of descriptors, at most VTD_QI_MAX_BATCH
 *
 * May be called in any context.  A caller with interrupts on waits with
 * them on after the first microseconds; one with interrupts off waits at
 * most 10 ms.
 *
 * Return: 0, -EINVAL for too many descriptors or a unit without queued
 * invalidation, -EIO if hardware found a descriptor of the batch invalid
 * (it was skipped, the others were carried out), -ETIMEDOUT if the batch
 * did not complete in time (it stays queued: hardware may still carry it
 * out), a device-TLB invalidation timed out, or the queue had no room.
 */
int iox_vtd_qi_submit(struct iox_vtd_unit *vtd, const struct iox_vtd_desc *descs,
		      unsigned int n)
{
	struct iox_vtd_qi *qi = &vtd->qi;
	struct iox_vtd_qi_batch b = {};
	unsigned long flags;
	unsigned int i;
	bool inject;
	int ret;

	if (!qi->ring || n > VTD_QI_MAX_BATCH)
		return -EINVAL;
	inject = iox_vtd_inv_inject(vtd);
	b.need = n + 1 + inject;

	raw_spin_lock_irqsave(&qi->lock, flags);
	b.timeout = qi->timeout_ns;
	if (irqs_disabled_flags(flags))
		b.timeout = min_t(u64, b.timeout, VTD_QI_ATOMIC_TIMEOUT_NS);
	ret = iox_vtd_qi_poll(vtd, &flags, iox_vtd_qi_has_room, &b);
	if (ret) {
		pr_err_ratelimited("%s: invalidation queue full, hardware stopped at %u\n",
				   vtd->unit.name, iox_vtd_qi_head(vtd));
		goto unlock;
	}

	b.seq = ++qi->seq;
	b.ite_gen = qi->ite_gen;
	clear_bit(b.seq % VTD_QI_SEQ_BITS, qi->failed);
	if (inject)	/* a wait asking for nothing: invalid */
		iox_vtd_qi_put(qi, (struct iox_vtd_desc){ .lo = VTD_DESC_WAIT });
	for (i = 0; i < n; i++)
		iox_vtd_qi_put(qi, descs[i]);
	iox_vtd_qi_put(qi, iox_vtd_wait_desc(b.seq, &qi->status[0]));
	qi->nr_descs += n;
	qi->nr_waits++;
	/* Descriptors in memory before hardware sees the tail. */
	wmb();
	writeq((u64)qi->tail << VTD_IQ_SHIFT, vtd->regs + VTD_IQT_REG);

	ret = iox_vtd_qi_poll(vtd, &flags, iox_vtd_qi_ended, &b);
	if (!ret && !iox_vtd_qi_done(qi, b.seq))
		ret = -ETIMEDOUT;	/* a device-TLB time-out dropped the wait */
	else if (!ret && test_and_clear_bit(b.seq % VTD_QI_SEQ_BITS, qi->failed))
		ret = -EIO;
	else if (ret == -ETIMEDOUT)
		pr_err_ratelimited("%s: invalidation wait timed out (head %u tail %u), left queued\n",
				   vtd->unit.name, iox_vtd_qi_head(vtd), qi->tail);
	if (ret == -ETIMEDOUT)
		qi->nr_timeouts++;
unlock:
	raw_spin_unlock_irqrestore(&qi->lock, flags);
	return ret;
}
EXPORT_SYMBOL_GPL(iox_vtd_qi_submit);

/**
 * iox_vtd_qi_enable() - set up the invalidation queue and turn it on
 * @vtd: the unit, with ECAP.QI
 *
 * Return: 0, -ENOMEM, or -ETIMEDOUT with the queue off and freed.
 */
int iox_vtd_qi_enable(struct iox_vtd_unit *vtd)
{
	struct iox_vtd_qi *qi = &vtd->qi;
	struct page *page;
	int ret;

	page = iox_should_fail_alloc() ? NULL : alloc_page(GFP_KERNEL | __GFP_ZERO);
	qi->status = !page || iox_should_fail_alloc() ? NULL :
		     kzalloc(2 * sizeof(*qi->status), GFP_KERNEL);
	if (!page || !qi->status) {
		if (page)
			__free_page(page);
		kfree(qi->status);
		qi->status = NULL;
		return -ENOMEM;
	}
	qi->ring = page_address(page);
	qi->tail = 0;
	qi->seq = 0;
	qi->timeout_ns = VTD_QI_TIMEOUT_NS;
	raw_spin_lock_init(&qi->lock);

	/* The tail must be 0 when the queue is enabled: the head starts there. */
	writeq(0, vtd->regs + VTD_IQT_REG);
	/* QS = 0: one 4 KiB page; DW = 0: 128-bit descriptors. */
	writeq(page_to_phys(page), vtd->regs + VTD_IQA_REG);
	ret = iox_vtd_gcmd_enable(vtd, VTD_GSTS_QIES, true);
	if (ret)
		iox_vtd_qi_free(vtd);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(iox_vtd_qi_enable, IOX_TEST);

/**
 * iox_vtd_qi_free() - turn the invalidation queue off and free it
 * @vtd: the unit
 *
 * A batch that timed out stays queued (iox_vtd_qi_submit()): queued
 * invalidation is turned off only once hardware fetched every descriptor
 * (the head at the tail), waiting up to the queue's timeout, as the unit
 * may refuse it otherwise.  If the queue does not drain, or the unit keeps
 * it on, hardware may still read the ring or write a wait's status: both
 * stay allocated (logged) rather than freed under it, and a later call
 * tries again.
 */
void iox_vtd_qi_free(struct iox_vtd_unit *vtd)
{
	struct iox_vtd_qi *qi = &vtd->qi;
	int ret = 0;
	u64 head;

	if (!qi->ring)
		return;
	if (readl(vtd->regs + VTD_GSTS_REG) & VTD_GSTS_QIES) {
		ret = readq_poll_timeout(vtd->regs + VTD_IQH_REG, head,
					 (head >> VTD_IQ_SHIFT) % VTD_QI_ENTRIES == qi->tail,
					 10, div_u64(qi->timeout_ns, NSEC_PER_USEC));
		if (!ret)
			ret = iox_vtd_gcmd_enable(vtd, VTD_GSTS_QIES, false);
	}
	if (ret) {
		pr_err("%s: invalidation queue not drained or still on (%d): its memory is kept\n",
		       vtd->unit.name, ret);
		return;
	}
	free_page((unsigned long)qi->ring);
	kfree(qi->status);
	qi->ring = NULL;
	qi->status = NULL;
}
EXPORT_SYMBOL_NS_GPL(iox_vtd_qi_free, IOX_TEST);
