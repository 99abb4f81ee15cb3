# SPDX-License-Identifier: GPL-2.0
#
# An edu hot-added behind iox-amd (hotplug.sh).  QEMU 7.2's IVRS covers
# the whole secondary bus of the empty root port (a device-id range), so
# the unit claims the device-id edu gets there.

hp_backend=iox-amd
hp_unit=ivhd0
hp_test=iox_amdvi_dma_test
hp_prefix=iox-amdvi-dma
. /tests/hotplug.sh
