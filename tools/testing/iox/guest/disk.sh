# SPDX-License-Identifier: GPL-2.0
#
# A stock kernel disk driver DMAs through iox on VT-d (or AMD-Vi), sourced
# by the disk scenarios (vtd-nvme.sh, vtd-virtio.sh, amdvi-nvme.sh), which
# set
#   disk_dev     the disk's PCI function, e.g. 0000:00:11.0
#   disk_drv     its PCI driver in /sys/bus/pci/drivers
#   disk_blk     the block device, e.g. /dev/nvme0n1
#   disk_mods    the stock modules to load after iox, in order
#   disk_top     the module to unload for the reload test
#   disk_backend the iox backend module (default iox-intel; iox-amd)
# and IOX_DMA_LAZY=1 for a lazy domain.  The policy is the per-device
# override (iox dma_policy) against the opposite global default
# (dma_lazy).  A pattern written with O_DIRECT reads back equal after the
# caches are dropped and the domain's counters account for the traffic;
# the host checks QEMU's invalidation descriptors between two markers
# around the read (vmtest.sh; VT-d only).  Then: unloading the
# backend under the bound disk is refused; unbinding the driver while the
# disk is being read is clean (the domain with its IOVA allocator is freed
# and the device is blocked: no context entry on VT-d, a device table
# entry without access on AMD-Vi); a rebind gets a new domain, with the
# policy changed at run time; unloading and reloading the driver and the
# backend brings the disk back (still blocked in between); the backend
# unloads once the driver is gone.  The disk is in an IOMMU group of the
# unit: its iox DMA domain is the one of the group's default domain, whose
# type (DMA or DMA-FQ) follows the policy.

m=/lib/modules/iox
s=/lib/modules/stock
lazy=${IOX_DMA_LAZY:-0}
mode=strict other=lazy type=DMA other_type=DMA-FQ
[ "$lazy" = 1 ] && mode=lazy other=strict type=DMA-FQ other_type=DMA
group_type=/sys/bus/pci/devices/$disk_dev/iommu_group/type
blocks=512	# 2 MiB in 4 KiB O_DIRECT requests
bdf=${disk_dev#*:}
backend=${disk_backend:-iox-intel}
bmod=$(echo "$backend" | tr - _)
# entry_blocked: the unit's entry for the disk refuses its DMA.
entry_blocked() {
	unit_entry_blocked "$backend" "$bdf"
}

ktap_plan 16
ktap_check "iox core loads (dma_lazy=$((1 - lazy)) dma_policy=$disk_dev=$mode)" \
	insmod $m/iox.ko dma_lazy=$((1 - lazy)) dma_policy=$disk_dev=$mode
ktap_check "$backend loads" insmod "$m/$backend.ko"
load_disk_modules() {
	bad=0
	for mod in $disk_mods; do
		[ -d "/sys/module/$(echo "$mod" | tr - _)" ] && continue
		insmod "$s/$mod.ko" || { echo "# $mod did not load"; bad=1; }
	done
	return $bad
}
ktap_check "the stock $disk_drv driver and its dependencies load after iox" load_disk_modules

wait_disk() {
	wait_until 151 0.2 test -b "$disk_blk"
}
# disk_domain MODE: the newest iox DMA domain of the disk, if in MODE.
disk_domain() {
	dmesg | sed -n "s/.*$disk_dev: iox: DMA domain \([0-9]*\), \([a-z]*\).*/\1 \2/p" |
		tail -n 1 | sed -n "s/ $1\$//p"
}
ktap_check "the disk appears" wait_disk
domain=$(disk_domain $mode)
ktap_check "the disk is in a $mode iox DMA domain (${domain:-none}), by its dma_policy entry" \
	test -n "$domain"
ktap_check "it serves the disk's IOMMU API $type default domain" grep -qx "$type" "$group_type"
stats=/sys/kernel/debug/iox/domains/$domain/stats
fq=/sys/kernel/debug/iox/domains/$domain/flush_queue
maps0=$(caps_field "$stats" maps)

dd if=/dev/urandom of=/tmp/pattern bs=4096 count=$blocks 2>/dev/null
ktap_check "O_DIRECT write of the pattern" \
	dd if=/tmp/pattern of="$disk_blk" bs=4096 count=$blocks oflag=direct
echo 3 >/proc/sys/vm/drop_caches
uptime_cs() {
	tr -d . </proc/uptime | cut -d' ' -f1
}
# The read between two trace markers (VT-d), with the unmaps it made;
# vmtest.sh counts QEMU's invalidation descriptors in between.
mark() {
	[ "$backend" = iox-intel ] || return 0
	insmod $m/iox_vtd_dma_test.ko mark=1 && rmmod iox_vtd_dma_test
}
unmaps0=$(caps_field "$stats" unmaps)
mark
t0=$(uptime_cs)
ktap_check "O_DIRECT read back equals the pattern" sh -c \
	"dd if=$disk_blk of=/tmp/back bs=4096 count=$blocks iflag=direct &&
	 cmp /tmp/pattern /tmp/back"
t1=$(uptime_cs)
mark
echo "# disk-trace: mode=$mode unmaps=$(($(caps_field "$stats" unmaps) - unmaps0))" \
	"ms=$(((t1 - t0) * 10 + 10)) entries=$(caps_field "$fq" entries_per_cpu 2>/dev/null)" \
	"timeout_ms=$(caps_field "$fq" timeout_ms 2>/dev/null)"
maps=$(($(caps_field "$stats" maps) - ${maps0:-0}))
echo "# domain $domain: $maps maps for $((2 * blocks)) requests"
sed 's/^/# /' "$stats"
[ "$lazy" = 1 ] && sed 's/^/# flush_queue /' "$fq"
ktap_check "the domain mapped the disk's DMA ($maps maps)" test "$maps" -ge $((2 * blocks))
if [ "$lazy" = 1 ]; then
	# The bound: the timeout plus one jiffy, and 50 ms for a slow TCG guest.
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

ktap_check "unloading $backend under the bound disk is refused" \
	sh -c "! rmmod $bmod 2>/dev/null"

# blocked: the disk is in no domain, its IOVA allocator is gone, and its
# entry in the unit refuses its DMA.
blocked() {
	if [ -d "/sys/kernel/debug/iox/domains/$domain" ] ||
		[ -d "/sys/kernel/debug/iox/iova/$disk_dev" ]; then
		echo "# domain $domain or its IOVA allocator still there"
		return 1
	fi
	if ! entry_blocked; then
		echo "# $bdf: the unit's entry for it does not block it"
		return 1
	fi
}
# A reader that loops until the disk fails it: it is reading at the unbind.
unbind_under_io() {
	sh -c "while dd if=$disk_blk of=/dev/null bs=4096 count=256 iflag=direct 2>/dev/null
	       do :; done" &
	reader=$!
	sleep 1
	kill -0 $reader || { echo "# the reader stopped before the unbind"; return 1; }
	echo "$disk_dev" >"/sys/bus/pci/drivers/$disk_drv/unbind" || return 1
	wait $reader	# ends: the disk went away under it
	blocked
}
ktap_check "unbinding $disk_drv while the disk is read: domain freed, device blocked" \
	unbind_under_io
echo "$disk_dev=$other" >/sys/module/iox/parameters/dma_policy
rebind() {
	echo "$disk_dev" >"/sys/bus/pci/drivers/$disk_drv/bind" || return 1
	wait_disk && dd if="$disk_blk" of=/tmp/back2 bs=4096 count=16 iflag=direct 2>/dev/null &&
		cmp -n 65536 /tmp/back2 /tmp/pattern || return 1
	new=$(disk_domain $other)
	echo "# now in domain ${new:-none}, $other, group type $(cat "$group_type")"
	test -n "$new" && domain=$new && grep -qx "$other_type" "$group_type"
}
ktap_check "a rebind reads the disk through a new $other domain (dma_policy changed)" rebind
reload() {
	echo "$disk_dev" >"/sys/bus/pci/drivers/$disk_drv/unbind" && rmmod "$disk_top" &&
		rmmod "$bmod" && insmod "$m/$backend.ko" || return 1
	blocked || return 1
	load_disk_modules && wait_disk &&
		dd if="$disk_blk" of=/tmp/back3 bs=4096 count=$blocks iflag=direct 2>/dev/null &&
		cmp /tmp/back3 /tmp/pattern
}
ktap_check "driver and $backend unloaded and reloaded: blocked between, disk back" reload
# fq_bounds: out-of-range flush-queue bounds are refused, the old value stays.
fq_bounds() {
	p=/sys/module/iox/parameters
	for v in 0 513 -1 x; do
		! echo $v >$p/fq_entries 2>/dev/null || { echo "# fq_entries=$v taken"; return 1; }
	done
	for v in 0 10001 x; do
		! echo $v >$p/fq_timeout_ms 2>/dev/null ||
			{ echo "# fq_timeout_ms=$v taken"; return 1; }
	done
	grep -qx 256 $p/fq_entries && grep -qx 10 $p/fq_timeout_ms &&
		echo 512 >$p/fq_entries && echo 10000 >$p/fq_timeout_ms &&
		grep -qx 512 $p/fq_entries && grep -qx 10000 $p/fq_timeout_ms &&
		echo 256 >$p/fq_entries && echo 10 >$p/fq_timeout_ms
}
bad_params() {
	! echo "$disk_dev=fast" >/sys/module/iox/parameters/dma_policy 2>/dev/null &&
		! echo '=lazy' >/sys/module/iox/parameters/dma_policy 2>/dev/null && fq_bounds
}
ktap_check "bad dma_policy, fq_entries and fq_timeout_ms values are refused" bad_params
ktap_check "after unbinding the driver, $backend unloads" sh -c \
	"echo $disk_dev >/sys/bus/pci/drivers/$disk_drv/unbind && rmmod $bmod"
