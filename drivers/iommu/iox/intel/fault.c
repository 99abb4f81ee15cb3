// SPDX-License-Identifier: GPL-2.0
/*
 * iox VT-d backend: fault recording (VT-d specification 7.3).
 *
 * The unit records a faulting DMA request in a fault recording register
 * and sets FSTS.PPF.  While a record's F bit is set, further faults from
 * the same requester are dropped, and with all records full, any fault
 * sets FSTS.PFO: records are read and cleared promptly, in the thread of
 * the fault event interrupt (fault_irq.c), or where there is none by a
 * poll every IOX_VTD_FAULT_POLL_MS, and on demand (iox_vtd_fault_poll()).
 * The unit raises a new event only when PPF goes from 0 to 1 again, so
 * the thread scans until FSTS shows no pending record.
 *
 * Each fault is decoded (source id, address, read or write, reason),
 * logged with a rate limit, counted per unit, per source id and per
 * domain, and passed to the fault handler of the domain the requester is
 * attached to (iox_report_fault(), which makes a fault racing with the
 * domain's detach and free safe).
 */
#define pr_fmt(fmt) "iox-intel: " fmt

#include <linux/io.h>
#include <linux/iox.h>
#include <linux/pci.h>
#include <linux/sched.h>
#include <linux/seq_file.h>

#include "vtd.h"

#define IOX_VTD_FAULT_POLL_MS	100
/* Scans one interrupt may take before the rest is left to the poll work. */
#define IOX_VTD_FAULT_IRQ_SCANS	16

static void iox_vtd_fault_report(struct iox_vtd_unit *vtd, const struct iox_vtd_fault *f)
{
	struct iox_fault fault = {
		.iova = f->addr,
		.flags = f->read ? IOX_FAULT_READ : IOX_FAULT_WRITE,
		.reason = f->reason,
	};
	struct pci_dev *pdev;
	unsigned long count;

	pr_err_ratelimited("%s: DMA %s fault from %04x:%02x:%02x.%d at %#llx, reason %#x\n",
			   vtd->unit.name, f->read ? "read" : "write", vtd->segment,
			   PCI_BUS_NUM(f->sid), PCI_SLOT(f->sid), PCI_FUNC(f->sid),
			   f->addr, f->reason);

	spin_lock(&vtd->fault_lock);
	vtd->fault_log[vtd->nr_faults % VTD_FAULT_LOG] = *f;
	vtd->nr_faults++;
	count = xa_to_value(xa_load(&vtd->fault_sids, f->sid) ?: xa_mk_value(0));
	xa_store(&vtd->fault_sids, f->sid, xa_mk_value(count + 1), GFP_ATOMIC);
	spin_unlock(&vtd->fault_lock);

	/* The reference keeps the device; the core keeps the domain safe. */
	pdev = pci_get_domain_bus_and_slot(vtd->segment, PCI_BUS_NUM(f->sid), f->sid & 0xff);
	if (pdev)
		iox_report_fault(&pdev->dev, &fault);
	pci_dev_put(pdev);
}

/**
 * iox_vtd_fault_poll() - read, clear and report the recorded faults
 * @vtd: the unit
 *
 * Runs in process context (it looks the requester's device up).  Scans
 * are serialised, so a record is reported once.
 *
 * Return: the number of faults found, plus one if the records had
 * overflowed; 0 when nothing was pending.
 */
unsigned int iox_vtd_fault_poll(struct iox_vtd_unit *vtd)
{
	unsigned int nr = vtd->caps.nr_fault_regs, i, idx, found = 0;
	u32 fsts;

	mutex_lock(&vtd->fault_poll_lock);
	fsts = readl(vtd->regs + VTD_FSTS_REG);
	if (!(fsts & (VTD_FSTS_PPF | VTD_FSTS_PFO))) {
		mutex_unlock(&vtd->fault_poll_lock);
		return 0;
	}

	idx = FIELD_GET(VTD_FSTS_FRI, fsts) % nr;
	for (i = 0; i < nr; i++, idx = (idx + 1) % nr) {
		void __iomem *frcd = vtd->regs + vtd->caps.fault_reg_offset + idx * 16;
		u64 hi = readq(frcd + 8);
		struct iox_vtd_fault f;

		if (!(hi & VTD_FRCD_F))
			continue;
		/* Only F, T, the reason and the source id are defined here. */
		f.addr = readq(frcd) & VTD_PAGE_MASK;
		f.sid = FIELD_GET(VTD_FRCD_SID, hi);
		f.reason = FIELD_GET(VTD_FRCD_FR, hi);
		f.read = hi & VTD_FRCD_T;
		/* F is write-1-to-clear, in the record's last dword. */
		writel(upper_32_bits(VTD_FRCD_F), frcd + 12);
		iox_vtd_fault_report(vtd, &f);
		found++;
	}
	if (fsts & VTD_FSTS_PFO) {
		pr_err_ratelimited("%s: fault records overflowed, faults were lost\n",
				   vtd->unit.name);
		writel(VTD_FSTS_PFO, vtd->regs + VTD_FSTS_REG);
		found++;
	}
	mutex_unlock(&vtd->fault_poll_lock);
	return found;
}
EXPORT_SYMBOL_GPL(iox_vtd_fault_poll);

static void iox_vtd_fault_work(struct work_struct *work)
{
	struct iox_vtd_unit *vtd = container_of(to_delayed_work(work), struct iox_vtd_unit,
						fault_work);

	if (vtd->fault_irq) {
		/* Once after a storm: the interrupt is back in charge. */
		while (iox_vtd_fault_poll(vtd))
			cond_resched();
		return;
	}
	iox_vtd_fault_poll(vtd);
	schedule_delayed_work(&vtd->fault_work, msecs_to_jiffies(IOX_VTD_FAULT_POLL_MS));
}

static irqreturn_t iox_vtd_fault_thread(int irq, void *data)
{
	struct iox_vtd_unit *vtd = data;
	unsigned int scans = 0;

	while (iox_vtd_fault_poll(vtd)) {
		/*
		 * Records still pending after this many scans: a fault storm.
		 * No new event comes while PPF stays set, so hand the rest to
		 * the poll work rather than hog this thread.
		 */
		if (++scans == IOX_VTD_FAULT_IRQ_SCANS) {
			schedule_delayed_work(&vtd->fault_work, 1);
			break;
		}
	}
	return IRQ_HANDLED;
}

/**
 * iox_vtd_fault_init() - start reporting the unit's faults
 * @vtd: the unit
 * @use_irq: try the fault event interrupt before falling back to polling
 *
 * Faults recorded before this (say while translation was turned on) are
 * reported by the first scan.
 */
void iox_vtd_fault_init(struct iox_vtd_unit *vtd, bool use_irq)
{
	int ret = -EOPNOTSUPP;

	spin_lock_init(&vtd->fault_lock);
	mutex_init(&vtd->fault_poll_lock);
	xa_init(&vtd->fault_sids);
	atomic64_set(&vtd->nr_fault_irqs, 0);
	writel(VTD_FECTL_IM, vtd->regs + VTD_FECTL_REG);
	INIT_DELAYED_WORK(&vtd->fault_work, iox_vtd_fault_work);
	if (use_irq) {
		ret = iox_vtd_fault_irq_init(vtd, iox_vtd_fault_thread);
		if (ret)
			pr_warn("%s: no fault event interrupt (%d), polling every %u ms\n",
				vtd->unit.name, ret, IOX_VTD_FAULT_POLL_MS);
	}
	schedule_delayed_work(&vtd->fault_work, ret ? msecs_to_jiffies(IOX_VTD_FAULT_POLL_MS) : 0);
}

/**
 * iox_vtd_fault_stop() - stop reporting faults and forget the per-source counts
 * @vtd: the unit
 *
 * The fault event is left masked: polling never unmasks it, and
 * iox_vtd_fault_irq_free() masks it again.
 */
void iox_vtd_fault_stop(struct iox_vtd_unit *vtd)
{
	iox_vtd_fault_irq_free(vtd);
	/* Only after the interrupt: its thread may queue the work. */
	cancel_delayed_work_sync(&vtd->fault_work);
	xa_destroy(&vtd->fault_sids);
	mutex_destroy(&vtd->fault_poll_lock);
}

/**
 * iox_vtd_fault_show() - print the fault counters and the last faults
 * @vtd: the unit
 * @m: the seq_file of the unit's debugfs "faults" file
 */
void iox_vtd_fault_show(struct iox_vtd_unit *vtd, struct seq_file *m)
{
	unsigned long sid;
	unsigned int i, n;
	void *entry;

	if (vtd->fault_irq)
		seq_printf(m, "delivery: interrupt %u, %lld events\n", vtd->fault_irq,
			   (long long)atomic64_read(&vtd->nr_fault_irqs));
	else
		seq_printf(m, "delivery: polled every %u ms\n", IOX_VTD_FAULT_POLL_MS);
	spin_lock(&vtd->fault_lock);
	seq_printf(m, "faults: %llu\n", vtd->nr_faults);
	xa_for_each(&vtd->fault_sids, sid, entry)
		seq_printf(m, "source %02lx:%02lx.%lu: %lu\n", sid >> 8, (sid >> 3) & 0x1f,
			   sid & 7, xa_to_value(entry));
	n = min_t(u64, vtd->nr_faults, VTD_FAULT_LOG);
	for (i = 0; i < n; i++) {
		const struct iox_vtd_fault *f =
			&vtd->fault_log[(vtd->nr_faults - n + i) % VTD_FAULT_LOG];

		seq_printf(m, "fault: source %02x:%02x.%d addr %#llx %s reason %#x\n",
			   PCI_BUS_NUM(f->sid), PCI_SLOT(f->sid), PCI_FUNC(f->sid), f->addr,
			   f->read ? "read" : "write", f->reason);
	}
	spin_unlock(&vtd->fault_lock);
}
