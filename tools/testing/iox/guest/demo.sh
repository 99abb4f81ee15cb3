# SPDX-License-Identifier: GPL-2.0
#
# make demo: load iox into the stock kernel on emulated VT-d and show what
# it discovered.

echo "iox-demo: begin"
echo "# insmod iox.ko iox-intel.ko"
insmod /lib/modules/iox/iox.ko
insmod /lib/modules/iox/iox-intel.ko
dmesg | grep -E 'iox(-intel)?:' | sed 's/^\[[ 0-9.]*\] //'
echo
echo "# cat /sys/kernel/debug/iox/dmar0/caps"
cat /sys/kernel/debug/iox/dmar0/caps
echo "iox-demo: end"
