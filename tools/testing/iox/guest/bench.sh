# SPDX-License-Identifier: GPL-2.0
#
# make bench, in the VM: one configuration of the DMA-API and NVMe
# benchmarks, named by the scenario bench-MODE (vm.sh picks the machine and
# the kernel arguments): iox-strict and iox-lazy (iox DMA domains, the
# kernel's intel-iommu off), kernel-strict and kernel-lazy (the kernel's
# own intel-iommu, iommu.strict=1/0), direct (no IOMMU: dma-direct).  The
# same QEMU machine every time: intel-iommu, edu at 00:10.0, an NVMe disk
# at 00:11.0, 2 CPUs.
#
# iox_dma_bench times map+unmap through the DMA API on edu; then 32 MiB of
# 4 KiB O_DIRECT reads from the disk, bracketed by "iox-bench: start" and
# "iox-bench: stop" so that the host counts QEMU's invalidation
# descriptors in between.  Results are "# bench-vm: ..." lines.
#
# In iox-strict and kernel-strict, first (edu still without a driver)
# iox_map_bench times map+unmap through the full stack: iox_map()/iox_unmap()
# on an iox domain, or iommu_map()/iommu_unmap() on an UNMANAGED domain of
# the kernel's intel-iommu (iox_map_bench_kernel); then it runs the same
# sequence again between "iox-bench: map start" and "iox-bench: map stop".

m=/lib/modules/iox
s=/lib/modules/stock
mode=${scenario#bench-}
blocks=8192
# The parts to run (make bench's IOX_BENCH_VM): some of dma, map, nvme.
parts=,$(sed -n 's/.*ioxbench=\([a-z,]*\).*/\1/p' /proc/cmdline),
want() {
	case $parts in *,$1,*) return 0 ;; esac
	return 1
}

map_bench=
case $mode in
iox-strict) want map && map_bench=iox_map_bench ;;
kernel-strict) want map && map_bench=iox_map_bench_kernel ;;
esac
dma_bench=
want dma && dma_bench=1
nvme_bench=
want nvme && nvme_bench=1
ktap_plan $((${map_bench:+1} + ${dma_bench:-0} + 2 * ${nvme_bench:-0} + 1))
# For the report: which kernel this is.
echo "# $(cat /proc/version)"
case $mode in
iox-*)
	lazy=0
	[ "$mode" = iox-lazy ] && lazy=1
	ktap_check "iox loads (dma_lazy=$lazy)" \
		sh -c "insmod $m/iox.ko dma_lazy=$lazy && insmod $m/iox-intel.ko"
	;;
*)
	ktap_check "no iox ($mode: $(cat /sys/class/iommu/*/intel-iommu/version 2>/dev/null |
		head -n 1 | sed 's/^/intel-iommu /'))" true
	;;
esac
if [ -n "$nvme_bench" ]; then
	bad=0
	for mod in crct10dif_common crc-t10dif crc64 crc64-rocksoft t10-pi nvme-core nvme; do
		insmod "$s/$mod.ko" || { echo "# $mod did not load"; bad=1; }
	done
	ktap_result $bad "the stock nvme driver loads"
fi

# map_run: the timed run, then the counted sequence between the marks.
map_run() {
	insmod $m/$map_bench.ko && rmmod $map_bench || return 1
	echo "iox-bench: map start"
	sleep 2
	insmod $m/$map_bench.ko count=16 && rmmod $map_bench || return 1
	sleep 1
	echo "iox-bench: map stop"
	sleep 2
}
if [ -n "$map_bench" ]; then
	ktap_check "full-stack map+unmap benchmark on edu ($map_bench)" map_run
	dmesg | sed -n 's/.*iox-map-bench: \(# bench-vm: map .*\)/\1/p' |
		sed "s/^# bench-vm: map /# bench-vm: map $mode /"
fi

if [ -n "$dma_bench" ]; then
	ktap_check "DMA API benchmark on edu" insmod $m/iox_dma_bench.ko
	dmesg | sed -n 's/.*iox-dma-bench: \(.*\)/\1/p' |
		sed "s/^# bench-vm: dma\(-best\|-median\|-probe\)\{0,1\} /&$mode /"
fi

nvme_read() {
	wait_until 151 0.2 test -b /dev/nvme0n1
	echo "iox-bench: start"
	sleep 2
	t0=$(cut -d' ' -f1 /proc/uptime)
	dd if=/dev/nvme0n1 of=/dev/null bs=4096 count=$blocks iflag=direct 2>/dev/null ||
		return 1
	t1=$(cut -d' ' -f1 /proc/uptime)
	# Deferred flushes of a lazy mode fall due within its timeout.
	sleep 1
	echo "iox-bench: stop"
	sleep 2
	echo "# bench-vm: nvme $mode ms $(echo "$t0 $t1" | awk '{ printf "%d", ($2 - $1) * 1000 }')"
}
[ -z "$nvme_bench" ] ||
	ktap_check "32 MiB of O_DIRECT 4K reads from the NVMe disk" nvme_read
