/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Declarations shared between the files of the iox core module.
 */
#ifndef _IOX_INTERNAL_H
#define _IOX_INTERNAL_H

struct iox_domain;
struct iox_unit;

void iox_debugfs_init(void);
void iox_debugfs_exit(void);
void iox_debugfs_add_unit(struct iox_unit *unit);
void iox_debugfs_remove_unit(struct iox_unit *unit);
void iox_debugfs_add_domain(struct iox_domain *domain);
void iox_debugfs_remove_domain(struct iox_domain *domain);
void iox_domain_disable_lazy(struct iox_domain *domain);

#endif /* _IOX_INTERNAL_H */
