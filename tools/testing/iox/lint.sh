#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# lint tier, three gates with zero tolerance:
#   sparse      C=2 W=1 over every iox C file, tests included, in an x86_64
#               tree configured with all iox options (kernel tree overlay),
#               and over the vmtest modules against the distro headers
#   checkpatch  scripts/checkpatch.pl --strict over every source file, the
#               harness's scripts and Makefiles included
#   kernel-doc  scripts/kernel-doc -v -none over every C file and header

. "$(dirname "$0")/lib.sh"

overlay
status=0
cd "$IOX_ROOT"
mapfile -t c_files < <(find drivers include tools/testing/iox/modules \
	\( -name '*.[ch]' ! -name '*.mod.c' \) | sort)
mapfile -t kbuild_files < <(find drivers \( -name Kconfig -o -name Makefile \) | sort)
# The harness's scripts and Makefiles go into the series too.
mapfile -t script_files < <(find Makefile .ci tools/testing/iox -type f \
	\( -name '*.sh' -o -name '*.py' -o -name Makefile -o -name init -o -name run \) | sort)

# sparse: a small configured tree that only ever builds drivers/iommu/iox/.
tree=$IOX_BUILD/lint-x86_64
log=$IOX_BUILD/lint-sparse.log
mkdir -p "$tree"
# The x86_64 KUnit options without the slow debugging ones, and the
# benchmarks with the kernel's AMD-Vi driver (the page-table benchmark's
# reference), so that every iox file is checked.
fragment=$(grep -v -e KASAN -e PROVE_LOCKING \
	"$IOX_TREE/drivers/iommu/iox/tests/x86_64.kunitconfig"
	echo CONFIG_IOX_BENCH=y
	echo CONFIG_AMD_IOMMU=y)
if [ ! -f "$tree/.config" ] || [ "$fragment" != "$(cat "$tree/.iox-config" 2>/dev/null)" ]; then
	make -C "$IOX_TREE" O="$tree" ARCH=x86_64 allnoconfig >"$log" 2>&1
	echo "$fragment" >>"$tree/.config"
	make -C "$IOX_TREE" O="$tree" ARCH=x86_64 olddefconfig >>"$log" 2>&1
	echo "$fragment" >"$tree/.iox-config"
fi
rc=0
make -C "$IOX_TREE" O="$tree" ARCH=x86_64 -j"$(nproc)" C=2 W=1 drivers/iommu/iox/ \
	>"$log" 2>&1 || rc=$?
if [ $rc -ne 0 ] || grep -E '(warning|error):' "$log"; then
	[ $rc -ne 0 ] && tail -n 30 "$log"
	gate lint-sparse 1 || status=1
else
	checked=$(grep -c '^  CHECK' "$log" || true)
	echo "sparse: $checked files checked"
	if [ "$checked" -gt 0 ]; then
		gate lint-sparse 0
	else
		gate lint-sparse 1 || status=1
	fi
fi

# sparse over the vmtest modules, built out of tree like in vmtest.
log=$IOX_BUILD/lint-sparse-modules.log
rc=0
build_modules "$log" || rc=$?
[ $rc -eq 0 ] && { make -C "$KDIR" M="$IOX_TOOLS/modules" C=2 W=1 \
	KBUILD_EXTRA_SYMBOLS="$IOX_ROOT/drivers/iommu/iox/Module.symvers" modules \
	>>"$log" 2>&1 || rc=$?; }
if [ $rc -ne 0 ] || grep -E '(warning|error):' "$log"; then
	gate lint-sparse-modules 1 || status=1
else
	gate lint-sparse-modules 0
fi

# checkpatch: C, headers, Kconfig, Makefiles and the harness's scripts.
out=$("$IOX_TREE/scripts/checkpatch.pl" --strict --no-tree --quiet --terse \
	--show-types -f "${c_files[@]}" "${kbuild_files[@]}" "${script_files[@]}" 2>&1 |
	grep -v '^total: 0 errors, 0 warnings, 0 checks' || true)
# verdict TIER OUTPUT: a gate that passes only when the tool said nothing.
verdict() {
	if [ -z "$2" ]; then
		gate "$1" 0
	else
		echo "$2"
		gate "$1" 1 || status=1
	fi
}
verdict lint-checkpatch "$out"

# kernel-doc: -v also warns about missing return descriptions.
out=$("$IOX_TREE/scripts/kernel-doc" -v -none "${c_files[@]}" 2>&1 |
	grep -v -e '^$' -e ': info: Scanning doc for' || true)
verdict lint-kerneldoc "$out"

exit $status
