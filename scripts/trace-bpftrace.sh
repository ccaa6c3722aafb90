#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make trace-bpftrace: README's bpftrace one-liner, run for real in the test
# VM on qspin's tracepoints (kmod/qspin/trace.h) during a 2 s qspin-torture
# run: a histogram of the wait time (contention_begin -> contention_end) per
# lock (keyed by its address: bpftrace's ksym() names functions, not data),
# then the torture's locks' addresses. Prints the guest's transcript.
#
#   scripts/trace-bpftrace.sh [--no-build]
#
# bpftrace brings LLVM and clang: with its shared libraries about 200 MB
# go into this boot's initramfs (mkinitramfs.sh --tool bpftrace), so the VM
# gets 2G and this is not part of make check; README shows its output.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
qspin_top=$top vm_tag=trace-bpftrace
# shellcheck source=scripts/lib/vm.sh
source scripts/lib/vm.sh

build=1
case ${1:-} in
--no-build) build=0 ;;
'') ;;
*) vm_log "unknown argument: $1"; exit 2 ;;
esac
command -v bpftrace >/dev/null || vm_die "no bpftrace: run scripts/deps.sh"
[ $build = 0 ] || make -s vm-modules >/dev/null
out=build/trace-bpftrace
mkdir -p "$out"
cat > "$out/guest.sh" <<'EOF'
modprobe qspin stats=0 validate=0 || exit 1
# The one-liner (README): nested waits on one CPU (a softirq that spins
# while the task it interrupted spins too) pair by depth, per CPU.
cat > /tmp/wait.bt <<'BT'
tracepoint:qspin:contention_begin
{
	@depth[cpu]++;
	@since[cpu, @depth[cpu]] = nsecs;
}
tracepoint:qspin:contention_end
/@depth[cpu]/
{
	@wait_ns[args->lock_addr] = hist(nsecs - @since[cpu, @depth[cpu]]);
	@depth[cpu]--;
}
END { clear(@depth); clear(@since); }
BT
echo '$ cat wait.bt'
cat /tmp/wait.bt
# bpftrace -c splits its command on spaces, no shell quoting: a script.
cat > /tmp/torture.sh <<'SH'
modprobe qspin-torture torture_type=qspin duration=2 stat_interval=0
until dmesg | grep -q 'End of test'; do sleep 1; done
SH
echo '$ cat torture.sh'
cat /tmp/torture.sh
echo '$ bpftrace wait.bt -c "sh torture.sh"'
t0=$(cut -d' ' -f1 /proc/uptime)
bpftrace /tmp/wait.bt -c "/bin/sh /tmp/torture.sh"
rc=$?
t1=$(cut -d' ' -f1 /proc/uptime)
echo "# bpftrace exit $rc, $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s in the VM"
# The keys are the locks' addresses, in decimal (ksym() names functions,
# not data): the torture's locks, from kallsyms while it is loaded.
base=$(awk '$3 == "torture_locks" { print $1; exit }' /proc/kallsyms)
i=0
for name in all bh task soft hard nmi; do
	a=$((0x$base + 64 * i))
	printf '# torture %s lock: 0x%x = %u\n' "$name" "$a" "$a"
	i=$((i + 1))
done
rmmod qspin_torture
exit $rc
EOF
vm_log "booting the VM with bpftrace (about 200 MB of initramfs)"
"$top/scripts/vm-run.sh" --guest-script "$out/guest.sh" --tool bpftrace --mem 2G \
	--timeout 600 --log "$top/$out/console.log" --out "$top/$out/guest.log" --quiet ||
	{ cat "$out/guest.log"; vm_die "the VM run failed: $out/console.log"; }
grep -v '^QSPIN-GUEST-EXIT' "$out/guest.log"
