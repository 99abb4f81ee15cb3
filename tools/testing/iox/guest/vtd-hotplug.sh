# SPDX-License-Identifier: GPL-2.0
#
# An edu hot-added behind iox-intel (hotplug.sh).

hp_backend=iox-intel
hp_unit=dmar0
hp_test=iox_vtd_dma_test
hp_prefix=iox-vtd-dma
. /tests/hotplug.sh
