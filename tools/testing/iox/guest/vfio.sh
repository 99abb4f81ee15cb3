# SPDX-License-Identifier: GPL-2.0
#
# The kernel's IOMMU API served by iox on QEMU's intel-iommu: iox registers
# dmar0 with the IOMMU core, which gives the unbound edu (00:10.0) a DMA
# default domain (strict: iox is loaded with dma_lazy=0).  A driver using
# the DMA API (the test module iox_edu_dma_api_test) binds and DMAs through
# an iox DMA domain with iox's DMA ops; unbound, the iox domain is gone.
# Then VFIO device assignment: edu is bound to the stock vfio-pci, and the
# user-space selftest vfio_iox_test
# (tools/testing/selftests/iox/) maps its memory with VFIO type1v2 and lets
# edu DMA through iox.  iox does not remap interrupts, so
# vfio_iommu_type1 needs allow_unsafe_interrupts=1.  Then: unload refused
# while VFIO holds a domain, unload, a device hot-added after unload, and a
# reload that serves VFIO again.  vfio-amdvi.sh runs the same on QEMU's
# amd-iommu, which reports no faults: the selftest's -n makes data that did
# not land the fault signal there.

m=/lib/modules/iox
backend=${IOX_VFIO_BACKEND:-iox-intel}	# the backend module
unit=${IOX_VFIO_UNIT:-dmar0}		# the unit it registers
dma_test=${IOX_VFIO_DMA_TEST:-iox_vtd_dma_test}	# and the KTAP prefix it prints
dma_prefix=${IOX_VFIO_DMA_PREFIX:-iox-vtd-dma}
selftest_args=${IOX_VFIO_SELFTEST_ARGS:-}
edu_dma_args=${IOX_VFIO_EDU_DMA_ARGS:-}	# faults=0: the unit reports none
backend_mod=$(echo "$backend" | tr - _)
v=/lib/modules/vfio
edu=0000:00:10.0
sysdev=/sys/bus/pci/devices/$edu

vfio_bind() {
	echo vfio-pci >"$sysdev/driver_override" &&
		echo "$edu" >/sys/bus/pci/drivers_probe &&
		[ -e "/sys/bus/pci/drivers/vfio-pci/$edu" ]
}

vfio_unbind() {
	echo "$edu" >/sys/bus/pci/drivers/vfio-pci/unbind && echo >"$sysdev/driver_override"
}

# selftest_subtest ARGS...: run vfio_iox_test, show its KTAP as a subtest.
selftest_subtest() {
	# shellcheck disable=SC2086
	vfio_iox_test $selftest_args "$@" >/tmp/selftest.ktap
	status=$?
	sed 's/^/    /' /tmp/selftest.ktap
	plan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' /tmp/selftest.ktap)
	[ $status -eq 0 ] && [ -n "$plan" ] && ! grep -q '^not ok' /tmp/selftest.ktap &&
		[ "$(grep -c '^ok ' /tmp/selftest.ktap)" -eq "$plan" ]
}

# hold_start: a VFIO user holding a mapped container, in the background.
hold_start() {
	vfio_iox_test hold >/tmp/hold.out 2>&1 &
	hold_pid=$!
	for _ in $(seq 50); do
		grep -q holding /tmp/hold.out && return 0
		sleep 0.2
	done
	cat /tmp/hold.out
	return 1
}

hold_stop() {
	kill "$hold_pid" && wait "$hold_pid" 2>/dev/null
	return 0
}

vfio_load() {
	insmod $v/irqbypass.ko && insmod $v/vfio.ko &&
		insmod $v/vfio_iommu_type1.ko allow_unsafe_interrupts=1 &&
		insmod $v/vfio_virqfd.ko && insmod $v/vfio-pci-core.ko && insmod $v/vfio-pci.ko
}

iox_dma_module() {
	vfio_unbind && module_subtest "$dma_prefix" any "$m/$dma_test.ko" && rmmod "$dma_test"
}

iox_unload() {
	vfio_unbind && rmmod "$backend_mod" && rmmod iox && [ ! -e "/sys/class/iommu/$unit" ] &&
		[ ! -e "$sysdev/iommu_group" ]
}

hot_add() {
	echo 1 >"$sysdev/remove" && echo 1 >/sys/bus/pci/rescan && [ -e "$sysdev" ] &&
		[ ! -e "$sysdev/iommu_group" ]
}

iox_reload() {
	insmod $m/iox.ko && insmod "$m/$backend.ko" && [ -e "/sys/class/iommu/$unit" ] &&
		[ -e "$sysdev/iommu_group" ] && vfio_bind && hold_start && hold_stop
}

# edu_dma_api: a DMA API driver binds edu; its DMA goes through iox.
edu_dma_api() {
	# shellcheck disable=SC2086
	module_subtest iox-edu-dma-api 5 $m/iox_edu_dma_api_test.ko $edu_dma_args || return 1
	pattern="s/.*$edu: iox: DMA domain \([0-9]*\), strict (IOMMU API DMA domain).*/\1/p"
	domain=$(dmesg | sed -n "$pattern" | tail -n 1)
	stats=/sys/kernel/debug/iox/domains/$domain/stats
	if [ -z "$domain" ] || [ ! -f "$stats" ]; then
		echo "# no strict iox DMA domain for edu"
		return 1
	fi
	sed 's/^/# /' "$stats"
	# One map and one strict unmap with its IOTLB sync, one fault after it.
	[ "$(caps_field "$stats" maps)" -ge 1 ] && [ "$(caps_field "$stats" unmaps)" -ge 1 ] &&
		[ "$(caps_field "$stats" syncs)" -ge "$(caps_field "$stats" unmaps)" ] &&
		[ "$(caps_field "$stats" devices)" -eq 1 ]
}

# edu_blocked: the unit refuses edu's DMA (it has no iox domain and no
# driver that uses the DMA API).
edu_blocked() {
	grep -qx "$edu blocked" "/sys/kernel/debug/iox/$unit/devices"
}

edu_unbind_frees() {
	rmmod iox_edu_dma_api_test && [ ! -e "$sysdev/driver" ] &&
		[ ! -d "/sys/kernel/debug/iox/domains/$domain" ] &&
		grep -qx DMA "$sysdev/iommu_group/type" && edu_blocked
}

ktap_plan 16
ktap_check "iox core loads (dma_lazy=0)" insmod $m/iox.ko dma_lazy=0
ktap_check "$backend loads, $unit serves the IOMMU API, edu has a group" \
	sh -c "insmod $m/$backend.ko && [ -e /sys/class/iommu/$unit ] &&
	       [ -e $sysdev/iommu_group ]"
# edu_fresh: edu, with no driver yet, is in a DMA domain and no iox domain:
# blocked.
edu_fresh() {
	grep -qx DMA "$sysdev/iommu_group/type" &&
		[ -z "$(ls /sys/kernel/debug/iox/domains)" ] && edu_blocked
}
ktap_check "edu (no driver) gets a DMA default domain, no iox domain yet: blocked" edu_fresh
ktap_check "a DMA API driver binding edu DMAs through a strict iox DMA domain" edu_dma_api
ktap_check "the driver unbound, its iox domain is gone, edu is blocked in the DMA domain" \
	edu_unbind_frees
ktap_check "VFIO loads after iox (type1 with allow_unsafe_interrupts=1)" vfio_load
ktap_check "edu binds to vfio-pci" vfio_bind
ktap_check "vfio-pci manages DMA itself: edu is blocked until VFIO attaches a domain" \
	edu_blocked
echo 4 >/proc/sys/vm/nr_hugepages
ktap_check "VFIO type1v2 through iox from user space" selftest_subtest
ktap_check "after the container closed, edu is back in its DMA default domain, blocked" \
	sh -c "grep -qx DMA $sysdev/iommu_group/type && grep -qx '$edu blocked' \
	       /sys/kernel/debug/iox/$unit/devices"
ktap_check "edu, unbound from vfio-pci, does DMA through iox for its test module" \
	iox_dma_module
vfio_bind && hold_start
ktap_result $? "a VFIO user holds a mapped container"
ktap_check "unloading $backend while VFIO holds its domain is refused" \
	sh -c "! rmmod $backend_mod 2>/dev/null"
hold_stop
ktap_check "iox unloads; edu has no group, $unit left /sys/class/iommu" iox_unload
ktap_check "a device hot-added after the unload gets no group (no stale ops)" hot_add
ktap_check "iox reloads, registers again, and serves VFIO" iox_reload
