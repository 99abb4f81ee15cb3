# SPDX-License-Identifier: GPL-2.0
#
# AMD-Vi discovery on QEMU's amd-iommu,intremap=off with edu at 00:10.0
# (vmtest.sh starts the machine), and the unit brought up.  The expected values are what QEMU 7.2
# reports (shared/QEMU.md): EFR 0x29d3, MMIO at 0xfed80000.

caps=/sys/kernel/debug/iox/ivhd0/caps

decode_matches_registers() {
	efr=$(caps_field $caps efr)
	expect_fields $caps \
		"host_levels=$((4 + ((efr >> 10) & 3)))" \
		"guest_levels=$((4 + ((efr >> 12) & 3)))" \
		"prefetch=$((efr & 1))" \
		"ppr=$(((efr >> 1) & 1))" \
		"x2apic=$(((efr >> 2) & 1))" \
		"nx=$(((efr >> 3) & 1))" \
		"guest_translation=$(((efr >> 4) & 1))" \
		"invalidate_all=$(((efr >> 6) & 1))" \
		"hw_error=$(((efr >> 8) & 1))" \
		"perf_counters=$(((efr >> 9) & 1))"
}

matches_qemu() {
	expect_fields $caps type=amdvi base=0xfed80000 ivhd_type=0x10 \
		cap_offset=0x40 efr=0x00000000000029d3 host_levels=6 \
		guest_levels=6 ias=64 pgsize_bitmap=0x40201000
}

# The IOMMU is the PCI function IVRS names; it must exist with AMD's ids.
iommu_function_exists() {
	devid=$(caps_field $caps devid)
	test "$(cat /sys/bus/pci/devices/$devid/vendor)" = 0x1022
}

ktap_plan 9
ktap_check "iox core loads" insmod /lib/modules/iox/iox.ko
ktap_check "iox-amd loads" insmod /lib/modules/iox/iox-amd.ko
ktap_check "ivhd0 is registered in debugfs" test -f $caps
cat $caps | sed 's/^/# /'
ktap_check "decoded fields match the raw EFR" decode_matches_registers
ktap_check "decoded fields match QEMU's amd-iommu" matches_qemu
ktap_check "IVHD names the IOMMU's own PCI function" iommu_function_exists
ktap_check "device entries cover edu at 00:10.0" grep -qx "devices: 0080-0080" $caps
ktap_check "bring-up enabled the unit (IommuEn, event log, its interrupt, commands)" \
	expect_fields $caps control=0x000000000000100d
unload() { rmmod iox_amd && rmmod iox && ! test -e /sys/kernel/debug/iox; }
ktap_check "both modules unload and remove their debugfs" unload
