/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iox: an IOMMU subsystem - the generic core.
 *
 * Backends (VT-d, AMD-Vi) register the hardware instances they discover as
 * units.  The core splits every map and unmap range into runs of the largest
 * page size that the hardware and the alignment of the range allow, so that
 * a backend handles a whole run in one call.
 */
#ifndef _LINUX_IOX_H
#define _LINUX_IOX_H

#include <linux/atomic.h>
#include <linux/bits.h>
#include <linux/errno.h>
#include <linux/gfp_types.h>
#include <linux/limits.h>
#include <linux/list.h>
#include <linux/minmax.h>
#include <linux/mm_types.h>
#include <linux/mutex.h>
#include <linux/rculist.h>
#include <linux/spinlock_types.h>
#include <linux/types.h>

struct dentry;
struct seq_file;
struct iox_dma_domain;
struct iox_flush_queue;
struct iox_unit;

/*
 * The prot argument of a mapping: what the device may do through it, and
 * whether its accesses snoop the CPU caches (VT-d SNP; ignored by hardware
 * that always snoops).  A mapping needs at least IOX_PROT_READ or
 * IOX_PROT_WRITE.
 */
#define IOX_PROT_READ	BIT(0)
#define IOX_PROT_WRITE	BIT(1)
#define IOX_PROT_SNOOP	BIT(2)

/**
 * struct iox_run - one run of equally sized pages produced by the splitter
 * @iova: I/O virtual address of the first page
 * @paddr: physical address of the first page
 * @pgsize: page size of the run, a single bit of the page-size bitmap
 * @pgcount: number of pages in the run, at least one
 */
struct iox_run {
	u64 iova;
	phys_addr_t paddr;
	size_t pgsize;
	size_t pgcount;
};

/**
 * iox_split_check() - validate a range before splitting it
 * @iova: first I/O virtual address of the range
 * @paddr: first physical address of the range
 * @size: length of the range in bytes
 * @pgsize_bitmap: page sizes the hardware supports, one bit per size
 *
 * A range is acceptable when it is not empty, both of its addresses and its
 * length are aligned to the smallest supported page size, and neither the
 * IOVA nor the physical range wraps around the end of the address space.  A
 * range may end exactly at the top of the address space.  For an unmap,
 * pass @paddr equal to @iova.
 *
 * Return: 0 if the range can be split, -EINVAL for an empty bitmap, a zero
 * size or misaligned input, -EOVERFLOW if the range wraps.
 */
static inline int iox_split_check(u64 iova, phys_addr_t paddr, size_t size,
				  unsigned long pgsize_bitmap)
{
	unsigned long min_pgsize;

	if (!pgsize_bitmap || !size)
		return -EINVAL;

	min_pgsize = pgsize_bitmap & -pgsize_bitmap;
	if ((iova | paddr | size) & (min_pgsize - 1))
		return -EINVAL;

	/* The last byte must be reachable without wrapping. */
	if (iova + (size - 1) < iova || paddr + (size - 1) < paddr)
		return -EOVERFLOW;

	return 0;
}

void iox_split_first(u64 iova, phys_addr_t paddr, size_t size,
		     unsigned long pgsize_bitmap, struct iox_run *run);

/**
 * struct iox_iotlb_gather - invalidation work collected during an unmap
 * @start: first IOVA whose translation must be invalidated
 * @end: last IOVA (inclusive) whose translation must be invalidated;
 *	@start > @end means no range was gathered
 * @pgsize: size of the leaf entries that were cleared, for invalidation
 *	hints; 0 when none were
 * @freelist: page-table pages (linked through page->lru) that became
 *	unreachable; they are freed only after the IOTLB flush, because the
 *	hardware may still walk them until then
 * @queued: the unmap will be covered by a later domain-wide flush (lazy
 *	invalidation): ranges are not tracked at all
 *
 * Backends add ranges while unmapping; the core hands the gather to the
 * backend's iotlb_sync and then frees @freelist, or keeps it if the sync
 * failed (see iox_iotlb_sync()).
 */
struct iox_iotlb_gather {
	u64 start;
	u64 end;
	size_t pgsize;
	struct list_head freelist;
	bool queued;
};

/**
 * iox_iotlb_gather_init() - start an empty gather
 * @gather: the gather
 * @queued: whether a later domain-wide flush covers this unmap
 */
static inline void iox_iotlb_gather_init(struct iox_iotlb_gather *gather, bool queued)
{
	gather->start = U64_MAX;
	gather->end = 0;
	gather->pgsize = 0;
	INIT_LIST_HEAD(&gather->freelist);
	gather->queued = queued;
}

/**
 * IOX_IOTLB_GATHER() - an empty gather, as iox_iotlb_gather_init() starts it
 * @name: the variable it initialises
 * @q: whether a later domain-wide flush covers the unmap
 *
 * For the declaration of a gather on the stack: one initialised there is
 * not also cleared first when the kernel clears uninitialised locals
 * (CONFIG_INIT_STACK_ALL_ZERO), a loop of stores that would cost the
 * unmap paths more than the gather's own set-up.
 */
#define IOX_IOTLB_GATHER(name, q) {					\
	.start = U64_MAX,						\
	.freelist = LIST_HEAD_INIT((name).freelist),			\
	.queued = (q),							\
}

/**
 * iox_iotlb_gather_empty() - whether no range has been gathered
 * @gather: the gather
 *
 * Return: true if there is no range to invalidate.
 */
static inline bool iox_iotlb_gather_empty(const struct iox_iotlb_gather *gather)
{
	return gather->start > gather->end;
}

/**
 * iox_iotlb_gather_is_disjoint() - whether a range would widen the gather
 *	over IOVAs that were not unmapped
 * @gather: the gather
 * @iova: first IOVA of the range
 * @size: length of the range in bytes, non-zero
 *
 * Backends whose invalidation cost grows with the size of the range (page-
 * selective invalidation) may sync the gather before adding a range that
 * neither overlaps nor touches it; others may merge.  Never true for an
 * empty or queued gather.
 *
 * Return: true if the range neither overlaps nor is adjacent to the
 * gathered range.
 */
static inline bool iox_iotlb_gather_is_disjoint(const struct iox_iotlb_gather *gather,
						u64 iova, size_t size)
{
	u64 last = iova + (size - 1);

	if (gather->queued || iox_iotlb_gather_empty(gather))
		return false;
	return (gather->start && last < gather->start - 1) ||
	       (gather->end != U64_MAX && iova > gather->end + 1);
}

/**
 * iox_iotlb_gather_add_range() - record a range whose translations were
 *	removed
 * @gather: the gather
 * @iova: first IOVA of the range
 * @size: length of the range in bytes, non-zero
 * @pgsize: size of the leaf entries cleared
 *
 * A no-op for a queued gather: the domain-wide flush covers everything, so
 * per-range tracking would be wasted work.
 */
static inline void iox_iotlb_gather_add_range(struct iox_iotlb_gather *gather,
					      u64 iova, size_t size, size_t pgsize)
{
	u64 last = iova + (size - 1);

	if (gather->queued)
		return;
	if (iox_iotlb_gather_empty(gather)) {
		gather->start = iova;
		gather->end = last;
	} else {
		gather->start = min(gather->start, iova);
		gather->end = max(gather->end, last);
	}
	if (pgsize > gather->pgsize)
		gather->pgsize = pgsize;
}

/**
 * iox_iotlb_gather_free_page() - free a page-table page after the flush
 * @gather: the gather
 * @page: the page, no longer reachable from the page table
 *
 * Also for a queued gather: the page must outlive the flush either way.
 */
static inline void iox_iotlb_gather_free_page(struct iox_iotlb_gather *gather,
					      struct page *page)
{
	list_add_tail(&page->lru, &gather->freelist);
}

/*
 * Every allocation site of iox and its backends asks iox_should_fail_alloc()
 * first and fails as if memory were short when it says so.  Without
 * CONFIG_IOX_FAULT_INJECTION it is a constant false; with it, the kernel's
 * fault-injection framework decides (fault_inject.c).
 */
#ifdef CONFIG_IOX_FAULT_INJECTION
bool iox_should_fail_alloc(void);
#else
static inline bool iox_should_fail_alloc(void)
{
	return false;
}
#endif

struct device;
struct scatterlist;
struct iox_domain;

/**
 * struct iox_mapping - what one IOVA of a domain translates to, from
 *	iox_lookup()
 * @iova: first IOVA of the leaf page that maps the IOVA looked up
 * @size: size of that leaf page (the page-table entry), a power of two
 * @paddr: physical address the looked-up IOVA translates to
 * @prot: IOX_PROT_* flags of the leaf
 */
struct iox_mapping {
	u64 iova;
	u64 size;
	phys_addr_t paddr;
	int prot;
};

/**
 * struct iox_pgtable_info - a domain's page-table accounting, from
 *	iox_domain_pgtable_info()
 * @levels: levels of the page table
 * @pages_live: table pages the page table holds now, its root included
 * @pages_allocated: table pages ever allocated
 * @pages_gathered: table pages emptied by unmaps and freed after their
 *	IOTLB flush
 * @pages_freed: table pages freed at once (never published, or at destroy)
 * @flushes: write-backs of entries from the CPU caches for non-coherent
 *	walkers
 */
struct iox_pgtable_info {
	unsigned int levels;
	long pages_live;
	long pages_allocated;
	long pages_gathered;
	long pages_freed;
	unsigned long flushes;
};

/**
 * struct iox_unit_ops - operations a backend provides for its units
 * @owner: the backend's module (THIS_MODULE): a unit reference pins it
 * @show: print the decoded hardware description of the unit into a
 *	seq_file; backs the "caps" file of the unit's debugfs directory
 * @serves: whether @dev issues DMA through this unit (its device scope)
 * @domain_alloc: allocate a backend domain whose page table suits this
 *	unit; the backend sets the domain's ops, the core the rest.  NULL if
 *	the backend cannot translate yet.  Returns an ERR_PTR() on failure.
 * @release_dev: put @dev, which is attached to no domain, in the state a
 *	device without a domain has on this unit: blocked (its DMA reaches
 *	nothing) if iox_device_blocked() says so, else pass-through.  Return
 *	0 once the hardware uses the new state, or a negative errno.  Backends
 *	also apply that state when a device is detached, when one is added
 *	and at bring-up.  May be NULL: the unit cannot block a device.
 * @direct_regions: call @fn with the first and last byte of each memory
 *	region that firmware may DMA to for @dev at any time (VT-d RMRR), which
 *	every domain of @dev must map 1:1; NULL if the backend knows none
 */
struct iox_unit_ops {
	struct module *owner;
	void (*show)(struct iox_unit *unit, struct seq_file *m);
	bool (*serves)(struct iox_unit *unit, struct device *dev);
	struct iox_domain *(*domain_alloc)(struct iox_unit *unit);
	int (*release_dev)(struct iox_unit *unit, struct device *dev);
	void (*direct_regions)(struct iox_unit *unit, struct device *dev,
			       void (*fn)(u64 start, u64 last, void *data), void *data);
};

/**
 * struct iox_unit - one IOMMU hardware instance registered with the core
 * @name: unique name, e.g. "dmar0" or "ivhd0"
 * @ops: backend operations
 * @pgsize_bitmap: page sizes the unit's page tables can map
 * @ias: input (IOVA) address width in bits; the aperture of its domains
 *	is [0, 2^ias - 1]
 * @oas: output (physical) address width in bits: its page tables can
 *	point only below 2^oas; 0 if the backend does not know
 * @lazy_ok: the unit may defer IOTLB invalidation to a flush queue
 * @coherent: the unit's page-table walks snoop the CPU caches; page tables
 *	written for such a unit are not flushed from the CPU caches, so a
 *	unit without it cannot join their domain
 * @force_snoop: the unit can make a mapping's DMA snoop the CPU caches
 *	whatever the device asks for (IOX_PROT_SNOOP is honoured; VT-d SC);
 *	page tables written for such a unit may carry the snoop bit, which
 *	is reserved on a unit without it, so such a unit cannot join their
 *	domain
 * @sync_map: new mappings must be made visible to the unit (it caches
 *	not-present entries, or has a write buffer to flush): maps in its
 *	domains call the backend's @iotlb_sync_map, maps in others do not
 * @list: entry in the core's unit list, protected by the core's unit lock
 * @debugfs: the unit's directory under /sys/kernel/debug/iox/
 *
 * The backend fills in everything but @list and @debugfs before calling
 * iox_unit_register(), and unregisters and frees the unit only when its
 * module unloads (or before anyone could have found it): a reference
 * (iox_unit_get()) pins the module and so keeps the unit.
 */
struct iox_unit {
	char name[16];
	const struct iox_unit_ops *ops;
	unsigned long pgsize_bitmap;
	unsigned int ias;
	unsigned int oas;
	bool lazy_ok;
	bool coherent;
	bool force_snoop;
	bool sync_map;
	struct list_head list;
	struct dentry *debugfs;
};

int iox_unit_register(struct iox_unit *unit);
void iox_unit_unregister(struct iox_unit *unit);

/**
 * struct iox_probe - what a backend's walk of its firmware table found
 * @hw: the hardware, for messages ("VT-d", "AMD-Vi")
 * @table: the ACPI table walked, for messages ("DMAR", "IVRS")
 * @nr_units: units brought up and registered; the next one is numbered so
 * @nr_owned: units skipped because another driver enabled them
 * @nr_bad: units skipped because their registers are unusable
 */
struct iox_probe {
	const char *hw;
	const char *table;
	unsigned int nr_units;
	unsigned int nr_owned;
	unsigned int nr_bad;
};

/**
 * struct iox_backend - how a backend finds its units and removes them
 * @hw: the hardware, for messages ("VT-d", "AMD-Vi")
 * @table: the ACPI table walked, for messages ("DMAR", "IVRS")
 * @ops: the operations of the backend's units
 * @walk: walk the firmware table: bring up and register each unit found,
 *	counting in @probe what was found; 0, or an errno that fails the load
 * @remove: turn a unit off once it is unregistered, and free it
 *
 * The one shape of every backend's load and unload: iox_backend_probe()
 * in its module init, iox_backend_remove() in its exit.
 */
struct iox_backend {
	const char *hw;
	const char *table;
	const struct iox_unit_ops *ops;
	int (*walk)(struct iox_probe *probe);
	void (*remove)(struct iox_unit *unit);
};

int iox_backend_probe(const struct iox_backend *backend);
void iox_backend_remove(const struct iox_backend *backend);
int iox_probe_finish(const struct iox_probe *probe, int ret, const struct iox_unit_ops *ops,
		     void (*remove)(struct iox_unit *unit));
void iox_units_remove(const struct iox_unit_ops *ops, void (*remove)(struct iox_unit *unit));
struct iox_unit *iox_unit_find(const char *name);
struct iox_unit *iox_unit_for_device(struct device *dev);
bool iox_unit_get(struct iox_unit *unit);
void iox_unit_put(struct iox_unit *unit);
int iox_walk_units(int (*fn)(struct iox_unit *unit, void *data), void *data);
void iox_test_set_register_hook(void (*hook)(void *data), void *data);

struct pci_dev;
bool iox_pci_own_requester_id(struct pci_dev *pdev);

/**
 * struct iox_dma_alias_walk - a visitor of the requester ids of a device's DMA
 * @alias: called for each id (bus << 8 | devfn); a non-zero return stops
 *	the walk.  Callers embed the walk in their own state.
 */
struct iox_dma_alias_walk {
	int (*alias)(struct iox_dma_alias_walk *walk, u16 alias);
};

int iox_pci_walk_dma_aliases(struct pci_dev *pdev, struct iox_dma_alias_walk *walk);
struct pci_dev *iox_release_pci_dev(struct device *dev, int *ret);

/**
 * struct iox_domain_ops - what a backend does for a domain
 * @map_pages: map @pgcount pages of @pgsize from @iova to @paddr with
 *	@prot; set *@mapped to the bytes mapped, also on failure, so that
 *	the core can unwind exactly those.  Return -EEXIST, leaving the
 *	entry alone, if a page of the run is mapped already.
 * @unmap_pages: unmap @pgcount pages of @pgsize from @iova, recording the
 *	invalidation work in @gather, and set *@unmapped to the bytes
 *	unmapped from @iova on, also on failure.  Return 0 when the whole
 *	run was unmapped, -ENOENT when it stopped at the first IOVA that is
 *	not mapped, -ENOMEM (with nothing changed) when memory a superpage
 *	split needs could not be had
 * @iotlb_sync: invalidate what @gather recorded on every unit that can
 *	reach the domain; return 0 when no device can use the old
 *	translations (or the freed tables) any more, or a negative errno
 *	(-ETIMEDOUT, -EIO) when the invalidation may not have completed on
 *	some unit.  Leave @gather's freelist alone: the core frees it on
 *	success and keeps it on failure.
 * @iotlb_sync_map: make new mappings of [@iova, @iova + @size) visible,
 *	for hardware that caches non-present entries; may be NULL; called
 *	only once a unit with @sync_map joined the domain
 * @flush_iotlb_all: invalidate every translation of the domain; 0, or a
 *	negative errno as for @iotlb_sync
 * @iova_to_phys: the physical address @iova translates to, 0 if none
 * @attach_dev: point @dev, behind @unit, at the domain's page table
 * @detach_dev: stop translating @dev through the domain; return 0 once the
 *	hardware can no longer reach the domain's tables on @dev's behalf,
 *	or a negative errno if that could not be made sure (the entry could
 *	not be cleared and flushed): the core then keeps @dev attached
 * @free: free the domain and its page table; no device is attached
 * @show_pgtable: describe the page table (levels, table pages allocated and
 *	freed) for the domain's debugfs "pgtable" file; may be NULL
 * @lookup: fill *@m with the leaf translating @iova; return 0, or -ENOENT
 *	if @iova is not mapped; may be NULL
 * @pgtable_info: fill *@info with the page table's accounting; may be NULL
 */
struct iox_domain_ops {
	int (*map_pages)(struct iox_domain *domain, u64 iova, phys_addr_t paddr,
			 size_t pgsize, size_t pgcount, int prot, gfp_t gfp,
			 size_t *mapped);
	int (*unmap_pages)(struct iox_domain *domain, u64 iova, size_t pgsize,
			   size_t pgcount, struct iox_iotlb_gather *gather,
			   size_t *unmapped);
	int (*iotlb_sync)(struct iox_domain *domain, struct iox_iotlb_gather *gather);
	int (*iotlb_sync_map)(struct iox_domain *domain, u64 iova, size_t size);
	int (*flush_iotlb_all)(struct iox_domain *domain);
	phys_addr_t (*iova_to_phys)(struct iox_domain *domain, u64 iova);
	int (*attach_dev)(struct iox_domain *domain, struct iox_unit *unit,
			  struct device *dev);
	int (*detach_dev)(struct iox_domain *domain, struct iox_unit *unit,
			  struct device *dev);
	void (*free)(struct iox_domain *domain);
	void (*show_pgtable)(struct iox_domain *domain, struct seq_file *m);
	int (*lookup)(struct iox_domain *domain, u64 iova, struct iox_mapping *m);
	void (*pgtable_info)(struct iox_domain *domain, struct iox_pgtable_info *info);
};

/**
 * struct iox_domain_stats - what a domain has done, summed over CPUs
 * @maps: successful iox_map() and iox_map_sg() calls
 * @unmaps: iox_unmap() and iox_unmap_fast() calls that unmapped something
 * @bytes_mapped: bytes those maps mapped
 * @bytes_unmapped: bytes those unmaps unmapped
 * @syncs: IOTLB syncs handed to the backend
 * @flush_alls: domain-wide IOTLB flushes
 * @unmap_nomem: unmaps that stopped short because a superpage split could
 *	not get memory (see iox_unmap_range())
 * @sync_errors: syncs and domain-wide flushes the backend reported failed
 */
struct iox_domain_stats {
	u64 maps;
	u64 unmaps;
	u64 bytes_mapped;
	u64 bytes_unmapped;
	u64 syncs;
	u64 flush_alls;
	u64 unmap_nomem;
	u64 sync_errors;
};

/* The flags of a fault report: what the faulting request was. */
#define IOX_FAULT_READ	BIT(0)
#define IOX_FAULT_WRITE	BIT(1)

/**
 * struct iox_fault - a DMA fault as a backend reports it
 * @iova: the faulting address, as the hardware recorded it (VT-d records
 *	the page)
 * @flags: IOX_FAULT_READ or IOX_FAULT_WRITE
 * @reason: the hardware's reason code: for VT-d the fault reason of the
 *	fault record (5 and 6: no translation for a write or read, 7: no
 *	permission...), for AMD-Vi the event code
 */
struct iox_fault {
	u64 iova;
	int flags;
	u32 reason;
};

/**
 * struct iox_domain - an I/O address space that devices are attached to
 * @ops: backend operations, set by the unit's domain_alloc
 * @id: number of the domain, names its debugfs directory
 * @unit: the unit the domain was allocated for, whose capabilities the page
 *	table was built with; devices behind other units with the same ops
 *	may attach too, if their units can walk that page table: not if @unit
 *	is coherent and they are not, nor if @unit has snoop control and they
 *	have not
 * @pgsize_bitmap: page sizes every attached unit can map (the intersection)
 * @aperture_end: last IOVA every attached unit can translate
 * @lazy_ok: every attached unit allows deferred invalidation
 * @coherent: every attached unit walks page tables coherently
 * @force_snoop: every attached unit honours IOX_PROT_SNOOP
 * @lock: serialises attach, detach and free, and protects @devices,
 *	@nr_devices and the capability fields above (map and unmap read them
 *	without it: narrowing them while maps are in flight is the caller's
 *	race to avoid)
 * @devices: the attached devices (struct iox_dev_data)
 * @nr_devices: number of entries on @devices
 * @mapped_bytes: bytes mapped now
 * @used_pgsizes: page sizes mapped since the domain was last empty
 * @highest_mapped: highest IOVA mapped since the domain was last empty
 * @stats: per-CPU counters, see iox_domain_get_stats()
 * @kept_lock: protects @kept_pages; taken in any context
 * @kept_pages: page-table pages whose invalidation failed (linked through
 *	page->lru): hardware may still walk them, so they are not reused
 *	until a domain-wide flush succeeds or the domain is freed
 * @nr_kept_pages: number of pages on @kept_pages
 * @nr_faults: DMA faults reported for devices attached to the domain
 * @fault_handler: called for each such fault with the device, the fault
 *	and @fault_data, in process context under rcu_read_lock() (it must
 *	not sleep); set with iox_domain_set_fault_handler()
 * @fault_data: passed to @fault_handler
 * @debugfs: the domain's directory under /sys/kernel/debug/iox/domains/
 * @fq: the flush queue of a domain in lazy mode (iox_domain_enable_lazy()),
 *	NULL in strict mode; set under @lock, read locklessly by unmaps
 * @fq_release: set with @fq: destroys it, after a last flush, when the
 *	domain is freed (the core does not call into the flush queue)
 * @dma: the DMA layer's data for a DMA domain (drivers/iommu/iox/dma.c),
 *	set before the device is attached
 * @units: the units the domain is on (struct iox_domain_unit), which are
 *	the units its IOTLB syncs invalidate: an RCU list changed under
 *	@lock by the backend's attach and detach, walked by the IOTLB paths
 *	(drivers/iommu/iox/domain_unit.c)
 * @sync_map: a unit with @sync_map joined @units once: maps call the
 *	backend's @iotlb_sync_map from then on; set before the unit's join
 *	is published, never cleared
 */
struct iox_domain {
	const struct iox_domain_ops *ops;
	int id;
	struct iox_unit *unit;
	unsigned long pgsize_bitmap;
	u64 aperture_end;
	bool lazy_ok;
	bool coherent;
	bool force_snoop;
	struct mutex lock;	/* attach, detach, free; see above */
	struct list_head devices;
	unsigned int nr_devices;
	atomic64_t mapped_bytes;
	atomic_long_t used_pgsizes;
	atomic64_t highest_mapped;
	struct iox_domain_stats __percpu *stats;
	spinlock_t kept_lock;	/* see @kept_lock above */
	struct list_head kept_pages;
	atomic_long_t nr_kept_pages;
	atomic64_t nr_faults;
	void (*fault_handler)(struct iox_domain *domain, struct device *dev,
			      const struct iox_fault *fault, void *data);
	void *fault_data;
	struct dentry *debugfs;
	struct iox_flush_queue *fq;
	void (*fq_release)(struct iox_domain *domain);
	struct iox_dma_domain *dma;
	struct list_head units;
	bool sync_map;
};

struct ida;

/**
 * struct iox_domain_unit - a domain's presence on one unit
 * @link: entry on the domain's @units list
 * @rcu: frees the entry after the IOTLB paths are done with it
 * @unit: the unit
 * @ids: the unit's allocator @id came from
 * @id: the domain id the domain has on @unit, which tags the translations
 *	the unit caches from the domain's tables
 * @devices: devices behind @unit attached to the domain; under the
 *	domain's lock
 */
struct iox_domain_unit {
	struct list_head link;
	struct rcu_head rcu;
	struct iox_unit *unit;
	struct ida *ids;
	u32 id;
	unsigned int devices;
};

struct iox_domain_unit *iox_domain_unit_find(struct iox_domain *domain, struct iox_unit *unit);
struct iox_domain_unit *iox_domain_unit_join(struct iox_domain *domain, struct iox_unit *unit,
					     struct ida *ids, unsigned int min_id,
					     unsigned int max_id);
void iox_domain_unit_attached(struct iox_domain_unit *du);
void iox_domain_unit_release(struct iox_domain_unit *du);
void iox_domain_unit_detached(struct iox_domain_unit *du);
void iox_test_set_attach_hook(void (*hook)(void *data), void *data);

/**
 * iox_domain_units_lock() - start a walk of a domain's units
 *
 * Enters an RCU read-side section after a full barrier, which orders the
 * page-table changes the caller made before against the walk: a unit the
 * walk misses joined later (iox_domain_unit_join()), so its device entry
 * went live after the change and it cannot have cached what the change
 * removed.  Walk with iox_domain_for_each_unit(), end with
 * iox_domain_units_unlock().  Any context; the walk must not sleep.
 */
static inline void iox_domain_units_lock(void)
	__acquires(RCU)
{
	rcu_read_lock();
	/* Pairs with the barrier after a unit joins the set. */
	smp_mb();
}

/**
 * iox_domain_units_unlock() - end a walk of a domain's units
 */
static inline void iox_domain_units_unlock(void)
	__releases(RCU)
{
	rcu_read_unlock();
}

/**
 * iox_domain_for_each_unit() - walk the units a domain is on
 * @du: struct iox_domain_unit cursor
 * @domain: the domain
 *
 * Between iox_domain_units_lock() and iox_domain_units_unlock().
 */
#define iox_domain_for_each_unit(du, domain) \
	list_for_each_entry_rcu(du, &(domain)->units, link)

struct iox_domain *iox_domain_alloc(struct iox_unit *unit);
int iox_domain_free(struct iox_domain *domain);
int iox_attach_device(struct iox_domain *domain, struct device *dev);
int iox_detach_device(struct iox_domain *domain, struct device *dev);
struct iox_domain *iox_device_domain(struct device *dev);
int iox_device_set_blocked(struct device *dev, bool blocked);
int iox_device_reset_blocked(struct device *dev);
bool iox_device_blocked(struct device *dev);
void iox_domain_get_stats(struct iox_domain *domain, struct iox_domain_stats *stats);
void iox_domain_set_fault_handler(struct iox_domain *domain,
				  void (*handler)(struct iox_domain *domain, struct device *dev,
						  const struct iox_fault *fault, void *data),
				  void *data);
bool iox_report_fault(struct device *dev, const struct iox_fault *fault);

int iox_map(struct iox_domain *domain, u64 iova, phys_addr_t paddr, size_t size,
	    int prot, gfp_t gfp);
ssize_t iox_map_sg(struct iox_domain *domain, u64 iova, struct scatterlist *sg,
		   unsigned int nents, int prot, gfp_t gfp);
ssize_t iox_unmap(struct iox_domain *domain, u64 iova, size_t size);
size_t iox_unmap_fast(struct iox_domain *domain, u64 iova, size_t size,
		      struct iox_iotlb_gather *gather);
int iox_unmap_range(struct iox_domain *domain, u64 iova, size_t size,
		    struct iox_iotlb_gather *gather, size_t *unmapped);
int iox_iotlb_sync(struct iox_domain *domain, struct iox_iotlb_gather *gather);
int iox_flush_all(struct iox_domain *domain);
phys_addr_t iox_iova_to_phys(struct iox_domain *domain, u64 iova);
int iox_lookup(struct iox_domain *domain, u64 iova, struct iox_mapping *m);
int iox_domain_pgtable_info(struct iox_domain *domain, struct iox_pgtable_info *info);

struct iox_iova_domain;
int iox_domain_enable_lazy(struct iox_domain *domain,
			   struct iox_iova_domain *iovad, unsigned int entries,
			   unsigned int timeout_ms);
size_t iox_unmap_lazy(struct iox_domain *domain, u64 iova, size_t size,
		      unsigned long pfn, unsigned long npages);

#endif /* _LINUX_IOX_H */
