/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A driver that uses the DMA API binds to edu while edu's unit comes up:
 * after the bring-up wrote edu's entry (blocked: edu had no driver) and
 * before the unit is registered (iox_test_set_register_hook()), where the
 * bus notifiers find no unit to give edu a DMA domain or its state.  Once
 * the backend's units are up, edu's entry must follow its driver:
 * pass-through, as for any driver bound before its unit came up, not
 * blocked (its DMA would fault).  Then the other way: a driver bound when
 * the bring-up wrote edu's entry (pass-through) goes in that window; edu,
 * driverless, must end blocked.  Each bring-up ends with edu unbound, as
 * the unit was.  Nothing may hold a domain or a reference of the
 * backend's units meanwhile.
 *
 * The includer defines EDU_VENDOR and EDU_DEVICE.
 */
#ifndef _IOX_TESTS_BIND_BRINGUP_H
#define _IOX_TESTS_BIND_BRINGUP_H

#include <kunit/test.h>
#include <linux/iox.h>
#include <linux/pci.h>

/**
 * struct bind_bringup - a backend whose bring-up a driver's bind races with
 * @backend: the backend
 * @unit: the name of the unit edu is behind
 * @entry: the domain id edu's entry on a unit of @backend names in the
 *	table; -ENOENT if it blocks edu, -EOPNOTSUPP if it passes edu through
 */
struct bind_bringup {
	const struct iox_backend *backend;
	const char *unit;
	int (*entry)(struct iox_unit *unit, struct pci_dev *edu);
};

static int bind_bringup_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	return 0;
}

static void bind_bringup_remove(struct pci_dev *pdev)
{
}

static const struct pci_device_id bind_bringup_ids[] = {
	{ PCI_DEVICE(EDU_VENDOR, EDU_DEVICE) },
	{ }
};

/* A driver of edu that uses the DMA API (it maps nothing). */
static struct pci_driver bind_bringup_driver = {
	.name = "iox-bind-bringup-test",
	.id_table = bind_bringup_ids,
	.probe = bind_bringup_probe,
	.remove = bind_bringup_remove,
};

/* The register hook: edu's driver binds; its result in *@data. */
static void bind_bringup_bind(void *data)
{
	*(int *)data = pci_register_driver(&bind_bringup_driver);
}

/* @b's units brought up again, @hook run as each registers; 0 or an errno. */
static int bind_bringup_reprobe(const struct bind_bringup *b, void (*hook)(void *data),
				void *data)
{
	int ret;

	iox_backend_remove(b->backend);
	iox_test_set_register_hook(hook, data);
	ret = iox_backend_probe(b->backend);
	iox_test_set_register_hook(NULL, NULL);
	return ret;
}

/* What edu's entry on @b's unit names (see @entry), or -ENODEV. */
static int bind_bringup_entry(const struct bind_bringup *b, struct pci_dev *edu)
{
	struct iox_unit *unit = iox_unit_find(b->unit);
	int ret;

	if (!unit)
		return -ENODEV;
	ret = b->entry(unit, edu);
	iox_unit_put(unit);
	return ret;
}

/* The register hook: edu's driver goes; *@data set. */
static void bind_bringup_unbind(void *data)
{
	pci_unregister_driver(&bind_bringup_driver);
	*(bool *)data = true;
}

/*
 * A driver binds in the window.  It then goes while no unit is up: unbound
 * in an IOMMU group it was not bound in, the IOMMU core would warn that
 * the driver never claimed the group's default domain.
 */
static void bind_bringup_bind_case(struct kunit *test, const struct bind_bringup *b,
				   struct pci_dev *edu)
{
	int bound = -EINVAL, entry;

	KUNIT_EXPECT_EQ(test, bind_bringup_reprobe(b, bind_bringup_bind, &bound), 0);
	KUNIT_EXPECT_EQ(test, bound, 0);
	KUNIT_EXPECT_PTR_EQ(test, edu->dev.driver, &bind_bringup_driver.driver);
	KUNIT_EXPECT_NULL(test, iox_device_domain(&edu->dev));
	KUNIT_EXPECT_FALSE(test, iox_device_blocked(&edu->dev));
	entry = bind_bringup_entry(b, edu);
	KUNIT_EXPECT_EQ_MSG(test, entry, -EOPNOTSUPP,
			    "edu's driver bound while %s came up, and its entry %s", b->unit,
			    entry == -ENOENT ? "blocks it: its DMA faults" : "is not pass-through");
	iox_backend_remove(b->backend);
	if (!bound)
		pci_unregister_driver(&bind_bringup_driver);
	KUNIT_EXPECT_EQ(test, iox_backend_probe(b->backend), 0);
}

/* A driver bound before the bring-up (while no unit is up) goes in the window. */
static void bind_bringup_unbind_case(struct kunit *test, const struct bind_bringup *b,
				     struct pci_dev *edu)
{
	bool unbound = false;
	int ret, entry;

	iox_backend_remove(b->backend);
	ret = pci_register_driver(&bind_bringup_driver);
	KUNIT_EXPECT_EQ(test, ret, 0);
	if (ret) {
		KUNIT_EXPECT_EQ(test, iox_backend_probe(b->backend), 0);
		return;
	}
	KUNIT_EXPECT_PTR_EQ(test, edu->dev.driver, &bind_bringup_driver.driver);
	KUNIT_EXPECT_EQ(test, bind_bringup_reprobe(b, bind_bringup_unbind, &unbound), 0);
	if (!unbound)
		pci_unregister_driver(&bind_bringup_driver);
	KUNIT_EXPECT_TRUE(test, unbound);
	KUNIT_EXPECT_NULL(test, edu->dev.driver);
	KUNIT_EXPECT_TRUE(test, iox_device_blocked(&edu->dev));
	entry = bind_bringup_entry(b, edu);
	KUNIT_EXPECT_EQ_MSG(test, entry, -ENOENT,
			    "edu's driver went while %s came up, and its entry %s", b->unit,
			    entry == -EOPNOTSUPP ? "passes its DMA through" : "does not block it");
}

/* The case; the caller checked that @b's unit is there. */
static void bind_bringup_case(struct kunit *test, const struct bind_bringup *b)
{
	struct pci_dev *edu = pci_get_device(EDU_VENDOR, EDU_DEVICE, NULL);

	KUNIT_ASSERT_NOT_NULL_MSG(test, edu, "no edu device on this machine");
	if (edu->dev.driver || bind_bringup_entry(b, edu) != -ENOENT) {
		KUNIT_FAIL(test, "edu is not driverless and blocked to begin with");
		pci_dev_put(edu);
		return;
	}
	bind_bringup_bind_case(test, b, edu);
	KUNIT_EXPECT_EQ(test, bind_bringup_entry(b, edu), -ENOENT);
	bind_bringup_unbind_case(test, b, edu);
	pci_dev_put(edu);
}

#endif /* _IOX_TESTS_BIND_BRINGUP_H */
