#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: the iox-bench-* KUnit suites, without debugging options that
# distort timings,
#   uml:    on UML at native speed, one CPU
#           (drivers/iommu/iox/tests/bench.kunitconfig)
#   x86_64: on an x86_64 kernel under QEMU TCG with two CPUs running the
#           benchmark at once (drivers/iommu/iox/tests/bench-x86_64.kunitconfig,
#           qemu_configs/bench-x86_64.py)
#   vm:     the stock kernel with the iox modules, as vmtest boots it: the
#           DMA API (modules/iox_dma_bench.c) and NVMe reads through iox
#           strict and lazy, the kernel's intel-iommu strict and lazy, and
#           dma-direct (guest/bench.sh), with QEMU's counts of invalidation
#           descriptors and of its IOTLB's misses (the page walks the
#           emulated unit made for the disk's DMA); each configuration
#           booted IOX_BENCH_BOOTS times;
#           in the strict ones, iox_map()/iox_unmap() beside iommu_map()/
#           iommu_unmap() on an UNMANAGED intel-iommu domain
#           (modules/iox_map_bench.c), descriptors counted alike
# IOX_BENCH_ARCHS picks some of "uml x86_64 vm" (default: all),
# IOX_BENCH_VM the parts of vm, some of "dma map nvme" (default: all; the
# guest reads them from its command line, see vm_bench_args), and
# IOX_BENCH_MODES its configurations, some of "iox-strict kernel-strict
# iox-lazy kernel-lazy direct" (default: all; a ratio needs both sides).  The KUnit
# ones build in the shared kernel tree (the heavy lock), vm boots VMs (the
# VM lock, with your own IOX_BUILD).  Each
# benchmark measures iox and its reference in the same boot and prints
# "# bench: ..." lines with the figures and ratios; they are collected in
# $IOX_CACHE/build/bench.txt, the x86_64 ones prefixed with "x86_64: ".
# bench_report.py turns them into $IOX_CACHE/build/bench.md (a table with
# the ratios and the goals they meet or miss, the QEMU and kernel
# versions) and bench-iova.svg (a gnuplot plot of the IOVA allocator's
# scaling curves).

. "$(dirname "$0")/lib.sh"

started=$SECONDS
"$IOX_TOOLS/bootstrap.sh" bench
# Only the KUnit benchmarks use the shared kernel tree.
case " ${IOX_BENCH_ARCHS:-uml x86_64 vm} " in
*" uml "* | *" x86_64 "*) overlay ;;
esac
cd "$IOX_TREE"
status=0
: >"$IOX_BUILD/bench.txt"

# bench NAME PREFIX KUNIT_ARGS...: run kunit.py, collect the bench lines.
bench() {
	local name=$1 prefix=$2 build=$IOX_BUILD/$1 log=$IOX_BUILD/$1.log
	shift 2
	mkdir -p "$build"
	rm -f "$build/test.log"
	python3 tools/testing/kunit/kunit.py run "$@" \
		--build_dir "$build" --jobs "$(nproc)" --timeout 900 'iox-bench*' \
		>"$IOX_BUILD/$name.out" 2>&1 || true
	if [ -f "$build/test.log" ]; then
		mv "$build/test.log" "$log"
	else
		tail -n 40 "$IOX_BUILD/$name.out"
		echo "bench: kunit.py produced no kernel log" >"$log"
	fi
	grep -o '# bench: .*' "$log" | sed "s/^# bench: /$prefix/" |
		tee -a "$IOX_BUILD/bench.txt"
	"$IOX_TOOLS/ktap.py" "$log" "$name" || status=1
}

# bench_vm_window LOG TRACE OUT [TAG]: copy to OUT the trace lines QEMU
# wrote between the guest's "iox-bench: [TAG ]start" and "iox-bench:
# [TAG ]stop" (the guest sleeps on both sides); runs beside the VM until
# the stop mark.
bench_vm_window() {
	local log=$1 trace=$2 out=$3 mark="^iox-bench: ${4:+$4 }" a=
	until [ -n "$a" ]; do
		grep -q "${mark}start" "$log" 2>/dev/null && a=$(wc -l <"$trace")
		sleep 0.2
	done
	until grep -q "${mark}stop" "$log"; do
		sleep 0.2
	done
	sed -n "$((a + 1)),$(wc -l <"$trace")p" "$trace" >"$out"
}

# bench_vm: the DMA-API and NVMe benchmarks in the stock kernel (guest/
# bench.sh), each mode booted IOX_BENCH_BOOTS times (default 5), the
# modes alternating; the medians go to bench.txt prefixed "vm: ".
bench_vm() {
	local raw=$IOX_BUILD/bench-vm.raw boot mode log trace window pid desc mpid kind
	local modes=${IOX_BENCH_MODES:-iox-strict kernel-strict iox-lazy kernel-lazy direct}
	local events="-trace vtd_inv_desc -trace vtd_iotlb_page_update"
	: >"$raw"
	build_modules "$IOX_BUILD/bench-modules.log" ||
		{ tail -n 20 "$IOX_BUILD/bench-modules.log"; return 1; }
	. "$IOX_TOOLS/vm.sh"
	vm_initramfs "$IOX_BUILD/bench-initramfs.cpio.gz"
	: >"$IOX_BUILD/bench-vm.log"
	for boot in $(seq "${IOX_BENCH_BOOTS:-5}"); do
		for mode in $modes; do
			log=$IOX_BUILD/bench-vm-$mode-$boot.log
			trace=$IOX_BUILD/bench-vm-$mode.trace
			window=$IOX_BUILD/bench-vm-$mode.window
			# No stale log or trace may satisfy the watcher.
			rm -f "$log" "$trace" "$window" "$window-map"
			touch "$trace"
			bench_vm_window "$log" "$trace" "$window" &
			pid=$!
			mpid=
			case $mode in
			*-strict)
				bench_vm_window "$log" "$trace" "$window-map" map &
				mpid=$!
				;;
			esac
			IOX_QEMU_EXTRA="$events -D $trace" \
				vm_run "bench-$mode" "$IOX_BUILD/bench-initramfs.cpio.gz" "$log" 300
			kill "$pid" $mpid 2>/dev/null || true
			wait "$pid" $mpid 2>/dev/null || true
			cat "$log" >>"$IOX_BUILD/bench-vm.log"
			"$IOX_TOOLS/ktap.py" "$log" "bench-vm-$mode-$boot" || return 1
			# Raw kinds without the dash: dma, dmabest, dmamedian, dmaprobe.
			for kind in dma dma-best dma-median dma-probe; do
				sed -n "s/^# bench-vm: $kind $mode /$boot $mode ${kind/-/} /p" \
					"$log" | tr -d '\r' >>"$raw"
			done
			sed -n "s/^# bench-vm: map $mode \(.*\)/$boot $mode map \1/p" "$log" |
				tr -d '\r' >>"$raw"
			[ -f "$window-map" ] && echo "$boot $mode map desc" \
				"$(grep -c '^vtd_inv_desc ' "$window-map")" >>"$raw"
			sed -n "s/^# bench-vm: nvme $mode ms \([0-9]*\).*/\1/p" "$log" |
				sed "s/^/$boot $mode nvme ms /" >>"$raw"
			if [ -f "$window" ]; then
				desc=$(grep -c '^vtd_inv_desc ' "$window")
				echo "$boot $mode nvme desc $desc" >>"$raw"
				echo "$boot $mode nvme misses" \
					"$(grep -c '^vtd_iotlb_page_update ' "$window")" >>"$raw"
			fi
		done
	done
	"$IOX_TOOLS/bench_report.py" --vm "$raw" | tee -a "$IOX_BUILD/bench.txt"
}

for arch in ${IOX_BENCH_ARCHS:-uml x86_64 vm}; do
	case $arch in
	uml)
		bench bench-uml "" \
			--kunitconfig drivers/iommu/iox/tests/bench.kunitconfig
		;;
	x86_64)
		bench bench-x86_64 "x86_64: " \
			--kunitconfig drivers/iommu/iox/tests/bench-x86_64.kunitconfig \
			--qemu_config "$IOX_TOOLS/qemu_configs/bench-x86_64.py"
		;;
	vm)
		bench_vm || status=1
		;;
	*)
		echo "bench: unknown arch $arch" >&2
		status=1
		;;
	esac
done
logs=()
for arch in ${IOX_BENCH_ARCHS:-uml x86_64 vm}; do
	logs+=("$IOX_BUILD/bench-$arch.log")
done
"$IOX_TOOLS/bench_report.py" "$IOX_BUILD/bench.txt" "$IOX_BUILD" \
	$((SECONDS - started)) "${logs[@]}" || status=1
exit $status
