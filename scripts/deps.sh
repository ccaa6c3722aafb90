#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Installs and caches everything qspin needs, from Debian's package archive only.
# Idempotent: a second run with everything in place does no network work.
#
#   scripts/deps.sh            host packages + VM kernel image + kselftest framework
#   scripts/deps.sh --print    print the resolved VM kernel ABI and the cache paths
#   KERNEL=NAME scripts/deps.sh [--print]   the same for another VM kernel
#
# The VM kernels (KERNEL=NAME; make ... KERNEL=NAME), each resolved from a
# Debian metapackage of the day, never a pinned number:
#   6.1 (default)  linux-image-amd64       Debian 12's generic kernel
#   rt (6.1-rt)    linux-image-rt-amd64    Debian 12's PREEMPT_RT kernel
#   6.12           linux-image-amd64       from bookworm-backports
#   6.12-rt        linux-image-rt-amd64    from bookworm-backports
# bookworm-backports is added to apt for the linux-* kernel packages only
# (/etc/apt/preferences.d/qspin-bookworm-backports: priority 100 for them,
# so nothing of the host moves to backports, -1 for everything else).
#
# Cache layout (git-ignored, under .cache/):
#   .cache/kernel/<abi>/vmlinuz          Debian's linux-image-<abi>, extracted with dpkg-deb
#   .cache/kernel/<abi>/modules/         its /lib/modules/<abi> (for modprobe'd dependencies)
#                                        (the default kernel; its headers are installed
#                                        with apt in /usr/src/linux-headers-<abi>)
#   .cache/kernels/<name>/               every other kernel: abi, vmlinuz, config,
#                                        modules/ (.ko or .ko.xz), and its headers
#                                        extracted with dpkg-deb (not installed: the
#                                        6.12 headers depend on the image) under root/;
#                                        kdir -> root/usr/src/linux-headers-<abi>
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

# KERNEL=NAME: its metapackage (as apt-cache names it, with /suite for backports).
kernel=${KERNEL:-6.1}
case $kernel in
6.1|default) kernel=6.1 meta=linux-image-amd64 ;;
rt|6.1-rt) kernel=rt meta=linux-image-rt-amd64 ;;
6.12) meta=linux-image-amd64/bookworm-backports ;;
6.12-rt) meta=linux-image-rt-amd64/bookworm-backports ;;
*) log "unknown KERNEL='$kernel': one of 6.1 (default), rt, 6.12, 6.12-rt"; exit 2 ;;
esac

# bookworm-backports, for the kernel packages only.
bpo_sources=/etc/apt/sources.list.d/qspin-bookworm-backports.sources
bpo_pref=/etc/apt/preferences.d/qspin-bookworm-backports
enable_backports() {
	[ -f "$bpo_sources" ] && [ -f "$bpo_pref" ] && return
	log "adding bookworm-backports to apt, pinned to the linux-* kernel packages"
	$SUDO tee "$bpo_pref" >/dev/null <<'EOF'
# qspin (scripts/deps.sh): bookworm-backports for its 6.12 VM kernels only.
Package: linux-image-* linux-headers-* linux-kbuild-* linux-compiler-*
Pin: release n=bookworm-backports
Pin-Priority: 100

Package: *
Pin: release n=bookworm-backports
Pin-Priority: -1
EOF
	$SUDO tee "$bpo_sources" >/dev/null <<'EOF'
Types: deb
URIs: http://deb.debian.org/debian
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
	apt_updated=0
	apt_update_once
}

# The VM kernel ABI comes from the metapackage of the day, never a pinned number.
resolve_abi() {
	local dep
	case $meta in */bookworm-backports) enable_backports ;; esac
	dep=$(apt-cache depends "$meta" 2>/dev/null |
		sed -n 's/^ *Depends: linux-image-\([0-9][^ ]*-amd64\)$/\1/p' | head -n1)
	if [ -z "$dep" ]; then
		apt_update_once
		dep=$(apt-cache depends "$meta" |
			sed -n 's/^ *Depends: linux-image-\([0-9][^ ]*-amd64\)$/\1/p' | head -n1)
	fi
	[ -n "$dep" ] || { log "cannot resolve $meta's ABI"; exit 1; }
	echo "$dep"
}

host_packages=(
	make gcc g++ cmake pkg-config bc kmod cpio xz-utils file binutils rsync
	libgtest-dev libgmock-dev googletest libbenchmark-dev libck-dev
	qemu-system-x86 busybox-static sparse gnuplot-nox python3 perl
	linux-headers-amd64 linux-source
	flex bison libelf-dev
	dwarves zstd dkms
	# tracing tools: trace-cmd and perf go into the VM's initramfs for
	# selftests/qspin_trace.sh (mkinitramfs.sh --tool); bpftrace for
	# README's one-liner (make trace-bpftrace)
	trace-cmd linux-perf bpftrace
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
	[ "$(find "$dir/modules" -name '*.ko' -o -name '*.ko.xz' -o -name '*.ko.zst' | wc -l)" = "$want" ]
}

extract_vm_kernel() {
	local abi=$1 dir=${2:-$cache/kernel/$1} tmp
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
	find "$dir/modules" -name '*.ko' -o -name '*.ko.xz' -o -name '*.ko.zst' | wc -l > "$dir/ko-count"
	rm -rf "$tmp"
}

# Another kernel's headers, extracted (not installed) under DIR/root: the
# linux-headers-<abi> package and the linux-headers-*-common* and
# linux-kbuild-* it depends on. Their only absolute path is the arch tree's
# "include /usr/src/linux-headers-...-common/Makefile": make it relative
# (make -C runs in that folder), so the cache can move.
extract_headers() {
	local abi=$1 dir=$2 tmp pkgs p
	[ -f "$dir/headers-done" ] && [ "$(cat "$dir/headers-done")" = "$abi" ] && return
	log "fetching linux-headers-$abi (extracted with dpkg-deb, not installed)"
	mapfile -t pkgs < <(apt-cache depends "linux-headers-$abi" |
		sed -n 's/^ *Depends: \(linux-\(headers\|kbuild\)-[^ ]*\)$/\1/p' | sort -u)
	pkgs+=("linux-headers-$abi")
	tmp=$(mktemp -d)
	(cd "$tmp" && apt-get download -qq "${pkgs[@]}" >&2)
	rm -rf "$dir/root"
	mkdir -p "$dir/root"
	for p in "$tmp"/*.deb; do
		dpkg-deb -x "$p" "$dir/root"
	done
	sed -i "s|^include /usr/src/|include ../|" \
		"$dir/root/usr/src/linux-headers-$abi/Makefile"
	ln -sfn "root/usr/src/linux-headers-$abi" "$dir/kdir"
	rm -rf "$tmp"
	echo "$abi" > "$dir/headers-done"
}

# A kernel other than the default: everything in .cache/kernels/<name>/.
# A new ABI of the day replaces the old one there.
extract_other_kernel() {
	local abi=$1 dir=$cache/kernels/$kernel
	mkdir -p "$dir"
	if [ "$(cat "$dir/abi" 2>/dev/null)" != "$abi" ]; then
		rm -rf "$dir/modules" "$dir/root" "$dir/vmlinuz" "$dir/headers-done" "$dir/ko-count"
	fi
	extract_vm_kernel "$abi" "$dir"
	extract_headers "$abi" "$dir"
	echo "$abi" > "$dir/abi"
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
	if [ "$kernel" != 6.1 ]; then
		# The default kernel's cache (and the kselftest framework) first:
		# every other kernel's runs use the same sources.
		KERNEL=6.1 "$0"
		abi=$(resolve_abi)
		extract_other_kernel "$abi"
		log "ready: VM kernel $kernel = $abi, headers $cache/kernels/$kernel/kdir"
		return
	fi
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
	if [ "$kernel" = 6.1 ]; then
		echo "KERNEL_DIR=$cache/kernel/$abi"
		echo "KDIR=/usr/src/linux-headers-$abi"
	else
		echo "KERNEL_DIR=$cache/kernels/$kernel"
		echo "KDIR=$cache/kernels/$kernel/kdir"
	fi
	echo "KSELFTEST_DIR=$cache/src/tools/testing/selftests"
	exit 0
fi
main "$@"
