# SPDX-License-Identifier: GPL-2.0
#
# make demo: load iox into the stock kernel on emulated VT-d (or AMD-Vi,
# from demo-amdvi.sh), show the unit it brought up, then real DMA from edu
# through an iox mapping and the same IOVA faulting after the unmap.  On
# VT-d the machine also has an NVMe disk (vm.sh): the stock nvme driver
# loads after iox, its device gets an iox DMA domain, and a disk read shows
# in that domain's counters.

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

# A disk read through iox: the stock nvme driver, unmodified.
demo_disk() {
	echo
	echo "# insmod nvme.ko (and what it needs): the device gets an iox DMA domain"
	for mod in crct10dif_common crc-t10dif crc64 crc64-rocksoft t10-pi nvme-core nvme; do
		insmod "/lib/modules/stock/$mod.ko"
	done
	wait_until 151 0.2 test -b /dev/nvme0n1
	dmesg | sed -n 's/^\[[ 0-9.]*\] \(nvme .*iox: DMA domain.*\)/\1/p'
	domain=$(dmesg | sed -n 's/.*iox: DMA domain \([0-9]*\),.*/\1/p' | tail -n 1)
	stats=/sys/kernel/debug/iox/domains/$domain/stats
	echo
	echo "# dd if=/dev/nvme0n1 of=/dev/null bs=4096 count=1024 iflag=direct"
	before=$(sed -n 's/^maps: //p' "$stats")
	dd if=/dev/nvme0n1 of=/dev/null bs=4096 count=1024 iflag=direct 2>&1
	after=$(sed -n 's/^maps: //p' "$stats")
	echo
	echo "# cat $stats    ($((after - before)) maps for the 1024 reads)"
	cat "$stats"
	fq=/sys/kernel/debug/iox/domains/$domain/flush_queue
	if [ -e "$fq" ]; then
		echo
		echo "# cat $fq    (lazy: the measured window is max_window_ns)"
		cat "$fq"
	fi
	echo
	echo "# grep '^00:11.0' /sys/kernel/debug/iox/$unit/context"
	grep '^00:11.0' "/sys/kernel/debug/iox/$unit/context"
}
[ -e /sys/bus/pci/devices/0000:00:11.0 ] && demo_disk
echo "iox-demo: end"
