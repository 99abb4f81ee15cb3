// SPDX-License-Identifier: GPL-2.0
/*
 * iox VT-d backend: parsing of the ACPI DMAR table (VT-d specification,
 * chapter 8): remapping hardware unit definitions and their device scopes.
 */
#define pr_fmt(fmt) "iox-intel: " fmt

#include <linux/acpi.h>
#include <linux/pci.h>
#include <linux/slab.h>

#include "vtd.h"

/**
 * iox_dmar_walk_drhds() - visit each DRHD of the DMAR table
 * @walk: the visitor
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
	struct acpi_dmar_header *entry;
	acpi_status status;
	void *end;
	int ret = 0;

	status = acpi_get_table(ACPI_SIG_DMAR, 0, &hdr);
	if (ACPI_FAILURE(status))
		return -ENODEV;

	if (hdr->length < sizeof(struct acpi_table_dmar)) {
		pr_err("DMAR table too short (%u bytes)\n", hdr->length);
		ret = -EINVAL;
		goto out;
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
		if (entry->type == ACPI_DMAR_TYPE_HARDWARE_UNIT) {
			if (entry->length < sizeof(struct acpi_dmar_hardware_unit)) {
				pr_err("DRHD entry too short (%u bytes)\n", entry->length);
				ret = -EINVAL;
				break;
			}
			ret = walk->drhd(walk, (struct acpi_dmar_hardware_unit *)entry);
			if (ret)
				break;
		}
		entry = (void *)entry + entry->length;
	}
out:
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
	const void *start = (const void *)drhd + sizeof(*drhd);
	const void *end = (const void *)drhd + drhd->header.length;
	const struct acpi_dmar_device_scope *ds;
	struct iox_vtd_scope *out;
	unsigned int count = 0, n = 0;

	for (ds = start; (const void *)ds + sizeof(*ds) <= end;
	     ds = (const void *)ds + ds->length) {
		if (ds->length < sizeof(*ds) + sizeof(struct acpi_dmar_pci_path) ||
		    (const void *)ds + ds->length > end) {
			pr_err("DRHD %#llx: malformed device scope\n", drhd->address);
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
		if (iox_dmar_walk_path(drhd->segment, ds->bus, path, hops, &out[n])) {
			pr_info("DRHD %#llx: scope %02x:%02x.%d has no device, ignored\n",
				drhd->address, ds->bus, path[0].device, path[0].function);
			continue;
		}
		n++;
	}

	*scopes = out;
	*nr = n;
	return 0;
}

MODULE_DESCRIPTION("iox Intel VT-d backend");
MODULE_LICENSE("GPL");
