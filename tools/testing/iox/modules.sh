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
build_modules "$log" || status=$?
if [ $status -ne 0 ] || grep -qiE 'warning|error' "$log"; then
	cat "$log"
	echo "modules: build failed or warned (KDIR=$KDIR)" >&2
	gate build 1 || exit 1
fi
gate build 0
