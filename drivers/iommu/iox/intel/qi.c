// SPDX-License-Identifier: GPL-2.0
/*
 * iox VT-d backend: queued invalidation (VT-d specification 6.5.2).
 *
 * Descriptors go into a ring of 256 128-bit entries; software advances the
 * tail (IQT), hardware the head (IQH).  Every batch ends with a wait
 * descriptor that writes a sequence number to a status word, and the
 * submitter polls that word: when it holds the batch's number, hardware has
 * finished every descriptor before it.  The wait uses the status write
 * only: asking for an interrupt as well (SW and IF together) is not
 * something every implementation handles.
 *
 * Submission and completion happen under one lock, so the ring is empty at
 * the start of each batch and never overflows.
 */
#define pr_fmt(fmt) "iox-intel: " fmt

#include <linux/delay.h>
#include <linux/io.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include "vtd.h"

#define VTD_QI_ENTRIES		256
#define VTD_QI_TIMEOUT_NS	(1000 * NSEC_PER_MSEC)

#define VTD_DESC_WAIT		5
#define VTD_WAIT_SW		BIT_ULL(5)
#define VTD_WAIT_FN		BIT_ULL(6)

static struct iox_vtd_desc iox_vtd_wait_desc(u32 data, u32 *status)
{
	/* The fence makes later descriptors wait for this one to complete. */
	return (struct iox_vtd_desc){
		.lo = VTD_DESC_WAIT | VTD_WAIT_SW | VTD_WAIT_FN | ((u64)data << 32),
		.hi = virt_to_phys(status),
	};
}

/*
 * Hardware stopped at an invalid descriptor (IQE): replace it with a wait
 * that writes the scratch status word, then let hardware go on with the
 * rest of the ring, our own wait descriptor included.
 */
static void iox_vtd_qi_recover_iqe(struct iox_vtd_unit *vtd)
{
	struct iox_vtd_qi *qi = &vtd->qi;
	unsigned int head = readq(vtd->regs + VTD_IQH_REG) >> VTD_IQ_SHIFT;

	pr_err("%s: invalid invalidation descriptor %#llx %#llx at %u, skipped\n",
	       vtd->unit.name, qi->ring[head].lo, qi->ring[head].hi, head);
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

/**
 * iox_vtd_qi_submit() - submit descriptors and wait for their completion
 * @vtd: the unit, with queued invalidation enabled
 * @descs: the descriptors
 * @n: number of descriptors, at most 254
 *
 * May be called in any context; waits with interrupts off.
 *
 * Return: 0, -EINVAL for too many descriptors or a unit without queued
 * invalidation, -EIO if hardware found a descriptor invalid (it was
 * skipped, the others were carried out), -ETIMEDOUT if the batch did not
 * complete within a second or a device-TLB invalidation timed out.
 */
int iox_vtd_qi_submit(struct iox_vtd_unit *vtd, const struct iox_vtd_desc *descs,
		      unsigned int n)
{
	struct iox_vtd_qi *qi = &vtd->qi;
	unsigned long flags;
	unsigned int i;
	ktime_t deadline;
	u32 seq, fsts;
	int ret = 0;

	if (!qi->ring || n > VTD_QI_ENTRIES - 2)
		return -EINVAL;

	raw_spin_lock_irqsave(&qi->lock, flags);
	/* 0 is what the status word is cleared to: never wait for it. */
	if (!++qi->seq)
		qi->seq++;
	seq = qi->seq;
	WRITE_ONCE(qi->status[0], 0);
	for (i = 0; i < n; i++) {
		qi->ring[qi->tail] = descs[i];
		qi->tail = (qi->tail + 1) % VTD_QI_ENTRIES;
	}
	qi->ring[qi->tail] = iox_vtd_wait_desc(seq, &qi->status[0]);
	qi->tail = (qi->tail + 1) % VTD_QI_ENTRIES;
	qi->nr_descs += n;
	qi->nr_waits++;
	/* Descriptors and the cleared status before hardware sees the tail. */
	wmb();
	writeq((u64)qi->tail << VTD_IQ_SHIFT, vtd->regs + VTD_IQT_REG);

	deadline = ktime_add_ns(ktime_get(), VTD_QI_TIMEOUT_NS);
	while (READ_ONCE(qi->status[0]) != seq) {
		fsts = readl(vtd->regs + VTD_FSTS_REG);
		if (fsts & VTD_FSTS_IQE) {
			iox_vtd_qi_recover_iqe(vtd);
			ret = -EIO;
			continue;
		}
		if (fsts & VTD_FSTS_ITE) {
			/* Hardware dropped the pending waits, ours included. */
			writel(VTD_FSTS_ITE, vtd->regs + VTD_FSTS_REG);
			qi->nr_ite++;
			pr_err("%s: device-TLB invalidation timed out\n", vtd->unit.name);
			ret = -ETIMEDOUT;
			break;
		}
		if (ktime_after(ktime_get(), deadline)) {
			pr_err("%s: invalidation wait timed out (head %llu tail %u FSTS %#x)\n",
			       vtd->unit.name,
			       readq(vtd->regs + VTD_IQH_REG) >> VTD_IQ_SHIFT, qi->tail, fsts);
			ret = -ETIMEDOUT;
			break;
		}
		cpu_relax();
	}
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

	page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	qi->status = kzalloc(2 * sizeof(*qi->status), GFP_KERNEL);
	if (!page || !qi->status) {
		if (page)
			__free_page(page);
		kfree(qi->status);
		qi->status = NULL;
		return -ENOMEM;
	}
	qi->ring = page_address(page);
	qi->tail = 0;
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

/**
 * iox_vtd_qi_free() - turn the invalidation queue off and free it
 * @vtd: the unit
 */
void iox_vtd_qi_free(struct iox_vtd_unit *vtd)
{
	struct iox_vtd_qi *qi = &vtd->qi;

	if (!qi->ring)
		return;
	if (readl(vtd->regs + VTD_GSTS_REG) & VTD_GSTS_QIES)
		iox_vtd_gcmd_enable(vtd, VTD_GSTS_QIES, false);
	free_page((unsigned long)qi->ring);
	kfree(qi->status);
	qi->ring = NULL;
	qi->status = NULL;
}
