/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Declarations shared between the files of the iox core module.
 */
#ifndef _IOX_INTERNAL_H
#define _IOX_INTERNAL_H

#include <linux/compiler.h>
#include <linux/debugfs.h>
#include <linux/err.h>
#include <linux/kconfig.h>
#include <linux/scatterlist.h>
#include <linux/seq_file.h>

#include "iox-debugfs.h"

struct dentry;
struct device;
struct iox_domain;
struct iox_unit;
struct iox_unit_ops;
struct list_head;

/**
 * struct iox_test_hook - a function tests run at a point of an operation
 * @fn: called with @data; NULL: none
 * @data: passed to @fn
 *
 * Set with iox_test_hook_set() while the operation does not run.
 */
struct iox_test_hook {
	void (*fn)(void *data);
	void *data;
};

static inline void iox_test_hook_set(struct iox_test_hook *hook, void (*fn)(void *data),
				     void *data)
{
	hook->data = data;
	WRITE_ONCE(hook->fn, fn);
}

static inline void iox_test_hook_run(struct iox_test_hook *hook)
{
	void (*fn)(void *data) = READ_ONCE(hook->fn);

	if (fn)
		fn(hook->data);
}

void iox_debugfs_init(void);
void iox_debugfs_exit(void);
void iox_debugfs_add_unit(struct iox_unit *unit);
void iox_debugfs_remove_unit(struct iox_unit *unit);
void iox_debugfs_add_domain(struct iox_domain *domain);
void iox_debugfs_remove_domain(struct iox_domain *domain);
void iox_isolate_init(void);
void iox_isolate_exit(void);
void iox_isolate_show(struct iox_unit *unit, struct seq_file *m);
void iox_isolate_settle(const struct iox_unit_ops *ops);
bool iox_dma_driver_uses_api(struct device *dev);
void iox_probe_failed_call(struct device *dev, void (*fn)(struct device *dev));
void iox_domain_units_destroy(struct iox_domain *domain);

/* The bridge to the kernel's IOMMU API (iommu_api.c, CONFIG_IOX_IOMMU_API). */
#ifdef CONFIG_IOX_IOMMU_API
void iox_iommu_init(void);
void iox_iommu_exit(void);
int iox_iommu_add_unit(struct iox_unit *unit);
void iox_iommu_remove_unit(struct iox_unit *unit);
bool iox_iommu_owns(struct device *dev);
#else
static inline void iox_iommu_init(void) { }
static inline void iox_iommu_exit(void) { }

static inline int iox_iommu_add_unit(struct iox_unit *unit)
{
	return 0;
}

static inline void iox_iommu_remove_unit(struct iox_unit *unit)
{
}

static inline bool iox_iommu_owns(struct device *dev)
{
	return false;
}
#endif

#ifdef CONFIG_IOX_FAULT_INJECTION
void iox_fault_inject_init(struct dentry *root);
#else
static inline void iox_fault_inject_init(struct dentry *root)
{
}
#endif

unsigned long iox_domain_keep_pages(struct iox_domain *domain, struct list_head *freelist);

/*
 * sg_next(), inline: the scatterlist paths walk every list more than once
 * and an out-of-line call per entry shows in their cost.
 */
static inline struct scatterlist *iox_sg_next(struct scatterlist *sg)
{
	if (sg_is_last(sg))
		return NULL;
	sg++;
	if (unlikely(sg_is_chain(sg)))
		sg = sg_chain_ptr(sg);
	return sg;
}

/**
 * struct iox_map_batch - chunks being mapped at consecutive IOVAs (map.c)
 * @iova: first IOVA of the range
 * @size: length of the range
 * @mapped: bytes mapped from @iova on
 * @chunk_pa: physical address of the chunk not yet mapped
 * @chunk_len: its length (0: none)
 * @first_pa: physical address of the first chunk
 * @pgsizes: page sizes used
 * @prot: IOX_PROT_* flags
 * @gfp: allocation flags for page-table pages
 *
 * For the DMA layer, which checks a scatterlist in one walk and maps it in
 * a second one: iox_map_sg() without its own checks of each entry.  Adding
 * a chunk that merges with the pending one costs no call.
 */
struct iox_map_batch {
	u64 iova;
	size_t size;
	size_t mapped;
	phys_addr_t chunk_pa;
	size_t chunk_len;
	phys_addr_t first_pa;
	unsigned long pgsizes;
	int prot;
	gfp_t gfp;
};

/*
 * IOX_MAP_BATCH() - a batch that fills [@i, @i + @s) with @p, page-table
 * pages allocated with @g: the initialiser of its declaration (so that the
 * compiler does not also clear it first, see IOX_IOTLB_GATHER()), then
 * iox_map_batch_check().
 */
#define IOX_MAP_BATCH(i, s, p, g) { .iova = (i), .size = (s), .prot = (p), .gfp = (g) }

int iox_map_batch_check(struct iox_domain *domain, const struct iox_map_batch *b);
int iox_map_batch_start_chunk(struct iox_domain *domain, struct iox_map_batch *b,
			      phys_addr_t paddr, size_t size);
int iox_map_batch_end(struct iox_domain *domain, struct iox_map_batch *b);
void iox_map_batch_abort(struct iox_domain *domain, struct iox_map_batch *b);

/**
 * iox_map_batch_add() - add a chunk to a batch
 * @domain: the domain
 * @b: the batch
 * @paddr: physical address of the chunk
 * @size: its length
 *
 * A chunk that continues the previous one physically is merged with it, so
 * that the two can use larger pages; otherwise the previous one is mapped.
 *
 * Return: 0, or a negative errno; then iox_map_batch_abort() must follow.
 */
static inline int iox_map_batch_add(struct iox_domain *domain, struct iox_map_batch *b,
				    phys_addr_t paddr, size_t size)
{
	if (b->chunk_len && paddr == b->chunk_pa + b->chunk_len) {
		b->chunk_len += size;
		return 0;
	}
	return iox_map_batch_start_chunk(domain, b, paddr, size);
}

/* Tests only (CONFIG_IOX_KUNIT_TEST, namespace IOX_TEST); see map.c. */
void iox_test_set_emptied_hook(void (*hook)(struct iox_domain *domain));

/* The DMA layer (dma.c, CONFIG_IOX_DMA). */
#ifdef CONFIG_IOX_DMA
void iox_dma_init(void);
void iox_dma_exit(void);
struct iox_domain *iox_dma_domain_alloc(struct device *dev, bool lazy);
void iox_dma_domain_free(struct iox_domain *domain);
int iox_dma_domain_map_direct(struct iox_domain *domain, u64 start, u64 last);
void iox_dma_set_ops(struct device *dev);
void iox_dma_clear_ops(struct device *dev);
bool iox_dma_enabled(void);
bool iox_dma_dev_lazy(struct device *dev);
#else
static inline void iox_dma_init(void) { }
static inline void iox_dma_exit(void) { }
static inline struct iox_domain *iox_dma_domain_alloc(struct device *dev, bool lazy)
{
	return ERR_PTR(-EOPNOTSUPP);
}

static inline void iox_dma_domain_free(struct iox_domain *domain) { }
static inline int iox_dma_domain_map_direct(struct iox_domain *domain, u64 start, u64 last)
{
	return -EOPNOTSUPP;
}

static inline void iox_dma_set_ops(struct device *dev) { }
static inline void iox_dma_clear_ops(struct device *dev) { }
static inline bool iox_dma_enabled(void)
{
	return false;
}

static inline bool iox_dma_dev_lazy(struct device *dev)
{
	return false;
}
#endif

#endif /* _IOX_INTERNAL_H */
