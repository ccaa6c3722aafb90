#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# qspin under the kernel's own sanitizers (make check-sanitizers): the KASAN
# kernel (with kmemleak, lockdep, DEBUG_ATOMIC_SLEEP, DEBUG_SPINLOCK) and the
# KCSAN kernel (with lockdep), each built once by scripts/debug-kernel.sh
# kasan|kcsan. Results: suite "check-sanitizers", last line "N passed, N
# failed" as make check's. Not part of make check.
#
#   scripts/check-sanitizers.sh [--flavour kasan|kcsan]... [--no-selftests]
#
# For each flavour:
#  1. the kernel (cached, else built: nice -n 19, see README for the times)
#  2. every module built against it (make -C <kernel>/tree M=...) in a copy
#     of the sources (build/sanitize/FLAVOUR/repo: Kbuild builds external
#     modules in place, and the worktree's own objects stay those of make
#     vm-modules), plus test_qspin_sanitize.ko (selftests/sanitize/, the
#     planted bugs); the build is clean (no warning, objtool's included), and
#     the C++ objects (kmod/qspin/core_env.o, selftests/sanitize/planted.o)
#     got every sanitizer option the C objects got (kmod/qspin/lock_api.o's
#     -fsanitize=..., --param asan-*/tsan-*, ...) and call the sanitizer's
#     runtime (__asan_*, __tsan_* in nm)
#  3. the planted bug, in a boot of its own, is reported in its C++ function:
#     KASAN "BUG: KASAN: use-after-free in qspin_sanitize_cxx_use_after_free",
#     KCSAN "BUG: KCSAN: data-race in qspin_sanitize_cxx_race_step" (KCSAN
#     samples: the race runs 2 s at a time until it is reported, at most
#     QSPIN_SANITIZE_RACE_LIMIT seconds, default 240)
#  4. the kselftests (scripts/vm-selftests.sh on this kernel: the demos in
#     safe mode, both torture types, the validator, watchdog, mistakes, ...):
#     each must pass, and the console must hold no report that involves
#     qspin other than those the tests expect (scripts/check-console.sh, on
#     the console minus the KASAN/KCSAN reports that name nothing of
#     qspin's: scripts/sanitizer-reports.sh filter; those are listed in
#     build/logs/sanitize/FLAVOUR/not-qspin.txt); lockdep still on at the end;
#     kselftest's timeout 900 s a test (QSPIN_SANITIZE_KSFT_TIMEOUT);
#     qspin_toggle.sh in a boot of its own under single-threaded TCG, as in
#     make check (results FLAVOUR:toggle:...)
#  5. (kasan) every module unloaded, then kmemleak scans: no unreferenced
#     object that involves qspin (scripts/sanitizer-reports.sh kmemleak)
#
# Logs: build/logs/sanitize/FLAVOUR/ (build, planted boot, the kselftests'
# console and TAP, kmemleak's dump).
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
qspin_top=$top
vm_tag=check-sanitizers
# shellcheck source=scripts/lib/vm.sh
. "$top/scripts/lib/vm.sh"
# shellcheck source=scripts/lib/results.sh
. "$top/scripts/lib/results.sh"

flavours=() selftests=1
while [ $# -gt 0 ]; do
	case $1 in
	--flavour) flavours+=("$2"); shift 2 ;;
	--no-selftests) selftests=0; shift ;;
	-h|--help) awk 'NR > 2 && !/^#/ { exit } NR > 2 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
	*) vm_log "unknown argument: $1"; exit 2 ;;
	esac
done
[ ${#flavours[@]} -gt 0 ] || flavours=(kasan kcsan)
race_limit=${QSPIN_SANITIZE_RACE_LIMIT:-240}
# The demos' tests took over the kselftests' 300 s under KASAN and TCG.
ksft_timeout=${QSPIN_SANITIZE_KSFT_TIMEOUT:-900}
# The KASAN kernel dies at its PVH entry, before the console (QEMU resets,
# nothing printed): the sanitizer kernels boot their bzImage, as Debian's
# did before scripts/lib/vm.sh's PVH shortcut (a few seconds more a boot).
export QSPIN_VM_PVH=0

t_start=$(vm_now)
# One flavour alone (--flavour X) records suite check-sanitizers-X, so the
# two can run side by side.
suite=check-sanitizers
[ ${#flavours[@]} -eq 1 ] && suite=check-sanitizers-${flavours[0]}
results_init "$suite"

# The sanitizer options of one object's compiler command line (its Kbuild
# .cmd file), one a line: -fsanitize=..., --param asan-*/tsan-*, the shadow
# offset, and -fno-optimize-sibling-calls, which KCSAN adds.
sanitizer_flags() {
	local dir file
	dir=$(dirname "$1") file=$(basename "$1")
	grep -m1 -E '^(saved)?cmd_' "$dir/.$file.cmd" |
		grep -oE -- '-fsanitize=[a-z,-]+|-fasan-shadow-offset=[0-9a-fx]+|--param[ =](asan|tsan)-[a-z-]+=[0-9]+|-fno-optimize-sibling-calls' |
		sed 's/^--param=/--param /' | sort -u
}

# check_cxx_flags FLAVOUR REPO: the C++ objects got the C objects' options.
check_cxx_flags() {
	local fl=$1 repo=$2 ref want obj missing rt
	ref=$(sanitizer_flags "$repo/kmod/qspin/lock_api.o")
	case $fl in
	kasan) want='-fsanitize=kernel-address' rt='__asan_' ;;
	kcsan) want='-fsanitize=thread' rt='__tsan_' ;;
	esac
	if ! grep -qxF -- "$want" <<< "$ref"; then
		result FAIL "$fl:c-flags" "kmod/qspin/lock_api.o was not compiled with $want: is this the $fl kernel?"
		return
	fi
	result PASS "$fl:c-flags" "$(tr '\n' ' ' <<< "$ref")"
	for obj in kmod/qspin/core_env.o selftests/sanitize/planted.o; do
		missing=$(comm -23 <(echo "$ref") <(sanitizer_flags "$repo/$obj"))
		if [ -n "$missing" ]; then
			result FAIL "$fl:cxx-flags:$obj" "missing what the C objects have: $(tr '\n' ' ' <<< "$missing")"
		elif ! nm -u "$repo/$obj" | grep -q " $rt"; then
			result FAIL "$fl:cxx-flags:$obj" "no call to the runtime ($rt*) in the object"
		else
			result PASS "$fl:cxx-flags:$obj" "$(nm -u "$repo/$obj" | grep -c " $rt") distinct $rt* calls"
		fi
	done
}

# The planted bug's boot: GUEST runs it; the console must hold its report.
planted_boot() {
	local fl=$1 kdir=$2 release=$3 ko=$4 logs=$5 guest=$logs/planted.guest.sh
	local re title rc=0 checked=$logs/planted.console.checked.log append=''
	case $fl in
	kasan)
		append=kasan_multi_shot
		re='BUG: KASAN: use-after-free in qspin_sanitize_cxx_use_after_free\+'
		title=planted-use-after-free
		cat > "$guest" <<-'GUEST'
		insmod /lib/modules/$(uname -r)/extra/test_qspin_sanitize.ko || exit 1
		echo 1 > /sys/kernel/debug/test_qspin_sanitize/use_after_free
		dmesg | grep -q 'BUG: KASAN: use-after-free' && echo "planted: reported"
		GUEST
		;;
	kcsan)
		re='BUG: KCSAN: data-race in qspin_sanitize_cxx_race_step( \[test_qspin_sanitize\])? / qspin_sanitize_cxx_race_step'
		title=planted-data-race
		cat > "$guest" <<-GUEST
		insmod /lib/modules/\$(uname -r)/extra/test_qspin_sanitize.ko || exit 1
		t=0
		while [ \$t -lt $race_limit ]; do
			echo 2000 > /sys/kernel/debug/test_qspin_sanitize/race || exit 1
			t=\$((t + 2))
			if dmesg | grep -q 'BUG: KCSAN: data-race in qspin_sanitize_cxx_race_step'; then
				echo "planted: reported after \${t}s of racing"
				break
			fi
		done
		dmesg | grep 'test_qspin_sanitize: race:' | tail -n 3
		GUEST
		;;
	esac
	KERNEL_DIR=$kdir VM_ABI=$release "$top/scripts/vm-run.sh" --quiet \
		--guest-script "$guest" --no-repo-modules --module "$ko" \
		--smp 2 --timeout $((race_limit + 300)) ${append:+--append "$append"} \
		--log "$logs/planted.console.log" --out "$logs/planted.out.log" || rc=$?
	if [ "$rc" != 0 ]; then
		result FAIL "$fl:$title" "the boot exited $rc: $logs/planted.console.log"
		return
	fi
	"$top/scripts/sanitizer-reports.sh" filter --dropped "$logs/planted.not-qspin.txt" \
		< "$logs/planted.console.log" > "$checked"
	# The report, naming the C++ function, and the only one of its kind.
	local head
	head=$(grep -aE "$re" "$logs/planted.console.log" | head -n1 | sed 's/^\[[ 0-9.]*\] //')
	if [ -z "$head" ]; then
		result FAIL "$fl:$title" "no '$re' in $logs/planted.console.log"
	# KCSAN reports the planted race more than once, and in both its
	# forms: two accesses named ("A / B"), or one, the other seen only as
	# a changed value ("data-race in qspin_sanitize_cxx_race_step+0xf/0x24").
	elif ! "$top/scripts/check-console.sh" "$checked" --expect "$re" \
		--allow 'BUG: KASAN: use-after-free in qspin_sanitize_cxx_use_after_free' \
		--allow 'BUG: KCSAN: data-race in qspin_sanitize_cxx_race_step'; then
		result FAIL "$fl:$title" "another report besides the planted one: $checked"
	else
		result PASS "$fl:$title" "$head; $(grep -ao 'planted: reported.*' "$logs/planted.out.log" | head -n1)"
	fi
}

# import_results FILE PREFIX LOG: a vm-selftests.sh results FILE as this
# suite's results, each named PREFIX:NAME; one failure (see LOG) when it
# recorded nothing, status 1.
import_results() {
	local verdict name rest
	if [ ! -s "$1" ]; then
		result FAIL "$2" "scripts/vm-selftests.sh recorded nothing: $3"
		return 1
	fi
	while read -r verdict name rest; do
		case $verdict in PASS|FAIL|SKIP) ;; *) continue ;; esac
		result "$verdict" "$2:$name" "${rest#\# }"
	done < "$1"
}

# The guest lines after the kselftests: lockdep's state; on the KASAN
# kernel every module unloaded and kmemleak's scan.
then_script() {
	cat <<-'EOF'
	echo "sanitizers: debug_locks $(sed -n 's/^ *debug_locks: *//p' /proc/lockdep_stats)"
	# KCSAN's own counters: that it sampled (setup_watchpoints) as it ran.
	[ -e /sys/kernel/debug/kcsan ] && sed 's/^/sanitizers: kcsan /' /sys/kernel/debug/kcsan | head -n 12
	if [ -e /sys/kernel/debug/kmemleak ]; then
		for pass in 1 2 3 4; do
			for m in $(lsmod | awk 'NR > 1 { print $1 }'); do
				rmmod "$m" 2>/dev/null
			done
		done
		echo "sanitizers: modules left: $(lsmod | awk 'NR > 1 { printf "%s ", $1 }')"
		echo scan > /sys/kernel/debug/kmemleak
		sleep 6
		echo scan > /sys/kernel/debug/kmemleak
		echo KMEMLEAK-BEGIN
		cat /sys/kernel/debug/kmemleak
		echo KMEMLEAK-END
	fi
	EOF
}

for fl in "${flavours[@]}"; do
	case $fl in kasan|kcsan) ;; *) vm_log "unknown flavour $fl (kasan, kcsan)"; exit 2 ;; esac
	logs=$top/build/logs/sanitize/$fl
	rm -rf "$logs"
	mkdir -p "$logs"

	# ------------------------------------------------------------ kernel
	t0=$(vm_now)
	if ! kdir=$(nice -n 19 "$top/scripts/debug-kernel.sh" "$fl"); then
		result FAIL "$fl:kernel" "scripts/debug-kernel.sh $fl failed"
		continue
	fi
	release=$(cat "$kdir/release")
	result PASS "$fl:kernel" "$release, built in $(cat "$kdir/build-time"), ready in $(vm_elapsed "$t0")"

	# ------------------------------------------------------------ modules
	t0=$(vm_now)
	repo=$top/build/sanitize/$fl/repo
	mkdir -p "$repo"
	# The sources as they are in the worktree (committed or not); rsync
	# keeps their times, so an unchanged file is not rebuilt.
	(cd "$top" && git ls-files -z --cached --others --exclude-standard) |
		rsync -a --from0 --files-from=- "$top/" "$repo/"
	ln -sfn "$top/.cache" "$repo/.cache"
	built=1
	# FRAME_WARN: the VM kernel's (Debian's 2048), not tinyconfig's 1024.
	kmake=(nice -n 19 make -s -C "$kdir/tree" KCFLAGS=-Wframe-larger-than=2048)
	if ! "${kmake[@]}" M="$repo" modules > "$logs/build.log" 2>&1 ||
	   ! "${kmake[@]}" M="$repo/selftests/sanitize" modules >> "$logs/build.log" 2>&1; then
		tail -n 20 "$logs/build.log" >&2
		result FAIL "$fl:build" "the modules did not build: $logs/build.log"
		continue
	fi
	# Kbuild -s prints nothing but warnings (objtool's among them).
	if grep -v '^Skipping BTF generation' "$logs/build.log" | grep -q .; then
		result FAIL "$fl:build" "warnings: $(grep -v '^Skipping BTF' "$logs/build.log" | head -n 3 | tr '\n' ' ') ($logs/build.log)"
		built=0
	else
		result PASS "$fl:build" "$(find "$repo" -name '*.ko' | wc -l) modules, no warning (objtool's included), $(vm_elapsed "$t0")"
	fi
	[ "$built" = 1 ] || vm_log "$fl: going on with the modules despite the warnings"
	check_cxx_flags "$fl" "$repo"

	# ------------------------------------------------------------ planted bug
	t0=$(vm_now)
	planted_boot "$fl" "$kdir" "$release" "$repo/selftests/sanitize/test_qspin_sanitize.ko" "$logs"
	vm_log "$fl: planted bug, $(vm_elapsed "$t0")"

	[ "$selftests" = 1 ] || continue
	# ------------------------------------------------------------ kselftests
	t0=$(vm_now)
	then_script > "$logs/then.sh"
	# The tiny kernel is PREEMPT_NONE, and under KASAN and TCG its ACPI
	# interpreter ran _PRT (qspin-demo's probe of the edu device enabling
	# it) for 24 s without scheduling: the soft-lockup detector fired at
	# its default 20 s. The detectors stay on, at their longest.
	append='watchdog_thresh=60 rcupdate.rcu_cpu_stall_timeout=60'
	[ "$fl" = kasan ] && append="$append kasan_multi_shot"
	(cd "$repo" && rm -f build/results/vm-selftests.txt &&
	 KERNEL_DIR=$kdir VM_ABI=$release scripts/vm-selftests.sh --then "$logs/then.sh" \
		-x qspin:qspin_toggle.sh --ksft-timeout "$ksft_timeout" \
		--console-filter "$repo/scripts/sanitizer-reports.sh filter --dropped $logs/not-qspin.txt" \
		${append:+--append "$append"}) > "$logs/vm-selftests.log" 2>&1
	for f in console.log out.log console.checked.log build.log; do
		cp "$repo/build/logs/vm-selftests.$f" "$logs/selftests.$f" 2>/dev/null
	done
	import_results "$repo/build/results/vm-selftests.txt" "$fl:selftests" \
		"$logs/vm-selftests.log" || continue
	# qspin_toggle.sh patches kernel text over and over: its own boot,
	# under single-threaded TCG, as in make check (README, "The
	# emulator's own fault").
	(cd "$repo" && rm -f build/results/vm-toggle.txt &&
	 KERNEL_DIR=$kdir VM_ABI=$release scripts/vm-selftests.sh --suite vm-toggle \
		--tcg-opts thread=single -t qspin:qspin_toggle.sh --ksft-timeout "$ksft_timeout" \
		--console-filter "$repo/scripts/sanitizer-reports.sh filter --dropped $logs/not-qspin-toggle.txt" \
		${append:+--append "$append"}) > "$logs/vm-toggle.log" 2>&1
	for f in console.log out.log console.checked.log; do
		cp "$repo/build/logs/vm-toggle.$f" "$logs/toggle.$f" 2>/dev/null
	done
	import_results "$repo/build/results/vm-toggle.txt" "$fl:toggle" "$logs/vm-toggle.log"
	vm_log "$fl: kselftests, $(vm_elapsed "$t0"); KASAN/KCSAN reports not involving qspin: $(cat "$logs/not-qspin.txt" 2>/dev/null | wc -l) ($logs/not-qspin.txt)"

	# lockdep: still on after everything (a report would have turned it off)
	dl=$(sed -n 's/^sanitizers: debug_locks //p' "$logs/selftests.out.log" | tr -d '\r' | tail -n1)
	if [ "$dl" = 1 ]; then
		result PASS "$fl:lockdep-on" "debug_locks 1 after the kselftests"
	else
		result FAIL "$fl:lockdep-on" "debug_locks '${dl:-?}' after the kselftests: lockdep turned itself off ($logs/selftests.console.log)"
	fi
	if [ "$fl" = kasan ]; then
		sed -n '/^KMEMLEAK-BEGIN/,/^KMEMLEAK-END/p' "$logs/selftests.out.log" > "$logs/kmemleak.txt"
		"$top/scripts/sanitizer-reports.sh" kmemleak "$logs/kmemleak.txt" > "$logs/kmemleak.qspin.txt"
		case $? in
		0) result PASS "$fl:kmemleak" "$(tail -n1 "$logs/kmemleak.qspin.txt")" ;;
		1) result FAIL "$fl:kmemleak" "$(tail -n1 "$logs/kmemleak.qspin.txt"): $logs/kmemleak.qspin.txt" ;;
		*) result FAIL "$fl:kmemleak" "no kmemleak dump after the kselftests ($logs/selftests.out.log)" ;;
		esac
	fi
done

pass=$(grep -c '^PASS' "$results_file") fail=$(grep -c '^FAIL' "$results_file")
skip=$(grep -c '^SKIP' "$results_file")
vm_log "done in $(vm_elapsed "$t_start")"
line="$pass passed, $fail failed"
[ "$skip" -gt 0 ] && line="$line, $skip skipped"
echo "$line"
[ "$fail" -eq 0 ]
