# SPDX-License-Identifier: GPL-2.0
#
# make demo: load iox into the stock kernel on emulated VT-d, show the unit
# it brought up, then real DMA from edu through an iox mapping and the same
# IOVA faulting after the unmap.

m=/lib/modules/iox
echo "iox-demo: begin"
echo "# insmod iox.ko iox-intel.ko"
insmod $m/iox.ko
insmod $m/iox-intel.ko
dmesg | grep -E 'iox(-intel)?:' | sed 's/^\[[ 0-9.]*\] //'
echo
echo "# cat /sys/kernel/debug/iox/dmar0/caps"
cat /sys/kernel/debug/iox/dmar0/caps
echo
echo "# insmod iox_demo.ko"
insmod $m/iox_demo.ko
dmesg | sed -n 's/^\[[ 0-9.]*\] \(iox-demo: \)/\1/p; s/^\[[ 0-9.]*\] \(iox-intel: .*fault.*\)/\1/p'
echo
echo "# cat /sys/kernel/debug/iox/dmar0/faults"
cat /sys/kernel/debug/iox/dmar0/faults
echo "# grep IOX-VTD /proc/interrupts"
grep IOX-VTD /proc/interrupts
echo "# cat /sys/kernel/debug/iox/dmar0/inval"
cat /sys/kernel/debug/iox/dmar0/inval
echo "iox-demo: end"
