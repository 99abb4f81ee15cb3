// SPDX-License-Identifier: GPL-2.0
/*
 * iox bridge to the kernel's IOMMU API: every unit that translates is
 * registered with the IOMMU core (iommu_device_sysfs_add() and
 * iommu_device_register()), so that VFIO, and through it QEMU's vfio-pci and
 * KVM device assignment, can put devices behind iox units into IOMMU
 * domains of their own.
 *
 * The bridge is backend-generic: it speaks to units and domains through the
 * iox core only.  Its domains are thin wrappers:
 *
 * - IOMMU_DOMAIN_IDENTITY has no iox domain: attaching to it detaches the
 *   device from the iox domain the bridge gave it, and the backend returns
 *   the device to pass-through while a driver that uses the DMA API drives
 *   it (a device without one is blocked, isolate.c).
 * - IOMMU_DOMAIN_BLOCKED is an iox domain that never maps anything: DMA
 *   faults.  It exists while devices are in the domain only, so that the
 *   blocking domain a group keeps after VFIO used it pins no module.
 * - IOMMU_DOMAIN_UNMANAGED (VFIO's) is an iox domain with strict
 *   invalidation: map_pages hands each run to iox_map(), unmap_pages to
 *   iox_unmap_fast(), and the IOMMU core's iotlb_sync syncs the gathered
 *   range once per unmap call.
 * - IOMMU_DOMAIN_DMA and IOMMU_DOMAIN_DMA_FQ are served by iox's DMA layer,
 *   never by the kernel's dma-iommu: a device in one gets iox's dma_map_ops
 *   (probe_finalize, attach_dev), and its iox DMA domain (strict, or lazy
 *   for DMA_FQ) exists while drivers that use the DMA API are bound to its
 *   devices: a bus notifier attaches a device when such a driver binds and
 *   detaches it when the driver is gone.  Unbound, a device is blocked
 *   (isolate.c) and its DMA API calls fail.  The IOMMU core's own
 *   iommu_map() into a DMA domain is refused: its IOVAs are the DMA
 *   layer's.
 *
 * def_domain_type gives a device that is bound when the units register the
 * identity domain, so that it keeps the untranslated mappings its driver
 * made, and every other device a DMA domain (DMA_FQ with iox.dma_lazy),
 * unless iox gives no DMA domains (iox.dma_attach=0).  Built in, the units
 * register before PCI drivers do, so every device starts in a DMA domain
 * and its driver is attached to it before it first probes.
 * Devices in an IOMMU group of iox are the bridge's: dma.c's own notifier
 * leaves them alone.
 *
 * Linux 6.1 keeps one set of IOMMU ops per bus and leaves bus->iommu_ops
 * pointing at them after the last iommu_device_unregister().  The bridge
 * clears it when its last unit leaves, so that a device added after iox
 * unloaded finds no stale ops and a reload may register again.
 *
 * Interrupt remapping is not provided: VFIO type1 needs
 * vfio_iommu_type1.allow_unsafe_interrupts=1 to accept iox groups.
 */
#define pr_fmt(fmt) "iox: " fmt

#include <linux/device.h>
#include <linux/iommu.h>
#include <linux/iox.h>
#include <linux/iox-dma.h>
#include <linux/list.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/platform_device.h>
#include <linux/sizes.h>
#include <linux/slab.h>

#include "iox-internal.h"

/* The x86 interrupt window: DMA to it is an MSI, never translated. */
#define IOX_MSI_BASE	0xfee00000UL
#define IOX_MSI_SIZE	0x100000UL

/**
 * struct iox_iommu - a unit as registered with the IOMMU core
 * @iommu: the IOMMU core's handle of the unit
 * @unit: the iox unit
 * @link: entry on iox_iommus
 */
struct iox_iommu {
	struct iommu_device iommu;
	struct iox_unit *unit;
	struct list_head link;
};

struct iox_iommu_domain;

/**
 * struct iox_iommu_dev - the bridge's state of a probed device
 * @iommu: the unit the device is behind
 * @domain: the IOMMU core's domain the device is in, NULL before the first
 *	attach
 * @attached: the domain whose iox domain the device is attached to: @domain
 *	once the device translates, NULL while it is in an identity domain
 *	or in a DMA domain without a driver using the DMA API
 *
 * Both change under iox_iommu_join_lock.
 */
struct iox_iommu_dev {
	struct iox_iommu *iommu;
	struct iox_iommu_domain *domain;
	struct iox_iommu_domain *attached;
};

/**
 * struct iox_iommu_domain - an IOMMU API domain served by iox
 * @domain: the IOMMU core's domain
 * @iox: the iox domain; NULL for an identity domain, and for a blocked or
 *	DMA domain while no device is attached to it
 * @users: devices attached to a blocked or DMA domain: its iox domain exists
 *	only while there are some, so that an idle blocking domain or the
 *	DMA default domain of an unbound device pins no backend module;
 *	under iox_iommu_join_lock
 * @snoop: every mapping snoops the CPU caches (enforce_cache_coherency)
 */
struct iox_iommu_domain {
	struct iommu_domain domain;
	struct iox_domain *iox;
	unsigned int users;
	bool snoop;
};

/* Protects iox_iommus; not held while the IOMMU core probes devices. */
static DEFINE_MUTEX(iox_iommus_lock);
static LIST_HEAD(iox_iommus);

/* The bind notifier is registered (at iox load): DMA domains can be served. */
static bool iox_iommu_nb_on;

/*
 * Protects which iox domain each device is attached to (struct
 * iox_iommu_dev), and the iox domains of blocked and DMA domains with their
 * @users: the IOMMU core changes domains under its group mutex, drivers
 * bind under the device lock.  Taken after the group mutex.
 */
static DEFINE_MUTEX(iox_iommu_join_lock);

static const struct iommu_ops iox_iommu_ops;

static struct iox_iommu_domain *to_iox_iommu_domain(struct iommu_domain *domain)
{
	return container_of(domain, struct iox_iommu_domain, domain);
}

static struct iox_iommu *iox_iommu_find(struct iox_unit *unit)
{
	struct iox_iommu *iommu;

	lockdep_assert_held(&iox_iommus_lock);
	list_for_each_entry(iommu, &iox_iommus, link)
		if (iommu->unit == unit)
			return iommu;
	return NULL;
}

static struct iommu_device *iox_iommu_probe_device(struct device *dev)
{
	struct iox_iommu_dev *data;
	struct iox_iommu *iommu;
	struct iox_unit *unit;

	if (!dev_is_pci(dev))
		return ERR_PTR(-ENODEV);
	unit = iox_unit_for_device(dev);
	if (!unit)
		return ERR_PTR(-ENODEV);

	mutex_lock(&iox_iommus_lock);
	iommu = iox_iommu_find(unit);
	mutex_unlock(&iox_iommus_lock);
	/* The unit's IOMMU registration, not this reference, ties @dev to it. */
	iox_unit_put(unit);
	if (!iommu)
		return ERR_PTR(-ENODEV);	/* its unit registers later */

	data = iox_should_fail_alloc() ? NULL : kzalloc(sizeof(*data), GFP_KERNEL);
	if (!data)
		return ERR_PTR(-ENOMEM);
	data->iommu = iommu;
	dev_iommu_priv_set(dev, data);
	return &iommu->iommu;
}

/*
 * Leave whatever iox domain the bridge put @dev in.  If the core cannot
 * make sure the hardware stopped using it, @dev stays there.
 */
static void iox_iommu_add_direct(u64 start, u64 last, void *data)
{
	struct iommu_resv_region *region;

	region = iommu_alloc_resv_region(start, last - start + 1, IOMMU_READ | IOMMU_WRITE,
					 IOMMU_RESV_DIRECT, GFP_KERNEL);
	if (region)
		list_add_tail(&region->list, data);
}

/*
 * The MSI window, and the regions firmware DMAs to for @dev (VT-d RMRRs:
 * direct regions, mapped 1:1 in @dev's DMA domains and kept out of VFIO's
 * IOVA ranges).
 */
static void iox_iommu_get_resv_regions(struct device *dev, struct list_head *head)
{
	struct iommu_resv_region *region;
	struct iox_unit *unit;

	region = iommu_alloc_resv_region(IOX_MSI_BASE, IOX_MSI_SIZE, IOMMU_WRITE | IOMMU_MMIO,
					 IOMMU_RESV_MSI, GFP_KERNEL);
	if (region)
		list_add_tail(&region->list, head);

	unit = iox_unit_for_device(dev);
	if (!unit)
		return;
	if (unit->ops->direct_regions)
		unit->ops->direct_regions(unit, dev, iox_iommu_add_direct, head);
	iox_unit_put(unit);
}

/* Map @dev's direct regions 1:1 in a new iox DMA domain. */
static int iox_iommu_map_direct(struct iox_domain *iox, struct device *dev)
{
	struct iommu_resv_region *r;
	LIST_HEAD(regions);
	int ret = 0;

	iox_iommu_get_resv_regions(dev, &regions);
	list_for_each_entry(r, &regions, list)
		if (!ret && (r->type == IOMMU_RESV_DIRECT ||
			     r->type == IOMMU_RESV_DIRECT_RELAXABLE))
			ret = iox_dma_domain_map_direct(iox, r->start, r->start + r->length - 1);
	iommu_put_resv_regions(dev, &regions);
	return ret;
}

/* Blocked and DMA domains have an iox domain only while devices use it. */
static bool iox_iommu_on_demand(struct iox_iommu_domain *d)
{
	return d->domain.type == IOMMU_DOMAIN_BLOCKED || iommu_is_dma_domain(&d->domain);
}

static void iox_iommu_drop_iox(struct iox_iommu_domain *d)
{
	if (iommu_is_dma_domain(&d->domain))
		iox_dma_domain_free(d->iox);
	else
		WARN_ON(iox_domain_free(d->iox));
	d->iox = NULL;
}

static int iox_iommu_leave(struct device *dev, struct iox_iommu_dev *data)
{
	struct iox_iommu_domain *d = data->attached;
	int ret;

	lockdep_assert_held(&iox_iommu_join_lock);
	if (!d)
		return 0;
	ret = iox_detach_device(d->iox, dev);
	if (ret)
		return ret;
	data->attached = NULL;
	if (iox_iommu_on_demand(d) && !--d->users)
		iox_iommu_drop_iox(d);
	return 0;
}

/*
 * Attach @dev to @d's iox domain.  A blocked domain gets one for @dev's unit
 * when its first device comes, a DMA domain an iox DMA domain with @dev's
 * direct regions mapped, lazy or strict as iox's policy for @dev says now
 * (dma_policy, dma_lazy): the domain's type follows, DMA_FQ or DMA, as the
 * IOMMU core does itself when it gives a DMA domain a flush queue.
 */
static int iox_iommu_join(struct iox_iommu_domain *d, struct device *dev,
			  struct iox_iommu_dev *data)
{
	bool on_demand = iox_iommu_on_demand(d);
	int ret;

	lockdep_assert_held(&iox_iommu_join_lock);
	if (on_demand && !d->iox) {
		struct iox_domain *iox;

		if (iommu_is_dma_domain(&d->domain)) {
			bool lazy = iox_dma_dev_lazy(dev);

			iox = iox_dma_domain_alloc(dev, lazy);
			ret = IS_ERR(iox) ? 0 : iox_iommu_map_direct(iox, dev);
			if (ret) {
				iox_dma_domain_free(iox);
				return ret;
			}
			if (!IS_ERR(iox))
				d->domain.type = lazy ? IOMMU_DOMAIN_DMA_FQ : IOMMU_DOMAIN_DMA;
		} else {
			iox = iox_domain_alloc(data->iommu->unit);
		}
		if (IS_ERR(iox))
			return PTR_ERR(iox);
		d->iox = iox;
	}
	ret = iox_attach_device(d->iox, dev);
	if (ret) {
		if (on_demand && !d->users)
			iox_iommu_drop_iox(d);
		return ret;
	}
	if (on_demand)
		d->users++;
	/* The domain may have narrowed to what the new unit supports. */
	d->domain.pgsize_bitmap = READ_ONCE(d->iox->pgsize_bitmap);
	d->domain.geometry.aperture_end = READ_ONCE(d->iox->aperture_end);
	data->attached = d;
	return 0;
}

/*
 * A device in a DMA domain has iox's DMA ops, unless a driver bound before
 * it came there (@bound) and is not attached through iox: a driver bound
 * when the units registered keeps the DMA it set up until it unbinds, and
 * a driver that manages DMA itself (vfio-pci) needs none.  Out of a DMA
 * domain, iox's ops go.
 */
static void iox_iommu_sync_ops(struct device *dev, struct iox_iommu_dev *data, bool bound)
{
	struct iox_iommu_domain *d = data->domain;

	lockdep_assert_held(&iox_iommu_join_lock);
	if (d && iommu_is_dma_domain(&d->domain) && (!bound || data->attached == d))
		iox_dma_set_ops(dev);
	else
		iox_dma_clear_ops(dev);
}

static void iox_iommu_release_device(struct device *dev)
{
	struct iox_iommu_dev *data = dev_iommu_priv_get(dev);

	mutex_lock(&iox_iommu_join_lock);
	WARN_ON(iox_iommu_leave(dev, data));
	iox_dma_clear_ops(dev);
	dev_iommu_priv_set(dev, NULL);
	mutex_unlock(&iox_iommu_join_lock);
	kfree(data);
}

/* After the default domain is attached: the device's DMA ops match it. */
static void iox_iommu_probe_finalize(struct device *dev)
{
	struct iox_iommu_dev *data = dev_iommu_priv_get(dev);

	mutex_lock(&iox_iommu_join_lock);
	iox_iommu_sync_ops(dev, data, dev->driver);
	mutex_unlock(&iox_iommu_join_lock);
}

/*
 * A device bound when the units register keeps its untranslated DMA
 * (identity); every other one gets a DMA domain of iox's policy, if iox
 * gives DMA domains at all (dma_attach, and the bind notifier in place).
 * A bound bridge is no exception: its driver (pcieport) maps no DMA of its
 * own, and its group takes in the devices hot-added behind it later, which
 * must get DMA domains when their drivers bind.
 */
static int iox_iommu_def_domain_type(struct device *dev)
{
	bool bridge = dev_is_pci(dev) && pci_is_bridge(to_pci_dev(dev));

	if ((dev->driver && !bridge) || !iox_dma_enabled() || !READ_ONCE(iox_iommu_nb_on))
		return IOMMU_DOMAIN_IDENTITY;
	return iox_dma_dev_lazy(dev) ? IOMMU_DOMAIN_DMA_FQ : IOMMU_DOMAIN_DMA;
}

/*
 * Any unit the bridge registered, with a reference (iox_unit_put() it): a
 * domain starts with its capabilities.  Found and pinned under the lock
 * its removal takes, so that its backend cannot unload in between.
 */
static struct iox_unit *iox_iommu_any_unit(void)
{
	struct iox_unit *unit = NULL;
	struct iox_iommu *iommu;

	mutex_lock(&iox_iommus_lock);
	iommu = list_first_entry_or_null(&iox_iommus, struct iox_iommu, link);
	if (iommu && iox_unit_get(iommu->unit))
		unit = iommu->unit;
	mutex_unlock(&iox_iommus_lock);
	return unit;
}

static bool iox_iommu_type_served(unsigned int type)
{
	switch (type) {
	case IOMMU_DOMAIN_IDENTITY:
	case IOMMU_DOMAIN_BLOCKED:
	case IOMMU_DOMAIN_UNMANAGED:
		return true;
	case IOMMU_DOMAIN_DMA:
	case IOMMU_DOMAIN_DMA_FQ:
		return IS_ENABLED(CONFIG_IOX_DMA);
	default:
		return false;
	}
}

static struct iommu_domain *iox_iommu_domain_alloc(unsigned int type)
{
	struct iox_iommu_domain *d;
	struct iox_unit *unit;

	if (!iox_iommu_type_served(type))
		return NULL;

	d = iox_should_fail_alloc() ? NULL : kzalloc(sizeof(*d), GFP_KERNEL);
	if (!d)
		return NULL;
	if (type != IOMMU_DOMAIN_UNMANAGED)
		return &d->domain;	/* a blocked or DMA domain's iox domain comes later */

	/*
	 * The IOMMU API names no device here: start with any unit's page
	 * table; devices behind other units of the same backend may attach.
	 */
	unit = iox_iommu_any_unit();
	d->iox = unit ? iox_domain_alloc(unit) : ERR_PTR(-ENODEV);
	/* A live domain pins the unit's backend by itself. */
	if (unit)
		iox_unit_put(unit);
	if (IS_ERR(d->iox)) {
		pr_err("no iox domain for an UNMANAGED domain (%ld)\n", PTR_ERR(d->iox));
		kfree(d);
		return NULL;
	}
	d->domain.pgsize_bitmap = d->iox->pgsize_bitmap;
	d->domain.geometry.aperture_start = 0;
	d->domain.geometry.aperture_end = d->iox->aperture_end;
	d->domain.geometry.force_aperture = true;
	return &d->domain;
}

static void iox_iommu_domain_free(struct iommu_domain *domain)
{
	struct iox_iommu_domain *d = to_iox_iommu_domain(domain);

	if (d->iox)
		iox_iommu_drop_iox(d);
	kfree(d);
}

/*
 * Move @dev from the iox domain it is in (if any) to @d's.  Identity and DMA
 * domains translate nothing yet: the backend passes the device's DMA
 * through until a driver using the DMA API binds (iox_iommu_bind()).  A
 * failure to attach restores the old domain.
 */
static int iox_iommu_switch(struct iox_iommu_domain *d, struct device *dev,
			    struct iox_iommu_dev *data)
{
	struct iox_iommu_domain *old = data->attached, *prev = data->domain;
	int ret;

	if (prev == d)
		return 0;
	ret = iox_iommu_leave(dev, data);
	if (ret)
		return ret;
	data->domain = d;
	if (d->domain.type != IOMMU_DOMAIN_IDENTITY && !iommu_is_dma_domain(&d->domain)) {
		ret = iox_iommu_join(d, dev, data);
		if (ret) {
			data->domain = prev;
			if (old && iox_iommu_join(old, dev, data))
				dev_err(dev, "iox: neither the new nor the old domain could be attached\n");
		}
	}
	iox_iommu_sync_ops(dev, data, dev->driver);
	return ret;
}

static int iox_iommu_attach_dev(struct iommu_domain *domain, struct device *dev)
{
	struct iox_iommu_dev *data = dev_iommu_priv_get(dev);
	int ret;

	mutex_lock(&iox_iommu_join_lock);
	ret = iox_iommu_switch(to_iox_iommu_domain(domain), dev, data);
	mutex_unlock(&iox_iommu_join_lock);
	return ret;
}

static void iox_iommu_detach_dev(struct iommu_domain *domain, struct device *dev)
{
	struct iox_iommu_dev *data = dev_iommu_priv_get(dev);

	mutex_lock(&iox_iommu_join_lock);
	if (data->domain == to_iox_iommu_domain(domain)) {
		WARN_ON(iox_iommu_leave(dev, data));
		data->domain = NULL;
		iox_dma_clear_ops(dev);
	}
	mutex_unlock(&iox_iommu_join_lock);
}

static int iox_iommu_prot(struct iox_iommu_domain *d, int prot)
{
	int iprot = 0;

	if (prot & IOMMU_READ)
		iprot |= IOX_PROT_READ;
	if (prot & IOMMU_WRITE)
		iprot |= IOX_PROT_WRITE;
	if ((prot & IOMMU_CACHE) || READ_ONCE(d->snoop))
		iprot |= IOX_PROT_SNOOP;
	return iprot;
}

/*
 * The IOMMU core split the range by the domain's page sizes, which are
 * iox's; iox maps the run in one backend call and makes it visible (caching
 * mode), undoing it on failure, so *@mapped is all or nothing.  Doing the
 * visibility step here rather than in iotlb_sync_map keeps its errors: the
 * 6.1 iotlb_sync_map cannot report one.
 */
static int iox_iommu_map_pages(struct iommu_domain *domain, unsigned long iova,
			       phys_addr_t paddr, size_t pgsize, size_t pgcount, int prot,
			       gfp_t gfp, size_t *mapped)
{
	struct iox_iommu_domain *d = to_iox_iommu_domain(domain);
	size_t size = pgsize * pgcount;
	int ret;

	*mapped = 0;
	/* Blocked maps nothing; a DMA domain's IOVAs are the DMA layer's. */
	if (!d->iox || domain->type != IOMMU_DOMAIN_UNMANAGED)
		return -EINVAL;
	ret = iox_map(d->iox, iova, paddr, size, iox_iommu_prot(d, prot), gfp);
	if (!ret)
		*mapped = size;
	return ret;
}

/* Unmap a run; the invalidation goes into the IOMMU core's gather. */
static size_t iox_iommu_unmap_pages(struct iommu_domain *domain, unsigned long iova,
				    size_t pgsize, size_t pgcount,
				    struct iommu_iotlb_gather *gather)
{
	struct iox_iommu_domain *d = to_iox_iommu_domain(domain);
	struct iox_iotlb_gather g = IOX_IOTLB_GATHER(g, gather->queued);
	size_t unmapped;

	if (!d->iox || domain->type != IOMMU_DOMAIN_UNMANAGED)
		return 0;
	unmapped = iox_unmap_fast(d->iox, iova, pgsize * pgcount, &g);
	if (!iox_iotlb_gather_empty(&g)) {
		iommu_iotlb_gather_add_range(gather, g.start, g.end - g.start + 1);
		gather->pgsize = max(gather->pgsize, g.pgsize);
	}
	list_splice_tail(&g.freelist, &gather->freelist);
	return unmapped;
}

/* Invalidate what the unmaps of one IOMMU core call gathered, strictly. */
static void iox_iommu_iotlb_sync(struct iommu_domain *domain,
				 struct iommu_iotlb_gather *gather)
{
	struct iox_iommu_domain *d = to_iox_iommu_domain(domain);
	struct iox_iotlb_gather g = IOX_IOTLB_GATHER(g, gather->queued);

	if (!d->iox)
		return;
	if (gather->start <= gather->end) {
		g.start = gather->start;
		g.end = gather->end;
		g.pgsize = gather->pgsize;
	}
	list_splice_init(&gather->freelist, &g.freelist);
	iox_iotlb_sync(d->iox, &g);
}

static void iox_iommu_flush_iotlb_all(struct iommu_domain *domain)
{
	struct iox_iommu_domain *d = to_iox_iommu_domain(domain);

	if (d->iox)
		iox_flush_all(d->iox);
}

static phys_addr_t iox_iommu_iova_to_phys(struct iommu_domain *domain, dma_addr_t iova)
{
	struct iox_iommu_domain *d = to_iox_iommu_domain(domain);

	if (!d->iox)
		return domain->type == IOMMU_DOMAIN_IDENTITY ? iova : 0;
	return iox_iova_to_phys(d->iox, iova);
}

/*
 * Make every later mapping snoop, whatever the device asks for (no-snoop
 * TLPs included).  Only units that can force snooping (VT-d ECAP.SC) can;
 * mappings made before cannot be changed, so an empty domain is required.
 */
static bool iox_iommu_enforce_cache_coherency(struct iommu_domain *domain)
{
	struct iox_iommu_domain *d = to_iox_iommu_domain(domain);

	if (!d->iox || !READ_ONCE(d->iox->force_snoop))
		return false;
	if (READ_ONCE(d->snoop))
		return true;
	if (atomic64_read(&d->iox->mapped_bytes))
		return false;
	WRITE_ONCE(d->snoop, true);
	return true;
}

/*
 * x86 DMA snoops the CPU caches unless a device asks for no-snoop, so
 * mappings with IOMMU_CACHE are coherent through any iox unit; whether the
 * unit can also force it is enforce_cache_coherency's answer.  Interrupts
 * are not remapped.
 */
static bool iox_iommu_capable(struct device *dev, enum iommu_cap cap)
{
	switch (cap) {
	case IOMMU_CAP_CACHE_COHERENCY:
		return true;
	default:
		return false;
	}
}

static const struct iommu_domain_ops iox_iommu_domain_ops = {
	.attach_dev = iox_iommu_attach_dev,
	.detach_dev = iox_iommu_detach_dev,
	.map_pages = iox_iommu_map_pages,
	.unmap_pages = iox_iommu_unmap_pages,
	.flush_iotlb_all = iox_iommu_flush_iotlb_all,
	.iotlb_sync = iox_iommu_iotlb_sync,
	.iova_to_phys = iox_iommu_iova_to_phys,
	.enforce_cache_coherency = iox_iommu_enforce_cache_coherency,
	.free = iox_iommu_domain_free,
};

static const struct iommu_ops iox_iommu_ops = {
	.capable = iox_iommu_capable,
	.domain_alloc = iox_iommu_domain_alloc,
	.probe_device = iox_iommu_probe_device,
	.release_device = iox_iommu_release_device,
	.probe_finalize = iox_iommu_probe_finalize,
	.device_group = pci_device_group,
	.get_resv_regions = iox_iommu_get_resv_regions,
	.def_domain_type = iox_iommu_def_domain_type,
	.default_domain_ops = &iox_iommu_domain_ops,
	.pgsize_bitmap = SZ_4K,
	.owner = THIS_MODULE,
};

/* The buses 6.1's iommu_device_register() sets the ops of (x86). */
static struct bus_type *const iox_iommu_buses[] = {
	&platform_bus_type,
	&pci_bus_type,
};

/**
 * iox_iommu_owns() - whether a device is in an IOMMU group of an iox unit
 * @dev: the device
 *
 * Such a device's domain is its group's business, not dma.c's notifier's.
 *
 * Return: true if the bridge probed @dev.
 */
bool iox_iommu_owns(struct device *dev)
{
	return dev->iommu && dev->iommu->iommu_dev &&
	       dev->iommu->iommu_dev->ops == &iox_iommu_ops;
}

/* The bridge's state of @dev, or NULL if it did not probe @dev. */
static struct iox_iommu_dev *iox_iommu_dev_data(struct device *dev)
{
	lockdep_assert_held(&iox_iommu_join_lock);
	return iox_iommu_owns(dev) ? dev_iommu_priv_get(dev) : NULL;
}

/*
 * A driver binds to @dev, before its probe: in a DMA domain, a driver that
 * uses the DMA API gets @dev attached to the domain's iox DMA domain.  If
 * that fails the device passes its DMA through untranslated, with the
 * kernel's direct DMA; a driver that manages DMA itself finds it blocked
 * (isolate.c, whose notifier runs after this one).
 */
static void iox_iommu_bind(struct device *dev)
{
	struct iox_iommu_dev *data;
	struct iox_iommu_domain *d;
	int ret;

	mutex_lock(&iox_iommu_join_lock);
	data = iox_iommu_dev_data(dev);
	d = data ? data->domain : NULL;
	if (!d || !iommu_is_dma_domain(&d->domain) || data->attached == d)
		goto out;
	if (iox_dma_driver_uses_api(dev)) {
		ret = iox_iommu_join(d, dev, data);
		if (ret)
			dev_warn(dev, "iox: no DMA domain (%d): DMA not translated\n", ret);
		else
			dev_info(dev, "iox: DMA domain %d, %s (IOMMU API %s domain)\n",
				 d->iox->id, iox_dma_is_lazy(dev) ? "lazy" : "strict",
				 d->domain.type == IOMMU_DOMAIN_DMA_FQ ? "DMA-FQ" : "DMA");
	}
	iox_iommu_sync_ops(dev, data, true);
out:
	mutex_unlock(&iox_iommu_join_lock);
}

/*
 * @dev's DMA-API driver is gone: the device leaves the iox DMA domain for
 * the blocked state in one step (a device without a driver is blocked,
 * isolate.c; dma.c does the same), so nothing the driver mapped stays
 * reachable; the iox domain goes with its last device.
 */
static void iox_iommu_unbind(struct device *dev)
{
	struct iox_iommu_dev *data;
	int ret;

	mutex_lock(&iox_iommu_join_lock);
	data = iox_iommu_dev_data(dev);
	if (data && data->attached && data->attached == data->domain &&
	    iommu_is_dma_domain(&data->domain->domain)) {
		ret = iox_iommu_leave(dev, data);
		if (ret)
			dev_err(dev, "iox: DMA domain not left (%d)\n", ret);
	}
	if (data)
		iox_iommu_sync_ops(dev, data, false);
	mutex_unlock(&iox_iommu_join_lock);
}

static int iox_iommu_bus_notify(struct notifier_block *nb, unsigned long action,
				void *data)
{
	switch (action) {
	case BUS_NOTIFY_BIND_DRIVER:		/* before the driver probes */
		iox_iommu_bind(data);
		break;
	case BUS_NOTIFY_UNBOUND_DRIVER:		/* the driver is gone */
		iox_iommu_unbind(data);
		break;
	case BUS_NOTIFY_DRIVER_NOT_BOUND:	/* its probe failed */
		iox_probe_failed_call(data, iox_iommu_unbind);
		break;
	}
	return NOTIFY_DONE;
}

static struct notifier_block iox_iommu_nb = {
	.notifier_call = iox_iommu_bus_notify,
};

/*
 * Called at iox load: watch drivers bind, so that DMA domains can be
 * served.  Registered here, under no lock, because backends register
 * units under locks their own bus notifiers take.
 */
void iox_iommu_init(void)
{
	if (!IS_ENABLED(CONFIG_IOX_DMA))
		return;
	if (bus_register_notifier(&pci_bus_type, &iox_iommu_nb))
		pr_warn("no bus notifier: identity default domains only\n");
	else
		iox_iommu_nb_on = true;
}

/* Called at iox unload, when no unit is registered any more. */
void iox_iommu_exit(void)
{
	if (iox_iommu_nb_on)
		bus_unregister_notifier(&pci_bus_type, &iox_iommu_nb);
	iox_iommu_nb_on = false;
}

/*
 * The last unit left: stop the buses pointing at ops that go away with this
 * module, and let other ops (a reload's) register.
 */
static void iox_iommu_release_buses(void)
{
	unsigned int i;

	lockdep_assert_held(&iox_iommus_lock);
	for (i = 0; i < ARRAY_SIZE(iox_iommu_buses); i++)
		if (iox_iommu_buses[i]->iommu_ops == &iox_iommu_ops)
			WRITE_ONCE(iox_iommu_buses[i]->iommu_ops, NULL);
}

/**
 * iox_iommu_add_unit() - register a unit with the kernel's IOMMU core
 * @unit: a unit registered with iox
 *
 * Units that cannot translate (no domain_alloc) are skipped.  Registration
 * probes every device: those behind @unit join IOMMU groups, with an
 * identity default domain if they are bound then, else a DMA domain (see
 * def_domain_type).  A failure is logged and leaves the unit to iox's own
 * users; nothing of it stays registered.
 *
 * Return: 0, or the IOMMU core's error (-EBUSY if another IOMMU driver owns
 * the buses).
 */
int iox_iommu_add_unit(struct iox_unit *unit)
{
	struct iox_iommu *iommu;
	int ret;

	if (!unit->ops->domain_alloc)
		return 0;
	iommu = iox_should_fail_alloc() ? NULL : kzalloc(sizeof(*iommu), GFP_KERNEL);
	if (!iommu)
		return -ENOMEM;
	iommu->unit = unit;

	ret = iommu_device_sysfs_add(&iommu->iommu, NULL, NULL, "%s", unit->name);
	if (ret)
		goto out_free;
	mutex_lock(&iox_iommus_lock);
	list_add_tail(&iommu->link, &iox_iommus);
	mutex_unlock(&iox_iommus_lock);

	ret = iommu_device_register(&iommu->iommu, &iox_iommu_ops, NULL);
	if (ret)
		goto out_unlist;
	pr_info("%s: serving the IOMMU API (VFIO)\n", unit->name);
	return 0;

out_unlist:
	mutex_lock(&iox_iommus_lock);
	list_del(&iommu->link);
	if (list_empty(&iox_iommus))
		iox_iommu_release_buses();
	mutex_unlock(&iox_iommus_lock);
	iommu_device_sysfs_remove(&iommu->iommu);
out_free:
	kfree(iommu);
	pr_warn("%s: not registered with the IOMMU API (%d): no VFIO through it\n",
		unit->name, ret);
	return ret;
}

/**
 * iox_iommu_remove_unit() - unregister a unit from the kernel's IOMMU core
 * @unit: the unit; a no-op if it was not registered
 *
 * Its devices leave their groups (and their iox domains).  Domains in use
 * pin the backend module, so this runs only once nobody uses them.
 */
void iox_iommu_remove_unit(struct iox_unit *unit)
{
	struct iox_iommu *iommu;

	mutex_lock(&iox_iommus_lock);
	iommu = iox_iommu_find(unit);
	mutex_unlock(&iox_iommus_lock);
	if (!iommu)
		return;

	iommu_device_unregister(&iommu->iommu);
	iommu_device_sysfs_remove(&iommu->iommu);

	mutex_lock(&iox_iommus_lock);
	list_del(&iommu->link);
	if (list_empty(&iox_iommus))
		iox_iommu_release_buses();
	mutex_unlock(&iox_iommus_lock);
	kfree(iommu);
}
