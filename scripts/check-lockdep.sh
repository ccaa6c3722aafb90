#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The validator against lockdep (make check-lockdep): the scenario matrix
# (selftests/lockcheck/) on the kernel's spinlock_t under lockdep, and on
# qspinlock_t under qspin's validator; their verdicts must agree case by case
# (or differ where the matrix says why). Results: suite "check-lockdep".
#
#   scripts/check-lockdep.sh [--cases NAME,...] [--no-qspin]
#
#  1. the lockdep kernel (scripts/debug-kernel.sh: cached, else built, ~5 min)
#  2. spin_lockcheck.ko built against it from a copy of selftests/lockcheck
#     (build/lockcheck-spin)
#  3. lockdep turns itself off after its first report, so: one boot for the
#     case list and every case that expects no report (each counted only
#     while /proc/lockdep_stats says debug_locks is still 1), then one boot
#     per case that expects a report (a boot takes ~2 s under TCG)
#  4. the qspin flavour: qspin_lockcheck.ko (built as make vm-modules does) on the stock VM
#     kernel, all cases in one boot; skipped, with a message, while the
#     validator is not in the tree
#  5. the agreement table (build/results/check-lockdep.table) and one result
#     per case: lockdep:CASE (lockdep's verdict is the one the matrix
#     expects of it), agree:CASE (qspin's verdict against lockdep's)
#
# Logs: build/logs/check-lockdep/ (one console log per boot).
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
qspin_top=$top
vm_tag=check-lockdep
# shellcheck source=scripts/lib/vm.sh
. "$top/scripts/lib/vm.sh"
# shellcheck source=scripts/lib/results.sh
. "$top/scripts/lib/results.sh"

only='' want_qspin=1
while [ $# -gt 0 ]; do
	case $1 in
	--cases) only=$2; shift 2 ;;
	--no-qspin) want_qspin=0; shift ;;
	-h|--help) awk 'NR > 2 && !/^#/ { exit } NR > 2 { sub(/^# ?/, ""); print }' "$0"; exit 0 ;;
	*) vm_log "unknown argument: $1"; exit 2 ;;
	esac
done

t_start=$(vm_now)
results_init check-lockdep
logs=$top/build/logs/check-lockdep
rm -rf "$logs"
mkdir -p "$logs"

# ---------------------------------------------------------------- kernel
t0=$(vm_now)
kdir=$("$top/scripts/debug-kernel.sh") || { result FAIL debug-kernel "scripts/debug-kernel.sh failed"; exit 1; }
release=$(cat "$kdir/release")
vm_log "lockdep kernel $release ($kdir) ready in $(vm_elapsed "$t0")"

# ---------------------------------------------------------------- module
spin_src=$top/build/lockcheck-spin
rm -rf "$spin_src"
mkdir -p "$spin_src"
cp "$top"/selftests/lockcheck/{Kbuild,*.c,*.h} "$spin_src/"
if ! make -s -C "$kdir/tree" M="$spin_src" LOCKCHECK_LOCK=spinlock modules \
		> "$logs/build.log" 2>&1; then
	tail -n 20 "$logs/build.log" >&2
	result FAIL build "spin_lockcheck.ko did not build: $logs/build.log"
	exit 1
fi
spin_ko=$spin_src/spin_lockcheck.ko

# One boot of the lockdep kernel running spin_lockcheck.ko with ARGS; the
# module's "lockcheck: " lines and lockdep's state end up in LOGNAME.out.log.
boot_lockdep() {
	local logname=$1 guest=$logs/$1.guest.sh
	shift
	cat > "$guest" <<-GUEST
	ko=/lib/modules/\$(uname -r)/extra/spin_lockcheck.ko
	for args in $(printf "'%s' " "$@"); do
		insmod \$ko \$args || echo "lockcheck: insmod \$args failed"
		rmmod spin_lockcheck
	done
	sed -n 's/^ *debug_locks: *\([0-9]*\)/lockcheck: debug_locks \1/p' /proc/lockdep_stats
	dmesg | grep 'lockcheck: ' | sed 's/^\[[ 0-9.]*\] //'
	GUEST
	KERNEL_DIR=$kdir VM_ABI=$release "$top/scripts/vm-run.sh" --quiet \
		--guest-script "$guest" --no-repo-modules --module "$spin_ko" \
		--smp 2 --timeout 120 --log "$logs/$logname.console.log" \
		--out "$logs/$logname.out.log"
}

# The verdict a module's table line gives CASE in an .out.log: "got result".
table_got() {
	awk -v c="$2" '$1 == "lockcheck:" && $2 == c && NF == 5 { print $4, $5 }' "$1" | tail -n1
}

declare -A q_exp=() l_exp=() why=() l_got=() q_got=() l_res=()
names=()

t0=$(vm_now)
boot_lockdep quiet list=1 cases=quiet || vm_log "the list boot exited $?"
while IFS= read -r line; do
	[[ $line =~ ^lockcheck:\ list\ ([^ ]+)\ qspin=([^ ]+)\ lockdep=([^ ]+)\ family=\"[^\"]*\"(\ why=(.*))?$ ]] || continue
	n=${BASH_REMATCH[1]}
	names+=("$n")
	q_exp[$n]=${BASH_REMATCH[2]} l_exp[$n]=${BASH_REMATCH[3]} why[$n]=${BASH_REMATCH[5]}
done < "$logs/quiet.out.log"
if [ ${#names[@]} -eq 0 ]; then
	result FAIL list "no case list from the lockdep kernel: $logs/quiet.console.log"
	exit 1
fi
if [ -n "$only" ]; then
	IFS=, read -r -a names <<< "$only"
fi
debug_locks=$(sed -n 's/^lockcheck: debug_locks //p' "$logs/quiet.out.log")
for n in "${names[@]}"; do
	[ "${l_exp[$n]:-}" = none ] || continue
	read -r got res <<< "$(table_got "$logs/quiet.out.log" "$n")"
	# A "none" counts only while lockdep is still on at the end.
	if [ "$res" = PASS ] && [ "$debug_locks" != 1 ]; then
		got="lockdep-off" res=SKIP
	fi
	l_got[$n]=${got:-?} l_res[$n]=${res:-FAIL}
done
vm_log "no-report cases: one boot, $(vm_elapsed "$t0") (debug_locks=${debug_locks:-?} at the end)"

t0=$(vm_now)
nboots=0
for n in "${names[@]}"; do
	[ -n "${l_exp[$n]:-}" ] || { l_got[$n]='?' l_res[$n]=FAIL; continue; }
	[ "${l_exp[$n]}" != none ] || continue
	log=case-${n//\//_}
	boot_lockdep "$log" "cases=$n" || vm_log "$n: the boot exited $?"
	nboots=$((nboots + 1))
	read -r got res <<< "$(table_got "$logs/$log.out.log" "$n")"
	l_got[$n]=${got:-?} l_res[$n]=${res:-FAIL}
done
vm_log "report cases: $nboots boots, $(vm_elapsed "$t0")"

# ---------------------------------------------------------------- qspin
qspin_note=''
if [ "$want_qspin" = 0 ]; then
	qspin_note="qspin flavour not run (--no-qspin)"
elif ! grep -q 'qspin_report_count' "$top/include/qspin/debug.h"; then
	qspin_note="qspin flavour skipped: the validator is not in this tree (include/qspin/debug.h has no qspin_report_count())"
else
	t0=$(vm_now)
	vm_env
	# make vm-modules, without its deps step.
	if ! make -s -C "$KDIR" M="$top" modules > "$logs/vm-modules.log" 2>&1 ||
	   [ ! -f "$top/selftests/lockcheck/qspin_lockcheck.ko" ]; then
		qspin_note="qspin flavour: qspin_lockcheck.ko did not build ($logs/vm-modules.log)"
		result FAIL qspin-build "$qspin_note"
	else
		sel=all
		[ -n "$only" ] && sel=$only
		guest=$logs/qspin.guest.sh
		cat > "$guest" <<-GUEST
		modprobe qspin || echo "lockcheck: modprobe qspin failed"
		modprobe qspin_lockcheck cases=$sel || echo "lockcheck: modprobe qspin_lockcheck failed"
		dmesg | grep 'lockcheck: ' | sed 's/^\[[ 0-9.]*\] //'
		GUEST
		"$top/scripts/vm-run.sh" --quiet --guest-script "$guest" --smp 2 --timeout 300 \
			--log "$logs/qspin.console.log" --out "$logs/qspin.out.log" ||
			vm_log "the qspin boot exited $?"
		for n in "${names[@]}"; do
			read -r got res <<< "$(table_got "$logs/qspin.out.log" "$n")"
			q_got[$n]=${got:-?}
		done
		vm_log "qspin flavour: one boot, $(vm_elapsed "$t0")"
	fi
fi

# ---------------------------------------------------------------- table
table=$results_dir/check-lockdep.table
{
	printf '%-26s %-16s %-16s %-16s %-8s %s\n' case expected lockdep qspin agree why
	for n in "${names[@]}"; do
		lg=${l_got[$n]:-?} qg=${q_got[$n]:--}
		if [ -z "${q_got[$n]:-}" ]; then
			agree=-
		elif [ "$lg" = "$qg" ]; then
			agree=yes
		elif [ "${l_exp[$n]}" != "${q_exp[$n]}" ] && [ "$lg" = "${l_exp[$n]}" ] &&
		     [ "$qg" = "${q_exp[$n]}" ]; then
			agree=intended
		else
			agree=NO
		fi
		w=
		[ "${l_exp[$n]:-}" != "${q_exp[$n]:-}" ] && w=${why[$n]}
		printf '%-26s %-16s %-16s %-16s %-8s %s\n' "$n" "${q_exp[$n]:-?}" "$lg" "$qg" "$agree" "$w"
		case $agree in
		yes|intended) result PASS "agree:$n" "lockdep $lg, qspin $qg" ;;
		NO) result FAIL "agree:$n" "lockdep $lg, qspin $qg" ;;
		esac
		case ${l_res[$n]:-FAIL} in
		PASS) result PASS "lockdep:$n" "$lg" ;;
		SKIP) result SKIP "lockdep:$n" "lockdep was off before the case could count" ;;
		*) result FAIL "lockdep:$n" "expected ${l_exp[$n]:-?}, lockdep said $lg" ;;
		esac
	done
} > "$table.tmp" 2>"$logs/results.log"
mv "$table.tmp" "$table"
cat "$table"
[ -n "$qspin_note" ] && vm_log "$qspin_note"

pass=$(grep -c '^PASS' "$results_file") fail=$(grep -c '^FAIL' "$results_file")
skip=$(grep -c '^SKIP' "$results_file")
vm_log "$pass passed, $fail failed, $skip skipped in $(vm_elapsed "$t_start"); table: ${table#"$top"/}"
[ "$fail" -eq 0 ]
