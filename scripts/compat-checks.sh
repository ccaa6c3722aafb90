#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build checks of the spinlock_t drop-in (include/qspin/spinlock_compat.h),
# after `make vm-modules`. scripts/kernel-checks.sh sources this at its end
# (results in its suite); run alone, it records suite compat-checks.
#
#   - the sample (samples/compat-driver) was built, every object of it with
#     the header, its own locks calling qspin and the kernel's wait-queue
#     lock calling the kernel; README shows its Kbuild lines as they are;
#   - samples/compat-checks, one build per case (its Kbuild says which):
#     every mapped call on a module lock is qspin's and none the kernel's;
#     every call on a kernel lock, under kernel headers read after the
#     mapping, is the kernel's and none qspin's; a module mapped in one of
#     two files builds, and the object check catches it; a module lock
#     handed to a kernel API taking spinlock_t * does not compile, for
#     that reason; PREEMPT_RT, a missing and a wrong QSPIN_COMPAT_ROOT stop
#     the build with the header's own message.
#
#   scripts/compat-checks.sh --module X.ko   for any module built with the
#       header: names each object in X.mod (Kbuild writes it beside X.ko)
#       without the header's marker; exit 1 if there is one
set -u

# compat_unmapped MODFILE: the objects listed in a module's .mod file that
# lack the header's modinfo marker "qspin_compat=<object>".
compat_unmapped() {
	local obj base
	while read -r obj; do
		[ -n "$obj" ] || continue
		base=$(basename "$obj" .o)
		readelf -p .modinfo "$obj" 2>/dev/null |
			grep -q "qspin_compat=$base\$" || basename "$obj"
	done < <(tr ' ' '\n' < "$1")
}

if [ "${BASH_SOURCE[0]}" = "$0" ] && [ "${1:-}" = --module ]; then
	mod=${2%.ko}.mod
	[ -f "$mod" ] || { echo "no $mod: build the module first" >&2; exit 2; }
	unmapped=$(compat_unmapped "$mod")
	[ -z "$unmapped" ] && { echo "every object of ${2%.ko}.ko was built with spinlock_compat.h"; exit 0; }
	echo "built without spinlock_compat.h: ${unmapped//$'\n'/ }" >&2
	exit 1
fi
if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	top=$(cd "$(dirname "$0")/.." && pwd)
	cd "$top" || exit 1
	# shellcheck source=scripts/lib/results.sh
	source scripts/lib/results.sh
	results_init compat-checks
	qspin_top=$top vm_tag=compat-checks
	# shellcheck source=scripts/lib/vm.sh
	source scripts/lib/vm.sh
	vm_env
	kdir=$KDIR
	log=build/logs
	mkdir -p "$log"
fi

# compat_calls OBJ: the lock functions OBJ calls (undefined symbols).
compat_calls() {
	nm -u "$1" | awk '{print $2}' |
		grep -E '^_{0,2}(qspin_|_raw_spin_)' | sort | tr '\n' ' '
}

# compat_build CASE: builds samples/compat-checks as COMPAT_CASE=CASE in
# build/compat-checks/CASE; the log is build/logs/compat-CASE.log.
compat_build() {
	local dir=$top/build/compat-checks/$1
	rm -rf "$dir"
	mkdir -p "$dir"
	cp samples/compat-checks/* "$dir/"
	# Plain quotes in the messages: the kernel Makefile unexports LC_ALL.
	LANG=C LC_ALL=C make -C "$kdir" M="$dir" COMPAT_CASE="$1" QSPIN_TOP="$top" \
		KBUILD_EXTRA_SYMBOLS="$top/Module.symvers" modules \
		> "$log/compat-$1.log" 2>&1
}

# compat_must_fail NAME CASE PATTERN: the build fails, and its first error
# matches PATTERN (grep -E).
compat_must_fail() {
	local first
	if compat_build "$2"; then
		result FAIL "$1" "built; it must not (build/logs/compat-$2.log)"
		return
	fi
	first=$(grep -m 1 ' error: ' "$log/compat-$2.log")
	if echo "$first" | grep -Eq -- "$3"; then
		result PASS "$1"
	else
		result FAIL "$1" "first error: ${first:-none} (build/logs/compat-$2.log)"
	fi
}

# ---- PREEMPT_RT ------------------------------------------------------------
# On an RT kernel spinlock_t sleeps (an rt_mutex): the header stops every
# build with its message, so the sample is not built (Kbuild) and the checks
# below do not apply. What does: a build against the real RT headers stops.
if grep -q '^CONFIG_PREEMPT_RT=y' "$kdir/.config" 2>/dev/null; then
	for c in compat-sample-built compat-sample-every-object-mapped \
		compat-sample-module-locks-qspin-kernel-lock-kernel \
		compat-readme-shows-sample-kbuild compat-builds \
		compat-kernel-api-rejects-module-lock compat-no-root-stops-build \
		compat-wrong-root-stops-build; do
		result SKIP "$c" "PREEMPT_RT kernel: spinlock_t sleeps, the drop-in refuses to build"
	done
	compat_must_fail compat-preempt-rt-kernel-stops-build builds \
		'spinlock_compat.h:[0-9]+:[0-9]+: error: #error "qspin/spinlock_compat.h: on PREEMPT_RT'
	if [ "${BASH_SOURCE[0]}" = "$0" ]; then
		! grep -q '^FAIL' "${results_file:?}"
		exit
	fi
	return 0
fi

# ---- the sample ----------------------------------------------------------
sample=samples/compat-driver
if [ -f "$sample/qspin-compat-sample.ko" ] &&
	[ -z "$(find "$sample"/*.[ch] include/qspin/spinlock_compat.h \
		-newer "$sample/qspin-compat-sample.ko")" ]; then
	result PASS compat-sample-built
else
	result FAIL compat-sample-built "missing or older than its sources: make vm-modules"
fi
if [ -f "$sample/qspin-compat-sample.mod" ]; then
	unmapped=$(compat_unmapped "$sample/qspin-compat-sample.mod")
	if [ -z "$unmapped" ]; then
		result PASS compat-sample-every-object-mapped
	else
		result FAIL compat-sample-every-object-mapped "no marker: $unmapped"
	fi
fi
# sample_irq.c takes its own lock and, through the same spin_lock_irqsave(),
# the kernel's lock of a wait queue.
calls=$(compat_calls "$sample/sample_irq.o" 2>/dev/null)
if [[ " $calls " == *" qspin_lock "* && " $calls " == *" _qspin_lock_irqsave "* &&
	" $calls " == *" _raw_spin_lock_irqsave "* ]]; then
	result PASS compat-sample-module-locks-qspin-kernel-lock-kernel
else
	result FAIL compat-sample-module-locks-qspin-kernel-lock-kernel "sample_irq.o calls: $calls"
fi

# README shows the sample's compat lines as they are in its Kbuild.
# shellcheck disable=SC2016 # the backquotes are the fence, not a command
readme_lines=$(sed -n '/^## Drop-in for spinlock_t drivers/,/^## /p' README.md |
	sed -n '/^```make$/,/^```$/p' | grep '^ccflags-y')
kbuild_lines=$(grep '^ccflags-y' "$sample/Kbuild")
if [ -n "$readme_lines" ] && [ "$readme_lines" = "$kbuild_lines" ]; then
	result PASS compat-readme-shows-sample-kbuild
else
	result FAIL compat-readme-shows-sample-kbuild "README: '$readme_lines'; Kbuild: '$kbuild_lines'"
fi

# ---- builds that must succeed ------------------------------------------------
if compat_build builds; then
	result PASS compat-builds
	dir=build/compat-checks/builds
	calls=$(compat_calls "$dir/mapped_api.o")
	missing=
	for fn in __qspin_lock_init qspin_lock qspin_unlock qspin_lock_bh \
		qspin_unlock_bh qspin_lock_irq qspin_unlock_irq _qspin_lock_irqsave \
		qspin_unlock_irqrestore _qspin_trylock _qspin_trylock_bh \
		_qspin_trylock_irqsave; do
		[[ " $calls " == *" $fn "* ]] || missing="$missing $fn"
	done
	if [ -n "$missing" ] || [[ $calls == *_raw_spin_* ]]; then
		result FAIL compat-module-locks-call-qspin "mapped_api.o calls: $calls; missing:$missing"
	else
		result PASS compat-module-locks-call-qspin
	fi
	calls=$(compat_calls "$dir/kernel_locks.o")
	missing=
	for fn in _raw_spin_lock _raw_spin_unlock _raw_spin_lock_bh \
		_raw_spin_lock_irq _raw_spin_lock_irqsave _raw_spin_trylock; do
		[[ " $calls " == *" $fn "* ]] || missing="$missing $fn"
	done
	if [ -n "$missing" ] || [[ $calls == *qspin_* ]]; then
		result FAIL compat-kernel-locks-call-kernel "kernel_locks.o calls: $calls; missing:$missing"
	else
		result PASS compat-kernel-locks-call-kernel
	fi
	unmapped=$(compat_unmapped "$dir/compat-mapping.mod")
	if [ -z "$unmapped" ]; then
		result PASS compat-mapped-module-passes-object-check
	else
		result FAIL compat-mapped-module-passes-object-check "flagged: $unmapped"
	fi
	unmapped=$(compat_unmapped "$dir/compat-partial.mod")
	if [ "$unmapped" = partial_plain.o ]; then
		result PASS compat-partial-module-caught
	else
		result FAIL compat-partial-module-caught "flagged: '$unmapped', want partial_plain.o"
	fi
else
	result FAIL compat-builds "$(grep -m 3 'error' "$log/compat-builds.log")"
fi

# ---- builds that must fail, each for its reason -------------------------------
compat_must_fail compat-kernel-api-rejects-module-lock kernel-api \
	"passing argument 2 of 'refcount_dec_and_lock' from incompatible pointer type"
if grep -q "expected 'spinlock_t \*'.* but argument is of type 'qspinlock_t \*'" \
	"$log/compat-kernel-api.log"; then
	result PASS compat-kernel-api-error-names-both-types
else
	result FAIL compat-kernel-api-error-names-both-types "no expected 'spinlock_t *' / 'qspinlock_t *' note"
fi
compat_must_fail compat-preempt-rt-stops-build rt \
	'spinlock_compat.h:[0-9]+:[0-9]+: error: #error "qspin/spinlock_compat.h: on PREEMPT_RT'
compat_must_fail compat-no-root-stops-build no-root \
	'error: #error "qspin/spinlock_compat.h: say which files are the module'
compat_must_fail compat-wrong-root-stops-build wrong-root \
	'static assertion failed: "qspin/spinlock_compat.h: QSPIN_COMPAT_ROOT is not the folder of'

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	! grep -q '^FAIL' "${results_file:?}"
fi
