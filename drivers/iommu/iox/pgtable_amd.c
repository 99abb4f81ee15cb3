// SPDX-License-Identifier: GPL-2.0
/*
 * iox page-table library: the AMD-Vi host (v1) page-table format, after the
 * AMD I/O Virtualization Technology specification, "I/O Page Tables for
 * Host Translations".
 */
#include <linux/bitfield.h>
#include <linux/errno.h>
#include <linux/iox.h>
#include <linux/kernel.h>
#include <linux/sizes.h>

#include "pgtable-fmt.h"

#define AMD_PR			BIT_ULL(0)
/*
 * Next level: in a table entry, the level of the table it points to; in a
 * leaf, 0 for a page of the entry's own span and 7 for the page-size
 * override, where the page size is encoded in the address field.
 */
#define AMD_NEXT_LEVEL		GENMASK_ULL(11, 9)
#define AMD_NL_OVERRIDE		7
/* The next-level field of an entry pointing to a table at level - 1. */
#define AMD_TABLE_TYPE(level)	((u64)((level) - 1) << 9)
/* Force coherent: the access snoops whatever the device asked for. */
#define AMD_FC			BIT_ULL(60)
#define AMD_IR			BIT_ULL(61)
#define AMD_IW			BIT_ULL(62)

static int amd_levels(unsigned int ias)
{
	/* Mode 1 to 6: level 6 covers the full 64-bit space. */
	if (ias <= IOX_PT_PAGE_SHIFT || ias > 64)
		return -EINVAL;
	return DIV_ROUND_UP(ias - IOX_PT_PAGE_SHIFT, IOX_PT_ENTRY_BITS);
}

static u64 amd_make_table(phys_addr_t table, unsigned int level)
{
	/*
	 * The walk needs PR and the requested permission in every directory
	 * entry: grant both, so that each leaf alone decides.
	 */
	return (table & IOX_PT_ADDR_MASK) | AMD_TABLE_TYPE(level) | AMD_PR |
	       AMD_IR | AMD_IW;
}

static u64 amd_make_leaf(const struct iox_pgtable *pt, phys_addr_t pa,
			 unsigned int level, unsigned int shift, int prot)
{
	u64 pte = (pa & IOX_PT_ADDR_MASK) | AMD_PR;

	if (shift != iox_pt_level_shift(level)) {
		/*
		 * Page-size override: the page spans 2^(shift - 12 - 9 *
		 * (level - 1)) entries of this table, each holding this same
		 * entry.  The size is the first clear address bit from bit 12
		 * up, plus one: set bits 12..shift-2, leave bit shift-1 clear
		 * (the page is aligned, so it already is).
		 */
		if (shift > IOX_PT_PAGE_SHIFT + 1)
			pte |= GENMASK_ULL(shift - 2, IOX_PT_PAGE_SHIFT);
		pte |= FIELD_PREP(AMD_NEXT_LEVEL, AMD_NL_OVERRIDE);
	}
	if (prot & IOX_PROT_READ)
		pte |= AMD_IR;
	if (prot & IOX_PROT_WRITE)
		pte |= AMD_IW;
	if (prot & IOX_PROT_SNOOP)
		pte |= AMD_FC;
	return pte;
}

static void amd_decode_leaf(u64 pte, unsigned int level, phys_addr_t *pa,
			    unsigned int *shift, int *prot)
{
	u64 addr = pte & IOX_PT_ADDR_MASK;

	if (FIELD_GET(AMD_NEXT_LEVEL, pte) == AMD_NL_OVERRIDE) {
		/* Bits 63:52 of addr >> 12 are clear: a clear bit exists. */
		*shift = ffz(addr >> IOX_PT_PAGE_SHIFT) + IOX_PT_PAGE_SHIFT + 1;
		addr &= ~(BIT_ULL(*shift) - 1);
	} else {
		*shift = iox_pt_level_shift(level);
	}
	*pa = addr;
	*prot = 0;
	if (pte & AMD_IR)
		*prot |= IOX_PROT_READ;
	if (pte & AMD_IW)
		*prot |= IOX_PROT_WRITE;
	if (pte & AMD_FC)
		*prot |= IOX_PROT_SNOOP;
}

const struct iox_pgtable_fmt iox_pgtable_amd_fmt = {
	.name = "amd-v1",
	/*
	 * 4K to 256G.  A 512G page would need a next-level-0 leaf at level
	 * 4, which only levels 2 and 3 may hold; larger pages could not be
	 * split down to standalone entries either.
	 */
	.pgsizes = GENMASK(38, 12),
	.present = AMD_PR,
	.type_mask = AMD_NEXT_LEVEL,
	.table_type = {
		[2] = AMD_TABLE_TYPE(2),
		[3] = AMD_TABLE_TYPE(3),
		[4] = AMD_TABLE_TYPE(4),
		[5] = AMD_TABLE_TYPE(5),
		[6] = AMD_TABLE_TYPE(6),
	},
	.replicated_type = (u64)AMD_NL_OVERRIDE << 9,
	/* leaf_type[] all 0: next level 0 marks a leaf of the slot's span. */
	.levels = amd_levels,
	.make_table = amd_make_table,
	.make_leaf = amd_make_leaf,
	.decode_leaf = amd_decode_leaf,
};
