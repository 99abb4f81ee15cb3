# SPDX-License-Identifier: GPL-2.0
#
# The DMA cases with edu at 01:00.0, in the slot of a PCIe root port at
# 00:11.0: the DMAR table names the root port as a bridge, not edu, so iox
# must take a bridge entry for everything behind the bridge, or edu gets
# no context entry (and no DMA) once translation is on.

IOX_EXTRA_TESTS=1
. /tests/vtd-dma.sh
ktap_check "the device scope names the root port as a bridge" \
	grep -qx "scope: bridge 0000:00:11.0" /sys/kernel/debug/iox/dmar0/caps
