# SPDX-License-Identifier: GPL-2.0
#
# The stock kernel's virtio-blk driver on a modern-only virtio-blk-pci with
# iommu_platform=on (vm.sh): its rings (coherent allocations) and its
# requests (streaming DMA) go through iox on VT-d (disk.sh): strict, or
# lazy when IOX_DMA_LAZY=1.

disk_dev=0000:00:12.0
disk_drv=virtio-pci
disk_blk=/dev/vda
disk_mods="virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci virtio_blk"
disk_top=virtio_pci
. /tests/disk.sh
