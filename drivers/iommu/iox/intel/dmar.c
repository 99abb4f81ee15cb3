// SPDX-License-Identifier: GPL-2.0
/*
 * iox VT-d backend: parsing of the ACPI DMAR table (VT-d specification,
 * chapter 8): remapping hardware unit definitions (DRHD), reserved memory
 * region reports (RMRR) and their device scopes.
 */
#define pr_fmt(fmt) "iox-intel: " fmt

#include <linux/acpi.h>
#include <linux/pci.h>
#include <linux/slab.h>

#include "vtd.h"

/* Hand one DRHD or RMRR entry to the visitor, if it has a callback for it. */
static int iox_dmar_visit(struct iox_dmar_walk *walk, struct acpi_dmar_header *entry)
{
	switch (entry->type) {
	case ACPI_DMAR_TYPE_HARDWARE_UNIT:
		if (!walk->drhd)
			return 0;
		if (entry->length < sizeof(struct acpi_dmar_hardware_unit)) {
			pr_err("DRHD entry too short (%u bytes)\n", entry->length);
			return -EINVAL;
		}
		return walk->drhd(walk, (struct acpi_dmar_hardware_unit *)entry);
	case ACPI_DMAR_TYPE_RESERVED_MEMORY:
		if (!walk->rmrr)
			return 0;
		if (entry->length < sizeof(struct acpi_dmar_reserved_memory)) {
			pr_err("RMRR entry too short (%u bytes)\n", entry->length);
			return -EINVAL;
		}
		return walk->rmrr(walk, (struct acpi_dmar_reserved_memory *)entry);
	default:
		return 0;
	}
}

/**
 * iox_dmar_walk_table() - visit the DRHDs and RMRRs of a DMAR table
 * @hdr: the table, mapped
 * @walk: the visitor: @drhd and @rmrr are called for those entries, each
 *	where it is not NULL
 *
 * Return: 0 after a complete walk, -EINVAL for a malformed table or entry
 * (too short, or running past the table), or the visitor's non-zero return.
 */
int iox_dmar_walk_table(struct acpi_table_header *hdr, struct iox_dmar_walk *walk)
{
	struct acpi_dmar_header *entry;
	void *end;
	int ret = 0;

	if (hdr->length < sizeof(struct acpi_table_dmar)) {
		pr_err("DMAR table too short (%u bytes)\n", hdr->length);
		return -EINVAL;
	}

	/* The table gives the width less one. */
	walk->haw = ((struct acpi_table_dmar *)hdr)->width + 1;
	end = (void *)hdr + hdr->length;
	entry = (void *)hdr + sizeof(struct acpi_table_dmar);
	while ((void *)entry + sizeof(*entry) <= end) {
		if (entry->length < sizeof(*entry) || (void *)entry + entry->length > end) {
			pr_err("malformed DMAR entry at offset %#lx\n",
			       (unsigned long)((void *)entry - (void *)hdr));
			ret = -EINVAL;
			break;
		}
		ret = iox_dmar_visit(walk, entry);
		if (ret)
			break;
		entry = (void *)entry + entry->length;
	}
	return ret;
}
EXPORT_SYMBOL_NS_GPL(iox_dmar_walk_table, IOX_TEST);

/**
 * iox_dmar_walk_drhds() - visit each DRHD (and RMRR) of the DMAR table
 * @walk: the visitor (see iox_dmar_walk_table())
 *
 * The table is mapped only during the walk: the visitor copies what it
 * keeps.
 *
 * Return: 0 after a complete walk, -ENODEV without a DMAR table, -EINVAL
 * for a malformed table, or the visitor's non-zero return.
 */
int iox_dmar_walk_drhds(struct iox_dmar_walk *walk)
{
	struct acpi_table_header *hdr;
	int ret;

	if (ACPI_FAILURE(acpi_get_table(ACPI_SIG_DMAR, 0, &hdr)))
		return -ENODEV;
	ret = iox_dmar_walk_table(hdr, walk);
	acpi_put_table(hdr);
	return ret;
}
EXPORT_SYMBOL_NS_GPL(iox_dmar_walk_drhds, IOX_TEST);

/*
 * Follow a scope path: the first hop is on the scope's start bus, each
 * further hop on the secondary bus of the bridge the previous hop named.
 */
static int iox_dmar_walk_path(u16 segment, u8 bus, const struct acpi_dmar_pci_path *path,
			      int hops, struct iox_vtd_scope *scope)
{
	int i;

	for (i = 0; i < hops - 1; i++) {
		struct pci_dev *bridge;

		bridge = pci_get_domain_bus_and_slot(segment, bus,
						     PCI_DEVFN(path[i].device, path[i].function));
		if (!bridge || !bridge->subordinate) {
			pci_dev_put(bridge);
			return -ENODEV;
		}
		bus = bridge->subordinate->number;
		pci_dev_put(bridge);
	}
	scope->bus = bus;
	scope->devfn = PCI_DEVFN(path[hops - 1].device, path[hops - 1].function);
	return 0;
}

/*
 * Copy the device scope entries between @start and @end of the DMAR entry
 * @what at @addr (for messages) into a kcalloc()ed array.
 */
static int iox_dmar_parse_scope_list(const char *what, u64 addr, u16 segment,
				     const void *start, const void *end,
				     struct iox_vtd_scope **scopes, unsigned int *nr)
{
	const struct acpi_dmar_device_scope *ds;
	struct iox_vtd_scope *out;
	unsigned int count = 0, n = 0;

	for (ds = start; (const void *)ds + sizeof(*ds) <= end;
	     ds = (const void *)ds + ds->length) {
		if (ds->length < sizeof(*ds) + sizeof(struct acpi_dmar_pci_path) ||
		    (const void *)ds + ds->length > end) {
			pr_err("%s %#llx: malformed device scope\n", what, addr);
			return -EINVAL;
		}
		count++;
	}

	*scopes = NULL;
	*nr = 0;
	if (!count)
		return 0;

	out = iox_should_fail_alloc() ? NULL : kcalloc(count, sizeof(*out), GFP_KERNEL);
	if (!out)
		return -ENOMEM;

	for (ds = start; n < count && (const void *)ds + sizeof(*ds) <= end;
	     ds = (const void *)ds + ds->length) {
		int hops = (ds->length - sizeof(*ds)) / sizeof(struct acpi_dmar_pci_path);
		const struct acpi_dmar_pci_path *path = (const void *)(ds + 1);

		out[n].type = ds->entry_type;
		out[n].enumeration_id = ds->enumeration_id;
		if (iox_dmar_walk_path(segment, ds->bus, path, hops, &out[n])) {
			pr_info("%s %#llx: scope %02x:%02x.%d has no device, ignored\n",
				what, addr, ds->bus, path[0].device, path[0].function);
			continue;
		}
		n++;
	}

	*scopes = out;
	*nr = n;
	return 0;
}

/**
 * iox_dmar_parse_scopes() - copy the device scope of a DRHD
 * @drhd: the hardware unit definition
 * @scopes: set to a kcalloc()ed array of the resolved scope entries
 * @nr: set to the number of entries
 *
 * Entries whose path cannot be resolved to a device present now (a hop
 * through a missing bridge) are left out with a message; they name no
 * device this unit can serve.
 *
 * Return: 0 on success, -EINVAL for a malformed scope, -ENOMEM.
 */
int iox_dmar_parse_scopes(const struct acpi_dmar_hardware_unit *drhd,
			  struct iox_vtd_scope **scopes, unsigned int *nr)
{
	return iox_dmar_parse_scope_list("DRHD", drhd->address, drhd->segment,
					 (const void *)drhd + sizeof(*drhd),
					 (const void *)drhd + drhd->header.length, scopes, nr);
}

/**
 * iox_dmar_parse_rmrr() - copy a reserved memory region report
 * @rmrr: the RMRR entry, at least as long as its fixed part
 * @out: set to a kzalloc()ed region (free with iox_vtd_rmrr_free())
 *
 * The region [base, end] must be page aligned (base on a page, end the
 * last byte of one) and not empty; its device scope names the devices
 * whose firmware may DMA to it at any time.  Scope entries naming no
 * device present now are left out, as for a DRHD.
 *
 * Return: 0; -EINVAL for a misaligned or inverted region or a malformed
 * scope (nothing is allocated then); -ENOMEM.
 */
int iox_dmar_parse_rmrr(const struct acpi_dmar_reserved_memory *rmrr,
			struct iox_vtd_rmrr **out)
{
	struct iox_vtd_rmrr *r;
	int ret;

	if (!PAGE_ALIGNED(rmrr->base_address) || !PAGE_ALIGNED(rmrr->end_address + 1) ||
	    rmrr->end_address <= rmrr->base_address) {
		pr_err("RMRR [%#llx-%#llx] is not a page-aligned region, ignored\n",
		       rmrr->base_address, rmrr->end_address);
		return -EINVAL;
	}
	r = iox_should_fail_alloc() ? NULL : kzalloc(sizeof(*r), GFP_KERNEL);
	if (!r)
		return -ENOMEM;
	r->base = rmrr->base_address;
	r->last = rmrr->end_address;
	r->segment = rmrr->segment;
	ret = iox_dmar_parse_scope_list("RMRR", r->base, r->segment,
					(const void *)rmrr + sizeof(*rmrr),
					(const void *)rmrr + rmrr->header.length,
					&r->scopes, &r->nr_scopes);
	if (ret) {
		kfree(r);
		return ret;
	}
	*out = r;
	return 0;
}
EXPORT_SYMBOL_NS_GPL(iox_dmar_parse_rmrr, IOX_TEST);

MODULE_DESCRIPTION("iox Intel VT-d backend");
MODULE_LICENSE("GPL");
