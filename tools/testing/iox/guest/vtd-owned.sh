# SPDX-License-Identifier: GPL-2.0
#
# The kernel's own interrupt-remapping code enabled the VT-d unit (QEMU
# intel-iommu with intremap=on, no intremap=off on the command line):
# iox-intel must refuse it with a clear message and register nothing.

ktap_plan 4
ktap_check "iox core loads" insmod /lib/modules/iox/iox.ko
ktap_check "iox-intel refuses to load" sh -c '! insmod /lib/modules/iox/iox-intel.ko'
ktap_check "the refusal names the owner's state" \
	dmesg_has "in use by another driver (GSTS 0x"
ktap_check "no unit was registered" test ! -e /sys/kernel/debug/iox/dmar0
