// SPDX-License-Identifier: GPL-2.0
/*
 * iox AMD-Vi backend: parsing of the ACPI IVRS table (AMD IOMMU
 * specification, section 5): IVHD blocks and their device entries.
 */
#define pr_fmt(fmt) "iox-amd: " fmt

#include <linux/acpi.h>
#include <linux/module.h>
#include <linux/slab.h>

#include "amdvi.h"

/* Size of the fixed part of an IVHD block of each type. */
static unsigned int iox_ivhd_header_size(u8 type)
{
	switch (type) {
	case ACPI_IVRS_TYPE_HARDWARE1:
		return sizeof(struct acpi_ivrs_hardware_10);
	case ACPI_IVRS_TYPE_HARDWARE2:
	case ACPI_IVRS_TYPE_HARDWARE3:
		return sizeof(struct acpi_ivrs_hardware_11);
	default:
		return 0;
	}
}

/*
 * Scan the IVRS subtables.  With @type zero, return the highest IVHD type
 * present; otherwise visit each IVHD of @type.
 */
static int iox_ivrs_scan(const struct acpi_table_header *hdr, u8 type,
			 struct iox_ivrs_walk *walk)
{
	const void *end = (const void *)hdr + hdr->length;
	const struct acpi_ivrs_header *sub;
	int highest = 0;

	sub = (const void *)hdr + sizeof(struct acpi_table_ivrs);
	while ((const void *)sub + sizeof(*sub) <= end) {
		unsigned int fixed = iox_ivhd_header_size(sub->type);
		int ret;

		if (sub->length < sizeof(*sub) || (const void *)sub + sub->length > end ||
		    (fixed && sub->length < fixed)) {
			pr_err("malformed IVRS subtable at offset %#lx\n",
			       (unsigned long)((const void *)sub - (const void *)hdr));
			return -EINVAL;
		}
		if (fixed) {
			if (!type) {
				highest = max_t(int, highest, sub->type);
			} else if (sub->type == type) {
				ret = walk->ivhd(walk, (const struct acpi_ivrs_hardware_10 *)sub);
				if (ret)
					return ret;
			}
		}
		sub = (const void *)sub + sub->length;
	}
	return type ? 0 : highest;
}

/**
 * iox_ivrs_walk_ivhds() - visit each IOMMU of the IVRS table
 * @walk: the visitor
 *
 * Firmware describes each IOMMU once per IVHD type it supports; as the
 * specification asks, only blocks of the highest type known here are used.
 * The table is mapped only during the walk.
 *
 * Return: 0 after a complete walk, -ENODEV without an IVRS table or IVHD,
 * -EINVAL for a malformed table, or the visitor's non-zero return.
 */
int iox_ivrs_walk_ivhds(struct iox_ivrs_walk *walk)
{
	struct acpi_table_header *hdr;
	acpi_status status;
	int ret;

	status = acpi_get_table(ACPI_SIG_IVRS, 0, &hdr);
	if (ACPI_FAILURE(status))
		return -ENODEV;

	if (hdr->length < sizeof(struct acpi_table_ivrs)) {
		pr_err("IVRS table too short (%u bytes)\n", hdr->length);
		ret = -EINVAL;
	} else {
		ret = iox_ivrs_scan(hdr, 0, NULL);
		if (ret > 0)
			ret = iox_ivrs_scan(hdr, ret, walk);
		else if (!ret)
			ret = -ENODEV;
	}
	acpi_put_table(hdr);
	return ret;
}

/* Length of a device entry: encoded in the type, except for ACPI HID ones. */
static unsigned int iox_ivhd_entry_length(const u8 *e, const u8 *end)
{
	if (e[0] == ACPI_IVRS_TYPE_HID)
		return e + 22 <= end ? 22 + e[21] : 0;
	return 4 << (e[0] >> 6);
}

static u16 iox_ivhd_entry_u16(const u8 *e, unsigned int offset)
{
	return e[offset] | (e[offset + 1] << 8);
}

/**
 * iox_ivrs_parse_devices() - collect the device ids an IVHD block covers
 * @ivhd: the IVHD block
 * @ranges: set to a kcalloc()ed array of device-id ranges
 * @nr: set to the number of ranges
 *
 * Select, range and extended entries name devices directly; alias entries
 * add both the device (with the alias, see iox_amdvi_dma_alias()) and the
 * requester id it aliases to; special
 * (IOAPIC, HPET) entries add their requester id.  ACPI HID entries name no
 * PCI requester and are skipped.
 *
 * Return: 0 on success, -EINVAL for malformed entries, -ENOMEM.
 */
int iox_ivrs_parse_devices(const struct acpi_ivrs_hardware_10 *ivhd,
			   struct iox_amdvi_devrange **ranges, unsigned int *nr)
{
	const u8 *start = (const u8 *)ivhd + iox_ivhd_header_size(ivhd->header.type);
	const u8 *end = (const u8 *)ivhd + ivhd->header.length;
	struct iox_amdvi_devrange *out;
	unsigned int count = 0, n = 0;
	int range_start = -1, range_alias = -1;
	const u8 *e;

	for (e = start; e < end; e += iox_ivhd_entry_length(e, end)) {
		unsigned int len = iox_ivhd_entry_length(e, end);

		if (!len || e + len > end) {
			pr_err("IVHD %#llx: malformed device entry\n", ivhd->base_address);
			return -EINVAL;
		}
		count += 2;	/* at most two ranges per entry (aliases) */
	}

	out = iox_should_fail_alloc() ? NULL : kcalloc(max(count, 1U), sizeof(*out), GFP_KERNEL);
	if (!out)
		return -ENOMEM;

	for (e = start; e < end; e += iox_ivhd_entry_length(e, end)) {
		u16 id = iox_ivhd_entry_u16(e, 1), alias;

		switch (e[0]) {
		case ACPI_IVRS_TYPE_ALL:
			out[n++] = (struct iox_amdvi_devrange){ 0, 0xffff };
			break;
		case ACPI_IVRS_TYPE_SELECT:
		case ACPI_IVRS_TYPE_EXT_SELECT:
			out[n++] = (struct iox_amdvi_devrange){ id, id };
			break;
		case ACPI_IVRS_TYPE_ALIAS_SELECT:
			alias = iox_ivhd_entry_u16(e, 5);
			out[n++] = (struct iox_amdvi_devrange){ id, id, alias, true };
			out[n++] = (struct iox_amdvi_devrange){ alias, alias };
			break;
		case ACPI_IVRS_TYPE_ALIAS_START:
			alias = iox_ivhd_entry_u16(e, 5);
			out[n++] = (struct iox_amdvi_devrange){ alias, alias };
			range_start = id;
			range_alias = alias;
			break;
		case ACPI_IVRS_TYPE_START:
		case ACPI_IVRS_TYPE_EXT_START:
			range_start = id;
			range_alias = -1;
			break;
		case ACPI_IVRS_TYPE_END:
			if (range_start < 0 || id < range_start) {
				pr_err("IVHD %#llx: range end %#x without a start\n",
				       ivhd->base_address, id);
				kfree(out);
				return -EINVAL;
			}
			out[n++] = (struct iox_amdvi_devrange){
				range_start, id, max(range_alias, 0), range_alias >= 0
			};
			range_start = -1;
			break;
		case ACPI_IVRS_TYPE_SPECIAL:
			id = iox_ivhd_entry_u16(e, 5);
			out[n++] = (struct iox_amdvi_devrange){ id, id };
			break;
		default:
			break;
		}
	}

	*ranges = out;
	*nr = n;
	return 0;
}
EXPORT_SYMBOL_NS_GPL(iox_ivrs_parse_devices, IOX_TEST);

/**
 * iox_amdvi_serves() - whether a PCI requester is behind a unit
 * @amdvi: the unit
 * @segment: PCI segment of the requester
 * @devid: requester id (bus << 8 | devfn)
 *
 * Return: true if one of the unit's IVHD device entries covers @devid.
 */
bool iox_amdvi_serves(struct iox_amdvi_unit *amdvi, u16 segment, u16 devid)
{
	unsigned int i;

	if (segment != amdvi->segment)
		return false;
	for (i = 0; i < amdvi->nr_ranges; i++)
		if (devid >= amdvi->ranges[i].first && devid <= amdvi->ranges[i].last)
			return true;
	return false;
}
EXPORT_SYMBOL_GPL(iox_amdvi_serves);

/**
 * iox_amdvi_dma_alias() - whether a device's DMA arrives under another id
 * @amdvi: the unit
 * @devid: the device's requester id
 * @alias: set to the requester id its DMA arrives under, if so
 *
 * Firmware names such aliases in IVHD alias entries (a device whose
 * requests a bridge or a quirk of the platform re-tags).  The unit then
 * translates the device's DMA through the alias's device table entry, not
 * the device's own.
 *
 * Return: true if an IVHD entry gives @devid an alias other than itself.
 */
bool iox_amdvi_dma_alias(struct iox_amdvi_unit *amdvi, u16 devid, u16 *alias)
{
	unsigned int i;

	for (i = 0; i < amdvi->nr_ranges; i++) {
		const struct iox_amdvi_devrange *r = &amdvi->ranges[i];

		if (r->aliased && r->alias != devid && devid >= r->first && devid <= r->last) {
			*alias = r->alias;
			return true;
		}
	}
	return false;
}
EXPORT_SYMBOL_NS_GPL(iox_amdvi_dma_alias, IOX_TEST);

MODULE_DESCRIPTION("iox AMD-Vi backend");
MODULE_LICENSE("GPL");
