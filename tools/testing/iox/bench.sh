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
# IOX_BENCH_ARCHS picks some of "uml x86_64" (default: both).  Each
# benchmark measures iox and its reference in the same boot and prints
# "# bench: ..." lines with the figures and ratios; they are collected in
# $IOX_CACHE/build/bench.txt, the x86_64 ones prefixed with "x86_64: ".

. "$(dirname "$0")/lib.sh"

overlay
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

for arch in ${IOX_BENCH_ARCHS:-uml x86_64}; do
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
	*)
		echo "bench: unknown arch $arch" >&2
		status=1
		;;
	esac
done
exit $status
