#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# overlay.sh SRCDIR TREE: put the iox files of the project at SRCDIR into the
# Linux 6.1 tree TREE: drivers/iommu/iox/, include/linux/iox*.h,
# Documentation/iommu/iox.rst (wired into the documentation index),
# tools/testing/iox/ and tools/testing/selftests/iox/; add the one-line
# hooks to drivers/iommu/Kconfig and drivers/iommu/Makefile and the
# project's sections to MAINTAINERS.  The result is the tree the patch
# series (make series) adds up to.  Re-running picks up edits: only files
# whose content changed are rewritten (and so rebuilt), and files deleted
# from the project are deleted from the tree.

set -euo pipefail

src=$(cd "$1" && pwd)
tree=$(cd "$2" && pwd)

[ -f "$tree/drivers/iommu/Kconfig" ] || { echo "overlay: $tree is not a kernel tree" >&2; exit 1; }

# Copy by content (-c) without times, so a changed file gets a new mtime.
# Build products of out-of-tree builds in the project stay out of the tree.
sync_tree() { rsync -rlc --delete --delete-excluded --exclude-from="$src/.gitignore" "$@"; }

sync_tree "$src/drivers/iommu/iox/" "$tree/drivers/iommu/iox/"
mkdir -p "$tree/Documentation/iommu" "$tree/tools/testing"
sync_tree "$src/Documentation/iommu/iox.rst" "$tree/Documentation/iommu/iox.rst"
sync_tree "$src/tools/testing/iox/" "$tree/tools/testing/iox/"
mkdir -p "$tree/tools/testing/selftests"
sync_tree "$src/tools/testing/selftests/iox/" "$tree/tools/testing/selftests/iox/"

# Headers share include/linux/ with the kernel's: track what we put there.
manifest=$tree/.iox-headers
new=$(cd "$src/include/linux" && ls iox*.h)
if [ -f "$manifest" ]; then
	for h in $(cat "$manifest"); do
		echo "$new" | grep -qx "$h" || rm -f "$tree/include/linux/$h"
	done
fi
for h in $new; do
	rsync -lc "$src/include/linux/$h" "$tree/include/linux/$h"
done
echo "$new" >"$manifest"

add_hook() { # file line
	grep -qxF "$2" "$1" || printf '\n%s\n' "$2" >>"$1"
}
add_hook "$tree/drivers/iommu/Kconfig" 'source "drivers/iommu/iox/Kconfig"'
add_hook "$tree/drivers/iommu/Makefile" 'obj-$(CONFIG_IOX) += iox/'

# The documentation index: 6.1 has no Documentation/iommu/ book yet; add one
# with iox in it to the subsystem books (their toctree ends the file).
index=$tree/Documentation/iommu/index.rst
if [ ! -f "$index" ]; then
	spdx=SPDX-License-Identifier	# (a tag of this file's own, otherwise)
	cat >"$index" <<EOF
.. $spdx: GPL-2.0

=====
IOMMU
=====

.. toctree::
   :maxdepth: 1

EOF
fi
add_entry() { # file line: append to the toctree at the end of the file
	grep -qxF "$2" "$1" || echo "$2" >>"$1"
}
add_entry "$index" '   iox'
add_entry "$tree/Documentation/subsystem-apis.rst" '   iommu/index'

python3 "$src/tools/testing/iox/maintainers.py" "$src/MAINTAINERS" "$tree/MAINTAINERS"
