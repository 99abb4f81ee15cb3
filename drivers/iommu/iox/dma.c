// SPDX-License-Identifier: GPL-2.0
/*
 * iox DMA layer: struct dma_map_ops for devices in iox DMA domains.
 *
 * iox_dma_attach() gives a device a domain of its own with an IOVA
 * allocator, reserves the MSI window and (for PCI) the host bridge's memory
 * windows in it, and installs iox_dma_ops, so that its driver's DMA API
 * calls map through iox.  IOVAs stay below the device's DMA mask (the
 * coherent mask for coherent allocations) and, for PCI devices, come from
 * below 4 GiB while there are some there, as users of the DMA API expect.
 * A buffer keeps its offset into its first page.  Unmaps are strict (the
 * IOTLB invalidation completed when dma_unmap_*() returns, then the IOVA is
 * free) or lazy (the domain's flush queue invalidates later, within its
 * bounds, and only then frees the IOVA).
 *
 * A bus notifier does this for every PCI device behind an iox unit whose
 * driver binds after iox loaded (not for drivers that manage DMA
 * themselves, such as vfio-pci), with the policy the module parameter
 * dma_policy names for the device or else dma_lazy.  When the driver
 * unbinds (or its probe fails) the device goes straight from its domain to
 * the blocked state (isolate.c: a device no driver drives reaches nothing,
 * as in the kernel's blocking domain) and the domain, its IOVA allocator,
 * page tables and flush queue are freed; the next bind gets a new domain.
 * Devices that the unit's registration with the kernel's IOMMU API put in
 * an IOMMU group are not this notifier's business: their group's default
 * domain decides, and iommu_api.c serves DMA-type ones with the same
 * domains, ops, policy and blocking (iox_dma_domain_alloc(),
 * iox_dma_set_ops(), iox_dma_dev_lazy()).
 *
 * The fast path finds the domain in O(1) (iox_device_domain()) and takes
 * no lock of the DMA layer: map and unmap run on every CPU at once.
 */
#define pr_fmt(fmt) "iox: " fmt

#include <linux/device.h>
#include <linux/dma-map-ops.h>
#include <linux/iox.h>
#include <linux/iox-dma.h>
#include <linux/iox-flush-queue.h>
#include <linux/iox-iova.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/scatterlist.h>
#include <linux/string.h>
#include <linux/slab.h>

#include "iox-internal.h"

static bool dma_lazy = IS_ENABLED(CONFIG_IOMMU_DEFAULT_DMA_LAZY);
module_param(dma_lazy, bool, 0644);
MODULE_PARM_DESC(dma_lazy, "DMA domains invalidate lazily through a flush queue (default: the kernel's CONFIG_IOMMU_DEFAULT_DMA_LAZY)");

/*
 * On by default, built in as well: there the backends bring their units up
 * at rootfs_initcall, after PCI enumeration and before PCI drivers register,
 * so every device behind a unit gets its DMA domain before its driver first
 * probes.  iox.dma_attach=0 leaves devices that a driver drives
 * untranslated (pass-through; isolate.c blocks the others).
 */
static bool dma_attach = true;
module_param(dma_attach, bool, 0444);
MODULE_PARM_DESC(dma_attach, "give PCI devices behind iox units a DMA domain when their driver binds (default 1; built in: from boot; 0: pass-through)");

/* "<device>=strict|lazy" entries, comma separated; NULL for none. */
static char *dma_policy;

/*
 * Check a dma_policy string; with @name, set *@policy to what the last
 * entry naming that device says.  Return: 0, or -EINVAL if malformed.
 */
static int policy_parse(const char *s, const char *name, enum iox_dma_policy *policy)
{
	while (s && *s && *s != '\n') {
		const char *end = strchrnul(s, ','), *eq = memchr(s, '=', end - s);
		enum iox_dma_policy p;
		size_t vlen;

		if (!eq || eq == s)
			return -EINVAL;
		vlen = end - eq - 1;
		if (vlen && eq[vlen] == '\n')
			vlen--;
		if (vlen == 6 && !strncmp(eq + 1, "strict", 6))
			p = IOX_DMA_STRICT;
		else if (vlen == 4 && !strncmp(eq + 1, "lazy", 4))
			p = IOX_DMA_LAZY;
		else
			return -EINVAL;
		if (name && strlen(name) == eq - s && !strncmp(s, name, eq - s))
			*policy = p;
		s = *end ? end + 1 : end;
	}
	return 0;
}

static int dma_policy_set(const char *val, const struct kernel_param *kp)
{
	if (policy_parse(val, NULL, NULL)) {
		pr_err("dma_policy: expected <device>=strict|lazy[,...], got '%s'\n", val);
		return -EINVAL;
	}
	return param_set_charp(val, kp);
}

static const struct kernel_param_ops dma_policy_ops = {
	.set = dma_policy_set,
	.get = param_get_charp,
	.free = param_free_charp,
};
module_param_cb(dma_policy, &dma_policy_ops, &dma_policy, 0644);
MODULE_PARM_DESC(dma_policy, "per-device policy over dma_lazy, for DMA domains made after the change: <device>=strict|lazy[,...], e.g. 0000:00:11.0=lazy");

/* The policy dma_policy, or else dma_lazy, gives @dev. */
bool iox_dma_dev_lazy(struct device *dev)
{
	enum iox_dma_policy policy = IOX_DMA_DEFAULT;

	kernel_param_lock(THIS_MODULE);
	policy_parse(dma_policy, dev_name(dev), &policy);
	kernel_param_unlock(THIS_MODULE);
	if (policy == IOX_DMA_DEFAULT)
		return READ_ONCE(dma_lazy);
	return policy == IOX_DMA_LAZY;
}

/* The flush queue's bounds: a value iox_fq_init() would refuse is refused. */
static int fq_entries_set(const char *val, const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 1, IOX_FQ_MAX_ENTRIES);
}

static const struct kernel_param_ops fq_entries_ops = {
	.set = fq_entries_set,
	.get = param_get_uint,
};

static int fq_timeout_set(const char *val, const struct kernel_param *kp)
{
	return param_set_uint_minmax(val, kp, 1, IOX_FQ_MAX_TIMEOUT_MS);
}

static const struct kernel_param_ops fq_timeout_ops = {
	.set = fq_timeout_set,
	.get = param_get_uint,
};

static unsigned int fq_entries = 256;
module_param_cb(fq_entries, &fq_entries_ops, &fq_entries, 0644);
MODULE_PARM_DESC(fq_entries, "lazy DMA domains: unmaps a CPU queues before a flush (1-512)");

static unsigned int fq_timeout_ms = 10;
module_param_cb(fq_timeout_ms, &fq_timeout_ops, &fq_timeout_ms, 0644);
MODULE_PARM_DESC(fq_timeout_ms, "lazy DMA domains: the longest an unmap waits for its flush, ms (1-10000)");

#define IOX_DMA_32BIT_PFN	(DMA_BIT_MASK(32) >> PAGE_SHIFT)

/**
 * struct iox_dma_domain - what the DMA layer keeps for a device's domain
 * @domain: the iox domain the device is attached to
 * @iovad: where its IOVAs come from
 * @prev_ops: the device's DMA ops before iox_dma_attach()
 * @lazy: unmaps go through the domain's flush queue
 * @dma_layer: iox_dma_attach() attached the device (and saved @prev_ops),
 *	so iox_dma_detach() may take it out; false for the IOMMU-API bridge's
 *	DMA domains
 */
struct iox_dma_domain {
	struct iox_domain *domain;
	struct iox_iova_domain iovad;
	const struct dma_map_ops *prev_ops;
	bool lazy;
	bool dma_layer;
};

static struct iox_dma_domain *dev_dma(struct device *dev)
{
	struct iox_domain *domain = iox_device_domain(dev);

	return domain ? READ_ONCE(domain->dma) : NULL;
}

static int dir_prot(enum dma_data_direction dir)
{
	switch (dir) {
	case DMA_BIDIRECTIONAL:
		return IOX_PROT_READ | IOX_PROT_WRITE;
	case DMA_TO_DEVICE:
		return IOX_PROT_READ;
	case DMA_FROM_DEVICE:
		return IOX_PROT_WRITE;
	default:
		return 0;
	}
}

/*
 * @size bytes (page multiple) of IOVA below @mask; PCI devices take them
 * below 4 GiB first.  Return: the IOVA, 0 if there is no room.
 */
static dma_addr_t iova_alloc(struct device *dev, struct iox_dma_domain *dd,
			     size_t size, u64 mask)
{
	unsigned long npages = size >> PAGE_SHIFT, pfn;
	u64 limit = min(mask, READ_ONCE(dd->domain->aperture_end));

	if (dev->bus_dma_limit)
		limit = min(limit, dev->bus_dma_limit);
	if (dev_is_pci(dev) && (limit >> PAGE_SHIFT) > IOX_DMA_32BIT_PFN &&
	    !iox_iova_alloc(&dd->iovad, npages, IOX_DMA_32BIT_PFN, &pfn))
		return (dma_addr_t)pfn << PAGE_SHIFT;
	if (iox_iova_alloc(&dd->iovad, npages, limit >> PAGE_SHIFT, &pfn))
		return 0;
	return (dma_addr_t)pfn << PAGE_SHIFT;
}

/*
 * Unmap [@iova, @iova + @size), both page aligned, and release the
 * allocation @pfn of @npages pages once the unmap is invalidated; with
 * @npages 0, release nothing.  Return: 0; 1 if the unmap stopped short
 * (the allocation is kept: the rest may be mapped); or the errno of a
 * strict invalidation that failed: a device may still reach the memory
 * the range pointed to, and the allocation is kept too.
 */
static int iova_unmap_release(struct iox_dma_domain *dd, dma_addr_t iova, size_t size,
			      unsigned long pfn, unsigned long npages)
{
	ssize_t unmapped;

	if (dd->lazy)
		return iox_unmap_lazy(dd->domain, iova, size, pfn, npages) != size;
	/*
	 * Never reuse the range after a failed invalidation (still reachable)
	 * or an unmap that stopped short, as a repeated or wrongly sized
	 * dma_unmap_*() does: the rest may be mapped, or freed already.
	 */
	unmapped = iox_unmap(dd->domain, iova, size);
	if (unlikely(unmapped != size)) {
		pr_warn_ratelimited("domain %d: DMA unmap of %#llx+%#zx unmapped %zd: IOVAs kept\n",
				    dd->domain->id, (u64)iova, size, unmapped);
		return unmapped < 0 ? unmapped : 1;
	}
	if (npages)
		iox_iova_free(&dd->iovad, pfn, npages);
	return 0;
}

/*
 * Unmap and release [@iova, @iova + @size), both page aligned.  Return: 0,
 * or the errno of a strict invalidation that failed: a device may still
 * reach the memory the range pointed to.
 */
static int iova_unmap(struct iox_dma_domain *dd, dma_addr_t iova, size_t size)
{
	return min(iova_unmap_release(dd, iova, size, iova >> PAGE_SHIFT, size >> PAGE_SHIFT),
		   0);
}

static dma_addr_t map_phys(struct device *dev, phys_addr_t phys, size_t size,
			   int prot, u64 mask)
{
	struct iox_dma_domain *dd = dev_dma(dev);
	size_t off = offset_in_page(phys), len;
	dma_addr_t iova;

	if (!dd || !size || !prot)
		return DMA_MAPPING_ERROR;
	len = PAGE_ALIGN(size + off);
	/* A size that wraps with the offset, or in the rounding, is refused. */
	if (len < size)
		return DMA_MAPPING_ERROR;
	iova = iova_alloc(dev, dd, len, mask);
	if (!iova)
		return DMA_MAPPING_ERROR;
	if (iox_map(dd->domain, iova, phys - off, len, prot, GFP_ATOMIC)) {
		iox_iova_free(&dd->iovad, iova >> PAGE_SHIFT, len >> PAGE_SHIFT);
		return DMA_MAPPING_ERROR;
	}
	return iova + off;
}

/* Return: as iova_unmap(); 0 for a device in no DMA domain or no size. */
static int unmap_addr(struct device *dev, dma_addr_t addr, size_t size)
{
	struct iox_dma_domain *dd = dev_dma(dev);
	size_t off = offset_in_page(addr), len = PAGE_ALIGN(size + off);

	/* A size that wraps with the offset, as map_phys() refuses. */
	if (!dd || !size || len < size)
		return 0;
	return iova_unmap(dd, addr - off, len);
}

static dma_addr_t iox_dma_map_page(struct device *dev, struct page *page,
				   unsigned long offset, size_t size,
				   enum dma_data_direction dir,
				   unsigned long attrs)
{
	return map_phys(dev, page_to_phys(page) + offset, size, dir_prot(dir),
			dma_get_mask(dev));
}

static void iox_dma_unmap_page(struct device *dev, dma_addr_t addr,
			       size_t size, enum dma_data_direction dir,
			       unsigned long attrs)
{
	unmap_addr(dev, addr, size);
}

static dma_addr_t iox_dma_map_resource(struct device *dev, phys_addr_t phys,
				       size_t size, enum dma_data_direction dir,
				       unsigned long attrs)
{
	return map_phys(dev, phys, size, dir_prot(dir), dma_get_mask(dev));
}

/*
 * The pages an entry touches: their physical address, with the entry's
 * offset into the first in *@off and their length in *@span.
 */
static inline phys_addr_t sg_pages(struct scatterlist *s, size_t *off, size_t *span)
{
	phys_addr_t pa = sg_phys(s);

	*off = offset_in_page(pa);
	*span = PAGE_ALIGN(s->length + *off);
	return pa - *off;
}

/**
 * struct sg_layout - where map_sg puts a list's entries in its IOVA range
 * @boundary: the device's segment boundary mask
 * @max_seg: the device's largest segment
 * @pos: offset of the next free page from the start of the range
 * @seg: offset of the current DMA segment
 * @seg_len: its length
 * @count: segments so far
 * @pads: segments moved up to the next boundary (leaving pages unmapped)
 *
 * Offsets from the start of the range stand for addresses: the range is
 * aligned to its size rounded up to a power of two, so it either starts on
 * a segment boundary or lies between two, and the same entries cross a
 * boundary at the same offsets wherever it is allocated.
 */
struct sg_layout {
	unsigned long boundary;
	unsigned int max_seg;
	size_t pos;
	size_t seg;
	size_t seg_len;
	int count;
	int pads;
};

static void sg_layout_init(struct sg_layout *l, struct device *dev)
{
	*l = (struct sg_layout){
		.boundary = dma_get_seg_boundary(dev),
		.max_seg = dma_get_max_seg_size(dev),
	};
}

/* A layout with @l's device limits and nothing placed, to place again. */
static __always_inline struct sg_layout sg_layout_again(const struct sg_layout *l)
{
	return (struct sg_layout){ .boundary = l->boundary, .max_seg = l->max_seg };
}

static __always_inline bool sg_crosses(const struct sg_layout *l, size_t at, size_t len)
{
	return (at ^ (at + len - 1)) & ~(u64)l->boundary;
}

/*
 * Place an entry of @len bytes, @off into the first of its @span bytes of
 * pages.  It continues the current segment if it starts a page right
 * where that segment ended one, within the device's segment size and
 * boundary; otherwise it starts a new segment, moved up to the next
 * segment boundary first (pages left unmapped) if it would cross one
 * where it is and fits between two.  Return: true if it continues the
 * segment; the entry's pages start at @l->pos less @span.
 */
static __always_inline bool sg_place(struct sg_layout *l, size_t off, size_t span, size_t len)
{
	size_t at = l->pos + off;

	if (l->count && !off && l->seg + l->seg_len == at && l->seg_len + len <= l->max_seg &&
	    !sg_crosses(l, l->seg, l->seg_len + len)) {
		l->seg_len += len;
		l->pos += span;
		return true;
	}
	if (sg_crosses(l, at, len) && l->boundary >= PAGE_SIZE - 1 &&
	    off + len - 1 <= l->boundary) {
		l->pos = ALIGN(l->pos, (size_t)l->boundary + 1);
		at = l->pos + off;
		l->pads++;
	}
	l->seg = at;
	l->seg_len = len;
	l->count++;
	l->pos += span;
	return false;
}

/*
 * The entries' layout where a range of @l->pos bytes could cross a segment
 * boundary: sg_place() for each, which may leave gaps.  Return: 0, or
 * -EOVERFLOW for a list whose range wraps.
 */
static int sg_lay_out(struct sg_layout *l, struct scatterlist *sgl, int nents)
{
	struct scatterlist *s;
	size_t off, span, prev;
	int i;

	*l = sg_layout_again(l);
	for (i = 0, s = sgl; i < nents; i++, s = iox_sg_next(s)) {
		sg_pages(s, &off, &span);
		prev = l->pos;
		sg_place(l, off, span, s->length);
		if (l->pos <= prev)
			return -EOVERFLOW;
	}
	return 0;
}

/*
 * Check the entries as iox_map_sg() would, widened to the pages they
 * touch, and lay them out (@l): the IOVA space they need is @l->pos.
 * Return: 0, or -EINVAL for an empty entry or one the domain's smallest
 * page does not fit, -EOVERFLOW for one that wraps or a list too long.
 */
static int sg_check(struct iox_domain *domain, struct scatterlist *sgl,
		    int nents, struct sg_layout *l)
{
	unsigned long bitmap = READ_ONCE(domain->pgsize_bitmap);
	unsigned long align = (bitmap & -bitmap) - 1;
	struct scatterlist *s;
	size_t off, span, total = 0;
	phys_addr_t pa;
	int i;

	if (!bitmap)
		return -EINVAL;
	for (i = 0, s = sgl; i < nents; i++, s = iox_sg_next(s)) {
		pa = sg_pages(s, &off, &span);
		if (!s->length || ((pa | span) & align))
			return -EINVAL;
		if (pa + (span - 1) < pa || total + span < total)
			return -EOVERFLOW;
		total += span;
	}
	l->pos = total;
	/*
	 * The range is aligned to its size rounded up to a power of two: one
	 * no larger than a boundary's window lies inside one, and no segment
	 * can cross a boundary (the usual case, with nothing to lay out).
	 */
	if (total - 1 <= l->boundary)
		return 0;
	return sg_lay_out(l, sgl, nents);
}

/* Fill in the DMA segment of an entry placed at @iova + the layout's end. */
static __always_inline void sg_fill(struct sg_layout *l, struct scatterlist **seg,
				    struct scatterlist *s, bool merged, dma_addr_t iova)
{
	/* No segment, unless @seg gets this far (only to entries seen). */
	sg_dma_len(s) = 0;
	if (merged) {
		sg_dma_len(*seg) = l->seg_len;
		return;
	}
	if (l->count > 1)
		*seg = iox_sg_next(*seg);
	sg_dma_address(*seg) = iova + l->seg;
	sg_dma_len(*seg) = l->seg_len;
}

/*
 * Map the entries, widened to whole pages, with @prot at consecutive
 * IOVAs from @iova on as sg_check() laid them out (@layout, @layout->pos
 * bytes), and fill in the DMA segments in the same walk; the entries after
 * the last segment get length 0.  Return: the number of segments, or a
 * negative errno with nothing mapped.
 */
static __always_inline int sg_map(struct iox_domain *domain, dma_addr_t iova,
				  const struct sg_layout *layout, int prot,
				  struct scatterlist *sgl, int nents)
{
	struct iox_map_batch b = IOX_MAP_BATCH(iova, layout->pos, prot, GFP_ATOMIC);
	struct sg_layout l = sg_layout_again(layout);
	struct scatterlist *s, *seg = sgl;
	int i, ret;

	ret = iox_map_batch_check(domain, &b);
	if (ret)
		return ret;
	for (i = 0, s = sgl; i < nents; i++, s = iox_sg_next(s)) {
		size_t off, span;
		phys_addr_t pa = sg_pages(s, &off, &span);

		ret = iox_map_batch_add(domain, &b, pa, span);
		if (ret) {
			iox_map_batch_abort(domain, &b);
			return ret;
		}
		sg_fill(&l, &seg, s, sg_place(&l, off, span, s->length), iova);
	}
	ret = iox_map_batch_end(domain, &b);
	return ret ? ret : l.count;
}

/*
 * sg_map() for a list laid out with pages left unmapped before segments
 * that would have crossed a boundary: one iox_map() per entry.  Return: as
 * sg_map(), with *@keep set if what it mapped could not be removed again
 * (the IOVA range must then not be reused).
 */
static int sg_map_padded(struct iox_dma_domain *dd, dma_addr_t iova,
			 const struct sg_layout *layout, int prot, struct scatterlist *sgl,
			 int nents, bool *keep)
{
	struct sg_layout l = sg_layout_again(layout);
	struct scatterlist *s, *seg = sgl;
	int i, ret = 0;

	for (i = 0, s = sgl; i < nents; i++, s = iox_sg_next(s)) {
		size_t off, span;
		phys_addr_t pa = sg_pages(s, &off, &span);
		bool merged = sg_place(&l, off, span, s->length);

		ret = iox_map(dd->domain, iova + l.pos - span, pa, span, prot, GFP_ATOMIC);
		if (ret)
			break;
		sg_fill(&l, &seg, s, merged, iova);
	}
	if (!ret)
		return l.count;
	/* Take out what the entries before this one mapped. */
	nents = i;
	l = sg_layout_again(layout);
	for (i = 0, s = sgl; i < nents; i++, s = iox_sg_next(s)) {
		size_t off, span;

		sg_pages(s, &off, &span);
		sg_place(&l, off, span, s->length);
		if (iox_unmap(dd->domain, iova + l.pos - span, span) != span)
			*keep = true;
	}
	return ret;
}

/*
 * Two walks of the list: sg_check() lays it out and sizes its IOVA range,
 * sg_map() maps it and fills in the segments.  The entries' own fields are
 * only read.
 */
static int iox_dma_map_sg(struct device *dev, struct scatterlist *sgl,
			  int nents, enum dma_data_direction dir,
			  unsigned long attrs)
{
	struct iox_dma_domain *dd = dev_dma(dev);
	int prot = dir_prot(dir), ret;
	struct sg_layout l;
	bool keep = false;
	dma_addr_t iova;

	if (!dd || !prot || nents <= 0)
		return -EINVAL;
	sg_layout_init(&l, dev);
	ret = sg_check(dd->domain, sgl, nents, &l);
	if (ret)
		return ret == -EINVAL ? ret : -EIO;
	iova = iova_alloc(dev, dd, l.pos, dma_get_mask(dev));
	if (!iova)
		return -ENOMEM;
	if (unlikely(l.pads))
		ret = sg_map_padded(dd, iova, &l, prot, sgl, nents, &keep);
	else
		ret = sg_map(dd->domain, iova, &l, prot, sgl, nents);
	if (ret < 0) {
		/* Mapped and not removed again: a device may reach it still. */
		if (!keep)
			iox_iova_free(&dd->iovad, iova >> PAGE_SHIFT, l.pos >> PAGE_SHIFT);
		return ret == -ENOMEM || ret == -EINVAL ? ret : -EIO;
	}
	return ret;
}

/*
 * The IOVA range of a mapped list runs from its first segment's page to
 * the end of its last; the segments' pages are mapped, and pages left
 * unmapped before a segment moved up to a boundary are not: each run of
 * mapped pages is unmapped on its own, and the range released with the
 * last, unless an unmap failed.
 */
static void iox_dma_unmap_sg(struct device *dev, struct scatterlist *sgl,
			     int nents, enum dma_data_direction dir,
			     unsigned long attrs)
{
	struct iox_dma_domain *dd = dev_dma(dev);
	dma_addr_t start = sg_dma_address(sgl) & PAGE_MASK, run = start, end = start;
	struct scatterlist *s;
	bool keep = false;
	int i;

	if (!dd)
		return;
	for (i = 0, s = sgl; i < nents; i++, s = iox_sg_next(s)) {
		dma_addr_t first = sg_dma_address(s) & PAGE_MASK;

		if (!sg_dma_len(s))
			break;
		if (first != end) {
			keep |= !!iova_unmap_release(dd, run, end - run, 0, 0);
			run = first;
		}
		end = PAGE_ALIGN(sg_dma_address(s) + sg_dma_len(s));
	}
	if (end > run)
		iova_unmap_release(dd, run, end - run, start >> PAGE_SHIFT,
				   keep ? 0 : (end - start) >> PAGE_SHIFT);
}

static void *iox_dma_alloc(struct device *dev, size_t size,
			   dma_addr_t *handle, gfp_t gfp, unsigned long attrs)
{
	unsigned int order = get_order(size);
	struct page *page;

	/*
	 * The IOMMU translates: the memory may be anywhere, above 4 GiB too.
	 * Not compound, so that keep_buffer() can split it.
	 */
	gfp &= ~(__GFP_DMA | __GFP_DMA32 | __GFP_HIGHMEM | __GFP_COMP);
	page = iox_should_fail_alloc() ? NULL : alloc_pages(gfp | __GFP_ZERO | __GFP_NOWARN, order);
	if (!page)
		return NULL;
	*handle = map_phys(dev, page_to_phys(page), PAGE_ALIGN(size),
			   IOX_PROT_READ | IOX_PROT_WRITE,
			   dev->coherent_dma_mask);
	if (*handle == DMA_MAPPING_ERROR) {
		__free_pages(page, order);
		return NULL;
	}
	return page_address(page);
}

/*
 * The strict unmap of a coherent buffer was not invalidated: the device
 * may still reach the buffer.  Its pages join the page-table pages the
 * domain keeps after failed invalidations (kept_pages in debugfs), never
 * reused, until a domain-wide flush succeeds or the domain is freed.
 */
static void keep_buffer(struct device *dev, struct page *page, unsigned int order, int err)
{
	struct iox_dma_domain *dd = dev_dma(dev);
	unsigned long i;
	LIST_HEAD(pages);

	split_page(page, order);
	for (i = 0; i < 1UL << order; i++)
		list_add_tail(&page[i].lru, &pages);
	iox_domain_keep_pages(dd->domain, &pages);
	dev_warn_ratelimited(dev, "iox: coherent buffer not invalidated (%d): %lu pages kept\n",
			     err, 1UL << order);
}

static void iox_dma_free(struct device *dev, size_t size, void *cpu_addr,
			 dma_addr_t handle, unsigned long attrs)
{
	struct page *page = virt_to_page(cpu_addr);
	unsigned int order = get_order(size);
	int ret = unmap_addr(dev, handle, PAGE_ALIGN(size));

	if (unlikely(ret))
		keep_buffer(dev, page, order, ret);
	else
		__free_pages(page, order);
}

static int iox_dma_get_sgtable(struct device *dev, struct sg_table *sgt,
			       void *cpu_addr, dma_addr_t handle, size_t size,
			       unsigned long attrs)
{
	int ret = sg_alloc_table(sgt, 1, GFP_KERNEL);

	if (!ret)
		sg_set_page(sgt->sgl, virt_to_page(cpu_addr), PAGE_ALIGN(size), 0);
	return ret;
}

static int iox_dma_mmap(struct device *dev, struct vm_area_struct *vma,
			void *cpu_addr, dma_addr_t handle, size_t size,
			unsigned long attrs)
{
	unsigned long nr = PAGE_ALIGN(size) >> PAGE_SHIFT;
	unsigned long pfn = page_to_pfn(virt_to_page(cpu_addr));

	if (vma->vm_pgoff >= nr || vma_pages(vma) > nr - vma->vm_pgoff)
		return -ENXIO;
	return remap_pfn_range(vma, vma->vm_start, pfn + vma->vm_pgoff,
			       vma->vm_end - vma->vm_start, vma->vm_page_prot);
}

/* Any mask that leaves IOVA room below it (16 MiB) works. */
static int iox_dma_supported(struct device *dev, u64 mask)
{
	return mask >= DMA_BIT_MASK(24);
}

/* IOVAs below 4 GiB reach all memory. */
static u64 iox_dma_get_required_mask(struct device *dev)
{
	return DMA_BIT_MASK(32);
}

static size_t iox_dma_max_mapping_size(struct device *dev)
{
	return SIZE_MAX;
}

static const struct dma_map_ops iox_dma_ops = {
	.map_page = iox_dma_map_page,
	.unmap_page = iox_dma_unmap_page,
	.map_sg = iox_dma_map_sg,
	.unmap_sg = iox_dma_unmap_sg,
	.map_resource = iox_dma_map_resource,
	.unmap_resource = iox_dma_unmap_page,
	.alloc = iox_dma_alloc,
	.free = iox_dma_free,
	.get_sgtable = iox_dma_get_sgtable,
	.mmap = iox_dma_mmap,
	.dma_supported = iox_dma_supported,
	.get_required_mask = iox_dma_get_required_mask,
	.max_mapping_size = iox_dma_max_mapping_size,
};

/* The memory windows of a PCI device's host bridge, as bus addresses. */
static int reserve_bridge_windows(struct device *dev, struct iox_iova_domain *iovad)
{
	struct resource_entry *window;
	struct pci_host_bridge *bridge;
	int ret;

	if (!dev_is_pci(dev))
		return 0;
	bridge = pci_find_host_bridge(to_pci_dev(dev)->bus);
	resource_list_for_each_entry(window, &bridge->windows) {
		u64 lo, hi;

		if (resource_type(window->res) != IORESOURCE_MEM)
			continue;
		lo = window->res->start - window->offset;
		hi = window->res->end - window->offset;
		ret = iox_iova_reserve(iovad, lo >> PAGE_SHIFT, hi >> PAGE_SHIFT);
		if (ret)
			return ret;
	}
	return 0;
}

static int dma_domain_init(struct device *dev, struct iox_dma_domain *dd,
			   bool lazy)
{
	int ret;

	ret = iox_iova_domain_init(&dd->iovad, PAGE_SIZE, 1,
				   dd->domain->aperture_end >> PAGE_SHIFT,
				   dev_name(dev));
	if (ret)
		return ret;
	ret = iox_iova_reserve(&dd->iovad, IOX_DMA_MSI_START >> PAGE_SHIFT,
			       IOX_DMA_MSI_END >> PAGE_SHIFT);
	if (!ret)
		ret = reserve_bridge_windows(dev, &dd->iovad);
	if (!ret && lazy) {
		ret = iox_domain_enable_lazy(dd->domain, &dd->iovad, fq_entries,
					     fq_timeout_ms);
		dd->lazy = !ret;
		if (ret == -EOPNOTSUPP)
			ret = 0;	/* a unit that cannot defer: strict */
	}
	if (ret)
		iox_iova_domain_destroy(&dd->iovad);
	return ret;
}

/**
 * iox_dma_domain_alloc() - an iox DMA domain for a device, not attached
 * @dev: the device, behind an iox unit
 * @lazy: its unmaps are to be invalidated lazily (strict where the unit
 *	cannot defer)
 *
 * The domain has an IOVA allocator with the MSI window and @dev's host
 * bridge windows reserved.
 *
 * Return: the domain; ERR_PTR(-ENODEV) if no iox unit serves @dev,
 * -ENOMEM, or the backend's error.
 */
struct iox_domain *iox_dma_domain_alloc(struct device *dev, bool lazy)
{
	struct iox_unit *unit = iox_unit_for_device(dev);
	struct iox_dma_domain *dd;
	struct iox_domain *domain;
	int ret;

	if (!unit)
		return ERR_PTR(-ENODEV);
	dd = iox_should_fail_alloc() ? NULL : kzalloc(sizeof(*dd), GFP_KERNEL);
	domain = dd ? iox_domain_alloc(unit) : ERR_PTR(-ENOMEM);
	/* A live domain pins the unit's backend by itself. */
	iox_unit_put(unit);
	if (IS_ERR(domain)) {
		kfree(dd);
		return domain;
	}
	dd->domain = domain;
	ret = dma_domain_init(dev, dd, lazy);
	if (ret) {
		iox_domain_free(domain);
		kfree(dd);
		return ERR_PTR(ret);
	}
	WRITE_ONCE(domain->dma, dd);
	return domain;
}
EXPORT_SYMBOL_NS_GPL(iox_dma_domain_alloc, IOX_TEST);

/**
 * iox_dma_domain_free() - free a domain of iox_dma_domain_alloc()
 * @domain: the domain, no device attached
 *
 * Lazy unmaps still queued are flushed; the domain and its IOVAs go, with
 * any mapping left in it (counted in a warning).  A domain iox_domain_free()
 * keeps (a unit may still walk it) keeps its IOVAs too.
 */
void iox_dma_domain_free(struct iox_domain *domain)
{
	struct iox_dma_domain *dd = domain->dma;
	int id = domain->id;

	/* Kept for good (a unit may still walk it): so are its IOVAs. */
	if (iox_domain_free(domain))
		return;
	/* What a buggy driver left mapped goes with the domain: say so, once. */
	iox_iova_set_quiet_leaks(&dd->iovad, true);
	iox_iova_domain_destroy(&dd->iovad);
	if (dd->iovad.leaked)
		pr_warn("DMA domain %d: %lu mappings left at detach, freed with the domain\n",
			id, dd->iovad.leaked);
	kfree(dd);
}
EXPORT_SYMBOL_NS_GPL(iox_dma_domain_free, IOX_TEST);

/**
 * iox_dma_domain_map_direct() - map a region 1:1 in a DMA domain
 * @domain: a domain of iox_dma_domain_alloc()
 * @start: first byte, page aligned
 * @last: last byte, the end of a page
 *
 * For memory firmware DMAs to behind the driver's back (VT-d RMRR): the
 * IOVAs are reserved, so the DMA API never hands them out, and mapped
 * read-write to the same physical addresses.
 *
 * Return: 0; -EINVAL for a misaligned or empty region; the reservation's
 * error (-EBUSY if DMA IOVAs are handed out there already, -ENOMEM); or
 * iox_map()'s error (-ERANGE beyond the aperture).  The reservation may
 * stay on failure; the domain is to be freed then.
 */
int iox_dma_domain_map_direct(struct iox_domain *domain, u64 start, u64 last)
{
	struct iox_dma_domain *dd = domain->dma;
	int ret;

	if (!PAGE_ALIGNED(start) || !PAGE_ALIGNED(last + 1) || last <= start)
		return -EINVAL;
	ret = iox_iova_reserve(&dd->iovad, start >> PAGE_SHIFT, last >> PAGE_SHIFT);
	if (ret)
		return ret;
	return iox_map(domain, start, start, last - start + 1, IOX_PROT_READ | IOX_PROT_WRITE,
		       GFP_KERNEL);
}
EXPORT_SYMBOL_NS_GPL(iox_dma_domain_map_direct, IOX_TEST);

/**
 * iox_dma_set_ops() - make a device's DMA API calls go to iox
 * @dev: the device; its calls fail until it is attached to a DMA domain
 */
void iox_dma_set_ops(struct device *dev)
{
	set_dma_ops(dev, &iox_dma_ops);
}
EXPORT_SYMBOL_NS_GPL(iox_dma_set_ops, IOX_TEST);

/**
 * iox_dma_clear_ops() - give a device the kernel's direct DMA back
 * @dev: the device; nothing changes unless its DMA ops are iox's
 */
void iox_dma_clear_ops(struct device *dev)
{
	if (get_dma_ops(dev) == &iox_dma_ops)
		set_dma_ops(dev, NULL);
}
EXPORT_SYMBOL_NS_GPL(iox_dma_clear_ops, IOX_TEST);

/* Whether devices get DMA domains when their driver binds (dma_attach). */
bool iox_dma_enabled(void)
{
	return dma_attach;
}

/**
 * iox_dma_attach() - make a device's DMA API calls go through iox
 * @dev: the device, behind an iox unit, with no driver bound
 * @policy: strict or lazy invalidation of its unmaps; IOX_DMA_DEFAULT: what
 *	the module parameter dma_policy names for @dev, else dma_lazy
 *
 * The device gets a DMA domain of its own and iox's dma_map_ops.  Lazy
 * falls back to strict where a unit cannot defer invalidation.
 *
 * Return: 0; -ENODEV if no iox unit serves @dev; -EBUSY if it is attached
 * to a domain already; -ENOMEM; or the backend's attach error.  On failure
 * nothing changed.
 */
int iox_dma_attach(struct device *dev, enum iox_dma_policy policy)
{
	struct iox_domain *domain;
	bool lazy;
	int ret;

	lazy = policy == IOX_DMA_DEFAULT ? iox_dma_dev_lazy(dev) : policy == IOX_DMA_LAZY;
	domain = iox_dma_domain_alloc(dev, lazy);
	if (IS_ERR(domain))
		return PTR_ERR(domain);
	ret = iox_attach_device(domain, dev);
	if (ret) {
		iox_dma_domain_free(domain);
		return ret;
	}
	domain->dma->prev_ops = get_dma_ops(dev);
	domain->dma->dma_layer = true;
	set_dma_ops(dev, &iox_dma_ops);
	dev_info(dev, "iox: DMA domain %d, %s\n", domain->id,
		 domain->dma->lazy ? "lazy" : "strict");
	return 0;
}
EXPORT_SYMBOL_GPL(iox_dma_attach);

/**
 * iox_dma_detach() - take a device out of its iox DMA domain
 * @dev: the device; its driver has no DMA mappings left (it is unbound)
 *
 * Lazy unmaps still queued are flushed; the domain and its IOVAs go, with
 * any mapping the driver left (counted in a warning).  The device gets
 * back the DMA ops it had before iox_dma_attach(), and the state of a
 * device in no domain that iox_device_blocked() says: blocked (no driver,
 * or one that manages DMA itself), else pass-through.
 *
 * Return: 0, -ENODEV if @dev is not in an iox DMA domain, -EBUSY if its
 * DMA domain is not one of iox_dma_attach() (a DMA default domain of the
 * IOMMU-API bridge, iommu_api.c: the IOMMU core detaches it), or the errno
 * of a detach the backend could not complete (-ETIMEDOUT, -EIO): the
 * device then stays in its domain, which may still be reachable, with
 * iox's dma_map_ops; the detach may be retried.  Only 0 changes anything.
 */
int iox_dma_detach(struct device *dev)
{
	struct iox_dma_domain *dd = dev_dma(dev);
	struct iox_domain *domain;
	int ret;

	if (!dd)
		return -ENODEV;
	if (!dd->dma_layer)
		return -EBUSY;
	domain = dd->domain;
	ret = iox_detach_device(domain, dev);
	if (ret)
		return ret;
	set_dma_ops(dev, dd->prev_ops);
	iox_dma_domain_free(domain);
	return 0;
}
EXPORT_SYMBOL_GPL(iox_dma_detach);

/**
 * iox_dma_is_lazy() - whether a device's DMA unmaps are invalidated lazily
 * @dev: the device
 *
 * Return: true for a device in a lazy iox DMA domain.
 */
bool iox_dma_is_lazy(struct device *dev)
{
	struct iox_dma_domain *dd = dev_dma(dev);

	return dd && dd->lazy;
}
EXPORT_SYMBOL_GPL(iox_dma_is_lazy);

/* Whether a unit serves @dev; the lookup's reference is dropped at once. */
static bool iox_dma_served(struct device *dev)
{
	struct iox_unit *unit = iox_unit_for_device(dev);

	if (unit)
		iox_unit_put(unit);
	return unit;
}

/*
 * A driver binds (the device lock is held): a driver that uses the DMA API
 * gets a DMA domain before it probes; one that does not (vfio-pci) finds
 * the device blocked (isolate.c).
 */
static void iox_dma_bind(struct device *dev)
{
	int ret;

	if (iox_device_domain(dev) || iox_iommu_owns(dev) || !iox_dma_driver_uses_api(dev) ||
	    !iox_dma_served(dev))
		return;
	ret = iox_dma_attach(dev, IOX_DMA_DEFAULT);
	if (ret)
		dev_warn(dev, "iox: no DMA domain (%d): DMA not translated\n", ret);
}

/*
 * The driver is gone, or its probe failed: the device leaves its DMA
 * domain for the blocked state (a device without a driver is blocked), in
 * one step, and the domain with its IOVAs, page tables and flush queue is
 * freed.  Nothing the driver mapped is reachable any more; a new bind gets
 * a new domain.
 */
static void iox_dma_unbind(struct device *dev)
{
	int ret;

	if (iox_iommu_owns(dev) || !dev_dma(dev))
		return;
	ret = iox_dma_detach(dev);
	if (ret)
		dev_err(dev, "iox: DMA domain kept after unbind (%d)\n", ret);
}

static int iox_dma_bus_notify(struct notifier_block *nb, unsigned long action,
			      void *data)
{
	struct device *dev = data;

	switch (action) {
	case BUS_NOTIFY_BIND_DRIVER:	/* before the driver probes */
		iox_dma_bind(dev);
		break;
	case BUS_NOTIFY_UNBOUND_DRIVER:		/* the driver is gone */
		iox_dma_unbind(dev);
		break;
	case BUS_NOTIFY_DRIVER_NOT_BOUND:	/* its probe failed */
		iox_probe_failed_call(dev, iox_dma_unbind);
		break;
	}
	return NOTIFY_DONE;
}

static struct notifier_block iox_dma_nb = {
	.notifier_call = iox_dma_bus_notify,
};

/* Called at iox load: watch PCI drivers bind if asked to (dma_attach). */
void iox_dma_init(void)
{
	if (IS_ENABLED(CONFIG_PCI) && dma_attach &&
	    bus_register_notifier(&pci_bus_type, &iox_dma_nb))
		pr_warn("no bus notifier: devices get no DMA domain when their driver binds\n");
}

/* Called at iox unload, when no unit (so no DMA domain) is left. */
void iox_dma_exit(void)
{
	if (IS_ENABLED(CONFIG_PCI) && dma_attach)
		bus_unregister_notifier(&pci_bus_type, &iox_dma_nb);
}
