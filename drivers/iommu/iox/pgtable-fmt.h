/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iox page-table library: what the format-independent walk (pgtable.c)
 * needs from a format (pgtable_vtd.c, pgtable_amd.c).
 */
#ifndef _IOX_PGTABLE_FMT_H
#define _IOX_PGTABLE_FMT_H

#include <linux/bits.h>
#include <linux/iox-pgtable.h>
#include <linux/types.h>

/* Tables are one 4 KiB page of 512 64-bit entries in both formats. */
#define IOX_PT_ENTRY_BITS	9
#define IOX_PT_ENTRIES		BIT(IOX_PT_ENTRY_BITS)
#define IOX_PT_PAGE_SHIFT	12
/* Both formats keep a table's (or page's) address in bits 51:12. */
#define IOX_PT_ADDR_MASK	GENMASK_ULL(51, 12)

/**
 * iox_pt_level_shift() - log2 of the span of one entry of a table
 * @level: the table's level, 1 for the leaf table of 4 KiB pages
 *
 * Return: 12 at level 1, 21 at level 2, and so on.
 */
static inline unsigned int iox_pt_level_shift(unsigned int level)
{
	return IOX_PT_PAGE_SHIFT + IOX_PT_ENTRY_BITS * (level - 1);
}

/**
 * struct iox_pgtable_fmt - encodings of one page-table format
 * @name: shown in debugfs
 * @pgsizes: every page size the format can express as a leaf
 * @present: an entry with none of these bits set is not present
 * @type_mask: bits that tell a table entry from a leaf above level 1
 * @table_type: per level, the value of @type_mask bits in a table entry
 * @replicated_type: the value of @type_mask bits in a leaf entry that is one
 *	slot of a page spanning several slots; a value no entry has if the
 *	format has no such pages
 * @leaf_type: per level, the value of @type_mask bits in a leaf entry that
 *	maps exactly its slot's span, as @make_leaf writes it
 * @levels: number of levels for an input address width, or -EINVAL
 * @make_table: the entry pointing to a next-level table, for a table at
 *	@level
 * @make_leaf: the leaf entry mapping @pa with a page of 1 << @shift bytes
 *	in a table at @level; the entry of the next page of the same size is
 *	the returned value plus the page size (the address field is linear)
 * @decode_leaf: the page base, page size (log2) and IOX_PROT_* bits of a
 *	present leaf entry at @level
 *
 * The hot paths test entries with @present, @type_mask and @table_type
 * only, so that a run costs no indirect call per entry.
 */
struct iox_pgtable_fmt {
	const char *name;
	unsigned long pgsizes;
	u64 present;
	u64 type_mask;
	u64 table_type[IOX_PGTABLE_MAX_LEVELS + 1];
	u64 replicated_type;
	u64 leaf_type[IOX_PGTABLE_MAX_LEVELS + 1];
	int (*levels)(unsigned int ias);
	u64 (*make_table)(phys_addr_t table, unsigned int level);
	u64 (*make_leaf)(const struct iox_pgtable *pt, phys_addr_t pa,
			 unsigned int level, unsigned int shift, int prot);
	void (*decode_leaf)(u64 pte, unsigned int level, phys_addr_t *pa,
			    unsigned int *shift, int *prot);
};

extern const struct iox_pgtable_fmt iox_pgtable_vtd_fmt;
extern const struct iox_pgtable_fmt iox_pgtable_amd_fmt;

#endif /* _IOX_PGTABLE_FMT_H */
