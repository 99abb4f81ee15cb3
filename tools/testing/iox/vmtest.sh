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
		printf "%sok %d %s: %d (expected %d)\n", got == want ? "" : "not ",
			n, what, got, want
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

# The commands QEMU's amd-iommu traced between the two markers
# (INVALIDATE_DEVTAB_ENTRY of ff:1f.6) around the precision case of
# iox_amdvi_dma_test, against the numbers of INVALIDATE_IOMMU_PAGES and
# COMPLETION_WAIT iox counted submitting them, which the module printed
# ("amdvi-plan"; the first marker's own wait comes on top), and against
# the script of amdvi_dma_cases.h: 5 range commands and 1 whole-domain
# one for the unmaps, plus the NpCache invalidations of its 3 maps (1 + 1
# + 10 blocks), 1 + 1 + 1 + 5 waits.
amdvi_trace_ktap() {
	awk -v plan="$(sed -n 's/.*# amdvi-plan: //p' "$2")" '
	/amdvi_devtab_inval .*ff:1f\.6 / { marks++; next }
	marks == 1 && /amdvi_pages_inval / { pages++ }
	marks == 1 && /amdvi_completion_wait / { waits++ }
	function check(n, what, got, want) {
		printf "%sok %d %s: %d (expected %d)\n", got == want ? "" : "not ",
			n, what, got, want
	}
	END {
		split(plan, p, " ")
		print "KTAP version 1"
		print "1..5"
		check(1, "trace markers", marks, 2)
		check(2, "INVALIDATE_IOMMU_PAGES as iox planned", pages, p[2])
		check(3, "COMPLETION_WAIT as iox planned (and the marker)", waits, p[4] + 1)
		check(4, "INVALIDATE_IOMMU_PAGES as the script costs", pages, 18)
		check(5, "COMPLETION_WAIT as the script costs", waits, 9)
	}' "$1"
}

# A disk scenario's read between two markers (disk.sh): the guest printed
# the policy, the unmaps the read made, how long it took and, when lazy,
# the flush queue's entries per CPU ring and timeout.  Strict: every unmap
# was invalidated by itself, page-selectively, and waited for; no
# domain-wide flush.  Lazy: no unmap was invalidated by itself (no
# page-selective descriptor); the domain-wide flushes are fewer than the
# unmaps and no more than one per full ring plus one per timeout (and one
# for each end of the read).
disk_trace_ktap() {
	awk -v guest="$(sed -n 's/.*# disk-trace: //p' "$2" | tr -d '\r')" '
	/vtd_inv_desc_cc_devices.*sid 0xfffe / { marks++; next }
	marks == 1 && /vtd_inv_desc_iotlb_pages/ { pages++ }
	marks == 1 && /vtd_inv_desc_iotlb_(domain|global)/ { flushes++ }
	marks == 1 && /vtd_inv_desc_wait/ { waits++ }
	marks == 1 && /vtd_inv_desc / { descs++ }
	function ok(n, cond, what) {
		printf "%sok %d %s\n", cond ? "" : "not ", n, what
	}
	END {
		n = split(guest, kv, " ")
		for (i = 1; i <= n; i++) {
			split(kv[i], f, "=")
			g[f[1]] = f[2]
		}
		u = g["unmaps"] + 0
		pages += 0; flushes += 0; waits += 0; descs += 0
		print "KTAP version 1"
		print "1..4"
		what = "trace markers: " marks ", " g["mode"] " unmaps in between: " u
		ok(1, marks == 2 && u > 0, what)
		printf "# %d descriptors for %d unmaps: %d page-selective, " \
			"%d domain-wide, %d waits\n", descs, u, pages, flushes, waits
		if (g["mode"] == "strict") {
			ok(2, pages >= u, "strict: a page-selective invalidation per unmap: " pages)
			ok(3, waits >= u, "strict: a wait per unmap: " waits)
			ok(4, flushes == 0, "strict: no domain-wide flush: " flushes)
			exit
		}
		bound = 0
		if (g["entries"] && g["timeout_ms"])
			bound = int(u / g["entries"]) + int(g["ms"] / g["timeout_ms"]) + 2
		ok(2, pages == 0, "lazy: no page-selective invalidation per unmap: " pages)
		what = "lazy: domain-wide flushes " flushes " for " u " unmaps"
		ok(3, flushes > 0 && flushes < u, what)
		what = "lazy: flushes " flushes " <= " bound " (" u " unmaps / " g["entries"]
		what = what " per ring + " g["ms"] " ms / " g["timeout_ms"] " ms + 2)"
		ok(4, flushes <= bound, what)
	}' "$1"
}

status=0
scenarios="vtd vtd-dma vtd-dma-regs vtd-dma-cm vtd-dma-port vtd-hotplug vtd-alias vfio vfio-amdvi
	vtd-nvme vtd-nvme-lazy vtd-virtio vtd-virtio-lazy amdvi amdvi-dma amdvi-dma-polled
	amdvi-hotplug amdvi-nvme amdvi-nvme-lazy vtd-e1000e amdvi-e1000e-lazy vtd-owned amdvi-owned"
for scenario in ${IOX_VMTEST_SCENARIOS:-$scenarios}; do
	log=$IOX_BUILD/vmtest-$scenario.log
	trace=$IOX_BUILD/vmtest-$scenario.trace
	rm -f "$trace"
	IOX_QEMU_EXTRA="-trace vtd_inv_desc* -trace amdvi_pages_inval
		-trace amdvi_completion_wait -trace amdvi_devtab_inval
		-trace amdvi_all_inval -D $trace" \
		vm_run "$scenario" "$initrd" "$log"
	"$IOX_TOOLS/ktap.py" "$log" "vmtest-$scenario" "$IOX_RESULTS" ||
		{ status=1; echo "vmtest-$scenario: log in $log"; }
	if [ "$scenario" = vtd-dma ]; then
		vtd_trace_ktap "$trace" >"$IOX_BUILD/vmtest-vtd-trace.log"
		"$IOX_TOOLS/ktap.py" "$IOX_BUILD/vmtest-vtd-trace.log" vmtest-vtd-trace \
			"$IOX_RESULTS" || { status=1; cat "$IOX_BUILD/vmtest-vtd-trace.log"; }
	fi
	case $scenario in
	vtd-nvme* | vtd-virtio*)
		disk_trace_ktap "$trace" "$log" >"$IOX_BUILD/vmtest-$scenario-trace.log"
		"$IOX_TOOLS/ktap.py" "$IOX_BUILD/vmtest-$scenario-trace.log" \
			"vmtest-$scenario-trace" "$IOX_RESULTS" ||
			{ status=1; cat "$IOX_BUILD/vmtest-$scenario-trace.log"; }
		;;
	esac
	if [ "$scenario" = amdvi-dma ]; then
		amdvi_trace_ktap "$trace" "$log" >"$IOX_BUILD/vmtest-amdvi-trace.log"
		"$IOX_TOOLS/ktap.py" "$IOX_BUILD/vmtest-amdvi-trace.log" vmtest-amdvi-trace \
			"$IOX_RESULTS" || { status=1; cat "$IOX_BUILD/vmtest-amdvi-trace.log"; }
	fi
done
exit $status
