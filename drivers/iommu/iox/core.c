// SPDX-License-Identifier: GPL-2.0
/*
 * iox core: the registry of IOMMU units that backends discovered.
 */
#define pr_fmt(fmt) "iox: " fmt

#include <linux/debugfs.h>
#include <linux/iox.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/string.h>

#include "iox-internal.h"

/* Protects iox_units and the debugfs directories of the units on it. */
static DEFINE_MUTEX(iox_units_lock);
static LIST_HEAD(iox_units);

static struct iox_unit *iox_unit_find_locked(const char *name)
{
	struct iox_unit *unit;

	lockdep_assert_held(&iox_units_lock);
	list_for_each_entry(unit, &iox_units, list)
		if (!strcmp(unit->name, name))
			return unit;
	return NULL;
}

/* See iox_test_set_register_hook(). */
static struct iox_test_hook iox_test_register_hook;

/**
 * iox_test_set_register_hook() - run a function as each unit registers
 * @hook: called by iox_unit_register() before the unit is published, once
 *	its backend brought it up, with the backend's locks held; it may bind
 *	and unbind drivers; NULL to stop
 * @data: passed to @hook
 *
 * For tests of what a driver binding while a unit comes up finds.  Set it
 * while no unit registers.
 */
void iox_test_set_register_hook(void (*hook)(void *data), void *data)
{
	iox_test_hook_set(&iox_test_register_hook, hook, data);
}
EXPORT_SYMBOL_NS_GPL(iox_test_set_register_hook, IOX_TEST);

/**
 * iox_unit_register() - make a discovered IOMMU unit known to the core
 * @unit: the unit, with name, ops, page-size bitmap and address width set
 *
 * The unit gets a debugfs directory /sys/kernel/debug/iox/<name>/.  A unit
 * that translates is also registered with the kernel's IOMMU API, for VFIO
 * (iommu_api.c); a failure there is logged and does not fail this call.
 *
 * Return: 0 on success, -EINVAL for an unnamed unit, a unit without ops,
 * page sizes or input address width (@ias), -EEXIST if a unit of that name
 * is registered.
 */
int iox_unit_register(struct iox_unit *unit)
{
	if (!unit->name[0] || !unit->ops || !unit->pgsize_bitmap || !unit->ias)
		return -EINVAL;
	iox_test_hook_run(&iox_test_register_hook);

	mutex_lock(&iox_units_lock);
	if (iox_unit_find_locked(unit->name)) {
		mutex_unlock(&iox_units_lock);
		pr_err("unit %s is already registered\n", unit->name);
		return -EEXIST;
	}
	list_add_tail(&unit->list, &iox_units);
	iox_debugfs_add_unit(unit);
	mutex_unlock(&iox_units_lock);

	pr_info("%s: registered, %u-bit IOVA, page sizes %#lx\n", unit->name,
		unit->ias, unit->pgsize_bitmap);
	/* Outside the unit lock: registration probes devices, which look units up. */
	iox_iommu_add_unit(unit);
	return 0;
}
EXPORT_SYMBOL_GPL(iox_unit_register);

/**
 * iox_unit_unregister() - remove a unit registered with iox_unit_register()
 * @unit: the unit
 *
 * Unregisters the unit from the IOMMU API (its devices leave their IOMMU
 * groups) and removes its debugfs directory; after this returns the core no
 * longer references @unit.  Backends call it when they unload, when no
 * unit reference can be held any more.
 */
void iox_unit_unregister(struct iox_unit *unit)
{
	iox_iommu_remove_unit(unit);
	mutex_lock(&iox_units_lock);
	iox_debugfs_remove_unit(unit);
	list_del(&unit->list);
	mutex_unlock(&iox_units_lock);
}
EXPORT_SYMBOL_GPL(iox_unit_unregister);

/**
 * iox_units_remove() - unregister and remove every unit of a backend
 * @ops: the backend's unit operations: the units registered with them go
 * @remove: called for each unit once it is unregistered, the last
 *	registered first: turns the hardware off and frees the unit
 *
 * The one teardown of every backend, at module unload and when loading
 * fails half way.
 */
void iox_units_remove(const struct iox_unit_ops *ops, void (*remove)(struct iox_unit *unit))
{
	struct iox_unit *unit, *found;

	for (;;) {
		found = NULL;
		mutex_lock(&iox_units_lock);
		list_for_each_entry_reverse(unit, &iox_units, list) {
			if (unit->ops == ops) {
				found = unit;
				break;
			}
		}
		mutex_unlock(&iox_units_lock);
		if (!found)
			return;
		iox_unit_unregister(found);
		remove(found);
	}
}
EXPORT_SYMBOL_GPL(iox_units_remove);

/**
 * iox_probe_finish() - conclude a backend's discovery at module load
 * @probe: what the walk of the firmware table found
 * @ret: what the walk returned
 * @ops: the backend's unit operations
 * @remove: as for iox_units_remove()
 *
 * The one ending of every backend's module init: a failed walk removes
 * the units brought up so far; a walk that found none usable says why.
 *
 * Return: 0 when at least one unit was brought up; the walk's errno;
 * -ENODEV without the table or any usable unit; -EBUSY when no unit is
 * usable and at least one found belongs to another driver.
 */
int iox_probe_finish(const struct iox_probe *probe, int ret, const struct iox_unit_ops *ops,
		     void (*remove)(struct iox_unit *unit))
{
	if (ret == -ENODEV) {
		pr_info("no %s table, no %s hardware\n", probe->table, probe->hw);
		return ret;
	}
	if (ret) {
		iox_units_remove(ops, remove);
		return ret;
	}
	if (!probe->nr_units) {
		pr_warn("no usable %s unit (%u in use by another driver, %u unusable)\n",
			probe->hw, probe->nr_owned, probe->nr_bad);
		return probe->nr_owned ? -EBUSY : -ENODEV;
	}
	return 0;
}
EXPORT_SYMBOL_GPL(iox_probe_finish);

/**
 * iox_backend_probe() - bring up every unit of a backend
 * @backend: the backend
 *
 * Walks the backend's firmware table, which brings up and registers each
 * usable unit, and concludes as iox_probe_finish() does: on failure no
 * unit of the backend is left registered or enabled.  Once the units are
 * registered, every device they serve that is in no domain gets its state
 * again (iox_isolate_settle()): a driver may have bound or gone while the
 * units came up.  Called at module load, and by tests that fail the
 * bring-up's allocations in turn.
 *
 * Return: as iox_probe_finish().
 */
int iox_backend_probe(const struct iox_backend *backend)
{
	struct iox_probe probe = { .hw = backend->hw, .table = backend->table };
	int ret;

	ret = iox_probe_finish(&probe, backend->walk(&probe), backend->ops, backend->remove);
	if (!ret)
		iox_isolate_settle(backend->ops);
	return ret;
}
EXPORT_SYMBOL_GPL(iox_backend_probe);

/**
 * iox_backend_remove() - unregister, turn off and free every unit of a backend
 * @backend: the backend
 *
 * At module unload, when no domain of the backend's units is left.
 */
void iox_backend_remove(const struct iox_backend *backend)
{
	iox_units_remove(backend->ops, backend->remove);
}
EXPORT_SYMBOL_GPL(iox_backend_remove);

/**
 * iox_unit_get() - take a reference on a unit
 * @unit: a registered unit, or one the caller holds a reference on
 *
 * The reference pins the backend module that owns the unit (its ops'
 * owner), and with it the unit: backends free units only when they
 * unload.  Drop it with iox_unit_put().
 *
 * Return: true, or false (no reference taken) if the backend is unloading.
 */
bool iox_unit_get(struct iox_unit *unit)
{
	return try_module_get(unit->ops->owner);
}
EXPORT_SYMBOL_GPL(iox_unit_get);

/**
 * iox_unit_put() - drop a reference taken on a unit
 * @unit: the unit; the caller must not use it afterwards
 */
void iox_unit_put(struct iox_unit *unit)
{
	module_put(unit->ops->owner);
}
EXPORT_SYMBOL_GPL(iox_unit_put);

/* A reference on @unit, found under the unit lock; NULL for none. */
static struct iox_unit *iox_unit_get_locked(struct iox_unit *unit)
{
	lockdep_assert_held(&iox_units_lock);
	return unit && iox_unit_get(unit) ? unit : NULL;
}

/**
 * iox_unit_find() - look a registered unit up by name
 * @name: the unit's name
 *
 * Return: the unit with a reference the caller drops with iox_unit_put(),
 * or NULL if no unit of that name is registered (or its backend is
 * unloading).
 */
struct iox_unit *iox_unit_find(const char *name)
{
	struct iox_unit *unit;

	mutex_lock(&iox_units_lock);
	unit = iox_unit_get_locked(iox_unit_find_locked(name));
	mutex_unlock(&iox_units_lock);
	return unit;
}
EXPORT_SYMBOL_GPL(iox_unit_find);

/**
 * iox_unit_for_device() - the unit a device's DMA goes through
 * @dev: the device
 *
 * Asks each unit's backend whether its device scope covers @dev.  This
 * walks the units: use it to set a device up, not on the DMA path.
 *
 * Return: the unit with a reference the caller drops with iox_unit_put(),
 * or NULL if no registered unit serves @dev (or its backend is unloading).
 */
struct iox_unit *iox_unit_for_device(struct device *dev)
{
	struct iox_unit *unit, *found = NULL;

	mutex_lock(&iox_units_lock);
	list_for_each_entry(unit, &iox_units, list) {
		if (unit->ops->serves && unit->ops->serves(unit, dev)) {
			found = unit;
			break;
		}
	}
	found = iox_unit_get_locked(found);
	mutex_unlock(&iox_units_lock);
	return found;
}
EXPORT_SYMBOL_GPL(iox_unit_for_device);

/**
 * iox_pci_own_requester_id() - whether a device's DMA carries its own id only
 * @pdev: the device
 *
 * Requests crossing a conventional PCI bridge carry the bridge's requester
 * id, and those crossing a PCIe-to-PCI bridge the id of its secondary bus:
 * ids that every device behind the bridge shares.  Some devices use extra
 * ids (PCI quirks fill dma_alias_mask).  An IOMMU entry (VT-d context entry,
 * AMD-Vi device table entry) for @pdev's id alone would leave such a
 * device's DMA to whatever the shared entry says, so backends refuse to
 * attach it.
 *
 * Return: true if the IOMMU sees @pdev's DMA under pci_dev_id(@pdev) only.
 */
bool iox_pci_own_requester_id(struct pci_dev *pdev)
{
	struct pci_dev *up;

	if (pdev->dma_alias_mask)
		return false;
	for (up = pci_upstream_bridge(pdev); up; up = pci_upstream_bridge(up))
		if (!pci_is_pcie(up) || pci_pcie_type(up) == PCI_EXP_TYPE_PCI_BRIDGE)
			return false;
	return true;
}
EXPORT_SYMBOL_GPL(iox_pci_own_requester_id);

/**
 * iox_pci_walk_dma_aliases() - visit every requester id of a device's DMA
 * @pdev: the device
 * @walk: the visitor, embedded in the caller's state
 *
 * The ids are the device's own, those PCI quirks add (dma_alias_mask, on
 * the device's bus), and for each bridge above it the id its requests take
 * on there: a PCIe-to-PCI bridge's secondary bus with devfn 0, a
 * conventional PCI bridge's own id (see iox_pci_own_requester_id()).  The
 * kernel's pci_for_each_dma_alias() is not exported to modules.
 *
 * Return: 0, or the first non-zero return of @walk's callback.
 */
int iox_pci_walk_dma_aliases(struct pci_dev *pdev, struct iox_dma_alias_walk *walk)
{
	struct pci_dev *up;
	unsigned int devfn;
	int ret;

	ret = walk->alias(walk, pci_dev_id(pdev));
	if (ret || !pdev->dma_alias_mask)
		goto bridges;
	for_each_set_bit(devfn, pdev->dma_alias_mask, U8_MAX + 1) {
		ret = walk->alias(walk, PCI_DEVID(pdev->bus->number, devfn));
		if (ret)
			return ret;
	}
bridges:
	for (up = pci_upstream_bridge(pdev); up && !ret; up = pci_upstream_bridge(up)) {
		if (!pci_is_pcie(up))
			ret = walk->alias(walk, pci_dev_id(up));
		else if (pci_pcie_type(up) == PCI_EXP_TYPE_PCI_BRIDGE && up->subordinate)
			ret = walk->alias(walk, PCI_DEVID(up->subordinate->number, 0));
	}
	return ret;
}
EXPORT_SYMBOL_GPL(iox_pci_walk_dma_aliases);

/**
 * iox_release_pci_dev() - the device a unit's release_dev writes an entry for
 * @dev: the device release_dev was called for
 * @ret: set to what release_dev returns when there is no entry to write
 *
 * A device whose DMA carries a shared requester id
 * (iox_pci_own_requester_id()) cannot be blocked alone: its entry is left
 * in pass-through, which is an error only if blocking was asked.
 *
 * Return: the PCI device whose own entry the backend is to write, or NULL
 * with *@ret set: -ENODEV for a device that is not PCI; -EOPNOTSUPP or 0
 * for one under a shared requester id that is or is not to be blocked.
 */
struct pci_dev *iox_release_pci_dev(struct device *dev, int *ret)
{
	struct pci_dev *pdev;

	*ret = -ENODEV;
	if (!dev_is_pci(dev))
		return NULL;
	pdev = to_pci_dev(dev);
	if (iox_pci_own_requester_id(pdev))
		return pdev;
	*ret = iox_device_blocked(dev) ? -EOPNOTSUPP : 0;
	return NULL;
}
EXPORT_SYMBOL_GPL(iox_release_pci_dev);

/**
 * iox_walk_units() - call a function for each registered unit
 * @fn: called with each unit, in registration order, and @data; it may
 *	sleep, but must not register or unregister units or look units up
 *	(the core's unit lock is held); the unit is valid during the call,
 *	beyond it only with iox_unit_get().  A non-zero return stops the walk.
 * @data: passed to @fn
 *
 * Return: 0 after all units, or the non-zero value @fn stopped with.
 */
int iox_walk_units(int (*fn)(struct iox_unit *unit, void *data), void *data)
{
	struct iox_unit *unit;
	int ret = 0;

	mutex_lock(&iox_units_lock);
	list_for_each_entry(unit, &iox_units, list) {
		ret = fn(unit, data);
		if (ret)
			break;
	}
	mutex_unlock(&iox_units_lock);
	return ret;
}
EXPORT_SYMBOL_GPL(iox_walk_units);

static int __init iox_init(void)
{
	iox_debugfs_init();
	iox_isolate_init();
	iox_dma_init();
	iox_iommu_init();
	return 0;
}

static void __exit iox_exit(void)
{
	iox_iommu_exit();
	iox_dma_exit();
	iox_isolate_exit();
	iox_debugfs_exit();
}

/* Backends register from rootfs_initcall: be there first when built in. */
subsys_initcall(iox_init);
module_exit(iox_exit);

MODULE_DESCRIPTION("iox IOMMU subsystem core");
MODULE_LICENSE("GPL");
