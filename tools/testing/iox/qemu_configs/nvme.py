# SPDX-License-Identifier: GPL-2.0
# kunit.py --qemu_config for iox built in serving devices from boot: q35
# with the IOMMU that $IOX_KUNIT_IOMMU names (vtd: intel-iommu as in vtd.py;
# amdvi: amd-iommu as in amdvi.py, first, so it takes 00:01.0), an NVMe disk
# at 00:11.0 on the image kunit.sh writes ($IOX_KUNIT_DISK), whose first
# block iox-boot-disk reads back through the DMA domain the built-in iox
# gives every device from boot, and a PCI serial port at 00:12.0, whose
# driver (8250_pci) registers before the IOMMU drivers.
import os

from ..qemu_config import QemuArchParams

IOMMU = {'vtd': 'intel-iommu,intremap=off,aw-bits=48',
	 'amdvi': 'amd-iommu,intremap=off'}[os.environ.get('IOX_KUNIT_IOMMU', 'vtd')]

QEMU_ARCH = QemuArchParams(linux_arch='x86_64',
			   kconfig='''
CONFIG_SERIAL_8250=y
CONFIG_SERIAL_8250_CONSOLE=y''',
			   qemu_arch='x86_64',
			   kernel_path='arch/x86/boot/bzImage',
			   kernel_command_line='console=ttyS0 intel_iommu=off amd_iommu=off intremap=off boot_disk_kunit.expected=1',
			   extra_qemu_params=['-accel', 'tcg', '-M', 'q35', '-smp', '2',
					      '-device', IOMMU,
					      '-drive', 'file=%s,if=none,id=nvm,format=raw' %
					      os.environ['IOX_KUNIT_DISK'],
					      '-device', 'nvme,drive=nvm,serial=iox0,addr=0x11',
					      '-chardev', 'null,id=ser1',
					      '-device', 'pci-serial,chardev=ser1,addr=0x12'])
