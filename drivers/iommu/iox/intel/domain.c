// SPDX-License-Identifier: GPL-2.0
/*
 * iox VT-d backend: domains.  A domain owns a second-stage page table (the
 * iox page-table library) and, on each unit one of its devices is behind,
 * a domain id that tags the IOTLB entries built from it.
 *
 * Map and unmap may come from any context, including interrupt handlers
 * completing DMA, on every CPU at once: the page-table library updates
 * disjoint ranges of one table concurrently without a lock, so the domain
 * takes none on the DMA path.  Table pages are allocated with the caller's
 * gfp flags.
 */
#define pr_fmt(fmt) "iox-intel: " fmt

#include <linux/iox.h>
#include <linux/iox-pgtable.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "../inval_plan.h"
#include "vtd.h"

/**
 * struct iox_vtd_domain - a VT-d domain
 * @domain: the core's domain
 * @pgt: the second-stage page table; map and unmap of disjoint ranges run
 *	concurrently (see struct iox_pgtable)
 * @agaw: the address width code context entries name for @pgt
 *
 * The units the domain has a domain id on, which a sync invalidates, are
 * the core's set (struct iox_domain_unit, domain->units): a unit joins
 * before a context entry of it points at @pgt and leaves only once no
 * entry does and its IOTLB was flushed.
 */
struct iox_vtd_domain {
	struct iox_domain domain;
	struct iox_pgtable pgt;
	u8 agaw;
};

static struct iox_vtd_domain *to_vtd_domain(struct iox_domain *domain)
{
	return container_of(domain, struct iox_vtd_domain, domain);
}

static int iox_vtd_map_pages(struct iox_domain *domain, u64 iova, phys_addr_t paddr,
			     size_t pgsize, size_t pgcount, int prot, gfp_t gfp,
			     size_t *mapped)
{
	return iox_pgtable_map_pages(&to_vtd_domain(domain)->pgt, iova, paddr,
				     pgsize, pgcount, prot, gfp | __GFP_NOWARN,
				     mapped);
}

static int iox_vtd_unmap_pages(struct iox_domain *domain, u64 iova, size_t pgsize,
			       size_t pgcount, struct iox_iotlb_gather *gather,
			       size_t *unmapped)
{
	return iox_pgtable_unmap_pages(&to_vtd_domain(domain)->pgt, iova, pgsize,
				       pgcount, gather, unmapped);
}

/* Every unit is invalidated even if one fails; the first error is returned. */
static int iox_vtd_flush_domain(struct iox_vtd_domain *d)
{
	struct iox_domain_unit *du;
	int ret = 0, err;

	iox_domain_units_lock();
	iox_domain_for_each_unit(du, &d->domain) {
		err = iox_vtd_inv_iotlb(to_vtd_unit(du->unit), VTD_INV_DOMAIN, du->id);
		ret = ret ?: err;
	}
	iox_domain_units_unlock();
	return ret;
}

/*
 * Invalidate what an unmap gathered.  Freed table pages may be cached as
 * paging-structure entries, so the invalidation hint (leaf only) is given
 * only when none were freed; a gather with freed tables but no range (a
 * queued unmap) still needs them dropped before the pages are reused.
 */
static int iox_vtd_iotlb_sync(struct iox_domain *domain, struct iox_iotlb_gather *gather)
{
	struct iox_vtd_domain *d = to_vtd_domain(domain);
	bool leaf_only = iox_inv_leaf_only(false, !list_empty(&gather->freelist));
	struct iox_domain_unit *du;
	int ret = 0, err;

	if (iox_iotlb_gather_empty(gather))
		return leaf_only ? 0 : iox_vtd_flush_domain(d);
	iox_domain_units_lock();
	iox_domain_for_each_unit(du, domain) {
		err = iox_vtd_inv_iotlb_range(to_vtd_unit(du->unit), du->id, gather->start,
					      gather->end, leaf_only);
		ret = ret ?: err;
	}
	iox_domain_units_unlock();
	return ret;
}

/*
 * Units in caching mode may cache not-present entries: new mappings must be
 * invalidated like removed ones, without the hint, since the map may have
 * installed tables.  Others may need their write buffer flushed to see the
 * new entries.
 */
static int iox_vtd_iotlb_sync_map(struct iox_domain *domain, u64 iova, size_t size)
{
	struct iox_domain_unit *du;
	int ret = 0;

	iox_domain_units_lock();
	iox_domain_for_each_unit(du, domain) {
		struct iox_vtd_unit *vtd = to_vtd_unit(du->unit);

		if (vtd->caps.caching_mode)
			ret = iox_vtd_inv_iotlb_range(vtd, du->id, iova, iova + size - 1,
						      iox_inv_leaf_only(true, false));
		else
			ret = iox_vtd_flush_write_buffer(vtd);
		if (ret)
			break;
	}
	iox_domain_units_unlock();
	return ret;
}

static int iox_vtd_flush_iotlb_all(struct iox_domain *domain)
{
	return iox_vtd_flush_domain(to_vtd_domain(domain));
}

static phys_addr_t iox_vtd_iova_to_phys(struct iox_domain *domain, u64 iova)
{
	return iox_pgtable_iova_to_phys(&to_vtd_domain(domain)->pgt, iova);
}

/* SAGAW bit of the table depth a context entry's AW code names. */
static u8 iox_vtd_agaw_sagaw(u8 agaw)
{
	return BIT(agaw);
}

/* Point the context entry of @pdev at @d's table, tagged with @du's id. */
static int iox_vtd_context_point(struct iox_vtd_domain *d, struct iox_vtd_unit *vtd,
				 struct pci_dev *pdev, struct iox_domain_unit *du)
{
	return iox_vtd_context_set(vtd, pdev->bus->number, pdev->devfn, du->id,
				   iox_pgtable_root_phys(&d->pgt), d->agaw);
}

static int iox_vtd_attach_dev(struct iox_domain *domain, struct iox_unit *unit,
			      struct device *dev)
{
	struct iox_vtd_domain *d = to_vtd_domain(domain);
	struct iox_vtd_unit *vtd = to_vtd_unit(unit);
	struct iox_domain_unit *du;
	struct pci_dev *pdev;
	int ret;

	if (!dev_is_pci(dev))
		return -ENODEV;
	pdev = to_pci_dev(dev);
	if (!iox_pci_own_requester_id(pdev)) {
		pci_warn(pdev, "iox: DMA behind a bridge under a shared requester id: not attached\n");
		return -EOPNOTSUPP;
	}
	if (!(vtd->caps.sagaw & iox_vtd_agaw_sagaw(d->agaw))) {
		pci_err(pdev, "iox: %s cannot walk this domain's %u-level table\n",
			unit->name, d->pgt.levels);
		return -EINVAL;
	}

	du = iox_domain_unit_join(domain, unit, &vtd->domain_ids,
				  vtd->caps.caching_mode ? 1 : 0, vtd->caps.nr_domains - 1);
	if (IS_ERR(du))
		return PTR_ERR(du);

	ret = iox_vtd_context_point(d, vtd, pdev, du);
	if (ret) {
		/*
		 * The entry may be in place with only its flush failed: the
		 * unit stays in the set unless the entry was taken back.
		 */
		if (iox_vtd_context_release(vtd, pdev))
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
 * A detached device goes back to pass-through, or is blocked if the core
 * says so (iox_vtd_context_release()); the release flushes what the unit
 * cached under the domain's id.  If that change cannot be made visible
 * (an invalidation failed), the detach fails and the core keeps the device
 * attached: so the entry is pointed at the domain's table again, as the
 * attach left it, and the unit stays in the set.  Software and the tables
 * then agree, and the device's DMA goes on translating through the domain
 * (once the entry's own invalidation succeeds, if the unit had cached the
 * released one) until a retried detach.
 */
static int iox_vtd_detach_dev(struct iox_domain *domain, struct iox_unit *unit,
			      struct device *dev)
{
	struct iox_vtd_unit *vtd = to_vtd_unit(unit);
	struct iox_domain_unit *du = iox_domain_unit_find(domain, unit);
	struct pci_dev *pdev = to_pci_dev(dev);
	int ret;

	ret = iox_vtd_context_release(vtd, pdev);
	if (ret) {
		if (du && iox_vtd_context_point(to_vtd_domain(domain), vtd, pdev, du))
			pci_err(pdev, "iox: %s may use a stale entry until domain %d is detached\n",
				unit->name, domain->id);
		return ret;
	}
	if (!WARN_ON(!du))
		iox_domain_unit_detached(du);
	return 0;
}

static void iox_vtd_domain_free(struct iox_domain *domain)
{
	struct iox_vtd_domain *d = to_vtd_domain(domain);

	iox_pgtable_destroy(&d->pgt);
	kfree(d);
	module_put(THIS_MODULE);
}

static void iox_vtd_show_pgtable(struct iox_domain *domain, struct seq_file *m)
{
	iox_pgtable_show(&to_vtd_domain(domain)->pgt, m);
}

static int iox_vtd_lookup(struct iox_domain *domain, u64 iova, struct iox_mapping *m)
{
	return iox_pgtable_get_mapping(&to_vtd_domain(domain)->pgt, iova, m);
}

static void iox_vtd_pgtable_info(struct iox_domain *domain, struct iox_pgtable_info *info)
{
	iox_pgtable_get_info(&to_vtd_domain(domain)->pgt, info);
}

static const struct iox_domain_ops iox_vtd_domain_ops = {
	.map_pages = iox_vtd_map_pages,
	.unmap_pages = iox_vtd_unmap_pages,
	.iotlb_sync = iox_vtd_iotlb_sync,
	.iotlb_sync_map = iox_vtd_iotlb_sync_map,
	.flush_iotlb_all = iox_vtd_flush_iotlb_all,
	.iova_to_phys = iox_vtd_iova_to_phys,
	.attach_dev = iox_vtd_attach_dev,
	.detach_dev = iox_vtd_detach_dev,
	.free = iox_vtd_domain_free,
	.show_pgtable = iox_vtd_show_pgtable,
	.lookup = iox_vtd_lookup,
	.pgtable_info = iox_vtd_pgtable_info,
};

/**
 * iox_vtd_domain_alloc() - allocate a domain whose page table a unit walks
 * @unit: the unit
 *
 * The table has as many levels as the unit's widest supported address
 * width.  A live domain holds a reference on this module, so that the
 * module cannot go away under it.
 *
 * Return: the domain, or an ERR_PTR(): -ENODEV for a unit that is not
 * translating, -ENOMEM.
 */
struct iox_domain *iox_vtd_domain_alloc(struct iox_unit *unit)
{
	struct iox_vtd_unit *vtd = to_vtd_unit(unit);
	struct iox_pgtable_cfg cfg = {
		.format = IOX_PGTABLE_VTD_SL,
		.ias = unit->ias,
		.oas = vtd->haw,
		.pgsize_bitmap = unit->pgsize_bitmap,
		.coherent = vtd->caps.coherent,
		.snoop_ctl = vtd->caps.ecap & VTD_ECAP_SC,
	};
	struct iox_vtd_domain *d;
	int ret;

	if (!vtd->enabled)
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
	d->agaw = vtd->agaw;
	d->domain.ops = &iox_vtd_domain_ops;
	return &d->domain;
}
