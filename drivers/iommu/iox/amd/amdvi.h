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
#include <linux/iox.h>
#include <linux/list.h>
#include <linux/types.h>

struct acpi_ivrs_hardware_10;

/* The base register set; the PPR and other optional areas are not used. */
#define AMDVI_MMIO_SIZE			0x4000

#define AMDVI_CONTROL_REG		0x0018
#define AMDVI_EFR_REG			0x0030
#define AMDVI_STATUS_REG		0x2020

#define AMDVI_CONTROL_IOMMU_EN		BIT_ULL(0)
#define AMDVI_CONTROL_EVENT_LOG_EN	BIT_ULL(2)
#define AMDVI_CONTROL_CMD_BUF_EN	BIT_ULL(12)

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
 */
struct iox_amdvi_devrange {
	u16 first;
	u16 last;
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
 * @nr_ranges: number of entries in @ranges
 * @ranges: the device ids the unit serves
 * @list: entry in the backend's list of units
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
	unsigned int nr_ranges;
	struct iox_amdvi_devrange *ranges;
	struct list_head list;
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

#endif /* _IOX_AMD_AMDVI_H */
