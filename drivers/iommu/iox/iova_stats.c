// SPDX-License-Identifier: GPL-2.0
/*
 * iox IOVA allocator: the counters and the debugfs stats file.
 *
 * iox_iova_get_stats() sums the per-CPU cache counters and reads the
 * tree's under its lock; /sys/kernel/debug/iox/iova/<name>/stats prints
 * them for each domain created with a name.
 */
#include <linux/debugfs.h>
#include <linux/iox-iova.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/seq_file.h>
#include <linux/string.h>

#include "iox-internal.h"
#include "iova-internal.h"

/*
 * /sys/kernel/debug/iox/iova/, or NULL; created and removed under iova.c's
 * global lock, while a domain exists.
 */
static struct dentry *iox_iova_debugfs_dir;

/**
 * iox_iova_get_stats() - read a domain's counters
 * @iovad: the domain, live or destroyed (iox_iova_domain_destroy())
 * @stats: receives the counters
 */
void iox_iova_get_stats(struct iox_iova_domain *iovad,
			struct iox_iova_stats *stats)
{
	unsigned int cpu, order;
	unsigned long flags;

	memset(stats, 0, sizeof(*stats));
	/* A destroyed domain has no caches, and its tree is gone. */
	for_each_possible_cpu(cpu) {
		if (!iovad->cpu)
			break;
		struct iox_iova_cpu *cc = per_cpu_ptr(iovad->cpu, cpu);

		stats->alloc_hits += READ_ONCE(cc->alloc_hits);
		stats->alloc_misses += READ_ONCE(cc->alloc_misses);
		stats->free_hits += READ_ONCE(cc->free_hits);
		stats->cpu_cached += iox_iova_cpu_cached(cc);
	}
	for (order = 0; order < IOX_IOVA_CACHE_ORDERS; order++)
		stats->depot_mags += READ_ONCE(iovad->depot[order].nr_full);
	spin_lock_irqsave(&iovad->lock, flags);
	stats->tree_staged = iovad->cpu ? iox_iova_nr_staged(iovad) : 0;
	/* Less the sentinel, which a destroyed domain no longer has either. */
	stats->tree_nodes = iovad->nr_nodes ? iovad->nr_nodes - 1 - stats->tree_staged : 0;
	stats->tree_allocs = iovad->tree_allocs;
	stats->tree_reuses = iovad->tree_reuses;
	stats->tree_frees = iovad->tree_frees;
	stats->bad_frees = iovad->bad_frees;
	spin_unlock_irqrestore(&iovad->lock, flags);
}
EXPORT_SYMBOL_GPL(iox_iova_get_stats);

static int iox_iova_stats_show(struct seq_file *m, void *unused)
{
	struct iox_iova_domain *iovad = m->private;
	struct iox_iova_stats s;

	iox_iova_get_stats(iovad, &s);
	seq_printf(m, "granule: %lu\n", iovad->granule);
	seq_printf(m, "pfns: %#lx-%#lx\n", iovad->start_pfn, iovad->end_pfn);
	seq_printf(m, "alloc_hits: %llu\n", s.alloc_hits);
	seq_printf(m, "alloc_misses: %llu\n", s.alloc_misses);
	seq_printf(m, "free_hits: %llu\n", s.free_hits);
	seq_printf(m, "cpu_cached: %lu\n", s.cpu_cached);
	seq_printf(m, "depot_mags: %lu\n", s.depot_mags);
	seq_printf(m, "tree_nodes: %lu\n", s.tree_nodes);
	seq_printf(m, "tree_staged: %lu\n", s.tree_staged);
	seq_printf(m, "tree_allocs: %llu\n", s.tree_allocs);
	seq_printf(m, "tree_frees: %llu\n", s.tree_frees);
	seq_printf(m, "tree_reuses: %llu\n", s.tree_reuses);
	seq_printf(m, "bad_frees: %llu\n", s.bad_frees);
	return 0;
}
IOX_DEBUGFS_ATTRIBUTE(iox_iova_stats);

/* Create /sys/kernel/debug/iox/iova/ when the first domain is created. */
void iox_iova_debugfs_setup(void)
{
	struct dentry *root;

	/* The core creates /sys/kernel/debug/iox/; without it, no files. */
	root = debugfs_lookup("iox", NULL);
	if (!IS_ERR_OR_NULL(root)) {
		iox_iova_debugfs_dir = debugfs_create_dir("iova", root);
		dput(root);
	}
}

/* Remove /sys/kernel/debug/iox/iova/ when the last domain is gone. */
void iox_iova_debugfs_teardown(void)
{
	debugfs_remove_recursive(iox_iova_debugfs_dir);
	iox_iova_debugfs_dir = NULL;
}

/* Give a domain with a name its directory and stats file. */
void iox_iova_debugfs_add(struct iox_iova_domain *iovad)
{
	if (iovad->name[0] && iox_iova_debugfs_dir) {
		iovad->debugfs = debugfs_create_dir(iovad->name, iox_iova_debugfs_dir);
		debugfs_create_file_unsafe("stats", 0444, iovad->debugfs, iovad,
					   &iox_iova_stats_fops);
	}
}

/* Remove a domain's directory, if it has one. */
void iox_iova_debugfs_remove(struct iox_iova_domain *iovad)
{
	debugfs_remove_recursive(iovad->debugfs);
	iovad->debugfs = NULL;
}
