# SPDX-License-Identifier: GPL-2.0
#
# The AMD-Vi DMA cases with the event log polled (iox_amd.event_irq=0):
# the fallback when the IOMMU's PCI function gives no interrupt.  CONTROL
# then lacks EventIntEn.

IOX_AMD_ARGS="event_irq=0"
IOX_AMD_CONTROL=0x0000000000001005
IOX_DMA_TEST_ARGS=polled=1
. /tests/amdvi-dma.sh
