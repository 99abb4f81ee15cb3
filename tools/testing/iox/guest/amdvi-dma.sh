# SPDX-License-Identifier: GPL-2.0
#
# Real DMA through iox on QEMU's amd-iommu with edu at 00:10.0: the
# iox_amdvi_dma_test module runs the cases of amdvi_dma_cases.h at load and
# prints their KTAP, passed on here as a subtest.  Then module unload under
# a live domain, a bring-up that fails on purpose, and a reload.  vmtest.sh
# also checks QEMU's trace of the commands the precision case caused.

m=/lib/modules/iox
caps=/sys/kernel/debug/iox/ivhd0/caps
ktap_plan 12
ktap_check "iox core loads" insmod $m/iox.ko
# shellcheck disable=SC2086
ktap_check "iox-amd loads ${IOX_AMD_ARGS:-}" insmod $m/iox-amd.ko ${IOX_AMD_ARGS:-}
# IommuEn, EventLogEn, EventIntEn (with the interrupt), CmdBufEn.
ktap_check "bring-up enabled translation, command buffer and event log" \
	expect_fields $caps "control=${IOX_AMD_CONTROL:-0x000000000000100d}"
# edu has no driver: blocked from the unit's bring-up.
ktap_check "debugfs shows edu, without a driver, blocked" \
	grep -q '^0000:00:10.0 blocked$' /sys/kernel/debug/iox/ivhd0/devices
ktap_check "edu's device table entry is blocked" \
	grep -q '^00:10.0 blocked$' /sys/kernel/debug/iox/ivhd0/devtab
# shellcheck disable=SC2086
ktap_check "DMA through iox translations" \
	module_subtest iox-amdvi-dma any $m/iox_amdvi_dma_test.ko markers=1 ${IOX_DMA_TEST_ARGS:-}
# The held domain mapped nothing: its table is the root page alone.
ktap_check "a domain's page-table accounting is in debugfs" \
	sh -c "grep -q '^pages_live: 1$' /sys/kernel/debug/iox/domains/*/pgtable"
ktap_check "unloading iox-amd under a live domain is refused" \
	sh -c '! rmmod iox_amd 2>/dev/null'
ktap_check "with the domain freed, iox-amd unloads" \
	sh -c 'rmmod iox_amdvi_dma_test && rmmod iox_amd'
ktap_check "a bring-up failing once translation is on fails the load" \
	sh -c "! insmod $m/iox-amd.ko inject_bringup_failure=1 2>/dev/null"
# Had the failure left IommuEn set, the unit would now be refused as owned.
ktap_check "iox-amd loads again and brings the unit up" \
	sh -c "insmod $m/iox-amd.ko && grep -q '^control: 0x000000000000100d' $caps"
# Nothing recorded the blocked state: the new bring-up blocks edu again.
ktap_check "edu's device table entry is blocked again after the reload" \
	grep -q '^00:10.0 blocked$' /sys/kernel/debug/iox/ivhd0/devtab
