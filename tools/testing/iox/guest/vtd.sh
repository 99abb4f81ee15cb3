# SPDX-License-Identifier: GPL-2.0
#
# VT-d discovery on QEMU's intel-iommu,intremap=off,aw-bits=48 with edu at
# 00:10.0 (vmtest.sh starts the machine).  The expected values are what
# QEMU 7.2 reports for that configuration (shared/QEMU.md).

caps=/sys/kernel/debug/iox/dmar0/caps

# Decode CAP/ECAP independently of the module and compare.
decode_matches_registers() {
	cap=$(caps_field $caps cap)
	ecap=$(caps_field $caps ecap)
	expect_fields $caps \
		"domains=$((1 << (4 + 2 * (cap & 7))))" \
		"sagaw=$(printf '%#x' $(((cap >> 8) & 0x1f)))" \
		"mgaw=$((((cap >> 16) & 0x3f) + 1))" \
		"fault_reg_offset=$(printf '%#x' $((((cap >> 24) & 0x3ff) * 16)))" \
		"sllps=$(printf '%#x' $(((cap >> 34) & 0xf)))" \
		"psi=$(((cap >> 39) & 1))" \
		"fault_regs=$((((cap >> 40) & 0xff) + 1))" \
		"mamv=$(((cap >> 48) & 0x3f))" \
		"caching_mode=$(((cap >> 7) & 1))" \
		"rwbf=$(((cap >> 4) & 1))" \
		"coherent=$((ecap & 1))" \
		"qi=$(((ecap >> 1) & 1))" \
		"ir=$(((ecap >> 3) & 1))" \
		"pass_through=$(((ecap >> 6) & 1))" \
		"iotlb_reg_offset=$(printf '%#x' $((((ecap >> 8) & 0x3ff) * 16)))"
}

matches_qemu() {
	expect_fields $caps type=vtd base=0xfed90000 segment=0 haw=48 include_all=0 \
		domains=65536 sagaw=0x6 mgaw=48 sllps=0x3 psi=1 mamv=18 \
		caching_mode=0 rwbf=0 coherent=0 qi=1 ir=0 pass_through=1 \
		fault_regs=1 fault_reg_offset=0x220 iotlb_reg_offset=0xf0 \
		ias=48 pgsize_bitmap=0x40201000
}

ktap_plan 12
ktap_check "iox core loads" insmod /lib/modules/iox/iox.ko
ktap_check "iox-intel loads" insmod /lib/modules/iox/iox-intel.ko
ktap_check "dmar0 is registered in debugfs" test -f $caps
cat $caps | sed 's/^/# /'
ktap_check "decoded fields match the raw CAP/ECAP registers" decode_matches_registers
ktap_check "decoded fields match QEMU's intel-iommu (aw-bits=48)" matches_qemu
ktap_check "device scope names edu at 00:10.0" grep -qx "scope: endpoint 0000:00:10.0" $caps
ktap_check "translation, root table and queued invalidation are on (GSTS TES|RTPS|QIES)" \
	expect_fields $caps gsts=0xc4000000
ktap_check "bring-up invalidated through the queue" \
	expect_fields /sys/kernel/debug/iox/dmar0/inval queued=1 iotlb_global=1
unload() { rmmod iox_intel && rmmod iox && ! test -e /sys/kernel/debug/iox; }
ktap_check "both modules unload and remove their debugfs" unload
reload() {
	insmod /lib/modules/iox/iox.ko && insmod /lib/modules/iox/iox-intel.ko &&
		test -f $caps
}
ktap_check "reload finds the unit again" reload
rmmod iox_intel
ktap_check "a bring-up failing after translation is on fails the load" \
	sh -c '! insmod /lib/modules/iox/iox-intel.ko inject_bringup_failure=1'
ktap_check "the failed bring-up left the unit off: it loads again" \
	sh -c "insmod /lib/modules/iox/iox-intel.ko && grep -q '^gsts: 0xc4000000' $caps"

