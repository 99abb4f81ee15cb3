# SPDX-License-Identifier: GPL-2.0
# kunit.py --qemu_config for iox built in serving a disk from boot: vtd.py's
# machine plus an NVMe disk on the image kunit.sh writes ($IOX_KUNIT_DISK),
# whose first block iox-boot-disk reads back; iox.dma_attach=1 makes the
# built-in iox give devices DMA domains.
import os

from ..qemu_config import QemuArchParams

QEMU_ARCH = QemuArchParams(linux_arch='x86_64',
			   kconfig='''
CONFIG_SERIAL_8250=y
CONFIG_SERIAL_8250_CONSOLE=y''',
			   qemu_arch='x86_64',
			   kernel_path='arch/x86/boot/bzImage',
			   kernel_command_line='console=ttyS0 intel_iommu=off amd_iommu=off intremap=off iox.dma_attach=1 vtd_boot_kunit.expected=1',
			   extra_qemu_params=['-accel', 'tcg', '-M', 'q35', '-smp', '2',
					      '-device', 'intel-iommu,intremap=off,aw-bits=48',
					      '-drive', 'file=%s,if=none,id=nvm,format=raw' %
					      os.environ['IOX_KUNIT_DISK'],
					      '-device', 'nvme,drive=nvm,serial=iox0,addr=0x11'])
