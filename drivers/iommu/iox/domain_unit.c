// SPDX-License-Identifier: GPL-2.0
/*
 * iox domains: the set of units a domain is on, which is the set of units
 * an IOTLB sync of the domain invalidates.  Every backend keeps it here.
 *
 * A unit joins the set, with the domain id it tags the domain's
 * translations with, before the first of its device entries points at the
 * domain's page table, and leaves only once no entry of it does and the
 * backend flushed what it cached under that id.  The set is an RCU list:
 * attach and detach change it under the domain's lock, the IOTLB paths
 * (unmap, map on units caching not-present entries, flushes of the lazy
 * queue) walk it in any context without a lock.
 *
 * Ordering: a sync must not miss a unit that may already cache the old
 * translation.  The sync's walk starts with a full barrier after the
 * page-table change it invalidates for; a join ends with a full barrier
 * before the backend writes the device entry.  So either the walk sees
 * the unit, or the unit's entry went live after the change and the unit
 * cannot have cached what the change removed.
 */
#include <linux/idr.h>
#include <linux/iox.h>
#include <linux/lockdep.h>
#include <linux/rculist.h>
#include <linux/slab.h>

#include "iox-internal.h"

/* See iox_test_set_attach_hook(). */
static struct iox_test_hook iox_test_attach_hook;

/**
 * iox_test_set_attach_hook() - run a function in the middle of each attach
 * @hook: called by iox_domain_unit_attached(), once a device's entry points
 *	at the domain's table and before the attach returns, with the
 *	domain's lock held; NULL to stop
 * @data: passed to @hook
 *
 * For tests of what a sync racing with an attach sees.  Set it while no
 * attach runs.
 */
void iox_test_set_attach_hook(void (*hook)(void *data), void *data)
{
	iox_test_hook_set(&iox_test_attach_hook, hook, data);
}
EXPORT_SYMBOL_NS_GPL(iox_test_set_attach_hook, IOX_TEST);

/**
 * iox_domain_unit_find() - a domain's entry for a unit
 * @domain: the domain; its lock held
 * @unit: the unit
 *
 * Return: the entry, or NULL if @domain is not on @unit.
 */
struct iox_domain_unit *iox_domain_unit_find(struct iox_domain *domain, struct iox_unit *unit)
{
	struct iox_domain_unit *du;

	lockdep_assert_held(&domain->lock);
	list_for_each_entry(du, &domain->units, link)
		if (du->unit == unit)
			return du;
	return NULL;
}
EXPORT_SYMBOL_GPL(iox_domain_unit_find);

/**
 * iox_domain_unit_join() - put a unit in a domain's set, before an attach
 * @domain: the domain; its lock held
 * @unit: the unit a device being attached is behind
 * @ids: the unit's allocator of domain ids
 * @min_id: lowest id the unit may use for a domain
 * @max_id: highest
 *
 * Call it before any entry of @unit points at @domain's page table.  If
 * @domain is on @unit already, its entry is returned; else a new entry
 * with an id from @ids is put in the set, and from the return on every
 * sync of @domain invalidates @unit.  Each successful join must be followed
 * by iox_domain_unit_attached() once the device's entry is live, or by
 * iox_domain_unit_release() if the attach failed with no entry pointing at
 * the table.
 *
 * Return: the entry, or an ERR_PTR(): -ENOMEM, -ENOSPC when @unit has no id
 * left in [@min_id, @max_id].  On failure nothing changed.
 */
struct iox_domain_unit *iox_domain_unit_join(struct iox_domain *domain, struct iox_unit *unit,
					     struct ida *ids, unsigned int min_id,
					     unsigned int max_id)
{
	struct iox_domain_unit *du = iox_domain_unit_find(domain, unit);
	int id;

	if (du)
		return du;
	du = iox_should_fail_alloc() ? NULL : kzalloc(sizeof(*du), GFP_KERNEL);
	if (!du)
		return ERR_PTR(-ENOMEM);
	id = iox_should_fail_alloc() ? -ENOMEM :
	     ida_alloc_range(ids, min_id, max_id, GFP_KERNEL);
	if (id < 0) {
		kfree(du);
		return ERR_PTR(id);
	}
	du->unit = unit;
	du->ids = ids;
	du->id = id;
	/* Maps make their entries visible to this unit from now on. */
	if (unit->sync_map)
		WRITE_ONCE(domain->sync_map, true);
	list_add_tail_rcu(&du->link, &domain->units);
	/* In the set before any device entry names the table. */
	smp_mb();	/* pairs with iox_domain_units_lock(), iox_map_commit() */
	return du;
}
EXPORT_SYMBOL_GPL(iox_domain_unit_join);

/**
 * iox_domain_unit_attached() - a device's entry now points at the domain
 * @du: the entry iox_domain_unit_join() returned for the device's unit
 *
 * Counts the device; called with the domain's lock held, once the
 * hardware may walk the domain's table for the device.
 */
void iox_domain_unit_attached(struct iox_domain_unit *du)
{
	du->devices++;
	iox_test_hook_run(&iox_test_attach_hook);
}
EXPORT_SYMBOL_GPL(iox_domain_unit_attached);

/**
 * iox_domain_unit_release() - take a unit no device uses out of the set
 * @du: the entry; the domain's lock held
 *
 * Does nothing while devices behind the unit are attached.  Otherwise the
 * unit no longer reaches the domain's tables: syncs stop invalidating it,
 * its id is freed (a sync still walking the set may invalidate the id
 * once more, which is harmless) and the entry after a grace period.  The
 * backend flushes what the unit cached under the id before: the id may
 * tag another domain's translations next.
 */
void iox_domain_unit_release(struct iox_domain_unit *du)
{
	if (du->devices)
		return;
	list_del_rcu(&du->link);
	ida_free(du->ids, du->id);
	kfree_rcu(du, rcu);
}
EXPORT_SYMBOL_GPL(iox_domain_unit_release);

/**
 * iox_domain_unit_detached() - a device's entry no longer points at the domain
 * @du: the entry of the device's unit; the domain's lock held
 *
 * Uncounts the device, and releases the entry (iox_domain_unit_release())
 * if it was the unit's last.
 */
void iox_domain_unit_detached(struct iox_domain_unit *du)
{
	if (!WARN_ON(!du->devices))
		du->devices--;
	iox_domain_unit_release(du);
}
EXPORT_SYMBOL_GPL(iox_domain_unit_detached);

/* The domain is being freed: no device is attached, so no unit is left. */
void iox_domain_units_destroy(struct iox_domain *domain)
{
	struct iox_domain_unit *du, *next;

	list_for_each_entry_safe(du, next, &domain->units, link) {
		WARN(1, "iox: domain %d freed while on %s\n", domain->id, du->unit->name);
		du->devices = 0;
		iox_domain_unit_release(du);
	}
}
