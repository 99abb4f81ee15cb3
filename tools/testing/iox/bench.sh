#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: the iox-bench-* KUnit suites on UML (native speed, no
# debugging options: drivers/iommu/iox/tests/bench.kunitconfig).  Each
# benchmark measures iox and its reference in the same boot and prints
# "# bench: ..." lines with the figures and ratios; they are collected in
# $IOX_CACHE/build/bench.txt.

. "$(dirname "$0")/lib.sh"

overlay
cd "$IOX_TREE"
build=$IOX_BUILD/bench-uml
mkdir -p "$build"
rm -f "$build/test.log"
python3 tools/testing/kunit/kunit.py run \
	--kunitconfig drivers/iommu/iox/tests/bench.kunitconfig \
	--build_dir "$build" --jobs "$(nproc)" --timeout 900 'iox-bench*' \
	>"$IOX_BUILD/bench-uml.out" 2>&1 || true
log=$IOX_BUILD/bench-uml.log
if [ -f "$build/test.log" ]; then
	mv "$build/test.log" "$log"
else
	tail -n 40 "$IOX_BUILD/bench-uml.out"
	echo "bench: kunit.py produced no kernel log" >"$log"
fi
grep -o '# bench: .*' "$log" | sed 's/^# bench: //' | tee "$IOX_BUILD/bench.txt"
"$IOX_TOOLS/ktap.py" "$log" bench-uml
