#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Boots the test VM once (Debian's own kernel, a BusyBox initramfs with the
# repo's modules) and runs one guest script in it; exits with its status.
#
#   scripts/vm-run.sh --guest-script FILE [--smp N] [--mem SIZE]
#        [--append "KERNEL ARGS"]... [--timeout SECS] [--log FILE] [--out FILE]
#        [--extra-dir HOSTDIR:/GUEST/PATH]... [--module FILE.ko]...
#        [--no-repo-modules] [--debian-module NAME]... [--tool NAME]...
#        [--qemu-arg ARG]...
#        [--tcg-opts OPTS] [--silence SECS] [--follow] [--console] [--quiet]
#
#   --guest-script FILE  run as "sh /qspin/guest.sh" in /root (BusyBox ash, not
#                        bash), stdin /dev/null, as root, PATH set. Its exit
#                        status comes out as vm-run.sh's. Keep 124..126 free.
#                        BusyBox ash runs its own applets for bare names
#                        even when PATH has something else: "modprobe" is
#                        BusyBox's (no -n), "/sbin/modprobe" is kmod's; bare
#                        "timeout" is BusyBox's (143 on expiry), and
#                        /usr/bin/timeout the kselftest shim (124).
#                        Whatever it prints goes to --out (and the console).
#   --smp N              vCPUs (default $QSPIN_SMP, else 4)
#   --mem SIZE           guest memory (default $QSPIN_VM_MEM, else 1G)
#   --append ARGS        added to the kernel command line (also $QSPIN_VM_APPEND),
#                        e.g. "rcupdate.rcu_cpu_stall_timeout=3 softlockup_panic=1"
#   --timeout SECS       hard host-side limit on the whole boot (default
#                        $QSPIN_VM_TIMEOUT, else 300); QEMU is killed past it
#   --silence SECS       stop the VM when the guest script has printed
#                        nothing for SECS (default $QSPIN_VM_SILENCE, else
#                        0: no limit but --timeout); exit 124, "HUNG:"
#   --log FILE           serial console: kernel messages + guest output mixed
#                        (default build/logs/vm.console.log)
#   --out FILE           the guest script's stdout+stderr alone, no kernel
#                        messages, then the sentinel (default: LOG with
#                        .console.log replaced by .out.log, else LOG.out)
#   --extra-dir H:G      copy host directory H's contents to G in the guest
#   --module FILE.ko     add a module besides the repo's (built for the VM ABI)
#   --no-repo-modules    leave out the *.ko found under kmod/, selftests/{module,lockcheck}/, samples/
#   --debian-module NAME add one of Debian's own modules (+ dependencies)
#   --tool NAME          copy the host's NAME (trace-cmd, perf) and its
#                        shared libraries into the guest (mkinitramfs.sh)
#   --qemu-arg ARG       one more QEMU argument (repeat for each word)
#   --tcg-opts OPTS      TCG's -accel options (default $QSPIN_TCG_OPTS, else
#                        thread=multi); e.g. "thread=single" with
#                        --qemu-arg -icount --qemu-arg shift=0 for instruction
#                        counting (scripts/bench-kernel.sh)
#   --follow             stream the guest output to stderr as it comes
#   --console            stream the whole console to stderr as it comes
#   --quiet              no progress lines
#
# Environment: QSPIN_ACCEL=kvm uses KVM (default tcg: TCG, multi-threaded,
# QSPIN_TCG_OPTS as --tcg-opts);
# QSPIN_VM_CPU replaces the -cpu model (default max,-hypervisor);
# QSPIN_SMP, QSPIN_VM_MEM, QSPIN_VM_TIMEOUT, QSPIN_VM_APPEND as above.
# Another kernel: KERNEL_DIR=DIR VM_ABI=RELEASE boots DIR/vmlinux (else
# DIR/vmlinuz) with modules built for RELEASE (--no-repo-modules --module
# FILE.ko); scripts/debug-kernel.sh lays out such a DIR.
#
# The VM: Debian's kernel (.cache/kernel/<abi>/vmlinuz, booted as the ELF
# vmlinux inside it through PVH, QSPIN_VM_PVH=0 for the bzImage path),
# qemu-system-x86_64 -cpu max,-hypervisor (no hypervisor CPUID bit, so
# Linux keeps its native qspinlock rather than the paravirt test-and-set
# fallback), -smp 4, 1G, -device edu (QEMU's educational PCI device,
# 1234:11e8), serial console ttyS0 -> LOG, ttyS1 -> OUT, -no-reboot. Kernel
# command line: console=ttyS0,115200 panic=-1 printk.time=1 (check-console.sh
# relies on the timestamps) tsc=reliable plus --append; a panic ends QEMU at once.
# In the guest: modules in /lib/modules/$(uname -r)/extra, depmod'ed, so
# "modprobe NAME" works; debugfs at /sys/kernel/debug, tracefs at
# /sys/kernel/tracing. /init prints "QSPIN-GUEST-INIT uptime=SECS" before the
# guest script and "QSPIN-GUEST-EXIT rc=N" after it, then powers off.
#
# A hung guest is stopped early, and said so: at the emulator's int3 loop
# (vm_int3_livelock: a soft lockup or RCU stall in int3 handling, which is
# then retried like its oops), and, with --silence, when the guest script's
# output stops growing for that long ("HUNG:", exit 124).
#
# Exit status: the guest script's N; 124 host timeout or hang (QEMU killed);
# 125 the VM ended without the sentinel (kernel panic, QEMU died, ...);
# 126 setup error (no kernel, initramfs failed, bad arguments).
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
qspin_top=$top
vm_tag=vm
# shellcheck source=scripts/lib/vm.sh
. "$top/scripts/lib/vm.sh"

usage() { sed -n '5,12p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 126; }

guest='' smp=${QSPIN_SMP:-4} mem=${QSPIN_VM_MEM:-1G} append=${QSPIN_VM_APPEND:-}
timeout_s=${QSPIN_VM_TIMEOUT:-300} silence_s=${QSPIN_VM_SILENCE:-0} log='' out='' follow=0 console=0 quiet=0
accel=${QSPIN_ACCEL:-tcg} tcg_opts=${QSPIN_TCG_OPTS:-thread=multi}
mk_args=() qemu_extra=()
while [ $# -gt 0 ]; do
	case $1 in
	--guest-script) guest=$2; shift 2 ;;
	--smp) smp=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--append) append="$append $2"; shift 2 ;;
	--timeout) timeout_s=$2; shift 2 ;;
	--silence) silence_s=$2; shift 2 ;;
	--log) log=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--extra-dir|--module|--debian-module|--tool) mk_args+=("$1" "$2"); shift 2 ;;
	--no-repo-modules) mk_args+=("$1"); shift ;;
	--qemu-arg) qemu_extra+=("$2"); shift 2 ;;
	--tcg-opts) tcg_opts=$2; shift 2 ;;
	--follow) follow=1; shift ;;
	--console) console=1; shift ;;
	--quiet) quiet=1; shift ;;
	-h|--help) awk 'NR > 2 && !/^#/ { exit } NR > 2 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
	*) vm_log "unknown argument: $1"; usage ;;
	esac
done
[ -n "$guest" ] || { vm_log "--guest-script is required"; usage; }
[ -f "$guest" ] || vm_die "no guest script $guest"
say() { [ "$quiet" = 1 ] || vm_log "$@"; }
vm_env

log=${log:-$top/build/logs/vm.console.log}
if [ -z "$out" ]; then
	case $log in
	*.console.log) out=${log%.console.log}.out.log ;;
	*) out=$log.out ;;
	esac
fi
mkdir -p "$(dirname "$log")" "$(dirname "$out")" "$vm_build"
case $accel in
kvm)
	[ -w /dev/kvm ] || vm_die "QSPIN_ACCEL=kvm but /dev/kvm is not usable"
	accel_args=(-accel kvm) accel_name=KVM ;;
tcg) accel_args=(-accel "tcg,$tcg_opts") accel_name="TCG $tcg_opts" ;;
*) vm_die "QSPIN_ACCEL must be tcg or kvm, not '$accel'" ;;
esac

t0=$(vm_now)
initrd=$(mktemp "$vm_build/initramfs.XXXXXX.cpio")
# shellcheck disable=SC2317 # called from traps
cleanup() { rm -f "$initrd" "${state:-}"; [ -n "${mondir:-}" ] && rm -rf "$mondir"; }
trap cleanup EXIT
"$top/scripts/mkinitramfs.sh" -o "$initrd" --guest-script "$guest" "${mk_args[@]}" ||
	vm_die "building the initramfs failed"

kernel=$(vm_kernel_image)
# tsc=reliable: no clocksource watchdog. Under TCG on a loaded host it finds
# the TSC "unstable", and the static key flip that follows patches kernel
# text while other vCPUs run it: one more chance for the emulator's fault
# (vm_emulator_fault, retried below).
cmdline="console=ttyS0,115200 panic=-1 printk.time=1 log_buf_len=4M rdinit=/init tsc=reliable$append"
qemu=(qemu-system-x86_64 -nodefaults -no-user-config -machine pc
	"${accel_args[@]}" -cpu "${QSPIN_VM_CPU:-max,-hypervisor}" -smp "$smp" -m "$mem"
	-kernel "$kernel" -initrd "$initrd" -append "$cmdline"
	-display none -no-reboot
	-chardev "file,id=con0,path=$log" -serial chardev:con0
	-chardev "file,id=out0,path=$out" -serial chardev:out0
	-device edu "${qemu_extra[@]}")
# QEMU's monitor on two FIFOs (a "pipe" chardev: QEMU opens MON.in and
# MON.out read-write, so neither side blocks): a silent guest's vCPUs are
# sampled there ("info registers -a") before it is stopped.
mondir=$(mktemp -d "$vm_build/vm-monitor.XXXXXX")
if mkfifo "$mondir/mon.in" "$mondir/mon.out"; then
	qemu+=(-chardev "pipe,id=mon0,path=$mondir/mon" -mon chardev=mon0,mode=readline)
else
	mondir=
fi

# One boot: QEMU's status in qrc; why the watcher stopped it (nothing, or
# "int3-loop", "silent", "silent-idle") in stopped; the vCPU samples of a
# silent one in $log.vcpus.
state=$(mktemp "$vm_build/vm-state.XXXXXX")
boot_once() {
	: > "$log"
	: > "$out"
	: > "$state"
	rm -f "$log.vcpus"
	mpid=
	if [ -n "$mondir" ]; then
		cat "$mondir/mon.out" > "$mondir/raw" 2>/dev/null &
		mpid=$!
	fi
	say "booting VM ($accel_name, -smp $smp, $mem, timeout ${timeout_s}s); console: ${log#"$top"/}"
	timeout --kill-after=10 "$timeout_s" "${qemu[@]}" </dev/null &
	qpid=$!
	# Whoever stops this script (Ctrl-C, a closed pipe, a timeout above) stops QEMU.
	trap 'kill -TERM $qpid 2>/dev/null; wait $qpid; cleanup; exit 130' INT TERM HUP PIPE
	tpid=
	if [ "$console" = 1 ]; then
		tail -n +1 -s 0.2 -F --pid=$qpid "$log" 2>/dev/null | tr -d '\r' >&2 &
		tpid=$!
	elif [ "$follow" = 1 ]; then
		tail -n +1 -s 0.2 -F --pid=$qpid "$out" >&2 2>/dev/null &
		tpid=$!
	fi
	# A kernel that prints "reboot: Power down" and never leaves QEMU (6.12
	# under TCG, now and then): once the guest said its sentinel, QEMU gets
	# 15 s to exit by itself and is then stopped. A hung guest (above) is
	# stopped at once.
	(
		tick=0 size=0 quiet_since=$SECONDS
		while kill -0 $qpid 2>/dev/null; do
			if grep -aq "$VM_SENTINEL" "$out" 2>/dev/null; then
				for _ in $(seq 30); do kill -0 $qpid 2>/dev/null || exit 0; sleep 0.5; done
				kill -TERM $qpid 2>/dev/null
				exit 0
			fi
			tick=$((tick + 1))
			if [ $((tick % 5)) = 0 ] &&
			   grep -aqE 'soft lockup - CPU#|rcu: INFO: .*stall' "$log" 2>/dev/null &&
			   ! grep -aq 'Oops: ' "$log" && vm_int3_livelock "$log" > /dev/null; then
				echo int3-loop > "$state"
				kill -TERM $qpid 2>/dev/null
				exit 0
			fi
			now=$(stat -c %s "$out" 2>/dev/null || echo 0)
			if [ "$now" != "$size" ]; then
				size=$now quiet_since=$SECONDS
			elif [ "$silence_s" -gt 0 ] && [ $((SECONDS - quiet_since)) -ge "$silence_s" ]; then
				echo silent > "$state"
				if [ -n "$mondir" ]; then
					for _ in 1 2 3 4 5 6; do
						timeout 5 sh -c 'echo "info registers -a" > "$1"' sh "$mondir/mon.in"
						sleep 0.5
					done
					sleep 1
					cp "$mondir/raw" "$log.vcpus"
					if vm_int3_samples "$log.vcpus" "$log" > /dev/null; then
						echo silent-int3 > "$state"
					elif vm_guest_idle "$log.vcpus" "$log" > /dev/null; then
						echo silent-idle > "$state"
					fi
				fi
				kill -TERM $qpid 2>/dev/null
				exit 0
			fi
			sleep 1
		done
	) &
	wpid=$!
	wait $qpid
	qrc=$?
	kill $wpid 2>/dev/null
	wait $wpid 2>/dev/null
	[ -n "$tpid" ] && wait "$tpid" 2>/dev/null
	# 8250's console writes CRLF; keep the logs plain for grep and awk.
	sed -i 's/\r$//' "$log" "$out" 2>/dev/null
	stopped=$(cat "$state")
	if [ -n "$mpid" ]; then
		kill "$mpid" 2>/dev/null
		wait "$mpid" 2>/dev/null
	fi
}

# The emulator's own fault (vm_emulator_fault in scripts/lib/vm.sh: a stale
# TCG translation of patched kernel text) is not the guest's: the boot runs
# again, at most $QSPIN_VM_RETRIES times (default 2), and says so; the
# failed boot's logs stay beside the new ones as *.emulator-fault-N. So does
# an idle hang (vm_guest_idle): output stopped while nothing in the guest
# runs, spins or reports, kept as *.idle-hang-N.
retries=${QSPIN_VM_RETRIES:-2}
attempt=0
while :; do
	boot_once
	if rc=$(vm_sentinel_rc "$out") || rc=$(vm_sentinel_rc "$log"); then break; fi
	case $stopped in
	silent-idle) tag=idle-hang ;;
	silent-int3)
		tag=emulator-fault
		fault="an int3 loop, silent ($(vm_int3_samples "$log.vcpus" "$log" | tr '\n' ';' | sed 's/;$//'), QEMU's monitor)" ;;
	*) tag=emulator-fault
	   fault=$(vm_emulator_fault "$log") || break ;;
	esac
	[ "$attempt" -lt "$retries" ] || break
	attempt=$((attempt + 1))
	for f in "$log" "$out" "$log.vcpus"; do
		[ -e "$f" ] && cp "$f" "$f.$tag-$attempt"
	done
	if [ "$tag" = idle-hang ]; then
		vm_log "IDLE HANG: the guest's output stopped for ${silence_s}s while $(vm_guest_idle "$log.vcpus" "$log") (QEMU's monitor; samples kept as ${log#"$top"/}.vcpus.idle-hang-$attempt): the output is stuck on its way out, no lock spins; booting again ($attempt of $retries)"
		continue
	fi
	case $fault in
	'an int3 loop'*) how="hung in $fault" ;;
	*) how="died of $fault" ;;
	esac
	vm_log "EMULATOR FAULT: the guest kernel $how, an int3 left by kernel text patching in a stale QEMU TCG translation (not qspin code; console kept as ${log#"$top"/}.emulator-fault-$attempt); booting again ($attempt of $retries)"
done

boot=$(grep -ao 'QSPIN-GUEST-INIT uptime=[0-9.]*' "$log" | head -n1 | sed 's/.*=//')
if rc=$(vm_sentinel_rc "$out") || rc=$(vm_sentinel_rc "$log"); then
	say "guest exited rc=$rc (booted to /init in ${boot:-?}s guest time, $(vm_elapsed "$t0") wall)"
	exit "$rc"
fi
if [ -n "$stopped" ]; then
	if [ "$stopped" != int3-loop ]; then
		vm_log "HUNG: the guest printed nothing for ${silence_s}s (--silence); the VM was stopped (console: $log)"
		if [ "$stopped" = silent-int3 ]; then
			vm_log "its vCPUs (QEMU's monitor, $log.vcpus): $(vm_int3_samples "$log.vcpus" "$log" | tr '\n' ';'), the emulator's int3 loop, on the last of $((attempt + 1)) boot(s) (QSPIN_VM_RETRIES=$retries)"
		elif [ -s "$log.vcpus" ]; then
			vm_log "its vCPUs (QEMU's monitor, $log.vcpus): $(vm_guest_idle "$log.vcpus" "$log")"
		fi
	else
		vm_log "HUNG: $(vm_int3_livelock "$log"), the emulator's fault, on the last of $((attempt + 1)) boot(s) (QSPIN_VM_RETRIES=$retries); the VM was stopped (console: $log)"
	fi
	# What the kernel's own stall detectors said, if anything.
	grep -a -E 'soft lockup - CPU#|rcu: INFO: .*stall|RIP: 0010:|NMI backtrace for cpu' "$log" | tail -n 12 >&2
	exit 124
fi
if [ "$qrc" -eq 124 ] || [ "$qrc" -eq 137 ]; then
	vm_log "TIMEOUT: the VM ran past ${timeout_s}s and was killed (console: $log)"
	exit 124
fi
if grep -aq 'Kernel panic' "$log"; then
	vm_log "the guest kernel panicked (console: $log):"
	grep -a -A3 'Kernel panic' "$log" | head -n 8 >&2
	if fault=$(vm_emulator_fault "$log"); then
		vm_log "that was $fault: the emulator's fault (a stale QEMU TCG translation of patched kernel text), on the last of $((attempt + 1)) boot(s) (QSPIN_VM_RETRIES=$retries)"
	fi
else
	vm_log "the VM ended without $VM_SENTINEL (QEMU rc=$qrc; console: $log)"
	tail -n 15 "$log" >&2
fi
exit 125
