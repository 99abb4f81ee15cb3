/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The debugfs files of iox and its backends, readable from the kernel too.
 */
#ifndef _IOX_DEBUGFS_H
#define _IOX_DEBUGFS_H

#include <linux/debugfs.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/seq_file.h>

/*
 * A read-only debugfs file on a seq_file show function that every reader
 * can read: debugfs_create_file() puts its fops behind a proxy that has no
 * read_iter, and kernel_read() refuses a file without read_iter (or with
 * read).  iox and its backends create their files with
 * debugfs_create_file_unsafe() and these fops instead; in place of the
 * proxy, each show holds the file's debugfs reference, which removal of
 * the file waits for, so the data it shows outlives the read.
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

#endif /* _IOX_DEBUGFS_H */
