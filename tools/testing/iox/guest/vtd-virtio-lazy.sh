# SPDX-License-Identifier: GPL-2.0
#
# vtd-virtio.sh with the virtio-blk device in a lazy DMA domain: the flush
# queue batches the invalidations and its measured window stays under its
# bound.

IOX_DMA_LAZY=1
. /tests/vtd-virtio.sh
