# SPDX-License-Identifier: GPL-2.0
#
# The stock kernel's e1000e driver on QEMU's 82574L (vm.sh), lazy, on
# AMD-Vi (nic.sh).

nic_dev=0000:00:13.0
nic_drv=e1000e
nic_mods=e1000e
nic_backend=iox-amd
IOX_DMA_LAZY=1
. /tests/nic.sh
