# SPDX-License-Identifier: GPL-2.0
#
# The kernel's own AMD IOMMU driver enabled the unit (booted without
# amd_iommu=off): iox-amd must refuse it with a clear message and register
# nothing.

ktap_plan 4
ktap_check "iox core loads" insmod /lib/modules/iox/iox.ko
ktap_check "iox-amd refuses to load" sh -c '! insmod /lib/modules/iox/iox-amd.ko'
ktap_check "the refusal names the owner's state" \
	dmesg_has "in use by another driver (control 0x"
ktap_check "no unit was registered" test ! -e /sys/kernel/debug/iox/ivhd0
