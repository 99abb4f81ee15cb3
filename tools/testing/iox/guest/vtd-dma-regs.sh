# SPDX-License-Identifier: GPL-2.0
#
# The DMA cases with register-based invalidation (iox_intel.qi=0): strict
# unmap only works if the CCMD and IOTLB register paths are right.  Faults
# are polled here (fault_irq=0): the fallback when there is no interrupt.

IOX_INTEL_ARGS="qi=0 fault_irq=0"
IOX_DMA_TEST_ARGS=polled=1
. /tests/vtd-dma.sh
