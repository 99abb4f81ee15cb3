/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iox VT-d backend: register layout and the state of one remapping unit.
 * Register and field definitions follow the Intel VT-d architecture
 * specification, chapter 11.
 */
#ifndef _IOX_INTEL_VTD_H
#define _IOX_INTEL_VTD_H

#include <linux/bitfield.h>
#include <linux/bits.h>
#include <linux/iox.h>
#include <linux/list.h>
#include <linux/types.h>

struct acpi_dmar_hardware_unit;

#define VTD_REG_SIZE		0x1000

#define VTD_VER_REG		0x00	/* 32-bit */
#define VTD_CAP_REG		0x08	/* 64-bit */
#define VTD_ECAP_REG		0x10	/* 64-bit */
#define VTD_GSTS_REG		0x1c	/* 32-bit */

#define VTD_GSTS_TES		BIT(31)	/* translation enabled */
#define VTD_GSTS_QIES		BIT(26)	/* queued invalidation enabled */
#define VTD_GSTS_IRES		BIT(25)	/* interrupt remapping enabled */
#define VTD_GSTS_OWNED		(VTD_GSTS_TES | VTD_GSTS_QIES | VTD_GSTS_IRES)

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
};

static inline struct iox_vtd_unit *to_vtd_unit(struct iox_unit *unit)
{
	return container_of(unit, struct iox_vtd_unit, unit);
}

/**
 * struct iox_dmar_walk - a visitor of the DRHDs of the DMAR table
 * @drhd: called for each hardware unit definition; a non-zero return stops
 *	the walk.  Callers embed the walk in their own state.
 */
struct iox_dmar_walk {
	int (*drhd)(struct iox_dmar_walk *walk, const struct acpi_dmar_hardware_unit *drhd);
};

int iox_dmar_walk_drhds(struct iox_dmar_walk *walk);
int iox_dmar_parse_scopes(const struct acpi_dmar_hardware_unit *drhd,
			  struct iox_vtd_scope **scopes, unsigned int *nr);

void iox_vtd_decode_caps(u32 ver, u64 cap, u64 ecap, struct iox_vtd_caps *caps);
bool iox_vtd_serves(struct iox_vtd_unit *vtd, u16 segment, u8 bus, u8 devfn);

#endif /* _IOX_INTEL_VTD_H */
