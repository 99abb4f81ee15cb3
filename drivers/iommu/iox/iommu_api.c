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
 *   the device to pass-through.
 * - IOMMU_DOMAIN_BLOCKED is an iox domain that never maps anything: DMA
 *   faults.  It exists while devices are in the domain only, so that the
 *   blocking domain a group keeps after VFIO used it pins no module.
 * - IOMMU_DOMAIN_UNMANAGED (VFIO's) is an iox domain with strict
 *   invalidation: map_pages hands each run to iox_map(), unmap_pages to
 *   iox_unmap_fast(), and the IOMMU core's iotlb_sync syncs the gathered
 *   range once per unmap call.
 * - DMA and DMA_FQ domains are not offered: the kernel's dma-iommu would
 *   drive them, not iox.  Every group therefore gets an identity default
 *   domain (def_domain_type), which also keeps devices that are bound and
 *   doing DMA when the units register on their untranslated mappings.
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
 * @attached: the domain backed by an iox domain that the device is in,
 *	NULL while it is in an identity domain; changed under the IOMMU
 *	core's group mutex (attach_dev, detach_dev, release_device)
 */
struct iox_iommu_dev {
	struct iox_iommu *iommu;
	struct iox_iommu_domain *attached;
};

/**
 * struct iox_iommu_domain - an IOMMU API domain served by iox
 * @domain: the IOMMU core's domain
 * @iox: the iox domain; NULL for an identity domain, and for a blocked
 *	domain while no device is in it
 * @users: devices in a blocked domain: its iox domain exists only while
 *	there are some, so that a group's idle blocking domain does not pin
 *	the backend module; under the group mutex
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

	data = kzalloc(sizeof(*data), GFP_KERNEL);
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
static int iox_iommu_leave(struct device *dev, struct iox_iommu_dev *data)
{
	struct iox_iommu_domain *d = data->attached;
	int ret;

	if (!d)
		return 0;
	ret = iox_detach_device(d->iox, dev);
	if (ret)
		return ret;
	data->attached = NULL;
	if (d->domain.type == IOMMU_DOMAIN_BLOCKED && !--d->users) {
		WARN_ON(iox_domain_free(d->iox));
		d->iox = NULL;
	}
	return 0;
}

/*
 * Attach @dev to @d's iox domain; a blocked domain gets one, for @dev's
 * unit, when its first device comes.
 */
static int iox_iommu_join(struct iox_iommu_domain *d, struct device *dev,
			  struct iox_iommu_dev *data)
{
	bool blocked = d->domain.type == IOMMU_DOMAIN_BLOCKED;
	int ret;

	if (blocked && !d->iox) {
		d->iox = iox_domain_alloc(data->iommu->unit);
		if (IS_ERR(d->iox)) {
			ret = PTR_ERR(d->iox);
			d->iox = NULL;
			return ret;
		}
	}
	ret = iox_attach_device(d->iox, dev);
	if (ret) {
		if (blocked && !d->users) {
			iox_domain_free(d->iox);
			d->iox = NULL;
		}
		return ret;
	}
	if (blocked)
		d->users++;
	/* The domain may have narrowed to what the new unit supports. */
	d->domain.pgsize_bitmap = READ_ONCE(d->iox->pgsize_bitmap);
	d->domain.geometry.aperture_end = READ_ONCE(d->iox->aperture_end);
	data->attached = d;
	return 0;
}

static void iox_iommu_release_device(struct device *dev)
{
	struct iox_iommu_dev *data = dev_iommu_priv_get(dev);

	WARN_ON(iox_iommu_leave(dev, data));
	dev_iommu_priv_set(dev, NULL);
	kfree(data);
}

/*
 * Without iox's DMA layer no DMA domain can be offered: every device uses
 * the identity domain, which is also what a device bound and doing DMA at
 * registration must keep.
 */
static int iox_iommu_def_domain_type(struct device *dev)
{
	return IOMMU_DOMAIN_IDENTITY;
}

/* Any unit the bridge registered: a domain starts with its capabilities. */
static struct iox_unit *iox_iommu_any_unit(void)
{
	struct iox_iommu *iommu;

	mutex_lock(&iox_iommus_lock);
	iommu = list_first_entry_or_null(&iox_iommus, struct iox_iommu, link);
	mutex_unlock(&iox_iommus_lock);
	return iommu ? iommu->unit : NULL;
}

static struct iommu_domain *iox_iommu_domain_alloc(unsigned int type)
{
	struct iox_iommu_domain *d;
	struct iox_unit *unit;

	if (type != IOMMU_DOMAIN_IDENTITY && type != IOMMU_DOMAIN_BLOCKED &&
	    type != IOMMU_DOMAIN_UNMANAGED)
		return NULL;

	d = kzalloc(sizeof(*d), GFP_KERNEL);
	if (!d)
		return NULL;
	if (type != IOMMU_DOMAIN_UNMANAGED)
		return &d->domain;	/* a blocked domain's iox domain comes later */

	/*
	 * The IOMMU API names no device here: start with any unit's page
	 * table; devices behind other units of the same backend may attach.
	 */
	unit = iox_iommu_any_unit();
	d->iox = unit ? iox_domain_alloc(unit) : ERR_PTR(-ENODEV);
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
		WARN_ON(iox_domain_free(d->iox));
	kfree(d);
}

/*
 * Move @dev from the iox domain it is in (if any) to @domain's.  The IOMMU
 * core also calls this to restore the previous domain after a failed
 * switch; a failure to attach restores the old iox domain.
 */
static int iox_iommu_attach_dev(struct iommu_domain *domain, struct device *dev)
{
	struct iox_iommu_domain *d = to_iox_iommu_domain(domain);
	struct iox_iommu_dev *data = dev_iommu_priv_get(dev);
	struct iox_iommu_domain *old = data->attached;
	int ret;

	if (old == d)
		return 0;
	ret = iox_iommu_leave(dev, data);
	if (ret)
		return ret;
	if (domain->type == IOMMU_DOMAIN_IDENTITY)
		return 0;	/* the backend passes the device's DMA through */

	ret = iox_iommu_join(d, dev, data);
	if (ret && old && iox_iommu_join(old, dev, data))
		dev_err(dev, "iox: neither the new nor the old domain could be attached\n");
	return ret;
}

static void iox_iommu_detach_dev(struct iommu_domain *domain, struct device *dev)
{
	struct iox_iommu_dev *data = dev_iommu_priv_get(dev);

	if (data->attached == to_iox_iommu_domain(domain))
		WARN_ON(iox_iommu_leave(dev, data));
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
	if (!d->iox || domain->type == IOMMU_DOMAIN_BLOCKED)
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
	struct iox_iotlb_gather g;
	size_t unmapped;

	if (!d->iox)
		return 0;
	iox_iotlb_gather_init(&g, gather->queued);
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
	struct iox_iotlb_gather g;

	if (!d->iox)
		return;
	iox_iotlb_gather_init(&g, gather->queued);
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

static void iox_iommu_get_resv_regions(struct device *dev, struct list_head *head)
{
	struct iommu_resv_region *region;

	region = iommu_alloc_resv_region(IOX_MSI_BASE, IOX_MSI_SIZE, IOMMU_WRITE | IOMMU_MMIO,
					 IOMMU_RESV_MSI, GFP_KERNEL);
	if (region)
		list_add_tail(&region->list, head);
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

/*
 * The last unit left: stop the buses pointing at ops that go away with this
 * module, and let other ops (a reload's) register.
 */
static void iox_iommu_release_buses(void)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(iox_iommu_buses); i++)
		if (iox_iommu_buses[i]->iommu_ops == &iox_iommu_ops)
			WRITE_ONCE(iox_iommu_buses[i]->iommu_ops, NULL);
}

/**
 * iox_iommu_add_unit() - register a unit with the kernel's IOMMU core
 * @unit: a unit registered with iox
 *
 * Units that cannot translate (no domain_alloc) are skipped.  Registration
 * probes every device: those behind @unit join IOMMU groups with an identity
 * default domain.  A failure is logged and leaves the unit to iox's own
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
	iommu = kzalloc(sizeof(*iommu), GFP_KERNEL);
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
