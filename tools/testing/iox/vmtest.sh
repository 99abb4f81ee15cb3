#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# vmtest tier: the stock Debian kernel with the out-of-tree iox modules under
# QEMU TCG, once per emulated IOMMU and once per "unit owned by another
# driver" case.  Guest scripts print KTAP; ktap.py judges each log.

. "$(dirname "$0")/lib.sh"
. "$IOX_TOOLS/vm.sh"

build_modules "$IOX_BUILD/vmtest-modules.log" ||
	{ cat "$IOX_BUILD/vmtest-modules.log"; gate vmtest-build 1; exit 1; }

initrd=$IOX_BUILD/vmtest-initramfs.cpio.gz
vm_initramfs "$initrd"

# The invalidation descriptors QEMU traced between the two markers the
# precision case of iox_vtd_dma_test sets, against what its script of
# unmaps must cost (see iox_dma_case_inval_precision()): 5 page-selective
# invalidations, 1 domain invalidation, and one wait per unmap plus the
# first marker's.
vtd_trace_ktap() {
	awk '
	/vtd_inv_desc_cc_devices.*sid 0xfffe / { marks++; next }
	marks == 1 && /vtd_inv_desc_iotlb_pages/ { pages++ }
	marks == 1 && /vtd_inv_desc_iotlb_domain/ { domains++ }
	marks == 1 && /vtd_inv_desc_wait_sw/ { waits++ }
	function check(n, what, got, want) {
		printf "%sok %d %s: %d (expected %d)\n", got == want ? "" : "not ", n, what, got, want
	}
	END {
		print "KTAP version 1"
		print "1..4"
		check(1, "trace markers", marks, 2)
		check(2, "page-selective IOTLB invalidations", pages, 5)
		check(3, "domain-selective IOTLB invalidations", domains, 1)
		check(4, "wait descriptors with status write", waits, 6)
	}' "$1"
}

status=0
for scenario in ${IOX_VMTEST_SCENARIOS:-vtd vtd-dma vtd-dma-regs vtd-dma-cm vtd-dma-port vtd-alias amdvi vtd-owned amdvi-owned}; do
	log=$IOX_BUILD/vmtest-$scenario.log
	trace=$IOX_BUILD/vmtest-$scenario.trace
	rm -f "$trace"
	IOX_QEMU_EXTRA="-trace vtd_inv_desc* -D $trace" vm_run "$scenario" "$initrd" "$log"
	"$IOX_TOOLS/ktap.py" "$log" "vmtest-$scenario" "$IOX_RESULTS" ||
		{ status=1; echo "vmtest-$scenario: log in $log"; }
	if [ "$scenario" = vtd-dma ]; then
		vtd_trace_ktap "$trace" >"$IOX_BUILD/vmtest-vtd-trace.log"
		"$IOX_TOOLS/ktap.py" "$IOX_BUILD/vmtest-vtd-trace.log" vmtest-vtd-trace \
			"$IOX_RESULTS" || { status=1; cat "$IOX_BUILD/vmtest-vtd-trace.log"; }
	fi
done
exit $status
