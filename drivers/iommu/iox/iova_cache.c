// SPDX-License-Identifier: GPL-2.0
/*
 * iox IOVA allocator: the per-CPU magazine caches.
 *
 * Sizes up to IOX_IOVA_CACHE_MAX_PAGES are cached per CPU in magazines
 * (Bonwick, "Magazines and Vmem", USENIX 2001): each CPU has a loaded and a
 * previous magazine per size; full magazines are exchanged with a depot.
 * A hit touches only the local CPU's magazines with preemption disabled: no
 * lock and no atomic instruction.  An interrupt that arrives while its CPU
 * is inside the cache path finds the CPU's busy flag set and goes to the
 * tree, so the magazines never need interrupts disabled either.
 *
 * The hit path (iox_iova_cache_alloc() and iox_iova_cache_free()) is in
 * iova-internal.h, inlined into iox_iova_alloc() and iox_iova_free(); here
 * is the rest: the depot and its trim, flushing every CPU's caches back to
 * the tree, and draining the caches of a CPU that died.
 */
#include <linux/cpuhotplug.h>
#include <linux/iox.h>
#include <linux/iox-iova.h>
#include <linux/jiffies.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/preempt.h>
#include <linux/slab.h>
#include <linux/smp.h>
#include <linux/workqueue.h>

#include "iova-internal.h"

/* Full magazines a depot keeps per size before returning them to the tree. */
#define IOX_IOVA_DEPOT_MAX	32
/* A depot magazine unused for this long goes back to the tree. */
#define IOX_IOVA_TRIM_INTERVAL	HZ

/*
 * The CPU hotplug state that drains dead CPUs; set up and torn down under
 * iova.c's global lock, while a domain exists.
 */
static enum cpuhp_state iox_iova_cpuhp_state;

/* An empty magazine, or NULL. */
static struct iox_iova_mag *iox_iova_mag_alloc(gfp_t gfp)
{
	if (iox_should_fail_alloc())
		return NULL;
	return kmalloc(sizeof(struct iox_iova_mag), gfp);
}

/*
 * Empty @mag of ranges of 2^@order pages into the tree.  The nodes are
 * freed after the lock is dropped: a full magazine is 125 of them, which
 * the CPUs waiting for the lock need not wait for.
 */
static void iox_iova_mag_to_tree(struct iox_iova_domain *iovad,
				 struct iox_iova_mag *mag, unsigned int order)
{
	struct iox_iova_node *node, *dead = NULL;
	unsigned long flags, i;

	if (!mag->nr)
		return;
	spin_lock_irqsave(&iovad->lock, flags);
	for (i = 0; i < mag->nr; i++) {
		iox_iova_tree_take(iovad, mag->pfns[i], 1UL << order, true, &node);
		if (node) {
			node->next = dead;
			dead = node;
		}
	}
	spin_unlock_irqrestore(&iovad->lock, flags);
	mag->nr = 0;
	while (dead) {
		node = dead;
		dead = node->next;
		iox_iova_node_put(iovad, node);
	}
}

static void iox_iova_arm_trim(struct iox_iova_domain *iovad)
{
	if (!delayed_work_pending(&iovad->trim_work))
		schedule_delayed_work(&iovad->trim_work, iovad->trim_interval);
}

/* Replace the CPU's empty previous magazine by a full one from the depot. */
bool iox_iova_depot_get(struct iox_iova_domain *iovad,
			struct iox_iova_cpu *cc, unsigned int order)
{
	struct iox_iova_depot *depot = &iovad->depot[order];
	struct iox_iova_mag *mag;
	unsigned long flags;

	if (!READ_ONCE(depot->nr_full))
		return false;
	spin_lock_irqsave(&depot->lock, flags);
	mag = list_first_entry_or_null(&depot->full, struct iox_iova_mag, link);
	if (mag) {
		list_del(&mag->link);
		depot->nr_full--;
		depot->low = min(depot->low, depot->nr_full);
	}
	spin_unlock_irqrestore(&depot->lock, flags);
	if (!mag)
		return false;
	kfree(cc->prev[order]);
	cc->prev[order] = cc->loaded[order];
	cc->loaded[order] = mag;
	cc->moved += mag->nr;
	return true;
}

/*
 * Both of the CPU's magazines are full: hand the previous one to the depot
 * and load an empty one.  If the depot is full or no memory is to be had,
 * the previous magazine goes back to the tree and becomes the empty one.
 */
void iox_iova_depot_put(struct iox_iova_domain *iovad,
			struct iox_iova_cpu *cc, unsigned int order)
{
	struct iox_iova_depot *depot = &iovad->depot[order];
	struct iox_iova_mag *full = cc->prev[order];
	struct iox_iova_mag *empty = NULL;
	unsigned long flags;

	if (READ_ONCE(depot->nr_full) < IOX_IOVA_DEPOT_MAX)
		empty = iox_iova_mag_alloc(GFP_ATOMIC | __GFP_NOWARN);
	if (empty) {
		spin_lock_irqsave(&depot->lock, flags);
		if (depot->nr_full < IOX_IOVA_DEPOT_MAX) {
			list_add(&full->link, &depot->full);
			depot->nr_full++;
			full = NULL;
		}
		spin_unlock_irqrestore(&depot->lock, flags);
	}
	if (full) {
		kfree(empty);
		cc->moved -= full->nr;
		iox_iova_mag_to_tree(iovad, full, order);
		empty = full;
	} else {
		cc->moved -= IOX_IOVA_MAG_SIZE;
		iox_iova_arm_trim(iovad);
	}
	empty->nr = 0;
	cc->prev[order] = cc->loaded[order];
	cc->loaded[order] = empty;
}

/* ---- flushes ---- */

/* Return all of one CPU's cached and staged ranges to the tree. */
static void iox_iova_cpu_drain(struct iox_iova_domain *iovad,
			       struct iox_iova_cpu *cc)
{
	unsigned int order;

	for (order = 0; order < IOX_IOVA_CACHE_ORDERS; order++) {
		iox_iova_mag_to_tree(iovad, cc->loaded[order], order);
		iox_iova_mag_to_tree(iovad, cc->prev[order], order);
	}
	cc->moved = cc->alloc_hits - cc->free_hits;
	iox_iova_recent_drain(iovad, cc);
}

/*
 * Return a depot's magazines to the tree, the oldest first: all of them, or
 * as many as were not needed since the last pass (the low-water mark).
 */
static void iox_iova_depot_release(struct iox_iova_domain *iovad,
				   unsigned int order, bool all)
{
	struct iox_iova_depot *depot = &iovad->depot[order];
	struct iox_iova_mag *mag, *tmp;
	unsigned long flags;
	unsigned int nr;
	LIST_HEAD(release);

	spin_lock_irqsave(&depot->lock, flags);
	nr = all ? depot->nr_full : depot->low;
	depot->nr_full -= nr;
	while (nr--)
		list_move(depot->full.prev, &release);
	depot->low = depot->nr_full;
	spin_unlock_irqrestore(&depot->lock, flags);

	list_for_each_entry_safe(mag, tmp, &release, link) {
		iox_iova_mag_to_tree(iovad, mag, order);
		kfree(mag);
	}
}

/*
 * Drain the local CPU's caches and clear its flush mark, unless we
 * interrupted its cache path.  Return: whether it drained them.  Also the
 * flush an IPI asked for while the CPU was inside the path, carried out
 * as it leaves (iox_iova_cpu_exit()).
 */
bool iox_iova_cpu_flush(struct iox_iova_domain *iovad)
{
	struct iox_iova_cpu *cc = iox_iova_cpu_enter(iovad);

	if (!cc)
		return false;
	iox_iova_cpu_drain(iovad, cc);
	/* The ranges are in the tree before a flusher stops waiting. */
	smp_store_release(&cc->flush_pending, false);
	iox_iova_cpu_exit(iovad, cc);
	return true;
}

/* IPI handler: a CPU inside its cache path drains when it leaves. */
static void iox_iova_flush_this_cpu(void *data)
{
	struct iox_iova_domain *iovad = data;

	if (!iox_iova_cpu_flush(iovad))
		WRITE_ONCE(this_cpu_ptr(iovad->cpu)->flush_pending, true);
}

/*
 * Empty every CPU's caches, each on its CPU, and the depots.  A CPU the
 * IPI found inside its cache path empties them when it leaves the path,
 * which is short and never sleeps: wait for that.  May sleep.
 */
void iox_iova_flush_all(struct iox_iova_domain *iovad)
{
	unsigned int cpu, order;

	/* CPUs that are offline were drained when they died. */
	on_each_cpu(iox_iova_flush_this_cpu, iovad, 1);
	for_each_online_cpu(cpu) {
		struct iox_iova_cpu *cc = per_cpu_ptr(iovad->cpu, cpu);

		/* Pairs with the release in iox_iova_drain_here(). */
		while (smp_load_acquire(&cc->flush_pending))
			cpu_relax();
	}
	for (order = 0; order < IOX_IOVA_CACHE_ORDERS; order++)
		iox_iova_depot_release(iovad, order, true);
}

/*
 * Tests only: run @fn(@arg) on the local CPU inside its cache path, where
 * an allocation or free would be when an IPI or interrupt arrives.
 * Return: 0, or -EBUSY if the caller interrupted the path itself.
 */
int iox_iova_test_in_cache_path(struct iox_iova_domain *iovad, void (*fn)(void *arg),
				void *arg)
{
	struct iox_iova_cpu *cc = iox_iova_cpu_enter(iovad);

	if (!cc)
		return -EBUSY;
	fn(arg);
	iox_iova_cpu_exit(iovad, cc);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(iox_iova_test_in_cache_path, IOX_TEST);

static void iox_iova_flush_work(struct work_struct *work)
{
	iox_iova_flush_all(container_of(work, struct iox_iova_domain, flush_work));
}

/**
 * iox_iova_flush_caches() - return every cached range to the tree
 * @iovad: the domain
 *
 * Empties the depots and every CPU's magazines and staged range.  A CPU's
 * caches are emptied on that CPU, by an IPI, which the caller can wait for
 * only when it is preemptible (no spinlock held, interrupts and preemption
 * on; the kernel tracks this with CONFIG_PREEMPT_COUNT): then every CPU's
 * ranges are back in the tree when this returns.  Otherwise (atomic
 * context, or a kernel that cannot tell) the local CPU's caches and the
 * depots are emptied at once and the other CPUs' caches by a work item
 * queued now, shortly after this returns.  Allocation calls this itself
 * when the tree has no room but the caches hold ranges.  Callable from any
 * context except NMI.
 */
void iox_iova_flush_caches(struct iox_iova_domain *iovad)
{
	unsigned int order;

	if (preemptible()) {
		iox_iova_flush_all(iovad);
		return;
	}
	iox_iova_flush_this_cpu(iovad);
	for (order = 0; order < IOX_IOVA_CACHE_ORDERS; order++)
		iox_iova_depot_release(iovad, order, true);
	if (num_online_cpus() > 1)
		queue_work(system_highpri_wq, &iovad->flush_work);
}
EXPORT_SYMBOL_GPL(iox_iova_flush_caches);

/*
 * Whether any cache holds ranges or a CPU has one staged; a hint, read
 * without the owners' help, for a flush to be worth its IPIs.
 */
bool iox_iova_has_cached(struct iox_iova_domain *iovad)
{
	unsigned int cpu, order;
	unsigned long flags, staged;

	for (order = 0; order < IOX_IOVA_CACHE_ORDERS; order++)
		if (READ_ONCE(iovad->depot[order].nr_full))
			return true;
	for_each_possible_cpu(cpu)
		if (iox_iova_cpu_cached(per_cpu_ptr(iovad->cpu, cpu)))
			return true;
	/* A pinned range that is not staged is an allocation: no reason. */
	spin_lock_irqsave(&iovad->lock, flags);
	staged = iox_iova_nr_staged(iovad);
	spin_unlock_irqrestore(&iovad->lock, flags);
	return staged;
}

/* ---- trimming ---- */

/**
 * iox_iova_trim() - return depot magazines that were not needed
 * @iovad: the domain
 *
 * One pass of the depot's working-set trim: the magazines that stayed in a
 * depot since the previous pass (its low-water mark) go back to the tree.
 * The domain's delayed work runs a pass every IOX_IOVA_TRIM_INTERVAL while
 * a depot holds magazines, so after two idle intervals the depots are
 * empty; the per-CPU magazines stay, bounded at two per size and CPU.
 */
void iox_iova_trim(struct iox_iova_domain *iovad)
{
	unsigned int order;

	for (order = 0; order < IOX_IOVA_CACHE_ORDERS; order++)
		iox_iova_depot_release(iovad, order, false);
}
EXPORT_SYMBOL_GPL(iox_iova_trim);

static void iox_iova_trim_work(struct work_struct *work)
{
	struct iox_iova_domain *iovad =
		container_of(to_delayed_work(work), struct iox_iova_domain,
			     trim_work);
	unsigned int order;

	iox_iova_trim(iovad);
	for (order = 0; order < IOX_IOVA_CACHE_ORDERS; order++) {
		if (READ_ONCE(iovad->depot[order].nr_full)) {
			schedule_delayed_work(&iovad->trim_work,
					      iovad->trim_interval);
			break;
		}
	}
}

/**
 * iox_iova_test_trim_interval() - set the interval between trim passes
 * @iovad: the domain, before its first free
 * @interval: jiffies between passes of the trim work
 *
 * For tests that drive the passes themselves with flush_delayed_work():
 * a long interval keeps the work from running a pass of its own between
 * theirs, however slowly the test runs.
 */
void iox_iova_test_trim_interval(struct iox_iova_domain *iovad,
				 unsigned long interval)
{
	WARN_ON_ONCE(delayed_work_pending(&iovad->trim_work));
	iovad->trim_interval = interval;
}
EXPORT_SYMBOL_NS_GPL(iox_iova_test_trim_interval, IOX_TEST);

/* ---- CPU hotplug and setup ---- */

/*
 * CPU hotplug: after @cpu died, its magazines go back to the tree and its
 * spare node to the slab.
 */
static int iox_iova_cpu_dead(unsigned int cpu, struct hlist_node *hnode)
{
	struct iox_iova_domain *iovad =
		hlist_entry_safe(hnode, struct iox_iova_domain, cpuhp_node);
	struct iox_iova_cpu *cc = per_cpu_ptr(iovad->cpu, cpu);

	iox_iova_cpu_drain(iovad, cc);
	iox_iova_cpu_free_spare(cc);
	return 0;
}

/*
 * Set up what the caches of all domains share, when the first domain is
 * created: the CPU hotplug state.  Returns 0 or its error.
 */
int iox_iova_cache_setup(void)
{
	int ret;

	ret = cpuhp_setup_state_multi(CPUHP_BP_PREPARE_DYN, "iommu/iox-iova:dead",
				      NULL, iox_iova_cpu_dead);
	if (ret < 0)
		return ret;
	iox_iova_cpuhp_state = ret;
	return 0;
}

/* Remove the CPU hotplug state when the last domain is gone. */
void iox_iova_cache_teardown(void)
{
	cpuhp_remove_multi_state(iox_iova_cpuhp_state);
}

static void iox_iova_free_mags(struct iox_iova_domain *iovad)
{
	unsigned int cpu, order;

	for_each_possible_cpu(cpu) {
		struct iox_iova_cpu *cc = per_cpu_ptr(iovad->cpu, cpu);

		for (order = 0; order < IOX_IOVA_CACHE_ORDERS; order++) {
			kfree(cc->loaded[order]);
			kfree(cc->prev[order]);
		}
		iox_iova_cpu_free_spare(cc);
	}
	free_percpu(iovad->cpu);
}

/*
 * Set up a domain's caches: the depots, the trim and flush work, two empty
 * magazines per cached size and possible CPU, and the domain's instance of
 * the CPU hotplug state.  Returns 0, -ENOMEM or the CPU hotplug state's
 * error, with nothing left to undo.  May sleep.
 */
int iox_iova_cache_init(struct iox_iova_domain *iovad)
{
	unsigned int cpu, order;
	int ret = -ENOMEM;

	for (order = 0; order < IOX_IOVA_CACHE_ORDERS; order++) {
		spin_lock_init(&iovad->depot[order].lock);
		INIT_LIST_HEAD(&iovad->depot[order].full);
	}
	INIT_DELAYED_WORK(&iovad->trim_work, iox_iova_trim_work);
	iovad->trim_interval = IOX_IOVA_TRIM_INTERVAL;
	INIT_WORK(&iovad->flush_work, iox_iova_flush_work);

	iovad->cpu = iox_should_fail_alloc() ? NULL : alloc_percpu(struct iox_iova_cpu);
	if (!iovad->cpu)
		return -ENOMEM;
	for_each_possible_cpu(cpu) {
		struct iox_iova_cpu *cc = per_cpu_ptr(iovad->cpu, cpu);

		for (order = 0; order < IOX_IOVA_CACHE_ORDERS; order++) {
			cc->loaded[order] = iox_iova_mag_alloc(GFP_KERNEL | __GFP_ZERO);
			cc->prev[order] = iox_iova_mag_alloc(GFP_KERNEL | __GFP_ZERO);
			if (!cc->loaded[order] || !cc->prev[order])
				goto free_mags;
		}
	}
	ret = cpuhp_state_add_instance_nocalls(iox_iova_cpuhp_state,
					       &iovad->cpuhp_node);
	if (ret)
		goto free_mags;
	return 0;

free_mags:
	iox_iova_free_mags(iovad);
	return ret;
}

/*
 * Tear a domain's caches down: stop the trim and flush work and the CPU
 * hotplug callbacks, return every CPU's cached and staged ranges and the
 * depots' to the tree, and free the magazines.  Nobody may use the domain
 * any more.  May sleep.
 */
void iox_iova_cache_destroy(struct iox_iova_domain *iovad)
{
	unsigned int cpu, order;

	cancel_delayed_work_sync(&iovad->trim_work);
	cancel_work_sync(&iovad->flush_work);
	cpuhp_state_remove_instance_nocalls(iox_iova_cpuhp_state,
					    &iovad->cpuhp_node);

	/* Nobody uses the domain: every CPU's caches may be drained here. */
	for_each_possible_cpu(cpu)
		iox_iova_cpu_drain(iovad, per_cpu_ptr(iovad->cpu, cpu));
	for (order = 0; order < IOX_IOVA_CACHE_ORDERS; order++)
		iox_iova_depot_release(iovad, order, true);
	iox_iova_free_mags(iovad);
	iovad->cpu = NULL;
}
