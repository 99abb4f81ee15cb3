// SPDX-License-Identifier: GPL-2.0
/*
 * iox isolation: what the DMA of a device behind an iox unit reaches while
 * the device is attached to no domain.
 *
 * Isolation is the point of an IOMMU.  A PCI device that no driver using
 * the DMA API drives is blocked: its unit refuses its DMA (VT-d: context
 * entry not present; AMD-Vi: device table entry valid, without read or
 * write permission), as a device in the kernel's blocking domain, or in
 * a DMA domain that maps nothing, is.  That is:
 *
 * - a device without a driver: present when its unit comes up, hot-added
 *   later, or left by its driver (unbound, or its probe failed);
 * - a device whose driver manages DMA itself (driver_managed_dma, such as
 *   vfio-pci), until that driver attaches a domain of its own (VFIO does,
 *   through the IOMMU-API bridge, and gets the device back blocked when it
 *   lets the domain go).
 *
 * A device whose driver uses the DMA API and that is in no domain passes
 * its DMA through untranslated: the driver was bound before the unit came
 * up and keeps the DMA it set up until it unbinds, or it bound later and
 * iox gave it no DMA domain (iox.dma_attach=0, an identity default domain
 * of the IOMMU API, or an attach that failed).  Bridges, and devices whose
 * DMA carries a requester id other devices share (iox_pci_own_requester_id()),
 * are never blocked by this policy: the entry of that id serves every
 * device behind the bridge.  Devices that are not PCI follow explicit
 * choices only.
 *
 * iox_device_set_blocked() overrides the policy for one device, for tests
 * and for callers that need a driverless device's DMA untranslated (or
 * blocked in spite of its driver).  The choice lasts until the device's
 * driver binds or unbinds, iox_device_reset_blocked(), or the device goes
 * away.
 *
 * Backends ask iox_device_blocked() when they bring a unit up, when a
 * device is added, and when one leaves its domain (the detach goes
 * straight to the state, in one step).  A bus notifier applies the policy
 * whenever it changes: a device is added, a driver binds (after the DMA
 * layer or the IOMMU-API bridge attached the device to a DMA domain, if
 * they did), a driver is gone (before they detach it, so that it goes
 * from its domain to the blocked state directly).  The state is computed,
 * not stored: nothing is allocated for a blocked device, and a backend
 * loaded again blocks the same devices.
 */
#define pr_fmt(fmt) "iox: " fmt

#include <linux/device.h>
#include <linux/iox.h>
#include <linux/pci.h>
#include <linux/rcupdate.h>
#include <linux/seq_file.h>
#include <linux/xarray.h>

#include "iox-internal.h"

#define IOX_CHOICE_PASS		xa_mk_value(0)
#define IOX_CHOICE_BLOCK	xa_mk_value(1)

/*
 * struct device * -> IOX_CHOICE_PASS or IOX_CHOICE_BLOCK, for the devices
 * whose state iox_device_set_blocked() chose (the xarray's lock serialises
 * the writers); callers serialise a device's choice with attaching and
 * detaching it.
 */
static DEFINE_XARRAY(iox_choices);

/*
 * Devices whose driver's probe failed, while iox_probe_failed_call() runs
 * for them.  The driver core announces the failure (DRIVER_NOT_BOUND)
 * before it clears dev->driver, so the driver looks bound until then; the
 * device is left without a driver all the same, and is to be blocked.  The
 * entries live on the stack of the callers.
 */
static LIST_HEAD(iox_probe_failed_list);
static DEFINE_SPINLOCK(iox_probe_failed_lock);	/* protects iox_probe_failed_list */

struct iox_probe_failed {
	struct list_head link;
	struct device *dev;
};

/* Whether @dev is on iox_probe_failed_list. */
static bool iox_probe_failed(struct device *dev)
{
	struct iox_probe_failed *pf;
	unsigned long flags;
	bool found = false;

	spin_lock_irqsave(&iox_probe_failed_lock, flags);
	list_for_each_entry(pf, &iox_probe_failed_list, link)
		found |= pf->dev == dev;
	spin_unlock_irqrestore(&iox_probe_failed_lock, flags);
	return found;
}

/**
 * iox_probe_failed_call() - handle a failed probe, the driver counted as gone
 * @dev: the device whose driver's probe failed (BUS_NOTIFY_DRIVER_NOT_BOUND)
 * @fn: what to do for it: called with @dev
 *
 * While @fn runs, iox_dma_driver_uses_api() sees no driver on @dev, so that
 * a detach or a state applied for @dev blocks it (as after an unbind) rather
 * than passing its DMA through for a driver that is on its way out.
 */
void iox_probe_failed_call(struct device *dev, void (*fn)(struct device *dev))
{
	struct iox_probe_failed pf = { .dev = dev };
	unsigned long flags;

	spin_lock_irqsave(&iox_probe_failed_lock, flags);
	list_add(&pf.link, &iox_probe_failed_list);
	spin_unlock_irqrestore(&iox_probe_failed_lock, flags);
	fn(dev);
	spin_lock_irqsave(&iox_probe_failed_lock, flags);
	list_del(&pf.link);
	spin_unlock_irqrestore(&iox_probe_failed_lock, flags);
}

/**
 * iox_dma_driver_uses_api() - whether a device's driver maps DMA through the DMA API
 * @dev: the device
 *
 * Return: false for a PCI device with no driver, a driver whose probe
 * failed (see iox_probe_failed_call()) or a driver that manages DMA itself
 * (driver_managed_dma: vfio-pci); true otherwise.
 */
bool iox_dma_driver_uses_api(struct device *dev)
{
	return !dev_is_pci(dev) ||
	       (dev->driver && !to_pci_driver(dev->driver)->driver_managed_dma &&
		!iox_probe_failed(dev));
}

/* Whether the policy blocks @dev while it is in no domain (see above). */
static bool iox_policy_blocks(struct device *dev)
{
	struct pci_dev *pdev;

	if (!dev_is_pci(dev))
		return false;
	pdev = to_pci_dev(dev);
	if (pci_is_bridge(pdev) || !iox_pci_own_requester_id(pdev))
		return false;
	return !iox_dma_driver_uses_api(dev);
}

/**
 * iox_device_blocked() - whether a device reaches nothing while in no domain
 * @dev: the device
 *
 * Backends ask this when a device leaves its domain, when one is added and
 * at bring-up.  The caller serialises it with binding @dev's driver (or
 * accepts the state before or after).
 *
 * Return: the choice of iox_device_set_blocked() for @dev if there is one,
 * else true for a PCI device that no driver using the DMA API drives
 * (bridges and devices with a shared requester id excepted).
 */
bool iox_device_blocked(struct device *dev)
{
	void *choice = xa_load(&iox_choices, (unsigned long)dev);

	if (choice)
		return choice == IOX_CHOICE_BLOCK;
	return iox_policy_blocks(dev);
}
EXPORT_SYMBOL_GPL(iox_device_blocked);

/*
 * Give @dev, if it is in no domain, the state iox_device_blocked() says.
 * Return: 0, or the backend's error (-EOPNOTSUPP: it cannot block @dev).
 */
static int iox_device_apply(struct device *dev)
{
	struct iox_unit *unit;
	int ret;

	if (iox_device_domain(dev))
		return 0;	/* applied when it is detached */
	unit = iox_unit_for_device(dev);
	if (!unit)
		return 0;	/* applied when a unit comes */
	ret = unit->ops->release_dev ? unit->ops->release_dev(unit, dev) : -EOPNOTSUPP;
	iox_unit_put(unit);
	return ret;
}

/* iox_device_apply(), errors logged; a unit that cannot block is no error. */
static void iox_device_apply_logged(struct device *dev)
{
	int ret = iox_device_apply(dev);

	if (ret && ret != -EOPNOTSUPP)
		dev_warn(dev, "iox: DMA not %s (%d)\n",
			 iox_device_blocked(dev) ? "blocked" : "passed through", ret);
}

/**
 * iox_isolate_settle() - apply the state to the devices of units just brought up
 * @ops: the unit operations of the backend whose units were registered
 *
 * A unit's bring-up writes each device's entry from iox_device_blocked()
 * before the unit is registered, and the bus notifiers find no unit for a
 * device whose driver binds or goes in between: a driver that bound then
 * would find its device blocked (its DMA faults), a device its driver left
 * would stay passed through.  So once the units are registered, each PCI
 * device one of them serves gets its state again, under the device lock,
 * which orders this with every bind and unbind: those before it are seen
 * here, those after it find the unit.  Devices in a domain are left alone;
 * as for iox_device_set_blocked(), an attach that does not hold the device
 * lock (VFIO's, through the IOMMU API) must not race with this, that is
 * with the backend's load.  Entries that already hold that state do not
 * change (the backends rewrite an entry with its own value without a
 * moment not present).
 */
void iox_isolate_settle(const struct iox_unit_ops *ops)
{
	struct pci_dev *pdev = NULL;

	for_each_pci_dev(pdev) {
		struct device *dev = &pdev->dev;
		struct iox_unit *unit = iox_unit_for_device(dev);
		bool ours = unit && unit->ops == ops;

		if (unit)
			iox_unit_put(unit);
		if (!ours)
			continue;
		device_lock(dev);
		iox_device_apply_logged(dev);
		device_unlock(dev);
	}
}

/*
 * Make @choice (NULL: none) @dev's, and apply it if the state changes.
 * Return: as iox_device_set_blocked(); on failure the old choice stays.
 */
static int iox_device_choose(struct device *dev, void *choice)
{
	unsigned long index = (unsigned long)dev;
	void *old = xa_load(&iox_choices, index);
	bool was = iox_device_blocked(dev), now;
	int ret = 0;

	if (old == choice)
		return 0;
	if (choice)
		ret = iox_should_fail_alloc() ? -ENOMEM :
		      xa_err(xa_store(&iox_choices, index, choice, GFP_KERNEL));
	else
		xa_erase(&iox_choices, index);
	if (ret)
		return ret;
	now = iox_device_blocked(dev);
	if (was == now)
		return 0;
	ret = iox_device_apply(dev);
	if (ret) {
		/*
		 * Restoring a choice a reset erased may allocate; should that
		 * fail, the policy decides (what the reset asked for).
		 */
		if (old)
			xa_store(&iox_choices, index, old, GFP_KERNEL);
		else
			xa_erase(&iox_choices, index);
		dev_err(dev, "iox: cannot %s its DMA (%d)\n", now ? "block" : "unblock", ret);
	}
	return ret;
}

/**
 * iox_device_set_blocked() - choose what a device reaches while in no domain
 * @dev: the device
 * @blocked: true: nothing, its DMA faults (a blocking domain, in the
 *	kernel's terms); false: untranslated memory (pass-through)
 *
 * Overrides iox's policy (see iox_device_blocked()) for @dev until its
 * driver binds or unbinds, iox_device_reset_blocked(), or @dev goes away.
 * The choice takes effect at once if @dev is attached to no domain, else
 * when it is detached (the backend goes straight from the domain to the
 * chosen state), and outlives @dev's unit: a unit brought up later applies
 * it too.  The caller serialises this with attaching and detaching @dev.
 *
 * Return: 0; -EOPNOTSUPP if @dev's unit cannot block a device; -ENOMEM;
 * or the backend's error applying the state.  On failure the choice is
 * unchanged.
 */
int iox_device_set_blocked(struct device *dev, bool blocked)
{
	return iox_device_choose(dev, blocked ? IOX_CHOICE_BLOCK : IOX_CHOICE_PASS);
}
EXPORT_SYMBOL_GPL(iox_device_set_blocked);

/**
 * iox_device_reset_blocked() - let iox's policy decide again for a device
 * @dev: the device
 *
 * Forgets what iox_device_set_blocked() chose for @dev and applies what
 * the policy says (iox_device_blocked()), as iox_device_set_blocked()
 * applies a choice.
 *
 * Return: as iox_device_set_blocked().
 */
int iox_device_reset_blocked(struct device *dev)
{
	return iox_device_choose(dev, NULL);
}
EXPORT_SYMBOL_GPL(iox_device_reset_blocked);

/**
 * iox_isolate_show() - the state of every PCI device a unit serves
 * @unit: the unit
 * @m: the seq_file of the unit's debugfs "devices" file
 *
 * One line per device: its name, then "domain <id>", "blocked" or
 * "pass-through".
 */
void iox_isolate_show(struct iox_unit *unit, struct seq_file *m)
{
	struct pci_dev *pdev = NULL;

	for_each_pci_dev(pdev) {
		struct device *dev = &pdev->dev;
		struct iox_domain *domain;
		int id = -1;

		if (!unit->ops->serves || !unit->ops->serves(unit, dev))
			continue;
		/*
		 * Nothing keeps the device attached here: iox_domain_free()
		 * waits for RCU readers, so read the domain's id in one.
		 */
		rcu_read_lock();
		domain = iox_device_domain(dev);
		if (domain)
			id = domain->id;
		rcu_read_unlock();
		seq_printf(m, "%s ", pci_name(pdev));
		if (id >= 0)
			seq_printf(m, "domain %d\n", id);
		else
			seq_puts(m, iox_device_blocked(dev) ? "blocked\n" : "pass-through\n");
	}
}

#ifdef CONFIG_PCI
/* The policy decides for @dev from now on, applied now; errors are logged. */
static void iox_device_follow_policy(struct device *dev)
{
	xa_erase(&iox_choices, (unsigned long)dev);
	iox_device_apply_logged(dev);
}

/*
 * Before the DMA layer and the IOMMU-API bridge: a device added gets its
 * state; a device whose driver is gone drops the choice made for it, so
 * that leaving its DMA domain blocks it at once.
 */
static int iox_isolate_early_notify(struct notifier_block *nb, unsigned long action,
				    void *data)
{
	struct device *dev = data;

	switch (action) {
	case BUS_NOTIFY_ADD_DEVICE:
	case BUS_NOTIFY_UNBOUND_DRIVER:		/* the driver is gone */
		iox_device_follow_policy(dev);
		break;
	case BUS_NOTIFY_DRIVER_NOT_BOUND:	/* its probe failed */
		iox_probe_failed_call(dev, iox_device_follow_policy);
		break;
	case BUS_NOTIFY_REMOVED_DEVICE:
		xa_erase(&iox_choices, (unsigned long)dev);
		break;
	}
	return NOTIFY_DONE;
}

/*
 * After them: a driver that binds finds its device attached to a DMA
 * domain, or else passed through (it uses the DMA API) or blocked (it
 * manages DMA itself).
 */
static int iox_isolate_late_notify(struct notifier_block *nb, unsigned long action,
				   void *data)
{
	if (action == BUS_NOTIFY_BIND_DRIVER)	/* before the driver probes */
		iox_device_follow_policy(data);
	return NOTIFY_DONE;
}

static struct notifier_block iox_isolate_early_nb = {
	.notifier_call = iox_isolate_early_notify,
	.priority = 1,
};

static struct notifier_block iox_isolate_late_nb = {
	.notifier_call = iox_isolate_late_notify,
	.priority = -1,
};

/* At iox load: watch PCI devices come and go and drivers bind. */
void iox_isolate_init(void)
{
	if (bus_register_notifier(&pci_bus_type, &iox_isolate_early_nb))
		pr_warn("no bus notifier: devices added or unbound keep their state\n");
	if (bus_register_notifier(&pci_bus_type, &iox_isolate_late_nb))
		pr_warn("no bus notifier: devices whose driver binds keep their state\n");
}

static void iox_isolate_unwatch(void)
{
	bus_unregister_notifier(&pci_bus_type, &iox_isolate_late_nb);
	bus_unregister_notifier(&pci_bus_type, &iox_isolate_early_nb);
}
#else
void iox_isolate_init(void)
{
}

static void iox_isolate_unwatch(void)
{
}
#endif

/* At iox unload, when no unit is left: nothing of any choice stays. */
void iox_isolate_exit(void)
{
	iox_isolate_unwatch();
	xa_destroy(&iox_choices);
}
