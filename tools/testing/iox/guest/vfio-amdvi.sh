# SPDX-License-Identifier: GPL-2.0
#
# VFIO device assignment through iox on QEMU's amd-iommu (edu at 00:10.0):
# the vfio scenario with iox-amd.  QEMU 7.2 never writes the AMD-Vi event
# log, so the selftest runs with -n: a DMA to an unmapped IOVA is shown by
# its data not landing, where the IOTLB held the translation before.

IOX_VFIO_BACKEND=iox-amd
IOX_VFIO_UNIT=ivhd0
IOX_VFIO_DMA_TEST=iox_amdvi_dma_test
IOX_VFIO_DMA_PREFIX=iox-amdvi-dma
IOX_VFIO_SELFTEST_ARGS=-n
IOX_VFIO_EDU_DMA_ARGS=faults=0
. /tests/vfio.sh
