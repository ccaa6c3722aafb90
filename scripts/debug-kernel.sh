#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Builds (once) and caches the lockdep kernel: Debian's own linux-source (the
# VM kernel's version) with a small QEMU config, tinyconfig plus
# scripts/debug-kernel.config (PROVE_LOCKING, DEBUG_SPINLOCK,
# DEBUG_ATOMIC_SLEEP). Prints the cached kernel's directory on stdout.
#
#   scripts/debug-kernel.sh [lockdep|plain|rawnest] [-j N] [--print-dir]
#
#   lockdep      (default) the kernel described above
#   plain        its twin without lock debugging, for scripts/bench-lockdep.sh:
#                the same fragment minus PROVE_LOCKING, DEBUG_SPINLOCK and
#                DEBUG_ATOMIC_SLEEP (so no LOCKDEP, DEBUG_LOCK_ALLOC,
#                TRACE_IRQFLAGS, ... which they select), LOCALVERSION -qspin-plain
#   rawnest      the lockdep kernel plus PROVE_RAW_LOCK_NESTING (lockdep checks
#                wait types as on PREEMPT_RT: spinlock_t in hard interrupt
#                context is "BUG: Invalid wait context"), for the demo's
#                rt-sleeping-lock; LOCALVERSION -qspin-rawnest
#   -j N         make jobs (default $QSPIN_DEBUG_KERNEL_JOBS, else 2)
#   --print-dir  print where the kernel is (or would be) cached, build nothing;
#                exit 1 when it is not built yet
#
# Cache: $QSPIN_DEBUG_KERNEL_CACHE (default /var/cache/qspin/debug-kernel),
# outside the clone, one directory per key <source version>-<sha of the
# config fragment and gcc's version> (the plain twin: <source version>-plain-
# <sha of its derived fragment and gcc's version>). A build runs in <key>.tmp.<pid> and is
# renamed to <key> only when it is complete, so an interrupted build never
# counts as cached. The directory is laid out as scripts/lib/vm.sh's
# KERNEL_DIR is, so the test VM boots it:
#
#   vmlinux   the ELF image (PVH entry), booted by QEMU -kernel
#   vmlinuz   the bzImage
#   modules/  modules.order, modules.builtin, modules.builtin.modinfo
#   release   the kernel release (uname -r), the VM_ABI its modules go under
#   tree/     the built source tree: make -C <dir>/tree M=... builds modules
#   build-time  how long the build took
#
#   d=$(scripts/debug-kernel.sh)
#   KERNEL_DIR=$d VM_ABI=$(cat $d/release) scripts/vm-run.sh ...
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)

jobs=${QSPIN_DEBUG_KERNEL_JOBS:-2} print_dir=0 flavour=lockdep
while [ $# -gt 0 ]; do
	case $1 in
	lockdep|plain|rawnest|kasan|kcsan) flavour=$1; shift ;;
	-j) jobs=$2; shift 2 ;;
	-j*) jobs=${1#-j}; shift ;;
	--print-dir) print_dir=1; shift ;;
	-h|--help) sed -n '3,35p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	*) echo "debug-kernel: unknown argument $1" >&2; exit 2 ;;
	esac
done

log() { printf '[debug-kernel] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

tarball=/usr/src/linux-source-6.1.tar.xz
fragment=$top/scripts/debug-kernel.config
[ -f "$tarball" ] || die "no $tarball: install Debian's linux-source-6.1"
srcver=$(dpkg-query -W -f '${Version}' linux-source-6.1 2>/dev/null) ||
	die "linux-source-6.1 is not installed"
gccver=$(gcc --version | head -n1)
# The plain twin's fragment: the lockdep one with the lock debugging taken out
# and said to be off (so the check below proves it is off), its own release
# name. Everything they select (LOCKDEP, DEBUG_LOCK_ALLOC, TRACE_IRQFLAGS,
# DEBUG_MUTEXES, ...) goes with them through olddefconfig.
plain_fragment() {
	grep -vE '^CONFIG_(PROVE_LOCKING|DEBUG_SPINLOCK|DEBUG_ATOMIC_SLEEP|LOCKDEP|LOCALVERSION)=' "$fragment"
	echo '# The plain twin (scripts/debug-kernel.sh plain): no lock debugging.'
	for o in PROVE_LOCKING DEBUG_SPINLOCK DEBUG_ATOMIC_SLEEP; do
		echo "# CONFIG_$o is not set"
	done
	echo 'CONFIG_LOCALVERSION="-qspin-plain"'
}
# The raw-nesting twin: the lockdep fragment, PROVE_RAW_LOCK_NESTING on.
rawnest_fragment() {
	grep -vE '^CONFIG_LOCALVERSION=' "$fragment"
	echo '# The raw-nesting twin (scripts/debug-kernel.sh rawnest).'
	echo 'CONFIG_PROVE_RAW_LOCK_NESTING=y'
	echo 'CONFIG_LOCALVERSION="-qspin-rawnest"'
}
# The sanitizer flavours: the lockdep fragment, what the kselftests need
# (scripts/debug-kernel-sanitizers.config), then their own
# (scripts/debug-kernel-kasan.config, scripts/debug-kernel-kcsan.config).
sanitizer_fragment() {
	grep -vE '^CONFIG_LOCALVERSION=' "$fragment"
	cat "$top/scripts/debug-kernel-sanitizers.config" "$top/scripts/debug-kernel-$1.config"
}
if [ "$flavour" = kasan ] || [ "$flavour" = kcsan ]; then
	frag_text=$(sanitizer_fragment "$flavour")
	key=$srcver-$flavour-$( { echo "$frag_text"; echo "$gccver"; } | sha1sum | cut -c1-12)
elif [ "$flavour" = plain ]; then
	frag_text=$(plain_fragment)
	key=$srcver-plain-$( { echo "$frag_text"; echo "$gccver"; } | sha1sum | cut -c1-12)
elif [ "$flavour" = rawnest ]; then
	frag_text=$(rawnest_fragment)
	key=$srcver-rawnest-$( { echo "$frag_text"; echo "$gccver"; } | sha1sum | cut -c1-12)
else
	frag_text=$(cat "$fragment")
	key=$srcver-$( { cat "$fragment"; echo "$gccver"; } | sha1sum | cut -c1-12)
fi
cache=${QSPIN_DEBUG_KERNEL_CACHE:-/var/cache/qspin/debug-kernel}
dir=$cache/$key

if [ "$print_dir" = 1 ]; then
	echo "$dir"
	[ -f "$dir/release" ]
	exit
fi
if [ -f "$dir/release" ]; then
	log "cached: $dir ($(cat "$dir/release"), built in $(cat "$dir/build-time" 2>/dev/null || echo '?'))"
	echo "$dir"
	exit 0
fi

# A kernel build needs more than an external module build: Kconfig's parser
# (flex, bison) and objtool (libelf). scripts/deps.sh installs them, with
# everything else; it does nothing when all is there.
"$top/scripts/deps.sh" >&2 || die "scripts/deps.sh failed"

mkdir -p "$cache"
tmp=$cache/$key.tmp.$$
trap 'rm -rf "$tmp"' EXIT
rm -rf "$tmp"
mkdir -p "$tmp"
t0=$(date +%s)
log "building the $flavour kernel from $tarball ($srcver, gcc: $gccver) in $tmp, -j$jobs"
tar -xJf "$tarball" -C "$tmp"
mv "$tmp/linux-source-6.1" "$tmp/tree"
src=$tmp/tree
mk() { make -s -C "$src" -j"$jobs" "$@"; }
mk tinyconfig >/dev/null
echo "$frag_text" > "$tmp/fragment.config"
"$src/scripts/kconfig/merge_config.sh" -m -O "$src" "$src/.config" "$tmp/fragment.config" >/dev/null
mk olddefconfig >/dev/null
# Every option the fragment asks for must have survived Kconfig's dependencies.
missing=0
while IFS= read -r line; do
	case $line in
	CONFIG_*=*) grep -qxF "$line" "$src/.config" || { log "not set as asked: $line"; missing=1; } ;;
	'# CONFIG_'*' is not set') grep -qxF "$line" "$src/.config" || { log "not unset as asked: $line"; missing=1; } ;;
	esac
done < "$tmp/fragment.config"
[ "$missing" = 0 ] || die "the config fragment does not apply (see above)"
# LOCKDEP has no prompt (it is only selected), so the loop above cannot ask
# for it to be off: check that nothing else selected it into the twin.
if [ "$flavour" = plain ] && grep -qE '^CONFIG_(LOCKDEP|DEBUG_LOCK_ALLOC|TRACE_IRQFLAGS)=y' "$src/.config"; then
	die "the plain kernel still has lock debugging: $(grep -E '^CONFIG_(LOCKDEP|DEBUG_LOCK_ALLOC|TRACE_IRQFLAGS)=y' "$src/.config" | tr '\n' ' ')"
fi
log "config done; compiling (about 6 CPU-minutes on a quiet machine)"
mk >"$tmp/build.log" 2>&1 || { tail -n 30 "$tmp/build.log" >&2; die "kernel build failed"; }
release=$(make -s -C "$src" kernelrelease)
cp "$src/vmlinux" "$tmp/vmlinux"
cp "$src/arch/x86/boot/bzImage" "$tmp/vmlinuz"
mkdir -p "$tmp/modules"
for f in modules.order modules.builtin modules.builtin.modinfo; do
	if [ -f "$src/$f" ]; then cp "$src/$f" "$tmp/modules/"; else : > "$tmp/modules/$f"; fi
done
cp "$src/.config" "$tmp/config"
secs=$(($(date +%s) - t0))
echo "${secs}s" > "$tmp/build-time"
echo "$release" > "$tmp/release"
if [ -e "$dir" ]; then
	log "another build published $dir first; keeping it"
else
	mv "$tmp" "$dir"
fi
log "built $release in ${secs}s: $dir"
echo "$dir"
