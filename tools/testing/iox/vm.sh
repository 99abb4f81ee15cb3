#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Sourced after lib.sh: boots the stock Debian kernel under QEMU TCG with an
# initramfs holding busybox, the iox modules and the guest test scripts.

# Machines: QEMU devices and kernel arguments per scenario.  The IOMMU comes
# first and edu is pinned to 00:10.0 with a 64-bit DMA mask (QEMU.md).
IOX_EDU="-device edu,addr=0x10,dma_mask=0xffffffffffffffff"
IOX_OFF="intel_iommu=off amd_iommu=off intremap=off"
# A modern-only virtio-blk disk whose DMA goes through the IOMMU.
IOX_VIRTIO_BLK="-device virtio-blk-pci,drive=vd,addr=0x12,iommu_platform=on,disable-legacy=on"
# An 82574L NIC on the user-mode network, whose gateway answers pings.
IOX_E1000E="-netdev user,id=n0 -device e1000e,netdev=n0,addr=0x13"

vm_machine() { # scenario -> "qemu args|kernel args"
	case $1 in
	vtd | vtd-dma | vtd-dma-regs | vfio)
		echo "-M q35 -device intel-iommu,intremap=off,aw-bits=48 $IOX_EDU|$IOX_OFF" ;;
	demo)	# edu, and an NVMe disk the stock driver reads through iox
		echo "-M q35 -device intel-iommu,intremap=off,aw-bits=48 $IOX_EDU" \
			"-drive file=$IOX_BUILD/vmtest-nvme.img,if=none,id=nvm,format=raw" \
			"-device nvme,drive=nvm,serial=iox0,addr=0x11|$IOX_OFF" ;;
	vtd-dma-port)	# edu behind a PCIe root port (a bridge scope entry); 2 CPUs
		echo "-M q35 -smp 2 -device intel-iommu,intremap=off,aw-bits=48" \
			"-device pcie-root-port,id=rp0,bus=pcie.0,addr=0x11,chassis=1" \
			"-device edu,bus=rp0,addr=0,dma_mask=0xffffffffffffffff|$IOX_OFF" ;;
	vtd-hotplug)	# an empty PCIe root port; edu is hot-added (vm_monitor_cmd)
		echo "-M q35 -device intel-iommu,intremap=off,aw-bits=48" \
			"-device pcie-root-port,id=rp1,bus=pcie.0,addr=0x11,chassis=1,slot=1" \
			"|$IOX_OFF" ;;
	amdvi-hotplug)	# the same behind amd-iommu
		echo "-M q35 -device amd-iommu,intremap=off" \
			"-device pcie-root-port,id=rp1,bus=pcie.0,addr=0x11,chassis=1,slot=1" \
			"|$IOX_OFF" ;;
	vtd-alias)	# edu behind a conventional PCI bridge: the bridge's requester id
		echo "-M q35 -device intel-iommu,intremap=off,aw-bits=48" \
			"-device pci-bridge,id=br0,bus=pcie.0,addr=0x12,chassis_nr=2" \
			"-device edu,bus=br0,addr=0x1,dma_mask=0xffffffffffffffff|$IOX_OFF" ;;
	vtd-dma-cm)	# caching mode, 3-level tables
		echo "-M q35 -device intel-iommu,intremap=off,caching-mode=on $IOX_EDU|$IOX_OFF" ;;
	vtd-nvme | vtd-nvme-lazy)	# an NVMe disk on the image vm_run creates; 2 CPUs
		echo "-M q35 -smp 2 -device intel-iommu,intremap=off,aw-bits=48" \
			"-drive file=$IOX_BUILD/vmtest-nvme.img,if=none,id=nvm,format=raw" \
			"-device nvme,drive=nvm,serial=iox0,addr=0x11|$IOX_OFF" ;;
	vtd-virtio | vtd-virtio-lazy)	# a modern-only virtio-blk disk behind the IOMMU
		echo "-M q35 -smp 2 -device intel-iommu,intremap=off,aw-bits=48" \
			"-drive file=$IOX_BUILD/vmtest-disk.img,if=none,id=vd,format=raw" \
			"$IOX_VIRTIO_BLK|$IOX_OFF" ;;
	vtd-e1000e)	# an e1000e NIC on QEMU's user-mode network; 2 CPUs
		echo "-M q35 -smp 2 -device intel-iommu,intremap=off,aw-bits=48" \
			"$IOX_E1000E|$IOX_OFF" ;;
	amdvi-e1000e-lazy)	# the e1000e NIC behind amd-iommu; 2 CPUs
		echo "-M q35 -smp 2 -device amd-iommu,intremap=off $IOX_E1000E|$IOX_OFF" ;;
	amdvi-nvme | amdvi-nvme-lazy)	# the NVMe disk behind amd-iommu; 2 CPUs
		echo "-M q35 -smp 2 -device amd-iommu,intremap=off" \
			"-drive file=$IOX_BUILD/vmtest-nvme.img,if=none,id=nvm,format=raw" \
			"-device nvme,drive=nvm,serial=iox0,addr=0x11|$IOX_OFF" ;;
	bench-*)	# make bench: one machine; the mode picks the DMA ops
		echo "-M q35 -smp 2 -device intel-iommu,intremap=off,aw-bits=48 $IOX_EDU" \
			"-drive file=$IOX_BUILD/vmtest-nvme.img,if=none,id=nvm,format=raw" \
			"-device nvme,drive=nvm,serial=iox0,addr=0x11|$(vm_bench_args "$1")" ;;
	amdvi | amdvi-dma | amdvi-dma-polled | vfio-amdvi | demo-amdvi)
		echo "-M q35 -device amd-iommu,intremap=off $IOX_EDU|$IOX_OFF" ;;
	vtd-owned)	# the kernel's interrupt remapping takes the unit
		echo "-M q35,kernel-irqchip=split -device intel-iommu,intremap=on,aw-bits=48" \
			"$IOX_EDU|intel_iommu=off amd_iommu=off" ;;
	amdvi-owned)	# the kernel's AMD IOMMU driver takes the unit
		echo "-M q35 -device amd-iommu,intremap=off" \
			"$IOX_EDU|intel_iommu=off intremap=off" ;;
	*)
		return 1 ;;
	esac
}

# vm_bench_args bench-MODE: the kernel arguments of a make bench mode, and
# the parts of the benchmark to run (IOX_BENCH_VM, for guest/bench.sh).
vm_bench_args() {
	local on="intel_iommu=on iommu.passthrough=0 amd_iommu=off intremap=off"
	local parts="ioxbench=$(echo "${IOX_BENCH_VM:-dma map nvme}" | tr ' ' ,)"

	case ${1#bench-} in
	kernel-strict) echo "$on iommu.strict=1 $parts" ;;
	kernel-lazy) echo "$on iommu.strict=0 $parts" ;;
	*) echo "$IOX_OFF $parts" ;;	# iox-* and direct: the unit is left off
	esac
}

# vm_monitor_cmd SCENARIO: the QEMU monitor command the host sends when
# the guest prints "iox-vm: monitor"; nothing for scenarios without one.
vm_monitor_cmd() {
	case $1 in
	vtd-hotplug | amdvi-hotplug)
		echo "device_add edu,bus=rp1,addr=0,id=hotedu,dma_mask=0xffffffffffffffff" ;;
	esac
}

# vm_monitor_send LOG SOCKET COMMAND: wait for the guest's request in LOG,
# then send COMMAND to the monitor listening on SOCKET.
vm_monitor_send() {
	local log=$1 sock=$2 cmd=$3
	until grep -q '^iox-vm: monitor' "$log" 2>/dev/null; do
		sleep 0.5
	done
	python3 - "$sock" "$cmd" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall((sys.argv[2] + '\n').encode())
time.sleep(1)
s.close()
print('iox-vm: sent to the monitor:', sys.argv[2], file=sys.stderr)
PY
}

# vm_initramfs OUT: build the initramfs from the current modules and scripts.
vm_initramfs() {
	local out=$1 dir
	dir=$(mktemp -d "$IOX_BUILD/initramfs.XXXXXX")
	mkdir -p "$dir"/{bin,proc,sys,dev,tmp,tests,lib/modules/iox,lib/modules/vfio}
	cp /bin/busybox "$dir/bin/busybox"
	# The user-space selftests, static: the guest has no libc.
	make -s -C "$IOX_ROOT/tools/testing/selftests/iox" OUTPUT="$dir/bin"
	# The stock kernel's VFIO modules, loaded after iox by the vfio scenario.
	local kmod=$IOX_IMAGE/lib/modules/$IOX_ABI/kernel
	cp "$kmod/virt/lib/irqbypass.ko" \
		"$kmod"/drivers/vfio/{vfio,vfio_iommu_type1,vfio_virqfd}.ko \
		"$kmod"/drivers/vfio/pci/vfio-pci{,-core}.ko "$dir/lib/modules/vfio/"
	cp "$IOX_TOOLS/guest/init" "$dir/init"
	cp "$IOX_TOOLS"/guest/*.sh "$dir/tests/"
	find "$IOX_ROOT/drivers/iommu/iox" "$IOX_TOOLS/modules" -name '*.ko' \
		-exec cp {} "$dir/lib/modules/iox/" \;
	# Stock drivers the disk scenarios load after iox, with their deps.
	mkdir -p "$dir/lib/modules/stock"
	for m in crct10dif_common crc-t10dif crc64 crc64-rocksoft t10-pi nvme-core nvme \
		virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci \
		virtio_blk e1000e; do
		find "$IOX_IMAGE/lib/modules/$IOX_ABI/kernel" -name "$m.ko" \
			-exec cp {} "$dir/lib/modules/stock/" \;
	done
	chmod +x "$dir/init"
	(cd "$dir" && find . | cpio -o -H newc --quiet | gzip -1) >"$out"
	rm -rf "$dir"
}

# vm_run SCENARIO INITRAMFS LOG [TIMEOUT]: boot, run the scenario, power off.
# A guest that does not finish in time is killed and the log says so.
vm_run() {
	local scenario=$1 initrd=$2 log=$3 limit=${4:-${IOX_VM_TIMEOUT:-240}} machine rc=0
	local monitor="-monitor none" cmd sock helper=
	machine=$(vm_machine "$scenario") || { echo "vm: no scenario $scenario" >&2; return 1; }
	rm -f "$log"
	cmd=$(vm_monitor_cmd "$scenario")
	if [ -n "$cmd" ]; then
		sock=$IOX_BUILD/vm-$scenario.monitor
		rm -f "$sock"
		monitor="-monitor unix:$sock,server=on,wait=off"
		vm_monitor_send "$log" "$sock" "$cmd" 2>"$log.monitor" &
		helper=$!
	fi
	case $scenario in
	vtd-nvme* | amdvi-nvme* | demo | bench-*) rm -f "$IOX_BUILD/vmtest-nvme.img"
		truncate -s 64M "$IOX_BUILD/vmtest-nvme.img" ;;
	vtd-virtio*) rm -f "$IOX_BUILD/vmtest-disk.img"
		truncate -s 64M "$IOX_BUILD/vmtest-disk.img" ;;
	esac
	local append="console=ttyS0 loglevel=4 panic=-1 edd=off ${machine#*|} ioxtest=$scenario"
	# shellcheck disable=SC2086
	timeout -k 5 "$limit" qemu-system-x86_64 -accel tcg -m 1024 -nographic \
		-no-reboot -nic none -serial stdio $monitor ${machine%%|*} \
		-kernel "$IOX_IMAGE/boot/vmlinuz-$IOX_ABI" -initrd "$initrd" \
		-append "$append" \
		${IOX_QEMU_EXTRA:-} </dev/null >"$log" 2>&1 || rc=$?
	if [ -n "$helper" ]; then
		# The helper is gone once it sent the command; else stop it.
		kill "$helper" 2>/dev/null || true
		wait "$helper" 2>/dev/null || true
		sed 's/^/# /' "$log.monitor" >>"$log"
		rm -f "$sock" "$log.monitor"
	fi
	if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
		echo "iox-vmtest: timeout after ${limit}s, guest killed" >>"$log"
	elif ! grep -q '^iox-vmtest: done' "$log"; then
		echo "iox-vmtest: guest did not finish (qemu exit $rc)" >>"$log"
		echo "Kernel panic - guest did not finish" >>"$log"
	fi
	return 0
}
