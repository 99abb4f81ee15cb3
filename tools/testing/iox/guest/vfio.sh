# SPDX-License-Identifier: GPL-2.0
#
# VFIO device assignment through iox on QEMU's intel-iommu: iox registers
# dmar0 with the kernel's IOMMU API, edu (00:10.0) is bound to the stock
# vfio-pci, and the user-space selftest vfio_iox_test
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

ktap_plan 13
ktap_check "iox core loads" insmod $m/iox.ko
ktap_check "$backend loads, $unit serves the IOMMU API, edu has a group" \
	sh -c "insmod $m/$backend.ko && [ -e /sys/class/iommu/$unit ] &&
	       [ -e $sysdev/iommu_group ]"
ktap_check "edu's group starts in the identity domain" \
	grep -qx identity "$sysdev/iommu_group/type"
ktap_check "VFIO loads after iox (type1 with allow_unsafe_interrupts=1)" vfio_load
ktap_check "edu binds to vfio-pci" vfio_bind
echo 4 >/proc/sys/vm/nr_hugepages
ktap_check "VFIO type1v2 through iox from user space" selftest_subtest
ktap_check "after the container closed, edu is back in the identity domain" \
	grep -qx identity "$sysdev/iommu_group/type"
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
