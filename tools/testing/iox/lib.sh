#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Sourced by the iox test-tier scripts: bootstraps the dependencies, loads
# the resolved paths, and offers result bookkeeping for `make check`.

set -euo pipefail

IOX_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
IOX_TOOLS=$IOX_ROOT/tools/testing/iox
IOX_CACHE=${IOX_CACHE:-$HOME/.cache/iox}
export IOX_CACHE

"$IOX_TOOLS/bootstrap.sh"
while read -r key _ value; do
	printf -v "$key" '%s' "$value"
done <"$IOX_CACHE/env.mk"

KDIR=${KDIR:-$IOX_HEADERS}
# The kernel tree the project is overlaid onto, and where builds go.
IOX_TREE=$IOX_SOURCE
IOX_BUILD=${IOX_BUILD:-$IOX_CACHE/build}
mkdir -p "$IOX_BUILD"

# Where `make check` collects per-tier counts (see check.sh).
IOX_RESULTS=${IOX_RESULTS:-}

# record TIER PASSED FAILED: add a tier's counts to the check summary.
record() {
	[ -n "$IOX_RESULTS" ] && echo "$1 $2 $3" >>"$IOX_RESULTS"
	return 0
}

# gate TIER STATUS: a pass/fail gate counts as one test.
gate() {
	if [ "$2" -eq 0 ]; then
		echo "ok - $1"
		record "$1" 1 0
	else
		echo "not ok - $1"
		record "$1" 0 1
	fi
	return "$2"
}

# build_modules LOG: the iox modules, then the vmtest modules against them,
# out of tree against KDIR with W=1; incremental.  modules.sh rebuilds from
# scratch and gates on warnings; the other tiers only need the objects.
build_modules() {
	make -C "$KDIR" M="$IOX_ROOT/drivers/iommu/iox" W=1 \
		CONFIG_IOX=m CONFIG_IOX_INTEL=m CONFIG_IOX_AMD=m CONFIG_IOX_DMA=y \
		CONFIG_IOX_IOMMU_API=y modules >"$1" 2>&1 &&
	make -C "$KDIR" M="$IOX_TOOLS/modules" W=1 \
		KBUILD_EXTRA_SYMBOLS="$IOX_ROOT/drivers/iommu/iox/Module.symvers" \
		modules >>"$1" 2>&1
}

overlay() {
	"$IOX_TOOLS/overlay.sh" "$IOX_ROOT" "$IOX_TREE"
}
