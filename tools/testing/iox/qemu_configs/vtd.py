# SPDX-License-Identifier: GPL-2.0
# kunit.py --qemu_config for the iox hardware suites on emulated Intel VT-d:
# the options iox needs are in drivers/iommu/iox/tests/x86_64.kunitconfig;
# q35 with the IOMMU first and edu pinned to 00:10.0 with a 64-bit DMA mask.
from ..qemu_config import QemuArchParams

QEMU_ARCH = QemuArchParams(linux_arch='x86_64',
			   kconfig='''
CONFIG_SERIAL_8250=y
CONFIG_SERIAL_8250_CONSOLE=y''',
			   qemu_arch='x86_64',
			   kernel_path='arch/x86/boot/bzImage',
			   kernel_command_line='console=ttyS0 intel_iommu=off amd_iommu=off intremap=off vtd_hw_kunit.expected=1 vtd_dma_kunit.expected=1 iommu_api_kunit.expected=1 vtd_fail_nth_kunit.expected=1',
			   extra_qemu_params=['-accel', 'tcg', '-M', 'q35', '-smp', '2',
					      '-device', 'intel-iommu,intremap=off,aw-bits=48',
					      '-device', 'edu,addr=0x10,dma_mask=0xffffffffffffffff'])
