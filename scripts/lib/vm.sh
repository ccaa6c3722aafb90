# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Sourced by the VM scripts (mkinitramfs.sh, vm-run.sh, vm-selftests.sh, and
# later demo/torture/bench): where things are, and small shared helpers.
#
#   vm_env                      set VM_ABI KERNEL_DIR KDIR KSELFTEST_DIR from
#                               .cache (scripts/deps.sh must have run); with
#                               KERNEL=NAME (rt, 6.12, 6.12-rt) from
#                               .cache/kernels/NAME (KERNEL=NAME scripts/deps.sh)
#   vm_suite NAME               NAME, or NAME-<kernel> for KERNEL=<kernel>
#   vm_log MSG...               "[tag] MSG" on stderr (tag: $vm_tag)
#   vm_die MSG...               vm_log, then exit 126
#   vm_sentinel_rc FILE         the N of the last "QSPIN-GUEST-EXIT rc=N" in
#                               FILE; nothing (status 1) when there is none
#   vm_elapsed T0               seconds since T0 (from $(vm_now)), "12.3s"
#   vm_emulator_fault LOG       whether the console LOG ends in the emulator's
#                               own fault (status 0, prints "int3 at SYM+OFF"),
#                               not the guest's: see the function
#   vm_int3_livelock LOG        whether the console LOG shows that fault as a
#                               hang rather than an oops: see the function
#   vm_int3_samples SAMPLES LOG whether a silent guest's vCPUs loop in int3
#                               handling (QEMU monitor samples against the
#                               handlers' ranges on the console)
#   vm_guest_idle SAMPLES LOG   whether a silent guest idles (QEMU monitor
#                               samples; nothing in its console): see there
#   vm_kernel_image             the image for QEMU's -kernel: by default the
#                               uncompressed ELF vmlinux pulled out of Debian's
#                               vmlinuz once (build/vm/vmlinux-<abi>), booted
#                               through its PVH entry: no BIOS real-mode setup,
#                               no XZ decompression under TCG (~3 s a boot).
#                               QSPIN_VM_PVH=0, or a failed extraction: vmlinuz.
#                               A KERNEL_DIR with a vmlinux of its own boots
#                               that one (another kernel: see vm-run.sh).
qspin_top=${qspin_top:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
vm_build=$qspin_top/build/vm
vm_tag=${vm_tag:-vm}

# The line /init prints after the guest script returns; vm-run.sh exits with N.
VM_SENTINEL=QSPIN-GUEST-EXIT
# The kernel's int3 handlers (an ERE): where the emulator's int3 loop keeps
# a vCPU (vm_int3_livelock, vm_int3_samples; /init prints their ranges).
VM_INT3_HANDLERS='asm_exc_int3|exc_int3|do_int3|poke_int3_handler|kprobe_int3_handler|ftrace_int3_handler'


vm_log() { printf '[%s] %s\n' "$vm_tag" "$*" >&2; }
vm_die() { vm_log "error: $*"; exit 126; }

vm_env() {
	local cache=$qspin_top/.cache
	case ${KERNEL:-6.1} in
	6.1|default) ;;
	rt|6.1-rt|6.12|6.12-rt)
		local k=${KERNEL/#6.1-rt/rt}
		[ -n "${VM_ABI:-}" ] || VM_ABI=$(cat "$cache/kernels/$k/abi" 2>/dev/null) ||
			vm_die "no $cache/kernels/$k/abi: run KERNEL=$k scripts/deps.sh (make deps KERNEL=$k) first"
		KERNEL_DIR=${KERNEL_DIR:-$cache/kernels/$k}
		KDIR=${KDIR:-$cache/kernels/$k/kdir}
		;;
	*) vm_die "unknown KERNEL='$KERNEL': one of 6.1 (default), rt, 6.12, 6.12-rt" ;;
	esac
	[ -n "${VM_ABI:-}" ] || VM_ABI=$(cat "$cache/vm-abi" 2>/dev/null) ||
		vm_die "no $cache/vm-abi: run scripts/deps.sh (make deps) first"
	KERNEL_DIR=${KERNEL_DIR:-$cache/kernel/$VM_ABI}
	KDIR=${KDIR:-/usr/src/linux-headers-$VM_ABI}
	KSELFTEST_DIR=${KSELFTEST_DIR:-$cache/src/tools/testing/selftests}
	[ -f "$KERNEL_DIR/vmlinuz" ] || vm_die "no VM kernel at $KERNEL_DIR/vmlinuz: run scripts/deps.sh"
	export VM_ABI KERNEL_DIR KDIR KSELFTEST_DIR
}

# vm_suite NAME: a results suite's (and its logs') name for the kernel of
# KERNEL=NAME: NAME on the default kernel, NAME-<kernel> on the others.
vm_suite() {
	case ${KERNEL:-6.1} in
	6.1|default) echo "$1" ;;
	*) echo "$1-${KERNEL/#6.1-rt/rt}" ;;
	esac
}

vm_now() { date +%s.%N; }
vm_elapsed() { awk -v a="$1" -v b="$(vm_now)" 'BEGIN { printf "%.1fs", b - a }'; }

vm_sentinel_rc() {
	local rc
	rc=$(tr -d '\r' < "$1" 2>/dev/null | grep -ao "$VM_SENTINEL rc=[0-9]\+" | tail -n1 | sed 's/.*rc=//')
	[ -n "$rc" ] || return 1
	echo "$rc"
}

# QEMU 7.2's multi-threaded TCG (Debian 12's) now and then keeps a stale
# translation of kernel text that another vCPU is patching with the kernel's
# int3 protocol (text_poke_bp(): static keys, static calls): the vCPU runs the
# int3 after the patch is complete, no patch claims it, and the kernel dies
# with "Oops: int3" at a jump-label or static-call site that memory no longer
# holds an int3 at. Seen about once in 25 boots of 6.12-rt, in boot code
# (sched_clock_cpu, before any module) as well as later. What counts: the
# first oops of the log is "Oops: int3", its RIP is in the kernel image (not
# a module: no "[name]" after it), and not in a function qspin.ko kprobes
# itself (should_failslab, should_fail_alloc_page, __schedule_bug), where an
# int3 could be qspin's own.
#
# The same fault can leave no oops: an int3 handler (a kprobe's, or the text
# poker's) finds no int3 at the address, because memory holds the patched
# instruction, and returns to it as the kernel's protocol says (the int3 was
# removed meanwhile); the stale translation traps again, for ever. The guest
# then hangs with its stall detectors talking: that counts too, when the
# console has no oops and its soft-lockup or RCU-stall reports show a vCPU
# in int3 handling (vm_int3_livelock).
vm_emulator_fault() {
	local oops rip
	if ! oops=$(grep -a -m1 -n 'Oops: ' "$1"); then
		vm_int3_livelock "$1"
		return
	fi
	case $oops in *'Oops: int3'*) ;; *) return 1 ;; esac
	rip=$(tail -n +"${oops%%:*}" "$1" | grep -a -m1 'RIP: ' | sed 's/.*RIP: [0-9a-f]*://')
	[ -n "$rip" ] || return 1
	case $rip in
	*'['*|should_failslab*|should_fail_alloc_page*|__schedule_bug*) return 1 ;;
	esac
	echo "int3 at ${rip%% *}"
}

# vm_int3_livelock LOG: the console LOG has at least two stall or lockup
# reports ("BUG: soft lockup", "rcu: INFO: ... stall": some vCPU stuck for
# 20 s and more), and their backtraces put a vCPU in int3 handling
# (asm_exc_int3, exc_int3, poke_int3_handler, kprobe_int3_handler: a RIP in
# kernel mode, "RIP: 0010:"). A working kernel never stays there: an int3 it
# cannot place is an oops. Prints "an int3 loop at SITE (...)", SITE the RIP
# those reports show most outside int3 handling; status 1 when the
# signature is not there.
vm_int3_livelock() {
	tr -d '\r' < "$1" 2>/dev/null | awk -v handlers="^($VM_INT3_HANDLERS)\$" '
	/soft lockup - CPU#|rcu: INFO: .*stall/ { reports++ }
	/soft lockup - CPU#|rcu: INFO: .*stall|NMI backtrace for cpu/ { inrep = 1 }
	inrep && /RIP: 0010:/ {
		rip = $0; sub(/.*RIP: 0010:/, "", rip); sub(/[ \/].*/, "", rip)
		f = rip; sub(/\+.*/, "", f)
		if (f ~ handlers)
			int3++
		else if (++site[rip] > best) { best = site[rip]; where = rip }
	}
	END {
		if (reports < 2 || int3 < 1) exit 1
		printf "an int3 loop at %s (%d stall/lockup reports, int3 handling in %d of their backtraces)\n", \
			(where != "" ? where : "an unknown site"), reports, int3
	}'
}

# vm_int3_samples SAMPLES LOG: the same int3 loop seen from the host, for a
# guest too stuck to print a stall report: a vCPU whose RIP is in one of
# the kernel's int3 handlers (the QSPIN-GUEST-SYM ranges /init printed on
# the console LOG) in at least half of its QEMU monitor SAMPLES (at least
# 4). Prints one line per such vCPU; status 1 when there is none.
vm_int3_samples() {
	tr -d '\r' < "$2" 2>/dev/null | grep -a '^QSPIN-GUEST-SYM ' |
		cat - "$1" 2>/dev/null | tr -d '\r' | awk '
	$1 == "QSPIN-GUEST-SYM" && length($3) == 16 && length($4) == 16 {
		n++; nm[n] = $2; lo[n] = $3; hi[n] = $4; next
	}
	/^CPU#[0-9]+/ { cpu = substr($1, 5) + 0; next }
	/^RIP=/ {
		rip = tolower(substr($1, 5)); total[cpu]++
		for (i = 1; i <= n; i++)
			if (rip >= lo[i] && rip < hi[i]) { in3[cpu]++; where[cpu] = nm[i]; break }
	}
	END {
		for (c in total)
			if (total[c] >= 4 && in3[c] * 2 >= total[c]) {
				printf "vCPU %d in int3 handling (%s) in %d of %d samples\n", c, where[c], in3[c], total[c]
				found = 1
			}
		exit !found
	}'
}

# vm_guest_idle SAMPLES LOG: QEMU monitor "info registers -a" SAMPLES of a
# guest that went silent, and its console LOG. Status 0 when the guest
# idles: its vCPUs halted in at least 9 of 10 of the samples (a spinning
# lock keeps a vCPU busy: HLT=0), and the console has no lockup, RCU-stall,
# hung-task or oops report. Such a guest waits on output that no longer
# moves: the guest script blocked in a write to a serial port, which under
# TCG now and then stops transmitting. Prints what the samples show.
vm_guest_idle() {
	local desc trouble
	desc=$(tr -d '\r' < "$1" 2>/dev/null | awk '
	/^CPU#[0-9]+/ { cpu = substr($1, 5) + 0; next }
	/^RIP=/ {
		total++
		if ($0 ~ /HLT=1/) { halted++; next }
		busy[cpu]++
		rip[cpu] = substr($1, 5)
	}
	END {
		if (!total) { print "no vCPU sample"; exit 1 }
		line = ""
		for (c in busy)
			line = line sprintf("; vCPU %d ran in %d (last RIP %s)", c, busy[c], rip[c])
		printf "every vCPU sample: %d of %d halted%s\n", halted, total, line
		exit !(total >= 4 && halted * 10 >= total * 9)
	}') || { echo "$desc"; return 1; }
	trouble=$(grep -a -m1 -E 'soft lockup - CPU#|rcu: INFO: .*stall|blocked for more than [0-9]+ seconds|Oops: |Kernel panic' "$2" 2>/dev/null)
	if [ -n "$trouble" ]; then
		echo "$desc, but the console reports: ${trouble#*] }"
		return 1
	fi
	echo "the vCPUs idled ($desc) and the kernel reported no lockup, stall or hung task"
}

vm_kernel_image() {
	local vmlinuz=$KERNEL_DIR/vmlinuz img=$vm_build/vmlinux-$VM_ABI off
	if [ "${QSPIN_VM_PVH:-1}" = 0 ]; then
		echo "$vmlinuz"
		return
	fi
	# A kernel built here (scripts/debug-kernel.sh) brings its ELF vmlinux.
	if [ -f "$KERNEL_DIR/vmlinux" ]; then
		echo "$KERNEL_DIR/vmlinux"
		return
	fi
	if [ ! -s "$img" ] || [ "$img" -ot "$vmlinuz" ]; then
		mkdir -p "$vm_build"
		# Debian's 6.1 builds with CONFIG_KERNEL_XZ, 6.12 with
		# CONFIG_KERNEL_ZSTD: the payload is the first such stream.
		local unpack=(xz -dc --single-stream)
		off=$(LC_ALL=C grep -abo $'\xfd7zXZ\x00' "$vmlinuz" | head -n1 | cut -d: -f1)
		if [ -z "$off" ]; then
			off=$(LC_ALL=C grep -abo $'\x28\xb5\x2f\xfd' "$vmlinuz" | head -n1 | cut -d: -f1)
			unpack=(zstd -dcq)
		fi
		# zstd has no --single-stream: it complains about the bytes after
		# the frame. The ELF and its PVH note below say whether it worked.
		if [ -n "$off" ] &&
			{ { tail -c +$((off + 1)) "$vmlinuz" || :; } |
			  "${unpack[@]}" 2>/dev/null || [ "${unpack[0]}" = zstd ]; } > "$img.$$" &&
			# The PVH entry point is the Xen ELF note XEN_ELFNOTE_PHYS32_ENTRY (18).
			readelf -n "$img.$$" 2>/dev/null | grep -c 'note type: (0x00000012)' >/dev/null; then
			mv "$img.$$" "$img"
		else
			rm -f "$img.$$"
			vm_log "no PVH vmlinux in $vmlinuz; booting the bzImage"
			echo "$vmlinuz"
			return
		fi
	fi
	echo "$img"
}
