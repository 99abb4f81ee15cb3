/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iox page-table library: owns one I/O page table in a hardware format
 * (VT-d second-stage or AMD-Vi v1) and implements the run-based map and
 * unmap that the iox core dispatches to a backend.
 *
 * A library, not a layer: a backend embeds a struct iox_pgtable in its
 * domain, points the hardware at iox_pgtable_root_phys() and calls the
 * operations below from its domain ops.
 */
#ifndef _LINUX_IOX_PGTABLE_H
#define _LINUX_IOX_PGTABLE_H

#include <linux/atomic.h>
#include <linux/gfp.h>
#include <linux/types.h>

struct iox_iotlb_gather;
struct iox_mapping;
struct iox_pgtable_fmt;
struct iox_pgtable_info;
struct seq_file;

/* Levels are numbered from the leaf: level 1 maps 4 KiB pages. */
#define IOX_PGTABLE_MAX_LEVELS	6

/**
 * enum iox_pgtable_format - the hardware layout of the page table
 * @IOX_PGTABLE_VTD_SL: Intel VT-d second-stage (legacy mode) tables:
 *	3, 4 or 5 levels; 4 KiB, 2 MiB and 1 GiB leaves; R, W and SNP bits
 * @IOX_PGTABLE_AMD_V1: AMD-Vi host (v1) tables: 1 to 6 levels; 4 KiB
 *	leaves, 2 MiB and 1 GiB leaves (next level 0), and every other power
 *	of two up to 256 GiB through the page-size override (next level 7);
 *	IR, IW and FC bits
 */
enum iox_pgtable_format {
	IOX_PGTABLE_VTD_SL,
	IOX_PGTABLE_AMD_V1,
};

/**
 * struct iox_pgtable_cfg - what the hardware can walk
 * @format: the entry layout
 * @ias: input (IOVA) address width in bits; chooses the number of levels
 *	(VT-d: 39 or less is 3 levels, 48 or less 4, 57 or less 5; AMD-Vi:
 *	the fewest levels that cover it)
 * @oas: output (physical) address width in bits, at most 52
 * @pgsize_bitmap: page sizes the unit supports (e.g. from VT-d SLLPS);
 *	0 means every size the format can express
 * @coherent: the unit's page walks snoop the CPU caches (VT-d ECAP.C);
 *	when false every written entry is flushed from the CPU caches
 * @snoop_ctl: the unit honours the VT-d SNP bit (ECAP.SC); without it
 *	IOX_PROT_SNOOP is ignored, because SNP would be a reserved bit
 * @flush: how to write back a range of entries for a non-coherent walker;
 *	NULL uses clflush_cache_range() on x86 and is refused elsewhere
 */
struct iox_pgtable_cfg {
	enum iox_pgtable_format format;
	unsigned int ias;
	unsigned int oas;
	unsigned long pgsize_bitmap;
	bool coherent;
	bool snoop_ctl;
	void (*flush)(void *addr, unsigned int size);
};

/**
 * struct iox_pgtable_counters - what the walks of a page table did
 * @flushes: calls of the cache-flush hook (non-coherent walkers only);
 *	one per table touched by a run, never one per entry
 * @table_visits: tables visited by map and unmap walks, per level (index
 *	1 is the leaf level); a run visits each table once
 */
struct iox_pgtable_counters {
	unsigned long flushes;
	unsigned long table_visits[IOX_PGTABLE_MAX_LEVELS + 1];
};

/**
 * struct iox_pgtable_stats - accounting of one page table
 * @pages_allocated: table pages ever allocated, the root included
 * @pages_gathered: table pages an unmap covering their whole span unlinked
 *	and put on a gather's free list, for the core to free after the IOTLB
 *	flush
 * @pages_freed: table pages freed at once: by iox_pgtable_destroy(), or
 *	never published (a map or split that ran out of memory)
 * @counters: each CPU's count of what the walks it ran did; summed by
 *	iox_pgtable_get_counters()
 *
 * allocated - gathered - freed is the number of live table pages.  The
 * page counters are atomic so that debugfs may read them at any time.
 * Every map and unmap counts its visits, so those counters are per CPU:
 * exact while walks run concurrently, and no cache line that CPUs share
 * is written on the map/unmap path.
 */
struct iox_pgtable_stats {
	atomic_long_t pages_allocated;
	atomic_long_t pages_gathered;
	atomic_long_t pages_freed;
	struct iox_pgtable_counters __percpu *counters;
};

/**
 * struct iox_pgtable - one I/O page table
 * @cfg: the configuration it was created with
 * @fmt: entry encodings of @cfg.format
 * @levels: number of levels; the root is at this level
 * @pgsize_bitmap: page sizes map_pages() accepts: what @cfg.pgsize_bitmap
 *	allows, the format can express and @cfg.ias leaves room for
 * @root: the top-level table
 * @stats: accounting, see struct iox_pgtable_stats
 * @alloc_fail_after: fault injection for tests: when not negative, the
 *	number of table allocations that still succeed before every further
 *	one fails as if memory were exhausted; -1 (the default) disables it
 *
 * Locking: none.  iox_pgtable_map_pages() and iox_pgtable_unmap_pages()
 * of disjoint IOVA ranges may run concurrently on one table, on any CPU and
 * in any context; the caller serialises operations on the same IOVAs (as
 * the DMA API and VFIO do) and iox_pgtable_destroy() against everything.
 * Entries that concurrent walks may share are changed with a 64-bit
 * compare-and-exchange: a new table is installed only if the slot is still
 * empty, a split large leaf only if the leaf is still there, and the walk
 * that loses frees what it built.  A table is unlinked (and freed after the
 * IOTLB flush) only by an unmap that covers its whole span, so no table
 * another walk is using disappears; tables that smaller unmaps leave empty
 * stay for later maps until iox_pgtable_destroy().
 * iox_pgtable_iova_to_phys() and iox_pgtable_lookup() may run concurrently
 * with them for IOVAs the caller knows to stay mapped: every entry is
 * written with a single 64-bit store, so they see it old or new.
 */
struct iox_pgtable {
	struct iox_pgtable_cfg cfg;
	const struct iox_pgtable_fmt *fmt;
	unsigned int levels;
	unsigned long pgsize_bitmap;
	u64 *root;
	struct iox_pgtable_stats stats;
	int alloc_fail_after;
};

/**
 * struct iox_pgtable_leaf - what one IOVA resolves to, from
 *	iox_pgtable_lookup()
 * @iova: first IOVA of the leaf page, or of the unmapped span
 * @size: size of the leaf page, or of the largest naturally aligned
 *	unmapped span around the IOVA that the walk could see
 * @paddr: physical address the looked-up IOVA translates to
 * @prot: IOX_PROT_* bits of the leaf
 * @level: level of the table that holds the leaf entry
 * @pte: the raw leaf entry
 */
struct iox_pgtable_leaf {
	u64 iova;
	u64 size;
	phys_addr_t paddr;
	int prot;
	unsigned int level;
	u64 pte;
};

/**
 * struct iox_pgtable_usage - what iox_pgtable_audit() found
 * @tables: reachable table pages, the root included
 * @empty: reachable tables other than the root with no present entry
 * @mapped: bytes of IOVA space the leaves map
 */
struct iox_pgtable_usage {
	unsigned long tables;
	unsigned long empty;
	u64 mapped;
};

int iox_pgtable_init(struct iox_pgtable *pt, const struct iox_pgtable_cfg *cfg,
		     gfp_t gfp);
void iox_pgtable_destroy(struct iox_pgtable *pt);
int iox_pgtable_map_pages(struct iox_pgtable *pt, u64 iova, phys_addr_t paddr,
			  size_t pgsize, size_t pgcount, int prot, gfp_t gfp,
			  size_t *mapped);
int iox_pgtable_unmap_pages(struct iox_pgtable *pt, u64 iova, size_t pgsize,
			    size_t pgcount, struct iox_iotlb_gather *gather,
			    size_t *unmapped);
phys_addr_t iox_pgtable_iova_to_phys(struct iox_pgtable *pt, u64 iova);
int iox_pgtable_lookup(struct iox_pgtable *pt, u64 iova,
		       struct iox_pgtable_leaf *leaf);
phys_addr_t iox_pgtable_root_phys(const struct iox_pgtable *pt);
int iox_pgtable_audit(struct iox_pgtable *pt, struct iox_pgtable_usage *usage);
void iox_pgtable_show(struct iox_pgtable *pt, struct seq_file *m);
void iox_pgtable_get_info(struct iox_pgtable *pt, struct iox_pgtable_info *info);
void iox_pgtable_get_counters(struct iox_pgtable *pt, struct iox_pgtable_counters *sum);
int iox_pgtable_get_mapping(struct iox_pgtable *pt, u64 iova, struct iox_mapping *m);

/**
 * iox_pgtable_live_pages() - table pages the page table holds now
 * @pt: the page table
 *
 * Return: pages allocated minus pages gathered or freed (the root
 * included).
 */
static inline long iox_pgtable_live_pages(const struct iox_pgtable *pt)
{
	return atomic_long_read(&pt->stats.pages_allocated) -
	       atomic_long_read(&pt->stats.pages_gathered) -
	       atomic_long_read(&pt->stats.pages_freed);
}

#endif /* _LINUX_IOX_PGTABLE_H */
