# SPDX-License-Identifier: GPL-2.0
#
# amdvi-nvme.sh with the nvme device in a lazy DMA domain: the flush queue
# batches the invalidations and its measured window stays under its bound.

IOX_DMA_LAZY=1
. /tests/amdvi-nvme.sh
