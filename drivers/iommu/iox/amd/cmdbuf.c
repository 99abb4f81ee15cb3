// SPDX-License-Identifier: GPL-2.0
/*
 * iox AMD-Vi backend: the command buffer (AMD IOMMU specification, 2.4)
 * and the invalidations iox sends through it.
 *
 * Commands go into a ring of 256 16-byte entries; software advances the
 * tail register, hardware the head.  Every batch ends with a
 * COMPLETION_WAIT that stores a sequence number to a quadword in memory,
 * and the submitter polls that quadword: when it holds the batch's number,
 * hardware has completed every command before it.  The wait asks for no
 * interrupt.
 *
 * Submission and completion happen under one lock, so a batch finds the
 * ring drained unless an earlier batch timed out; the free space is still
 * computed from the head register before each batch, so that commands
 * hardware has not fetched are never overwritten.
 */
#define pr_fmt(fmt) "iox-amd: " fmt

#include <linux/io.h>
#include <linux/ktime.h>
#include <linux/mm.h>
#include <linux/slab.h>

#include "amdvi.h"
#include "cmd.h"
#include "../inval_plan.h"

#define AMDVI_CMD_ENTRIES	256
#define AMDVI_CMD_RING_BYTES	(AMDVI_CMD_ENTRIES * sizeof(struct iox_amdvi_cmd))
#define AMDVI_CMD_TIMEOUT_NS	(1000 * NSEC_PER_MSEC)

/**
 * iox_amdvi_cmdbuf_alloc() - allocate the command buffer and program it
 * @amdvi: the unit, with the command buffer disabled
 *
 * Return: 0 or -ENOMEM with nothing allocated.
 */
int iox_amdvi_cmdbuf_alloc(struct iox_amdvi_unit *amdvi)
{
	struct iox_amdvi_cmdbuf *cmd = &amdvi->cmd;
	struct page *page;

	page = iox_should_fail_alloc() ? NULL : alloc_page(GFP_KERNEL | __GFP_ZERO);
	cmd->sem = !page || iox_should_fail_alloc() ? NULL :
		   kzalloc(sizeof(*cmd->sem), GFP_KERNEL);
	if (!page || !cmd->sem) {
		if (page)
			__free_page(page);
		kfree(cmd->sem);
		cmd->sem = NULL;
		return -ENOMEM;
	}
	raw_spin_lock_init(&cmd->lock);
	atomic_set(&cmd->inject_errors, 0);
	cmd->ring = page_address(page);
	cmd->tail = 0;
	cmd->seq = 0;
	/* 2^8 entries; a 64-bit write latches base and length together. */
	writeq(page_to_phys(page) | FIELD_PREP(AMDVI_RING_LEN, 8),
	       amdvi->mmio + AMDVI_CMDBUF_BASE_REG);
	writeq(0, amdvi->mmio + AMDVI_CMDBUF_HEAD_REG);
	writeq(0, amdvi->mmio + AMDVI_CMDBUF_TAIL_REG);
	return 0;
}

/**
 * iox_amdvi_cmdbuf_free() - free the command buffer
 * @amdvi: the unit, with the command buffer disabled (CmdBufEn clear)
 */
void iox_amdvi_cmdbuf_free(struct iox_amdvi_unit *amdvi)
{
	struct iox_amdvi_cmdbuf *cmd = &amdvi->cmd;

	if (!cmd->ring)
		return;
	free_page((unsigned long)cmd->ring);
	kfree(cmd->sem);
	cmd->ring = NULL;
	cmd->sem = NULL;
}

/* Bytes free in the ring: up to the entry before the one hardware reads. */
static u32 iox_amdvi_cmd_room(struct iox_amdvi_unit *amdvi)
{
	u32 head = readq(amdvi->mmio + AMDVI_CMDBUF_HEAD_REG) & AMDVI_RING_PTR;

	return (head - amdvi->cmd.tail - sizeof(struct iox_amdvi_cmd)) %
	       AMDVI_CMD_RING_BYTES;
}

static void iox_amdvi_cmd_put(struct iox_amdvi_cmdbuf *cmd, const struct iox_amdvi_cmd *c)
{
	cmd->ring[cmd->tail / sizeof(*c)] = *c;
	cmd->tail = (cmd->tail + sizeof(*c)) % AMDVI_CMD_RING_BYTES;
}

static void iox_amdvi_cmd_timeout(struct iox_amdvi_unit *amdvi, const char *what)
{
	amdvi->cmd.nr_timeouts++;
	pr_err_ratelimited("%s: command buffer %s timed out (head %#llx tail %#x status %#llx)\n",
			   amdvi->unit.name, what,
			   readq(amdvi->mmio + AMDVI_CMDBUF_HEAD_REG), amdvi->cmd.tail,
			   readq(amdvi->mmio + AMDVI_STATUS_REG));
}

/**
 * iox_amdvi_inject_cmd_errors() - make a unit's next command batches fail
 * @amdvi: the unit
 * @n: how many of its next submissions fail (0 stops)
 *
 * For tests of the error paths: such a batch is not submitted at all and
 * fails with -EIO, as if the unit had stopped on it.
 */
void iox_amdvi_inject_cmd_errors(struct iox_amdvi_unit *amdvi, int n)
{
	atomic_set(&amdvi->cmd.inject_errors, n);
}
EXPORT_SYMBOL_NS_GPL(iox_amdvi_inject_cmd_errors, IOX_TEST);

/**
 * iox_amdvi_cmd_submit() - submit commands and wait for their completion
 * @amdvi: the unit, with the command buffer enabled
 * @cmds: the commands
 * @n: number of commands, at most 254
 *
 * A COMPLETION_WAIT that stores a new sequence number follows the
 * commands; the call returns when hardware stored it.  May be called in
 * any context; waits with interrupts off.
 *
 * Return: 0; -EINVAL for too many commands or no command buffer;
 * -ETIMEDOUT if the ring had no room within a second (nothing was queued)
 * or the wait did not complete within a second (the commands may or may
 * not have been carried out); -EIO, with nothing queued, for a batch a
 * test made fail (iox_amdvi_inject_cmd_errors()).
 */
int iox_amdvi_cmd_submit(struct iox_amdvi_unit *amdvi, const struct iox_amdvi_cmd *cmds,
			 unsigned int n)
{
	struct iox_amdvi_cmdbuf *cmd = &amdvi->cmd;
	u32 need = (n + 1) * sizeof(*cmds);
	struct iox_amdvi_cmd wait;
	unsigned long flags;
	ktime_t deadline;
	unsigned int i;
	int ret = 0;
	u64 seq;

	if (!cmd->ring || n > AMDVI_CMD_ENTRIES - 2)
		return -EINVAL;
	if (atomic_read(&cmd->inject_errors) > 0 &&
	    atomic_dec_if_positive(&cmd->inject_errors) >= 0)
		return -EIO;

	raw_spin_lock_irqsave(&cmd->lock, flags);
	deadline = ktime_add_ns(ktime_get(), AMDVI_CMD_TIMEOUT_NS);
	while (iox_amdvi_cmd_room(amdvi) < need) {
		if (ktime_after(ktime_get(), deadline)) {
			iox_amdvi_cmd_timeout(amdvi, "room");
			ret = -ETIMEDOUT;
			goto out;
		}
		cpu_relax();
	}
	seq = ++cmd->seq;
	for (i = 0; i < n; i++)
		iox_amdvi_cmd_put(cmd, &cmds[i]);
	wait.lo = FIELD_PREP(AMDVI_CMD_OPCODE, AMDVI_CMD_COMPLETION_WAIT) | AMDVI_CMD_WAIT_S |
		  (virt_to_phys(cmd->sem) & AMDVI_CMD_WAIT_ADDR);
	wait.hi = seq;
	iox_amdvi_cmd_put(cmd, &wait);
	cmd->nr_cmds += n;
	cmd->nr_waits++;
	/* The commands must be in memory before hardware sees the tail. */
	wmb();
	writeq(cmd->tail, amdvi->mmio + AMDVI_CMDBUF_TAIL_REG);

	while (READ_ONCE(*cmd->sem) != seq) {
		if (ktime_after(ktime_get(), deadline)) {
			iox_amdvi_cmd_timeout(amdvi, "wait");
			ret = -ETIMEDOUT;
			break;
		}
		cpu_relax();
	}
out:
	raw_spin_unlock_irqrestore(&cmd->lock, flags);
	return ret;
}
EXPORT_SYMBOL_GPL(iox_amdvi_cmd_submit);

/**
 * iox_amdvi_cmd_inv_pages() - an INVALIDATE_IOMMU_PAGES command
 * @domid: the domain id
 * @addr: first IOVA of the block
 * @order: the block is 2^@order pages; above AMDVI_INV_MAX_ORDER, every
 *	page of the domain
 * @pde: cached page-directory entries go too
 *
 * Return: the command.
 */
struct iox_amdvi_cmd iox_amdvi_cmd_inv_pages(u16 domid, u64 addr, unsigned int order,
					     bool pde)
{
	struct iox_amdvi_cmd c = {
		.lo = FIELD_PREP(AMDVI_CMD_OPCODE, AMDVI_CMD_INV_IOMMU_PAGES) |
		      FIELD_PREP(AMDVI_CMD_DOMID, domid),
	};

	if (order > AMDVI_INV_MAX_ORDER)
		c.hi = AMDVI_INV_ALL_PAGES_ADDR | AMDVI_CMD_PAGES_S | AMDVI_CMD_PAGES_PDE;
	else
		c.hi = iox_amdvi_pages_encode(addr, order, pde);
	return c;
}
EXPORT_SYMBOL_GPL(iox_amdvi_cmd_inv_pages);

/**
 * iox_amdvi_inv_domain() - invalidate every translation of a domain id
 * @amdvi: the unit
 * @domid: the domain id
 *
 * Return: 0 or an errno of iox_amdvi_cmd_submit().
 */
int iox_amdvi_inv_domain(struct iox_amdvi_unit *amdvi, u16 domid)
{
	struct iox_amdvi_cmd c = iox_amdvi_cmd_inv_pages(domid, 0, ~0U, true);

	amdvi->cmd.nr_inv[AMDVI_INV_DOMAIN]++;
	return iox_amdvi_cmd_submit(amdvi, &c, 1);
}
EXPORT_SYMBOL_GPL(iox_amdvi_inv_domain);

/**
 * iox_amdvi_inv_range() - invalidate the translations of an IOVA range
 * @amdvi: the unit
 * @domid: the domain id
 * @start: first IOVA
 * @end: last IOVA, inclusive
 * @pde: page-table pages were freed: cached directory entries go too
 *
 * The range is covered exactly with the fewest aligned blocks
 * (iox_plan_inv_blocks()), one INVALIDATE_IOMMU_PAGES each, submitted as
 * one batch with one wait.  A range that needs more than
 * AMDVI_MAX_INV_RANGES commands invalidates the whole domain instead.
 *
 * Return: 0 or an errno of iox_amdvi_cmd_submit().
 */
int iox_amdvi_inv_range(struct iox_amdvi_unit *amdvi, u16 domid, u64 start, u64 end,
			bool pde)
{
	struct iox_amdvi_cmd cmds[AMDVI_MAX_INV_RANGES] __iox_filled_before_use;
	struct iox_inv_block blk[AMDVI_MAX_INV_RANGES] __iox_filled_before_use;
	unsigned int i, n;

	n = iox_plan_inv_blocks(start, end, AMDVI_INV_MAX_ORDER, blk, AMDVI_MAX_INV_RANGES);
	if (n > AMDVI_MAX_INV_RANGES)
		return iox_amdvi_inv_domain(amdvi, domid);
	for (i = 0; i < n; i++)
		cmds[i] = iox_amdvi_cmd_inv_pages(domid, blk[i].addr, blk[i].order, pde);
	amdvi->cmd.nr_inv[AMDVI_INV_PAGES] += n;
	return iox_amdvi_cmd_submit(amdvi, cmds, n);
}
EXPORT_SYMBOL_GPL(iox_amdvi_inv_range);

/**
 * iox_amdvi_inv_devtab() - make a device table entry change take effect
 * @amdvi: the unit
 * @devid: the device id whose entry changed
 * @old_domid: the domain id the entry had before
 *
 * INVALIDATE_DEVTAB_ENTRY drops the cached entry, then every translation
 * cached under the old domain id goes (the IOTLB is not touched by the
 * first command), in one batch with one wait.
 *
 * Return: 0 or an errno of iox_amdvi_cmd_submit().
 */
int iox_amdvi_inv_devtab(struct iox_amdvi_unit *amdvi, u16 devid, u16 old_domid)
{
	struct iox_amdvi_cmd cmds[2] = {
		{ .lo = FIELD_PREP(AMDVI_CMD_OPCODE, AMDVI_CMD_INV_DEVTAB_ENTRY) |
			FIELD_PREP(AMDVI_CMD_DEVID, devid) },
		iox_amdvi_cmd_inv_pages(old_domid, 0, ~0U, true),
	};

	amdvi->cmd.nr_inv[AMDVI_INV_DEVTAB]++;
	amdvi->cmd.nr_inv[AMDVI_INV_DOMAIN]++;
	return iox_amdvi_cmd_submit(amdvi, cmds, ARRAY_SIZE(cmds));
}

/**
 * iox_amdvi_inv_all() - invalidate every cached entry of the unit
 * @amdvi: the unit
 *
 * INVALIDATE_IOMMU_ALL where the unit has it (EFR.IA); else every device
 * table entry and every domain id, in batches.
 *
 * Return: 0 or an errno of iox_amdvi_cmd_submit().
 */
int iox_amdvi_inv_all(struct iox_amdvi_unit *amdvi)
{
	struct iox_amdvi_cmd cmds[64];
	unsigned int id, n = 0;
	int ret = 0;

	amdvi->cmd.nr_inv[AMDVI_INV_ALL]++;
	if (amdvi->caps.invalidate_all) {
		cmds[0].lo = FIELD_PREP(AMDVI_CMD_OPCODE, AMDVI_CMD_INV_IOMMU_ALL);
		cmds[0].hi = 0;
		return iox_amdvi_cmd_submit(amdvi, cmds, 1);
	}
	for (id = 0; id < amdvi->nr_devids && !ret; id++) {
		cmds[n].lo = FIELD_PREP(AMDVI_CMD_OPCODE, AMDVI_CMD_INV_DEVTAB_ENTRY) |
			     FIELD_PREP(AMDVI_CMD_DEVID, id);
		cmds[n].hi = 0;
		if (++n == ARRAY_SIZE(cmds) || id + 1 == amdvi->nr_devids) {
			ret = iox_amdvi_cmd_submit(amdvi, cmds, n);
			n = 0;
		}
	}
	for (id = 0; id <= AMDVI_MAX_DOMID && !ret; id++) {
		cmds[n++] = iox_amdvi_cmd_inv_pages(id, 0, ~0U, true);
		if (n == ARRAY_SIZE(cmds) || id == AMDVI_MAX_DOMID) {
			ret = iox_amdvi_cmd_submit(amdvi, cmds, n);
			n = 0;
		}
	}
	return ret;
}
