# SPDX-License-Identifier: GPL-2.0
#
# The DMA cases on a unit in caching mode with 39-bit, 3-level tables
# (intel-iommu,caching-mode=on): new mappings must be invalidated too.

. /tests/vtd-dma.sh
