/* SPDX-License-Identifier: GPL-2.0 */
/*
 * iox DMA layer: the DMA API (struct dma_map_ops) for devices whose DMA
 * iox translates, so that their drivers use iox without knowing it.
 */
#ifndef _LINUX_IOX_DMA_H
#define _LINUX_IOX_DMA_H

#include <linux/types.h>

struct device;
struct iox_domain;

/* The x86 interrupt (MSI) window, never translated: no IOVA there. */
#define IOX_DMA_MSI_START	0xfee00000ULL
#define IOX_DMA_MSI_END		0xfeefffffULL

/**
 * enum iox_dma_policy - when a DMA unmap's IOTLB invalidation happens
 * @IOX_DMA_DEFAULT: the device's entry in the module parameter ``dma_policy``,
 *	if any, else the module's default (parameter ``dma_lazy``)
 * @IOX_DMA_STRICT: completed when dma_unmap_*() returns
 * @IOX_DMA_LAZY: deferred to the domain's flush queue, bounded by its
 *	entries per CPU and timeout; strict if a unit cannot defer
 */
enum iox_dma_policy {
	IOX_DMA_DEFAULT,
	IOX_DMA_STRICT,
	IOX_DMA_LAZY,
};

int iox_dma_attach(struct device *dev, enum iox_dma_policy policy);
int iox_dma_detach(struct device *dev);
bool iox_dma_is_lazy(struct device *dev);

#endif /* _LINUX_IOX_DMA_H */
