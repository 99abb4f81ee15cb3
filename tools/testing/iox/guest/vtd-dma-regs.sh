# SPDX-License-Identifier: GPL-2.0
#
# The DMA cases with register-based invalidation (iox_intel.qi=0): strict
# unmap only works if the CCMD and IOTLB register paths are right.

IOX_INTEL_ARGS=qi=0
. /tests/vtd-dma.sh
