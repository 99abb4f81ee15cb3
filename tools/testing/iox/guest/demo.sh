# SPDX-License-Identifier: GPL-2.0
#
# make demo: load iox into the stock kernel on emulated VT-d (or AMD-Vi,
# from demo-amdvi.sh), show the unit it brought up, then real DMA from edu
# through an iox mapping and the same IOVA faulting after the unmap.

m=/lib/modules/iox
backend=${IOX_DEMO_BACKEND:-intel}
unit=${IOX_DEMO_UNIT:-dmar0}
echo "iox-demo: begin"
echo "# insmod iox.ko iox-$backend.ko"
insmod $m/iox.ko
insmod $m/iox-$backend.ko
dmesg | grep -E "iox(-$backend)?:" | sed 's/^\[[ 0-9.]*\] //'
echo
echo "# cat /sys/kernel/debug/iox/$unit/caps"
cat /sys/kernel/debug/iox/$unit/caps
echo
echo "# insmod iox_demo.ko"
insmod $m/iox_demo.ko
dmesg | sed -n -e "s/^\[[ 0-9.]*\] \(iox-demo: \)/\1/p" \
	-e "s/^\[[ 0-9.]*\] \(iox-$backend: .*fault.*\)/\1/p"
for f in ${IOX_DEMO_FILES:-faults inval}; do
	echo
	echo "# cat /sys/kernel/debug/iox/$unit/$f"
	cat /sys/kernel/debug/iox/$unit/$f
done
echo "# grep ${IOX_DEMO_IRQ:-IOX-VTD} /proc/interrupts"
grep "${IOX_DEMO_IRQ:-IOX-VTD}" /proc/interrupts
echo "iox-demo: end"
