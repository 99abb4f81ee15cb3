# SPDX-License-Identifier: GPL-2.0
# kunit.py --qemu_config for the IOMMU API bridge's group case: the vtd.py
# machine plus two edu functions behind a PCIe-to-PCI bridge at 00:12.0,
# which share the bridge's requester id and so must share an IOMMU group.
from ..qemu_config import QemuArchParams

QEMU_ARCH = QemuArchParams(linux_arch='x86_64',
			   kconfig='''
CONFIG_SERIAL_8250=y
CONFIG_SERIAL_8250_CONSOLE=y''',
			   qemu_arch='x86_64',
			   kernel_path='arch/x86/boot/bzImage',
			   kernel_command_line='console=ttyS0 intel_iommu=off amd_iommu=off intremap=off iommu_api_kunit.expected=1 iommu_api_kunit.alias=1',
			   extra_qemu_params=['-accel', 'tcg', '-M', 'q35',
					      '-device', 'intel-iommu,intremap=off,aw-bits=48',
					      '-device', 'edu,addr=0x10,dma_mask=0xffffffffffffffff',
					      '-device', 'pcie-pci-bridge,id=br0,bus=pcie.0,addr=0x12',
					      '-device', 'edu,bus=br0,addr=0x1.0,multifunction=on',
					      '-device', 'edu,bus=br0,addr=0x1.1'])
