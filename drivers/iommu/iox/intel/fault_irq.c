// SPDX-License-Identifier: GPL-2.0
/*
 * iox VT-d backend: the fault event interrupt (VT-d specification 7.4).
 *
 * A unit signals a new fault record (FSTS.PPF going from 0 to 1, or PFO)
 * with a message it writes to the address in FEADDR/FEUADDR with the data
 * in FEDATA, unless FECTL.IM masks it; a masked event is held pending
 * (FECTL.IP) and sent on unmask.
 *
 * The kernel's own DMAR interrupt domain cannot be used: it is not
 * exported, and its chip writes the message through the kernel's VT-d
 * driver's unit structure.  Each unit gets a small irq domain of its own
 * stacked on the x86 vector domain: the vector domain picks the vector and
 * target CPU and composes the message, this domain's chip writes it into
 * the unit's registers and masks the event with FECTL.IM.
 */
#define pr_fmt(fmt) "iox-intel: " fmt

#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/irq.h>
#include <linux/irqdomain.h>
#include <linux/msi.h>
#include <asm/hw_irq.h>
#include <asm/irqdomain.h>

#include "vtd.h"

static void iox_vtd_irq_mask(struct irq_data *d)
{
	struct iox_vtd_unit *vtd = irq_data_get_irq_chip_data(d);

	writel(VTD_FECTL_IM, vtd->regs + VTD_FECTL_REG);
}

static void iox_vtd_irq_unmask(struct irq_data *d)
{
	struct iox_vtd_unit *vtd = irq_data_get_irq_chip_data(d);

	writel(0, vtd->regs + VTD_FECTL_REG);
}

static void iox_vtd_irq_write_msg(struct irq_data *d, struct msi_msg *msg)
{
	struct iox_vtd_unit *vtd = irq_data_get_irq_chip_data(d);
	u32 fectl = readl(vtd->regs + VTD_FECTL_REG) & VTD_FECTL_IM;

	/*
	 * Mask while the three registers change, so that an event raised
	 * in between is held pending and then sent whole to the new
	 * target, not to a half-written one.
	 */
	writel(VTD_FECTL_IM, vtd->regs + VTD_FECTL_REG);
	writel(msg->data, vtd->regs + VTD_FEDATA_REG);
	writel(msg->address_lo, vtd->regs + VTD_FEADDR_REG);
	writel(msg->address_hi, vtd->regs + VTD_FEUADDR_REG);
	writel(fectl, vtd->regs + VTD_FECTL_REG);
}

/* The vector domain below composes the message for the vector it chose. */
static void iox_vtd_irq_compose_msg(struct irq_data *d, struct msi_msg *msg)
{
	struct irq_data *parent = d->parent_data;

	parent->chip->irq_compose_msi_msg(parent, msg);
}

static void iox_vtd_irq_update_msg(struct irq_data *d)
{
	struct msi_msg msg = {};

	iox_vtd_irq_compose_msg(d, &msg);
	iox_vtd_irq_write_msg(d, &msg);
}

static int iox_vtd_irq_set_affinity(struct irq_data *d, const struct cpumask *mask,
				    bool force)
{
	int ret = irq_chip_set_affinity_parent(d, mask, force);

	/* A new target CPU means a new vector and address: rewrite them. */
	if (ret >= 0 && ret != IRQ_SET_MASK_OK_DONE)
		iox_vtd_irq_update_msg(d);
	return ret;
}

static struct irq_chip iox_vtd_irq_chip = {
	.name			= "IOX-VTD",
	.irq_mask		= iox_vtd_irq_mask,
	.irq_unmask		= iox_vtd_irq_unmask,
	.irq_ack		= irq_chip_ack_parent,
	.irq_set_affinity	= iox_vtd_irq_set_affinity,
	.irq_retrigger		= irq_chip_retrigger_hierarchy,
	.irq_compose_msi_msg	= iox_vtd_irq_compose_msg,
	.irq_write_msi_msg	= iox_vtd_irq_write_msg,
	.flags			= IRQCHIP_SKIP_SET_WAKE,
};

static int iox_vtd_irq_domain_alloc(struct irq_domain *domain, unsigned int virq,
				    unsigned int nr_irqs, void *arg)
{
	int ret;

	/* One fault event per unit. */
	if (nr_irqs != 1)
		return -EINVAL;
	ret = irq_domain_alloc_irqs_parent(domain, virq, nr_irqs, arg);
	if (ret)
		return ret;
	irq_domain_set_info(domain, virq, 0, &iox_vtd_irq_chip, domain->host_data,
			    handle_edge_irq, NULL, "edge");
	return 0;
}

/*
 * The vector domain assigns the real vector only when the interrupt is
 * activated (requested); the message can be written only then.
 */
static int iox_vtd_irq_domain_activate(struct irq_domain *domain, struct irq_data *d,
				       bool reserve)
{
	iox_vtd_irq_update_msg(d);
	return 0;
}

static void iox_vtd_irq_domain_deactivate(struct irq_domain *domain, struct irq_data *d)
{
	struct msi_msg msg = {};

	iox_vtd_irq_write_msg(d, &msg);
}

static const struct irq_domain_ops iox_vtd_irq_domain_ops = {
	.alloc		= iox_vtd_irq_domain_alloc,
	.free		= irq_domain_free_irqs_common,
	.activate	= iox_vtd_irq_domain_activate,
	.deactivate	= iox_vtd_irq_domain_deactivate,
};

/* Hard interrupt: count it; the records are read in the thread. */
static irqreturn_t iox_vtd_fault_irq(int irq, void *data)
{
	struct iox_vtd_unit *vtd = data;

	atomic64_inc(&vtd->nr_fault_irqs);
	return IRQ_WAKE_THREAD;
}

/**
 * iox_vtd_fault_irq_init() - set up and request the unit's fault event
 * @vtd: the unit, with FECTL.IM set
 * @thread_fn: reads and clears the fault records, in process context
 *
 * On success the event is unmasked and @vtd->fault_irq is its Linux irq.
 *
 * Return: 0, or an errno with nothing allocated and the event masked.
 */
int iox_vtd_fault_irq_init(struct iox_vtd_unit *vtd, irq_handler_t thread_fn)
{
	struct irq_alloc_info info = {
		.type = X86_IRQ_ALLOC_TYPE_DMAR,
	};
	struct fwnode_handle *fwnode;
	struct irq_domain *domain;
	int virq, ret;

	if (!x86_vector_domain)
		return -ENODEV;
	fwnode = irq_domain_alloc_named_fwnode(vtd->unit.name);
	if (!fwnode)
		return -ENOMEM;
	domain = irq_domain_create_hierarchy(x86_vector_domain, 0, 0, fwnode,
					     &iox_vtd_irq_domain_ops, vtd);
	if (!domain) {
		ret = -ENOMEM;
		goto free_fwnode;
	}
	virq = irq_domain_alloc_irqs(domain, 1, NUMA_NO_NODE, &info);
	if (virq < 0) {
		ret = virq;
		goto remove_domain;
	}
	ret = request_threaded_irq(virq, iox_vtd_fault_irq, thread_fn, 0, vtd->unit.name, vtd);
	if (ret)
		goto free_irq;
	vtd->fault_irq_domain = domain;
	vtd->fault_irq = virq;
	return 0;

free_irq:
	irq_dispose_mapping(virq);
remove_domain:
	irq_domain_remove(domain);
free_fwnode:
	irq_domain_free_fwnode(fwnode);
	writel(VTD_FECTL_IM, vtd->regs + VTD_FECTL_REG);
	return ret;
}

/**
 * iox_vtd_fault_irq_free() - mask and release the unit's fault event
 * @vtd: the unit; nothing happens if it has no fault interrupt
 */
void iox_vtd_fault_irq_free(struct iox_vtd_unit *vtd)
{
	struct fwnode_handle *fwnode;

	if (!vtd->fault_irq)
		return;
	writel(VTD_FECTL_IM, vtd->regs + VTD_FECTL_REG);
	free_irq(vtd->fault_irq, vtd);
	irq_dispose_mapping(vtd->fault_irq);
	fwnode = vtd->fault_irq_domain->fwnode;
	irq_domain_remove(vtd->fault_irq_domain);
	irq_domain_free_fwnode(fwnode);
	vtd->fault_irq = 0;
	vtd->fault_irq_domain = NULL;
}
