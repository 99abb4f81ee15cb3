#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# vmtest tier: the stock Debian kernel with the out-of-tree iox modules under
# QEMU TCG, once per emulated IOMMU and once per "unit owned by another
# driver" case.  Guest scripts print KTAP; ktap.py judges each log.

. "$(dirname "$0")/lib.sh"
. "$IOX_TOOLS/vm.sh"

IOX_RESULTS= "$IOX_TOOLS/modules.sh" >/dev/null || { gate vmtest-build 1; exit 1; }

initrd=$IOX_BUILD/vmtest-initramfs.cpio.gz
vm_initramfs "$initrd"

status=0
for scenario in ${IOX_VMTEST_SCENARIOS:-vtd amdvi vtd-owned amdvi-owned}; do
	log=$IOX_BUILD/vmtest-$scenario.log
	vm_run "$scenario" "$initrd" "$log"
	"$IOX_TOOLS/ktap.py" "$log" "vmtest-$scenario" "$IOX_RESULTS" ||
		{ status=1; echo "vmtest-$scenario: log in $log"; }
done
exit $status
