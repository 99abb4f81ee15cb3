#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the iox modules out of tree against KDIR (default: the installed
# headers of the resolved Debian ABI) with W=1, then the vmtest test modules
# against them.  Any compiler or modpost warning fails the build.

. "$(dirname "$0")/lib.sh"

log=$IOX_BUILD/modules.log
status=0
# Rebuild from scratch: warnings only show when a file is compiled, and an
# up-to-date object must not hide one.
make -C "$KDIR" M="$IOX_ROOT/drivers/iommu/iox" clean >/dev/null 2>&1 || true
make -C "$KDIR" M="$IOX_TOOLS/modules" clean >/dev/null 2>&1 || true
make -C "$KDIR" M="$IOX_ROOT/drivers/iommu/iox" W=1 \
	CONFIG_IOX=m CONFIG_IOX_INTEL=m CONFIG_IOX_AMD=m modules >"$log" 2>&1 || status=$?
[ $status -eq 0 ] && make -C "$KDIR" M="$IOX_TOOLS/modules" W=1 \
	KBUILD_EXTRA_SYMBOLS="$IOX_ROOT/drivers/iommu/iox/Module.symvers" \
	modules >>"$log" 2>&1 || status=$?
if [ $status -ne 0 ] || grep -qiE 'warning|error' "$log"; then
	cat "$log"
	echo "modules: build failed or warned (KDIR=$KDIR)" >&2
	gate build 1 || exit 1
fi
gate build 0
