#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kunit.sh uml|qemu: the KUnit tiers, run by kunit.py in the overlaid tree.
#   uml:  the logic suites on UML with lockdep and KASAN, and the
#         benchmarks once on tiny sizes (drivers/iommu/iox/tests/.kunitconfig)
#   qemu: iox built in to an x86_64 kernel, booted on q35 once with emulated
#         VT-d and once with AMD-Vi, edu at 00:10.0, running the hardware
#         suites (iox-hw-*; the logic suites run on UML), and once more
#         each for the multi-CPU cases of the IOVA allocator (iox-iova),
#         the page table (iox-pgtable-smp) and the flush queue
#         (iox-flush-queue), 2 CPUs, and once with two
#         edu functions behind a PCIe-to-PCI bridge for the IOMMU API
#         bridge's group case (iox-hw-iommu-api, vtd-alias.py), and for the DMA
#         layer (iox-dma), which needs dma_map_ops, and with an NVMe disk
#         and a PCI serial port that the built-in iox serves from boot
#         (iox-boot-disk, nvme.py, on an image written here): behind VT-d
#         (vtd-nvme), behind AMD-Vi (amdvi-nvme), and behind VT-d booted
#         with iox.dma_attach=0, where they must stay untranslated
#         (vtd-nvme-off)
#         (drivers/iommu/iox/tests/x86_64.kunitconfig, qemu_configs/)
# kunit.py's raw log is judged by ktap.py like every other tier.

. "$(dirname "$0")/lib.sh"

overlay
cd "$IOX_TREE"
kunit=(python3 tools/testing/kunit/kunit.py)
jobs=$(nproc)
status=0

# judge NAME BUILD_DIR KUNIT_LOG: parse the kernel log kunit.py kept.
judge() {
	local saved=$IOX_BUILD/$1.log
	if [ -f "$2/test.log" ]; then
		mv "$2/test.log" "$saved"
	else
		tail -n 40 "$3"
		echo "$1: kunit.py produced no kernel log" >"$saved"
	fi
	"$IOX_TOOLS/ktap.py" "$saved" "$1" "$IOX_RESULTS" ||
		{ status=1; echo "$1: kernel log in $saved, kunit.py output in $3"; }
}

case ${1:-} in
uml)
	build=$IOX_BUILD/kunit-uml
	mkdir -p "$build"
	rm -f "$build/test.log"
	# The benchmarks run once on tiny sizes (quick=1), so that their
	# code cannot rot; make bench measures.
	"${kunit[@]}" run --kunitconfig drivers/iommu/iox/tests/.kunitconfig \
		--kernel_args pgtable_bench.quick=1 --kernel_args iova_bench.quick=1 \
		--build_dir "$build" --jobs "$jobs" --timeout 600 \
		>"$IOX_BUILD/kunit-uml.out" 2>&1 || true
	judge kunit-uml "$build" "$IOX_BUILD/kunit-uml.out"
	;;
qemu)
	build=$IOX_BUILD/kunit-x86_64
	mkdir -p "$build"
	# A failed build must not leave the last kernel for the other machines.
	rm -f "$build/test.log" "$build/arch/x86/boot/bzImage"
	"${kunit[@]}" run --kunitconfig drivers/iommu/iox/tests/x86_64.kunitconfig \
		--qemu_config "$IOX_TOOLS/qemu_configs/vtd.py" \
		--build_dir "$build" --jobs "$jobs" --timeout 600 'iox-hw-*' \
		>"$IOX_BUILD/kunit-qemu-vtd.out" 2>&1 || true
	judge kunit-qemu-vtd "$build" "$IOX_BUILD/kunit-qemu-vtd.out"
	# Same kernel, other machines: no rebuild.  The IOVA allocator's
	# concurrency and CPU-hotplug cases and the page table's concurrent
	# map/unmap need the 2 CPUs UML lacks; the DMA layer needs the
	# dma_map_ops UML lacks.
	# The disk of iox-boot-disk: its first block is the tag it reads back.
	export IOX_KUNIT_DISK=$IOX_BUILD/kunit-nvme.img
	{ printf IOXBOOT; head -c 4089 /dev/zero | tr '\0' x; } >"$IOX_KUNIT_DISK"
	truncate -s 16M "$IOX_KUNIT_DISK"
	for run in amdvi:iox-hw-* iova:iox-iova pgtable-smp:iox-pgtable-smp \
		vtd-alias:iox-hw-iommu-api dma:iox-dma fq:iox-flush-queue vtd-nvme:iox-boot-disk \
		amdvi-nvme:iox-boot-disk vtd-nvme-off:iox-boot-disk; do
		machine=${run%%:*}
		config=$machine
		args=()
		export IOX_KUNIT_IOMMU=${machine%%-*}	# nvme.py's IOMMU
		case $machine in
		iova | pgtable-smp | dma | fq) config=vtd ;;
		*-nvme) config=nvme ;;
		vtd-nvme-off)
			config=nvme
			args=(--kernel_args iox.dma_attach=0
			      --kernel_args boot_disk_kunit.translated=0)
			;;
		esac
		if [ -f "$build/arch/x86/boot/bzImage" ]; then
			"${kunit[@]}" exec --qemu_config "$IOX_TOOLS/qemu_configs/$config.py" \
				--build_dir "$build" --timeout 600 "${args[@]}" "${run#*:}" \
				>"$IOX_BUILD/kunit-qemu-$machine.out" 2>&1 || true
		fi
		judge "kunit-qemu-$machine" "$build" "$IOX_BUILD/kunit-qemu-$machine.out"
	done
	;;
*)
	echo "usage: $0 uml|qemu" >&2
	exit 2
	;;
esac
exit $status
