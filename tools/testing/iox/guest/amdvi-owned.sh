# SPDX-License-Identifier: GPL-2.0
#
# The kernel's own AMD IOMMU driver enabled the unit (booted without
# amd_iommu=off) and translates through it: iox-amd must refuse it with a
# clear message, register nothing and write nothing; a second attempt
# finds the owner's control register as the first one did.

ktap_plan 6
ktap_check "iox core loads" insmod /lib/modules/iox/iox.ko
ktap_check "iox-amd refuses to load" sh -c '! insmod /lib/modules/iox/iox-amd.ko'
ktap_check "the refusal names the owner's state" \
	dmesg_has "in use by another driver (control 0x"
ktap_check "no unit was registered" test ! -e /sys/kernel/debug/iox/ivhd0
controls() {
	dmesg | sed -n 's/.*in use by another driver (control \(0x[0-9a-f]*\).*/\1/p'
}
same_control() {
	before=$(controls | wc -l)
	insmod /lib/modules/iox/iox-amd.ko 2>/dev/null && return 1
	echo "# control as found: $(controls | tr '\n' ' ')"
	test "$(controls | wc -l)" -gt "$before" && test "$(controls | sort -u | wc -l)" -eq 1
}
ktap_check "a second refusal finds the owner's control register unchanged" same_control
ktap_check "the kernel's driver still has its unit" test -e /sys/class/iommu/ivhd0
