// SPDX-License-Identifier: GPL-2.0
/*
 * vmtest module: holds a reference on one unit through the core API alone
 * (no symbol of a backend), so that nothing but that reference keeps the
 * unit's backend module loaded.  Loading fails if the unit is not found.
 */
#define pr_fmt(fmt) "iox-unit-ref: " fmt

#include <linux/iox.h>
#include <linux/module.h>

static char *unit_name = "dmar0";
module_param_named(unit, unit_name, charp, 0444);
MODULE_PARM_DESC(unit, "name of the unit to hold (default dmar0)");

static struct iox_unit *held;

static int __init iox_unit_ref_init(void)
{
	held = iox_unit_find(unit_name);
	if (!held)
		return -ENODEV;
	pr_info("holding %s\n", held->name);
	return 0;
}

static void __exit iox_unit_ref_exit(void)
{
	iox_unit_put(held);
}

module_init(iox_unit_ref_init);
module_exit(iox_unit_ref_exit);

MODULE_DESCRIPTION("vmtest: hold a reference on an iox unit");
MODULE_LICENSE("GPL");
