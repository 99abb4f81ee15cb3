#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# series.sh [make|check]: the iox patch series against the pristine Debian
# linux-source 6.1 tree.
#   make   (make series) generate it from the project tree, as the manifest
#          tools/testing/iox/series/manifest splits it, into SERIES_OUT
#          (default $IOX_CACHE/series/)
#   check  (make series-check) generate it, apply it with git am to a clean
#          pristine tree and, after each patch, build drivers/iommu/iox/ as
#          =m and =y with W=1 and run checkpatch.pl --strict on the patch;
#          after the last, the tree must equal overlay.sh's result
#
# The pristine tree is unpacked once from the cached linux-source .deb into
# $IOX_CACHE/linux-pristine-<ver>, a git repository whose tag "pristine" is
# the untouched source.  Its work tree is where the check applies the
# series; a second work tree, linux-pristine-<ver>.overlay, is where
# overlay.sh shows what the series must add up to.  Each use starts by
# resetting them.

. "$(dirname "$0")/lib.sh"

mode=${1:-make}
SERIES_OUT=${SERIES_OUT:-$IOX_CACHE/series}
PRISTINE=$IOX_CACHE/linux-pristine-$IOX_KVER
OVERLAID=$PRISTINE.overlay
SERIES_DIR=$IOX_TOOLS/series
series_py=(python3 "$SERIES_DIR/series.py")
git_p() { git -C "$PRISTINE" -c gc.auto=0 "$@"; }
git_o() { git -C "$OVERLAID" -c gc.auto=0 "$@"; }

# pristine_tree: unpack linux-source once more and commit it, untouched;
# add the second work tree.
pristine_tree() {
	[ -f "$PRISTINE/.git/iox-pristine-done" ] || unpack_pristine
	if [ ! -f "$OVERLAID/.git" ]; then
		rm -rf "$OVERLAID"
		git_p worktree prune
		git_p worktree add -q --detach "$OVERLAID" pristine
	fi
}

unpack_pristine() {
	local deb tmp=$PRISTINE.tmp
	deb=$(find "$IOX_CACHE/debs" -name "linux-source-6.1_${IOX_KVER}-*_all.deb" | head -n 1)
	if [ -z "$deb" ]; then
		echo "series: no linux-source-6.1 $IOX_KVER .deb in $IOX_CACHE/debs" >&2
		exit 1
	fi
	echo "series: unpacking a pristine linux-source $IOX_KVER into $PRISTINE (once)" >&2
	rm -rf "$tmp" "$PRISTINE"
	mkdir -p "$tmp"
	dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/src/linux-source-6.1.tar.xz |
		tar -C "$tmp" --strip-components=1 -xJf -
	git -C "$tmp" init -q
	git -C "$tmp" config gc.auto 0
	# -f: Debian's top-level .gitignore ignores everything outside debian/.
	git -C "$tmp" add -A -f
	git -C "$tmp" -c user.name=iox -c user.email=iox@localhost \
		commit -q -m "Linux $IOX_KVER ($(basename "$deb" .deb))"
	git -C "$tmp" tag pristine
	mv "$tmp" "$PRISTINE"
	touch "$PRISTINE/.git/iox-pristine-done"
}

# reset_pristine: the work tree back to the untouched source.
reset_pristine() {
	git_p am --abort >/dev/null 2>&1 || true
	git_p checkout -q -f --detach pristine
	git_p clean -q -fdx
}

# overlay_tree: the tree overlay.sh makes of the pristine source, as a git
# tree id; this is what the series must add up to.
overlay_tree() {
	git_o checkout -q -f --detach pristine
	git_o clean -q -fdx
	"$IOX_TOOLS/overlay.sh" "$IOX_ROOT" "$OVERLAID"
	# Not part of the tree: overlay.sh's record of the headers it installed.
	rm -f "$OVERLAID/.iox-headers"
	git_o add -A -f
	git_o write-tree
}

# generate OUT: write the series to OUT; prints the number of patches.
generate() {
	local final
	final=$(overlay_tree)
	echo "$final" >"$IOX_BUILD/series-overlay-tree"
	"${series_py[@]}" generate --root "$IOX_ROOT" --repo "$PRISTINE" \
		--base pristine --final "$final" --out "$1" \
		--results "$IOX_BUILD/check-summary"
}

# The check's two configurations: allnoconfig with the x86_64 KUnit
# options (without the slow debugging ones) and every iox option as m (with
# modules) or y.  Options a patch has not added yet are left out by
# olddefconfig and come back once it does: the fragment is applied again
# after each patch.
configure() { # m|y final-tree
	local how=$1 tree=$IOX_BUILD/series-$1 frag sym type
	frag=$(grep -v -e KASAN -e PROVE_LOCKING -e '^CONFIG_IOX' \
		"$IOX_ROOT/drivers/iommu/iox/tests/x86_64.kunitconfig"
		echo CONFIG_MODULES=y
		"${series_py[@]}" kconfig-symbols --repo "$PRISTINE" --tree "$2" |
		while read -r sym type; do
			if [ "$how" = m ] && [ "$type" = tristate ]; then
				echo "CONFIG_$sym=m"
			else
				echo "CONFIG_$sym=y"
			fi
		done)
	mkdir -p "$tree"
	if [ ! -f "$tree/.config.base" ]; then
		make -C "$PRISTINE" O="$tree" ARCH=x86_64 allnoconfig >/dev/null 2>&1
		cp "$tree/.config" "$tree/.config.base"
	fi
	if [ ! -f "$tree/lib/kunit/built-in.a" ] || [ ! -f "$tree/lib/fault-inject.o" ]; then
		cat "$tree/.config.base" - <<<"$frag" >"$tree/.config"
		make -C "$PRISTINE" O="$tree" ARCH=x86_64 olddefconfig >/dev/null 2>&1
		# The symbols of KUnit and of the fault-injection framework,
		# which the distribution kernel lacks, for the link check.
		make -C "$PRISTINE" O="$tree" ARCH=x86_64 -j"$(nproc)" lib/kunit/ \
			lib/fault-inject.o >"$IOX_BUILD/series-$how-lib.log" 2>&1
	fi
	echo "$frag" >"$tree/.iox-fragment"
}

# build_step m|y LOG: build drivers/iommu/iox/ at the applied patch; print
# what is wrong, if anything.
build_step() {
	local how=$1 log=$2 tree=$IOX_BUILD/series-$1 want sym type f
	cat "$tree/.config.base" "$tree/.iox-fragment" >"$tree/.config"
	make -C "$PRISTINE" O="$tree" ARCH=x86_64 olddefconfig >"$log.config" 2>&1 ||
		{ echo "olddefconfig failed (=$how), see $log.config"; return; }
	"${series_py[@]}" kconfig-symbols --repo "$PRISTINE" --tree HEAD |
	while read -r sym type; do
		want=y
		[ "$how" = m ] && [ "$type" = tristate ] && want=m
		grep -qx "CONFIG_$sym=$want" "$tree/.config" ||
			echo "CONFIG_$sym is not $want (=$how): a dependency is missing"
	done
	if ! make -C "$PRISTINE" O="$tree" ARCH=x86_64 -j"$(nproc)" W=1 \
		drivers/iommu/iox/ >"$log" 2>&1; then
		echo "build failed (=$how), see $log"
		grep -E '(error|warning):' "$log" | head -n 5
		return
	fi
	grep -E '(error|warning):' "$log" | head -n 5 | sed "s/^/(=$how) /"
	# Every source file of the tree was compiled at this step.
	for f in $(git_p ls-tree -r --name-only HEAD drivers/iommu/iox/ | grep '\.c$'); do
		[ "$tree/${f%.c}.o" -nt "$PRISTINE/$f" ] ||
			echo "$f was not built (=$how): no Makefile line builds it"
	done
	"${series_py[@]}" link-check --build "$tree" --since "$stamp" \
		--symvers "$IOX_HEADERS/Module.symvers" --mode "$how"
}

check() {
	local out=$IOX_BUILD/series-check final start=$SECONDS n=0 status=0
	local patch log problems i total
	rm -rf "$out"
	if ! generate "$out/patches" >"$out.log" 2>&1; then
		cat "$out.log"
		gate series-generate 1
		return 1
	fi
	final=$(cat "$IOX_BUILD/series-overlay-tree")
	mapfile -t patches < <(find "$out/patches" -name '0*.patch' ! -name '0000-*' | sort)
	total=${#patches[@]}
	reset_pristine
	configure m "$final"
	configure y "$final"
	stamp=$out/stamp
	touch "$stamp"
	echo "TAP version 13"
	echo "1..$((total + 1))"
	for patch in "${patches[@]}"; do
		n=$((n + 1))
		i=$(basename "$patch" .patch)
		log=$out/$i
		if ! problems=$(git_p am -q "$patch" 2>&1); then
			git_p am --abort >/dev/null 2>&1 || true
			sed 's/^/# /' <<<"git am failed: $problems"
			echo "not ok $n - $i"
			record series-check 0 1
			status=1
			break
		fi
		# The series adds MAINTAINERS in its last patch; every file it
		# adds is checked against it at the end instead.  The SPDX check
		# runs the distribution's python3 (with python3-ply and -git).
		problems=$(cd "$PRISTINE" && PATH=/usr/bin:$PATH scripts/checkpatch.pl \
			--strict --quiet --show-types --ignore FILE_PATH_CHANGES \
			"$patch" 2>&1) || true
		if [ -n "$(git_p diff --name-only HEAD~1 HEAD -- drivers include)" ]; then
			problems+=$'\n'$(build_step m "$log-m.log"; build_step y "$log-y.log")
		else
			echo "# $i: no file under drivers/ or include/, nothing to build"
		fi
		problems=$(sed '/^$/d' <<<"$problems")
		if [ -z "$problems" ]; then
			echo "ok $n - $i"
			record series-check 1 0
		else
			sed 's/^/# /' <<<"$problems"
			echo "not ok $n - $i"
			record series-check 0 1
			status=1
		fi
	done
	n=$((n + 1))
	problems=$(git_p diff --stat HEAD "$final" 2>&1)
	[ "$(git_p rev-parse HEAD^{tree})" = "$final" ] ||
		problems+=$'\nthe tree differs from overlay.sh\'s'
	problems+=$'\n'$("${series_py[@]}" coverage --root "$IOX_ROOT" --repo "$PRISTINE" \
		--base pristine --tree HEAD)
	problems=$(sed '/^$/d' <<<"$problems")
	if [ -z "$problems" ]; then
		echo "ok $n - series-equals-overlay"
		record series-check 1 0
	else
		sed 's/^/# /' <<<"$problems"
		echo "not ok $n - series-equals-overlay"
		record series-check 0 1
		status=1
	fi
	echo "# $total patches, checked in $((SECONDS - start)) s; logs in $out"
	return $status
}

pristine_tree
case $mode in
prepare)
	;;
make)
	generate "$SERIES_OUT"
	echo "series: $(find "$SERIES_OUT" -name '0*.patch' | wc -l) files in $SERIES_OUT"
	;;
check)
	check
	;;
*)
	echo "usage: series.sh [make|check]" >&2
	exit 2
	;;
esac
