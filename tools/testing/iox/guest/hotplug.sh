# SPDX-License-Identifier: GPL-2.0
#
# PCI hotplug behind an iox unit, sourced by vtd-hotplug.sh and
# amdvi-hotplug.sh, which set
#   hp_backend  the iox backend module (iox-intel, iox-amd)
#   hp_unit     its unit in debugfs (dmar0, ivhd0)
#   hp_test     the vmtest DMA module (iox_vtd_dma_test, iox_amdvi_dma_test)
#   hp_prefix   the prefix of that module's KTAP lines
# The machine starts with an empty PCIe root port at 00:11.0.  Once the
# backend is up, the guest asks the host ("iox-vm: monitor") to send
# QEMU's monitor the device_add of an edu into that port (vm.sh).  The
# hot-added edu has no driver: it must be blocked (debugfs says so, and
# the unit's entry for it refuses its DMA: no context entry on VT-d, a
# device table entry without access on AMD-Vi), its DMA reaches nothing;
# it attaches and translates like any other device, gets a DMA domain
# when a driver binds and is blocked again when it unbinds.  Then the
# backend unloads with no domain left.

m=/lib/modules/iox
dbg=/sys/kernel/debug/iox

# The hot-added edu's PCI address, once it is there.
edu_addr() {
	grep -l '^0x11e8$' /sys/bus/pci/devices/*/device 2>/dev/null |
		sed -n 's|.*/\([0-9a-f:.]*\)/device$|\1|p' | head -n 1
}

edu_present() {
	[ -n "$(edu_addr)" ]
}

ktap_plan 9
ktap_check "iox core loads" insmod $m/iox.ko
ktap_check "$hp_backend loads" insmod "$m/$hp_backend.ko"
ktap_check "no edu before the hotplug" test -z "$(edu_addr)"
echo "iox-vm: monitor"
ktap_check "edu appears after device_add" wait_until 120 1 edu_present
addr=$(edu_addr)
echo "# edu at $addr; debugfs devices of $hp_unit:"
sed 's/^/# /' "$dbg/$hp_unit/devices"
ktap_check "debugfs shows the hot-added edu blocked" \
	grep -q "^$addr blocked$" "$dbg/$hp_unit/devices"
# The unit's tables name bus:device.function, without the segment.
ktap_check "the unit's entry for the hot-added edu refuses its DMA" \
	unit_entry_blocked "$hp_backend" "${addr#*:}"
ktap_check "the hot-added edu is blocked, attaches, and blocked again after its driver" \
	module_subtest "$hp_prefix" 3 "$m/$hp_test.ko" hotplug=1
ktap_check "the unit's entry for edu refuses its DMA again" \
	unit_entry_blocked "$hp_backend" "${addr#*:}"
ktap_check "$hp_backend unloads, no domain left" \
	sh -c "rmmod $hp_test && rmmod $(echo "$hp_backend" | tr - _) &&
	       [ -z \"\$(ls $dbg/domains 2>/dev/null)\" ]"
