# SPDX-License-Identifier: GPL-2.0
#
# PCI hotplug behind an iox unit: the machine starts with an empty PCIe
# root port at 00:11.0.  Once iox-intel is up, the guest asks the host
# ("iox-vm: monitor") to send QEMU's monitor the device_add of an edu into
# that port (vm.sh).  The hot-added edu has no driver: it must be blocked
# (no context entry, its DMA reaches nothing and faults), attach and
# translate like any other, get a DMA domain when a driver binds and be
# blocked again when it unbinds.

m=/lib/modules/iox
ctx=/sys/kernel/debug/iox/dmar0/context

# The hot-added edu's PCI address, once it is there.
edu_addr() {
	grep -l '^0x11e8$' /sys/bus/pci/devices/*/device 2>/dev/null |
		sed -n 's|.*/\([0-9a-f:.]*\)/device$|\1|p' | head -n 1
}

wait_edu() {
	i=0
	while [ -z "$(edu_addr)" ] && [ $i -lt 120 ]; do
		sleep 1
		i=$((i + 1))
	done
	[ -n "$(edu_addr)" ]
}

ktap_plan 7
ktap_check "iox core loads" insmod $m/iox.ko
ktap_check "iox-intel loads" insmod $m/iox-intel.ko
ktap_check "no edu before the hotplug" test -z "$(edu_addr)"
echo "iox-vm: monitor"
ktap_check "edu appears after device_add" wait_edu
addr=$(edu_addr)
echo "# edu at $addr; context entries:"
sed 's/^/# /' $ctx
# The context file names bus:device.function, without the segment.
ktap_check "the hot-added edu has no context entry" \
	sh -c "! grep -q '^${addr#*:} ' $ctx"
ktap_check "debugfs shows the hot-added edu blocked" \
	grep -q "^$addr blocked$" /sys/kernel/debug/iox/dmar0/devices
ktap_check "the hot-added edu is blocked, attaches, and blocked again after its driver" \
	module_subtest iox-vtd-dma 3 $m/iox_vtd_dma_test.ko hotplug=1
