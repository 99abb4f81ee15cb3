// SPDX-License-Identifier: GPL-2.0
/*
 * iox AMD-Vi backend: domains.  A domain owns an AMD-Vi v1 (host) page
 * table from the iox page-table library and, on each unit one of its
 * devices is behind, a domain id that tags the translations cached from it.
 *
 * Map and unmap may come from any context, on every CPU at once: the
 * page-table library updates disjoint ranges of one table concurrently
 * without a lock, so the domain takes none on the DMA path.  Table pages
 * are allocated with the caller's gfp flags.
 */
#define pr_fmt(fmt) "iox-amd: " fmt

#include <linux/iox.h>
#include <linux/iox-pgtable.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "../inval_plan.h"
#include "amdvi.h"

/**
 * struct iox_amdvi_domain - an AMD-Vi domain
 * @domain: the core's domain
 * @pgt: the v1 page table; map and unmap of disjoint ranges run
 *	concurrently (see struct iox_pgtable)
 *
 * The units the domain has a domain id on, which a sync invalidates, are
 * the core's set (struct iox_domain_unit, domain->units): a unit joins
 * before a device table entry of it points at @pgt and leaves only once
 * the last such entry was replaced and invalidated, with the old domain
 * id.
 */
struct iox_amdvi_domain {
	struct iox_domain domain;
	struct iox_pgtable pgt;
};

static struct iox_amdvi_domain *to_amdvi_domain(struct iox_domain *domain)
{
	return container_of(domain, struct iox_amdvi_domain, domain);
}

static int iox_amdvi_map_pages(struct iox_domain *domain, u64 iova, phys_addr_t paddr,
			       size_t pgsize, size_t pgcount, int prot, gfp_t gfp,
			       size_t *mapped)
{
	return iox_pgtable_map_pages(&to_amdvi_domain(domain)->pgt, iova, paddr, pgsize,
				     pgcount, prot, gfp | __GFP_NOWARN, mapped);
}

static int iox_amdvi_unmap_pages(struct iox_domain *domain, u64 iova, size_t pgsize,
				 size_t pgcount, struct iox_iotlb_gather *gather,
				 size_t *unmapped)
{
	return iox_pgtable_unmap_pages(&to_amdvi_domain(domain)->pgt, iova, pgsize, pgcount,
				       gather, unmapped);
}

/* Every unit the domain is on; the first error is returned, all are tried. */
static int iox_amdvi_flush_domain(struct iox_domain *domain)
{
	struct iox_domain_unit *du;
	int ret = 0, err;

	iox_domain_units_lock();
	iox_domain_for_each_unit(du, domain) {
		err = iox_amdvi_inv_domain(to_amdvi_unit(du->unit), du->id);
		ret = ret ?: err;
	}
	iox_domain_units_unlock();
	return ret;
}

/*
 * [@start, @end] on every unit the domain is on, on units caching
 * not-present entries only if @np_only; as iox_amdvi_flush_domain().
 */
static int iox_amdvi_flush_range(struct iox_domain *domain, u64 start, u64 end, bool pde,
				 bool np_only)
{
	struct iox_domain_unit *du;
	int ret = 0, err;

	iox_domain_units_lock();
	iox_domain_for_each_unit(du, domain) {
		struct iox_amdvi_unit *amdvi = to_amdvi_unit(du->unit);

		if (np_only && !amdvi->np_cache)
			continue;
		err = iox_amdvi_inv_range(amdvi, du->id, start, end, pde);
		ret = ret ?: err;
	}
	iox_domain_units_unlock();
	return ret;
}

/*
 * Invalidate what an unmap gathered.  Freed table pages may be cached as
 * directory entries: PDE is set then.  A gather with freed tables but no
 * range (a queued unmap) still needs them dropped before they are reused.
 */
static int iox_amdvi_iotlb_sync(struct iox_domain *domain, struct iox_iotlb_gather *gather)
{
	bool pde = !iox_inv_leaf_only(false, !list_empty(&gather->freelist));

	if (iox_iotlb_gather_empty(gather))
		return pde ? iox_amdvi_flush_domain(domain) : 0;
	return iox_amdvi_flush_range(domain, gather->start, gather->end, pde, false);
}

/*
 * A unit that may cache not-present entries (NpCache) must have new
 * mappings invalidated like removed ones, directory entries included
 * (PDE), since the map may have installed tables; others need nothing.
 */
static int iox_amdvi_iotlb_sync_map(struct iox_domain *domain, u64 iova, size_t size)
{
	return iox_amdvi_flush_range(domain, iova, iova + size - 1,
				     !iox_inv_leaf_only(true, false), true);
}

static int iox_amdvi_flush_iotlb_all(struct iox_domain *domain)
{
	return iox_amdvi_flush_domain(domain);
}

static phys_addr_t iox_amdvi_iova_to_phys(struct iox_domain *domain, u64 iova)
{
	return iox_pgtable_iova_to_phys(&to_amdvi_domain(domain)->pgt, iova);
}

/* Point the device table entry of @pdev at @d's table, tagged with @du's id. */
static int iox_amdvi_dte_point(struct iox_amdvi_domain *d, struct iox_amdvi_unit *amdvi,
			       struct pci_dev *pdev, struct iox_domain_unit *du)
{
	return iox_amdvi_dte_set(amdvi, pci_dev_id(pdev), du->id, iox_pgtable_root_phys(&d->pgt),
				 d->pgt.levels);
}

static int iox_amdvi_attach_dev(struct iox_domain *domain, struct iox_unit *unit,
				struct device *dev)
{
	struct iox_amdvi_domain *d = to_amdvi_domain(domain);
	struct iox_amdvi_unit *amdvi = to_amdvi_unit(unit);
	struct iox_domain_unit *du;
	struct pci_dev *pdev;
	u16 alias;
	int ret;

	if (!dev_is_pci(dev))
		return -ENODEV;
	pdev = to_pci_dev(dev);
	if (!iox_pci_own_requester_id(pdev)) {
		pci_warn(pdev, "iox: DMA behind a bridge under a shared requester id: not attached\n");
		return -EOPNOTSUPP;
	}
	if (pci_dev_id(pdev) >= amdvi->nr_devids)
		return -ENODEV;
	/* Its own entry would not translate its DMA: as behind a bridge. */
	if (iox_amdvi_dma_alias(amdvi, pci_dev_id(pdev), &alias)) {
		pci_warn(pdev, "iox: DMA under requester id %04x (IVRS alias): not attached\n",
			 alias);
		return -EOPNOTSUPP;
	}
	/* A paging mode above the unit's HATS is reserved in its entries. */
	if (d->pgt.levels > amdvi->caps.host_levels) {
		pci_err(pdev, "iox: %s cannot walk this domain's %u-level table\n",
			unit->name, d->pgt.levels);
		return -EINVAL;
	}

	/* Syncs cover the unit before its entry points at the table. */
	du = iox_domain_unit_join(domain, unit, &amdvi->domain_ids, AMDVI_PT_DOMID + 1,
				  AMDVI_MAX_DOMID);
	if (IS_ERR(du))
		return PTR_ERR(du);

	ret = iox_amdvi_dte_point(d, amdvi, pdev, du);
	if (ret) {
		pci_err(pdev, "iox: %s: device table update failed (%d), back to pass-through\n",
			unit->name, ret);
		/* The entry may be live with only its invalidation failed. */
		if (iox_amdvi_dte_release(amdvi, pdev))
			pci_err(pdev, "iox: failed attach left %s translating for domain %d\n",
				unit->name, domain->id);
		else
			iox_domain_unit_release(du);
		return ret;
	}
	iox_domain_unit_attached(du);
	return 0;
}

/*
 * A detached device goes back to pass-through, as at bring-up, or is
 * blocked if the core says so (iox_amdvi_dte_release()).  If the
 * invalidation after the change failed, the detach fails and the core
 * keeps the device attached: so the entry is pointed at the domain's table
 * again, as the attach left it, and the unit keeps its domain id.
 * Software and the device table then agree, and the device's DMA goes on
 * translating through the domain until a retried detach.
 */
static int iox_amdvi_detach_dev(struct iox_domain *domain, struct iox_unit *unit,
				struct device *dev)
{
	struct iox_amdvi_unit *amdvi = to_amdvi_unit(unit);
	struct iox_domain_unit *du = iox_domain_unit_find(domain, unit);
	struct pci_dev *pdev = to_pci_dev(dev);
	int ret;

	ret = iox_amdvi_dte_release(amdvi, pdev);
	if (ret) {
		pci_err(pdev, "iox: %s: invalidation after detach failed (%d)\n", unit->name, ret);
		if (du && iox_amdvi_dte_point(to_amdvi_domain(domain), amdvi, pdev, du))
			pci_err(pdev, "iox: %s may use a stale entry until domain %d is detached\n",
				unit->name, domain->id);
		return ret;
	}
	if (!WARN_ON(!du))
		iox_domain_unit_detached(du);
	return 0;
}

static void iox_amdvi_domain_free(struct iox_domain *domain)
{
	struct iox_amdvi_domain *d = to_amdvi_domain(domain);

	iox_pgtable_destroy(&d->pgt);
	kfree(d);
	module_put(THIS_MODULE);
}

static void iox_amdvi_show_pgtable(struct iox_domain *domain, struct seq_file *m)
{
	iox_pgtable_show(&to_amdvi_domain(domain)->pgt, m);
}

static int iox_amdvi_lookup(struct iox_domain *domain, u64 iova, struct iox_mapping *m)
{
	return iox_pgtable_get_mapping(&to_amdvi_domain(domain)->pgt, iova, m);
}

static void iox_amdvi_pgtable_info(struct iox_domain *domain, struct iox_pgtable_info *info)
{
	iox_pgtable_get_info(&to_amdvi_domain(domain)->pgt, info);
}

static const struct iox_domain_ops iox_amdvi_domain_ops = {
	.map_pages = iox_amdvi_map_pages,
	.unmap_pages = iox_amdvi_unmap_pages,
	.iotlb_sync = iox_amdvi_iotlb_sync,
	.iotlb_sync_map = iox_amdvi_iotlb_sync_map,
	.flush_iotlb_all = iox_amdvi_flush_iotlb_all,
	.iova_to_phys = iox_amdvi_iova_to_phys,
	.attach_dev = iox_amdvi_attach_dev,
	.detach_dev = iox_amdvi_detach_dev,
	.free = iox_amdvi_domain_free,
	.show_pgtable = iox_amdvi_show_pgtable,
	.lookup = iox_amdvi_lookup,
	.pgtable_info = iox_amdvi_pgtable_info,
};

/**
 * iox_amdvi_domain_alloc() - allocate a domain whose page table a unit walks
 * @unit: the unit
 *
 * The v1 table has as many levels as the unit's IOVA width needs.  A live
 * domain holds a reference on this module, so that the module cannot go
 * away under it.
 *
 * Return: the domain, or an ERR_PTR(): -ENODEV for a unit that is not
 * translating, -ENOMEM.
 */
struct iox_domain *iox_amdvi_domain_alloc(struct iox_unit *unit)
{
	struct iox_amdvi_unit *amdvi = to_amdvi_unit(unit);
	struct iox_pgtable_cfg cfg = {
		.format = IOX_PGTABLE_AMD_V1,
		.ias = unit->ias,
		.oas = 52,
		.pgsize_bitmap = unit->pgsize_bitmap,
		.coherent = true,
	};
	struct iox_amdvi_domain *d;
	int ret;

	if (!amdvi->enabled)
		return ERR_PTR(-ENODEV);
	if (!try_module_get(THIS_MODULE))
		return ERR_PTR(-ENODEV);
	d = iox_should_fail_alloc() ? NULL : kzalloc(sizeof(*d), GFP_KERNEL);
	if (!d) {
		module_put(THIS_MODULE);
		return ERR_PTR(-ENOMEM);
	}
	ret = iox_pgtable_init(&d->pgt, &cfg, GFP_KERNEL);
	if (ret) {
		kfree(d);
		module_put(THIS_MODULE);
		return ERR_PTR(ret);
	}
	d->domain.ops = &iox_amdvi_domain_ops;
	return &d->domain;
}
