# SPDX-License-Identifier: GPL-2.0
#
# make demo IOX_DEMO=amdvi: the demo on QEMU's amd-iommu.  Its event log
# stays empty (QEMU 7.2), so the fault shows as memory the DMA did not
# reach; the events file shows the counters and the interrupt.

IOX_DEMO_BACKEND=amd
IOX_DEMO_UNIT=ivhd0
IOX_DEMO_FILES="events inval"
IOX_DEMO_IRQ=ivhd0
. /tests/demo.sh
