# SPDX-License-Identifier: GPL-2.0
#
# edu behind a conventional PCI bridge at 00:12.0: QEMU, like hardware,
# tags its DMA with the bridge's requester id.  iox must refuse to attach
# it (a context entry for edu's own id would translate nothing) and leave
# the bridge's id in pass-through, so the DMA keeps working.

m=/lib/modules/iox
ktap_plan 4
ktap_check "iox core loads" insmod $m/iox.ko
ktap_check "iox-intel loads" insmod $m/iox-intel.ko
ktap_check "the device scope names the PCI bridge" \
	grep -qx "scope: bridge 0000:00:12.0" /sys/kernel/debug/iox/dmar0/caps
ktap_check "a device with a shared requester id is refused, its DMA passes" \
	module_subtest iox-vtd-dma 2 $m/iox_vtd_dma_test.ko aliased=1
