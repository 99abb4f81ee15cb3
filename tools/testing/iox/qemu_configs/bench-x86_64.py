# SPDX-License-Identifier: GPL-2.0
# kunit.py --qemu_config for the iox benchmarks on x86_64: two CPUs, so
# that the per-CPU paths run concurrently; no IOMMU (the kernel's AMD-Vi
# driver is built for its page table, the reference, and kept off).  The kernel
# options are in drivers/iommu/iox/tests/bench-x86_64.kunitconfig (no
# debugging options, which distort timings).
from ..qemu_config import QemuArchParams

QEMU_ARCH = QemuArchParams(linux_arch='x86_64',
			   kconfig='''
CONFIG_SERIAL_8250=y
CONFIG_SERIAL_8250_CONSOLE=y''',
			   qemu_arch='x86_64',
			   kernel_path='arch/x86/boot/bzImage',
			   kernel_command_line='console=ttyS0 amd_iommu=off',
			   extra_qemu_params=['-accel', 'tcg', '-smp', '2'])
