# SPDX-License-Identifier: GPL-2.0
#
# The DMA cases with edu at 01:00.0, in the slot of a PCIe root port at
# 00:11.0: the DMAR table names the root port as a bridge, not edu, so iox
# must take a bridge entry for everything behind the bridge, or edu gets
# no context entry (and no DMA) once translation is on.
#
# The machine has two CPUs: before the DMA cases the fault event interrupt
# is moved to the CPU it is not on, which gives it a new vector and
# message.  Unless iox rewrites FEDATA/FEADDR, the fault_delivery case
# gets no interrupt and none is counted on that CPU.

fault_irq() { awk '/IOX-VTD/ { sub(":", "", $1); print $1 }' /proc/interrupts; }

iox_before_dma() {
	irq=$(fault_irq)
	# effective_affinity is a hex CPU mask: 1 is CPU 0, 2 is CPU 1.
	if [ $((0x$(cat "/proc/irq/$irq/effective_affinity"))) -eq 1 ]; then
		moved_to=1
	else
		moved_to=0
	fi
	echo "# fault interrupt $irq: CPU mask" \
		"$(cat "/proc/irq/$irq/effective_affinity"), moving to CPU $moved_to"
	echo $((1 << moved_to)) >"/proc/irq/$irq/smp_affinity"
}

# The interrupt's count on the CPU it was moved to (/proc/interrupts has
# the irq, then one column per CPU).
faults_on_new_cpu() {
	[ "$(awk -v col=$((moved_to + 2)) '/IOX-VTD/ { print $col }' /proc/interrupts)" -gt 0 ]
}

iox_after_dma() {
	grep IOX-VTD /proc/interrupts | sed 's/^/# /'
	ktap_check "fault interrupts arrive on the CPU they were moved to" faults_on_new_cpu
	ktap_check "the device scope names the root port as a bridge" \
		grep -qx "scope: bridge 0000:00:11.0" /sys/kernel/debug/iox/dmar0/caps
}

IOX_EXTRA_TESTS=2
. /tests/vtd-dma.sh
