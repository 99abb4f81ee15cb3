/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Declarations shared between the files of the iox core module.
 */
#ifndef _IOX_INTERNAL_H
#define _IOX_INTERNAL_H

#include <linux/debugfs.h>
#include <linux/kconfig.h>
#include <linux/seq_file.h>

struct dentry;
struct device;
struct iox_domain;
struct iox_unit;

/*
 * A read-only debugfs file on a seq_file show function that every reader
 * can read: debugfs_create_file() puts its fops behind a proxy that has no
 * read_iter, and kernel_read() refuses a file without read_iter (or with
 * read).  iox creates its files
 * with debugfs_create_file_unsafe() and these fops instead; in place of
 * the proxy, each show holds the file's debugfs reference, which removal
 * of the file waits for, so the data it shows outlives the read.
 */
#define IOX_DEBUGFS_ATTRIBUTE(__name)					\
static int __name ## _show_held(struct seq_file *m, void *v)		\
{									\
	struct dentry *dentry = m->file->f_path.dentry;			\
	int ret = debugfs_file_get(dentry);				\
									\
	if (ret)							\
		return ret;						\
	ret = __name ## _show(m, v);					\
	debugfs_file_put(dentry);					\
	return ret;							\
}									\
									\
static int __name ## _open(struct inode *inode, struct file *file)	\
{									\
	return single_open(file, __name ## _show_held, inode->i_private); \
}									\
									\
static const struct file_operations __name ## _fops = {			\
	.owner		= THIS_MODULE,					\
	.open		= __name ## _open,				\
	.read_iter	= seq_read_iter,				\
	.llseek		= seq_lseek,					\
	.release	= single_release,				\
}

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
