// SPDX-License-Identifier: GPL-2.0
/*
 * iox debugfs: /sys/kernel/debug/iox/<unit>/ describes each registered unit.
 *
 * debugfs failures are never fatal: the functions here ignore them, as the
 * debugfs API intends.
 */
#include <linux/debugfs.h>
#include <linux/iox.h>
#include <linux/seq_file.h>

#include "iox-internal.h"

static struct dentry *iox_debugfs_root;

static int iox_unit_caps_show(struct seq_file *m, void *unused)
{
	struct iox_unit *unit = m->private;

	seq_printf(m, "name: %s\n", unit->name);
	seq_printf(m, "ias: %u\n", unit->ias);
	seq_printf(m, "pgsize_bitmap: %#lx\n", unit->pgsize_bitmap);
	unit->ops->show(unit, m);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(iox_unit_caps);

void iox_debugfs_init(void)
{
	iox_debugfs_root = debugfs_create_dir("iox", NULL);
}

void iox_debugfs_exit(void)
{
	debugfs_remove_recursive(iox_debugfs_root);
}

void iox_debugfs_add_unit(struct iox_unit *unit)
{
	unit->debugfs = debugfs_create_dir(unit->name, iox_debugfs_root);
	debugfs_create_file("caps", 0444, unit->debugfs, unit,
			    &iox_unit_caps_fops);
}

void iox_debugfs_remove_unit(struct iox_unit *unit)
{
	debugfs_remove_recursive(unit->debugfs);
	unit->debugfs = NULL;
}
