/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iox AMD-Vi backend: MMIO register layout and the state of one unit.
 * Offsets and fields follow the AMD I/O Virtualization Technology (IOMMU)
 * specification, section 3.4.
 */
#ifndef _IOX_AMD_AMDVI_H
#define _IOX_AMD_AMDVI_H

#include <linux/bitfield.h>
#include <linux/bits.h>
#include <linux/idr.h>
#include <linux/iox.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

struct pci_dev;
struct seq_file;

struct acpi_ivrs_hardware_10;
struct pci_dev;
struct seq_file;

/* The base register set; the PPR and other optional areas are not used. */
#define AMDVI_MMIO_SIZE			0x4000

#define AMDVI_DEVTAB_BASE_REG		0x0000
#define AMDVI_CMDBUF_BASE_REG		0x0008
#define AMDVI_EVTLOG_BASE_REG		0x0010
#define AMDVI_CONTROL_REG		0x0018
#define AMDVI_EXCL_BASE_REG		0x0020
#define AMDVI_EXCL_LIMIT_REG		0x0028
#define AMDVI_EFR_REG			0x0030
#define AMDVI_CMDBUF_HEAD_REG		0x2000
#define AMDVI_CMDBUF_TAIL_REG		0x2008
#define AMDVI_EVTLOG_HEAD_REG		0x2010
#define AMDVI_EVTLOG_TAIL_REG		0x2018
#define AMDVI_STATUS_REG		0x2020

#define AMDVI_CONTROL_IOMMU_EN		BIT_ULL(0)
#define AMDVI_CONTROL_EVENT_LOG_EN	BIT_ULL(2)
#define AMDVI_CONTROL_EVENT_INT_EN	BIT_ULL(3)
#define AMDVI_CONTROL_COMP_WAIT_INT_EN	BIT_ULL(4)
#define AMDVI_CONTROL_CMD_BUF_EN	BIT_ULL(12)

#define AMDVI_STATUS_EVT_OVERFLOW	BIT_ULL(0)
#define AMDVI_STATUS_EVT_INT		BIT_ULL(1)
#define AMDVI_STATUS_COMP_WAIT_INT	BIT_ULL(2)
#define AMDVI_STATUS_EVT_RUN		BIT_ULL(3)
#define AMDVI_STATUS_CMD_RUN		BIT_ULL(4)

/* Base registers: the length of a ring is 2^Len entries, in bits 59:56. */
#define AMDVI_RING_LEN			GENMASK_ULL(59, 56)
#define AMDVI_BASE_ADDR			GENMASK_ULL(51, 12)
/* Head and tail registers hold a byte offset into the ring, bits 18:4. */
#define AMDVI_RING_PTR			GENMASK_ULL(18, 4)
/* Device table base register: size in 4 KiB units, minus one, in bits 8:0. */
#define AMDVI_DEVTAB_SIZE		GENMASK_ULL(8, 0)

/* The IOMMU capability header in PCI configuration space. */
#define AMDVI_CAP_NP_CACHE		BIT(26)

/* Device table entry, quadword 0 and 1 (AMD IOMMU spec, 2.2.2). */
#define AMDVI_DTE_V			BIT_ULL(0)
#define AMDVI_DTE_TV			BIT_ULL(1)
#define AMDVI_DTE_MODE			GENMASK_ULL(11, 9)
#define AMDVI_DTE_ROOT			GENMASK_ULL(51, 12)
#define AMDVI_DTE_IR			BIT_ULL(61)
#define AMDVI_DTE_IW			BIT_ULL(62)
#define AMDVI_DTE_DOMID			GENMASK_ULL(15, 0)
#define AMDVI_DTE_SIZE			32

/*
 * Domain ids: 0 tags the pass-through entries of devices not attached.
 * QEMU 7.2.0 mis-masks DomainID bit 8, so ids stay below 256.
 */
#define AMDVI_PT_DOMID			0
#define AMDVI_MAX_DOMID			255

#define AMDVI_EFR_PREF			BIT_ULL(0)
#define AMDVI_EFR_PPR			BIT_ULL(1)
#define AMDVI_EFR_XT			BIT_ULL(2)
#define AMDVI_EFR_NX			BIT_ULL(3)
#define AMDVI_EFR_GT			BIT_ULL(4)
#define AMDVI_EFR_IA			BIT_ULL(6)
#define AMDVI_EFR_GA			BIT_ULL(7)
#define AMDVI_EFR_HE			BIT_ULL(8)
#define AMDVI_EFR_PC			BIT_ULL(9)
#define AMDVI_EFR_HATS			GENMASK_ULL(11, 10)
#define AMDVI_EFR_GATS			GENMASK_ULL(13, 12)

/**
 * struct iox_amdvi_caps - decoded extended feature register
 * @efr: raw extended feature register
 * @host_levels: page-table levels the host (v1) tables may have
 * @guest_levels: page-table levels the guest (v2) tables may have
 * @prefetch: PREFETCH_IOMMU_PAGES supported
 * @ppr: peripheral page requests supported
 * @x2apic: x2APIC interrupt remapping supported
 * @nx: no-execute protection supported
 * @guest_translation: v2 (guest) page tables supported
 * @invalidate_all: INVALIDATE_IOMMU_ALL supported
 * @hw_error: hardware error registers supported
 * @perf_counters: performance counters supported
 */
struct iox_amdvi_caps {
	u64 efr;
	u8 host_levels;
	u8 guest_levels;
	bool prefetch;
	bool ppr;
	bool x2apic;
	bool nx;
	bool guest_translation;
	bool invalidate_all;
	bool hw_error;
	bool perf_counters;
};

/**
 * struct iox_amdvi_devrange - a range of device ids the unit translates
 * @first: first device id (PCI requester id: bus << 8 | devfn)
 * @last: last device id, inclusive
 * @alias: if @aliased, the requester id the devices' DMA arrives under
 *	(IVHD alias entries)
 * @aliased: the IVHD names @alias for these devices
 */
struct iox_amdvi_devrange {
	u16 first;
	u16 last;
	u16 alias;
	bool aliased;
};

/**
 * struct iox_amdvi_cmd - one 128-bit command of the command buffer
 * @lo: low quadword (opcode in bits 63:60, ids)
 * @hi: high quadword (address, data)
 */
struct iox_amdvi_cmd {
	u64 lo;
	u64 hi;
};

/* Invalidation counters of a unit, by command (see iox_amdvi_cmd_submit()). */
enum iox_amdvi_inv {
	AMDVI_INV_DEVTAB,	/* INVALIDATE_DEVTAB_ENTRY */
	AMDVI_INV_PAGES,	/* INVALIDATE_IOMMU_PAGES for a range */
	AMDVI_INV_DOMAIN,	/* INVALIDATE_IOMMU_PAGES for a whole domain */
	AMDVI_INV_ALL,		/* INVALIDATE_IOMMU_ALL */
	AMDVI_INV_NR,
};

/* More range commands than this for one sync: invalidate the domain. */
#define AMDVI_MAX_INV_RANGES	16

/**
 * struct iox_amdvi_cmdbuf - the command buffer of a unit
 * @lock: protects the ring, @tail, @seq, @sem and the tail register, from
 *	submission of a batch to its completion
 * @ring: 256 commands in one page
 * @tail: byte offset the next command goes to
 * @sem: the quadword COMPLETION_WAIT stores @seq to
 * @seq: number the last batch's wait stores
 * @nr_cmds: commands submitted, waits excluded
 * @nr_waits: COMPLETION_WAITs submitted (one per batch)
 * @nr_timeouts: batches that did not complete in time
 * @nr_inv: invalidation commands submitted, by enum iox_amdvi_inv
 * @inject_errors: tests: batches still to fail (see
 *	iox_amdvi_inject_cmd_errors())
 */
struct iox_amdvi_cmdbuf {
	raw_spinlock_t lock;
	struct iox_amdvi_cmd *ring;
	u32 tail;
	u64 *sem;
	u64 seq;
	u64 nr_cmds;
	u64 nr_waits;
	u64 nr_timeouts;
	u64 nr_inv[AMDVI_INV_NR];
	atomic_t inject_errors;
};

/* Event codes of the event log (AMD IOMMU spec, 2.5). */
enum iox_amdvi_event_code {
	AMDVI_EVT_ILLEGAL_DEV_TABLE_ENTRY = 0x1,
	AMDVI_EVT_IO_PAGE_FAULT = 0x2,
	AMDVI_EVT_DEV_TAB_HW_ERROR = 0x3,
	AMDVI_EVT_PAGE_TAB_HW_ERROR = 0x4,
	AMDVI_EVT_ILLEGAL_COMMAND = 0x5,
	AMDVI_EVT_COMMAND_HW_ERROR = 0x6,
	AMDVI_EVT_IOTLB_INV_TIMEOUT = 0x7,
	AMDVI_EVT_INVALID_DEVICE_REQUEST = 0x8,
	AMDVI_EVT_INVALID_PPR_REQUEST = 0x9,
	AMDVI_EVT_EVENT_COUNTER_ZERO = 0xa,
};

/**
 * struct iox_amdvi_event - a decoded event log entry
 * @code: event code (enum iox_amdvi_event_code), 0 for an empty entry
 * @devid: requester id the event names
 * @domid: domain id (or PASID bits) the event names, where it has one
 * @flags: the event's flags field (for page faults: GN, NX, US, I, PR,
 *	RW, PE, RZ, TR from bit 0 up)
 * @addr: the address the event names
 */
struct iox_amdvi_event {
	u8 code;
	u16 devid;
	u16 domid;
	u16 flags;
	u64 addr;
};

/* Flags of IO_PAGE_FAULT and ILLEGAL_DEV_TABLE_ENTRY events. */
#define AMDVI_EVT_FLAG_PR	BIT(4)
#define AMDVI_EVT_FLAG_RW	BIT(5)
#define AMDVI_EVT_FLAG_TR	BIT(8)

#define AMDVI_EVENT_LOG_KEEP	16

/**
 * struct iox_amdvi_evtlog - the event log of a unit
 * @ring: 256 16-byte entries in one page
 * @poll_lock: serialises reading the log (interrupt thread, poll work,
 *	debugfs, tests), so that no entry is reported twice
 * @lock: protects @nr_events, @by_code, @last and @devids
 * @work: polls the log when there is no interrupt
 * @irq: Linux irq of the MSI of the IOMMU's PCI function, 0 when polled
 * @was_master: bus mastering was on before @irq was set up (which turns
 *	it on for the MSI writes), and is left on when @irq goes
 * @nr_irqs: interrupts received
 * @nr_events: entries read since bring-up
 * @nr_overflows: times the log overflowed and was restarted
 * @by_code: entries by event code
 * @last: the last entries, @nr_events % AMDVI_EVENT_LOG_KEEP is next
 * @devids: entries by requester id (xa_mk_value counts)
 */
struct iox_amdvi_evtlog {
	u64 *ring;
	struct mutex poll_lock;		/* see @poll_lock above */
	spinlock_t lock;		/* see @lock above */
	struct delayed_work work;
	unsigned int irq;
	bool was_master;
	atomic64_t nr_irqs;
	u64 nr_events;
	u64 nr_overflows;
	u64 by_code[16];
	struct iox_amdvi_event last[AMDVI_EVENT_LOG_KEEP];
	struct xarray devids;
};

/**
 * struct iox_amdvi_unit - one AMD-Vi unit
 * @unit: the unit as registered with the iox core
 * @mmio_phys: physical address of the MMIO registers, from the IVHD
 * @mmio: the mapped registers
 * @ivhd_type: IVHD type the unit was described with (0x10, 0x11, 0x40)
 * @devid: requester id of the IOMMU's own PCI function
 * @cap_offset: offset of its capability block in PCI configuration space
 * @segment: PCI segment the unit serves
 * @caps: decoded features
 * @np_cache: the unit may cache not-present entries (capability NpCache):
 *	new mappings are invalidated like removed ones
 * @nr_ranges: number of entries in @ranges
 * @ranges: the device ids the unit serves
 * @pdev: the IOMMU's own PCI function (its MSI signals events), referenced
 * @found: the base and control registers as found at load, written back
 *	when the unit is given up (DEVTAB, CMDBUF, EVTLOG base, CONTROL)
 * @devtab_lock: protects the entries of @devtab
 * @devtab: the device table, one 32-byte entry per device id
 * @devtab_order: allocation order of @devtab
 * @nr_devids: entries in @devtab: the highest device id served, plus one
 * @cmd: the command buffer
 * @evt: the event log
 * @domain_ids: allocator of domain ids, 1 to AMDVI_MAX_DOMID
 * @enabled: translation is on
 */
struct iox_amdvi_unit {
	struct iox_unit unit;
	u64 mmio_phys;
	void __iomem *mmio;
	u8 ivhd_type;
	u16 devid;
	u16 cap_offset;
	u16 segment;
	struct iox_amdvi_caps caps;
	bool np_cache;
	unsigned int nr_ranges;
	struct iox_amdvi_devrange *ranges;
	struct pci_dev *pdev;
	u64 found[4];
	spinlock_t devtab_lock;		/* see @devtab_lock above */
	u64 *devtab;
	unsigned int devtab_order;
	u32 nr_devids;
	struct iox_amdvi_cmdbuf cmd;
	struct iox_amdvi_evtlog evt;
	struct ida domain_ids;
	bool enabled;
};

static inline struct iox_amdvi_unit *to_amdvi_unit(struct iox_unit *unit)
{
	return container_of(unit, struct iox_amdvi_unit, unit);
}

/**
 * struct iox_ivrs_walk - a visitor of the IVHD blocks of the IVRS table
 * @ivhd: called for each IVHD block used; a non-zero return stops the
 *	walk.  Blocks of types 0x11 and 0x40 start with the type 0x10
 *	layout; the header type tells which it is.  Callers embed the walk
 *	in their own state.
 */
struct iox_ivrs_walk {
	int (*ivhd)(struct iox_ivrs_walk *walk, const struct acpi_ivrs_hardware_10 *ivhd);
};

int iox_ivrs_walk_ivhds(struct iox_ivrs_walk *walk);
int iox_ivrs_parse_devices(const struct acpi_ivrs_hardware_10 *ivhd,
			   struct iox_amdvi_devrange **ranges, unsigned int *nr);

bool iox_amdvi_serves(struct iox_amdvi_unit *amdvi, u16 segment, u16 devid);
bool iox_amdvi_dma_alias(struct iox_amdvi_unit *amdvi, u16 devid, u16 *alias);

int iox_amdvi_cmdbuf_alloc(struct iox_amdvi_unit *amdvi);
void iox_amdvi_cmdbuf_free(struct iox_amdvi_unit *amdvi);
int iox_amdvi_cmd_submit(struct iox_amdvi_unit *amdvi, const struct iox_amdvi_cmd *cmds,
			 unsigned int n);
int iox_amdvi_inv_devtab(struct iox_amdvi_unit *amdvi, u16 devid, u16 old_domid);
int iox_amdvi_inv_domain(struct iox_amdvi_unit *amdvi, u16 domid);
int iox_amdvi_inv_range(struct iox_amdvi_unit *amdvi, u16 domid, u64 start, u64 end,
			bool pde);
int iox_amdvi_inv_all(struct iox_amdvi_unit *amdvi);
void iox_amdvi_inject_cmd_errors(struct iox_amdvi_unit *amdvi, int n);
struct iox_amdvi_cmd iox_amdvi_cmd_inv_pages(u16 domid, u64 addr, unsigned int order,
					     bool pde);

int iox_amdvi_devtab_alloc(struct iox_amdvi_unit *amdvi);
void iox_amdvi_devtab_free(struct iox_amdvi_unit *amdvi);
int iox_amdvi_dte_set(struct iox_amdvi_unit *amdvi, u16 devid, u16 domid,
		      phys_addr_t root, unsigned int levels);
int iox_amdvi_dte_set_pt(struct iox_amdvi_unit *amdvi, u16 devid);
int iox_amdvi_dte_release(struct iox_amdvi_unit *amdvi, struct pci_dev *pdev);
void iox_amdvi_devtab_show(struct iox_amdvi_unit *amdvi, struct seq_file *m);
int iox_amdvi_dte_domain_id(struct iox_amdvi_unit *amdvi, u16 devid);

void iox_amdvi_event_decode(const u64 *entry, struct iox_amdvi_event *evt);
const char *iox_amdvi_event_name(u8 code);
int iox_amdvi_event_alloc(struct iox_amdvi_unit *amdvi);
void iox_amdvi_event_start(struct iox_amdvi_unit *amdvi, bool use_irq);
void iox_amdvi_event_stop(struct iox_amdvi_unit *amdvi);
void iox_amdvi_event_free(struct iox_amdvi_unit *amdvi);
unsigned int iox_amdvi_event_poll(struct iox_amdvi_unit *amdvi);
void iox_amdvi_event_report(struct iox_amdvi_unit *amdvi, const struct iox_amdvi_event *evt);
void iox_amdvi_event_show(struct iox_amdvi_unit *amdvi, struct seq_file *m);

struct iox_domain *iox_amdvi_domain_alloc(struct iox_unit *unit);
void iox_amdvi_find_function(struct iox_amdvi_unit *amdvi);

/* For tests (IOX_TEST namespace): the bring-up of module load, again. */
extern const struct iox_backend iox_amdvi_backend;

#endif /* _IOX_AMD_AMDVI_H */
