// SPDX-License-Identifier: GPL-2.0
/*
 * iox VT-d backend: the reserved memory regions of the DMAR table (RMRR,
 * VT-d specification 8.4).  Firmware may DMA to such a region on behalf of
 * the devices of its scope at any time (USB legacy emulation, a graphics
 * stolen-memory area), so every domain such a device is in must map it 1:1
 * and keep its IOVAs out of any allocator.  The regions are read once at
 * load and handed to the core as a unit's direct regions; the IOMMU API
 * bridge reports them as IOMMU_RESV_DIRECT.
 */
#define pr_fmt(fmt) "iox-intel: " fmt

#include <linux/acpi.h>
#include <linux/device.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/slab.h>

#include "vtd.h"

/* Protects iox_vtd_rmrrs. */
static DEFINE_MUTEX(iox_vtd_rmrrs_lock);
static LIST_HEAD(iox_vtd_rmrrs);

/**
 * iox_vtd_rmrr_free() - free a region of iox_dmar_parse_rmrr()
 * @r: the region, on no list
 */
void iox_vtd_rmrr_free(struct iox_vtd_rmrr *r)
{
	kfree(r->scopes);
	kfree(r);
}
EXPORT_SYMBOL_NS_GPL(iox_vtd_rmrr_free, IOX_TEST);

/**
 * iox_vtd_rmrr_add() - make a region one of the backend's
 * @r: the region; the backend frees it at unload unless iox_vtd_rmrr_del()
 *	takes it back
 */
void iox_vtd_rmrr_add(struct iox_vtd_rmrr *r)
{
	mutex_lock(&iox_vtd_rmrrs_lock);
	list_add_tail(&r->list, &iox_vtd_rmrrs);
	mutex_unlock(&iox_vtd_rmrrs_lock);
}
EXPORT_SYMBOL_NS_GPL(iox_vtd_rmrr_add, IOX_TEST);

/**
 * iox_vtd_rmrr_del() - take back a region of iox_vtd_rmrr_add()
 * @r: the region, then the caller's again
 */
void iox_vtd_rmrr_del(struct iox_vtd_rmrr *r)
{
	mutex_lock(&iox_vtd_rmrrs_lock);
	list_del(&r->list);
	mutex_unlock(&iox_vtd_rmrrs_lock);
}
EXPORT_SYMBOL_NS_GPL(iox_vtd_rmrr_del, IOX_TEST);

static int iox_vtd_rmrr_found(struct iox_dmar_walk *walk,
			      const struct acpi_dmar_reserved_memory *rmrr)
{
	struct iox_vtd_rmrr *r;
	int ret;

	ret = iox_dmar_parse_rmrr(rmrr, &r);
	if (ret == -ENOMEM)
		return ret;
	if (ret)
		return 0;	/* a firmware bug, logged: that region only is ignored */
	pr_info("RMRR [%#llx-%#llx], %u scope entries\n", r->base, r->last, r->nr_scopes);
	iox_vtd_rmrr_add(r);
	return 0;
}

/**
 * iox_vtd_rmrrs_load() - read the RMRRs of the DMAR table
 *
 * Return: 0, also without a DMAR table (a malformed region is logged and
 * left out); -EINVAL for a malformed table, -ENOMEM: nothing is kept then.
 */
int iox_vtd_rmrrs_load(void)
{
	struct iox_dmar_walk walk = { .rmrr = iox_vtd_rmrr_found };
	int ret = iox_dmar_walk_drhds(&walk);

	if (ret == -ENODEV)
		return 0;
	if (ret)
		iox_vtd_rmrrs_free();
	return ret;
}

/**
 * iox_vtd_rmrrs_free() - forget every region of the backend
 */
void iox_vtd_rmrrs_free(void)
{
	struct iox_vtd_rmrr *r, *next;

	mutex_lock(&iox_vtd_rmrrs_lock);
	list_for_each_entry_safe(r, next, &iox_vtd_rmrrs, list) {
		list_del(&r->list);
		iox_vtd_rmrr_free(r);
	}
	mutex_unlock(&iox_vtd_rmrrs_lock);
}

/**
 * iox_vtd_direct_regions() - the RMRRs of a device
 * @unit: the unit translating @dev
 * @dev: the device
 * @fn: called with the first and last byte of each region whose scope
 *	names @dev or a bridge above it, under the backend's region lock
 * @data: passed to @fn
 */
void iox_vtd_direct_regions(struct iox_unit *unit, struct device *dev,
			    void (*fn)(u64 start, u64 last, void *data), void *data)
{
	struct iox_vtd_rmrr *r;

	if (!dev_is_pci(dev))
		return;
	mutex_lock(&iox_vtd_rmrrs_lock);
	list_for_each_entry(r, &iox_vtd_rmrrs, list)
		if (iox_vtd_scopes_cover(r->scopes, r->nr_scopes, r->segment, to_pci_dev(dev)))
			fn(r->base, r->last, data);
	mutex_unlock(&iox_vtd_rmrrs_lock);
}
