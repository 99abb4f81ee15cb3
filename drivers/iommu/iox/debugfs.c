// SPDX-License-Identifier: GPL-2.0
/*
 * iox debugfs: /sys/kernel/debug/iox/<unit>/caps describes each registered
 * unit, .../<unit>/devices lists the PCI devices it serves with their state
 * (domain, blocked or pass-through, isolate.c),
 * /sys/kernel/debug/iox/domains/<id>/stats each domain, and
 * .../<id>/pgtable its page table where the backend can describe it.
 *
 * debugfs failures are never fatal: the functions here ignore them, as the
 * debugfs API intends.  The files can be read with kernel_read() too (see
 * IOX_DEBUGFS_ATTRIBUTE()).
 */
#include <linux/debugfs.h>
#include <linux/iox.h>
#include <linux/seq_file.h>

#include "iox-internal.h"

static struct dentry *iox_debugfs_root;
static struct dentry *iox_debugfs_domains;

static int iox_unit_caps_show(struct seq_file *m, void *unused)
{
	struct iox_unit *unit = m->private;

	seq_printf(m, "name: %s\n", unit->name);
	seq_printf(m, "ias: %u\n", unit->ias);
	seq_printf(m, "oas: %u\n", unit->oas);
	seq_printf(m, "pgsize_bitmap: %#lx\n", unit->pgsize_bitmap);
	unit->ops->show(unit, m);
	return 0;
}
IOX_DEBUGFS_ATTRIBUTE(iox_unit_caps);

static int iox_unit_devices_show(struct seq_file *m, void *unused)
{
	iox_isolate_show(m->private, m);
	return 0;
}
IOX_DEBUGFS_ATTRIBUTE(iox_unit_devices);

static int iox_domain_stats_show(struct seq_file *m, void *unused)
{
	struct iox_domain *domain = m->private;
	struct iox_domain_stats stats;

	iox_domain_get_stats(domain, &stats);
	seq_printf(m, "unit: %s\n", domain->unit->name);
	seq_printf(m, "devices: %u\n", READ_ONCE(domain->nr_devices));
	seq_printf(m, "pgsize_bitmap: %#lx\n", READ_ONCE(domain->pgsize_bitmap));
	seq_printf(m, "aperture_end: %#llx\n", READ_ONCE(domain->aperture_end));
	seq_printf(m, "mapped_bytes: %lld\n", (long long)atomic64_read(&domain->mapped_bytes));
	seq_printf(m, "used_pgsizes: %#lx\n", atomic_long_read(&domain->used_pgsizes));
	seq_printf(m, "maps: %llu\n", stats.maps);
	seq_printf(m, "unmaps: %llu\n", stats.unmaps);
	seq_printf(m, "bytes_mapped: %llu\n", stats.bytes_mapped);
	seq_printf(m, "bytes_unmapped: %llu\n", stats.bytes_unmapped);
	seq_printf(m, "syncs: %llu\n", stats.syncs);
	seq_printf(m, "flush_alls: %llu\n", stats.flush_alls);
	seq_printf(m, "unmap_nomem: %llu\n", stats.unmap_nomem);
	seq_printf(m, "sync_errors: %llu\n", stats.sync_errors);
	seq_printf(m, "kept_pages: %ld\n", atomic_long_read(&domain->nr_kept_pages));
	seq_printf(m, "faults: %lld\n", (long long)atomic64_read(&domain->nr_faults));
	return 0;
}
IOX_DEBUGFS_ATTRIBUTE(iox_domain_stats);

void iox_debugfs_init(void)
{
	iox_debugfs_root = debugfs_create_dir("iox", NULL);
	iox_debugfs_domains = debugfs_create_dir("domains", iox_debugfs_root);
	iox_fault_inject_init(iox_debugfs_root);
}

void iox_debugfs_exit(void)
{
	debugfs_remove_recursive(iox_debugfs_root);
}

void iox_debugfs_add_unit(struct iox_unit *unit)
{
	unit->debugfs = debugfs_create_dir(unit->name, iox_debugfs_root);
	debugfs_create_file_unsafe("caps", 0444, unit->debugfs, unit, &iox_unit_caps_fops);
	debugfs_create_file_unsafe("devices", 0444, unit->debugfs, unit, &iox_unit_devices_fops);
}

void iox_debugfs_remove_unit(struct iox_unit *unit)
{
	debugfs_remove_recursive(unit->debugfs);
	unit->debugfs = NULL;
}

static int iox_domain_pgtable_show(struct seq_file *m, void *unused)
{
	struct iox_domain *domain = m->private;

	domain->ops->show_pgtable(domain, m);
	return 0;
}
IOX_DEBUGFS_ATTRIBUTE(iox_domain_pgtable);

void iox_debugfs_add_domain(struct iox_domain *domain)
{
	char name[16];

	snprintf(name, sizeof(name), "%d", domain->id);
	domain->debugfs = debugfs_create_dir(name, iox_debugfs_domains);
	debugfs_create_file_unsafe("stats", 0444, domain->debugfs, domain, &iox_domain_stats_fops);
	if (domain->ops->show_pgtable)
		debugfs_create_file_unsafe("pgtable", 0444, domain->debugfs, domain,
					   &iox_domain_pgtable_fops);
}

void iox_debugfs_remove_domain(struct iox_domain *domain)
{
	debugfs_remove_recursive(domain->debugfs);
	domain->debugfs = NULL;
}
