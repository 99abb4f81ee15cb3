#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make overlay: refresh the cached Linux 6.1 tree with the project's files
# and print where it is, for building iox in tree by hand.

. "$(dirname "$0")/lib.sh"

overlay
echo "$IOX_TREE"
