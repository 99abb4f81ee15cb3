/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Read an iox debugfs file from a KUnit test with kernel_read(), as any
 * in-kernel reader would: this works only for files with read_iter
 * (iox-debugfs.h), so a file created otherwise fails the read.
 */
#ifndef _IOX_TESTS_DEBUGFS_READ_H
#define _IOX_TESTS_DEBUGFS_READ_H

#include <kunit/test.h>
#include <linux/cred.h>
#include <linux/debugfs.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/mount.h>
#include <linux/string.h>

/* The dentry of debugfs path @name, referenced; NULL if there is none. */
static inline struct dentry *iox_test_debugfs_lookup(const char *name)
{
	struct dentry *d = NULL, *next;
	char part[NAME_MAX + 1];
	const char *slash;
	size_t len;

	for (; *name; name += len + !!*slash, d = next) {
		slash = strchrnul(name, '/');
		len = slash - name;
		if (!len || len > NAME_MAX) {
			dput(d);
			return NULL;
		}
		memcpy(part, name, len);
		part[len] = '\0';
		next = debugfs_lookup(part, d);
		dput(d);
		if (IS_ERR_OR_NULL(next))
			return NULL;
	}
	return d;
}

/*
 * Read debugfs file @name (a path below the debugfs root, such as
 * "iox/dmar0/inval") into @buf, NUL-terminated.  Returns the bytes read
 * or a negative errno (-EINVAL from kernel_read() for a file without
 * read_iter).
 */
static inline ssize_t iox_test_debugfs_read(struct kunit *test, const char *name, char *buf,
					    size_t len)
{
	struct file_system_type *type = get_fs_type("debugfs");
	struct vfsmount *mnt;
	struct file *file;
	struct path path;
	loff_t pos = 0;
	ssize_t n;

	if (!type)
		return -ENODEV;
	mnt = kern_mount(type);
	module_put(type->owner);	/* get_fs_type() took it */
	if (IS_ERR(mnt))
		return PTR_ERR(mnt);
	path.mnt = mnt;
	path.dentry = iox_test_debugfs_lookup(name);
	n = path.dentry ? 0 : -ENOENT;
	if (!n) {
		file = dentry_open(&path, O_RDONLY, current_cred());
		dput(path.dentry);
		n = PTR_ERR_OR_ZERO(file);
		if (!n) {
			n = kernel_read(file, buf, len - 1, &pos);
			fput(file);
		}
	}
	kern_unmount(mnt);
	buf[n > 0 ? n : 0] = '\0';
	return n;
}

#endif /* _IOX_TESTS_DEBUGFS_READ_H */
