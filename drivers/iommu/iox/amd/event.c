// SPDX-License-Identifier: GPL-2.0
/*
 * iox AMD-Vi backend: the event log (AMD IOMMU specification, 2.5).
 *
 * The unit writes 16-byte event entries into a ring in memory and advances
 * the tail register; software reads from the head register on and writes
 * back the new head.  With EventIntEn the unit signals new entries with
 * the MSI of its own PCI function (Status.EventLogInt); without an
 * interrupt the log is polled every IOX_AMDVI_EVENT_POLL_MS.  A full log
 * sets Status.EventOverflow and stops logging: the log is restarted.
 *
 * Each entry is decoded, logged with a rate limit, counted by event code
 * and by device id, and IO_PAGE_FAULT events go to the fault handler of
 * the domain the device is attached to.
 *
 * QEMU 7.2 never writes entries into the log (shared/QEMU.md); the decoder
 * and the reporting are tested with crafted entries in KUnit.
 */
#define pr_fmt(fmt) "iox-amd: " fmt

#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/iopoll.h>
#include <linux/mm.h>
#include <linux/pci.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "amdvi.h"

#define IOX_AMDVI_EVENT_POLL_MS	100
#define AMDVI_EVT_ENTRIES	256
#define AMDVI_EVT_RING_BYTES	(AMDVI_EVT_ENTRIES * 16)

#define AMDVI_EVT_CODE		GENMASK_ULL(63, 60)
#define AMDVI_EVT_FLAGS		GENMASK_ULL(59, 48)
#define AMDVI_EVT_DOMID		GENMASK_ULL(47, 32)
#define AMDVI_EVT_DEVID		GENMASK_ULL(15, 0)

static const char *const iox_amdvi_event_names[16] = {
	[AMDVI_EVT_ILLEGAL_DEV_TABLE_ENTRY] = "ILLEGAL_DEV_TABLE_ENTRY",
	[AMDVI_EVT_IO_PAGE_FAULT] = "IO_PAGE_FAULT",
	[AMDVI_EVT_DEV_TAB_HW_ERROR] = "DEV_TAB_HARDWARE_ERROR",
	[AMDVI_EVT_PAGE_TAB_HW_ERROR] = "PAGE_TAB_HARDWARE_ERROR",
	[AMDVI_EVT_ILLEGAL_COMMAND] = "ILLEGAL_COMMAND_ERROR",
	[AMDVI_EVT_COMMAND_HW_ERROR] = "COMMAND_HARDWARE_ERROR",
	[AMDVI_EVT_IOTLB_INV_TIMEOUT] = "IOTLB_INV_TIMEOUT",
	[AMDVI_EVT_INVALID_DEVICE_REQUEST] = "INVALID_DEVICE_REQUEST",
	[AMDVI_EVT_INVALID_PPR_REQUEST] = "INVALID_PPR_REQUEST",
	[AMDVI_EVT_EVENT_COUNTER_ZERO] = "EVENT_COUNTER_ZERO",
};

/**
 * iox_amdvi_event_name() - the specification's name of an event code
 * @code: the code
 *
 * Return: the name, "UNKNOWN" for a reserved code.
 */
const char *iox_amdvi_event_name(u8 code)
{
	if (code < ARRAY_SIZE(iox_amdvi_event_names) && iox_amdvi_event_names[code])
		return iox_amdvi_event_names[code];
	return "UNKNOWN";
}
EXPORT_SYMBOL_GPL(iox_amdvi_event_name);

/**
 * iox_amdvi_event_decode() - decode one event log entry
 * @entry: the entry's two quadwords
 * @evt: filled with the fields every event type places alike: device id
 *	(bits 15:0), domain id or PASID (47:32), flags (59:48), event code
 *	(63:60) and the address (second quadword)
 */
void iox_amdvi_event_decode(const u64 *entry, struct iox_amdvi_event *evt)
{
	evt->code = FIELD_GET(AMDVI_EVT_CODE, entry[0]);
	evt->devid = FIELD_GET(AMDVI_EVT_DEVID, entry[0]);
	evt->domid = FIELD_GET(AMDVI_EVT_DOMID, entry[0]);
	evt->flags = FIELD_GET(AMDVI_EVT_FLAGS, entry[0]);
	evt->addr = entry[1];
}
EXPORT_SYMBOL_GPL(iox_amdvi_event_decode);

/**
 * iox_amdvi_event_report() - log, count and deliver one event
 * @amdvi: the unit
 * @evt: the decoded event
 *
 * An IO_PAGE_FAULT goes to the fault handler of the domain its device is
 * attached to, as a read or a write (flag RW).  Process context.
 */
void iox_amdvi_event_report(struct iox_amdvi_unit *amdvi, const struct iox_amdvi_event *evt)
{
	struct iox_amdvi_evtlog *log = &amdvi->evt;
	struct iox_fault fault = {
		.iova = evt->addr,
		.flags = evt->flags & AMDVI_EVT_FLAG_RW ? IOX_FAULT_WRITE : IOX_FAULT_READ,
		.reason = evt->code,
	};
	struct pci_dev *pdev;
	unsigned long count;

	pr_err_ratelimited("%s: event %s from %04x:%02x:%02x.%d, domain %#x, address %#llx, flags %#x\n",
			   amdvi->unit.name, iox_amdvi_event_name(evt->code), amdvi->segment,
			   PCI_BUS_NUM(evt->devid), PCI_SLOT(evt->devid), PCI_FUNC(evt->devid),
			   evt->domid, evt->addr, evt->flags);

	spin_lock(&log->lock);
	log->last[log->nr_events % AMDVI_EVENT_LOG_KEEP] = *evt;
	log->nr_events++;
	log->by_code[evt->code & 0xf]++;
	count = xa_to_value(xa_load(&log->devids, evt->devid) ?: xa_mk_value(0));
	xa_store(&log->devids, evt->devid, xa_mk_value(count + 1), GFP_ATOMIC);
	spin_unlock(&log->lock);

	if (evt->code != AMDVI_EVT_IO_PAGE_FAULT)
		return;
	pdev = pci_get_domain_bus_and_slot(amdvi->segment, PCI_BUS_NUM(evt->devid),
					   evt->devid & 0xff);
	/* The reference keeps the device; the core keeps the domain safe. */
	if (pdev)
		iox_report_fault(&pdev->dev, &fault);
	pci_dev_put(pdev);
}
EXPORT_SYMBOL_GPL(iox_amdvi_event_report);

/* Logging stopped on a full log: restart it empty (spec: EventOverflow). */
static void iox_amdvi_event_restart(struct iox_amdvi_unit *amdvi)
{
	u64 control = readq(amdvi->mmio + AMDVI_CONTROL_REG);

	amdvi->evt.nr_overflows++;
	pr_err_ratelimited("%s: event log overflowed, events were lost\n", amdvi->unit.name);
	writeq(control & ~AMDVI_CONTROL_EVENT_LOG_EN, amdvi->mmio + AMDVI_CONTROL_REG);
	writeq(AMDVI_STATUS_EVT_OVERFLOW, amdvi->mmio + AMDVI_STATUS_REG);
	writeq(0, amdvi->mmio + AMDVI_EVTLOG_HEAD_REG);
	writeq(0, amdvi->mmio + AMDVI_EVTLOG_TAIL_REG);
	writeq(control, amdvi->mmio + AMDVI_CONTROL_REG);
}

/**
 * iox_amdvi_event_poll() - read and report the new event log entries
 * @amdvi: the unit
 *
 * Process context.  Reads are serialised, so an entry is reported once.
 * An entry still reading zero has not been written yet: the scan stops
 * there and the next one resumes.
 *
 * Return: the number of entries read, plus one if the log had overflowed.
 */
unsigned int iox_amdvi_event_poll(struct iox_amdvi_unit *amdvi)
{
	struct iox_amdvi_evtlog *log = &amdvi->evt;
	unsigned int found = 0;
	u32 head, tail;

	if (!log->ring)
		return 0;
	mutex_lock(&log->poll_lock);
	head = readq(amdvi->mmio + AMDVI_EVTLOG_HEAD_REG) & AMDVI_RING_PTR;
	tail = readq(amdvi->mmio + AMDVI_EVTLOG_TAIL_REG) & AMDVI_RING_PTR;
	while (head != tail) {
		u64 *entry = log->ring + head / sizeof(u64);
		struct iox_amdvi_event evt;

		iox_amdvi_event_decode(entry, &evt);
		if (!evt.code)
			break;
		iox_amdvi_event_report(amdvi, &evt);
		entry[0] = 0;
		entry[1] = 0;
		head = (head + 16) % AMDVI_EVT_RING_BYTES;
		writeq(head, amdvi->mmio + AMDVI_EVTLOG_HEAD_REG);
		found++;
	}
	if (readq(amdvi->mmio + AMDVI_STATUS_REG) & AMDVI_STATUS_EVT_OVERFLOW) {
		iox_amdvi_event_restart(amdvi);
		found++;
	}
	mutex_unlock(&log->poll_lock);
	return found;
}
EXPORT_SYMBOL_GPL(iox_amdvi_event_poll);

static void iox_amdvi_event_work(struct work_struct *work)
{
	struct iox_amdvi_unit *amdvi = container_of(to_delayed_work(work),
						    struct iox_amdvi_unit, evt.work);

	iox_amdvi_event_poll(amdvi);
	schedule_delayed_work(&amdvi->evt.work, msecs_to_jiffies(IOX_AMDVI_EVENT_POLL_MS));
}

/* Hard interrupt: count it; the log is read in the thread. */
static irqreturn_t iox_amdvi_event_irq(int irq, void *data)
{
	struct iox_amdvi_unit *amdvi = data;

	atomic64_inc(&amdvi->evt.nr_irqs);
	return IRQ_WAKE_THREAD;
}

static irqreturn_t iox_amdvi_event_thread(int irq, void *data)
{
	struct iox_amdvi_unit *amdvi = data;

	/* Clear before reading, so an entry written meanwhile signals again. */
	writeq(AMDVI_STATUS_EVT_INT | AMDVI_STATUS_COMP_WAIT_INT,
	       amdvi->mmio + AMDVI_STATUS_REG);
	iox_amdvi_event_poll(amdvi);
	return IRQ_HANDLED;
}

/**
 * iox_amdvi_event_alloc() - allocate the event log and program it
 * @amdvi: the unit, with event logging disabled
 *
 * Return: 0 or -ENOMEM.
 */
int iox_amdvi_event_alloc(struct iox_amdvi_unit *amdvi)
{
	struct page *page;

	page = iox_should_fail_alloc() ? NULL : alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!page)
		return -ENOMEM;
	amdvi->evt.ring = page_address(page);
	/* Status bits left by an earlier owner are write-1-to-clear. */
	writeq(AMDVI_STATUS_EVT_OVERFLOW | AMDVI_STATUS_EVT_INT | AMDVI_STATUS_COMP_WAIT_INT,
	       amdvi->mmio + AMDVI_STATUS_REG);
	writeq(page_to_phys(page) | FIELD_PREP(AMDVI_RING_LEN, 8),
	       amdvi->mmio + AMDVI_EVTLOG_BASE_REG);
	writeq(0, amdvi->mmio + AMDVI_EVTLOG_HEAD_REG);
	writeq(0, amdvi->mmio + AMDVI_EVTLOG_TAIL_REG);
	return 0;
}

/*
 * Nothing binds the IOMMU's PCI function, so iox enables it (MSI needs the
 * function in D0) and turns bus mastering on (an MSI is a memory write of
 * the function); iox_amdvi_event_stop() undoes both.
 */
static int iox_amdvi_event_irq_init(struct iox_amdvi_unit *amdvi)
{
	struct pci_dev *pdev = amdvi->pdev;
	int ret;

	if (!pdev)
		return -ENODEV;
	ret = pci_enable_device(pdev);
	if (ret)
		return ret;
	ret = pci_alloc_irq_vectors(pdev, 1, 1, PCI_IRQ_MSI);
	if (ret < 0)
		goto disable;
	ret = request_threaded_irq(pci_irq_vector(pdev, 0), iox_amdvi_event_irq,
				   iox_amdvi_event_thread, IRQF_ONESHOT, amdvi->unit.name, amdvi);
	if (ret)
		goto free_vectors;
	amdvi->evt.irq = pci_irq_vector(pdev, 0);
	amdvi->evt.was_master = pdev->is_busmaster;
	pci_set_master(pdev);
	return 0;

free_vectors:
	pci_free_irq_vectors(pdev);
disable:
	pci_disable_device(pdev);
	return ret;
}

/**
 * iox_amdvi_event_start() - start reading the event log
 * @amdvi: the unit, its log allocated, before event logging is enabled
 * @use_irq: try the MSI of the IOMMU's PCI function before polling
 *
 * When the interrupt was set up, @amdvi->evt.irq is set and the caller
 * enables EventIntEn with the log.
 */
void iox_amdvi_event_start(struct iox_amdvi_unit *amdvi, bool use_irq)
{
	struct iox_amdvi_evtlog *log = &amdvi->evt;
	int ret = -EOPNOTSUPP;

	mutex_init(&log->poll_lock);
	spin_lock_init(&log->lock);
	xa_init(&log->devids);
	atomic64_set(&log->nr_irqs, 0);
	INIT_DELAYED_WORK(&log->work, iox_amdvi_event_work);
	if (use_irq) {
		ret = iox_amdvi_event_irq_init(amdvi);
		if (ret)
			pr_warn("%s: no event log interrupt (%d), polling every %u ms\n",
				amdvi->unit.name, ret, IOX_AMDVI_EVENT_POLL_MS);
	}
	if (ret)
		schedule_delayed_work(&log->work, msecs_to_jiffies(IOX_AMDVI_EVENT_POLL_MS));
}

/**
 * iox_amdvi_event_stop() - stop reading the event log
 * @amdvi: the unit, with event logging and its interrupt disabled
 */
void iox_amdvi_event_stop(struct iox_amdvi_unit *amdvi)
{
	struct iox_amdvi_evtlog *log = &amdvi->evt;

	if (log->irq) {
		free_irq(log->irq, amdvi);
		pci_free_irq_vectors(amdvi->pdev);
		/* Disabling clears bus mastering: restore what was found. */
		pci_disable_device(amdvi->pdev);
		if (log->was_master)
			pci_set_master(amdvi->pdev);
		log->irq = 0;
	}
	cancel_delayed_work_sync(&log->work);
	xa_destroy(&log->devids);
	mutex_destroy(&log->poll_lock);
}

/**
 * iox_amdvi_event_free() - free the event log
 * @amdvi: the unit, with event logging disabled
 */
void iox_amdvi_event_free(struct iox_amdvi_unit *amdvi)
{
	if (!amdvi->evt.ring)
		return;
	free_page((unsigned long)amdvi->evt.ring);
	amdvi->evt.ring = NULL;
}

/**
 * iox_amdvi_event_show() - print the event counters and the last events
 * @amdvi: the unit
 * @m: the seq_file of the unit's debugfs "events" file
 */
void iox_amdvi_event_show(struct iox_amdvi_unit *amdvi, struct seq_file *m)
{
	struct iox_amdvi_evtlog *log = &amdvi->evt;
	unsigned long devid;
	unsigned int i, n;
	void *entry;

	if (log->irq)
		seq_printf(m, "delivery: interrupt %u, %lld events\n", log->irq,
			   (long long)atomic64_read(&log->nr_irqs));
	else
		seq_printf(m, "delivery: polled every %u ms\n", IOX_AMDVI_EVENT_POLL_MS);
	spin_lock(&log->lock);
	seq_printf(m, "events: %llu\n", log->nr_events);
	seq_printf(m, "overflows: %llu\n", log->nr_overflows);
	for (i = 0; i < ARRAY_SIZE(log->by_code); i++)
		if (log->by_code[i])
			seq_printf(m, "code %s: %llu\n", iox_amdvi_event_name(i), log->by_code[i]);
	xa_for_each(&log->devids, devid, entry)
		seq_printf(m, "device %02lx:%02lx.%lu: %lu\n", devid >> 8, (devid >> 3) & 0x1f,
			   devid & 7, xa_to_value(entry));
	n = min_t(u64, log->nr_events, AMDVI_EVENT_LOG_KEEP);
	for (i = 0; i < n; i++) {
		const struct iox_amdvi_event *e =
			&log->last[(log->nr_events - n + i) % AMDVI_EVENT_LOG_KEEP];

		seq_printf(m, "event: %s device %02x:%02x.%d domain %#x addr %#llx flags %#x\n",
			   iox_amdvi_event_name(e->code), PCI_BUS_NUM(e->devid),
			   PCI_SLOT(e->devid), PCI_FUNC(e->devid), e->domid, e->addr, e->flags);
	}
	spin_unlock(&log->lock);
}
