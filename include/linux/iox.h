/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iox: an IOMMU subsystem - the generic core.
 *
 * Backends (VT-d, AMD-Vi) register the hardware instances they discover as
 * units.  The core splits every map and unmap range into runs of the largest
 * page size that the hardware and the alignment of the range allow, so that
 * a backend handles a whole run in one call.
 */
#ifndef _LINUX_IOX_H
#define _LINUX_IOX_H

#include <linux/list.h>
#include <linux/types.h>

struct dentry;
struct seq_file;
struct iox_unit;

/**
 * struct iox_run - one run of equally sized pages produced by the splitter
 * @iova: I/O virtual address of the first page
 * @paddr: physical address of the first page
 * @pgsize: page size of the run, a single bit of the page-size bitmap
 * @pgcount: number of pages in the run, at least one
 */
struct iox_run {
	u64 iova;
	phys_addr_t paddr;
	size_t pgsize;
	size_t pgcount;
};

int iox_split_check(u64 iova, phys_addr_t paddr, size_t size,
		    unsigned long pgsize_bitmap);
void iox_split_first(u64 iova, phys_addr_t paddr, size_t size,
		     unsigned long pgsize_bitmap, struct iox_run *run);

/**
 * struct iox_unit_ops - operations a backend provides for its units
 * @show: print the decoded hardware description of the unit into a
 *	seq_file; backs the "caps" file of the unit's debugfs directory
 */
struct iox_unit_ops {
	void (*show)(struct iox_unit *unit, struct seq_file *m);
};

/**
 * struct iox_unit - one IOMMU hardware instance registered with the core
 * @name: unique name, e.g. "dmar0" or "ivhd0"
 * @ops: backend operations
 * @pgsize_bitmap: page sizes the unit's page tables can map
 * @ias: input (IOVA) address width in bits
 * @list: entry in the core's unit list, protected by the core's unit lock
 * @debugfs: the unit's directory under /sys/kernel/debug/iox/
 *
 * The backend fills in @name, @ops, @pgsize_bitmap and @ias before calling
 * iox_unit_register(); the core owns @list and @debugfs.
 */
struct iox_unit {
	char name[16];
	const struct iox_unit_ops *ops;
	unsigned long pgsize_bitmap;
	unsigned int ias;
	struct list_head list;
	struct dentry *debugfs;
};

int iox_unit_register(struct iox_unit *unit);
void iox_unit_unregister(struct iox_unit *unit);
struct iox_unit *iox_unit_find(const char *name);

#endif /* _LINUX_IOX_H */
