# SPDX-License-Identifier: GPL-2.0
#
# The stock kernel's unmodified nvme driver DMAs through iox on AMD-Vi
# (disk.sh): strict, or lazy when IOX_DMA_LAZY=1 (amdvi-nvme-lazy.sh).

disk_dev=0000:00:11.0
disk_drv=nvme
disk_blk=/dev/nvme0n1
disk_mods="crct10dif_common crc-t10dif crc64 crc64-rocksoft t10-pi nvme-core nvme"
disk_top=nvme
disk_backend=iox-amd
. /tests/disk.sh
