# SPDX-License-Identifier: GPL-2.0
#
# Real DMA through iox on QEMU's intel-iommu with edu at 00:10.0: the
# iox_vtd_dma_test module runs the cases of vtd_dma_cases.h at load and
# prints their KTAP, passed on here as a subtest.  Then module unload
# under a live domain.  vmtest.sh also checks QEMU's trace of the
# invalidation descriptors the precision case caused.  A unit reference
# alone (iox_unit_ref_test, which uses no iox-intel symbol) pins iox-intel.

m=/lib/modules/iox
# A script that sources this one may define iox_before_dma (run before
# the DMA cases) and iox_after_dma (extra checks right after them, their
# number in IOX_EXTRA_TESTS).
ktap_plan $((11 + ${IOX_EXTRA_TESTS:-0}))
ktap_check "iox core loads" insmod $m/iox.ko
# shellcheck disable=SC2086
ktap_check "iox-intel loads ${IOX_INTEL_ARGS:-}" insmod $m/iox-intel.ko ${IOX_INTEL_ARGS:-}
command -v iox_before_dma >/dev/null && iox_before_dma
# edu has no driver: blocked from the unit's bring-up (no context entry).
edu=$(grep -l '^0x11e8$' /sys/bus/pci/devices/*/device | head -n 1)
edu=$(basename "$(dirname "$edu")")
ktap_check "debugfs shows edu ($edu), without a driver, blocked" \
	grep -q "^$edu blocked$" /sys/kernel/debug/iox/dmar0/devices
ktap_check "edu has no context entry" \
	sh -c "! grep -q '^${edu#*:} ' /sys/kernel/debug/iox/dmar0/context"
# shellcheck disable=SC2086
ktap_check "DMA through iox translations" \
	module_subtest iox-vtd-dma any $m/iox_vtd_dma_test.ko markers=1 ${IOX_DMA_TEST_ARGS:-}
command -v iox_after_dma >/dev/null && iox_after_dma
# The held domain mapped nothing: its table is the root page alone.
ktap_check "a domain's page-table accounting is in debugfs" \
	sh -c "grep -q '^pages_live: 1$' /sys/kernel/debug/iox/domains/*/pgtable"
ktap_check "unloading iox-intel under a live domain is refused" \
	sh -c '! rmmod iox_intel 2>/dev/null'
# iox_unit_ref_test uses no symbol of iox-intel: only its reference pins it.
ktap_check "a unit reference alone keeps iox-intel loaded" \
	sh -c "rmmod iox_vtd_dma_test && insmod $m/iox_unit_ref_test.ko &&
	       ! rmmod iox_intel 2>/dev/null"
ktap_check "with the reference dropped, iox-intel unloads" \
	sh -c 'rmmod iox_unit_ref_test && rmmod iox_intel'
ktap_check "iox-intel loads again and brings the unit up" \
	sh -c "insmod $m/iox-intel.ko &&
	       grep -q '^gsts: 0xc4000000' /sys/kernel/debug/iox/dmar0/caps"
# Nothing recorded the blocked state: the new bring-up blocks edu again.
ktap_check "edu is blocked again after the reload" \
	grep -q "^$edu blocked$" /sys/kernel/debug/iox/dmar0/devices
