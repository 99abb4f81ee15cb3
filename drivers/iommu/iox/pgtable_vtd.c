// SPDX-License-Identifier: GPL-2.0
/*
 * iox page-table library: the Intel VT-d second-stage entry format (legacy
 * mode), after the VT-d specification, "Second-Stage Paging Entries".
 */
#include <linux/errno.h>
#include <linux/iox.h>
#include <linux/kernel.h>
#include <linux/sizes.h>

#include "pgtable-fmt.h"

#define VTD_SL_READ	BIT_ULL(0)
#define VTD_SL_WRITE	BIT_ULL(1)
/* Page size: set in a level-2 or level-3 entry that is a 2M or 1G leaf. */
#define VTD_SL_PS	BIT_ULL(7)
/* Snoop: the access snoops the CPU caches; reserved unless ECAP.SC. */
#define VTD_SL_SNP	BIT_ULL(11)

static int vtd_levels(unsigned int ias)
{
	/* SAGAW offers 3 (39-bit), 4 (48-bit) and 5 (57-bit) levels. */
	if (ias <= IOX_PT_PAGE_SHIFT || ias > 57)
		return -EINVAL;
	return max(3U, DIV_ROUND_UP(ias - IOX_PT_PAGE_SHIFT, IOX_PT_ENTRY_BITS));
}

static u64 vtd_make_table(phys_addr_t table, unsigned int level)
{
	/*
	 * R and W of a non-leaf entry gate its whole subtree: grant both, so
	 * that each leaf alone decides what the device may do.
	 */
	return (table & IOX_PT_ADDR_MASK) | VTD_SL_READ | VTD_SL_WRITE;
}

static u64 vtd_make_leaf(const struct iox_pgtable *pt, phys_addr_t pa,
			 unsigned int level, unsigned int shift, int prot)
{
	u64 pte = pa & IOX_PT_ADDR_MASK;

	if (prot & IOX_PROT_READ)
		pte |= VTD_SL_READ;
	if (prot & IOX_PROT_WRITE)
		pte |= VTD_SL_WRITE;
	if ((prot & IOX_PROT_SNOOP) && pt->cfg.snoop_ctl)
		pte |= VTD_SL_SNP;
	if (level > 1)
		pte |= VTD_SL_PS;
	return pte;
}

static void vtd_decode_leaf(u64 pte, unsigned int level, phys_addr_t *pa,
			    unsigned int *shift, int *prot)
{
	*shift = iox_pt_level_shift(level);
	*pa = pte & IOX_PT_ADDR_MASK;
	*prot = 0;
	if (pte & VTD_SL_READ)
		*prot |= IOX_PROT_READ;
	if (pte & VTD_SL_WRITE)
		*prot |= IOX_PROT_WRITE;
	if (pte & VTD_SL_SNP)
		*prot |= IOX_PROT_SNOOP;
}

const struct iox_pgtable_fmt iox_pgtable_vtd_fmt = {
	.name = "vtd-sl",
	.pgsizes = SZ_4K | SZ_2M | SZ_1G,
	/* An entry granting neither read nor write is not present. */
	.present = VTD_SL_READ | VTD_SL_WRITE,
	.type_mask = VTD_SL_PS,
	/* table_type[] all 0: a non-leaf entry has PS clear. */
	.replicated_type = ~0ULL,	/* every leaf maps its entry's span */
	.leaf_type = {
		[2] = VTD_SL_PS, [3] = VTD_SL_PS, [4] = VTD_SL_PS, [5] = VTD_SL_PS,
	},
	.levels = vtd_levels,
	.make_table = vtd_make_table,
	.make_leaf = vtd_make_leaf,
	.decode_leaf = vtd_decode_leaf,
};
