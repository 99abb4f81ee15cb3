/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iox AMD-Vi backend: encoding of the commands iox puts in the command
 * buffer (AMD IOMMU specification, 2.4).  Pure functions, so that KUnit
 * checks the encodings on any architecture.
 */
#ifndef _IOX_AMD_CMD_H
#define _IOX_AMD_CMD_H

#include <linux/bitfield.h>
#include <linux/bitops.h>
#include <linux/bits.h>
#include <linux/types.h>

#define AMDVI_CMD_OPCODE		GENMASK_ULL(63, 60)
#define AMDVI_CMD_COMPLETION_WAIT	0x1
#define AMDVI_CMD_INV_DEVTAB_ENTRY	0x2
#define AMDVI_CMD_INV_IOMMU_PAGES	0x3
#define AMDVI_CMD_INV_IOMMU_ALL		0x8

/* COMPLETION_WAIT: store, interrupt; the store address is in bits 51:3. */
#define AMDVI_CMD_WAIT_S		BIT_ULL(0)
#define AMDVI_CMD_WAIT_I		BIT_ULL(1)
#define AMDVI_CMD_WAIT_ADDR		GENMASK_ULL(51, 3)

#define AMDVI_CMD_DEVID			GENMASK_ULL(15, 0)
#define AMDVI_CMD_DOMID			GENMASK_ULL(47, 32)
/* INVALIDATE_IOMMU_PAGES, high quadword: size, PDE, address. */
#define AMDVI_CMD_PAGES_S		BIT_ULL(0)
#define AMDVI_CMD_PAGES_PDE		BIT_ULL(1)
#define AMDVI_CMD_PAGES_ADDR		GENMASK_ULL(63, 12)

/*
 * The largest block one INVALIDATE_IOMMU_PAGES names.  An encoded size
 * whose first clear address bit is bit 51 or above means every page of the
 * domain, so blocks stay below that.
 */
#define AMDVI_INV_MAX_ORDER		38
/* The address that, with S set, names all pages of the domain. */
#define AMDVI_INV_ALL_PAGES_ADDR	0x7ffffffffffff000ULL

/**
 * iox_amdvi_pages_encode() - the high quadword of INVALIDATE_IOMMU_PAGES
 * @addr: first IOVA of the block, aligned to 4 KiB << @order
 * @order: the block is 2^@order pages, at most AMDVI_INV_MAX_ORDER
 * @pde: cached page-directory entries must go too (tables were freed)
 *
 * With S clear the command names one 4 KiB page.  With S set, the size is
 * given by the lowest clear address bit from bit 12 up: clear bit n means
 * 2^(n + 1) bytes.  A block of 2^@order pages therefore sets the address
 * bits 12 .. 12 + @order - 2, and its bit 12 + @order - 1 is clear because
 * the block is aligned.
 *
 * Return: the quadword.
 */
static inline u64 iox_amdvi_pages_encode(u64 addr, unsigned int order, bool pde)
{
	u64 hi = addr & AMDVI_CMD_PAGES_ADDR;

	if (order) {
		hi |= AMDVI_CMD_PAGES_S;
		if (order > 1)
			hi |= GENMASK_ULL(12 + order - 2, 12);
	}
	return hi | (pde ? AMDVI_CMD_PAGES_PDE : 0);
}

/**
 * iox_amdvi_pages_decode() - the range an INVALIDATE_IOMMU_PAGES names
 * @hi: its high quadword
 * @size: set to the size in bytes, 0 for every page of the domain
 *
 * What the hardware does with the quadword (used by the tests to check
 * iox_amdvi_pages_encode() against the specification's rule).
 *
 * Return: the first IOVA of the range.
 */
static inline u64 iox_amdvi_pages_decode(u64 hi, u64 *size)
{
	u64 addr = hi & AMDVI_CMD_PAGES_ADDR;
	unsigned int zero;

	if (!(hi & AMDVI_CMD_PAGES_S)) {
		*size = 1ULL << 12;
		return addr;
	}
	zero = ffz(addr >> 12) + 12;
	if (zero >= 51) {
		*size = 0;
		return 0;
	}
	*size = 1ULL << (zero + 1);
	return addr & ~(*size - 1);
}

#endif /* _IOX_AMD_CMD_H */
