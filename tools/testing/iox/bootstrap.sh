#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install and cache everything the iox build and test tiers need on a
# Debian bookworm machine.  Idempotent and silent when all is present.
# With the argument "bench", also what make bench needs.
#
# Prints nothing; the resolved values are written to $IOX_CACHE/env.mk so
# that make can include them:
#   IOX_ABI      kernel ABI that linux-headers-amd64 depends on today
#   IOX_KVER     upstream version of that kernel (e.g. 6.1.158)
#   IOX_HEADERS  installed headers tree (the KDIR for out-of-tree builds)
#   IOX_IMAGE    unpacked linux-image package (vmlinuz + modules)
#   IOX_SOURCE   unpacked linux-source-6.1 matching that image

set -euo pipefail

CACHE=${IOX_CACHE:-$HOME/.cache/iox}
mkdir -p "$CACHE"
LOG=$CACHE/bootstrap.log

say() { echo "iox-bootstrap: $*" >&2; }
die() { say "$*"; say "see $LOG"; exit 1; }

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo

HOST_PKGS="qemu-system-x86 sparse busybox-static cpio flex bison bc
	libelf-dev libssl-dev dwarves kmod xz-utils rsync perl python3
	gcc make libc6-dev git python3-ply python3-git"
# `bootstrap.sh bench` adds what only make bench needs: gnuplot draws the
# report's plot.
[ "${1:-}" = bench ] && HOST_PKGS="$HOST_PKGS gnuplot-nox"

missing_pkgs() {
	local p
	for p in "$@"; do
		dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null |
			grep -q '^install ok installed$' || echo "$p"
	done
}

apt_updated=
apt_update() {
	[ -n "$apt_updated" ] && return 0
	say "refreshing the package lists"
	$SUDO apt-get update >>"$LOG" 2>&1 || die "apt-get update failed"
	apt_updated=1
}

apt_install() {
	[ $# -eq 0 ] && return 0
	apt_update
	say "installing $*"
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y \
		--no-install-recommends "$@" >>"$LOG" 2>&1 ||
		die "apt-get install $* failed"
}

# shellcheck disable=SC2086
apt_install $(missing_pkgs $HOST_PKGS)

# The ABI is whatever the linux-headers-amd64 metapackage depends on today.
resolve_abi() {
	apt-cache depends linux-headers-amd64 2>/dev/null |
		sed -n 's/^ *Depends: linux-headers-\(6\.1\.[0-9]*-[0-9]*-amd64\)$/\1/p' |
		head -n 1
}
ABI=$(resolve_abi)
if [ -z "$ABI" ]; then
	apt_update
	ABI=$(resolve_abi)
fi
[ -n "$ABI" ] || die "cannot resolve the kernel ABI from linux-headers-amd64"

# shellcheck disable=SC2046
apt_install $(missing_pkgs "linux-headers-$ABI")
HEADERS=/usr/src/linux-headers-$ABI
[ -f "$HEADERS/Makefile" ] || die "$HEADERS is not a kernel headers tree"

PKGVER=$(dpkg-query -W -f='${Version}' "linux-headers-$ABI")
KVER=${PKGVER%%-*}

fetch_deb() { # package version -> path of the .deb in the cache
	local pkg=$1 ver=$2 deb
	mkdir -p "$CACHE/debs"
	deb=$(find "$CACHE/debs" -name "${pkg}_${ver//:/%3a}_*.deb" | head -n 1)
	if [ -z "$deb" ]; then
		say "downloading $pkg $ver"
		(cd "$CACHE/debs" && apt-get download "$pkg=$ver" >>"$LOG" 2>&1) ||
			{ apt_update; (cd "$CACHE/debs" &&
			  apt-get download "$pkg=$ver" >>"$LOG" 2>&1); } ||
			die "cannot download $pkg=$ver"
		deb=$(find "$CACHE/debs" -name "${pkg}_*.deb" | head -n 1)
	fi
	echo "$deb"
}

IMAGE=$CACHE/image-$ABI
if [ ! -f "$IMAGE/.unpacked" ]; then
	deb=$(fetch_deb "linux-image-$ABI-unsigned" "$PKGVER")
	rm -rf "$IMAGE"
	dpkg-deb -x "$deb" "$IMAGE" || die "cannot unpack $deb"
	touch "$IMAGE/.unpacked"
fi
[ -f "$IMAGE/boot/vmlinuz-$ABI" ] || die "no vmlinuz in $IMAGE"

SOURCE=$CACHE/linux-source-$KVER
if [ ! -f "$SOURCE/.unpacked" ]; then
	deb=$(fetch_deb linux-source-6.1 "$PKGVER")
	rm -rf "$SOURCE" "$CACHE/src-deb"
	dpkg-deb -x "$deb" "$CACHE/src-deb" || die "cannot unpack $deb"
	say "unpacking linux-source $KVER"
	mkdir -p "$SOURCE"
	tar -C "$SOURCE" --strip-components=1 \
		-xf "$CACHE"/src-deb/usr/src/linux-source-6.1.tar.xz ||
		die "cannot unpack the linux-source tarball"
	rm -rf "$CACHE/src-deb"
	touch "$SOURCE/.unpacked"
fi

# A file of this run's own, renamed into place: runs at once (make lint
# beside make bench) each write theirs whole.
cat >"$CACHE/env.mk.tmp.$$" <<EOM
IOX_ABI := $ABI
IOX_KVER := $KVER
IOX_HEADERS := $HEADERS
IOX_IMAGE := $IMAGE
IOX_SOURCE := $SOURCE
EOM
mv "$CACHE/env.mk.tmp.$$" "$CACHE/env.mk"
