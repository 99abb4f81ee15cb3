/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iox VT-d backend: register layout and the state of one remapping unit.
 * Register and field definitions follow the Intel VT-d architecture
 * specification, chapter 11.
 */
#ifndef _IOX_INTEL_VTD_H
#define _IOX_INTEL_VTD_H

#include <linux/atomic.h>
#include <linux/bitfield.h>
#include <linux/bits.h>
#include <linux/idr.h>
#include <linux/interrupt.h>
#include <linux/iox.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>

struct acpi_dmar_hardware_unit;
struct acpi_dmar_reserved_memory;
struct pci_dev;
struct seq_file;

#define VTD_REG_SIZE		0x1000
#define VTD_PAGE_MASK		(~0xfffULL)

#define VTD_VER_REG		0x00	/* 32-bit */
#define VTD_CAP_REG		0x08	/* 64-bit */
#define VTD_ECAP_REG		0x10	/* 64-bit */
#define VTD_GSTS_REG		0x1c	/* 32-bit */

#define VTD_GCMD_REG		0x18	/* 32-bit */
#define VTD_RTADDR_REG		0x20	/* 64-bit */
#define VTD_CCMD_REG		0x28	/* 64-bit */
#define VTD_FSTS_REG		0x34	/* 32-bit */
#define VTD_FECTL_REG		0x38	/* 32-bit */
#define VTD_FEDATA_REG		0x3c	/* 32-bit */
#define VTD_FEADDR_REG		0x40	/* 32-bit */
#define VTD_FEUADDR_REG		0x44	/* 32-bit */
#define VTD_IQH_REG		0x80	/* 64-bit */
#define VTD_IQT_REG		0x88	/* 64-bit */
#define VTD_IQA_REG		0x90	/* 64-bit */
#define VTD_ICS_REG		0x9c	/* 32-bit */

/* GCMD commands and the GSTS bits that report them (same positions). */
#define VTD_GSTS_TES		BIT(31)	/* translation enabled */
#define VTD_GSTS_RTPS		BIT(30)	/* root table pointer set (one-shot) */
#define VTD_GSTS_WBFS		BIT(27)	/* write buffer flush pending */
#define VTD_GSTS_QIES		BIT(26)	/* queued invalidation enabled */
#define VTD_GSTS_IRES		BIT(25)	/* interrupt remapping enabled */
#define VTD_GSTS_CFIS		BIT(23)	/* compatibility format interrupts */
#define VTD_GSTS_OWNED		(VTD_GSTS_TES | VTD_GSTS_QIES | VTD_GSTS_IRES)
/* The enables GCMD re-evaluates on every write: always write them back. */
#define VTD_GSTS_PERSISTENT	(VTD_GSTS_TES | VTD_GSTS_QIES | VTD_GSTS_IRES | \
				 VTD_GSTS_CFIS)

#define VTD_CCMD_ICC		BIT_ULL(63)
#define VTD_CCMD_CIRG		GENMASK_ULL(62, 61)
#define VTD_CCMD_FM		GENMASK_ULL(33, 32)
#define VTD_CCMD_SID		GENMASK_ULL(31, 16)
#define VTD_CCMD_DID		GENMASK_ULL(15, 0)

/* IOTLB registers, at the offset ECAP.IRO gives. */
#define VTD_IVA_REG(iro)	(iro)
#define VTD_IOTLB_REG(iro)	((iro) + 8)
#define VTD_IOTLB_IVT		BIT_ULL(63)
#define VTD_IOTLB_IIRG		GENMASK_ULL(61, 60)
#define VTD_IOTLB_DR		BIT_ULL(49)
#define VTD_IOTLB_DW		BIT_ULL(48)
#define VTD_IOTLB_DID		GENMASK_ULL(47, 32)
#define VTD_IVA_IH		BIT_ULL(6)
#define VTD_IVA_AM		GENMASK_ULL(5, 0)

/* Granularity of context-cache and IOTLB invalidations. */
#define VTD_INV_GLOBAL		1
#define VTD_INV_DOMAIN		2
#define VTD_INV_DEVICE		3	/* context cache */
#define VTD_INV_PAGE		3	/* IOTLB */

#define VTD_FSTS_PFO		BIT(0)
#define VTD_FSTS_PPF		BIT(1)
#define VTD_FSTS_IQE		BIT(4)
#define VTD_FSTS_ICE		BIT(5)
#define VTD_FSTS_ITE		BIT(6)
#define VTD_FSTS_FRI		GENMASK(15, 8)
#define VTD_FECTL_IM		BIT(31)

/* Fault recording register, high quadword. */
#define VTD_FRCD_F		BIT_ULL(63)
#define VTD_FRCD_T		BIT_ULL(62)	/* 1: read, 0: write */
#define VTD_FRCD_FR		GENMASK_ULL(39, 32)
#define VTD_FRCD_SID		GENMASK_ULL(15, 0)

#define VTD_IQA_QS		GENMASK_ULL(2, 0)
#define VTD_IQ_SHIFT		4	/* IQH/IQT: index of a 128-bit descriptor */

#define VTD_CAP_ND		GENMASK_ULL(2, 0)
#define VTD_CAP_RWBF		BIT_ULL(4)
#define VTD_CAP_CM		BIT_ULL(7)
#define VTD_CAP_SAGAW		GENMASK_ULL(12, 8)
#define VTD_CAP_MGAW		GENMASK_ULL(21, 16)
#define VTD_CAP_FRO		GENMASK_ULL(33, 24)
#define VTD_CAP_SLLPS		GENMASK_ULL(37, 34)
#define VTD_CAP_PSI		BIT_ULL(39)
#define VTD_CAP_NFR		GENMASK_ULL(47, 40)
#define VTD_CAP_MAMV		GENMASK_ULL(53, 48)

#define VTD_ECAP_C		BIT_ULL(0)
#define VTD_ECAP_QI		BIT_ULL(1)
#define VTD_ECAP_IR		BIT_ULL(3)
#define VTD_ECAP_PT		BIT_ULL(6)
#define VTD_ECAP_SC		BIT_ULL(7)
#define VTD_ECAP_IRO		GENMASK_ULL(17, 8)

/* SAGAW bit n: (n + 2)-level table, 30 + 9 * n bits of address. */
#define VTD_SAGAW_39		BIT(1)
#define VTD_SAGAW_48		BIT(2)
#define VTD_SAGAW_57		BIT(3)

/* SLLPS bits: second-level large pages. */
#define VTD_SLLPS_2M		BIT(0)
#define VTD_SLLPS_1G		BIT(1)

/**
 * struct iox_vtd_caps - decoded capability and extended capability registers
 * @ver: architecture version register (major in bits 7:4, minor in 3:0)
 * @cap: raw capability register
 * @ecap: raw extended capability register
 * @nr_domains: number of domain ids the unit supports
 * @sagaw: supported adjusted guest address widths (VTD_SAGAW_*)
 * @mgaw: maximum guest address width in bits
 * @sllps: second-level large page sizes (VTD_SLLPS_*)
 * @mamv: largest address mask of a page-selective invalidation
 * @nr_fault_regs: number of fault recording registers
 * @fault_reg_offset: offset of the first fault recording register
 * @iotlb_reg_offset: offset of the IOTLB registers
 * @rwbf: write-buffer flushing is required
 * @caching_mode: non-present entries may be cached (virtualised hardware)
 * @psi: page-selective IOTLB invalidation is supported
 * @coherent: page-walks snoop the CPU caches
 * @qi: queued invalidation is supported
 * @ir: interrupt remapping is supported
 * @pass_through: context entries may request pass-through translation
 */
struct iox_vtd_caps {
	u32 ver;
	u64 cap;
	u64 ecap;
	u32 nr_domains;
	u8 sagaw;
	u8 mgaw;
	u8 sllps;
	u8 mamv;
	u16 nr_fault_regs;
	u32 fault_reg_offset;
	u32 iotlb_reg_offset;
	bool rwbf;
	bool caching_mode;
	bool psi;
	bool coherent;
	bool qi;
	bool ir;
	bool pass_through;
};

/**
 * struct iox_vtd_scope - one device scope entry of a DRHD
 * @type: ACPI_DMAR_SCOPE_TYPE_* of the entry
 * @enumeration_id: IOAPIC or HPET id, for those types
 * @bus: bus of the device the path ends at
 * @devfn: device and function the path ends at
 */
struct iox_vtd_scope {
	u8 type;
	u8 enumeration_id;
	u8 bus;
	u8 devfn;
};

/* More page-selective invalidations than this: invalidate the domain. */
#define VTD_MAX_PSI		16

/**
 * struct iox_vtd_desc - a 128-bit invalidation descriptor
 * @lo: low quadword (type, granularity, ids)
 * @hi: high quadword (address, status address)
 */
struct iox_vtd_desc {
	u64 lo;
	u64 hi;
};

#define VTD_QI_ENTRIES		256
/* Descriptors of one batch: the ring keeps a slot free, a wait ends it. */
#define VTD_QI_MAX_BATCH	(VTD_QI_ENTRIES - 3)
/* Batches in flight are told apart by their sequence number modulo this. */
#define VTD_QI_SEQ_BITS		1024

/**
 * struct iox_vtd_qi - the queued-invalidation state of a unit
 * @lock: protects the ring, @tail, @seq, @failed, @ite_gen, the counters
 *	and the IQT and FSTS registers; dropped while a slow batch is waited
 *	for (see qi.c)
 * @ring: VTD_QI_ENTRIES descriptors in one page
 * @tail: index the next descriptor goes to
 * @status: [0] the word wait descriptors write (the last completed
 *	batch's @seq), [1] a scratch word for descriptors that replace
 *	invalid ones
 * @seq: number the last batch's wait writes
 * @failed: batches (by @seq modulo VTD_QI_SEQ_BITS) hardware found an
 *	invalid descriptor in
 * @ite_gen: device-TLB invalidation time-outs seen: each drops the waits
 *	pending then
 * @timeout_ns: how long a batch is waited for (tests shorten it)
 * @nr_descs: descriptors submitted, waits excluded
 * @nr_waits: batches submitted
 * @nr_iqe: invalid descriptors hardware reported
 * @nr_ite: device-TLB invalidation time-outs hardware reported
 * @nr_timeouts: batches that did not complete in time
 */
struct iox_vtd_qi {
	raw_spinlock_t lock;
	struct iox_vtd_desc *ring;
	unsigned int tail;
	u32 *status;
	u32 seq;
	DECLARE_BITMAP(failed, VTD_QI_SEQ_BITS);
	u32 ite_gen;
	u64 timeout_ns;
	u64 nr_descs;
	u64 nr_waits;
	u64 nr_iqe;
	u64 nr_ite;
	u64 nr_timeouts;
};

/**
 * struct iox_vtd_fault - a decoded fault record
 * @addr: page address of the faulting request
 * @sid: source id of the requester (bus << 8 | devfn)
 * @reason: fault reason code
 * @read: the request was a read (else a write)
 */
struct iox_vtd_fault {
	u64 addr;
	u16 sid;
	u8 reason;
	bool read;
};

#define VTD_FAULT_LOG	16

/**
 * struct iox_vtd_unit - one VT-d remapping hardware unit
 * @unit: the unit as registered with the iox core
 * @reg_phys: physical address of the register set, from the DRHD
 * @regs: the mapped register set
 * @segment: PCI segment the unit serves
 * @include_all: the unit serves every device of @segment not claimed by
 *	another DRHD (DMAR INCLUDE_PCI_ALL)
 * @caps: decoded capabilities
 * @nr_scopes: number of entries in @scopes
 * @scopes: the devices the unit serves, when not @include_all
 * @list: entry in the backend's list of units
 * @reg_lock: serialises register-based invalidation (CCMD, IOTLB) and
 *	global commands, whose write-then-poll sequences must not interleave
 * @use_qi: invalidations go through @qi, else through registers
 * @qi: queued invalidation
 * @nr_inv: IOTLB invalidations issued, by granularity (VTD_INV_*)
 * @inject_inv_errors: tests: invalidations still to fail (see
 *	iox_vtd_inject_inv_errors())
 * @table_lock: protects @root, @context and the entries in them
 * @root: the root table (256 16-byte entries, one per bus)
 * @context: the context table of each bus, NULL until a device is set up
 * @haw: host address width from the DMAR table: page tables may point
 *	only below 2^@haw
 * @agaw: the address width code context entries name for 4-level (2) or
 *	3-level (1) tables: the widest the unit supports
 * @domain_ids: allocator of domain ids; 0 is reserved in caching mode
 * @pt_did: domain id of the pass-through context entries
 * @enabled: translation is on
 * @fault_lock: protects @faults, @nr_faults, @fault_log and @fault_sids
 * @fault_poll_lock: serialises reading and clearing the fault recording
 *	registers (interrupt thread, poll work, debugfs, tests), so that no
 *	record is reported twice
 * @fault_work: polls the fault recording registers when there is no
 *	fault interrupt, and after a fault storm cut the thread short
 * @fault_irq: Linux irq of the fault event, 0 when faults are polled
 * @fault_irq_domain: the irq domain of @fault_irq
 * @nr_fault_irqs: fault events received
 * @nr_faults: faults recorded since load
 * @fault_log: the last faults, @nr_faults % VTD_FAULT_LOG is next
 * @fault_sids: fault counts by source id (xa_mk_value)
 */
struct iox_vtd_unit {
	struct iox_unit unit;
	u64 reg_phys;
	void __iomem *regs;
	u16 segment;
	bool include_all;
	struct iox_vtd_caps caps;
	unsigned int nr_scopes;
	struct iox_vtd_scope *scopes;
	struct list_head list;
	raw_spinlock_t reg_lock;
	bool use_qi;
	struct iox_vtd_qi qi;
	u64 nr_inv[4];
	atomic_t inject_inv_errors;
	spinlock_t table_lock;		/* see @table_lock above */
	u64 *root;
	u64 *context[256];
	u8 haw;
	u8 agaw;
	struct ida domain_ids;
	u16 pt_did;
	bool enabled;
	spinlock_t fault_lock;		/* see @fault_lock above */
	struct mutex fault_poll_lock;	/* see @fault_poll_lock above */
	struct delayed_work fault_work;
	unsigned int fault_irq;
	struct irq_domain *fault_irq_domain;
	atomic64_t nr_fault_irqs;
	u64 nr_faults;
	struct iox_vtd_fault fault_log[VTD_FAULT_LOG];
	struct xarray fault_sids;
};

static inline struct iox_vtd_unit *to_vtd_unit(struct iox_unit *unit)
{
	return container_of(unit, struct iox_vtd_unit, unit);
}

/**
 * struct iox_dmar_walk - a visitor of the DRHDs and RMRRs of the DMAR table
 * @drhd: called for each hardware unit definition, unless NULL; a non-zero
 *	return stops the walk.  Callers embed the walk in their own state.
 * @rmrr: called for each reserved memory region report, unless NULL; a
 *	non-zero return stops the walk
 * @haw: set by the walk before the first call: the host address width the
 *	table declares, in bits (the physical addresses DMA reaches)
 */
struct iox_dmar_walk {
	int (*drhd)(struct iox_dmar_walk *walk, const struct acpi_dmar_hardware_unit *drhd);
	int (*rmrr)(struct iox_dmar_walk *walk, const struct acpi_dmar_reserved_memory *rmrr);
	unsigned int haw;
};

/**
 * struct iox_vtd_rmrr - a reserved memory region of the DMAR table (RMRR)
 * @list: entry in the backend's list of regions
 * @base: first byte of the region, page aligned
 * @last: last byte of the region
 * @segment: PCI segment of the devices in @scopes
 * @nr_scopes: number of entries in @scopes
 * @scopes: the devices whose firmware may DMA to the region at any time
 */
struct iox_vtd_rmrr {
	struct list_head list;
	u64 base;
	u64 last;
	u16 segment;
	unsigned int nr_scopes;
	struct iox_vtd_scope *scopes;
};

struct acpi_table_header;
int iox_dmar_walk_table(struct acpi_table_header *hdr, struct iox_dmar_walk *walk);
int iox_dmar_walk_drhds(struct iox_dmar_walk *walk);
int iox_dmar_parse_scopes(const struct acpi_dmar_hardware_unit *drhd,
			  struct iox_vtd_scope **scopes, unsigned int *nr);
int iox_dmar_parse_rmrr(const struct acpi_dmar_reserved_memory *rmrr,
			struct iox_vtd_rmrr **out);

int iox_vtd_rmrrs_load(void);
void iox_vtd_rmrrs_free(void);
void iox_vtd_rmrr_free(struct iox_vtd_rmrr *r);
void iox_vtd_rmrr_add(struct iox_vtd_rmrr *r);
void iox_vtd_rmrr_del(struct iox_vtd_rmrr *r);
void iox_vtd_direct_regions(struct iox_unit *unit, struct device *dev,
			    void (*fn)(u64 start, u64 last, void *data), void *data);
bool iox_vtd_scopes_cover(const struct iox_vtd_scope *scopes, unsigned int nr, u16 segment,
			  struct pci_dev *pdev);

int iox_vtd_gcmd_enable(struct iox_vtd_unit *vtd, u32 bit, bool on);
int iox_vtd_gcmd_set_root(struct iox_vtd_unit *vtd, phys_addr_t root);
int iox_vtd_flush_write_buffer(struct iox_vtd_unit *vtd);

int iox_vtd_qi_enable(struct iox_vtd_unit *vtd);
void iox_vtd_qi_free(struct iox_vtd_unit *vtd);
int iox_vtd_qi_submit(struct iox_vtd_unit *vtd, const struct iox_vtd_desc *descs,
		      unsigned int n);

bool iox_vtd_inv_inject(struct iox_vtd_unit *vtd);
void iox_vtd_inject_inv_errors(struct iox_vtd_unit *vtd, int n);
int iox_vtd_inv_context(struct iox_vtd_unit *vtd, unsigned int granularity, u16 did,
			u16 sid);
int iox_vtd_inv_iotlb(struct iox_vtd_unit *vtd, unsigned int granularity, u16 did);
int iox_vtd_inv_iotlb_range(struct iox_vtd_unit *vtd, u16 did, u64 start, u64 end,
			    bool leaf_only);

int iox_vtd_tables_alloc(struct iox_vtd_unit *vtd);
void iox_vtd_tables_free(struct iox_vtd_unit *vtd);
int iox_vtd_context_set_pt(struct iox_vtd_unit *vtd, u8 bus, u8 devfn);
int iox_vtd_context_set(struct iox_vtd_unit *vtd, u8 bus, u8 devfn, u16 did,
			phys_addr_t pgd, u8 agaw);
int iox_vtd_context_clear(struct iox_vtd_unit *vtd, u8 bus, u8 devfn);
int iox_vtd_context_release(struct iox_vtd_unit *vtd, struct pci_dev *pdev);
void iox_vtd_context_show(struct iox_vtd_unit *vtd, struct seq_file *m);
int iox_vtd_context_domain_id(struct iox_vtd_unit *vtd, u8 bus, u8 devfn);

void iox_vtd_fault_init(struct iox_vtd_unit *vtd, bool use_irq);
int iox_vtd_fault_irq_init(struct iox_vtd_unit *vtd, irq_handler_t thread_fn);
void iox_vtd_fault_irq_free(struct iox_vtd_unit *vtd);
void iox_vtd_fault_stop(struct iox_vtd_unit *vtd);
unsigned int iox_vtd_fault_poll(struct iox_vtd_unit *vtd);
void iox_vtd_fault_show(struct iox_vtd_unit *vtd, struct seq_file *m);

struct iox_domain *iox_vtd_domain_alloc(struct iox_unit *unit);

int iox_vtd_check_regs(const char *name, u64 base, void __iomem *regs);
void iox_vtd_decode_caps(u32 ver, u64 cap, u64 ecap, struct iox_vtd_caps *caps);
bool iox_vtd_scope_names(const struct iox_vtd_unit *vtd, u8 type, u8 bus, u8 devfn);
bool iox_vtd_serves_among(const struct list_head *units, const struct iox_vtd_unit *vtd,
			  struct pci_dev *pdev);
bool iox_vtd_serves(struct iox_vtd_unit *vtd, struct pci_dev *pdev);

/* For tests (IOX_TEST namespace): the bring-up of module load, again. */
extern const struct iox_backend iox_vtd_backend;

#endif /* _IOX_INTEL_VTD_H */
