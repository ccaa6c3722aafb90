#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Installs and caches everything qspin needs, from Debian's package archive only.
# Idempotent: a second run with everything in place does no network work.
#
#   scripts/deps.sh            host packages + VM kernel image + kselftest framework
#   scripts/deps.sh --print    print the resolved VM kernel ABI and the cache paths
#
# Cache layout (git-ignored, under .cache/):
#   .cache/kernel/<abi>/vmlinuz          Debian's linux-image-<abi>, extracted with dpkg-deb
#   .cache/kernel/<abi>/modules/         its /lib/modules/<abi> (for modprobe'd dependencies)
#   .cache/kselftest/<srcver>/tools/testing/selftests/...   the kselftest framework files
#   .cache/linux-source/<srcver>/        reference sources (kernel/locking, ...)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cache=$top/.cache
export DEBIAN_FRONTEND=noninteractive

SUDO=
[ "$(id -u)" -eq 0 ] || SUDO=sudo

log() { printf '[deps] %s\n' "$*" >&2; }

apt_updated=0
apt_update_once() {
	[ $apt_updated -eq 1 ] && return
	log "apt-get update"
	$SUDO apt-get update -qq
	apt_updated=1
}

# The VM kernel ABI comes from the metapackage of the day, never a pinned number.
resolve_abi() {
	local dep
	dep=$(apt-cache depends linux-image-amd64 2>/dev/null |
		sed -n 's/^ *Depends: linux-image-\([0-9][^ ]*-amd64\)$/\1/p' | head -n1)
	if [ -z "$dep" ]; then
		apt_update_once
		dep=$(apt-cache depends linux-image-amd64 |
			sed -n 's/^ *Depends: linux-image-\([0-9][^ ]*-amd64\)$/\1/p' | head -n1)
	fi
	[ -n "$dep" ] || { log "cannot resolve linux-image-amd64's ABI"; exit 1; }
	echo "$dep"
}

host_packages=(
	make gcc g++ cmake pkg-config bc kmod cpio xz-utils file binutils rsync
	libgtest-dev libgmock-dev googletest libbenchmark-dev libck-dev
	qemu-system-x86 busybox-static sparse gnuplot-nox python3 perl
	linux-headers-amd64 linux-source
	flex bison libelf-dev
)

install_host_packages() {
	local missing=() p
	for p in "${host_packages[@]}"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			missing+=("$p")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		apt_update_once
		log "apt-get install ${missing[*]}"
		$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >"$cache/apt-install.log" 2>&1 || { tail -n 40 "$cache/apt-install.log" >&2; exit 1; }
	fi
}

# The headers that pair with the VM's kernel image: same ABI as linux-image-amd64.
install_vm_headers() {
	local abi=$1
	if [ ! -d "/usr/src/linux-headers-$abi" ]; then
		apt_update_once
		log "apt-get install linux-headers-$abi"
		$SUDO apt-get install -y -qq --no-install-recommends "linux-headers-$abi" >&2
	fi
}

# The cache is whole when vmlinuz is there and the module tree has as many
# .ko files and the modules.order it had when extracted (a stray clean or
# an interrupted copy must not pass as cached).
vm_kernel_cached() {
	local dir=$1 want
	[ -f "$dir/vmlinuz" ] && [ -f "$dir/modules/modules.order" ] &&
		[ -f "$dir/ko-count" ] || return 1
	want=$(cat "$dir/ko-count")
	[ "$(find "$dir/modules" -name '*.ko' | wc -l)" = "$want" ]
}

extract_vm_kernel() {
	local abi=$1 dir=$cache/kernel/$1 tmp
	vm_kernel_cached "$dir" && return
	[ -d "$dir" ] && log "cached kernel $abi is incomplete: extracting it again"
	log "fetching linux-image-$abi (extracted with dpkg-deb, not installed)"
	tmp=$(mktemp -d)
	(cd "$tmp" && apt-get download -qq "linux-image-$abi" >&2) || {
		apt_update_once
		(cd "$tmp" && apt-get download -qq "linux-image-$abi" >&2)
	}
	dpkg-deb -x "$tmp"/linux-image-"$abi"_*.deb "$tmp/root"
	mkdir -p "$dir"
	cp "$tmp/root/boot/vmlinuz-$abi" "$dir/vmlinuz"
	cp "$tmp/root/boot/config-$abi" "$dir/config"
	rm -rf "$dir/modules"
	mv "$tmp/root/lib/modules/$abi" "$dir/modules"
	find "$dir/modules" -name '*.ko' | wc -l > "$dir/ko-count"
	rm -rf "$tmp"
}

source_version() {
	dpkg-query -W -f='${Version}' linux-source-6.1 2>/dev/null ||
		dpkg-query -W -f='${Version}' linux-source
}

# kselftest framework + the locking references, from linux-source's tarball.
# Decompressing the tarball costs the whole 139 MB even for a few files: do it once.
extract_linux_source() {
	local ver tarball dst
	ver=$(source_version)
	dst=$cache/linux-source/$ver
	[ -f "$dst/.done" ] && return
	tarball=$(ls /usr/src/linux-source-*.tar.xz | sort -V | tail -n1)
	log "extracting kselftest framework and locking sources from $(basename "$tarball")"
	rm -rf "$dst"
	mkdir -p "$dst"
	local base
	base=$(basename "$tarball" .tar.xz)
	tar -C "$dst" --strip-components=1 -xJf "$tarball" \
		"$base/tools/testing/selftests/kselftest.h" \
		"$base/tools/testing/selftests/kselftest_harness.h" \
		"$base/tools/testing/selftests/kselftest_module.h" \
		"$base/tools/testing/selftests/lib.mk" \
		"$base/tools/testing/selftests/run_kselftest.sh" \
		"$base/tools/testing/selftests/kselftest" \
		"$base/tools/testing/selftests/Makefile" \
		"$base/kernel/locking" \
		"$base/include/asm-generic/qspinlock.h" \
		"$base/include/asm-generic/qspinlock_types.h" \
		"$base/include/asm-generic/mcs_spinlock.h" \
		"$base/arch/x86/include/asm/qspinlock.h" \
		"$base/scripts/checkpatch.pl" \
		"$base/scripts/spelling.txt" \
		"$base/scripts/const_structs.checkpatch" \
		"$base/scripts/subarch.include"
	touch "$dst/.done"
}

main() {
	mkdir -p "$cache"
	install_host_packages
	local abi
	abi=$(resolve_abi)
	install_vm_headers "$abi"
	extract_vm_kernel "$abi"
	extract_linux_source
	echo "$abi" > "$cache/vm-abi"
	ln -sfn "linux-source/$(source_version)" "$cache/src"
	log "ready: VM kernel $abi, headers /usr/src/linux-headers-$abi, sources $cache/src"
}

if [ "${1:-}" = "--print" ]; then
	abi=$(resolve_abi)
	echo "VM_ABI=$abi"
	echo "KERNEL_DIR=$cache/kernel/$abi"
	echo "KDIR=/usr/src/linux-headers-$abi"
	echo "KSELFTEST_DIR=$cache/src/tools/testing/selftests"
	exit 0
fi
main "$@"
