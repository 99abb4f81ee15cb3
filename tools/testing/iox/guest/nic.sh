# SPDX-License-Identifier: GPL-2.0
#
# A stock kernel network driver DMAs through iox, sourced by the NIC
# scenarios (vtd-e1000e.sh, amdvi-e1000e.sh), which set
#   nic_dev      the NIC's PCI function, e.g. 0000:00:13.0
#   nic_drv      its PCI driver in /sys/bus/pci/drivers
#   nic_mods     the stock modules to load after iox, in order
#   nic_backend  the iox backend module (default iox-intel; iox-amd)
# and IOX_DMA_LAZY=1 for a lazy domain.  The NIC is on QEMU's user-mode
# network (vm.sh), whose gateway 10.0.2.2 answers pings: every echo and
# reply crosses the driver's streaming DMA (a transmit buffer mapped and
# unmapped per packet, a receive buffer per packet refilled from softirq
# context) and its descriptor rings (coherent allocations).  Full-size
# pings all answered and the domain's counters prove the traffic went
# through iox; unbinding the driver in the middle of the traffic frees the
# domain and blocks the device; a rebind pings again; the backend unloads
# once the driver is gone.

m=/lib/modules/iox
s=/lib/modules/stock
lazy=${IOX_DMA_LAZY:-0}
mode=strict
[ "$lazy" = 1 ] && mode=lazy
backend=${nic_backend:-iox-intel}
bmod=$(echo "$backend" | tr - _)
count=40

ktap_plan 11
ktap_check "iox core loads (dma_lazy=$lazy)" insmod $m/iox.ko dma_lazy="$lazy"
ktap_check "$backend loads" insmod "$m/$backend.ko"
load_nic_modules() {
	for mod in $nic_mods; do
		[ -d "/sys/module/$(echo "$mod" | tr - _)" ] && continue
		insmod "$s/$mod.ko" || { echo "# $mod did not load"; return 1; }
	done
}
ktap_check "the stock $nic_drv driver loads after iox" load_nic_modules

# nic_if: the interface of the NIC, once its driver probed.
nic_if() {
	ls "/sys/bus/pci/devices/$nic_dev/net" 2>/dev/null | head -n 1
}
nic_has_if() {
	[ -n "$(nic_if)" ]
}
# nic_up: wait for the interface, give it the user network's address.
nic_up() {
	wait_until 100 0.2 nic_has_if || return 1
	ifc=$(nic_if)
	ip link set "$ifc" up && ip addr add 10.0.2.15/24 dev "$ifc" || return 1
	# The link comes up a moment after the interface; the pings tell
	# whether it did.
	wait_until 50 0.2 grep -qx 1 "/sys/class/net/$ifc/carrier" 2>/dev/null
	return 0
}
ktap_check "the NIC's interface comes up" nic_up
# nic_domain: the newest iox DMA domain of the NIC, if in this mode.
nic_domain() {
	dmesg | sed -n "s/.*$nic_dev: iox: DMA domain \([0-9]*\), $mode.*/\1/p" | tail -n 1
}
domain=$(nic_domain)
ktap_check "the NIC is in a $mode iox DMA domain (${domain:-none})" test -n "$domain"
stats=/sys/kernel/debug/iox/domains/$domain/stats
fq=/sys/kernel/debug/iox/domains/$domain/flush_queue
maps0=$(caps_field "$stats" maps)
unmaps0=$(caps_field "$stats" unmaps)
# pings N: N full-size echoes to the gateway, every one answered.
pings() {
	out=$(ping -c "$1" -i 0.05 -W 2 -s 1400 10.0.2.2 2>&1)
	echo "$out" | tail -n 2 | sed 's/^/# /'
	echo "$out" | grep -q " $1 packets received"
}
ktap_check "$count full-size pings to the gateway, all answered" pings $count
maps=$(($(caps_field "$stats" maps) - ${maps0:-0}))
unmaps=$(($(caps_field "$stats" unmaps) - ${unmaps0:-0}))
sed 's/^/# /' "$stats"
[ "$lazy" = 1 ] && sed 's/^/# flush_queue /' "$fq"
ktap_check "the domain mapped and unmapped the traffic ($maps maps, $unmaps unmaps)" \
	test "$maps" -ge $((2 * count)) -a "$unmaps" -ge $((2 * count))
if [ "$lazy" = 1 ]; then
	window=$(caps_field "$fq" max_window_ns)
	bound=$(($(caps_field "$fq" timeout_ms) * 1000000 + 54000000))
	ktap_check "lazy: no sync, flushes $(caps_field "$fq" flushes), window ${window}ns" \
		test "$(caps_field "$stats" syncs)" -eq 0 -a "$(caps_field "$fq" flushes)" -gt 0 \
		-a "${window:-0}" -gt 0 -a "${window:-0}" -le "$bound"
else
	ktap_check "strict: one IOTLB sync per unmap" \
		test "$(caps_field "$stats" syncs)" -ge "$(caps_field "$stats" unmaps)"
fi

# Unbind while pings flow: the domain and its IOVA allocator go.
unbind_under_traffic() {
	ping -i 0.05 -s 1400 10.0.2.2 >/dev/null 2>&1 &
	pinger=$!
	sleep 1
	echo "$nic_dev" >"/sys/bus/pci/drivers/$nic_drv/unbind"
	rc=$?
	kill $pinger 2>/dev/null
	wait $pinger
	[ $rc -eq 0 ] || return 1
	if [ -d "/sys/kernel/debug/iox/domains/$domain" ] ||
		[ -d "/sys/kernel/debug/iox/iova/$nic_dev" ]; then
		echo "# domain $domain or its IOVA allocator still there"
		return 1
	fi
	unit_entry_blocked "$backend" "${nic_dev#*:}" ||
		{ echo "# the unit's entry for $nic_dev does not block it"; return 1; }
}
ktap_check "unbinding $nic_drv under traffic: domain freed, device blocked" unbind_under_traffic
# domains_made: how many iox DMA domains the NIC was given so far.
domains_made() {
	dmesg | grep -c "$nic_dev: iox: DMA domain [0-9]*, $mode"
}
rebind() {
	made=$(domains_made)
	echo "$nic_dev" >"/sys/bus/pci/drivers/$nic_drv/bind" && nic_up || return 1
	echo "# now in domain $(nic_domain)"
	test "$(domains_made)" -gt "$made" && pings 10
}
ktap_check "a rebind gets a new domain and pings again" rebind
ktap_check "after unbinding the driver, $backend unloads" sh -c \
	"echo $nic_dev >/sys/bus/pci/drivers/$nic_drv/unbind && rmmod $bmod"
