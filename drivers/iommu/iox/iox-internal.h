/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Declarations shared between the files of the iox core module.
 */
#ifndef _IOX_INTERNAL_H
#define _IOX_INTERNAL_H

#include <linux/debugfs.h>
#include <linux/kconfig.h>
#include <linux/seq_file.h>

#include "iox-debugfs.h"

struct dentry;
struct device;
struct iox_domain;
struct iox_unit;

void iox_debugfs_init(void);
void iox_debugfs_exit(void);
void iox_debugfs_add_unit(struct iox_unit *unit);
void iox_debugfs_remove_unit(struct iox_unit *unit);
void iox_debugfs_add_domain(struct iox_domain *domain);
void iox_debugfs_remove_domain(struct iox_domain *domain);
void iox_domain_disable_lazy(struct iox_domain *domain);
void iox_device_forget(struct device *dev);
void iox_device_forget_all(void);
void iox_domain_units_destroy(struct iox_domain *domain);

/* The bridge to the kernel's IOMMU API (iommu_api.c), on x86 PCI systems. */
#if IS_ENABLED(CONFIG_IOMMU_API) && IS_ENABLED(CONFIG_PCI) && IS_ENABLED(CONFIG_X86)
int iox_iommu_add_unit(struct iox_unit *unit);
void iox_iommu_remove_unit(struct iox_unit *unit);
#else
static inline int iox_iommu_add_unit(struct iox_unit *unit)
{
	return 0;
}

static inline void iox_iommu_remove_unit(struct iox_unit *unit)
{
}
#endif

#ifdef CONFIG_IOX_FAULT_INJECTION
void iox_fault_inject_init(struct dentry *root);
#else
static inline void iox_fault_inject_init(struct dentry *root)
{
}
#endif

/* Tests only (CONFIG_IOX_KUNIT_TEST, namespace IOX_TEST); see map.c. */
void iox_test_set_emptied_hook(void (*hook)(struct iox_domain *domain));

#ifdef CONFIG_DMA_OPS
void iox_dma_init(void);
void iox_dma_exit(void);
#else
static inline void iox_dma_init(void) { }
static inline void iox_dma_exit(void) { }
#endif

#endif /* _IOX_INTERNAL_H */
