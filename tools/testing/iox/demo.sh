#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make demo: boot the stock Debian kernel under QEMU with emulated Intel
# VT-d (IOX_DEMO=vtd, the default) or AMD-Vi (IOX_DEMO=amdvi), load the iox
# modules, show the unit they brought up and DMA through it.

. "$(dirname "$0")/lib.sh"
. "$IOX_TOOLS/vm.sh"

build_modules "$IOX_BUILD/demo-modules.log" ||
	{ cat "$IOX_BUILD/demo-modules.log"; exit 1; }
initrd=$IOX_BUILD/demo-initramfs.cpio.gz
log=$IOX_BUILD/demo.log
vm_initramfs "$initrd"
case ${IOX_DEMO:-vtd} in
vtd)	scenario=demo ;;
amdvi)	scenario=demo-amdvi ;;
*)	echo "demo: IOX_DEMO must be vtd or amdvi, not '$IOX_DEMO'" >&2; exit 2 ;;
esac
machine=$(vm_machine $scenario)
echo "booting linux $IOX_ABI: qemu-system-x86_64 -accel tcg ${machine%%|*}"
echo "kernel command line: ${machine#*|}"
vm_run $scenario "$initrd" "$log" 120
if ! grep -q '^iox-demo: end' "$log"; then
	cat "$log"
	echo "demo: the guest did not finish" >&2
	exit 1
fi
sed -n '/^iox-demo: begin/,/^iox-demo: end/p' "$log" | sed '1d;$d'
