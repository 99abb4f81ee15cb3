// SPDX-License-Identifier: GPL-2.0
/*
 * iox domains: allocation, attaching and detaching devices, statistics.
 *
 * A domain starts with the capabilities of the unit it was allocated for.
 * Devices behind other units of the same backend may attach: the domain
 * then uses the page sizes and aperture every attached unit supports.  A
 * unit that could not translate what is already mapped (a page size it
 * lacks, an IOVA beyond its aperture) is refused, and so is one that could
 * not walk the page table as it is written: a non-coherent unit when the
 * tables are written for a coherent one (without cache flushes), a unit
 * without snoop control when the entries may carry the snoop-control bit.
 *
 * The per-device data lives in an xarray indexed by the struct device
 * pointer and is read locklessly under RCU, so finding the domain of a
 * device is one lookup, never a walk of units, buses or domains.
 */
#define pr_fmt(fmt) "iox: " fmt

#include <linux/device.h>
#include <linux/err.h>
#include <linux/hashtable.h>
#include <linux/idr.h>
#include <linux/iox.h>
#include <linux/mm.h>
#include <linux/percpu.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/xarray.h>

#include "iox-internal.h"

/*
 * struct device * -> struct iox_dev_data *, for attached devices only: a
 * hash table read under RCU, since every DMA-API call looks its device up
 * (a hash and one short chain, where an xarray indexed by a kernel pointer
 * is a dozen levels deep).  Writers hold the domain lock of the domain
 * concerned, and iox_devices_lock, which makes attaching one device to two
 * domains at once fail for one.
 */
#define IOX_DEVICES_BITS	6
static DEFINE_HASHTABLE(iox_devices, IOX_DEVICES_BITS);
static DEFINE_SPINLOCK(iox_devices_lock);	/* protects writes to iox_devices */
static DEFINE_IDA(iox_domain_ida);

/**
 * struct iox_dev_data - the core's state of an attached device
 * @dev: the device
 * @unit: the unit its DMA goes through
 * @domain: the domain it is attached to
 * @link: entry on the domain's device list, under the domain lock
 * @node: entry in iox_devices, under iox_devices_lock
 * @rcu: frees the data after lockless readers are done with it
 */
struct iox_dev_data {
	struct device *dev;
	struct iox_unit *unit;
	struct iox_domain *domain;
	struct list_head link;
	struct hlist_node node;
	struct rcu_head rcu;
};

/* The data of an attached @dev, or NULL; under RCU or a writer's locks. */
static struct iox_dev_data *iox_devices_find(struct device *dev)
{
	struct iox_dev_data *data;

	hash_for_each_possible_rcu(iox_devices, data, node, (unsigned long)dev,
				   lockdep_is_held(&iox_devices_lock))
		if (data->dev == dev)
			return data;
	return NULL;
}

/* Enter @data in the table.  Return: 0, or -EBUSY if its device is there. */
static int iox_devices_insert(struct iox_dev_data *data)
{
	int ret = 0;

	spin_lock(&iox_devices_lock);
	if (iox_devices_find(data->dev))
		ret = -EBUSY;
	else
		hash_add_rcu(iox_devices, &data->node, (unsigned long)data->dev);
	spin_unlock(&iox_devices_lock);
	return ret;
}

/* Take @data out of the table; lookups may see it until a grace period. */
static void iox_devices_remove(struct iox_dev_data *data)
{
	spin_lock(&iox_devices_lock);
	hash_del_rcu(&data->node);
	spin_unlock(&iox_devices_lock);
}

static u64 iox_unit_aperture_end(const struct iox_unit *unit)
{
	return unit->ias >= 64 ? U64_MAX : BIT_ULL(unit->ias) - 1;
}

static void iox_domain_take_caps(struct iox_domain *domain, const struct iox_unit *unit)
{
	domain->pgsize_bitmap = unit->pgsize_bitmap;
	domain->aperture_end = iox_unit_aperture_end(unit);
	domain->lazy_ok = unit->lazy_ok;
	domain->coherent = unit->coherent;
	domain->force_snoop = unit->force_snoop;
}

static void iox_domain_narrow_caps(struct iox_domain *domain, const struct iox_unit *unit)
{
	WRITE_ONCE(domain->pgsize_bitmap, domain->pgsize_bitmap & unit->pgsize_bitmap);
	WRITE_ONCE(domain->aperture_end,
		   min(domain->aperture_end, iox_unit_aperture_end(unit)));
	domain->lazy_ok &= unit->lazy_ok;
	domain->coherent &= unit->coherent;
	domain->force_snoop &= unit->force_snoop;
}

/**
 * iox_domain_alloc() - allocate a domain for devices behind a unit
 * @unit: the unit whose backend provides the page table
 *
 * Return: the domain, or an ERR_PTR(): -EINVAL without a unit, -EOPNOTSUPP
 * if the backend cannot translate, -ENOMEM, or the backend's error.
 */
struct iox_domain *iox_domain_alloc(struct iox_unit *unit)
{
	struct iox_domain *domain;
	int id;

	if (!unit)
		return ERR_PTR(-EINVAL);
	if (!unit->ops->domain_alloc)
		return ERR_PTR(-EOPNOTSUPP);

	domain = unit->ops->domain_alloc(unit);
	if (IS_ERR(domain))
		return domain;

	domain->stats = iox_should_fail_alloc() ? NULL :
			alloc_percpu(struct iox_domain_stats);
	id = iox_should_fail_alloc() ? -ENOMEM : ida_alloc(&iox_domain_ida, GFP_KERNEL);
	if (!domain->stats || id < 0) {
		if (id >= 0)
			ida_free(&iox_domain_ida, id);
		free_percpu(domain->stats);
		domain->ops->free(domain);
		return ERR_PTR(-ENOMEM);
	}

	domain->id = id;
	domain->unit = unit;
	iox_domain_take_caps(domain, unit);
	mutex_init(&domain->lock);
	INIT_LIST_HEAD(&domain->devices);
	INIT_LIST_HEAD(&domain->units);
	domain->nr_devices = 0;
	domain->fq = NULL;
	domain->fq_release = NULL;
	domain->dma = NULL;
	atomic64_set(&domain->mapped_bytes, 0);
	atomic_long_set(&domain->used_pgsizes, 0);
	atomic64_set(&domain->highest_mapped, 0);
	spin_lock_init(&domain->kept_lock);
	INIT_LIST_HEAD(&domain->kept_pages);
	atomic_long_set(&domain->nr_kept_pages, 0);
	atomic64_set(&domain->nr_faults, 0);
	iox_debugfs_add_domain(domain);
	return domain;
}
EXPORT_SYMBOL_GPL(iox_domain_alloc);

/**
 * iox_domain_free() - free a domain
 * @domain: the domain; no device may be attached
 *
 * Fault reports that found the domain before its last device was detached
 * are waited for (an RCU grace period), so that none uses it once freed.
 * Mappings left in the domain are freed with its page table, and so are
 * the page-table pages kept after failed invalidations: every device was
 * detached with its translation cleared and flushed, so no hardware can
 * walk them any more.  A domain in lazy mode flushes its queue first and
 * releases what was queued.
 *
 * Return: 0, -EINVAL for no domain, -EBUSY (and nothing freed) while
 * devices are attached, or while a unit may still walk the domain's tables
 * (an attach its backend could neither complete nor undo, see
 * iox_attach_device()): the domain is then kept for good.
 */
int iox_domain_free(struct iox_domain *domain)
{
	if (IS_ERR_OR_NULL(domain))
		return -EINVAL;

	mutex_lock(&domain->lock);
	if (domain->nr_devices) {
		mutex_unlock(&domain->lock);
		pr_err("domain %d: %u device(s) still attached, not freed\n",
		       domain->id, domain->nr_devices);
		return -EBUSY;
	}
	if (!list_empty(&domain->units)) {
		mutex_unlock(&domain->lock);
		pr_err("domain %d: a unit may still walk its tables, not freed\n", domain->id);
		return -EBUSY;
	}
	mutex_unlock(&domain->lock);

	if (domain->fq_release)
		domain->fq_release(domain);
	iox_debugfs_remove_domain(domain);
	/* Fault reports look domains up under RCU: let them finish. */
	synchronize_rcu();
	iox_domain_units_destroy(domain);
	put_pages_list(&domain->kept_pages);
	ida_free(&iox_domain_ida, domain->id);
	free_percpu(domain->stats);
	mutex_destroy(&domain->lock);
	domain->ops->free(domain);
	return 0;
}
EXPORT_SYMBOL_GPL(iox_domain_free);

/* Whether @unit can translate everything @domain maps now. */
static int iox_domain_check_unit(struct iox_domain *domain, struct iox_unit *unit)
{
	unsigned long pgsizes = domain->pgsize_bitmap & unit->pgsize_bitmap;
	unsigned long used;

	if (unit->ops != domain->unit->ops) {
		pr_err("%s: belongs to another backend than domain %d\n", unit->name,
		       domain->id);
		return -EINVAL;
	}
	if (!pgsizes) {
		pr_err("%s: no page size in common with domain %d\n", unit->name, domain->id);
		return -EINVAL;
	}
	if (domain->unit->coherent && !unit->coherent) {
		pr_err("%s: does not snoop page walks; domain %d's tables are not flushed\n",
		       unit->name, domain->id);
		return -EINVAL;
	}
	if (domain->unit->force_snoop && !unit->force_snoop) {
		pr_err("%s: lacks snoop control; domain %d's entries may use it\n",
		       unit->name, domain->id);
		return -EINVAL;
	}
	if (domain->fq && !unit->lazy_ok) {
		pr_err("%s: cannot defer invalidation; domain %d is lazy\n", unit->name,
		       domain->id);
		return -EINVAL;
	}
	if (!atomic64_read(&domain->mapped_bytes))
		return 0;

	used = atomic_long_read(&domain->used_pgsizes);
	if (used & ~pgsizes) {
		pr_err("%s: cannot map page sizes %#lx that domain %d uses\n", unit->name,
		       used & ~pgsizes, domain->id);
		return -EINVAL;
	}
	if (atomic64_read(&domain->highest_mapped) > iox_unit_aperture_end(unit)) {
		pr_err("%s: domain %d maps IOVAs beyond its %u-bit aperture\n", unit->name,
		       domain->id, unit->ias);
		return -ERANGE;
	}
	return 0;
}

/**
 * iox_attach_device() - translate a device's DMA through a domain
 * @domain: the domain
 * @dev: the device
 *
 * Return: 0; -EBUSY if the device is attached already (to any domain,
 * whatever else is wrong); -EINVAL for no domain or device, or a unit that
 * cannot serve the domain's mappings, walk its page table (see struct
 * iox_domain, @unit) or, for a domain in lazy mode
 * (iox_domain_enable_lazy()), defer invalidation (@lazy_ok); -ERANGE if
 * the domain maps beyond that unit's aperture; -ENODEV for a device no
 * unit serves; -ENOMEM; or the backend's error.  On failure nothing
 * changed, with one exception: a backend whose attach failed half-way and
 * whose undo failed too (both invalidations) logs it and leaves the unit in
 * the domain's set, as the unit may still translate for the device; the
 * domain can then not be freed (iox_domain_free() returns -EBUSY).
 */
int iox_attach_device(struct iox_domain *domain, struct device *dev)
{
	struct iox_dev_data *data;
	struct iox_unit *unit;
	int ret;

	if (IS_ERR_OR_NULL(domain) || !dev)
		return -EINVAL;
	/* Checked again, for good, when the device's entry is inserted. */
	rcu_read_lock();
	data = iox_devices_find(dev);
	rcu_read_unlock();
	if (data) {
		dev_err(dev, "iox: already attached to a domain\n");
		return -EBUSY;
	}

	unit = iox_unit_for_device(dev);
	if (!unit) {
		dev_err(dev, "iox: no IOMMU unit translates this device\n");
		return -ENODEV;
	}

	data = iox_should_fail_alloc() ? NULL : kzalloc(sizeof(*data), GFP_KERNEL);
	if (!data) {
		iox_unit_put(unit);
		return -ENOMEM;
	}
	data->dev = dev;
	data->unit = unit;

	mutex_lock(&domain->lock);
	ret = iox_domain_check_unit(domain, unit);
	if (ret)
		goto out_unlock;

	ret = iox_devices_insert(data);
	if (ret) {
		if (ret == -EBUSY)
			dev_err(dev, "iox: already attached to a domain\n");
		goto out_unlock;
	}

	ret = domain->ops->attach_dev(domain, unit, dev);
	if (ret) {
		iox_devices_remove(data);
		goto out_unlock;
	}

	iox_domain_narrow_caps(domain, unit);
	list_add_tail(&data->link, &domain->devices);
	domain->nr_devices++;
	/* Publish last: lookups see the domain only once the device uses it. */
	WRITE_ONCE(data->domain, domain);
	mutex_unlock(&domain->lock);
	/* The domain's backend, the unit's own, keeps the unit from now on. */
	iox_unit_put(unit);
	return 0;

out_unlock:
	mutex_unlock(&domain->lock);
	/* A lookup may have found it in the table meanwhile. */
	kfree_rcu(data, rcu);
	iox_unit_put(unit);
	return ret;
}
EXPORT_SYMBOL_GPL(iox_attach_device);

/**
 * iox_detach_device() - stop translating a device through a domain
 * @domain: the domain the device is attached to
 * @dev: the device
 *
 * The domain's capabilities widen again to what the remaining devices'
 * units support.
 *
 * Return: 0, -EINVAL if @dev is not attached to @domain, or the backend's
 * errno (-ETIMEDOUT, -EIO) if it could not make sure that the hardware no
 * longer translates @dev through @domain: @dev then stays attached (and
 * the domain cannot be freed); the detach may be retried.
 */
int iox_detach_device(struct iox_domain *domain, struct device *dev)
{
	struct iox_dev_data *data, *other;
	int ret;

	if (IS_ERR_OR_NULL(domain) || !dev)
		return -EINVAL;

	mutex_lock(&domain->lock);
	rcu_read_lock();
	data = iox_devices_find(dev);
	rcu_read_unlock();
	if (!data || data->domain != domain) {
		mutex_unlock(&domain->lock);
		dev_err(dev, "iox: not attached to domain %d\n", domain->id);
		return -EINVAL;
	}

	WRITE_ONCE(data->domain, NULL);
	ret = domain->ops->detach_dev(domain, data->unit, dev);
	if (ret) {
		WRITE_ONCE(data->domain, domain);
		mutex_unlock(&domain->lock);
		dev_err(dev, "iox: detach from domain %d failed (%d), still attached\n",
			domain->id, ret);
		return ret;
	}
	iox_devices_remove(data);
	list_del(&data->link);
	domain->nr_devices--;

	iox_domain_take_caps(domain, domain->unit);
	list_for_each_entry(other, &domain->devices, link)
		iox_domain_narrow_caps(domain, other->unit);
	mutex_unlock(&domain->lock);

	kfree_rcu(data, rcu);
	return 0;
}
EXPORT_SYMBOL_GPL(iox_detach_device);

/**
 * iox_device_domain() - the domain a device is attached to
 * @dev: the device
 *
 * One lockless lookup; safe in any context.  The caller keeps the device
 * attached for as long as it uses the result.
 *
 * Return: the domain, or NULL if the device is not attached.
 */
struct iox_domain *iox_device_domain(struct device *dev)
{
	struct iox_dev_data *data;
	struct iox_domain *domain = NULL;

	rcu_read_lock();
	data = iox_devices_find(dev);
	if (data)
		domain = READ_ONCE(data->domain);
	rcu_read_unlock();
	return domain;
}
EXPORT_SYMBOL_GPL(iox_device_domain);

/**
 * iox_domain_set_fault_handler() - be told about a domain's DMA faults
 * @domain: the domain
 * @handler: called for each fault of a device attached to @domain, in
 *	process context under rcu_read_lock(): it must not sleep; NULL to
 *	stop
 * @data: passed to @handler
 *
 * Set the handler while no device is attached, or accept that faults
 * racing with the change go to either handler.  Once iox_domain_free()
 * returned, no handler call for the domain runs any more.
 */
void iox_domain_set_fault_handler(struct iox_domain *domain,
				  void (*handler)(struct iox_domain *domain, struct device *dev,
						  const struct iox_fault *fault, void *data),
				  void *data)
{
	WRITE_ONCE(domain->fault_data, data);
	/* The data is visible before the handler that uses it. */
	smp_store_release(&domain->fault_handler, handler);
}
EXPORT_SYMBOL_GPL(iox_domain_set_fault_handler);

/**
 * iox_report_fault() - a backend reports a device's DMA fault
 * @dev: the device the faulting request came from
 * @fault: what faulted
 *
 * If @dev is attached to a domain, the fault is counted there and passed
 * to the domain's fault handler.  The domain is looked up and used under
 * RCU, and iox_domain_free() waits for a grace period: a fault racing with
 * detaching and freeing the domain is safe.  Process context only.
 *
 * Return: true if @dev was attached to a domain.
 */
bool iox_report_fault(struct device *dev, const struct iox_fault *fault)
{
	void (*handler)(struct iox_domain *domain, struct device *dev,
			const struct iox_fault *fault, void *data);
	struct iox_dev_data *data;
	struct iox_domain *domain = NULL;

	rcu_read_lock();
	data = iox_devices_find(dev);
	if (data)
		domain = READ_ONCE(data->domain);
	if (domain) {
		atomic64_inc(&domain->nr_faults);
		/* Pairs with the release in iox_domain_set_fault_handler(). */
		handler = smp_load_acquire(&domain->fault_handler);
		if (handler)
			handler(domain, dev, fault, READ_ONCE(domain->fault_data));
	}
	rcu_read_unlock();
	return domain;
}
EXPORT_SYMBOL_GPL(iox_report_fault);

/**
 * iox_domain_get_stats() - sum a domain's per-CPU counters
 * @domain: the domain
 * @stats: filled with the sums
 *
 * Counters of operations in flight on other CPUs may or may not be
 * included.
 */
void iox_domain_get_stats(struct iox_domain *domain, struct iox_domain_stats *stats)
{
	int cpu;

	memset(stats, 0, sizeof(*stats));
	for_each_possible_cpu(cpu) {
		const struct iox_domain_stats *s = per_cpu_ptr(domain->stats, cpu);

		stats->maps += READ_ONCE(s->maps);
		stats->unmaps += READ_ONCE(s->unmaps);
		stats->bytes_mapped += READ_ONCE(s->bytes_mapped);
		stats->bytes_unmapped += READ_ONCE(s->bytes_unmapped);
		stats->syncs += READ_ONCE(s->syncs);
		stats->flush_alls += READ_ONCE(s->flush_alls);
		stats->unmap_nomem += READ_ONCE(s->unmap_nomem);
		stats->sync_errors += READ_ONCE(s->sync_errors);
	}
}
EXPORT_SYMBOL_GPL(iox_domain_get_stats);

/**
 * iox_domain_pgtable_info() - read a domain's page-table accounting
 * @domain: the domain
 * @info: filled with the accounting
 *
 * The figures of the domain's debugfs "pgtable" file, for modules: the
 * table pages live, allocated and freed.  The page counters are exact at
 * any time; the others may be slightly stale while maps run.
 *
 * Return: 0, or -EOPNOTSUPP if the backend keeps no such accounting.
 */
int iox_domain_pgtable_info(struct iox_domain *domain, struct iox_pgtable_info *info)
{
	if (!domain->ops->pgtable_info)
		return -EOPNOTSUPP;
	memset(info, 0, sizeof(*info));
	domain->ops->pgtable_info(domain, info);
	return 0;
}
EXPORT_SYMBOL_GPL(iox_domain_pgtable_info);
