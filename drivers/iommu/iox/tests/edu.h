/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A minimal driver for QEMU's edu device (PCI 1234:11e8), whose DMA engine
 * the iox hardware tests use to issue real DMA through an IOMMU.
 *
 * The engine copies between bus addresses and a 4 KiB buffer inside the
 * device, seen at device address 0x40000.  QEMU aborts on a transfer that
 * leaves that buffer, so at most 4095 bytes move at a time.  Bus addresses
 * are 64-bit when the device is created with dma_mask=0xffffffffffffffff.
 */
#ifndef _IOX_TESTS_EDU_H
#define _IOX_TESTS_EDU_H

#include <linux/delay.h>
#include <linux/io.h>
#include <linux/iopoll.h>
#include <linux/pci.h>

#define EDU_VENDOR		0x1234
#define EDU_DEVICE		0x11e8
#define EDU_ID			0x00
#define EDU_ID_VALUE		0x010000ed
#define EDU_DMA_SRC		0x80
#define EDU_DMA_DST		0x88
#define EDU_DMA_COUNT		0x90
#define EDU_DMA_CMD		0x98
#define EDU_DMA_RUN		BIT(0)
#define EDU_DMA_TO_RAM		BIT(1)
#define EDU_BUFFER		0x40000
#define EDU_BUFFER_SIZE		0x1000
/* A transfer completes 100 ms of virtual time after it starts. */
#define EDU_DMA_TIMEOUT_US	5000000

/**
 * struct iox_edu - an opened edu device
 * @pdev: the PCI function, referenced
 * @bar: its mapped BAR 0
 */
struct iox_edu {
	struct pci_dev *pdev;
	void __iomem *bar;
};

/**
 * iox_edu_open_dev() - enable and map an edu device
 * @edu: filled in
 * @pdev: the edu function, whose reference @edu takes over
 *
 * Return: 0, or -EIO if it does not answer (the reference is dropped).
 */
static inline int iox_edu_open_dev(struct iox_edu *edu, struct pci_dev *pdev)
{
	int ret;

	edu->pdev = pdev;
	ret = pci_enable_device(edu->pdev);
	if (ret)
		goto put;
	pci_set_master(edu->pdev);
	edu->bar = pci_iomap(edu->pdev, 0, 0);
	if (!edu->bar || readl(edu->bar + EDU_ID) != EDU_ID_VALUE) {
		ret = -EIO;
		goto disable;
	}
	return 0;

disable:
	if (edu->bar)
		pci_iounmap(edu->pdev, edu->bar);
	pci_disable_device(edu->pdev);
put:
	pci_dev_put(edu->pdev);
	return ret;
}

/**
 * iox_edu_open() - find, enable and map the first edu device
 * @edu: filled in
 *
 * Return: 0, -ENODEV without an edu device, -EIO if it does not answer.
 */
static inline int iox_edu_open(struct iox_edu *edu)
{
	struct pci_dev *pdev = pci_get_device(EDU_VENDOR, EDU_DEVICE, NULL);

	return pdev ? iox_edu_open_dev(edu, pdev) : -ENODEV;
}

/**
 * iox_edu_close() - undo iox_edu_open()
 * @edu: the device
 */
static inline void iox_edu_close(struct iox_edu *edu)
{
	pci_clear_master(edu->pdev);
	pci_iounmap(edu->pdev, edu->bar);
	pci_disable_device(edu->pdev);
	pci_dev_put(edu->pdev);
}

/**
 * iox_edu_dma_start() - start one DMA transfer
 * @edu: the device
 * @bus_addr: the bus address (an IOVA when translated) in memory
 * @offset: offset in the device's buffer
 * @len: bytes to move, 1..4095, within the buffer
 * @to_ram: device buffer to memory if true, memory to device buffer if not
 *
 * Return: 0, or -EINVAL for a transfer outside the buffer.
 */
static inline int iox_edu_dma_start(struct iox_edu *edu, u64 bus_addr, u32 offset, u32 len,
				    bool to_ram)
{
	if (!len || offset + len >= EDU_BUFFER_SIZE)
		return -EINVAL;
	writeq(to_ram ? EDU_BUFFER + offset : bus_addr, edu->bar + EDU_DMA_SRC);
	writeq(to_ram ? bus_addr : EDU_BUFFER + offset, edu->bar + EDU_DMA_DST);
	writeq(len, edu->bar + EDU_DMA_COUNT);
	writeq(EDU_DMA_RUN | (to_ram ? EDU_DMA_TO_RAM : 0), edu->bar + EDU_DMA_CMD);
	return 0;
}

/**
 * iox_edu_dma_wait() - wait for the transfer started last to complete
 * @edu: the device
 *
 * Return: 0 or -ETIMEDOUT.
 */
static inline int iox_edu_dma_wait(struct iox_edu *edu)
{
	u64 cmd;

	return readq_poll_timeout(edu->bar + EDU_DMA_CMD, cmd, !(cmd & EDU_DMA_RUN),
				  1000, EDU_DMA_TIMEOUT_US);
}

/**
 * iox_edu_dma() - run one DMA transfer and wait for it
 * @edu: the device
 * @bus_addr: the bus address (an IOVA when translated) in memory
 * @offset: offset in the device's buffer
 * @len: bytes to move, 1..4095, within the buffer
 * @to_ram: device buffer to memory if true, memory to device buffer if not
 *
 * The device reports no errors: a faulting transfer completes like any
 * other, having read zeros or written nothing.
 *
 * Return: 0, -EINVAL for a transfer outside the buffer, -ETIMEDOUT.
 */
static inline int iox_edu_dma(struct iox_edu *edu, u64 bus_addr, u32 offset, u32 len,
			      bool to_ram)
{
	return iox_edu_dma_start(edu, bus_addr, offset, len, to_ram) ?:
	       iox_edu_dma_wait(edu);
}

#endif /* _IOX_TESTS_EDU_H */
