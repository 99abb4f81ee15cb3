# SPDX-License-Identifier: GPL-2.0
#
# The stock kernel's unmodified nvme driver DMAs through iox on VT-d: the
# nvme modules load after iox, the device gets an iox DMA domain when the
# driver binds (strict, or lazy when IOX_DMA_LAZY=1), a pattern written with
# O_DIRECT reads back equal after the caches are dropped, and the domain's
# counters account for the traffic.  Unloading iox-intel under the bound
# disk is refused; after unbinding the driver the domain is gone, a rebind
# works again, and iox-intel unloads once the driver is gone.

m=/lib/modules/iox
s=/lib/modules/stock
lazy=${IOX_DMA_LAZY:-0}
mode=strict
[ "$lazy" = 1 ] && mode=lazy
dev=0000:00:11.0
blocks=512	# 2 MiB in 4 KiB O_DIRECT requests

ktap_plan 12
ktap_check "iox core loads (dma_lazy=$lazy)" insmod $m/iox.ko dma_lazy=$lazy
ktap_check "iox-intel loads" insmod $m/iox-intel.ko
bad=0
for mod in crct10dif_common crc-t10dif crc64 crc64-rocksoft t10-pi nvme-core nvme; do
	insmod "$s/$mod.ko" || { echo "# $mod did not load"; bad=1; }
done
ktap_result $bad "the stock nvme driver and its dependencies load after iox"

wait_disk() {
	i=0
	while [ ! -b /dev/nvme0n1 ] && [ $i -lt 150 ]; do
		sleep 0.2
		i=$((i + 1))
	done
	test -b /dev/nvme0n1
}
ktap_check "the NVMe disk appears" wait_disk
domain=$(dmesg | sed -n "s/.*$dev: iox: DMA domain \([0-9]*\), $mode.*/\1/p" | tail -n 1)
ktap_check "the NVMe device is in a $mode iox DMA domain (${domain:-none})" test -n "$domain"
stats=/sys/kernel/debug/iox/domains/$domain/stats
maps0=$(caps_field "$stats" maps)

dd if=/dev/urandom of=/tmp/pattern bs=4096 count=$blocks 2>/dev/null
ktap_check "O_DIRECT write of the pattern" \
	dd if=/tmp/pattern of=/dev/nvme0n1 bs=4096 count=$blocks oflag=direct
echo 3 >/proc/sys/vm/drop_caches
ktap_check "O_DIRECT read back equals the pattern" sh -c \
	"dd if=/dev/nvme0n1 of=/tmp/back bs=4096 count=$blocks iflag=direct && cmp /tmp/pattern /tmp/back"
maps=$(($(caps_field "$stats" maps) - ${maps0:-0}))
echo "# domain $domain: $maps maps for $((2 * blocks)) requests"
sed 's/^/# /' "$stats"
[ "$lazy" = 1 ] && sed 's/^/# flush_queue /' "/sys/kernel/debug/iox/domains/$domain/flush_queue"
ktap_check "the domain mapped the disk's DMA ($maps maps)" test "$maps" -ge $((2 * blocks))
if [ "$lazy" = 1 ]; then
	# The bound: the timeout plus one jiffy, and 50 ms for a slow TCG guest.
	fq=/sys/kernel/debug/iox/domains/$domain/flush_queue
	window=$(caps_field "$fq" max_window_ns)
	flushes=$(caps_field "$fq" flushes)
	queued=$(caps_field "$fq" queued)
	bound=$(($(caps_field "$fq" timeout_ms) * 1000000 + 54000000))
	syncs=$(caps_field "$stats" syncs)
	lazy_bounded() {
		test "$syncs" -eq 0 && test "$flushes" -gt 0 && test "$flushes" -lt "$queued" &&
			test "${window:-0}" -gt 0 && test "${window:-0}" -le "$bound"
	}
	what="lazy: no sync, $flushes flushes for $queued unmaps"
	ktap_check "$what, window ${window}ns <= ${bound}ns" lazy_bounded
else
	ktap_check "strict: one IOTLB sync per unmap" \
		test "$(caps_field "$stats" syncs)" -ge "$(caps_field "$stats" unmaps)"
fi

ktap_check "unloading iox-intel under the bound disk is refused" \
	sh -c '! rmmod iox_intel 2>/dev/null'
unbind_rebind() {
	echo $dev >/sys/bus/pci/drivers/nvme/unbind || return 1
	if [ -d "/sys/kernel/debug/iox/domains/$domain" ]; then
		echo "# domain $domain still there"
		return 1
	fi
	echo $dev >/sys/bus/pci/drivers/nvme/bind || return 1
	wait_disk && dd if=/dev/nvme0n1 of=/tmp/back2 bs=4096 count=16 iflag=direct 2>/dev/null &&
		cmp -n 65536 /tmp/back2 /tmp/pattern
}
ktap_check "unbind frees the domain, rebind reads the disk again" unbind_rebind
ktap_check "after unbinding the driver, iox-intel unloads" sh -c \
	"echo $dev >/sys/bus/pci/drivers/nvme/unbind && rmmod iox_intel"
