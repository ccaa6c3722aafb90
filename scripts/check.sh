#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make check: install what is missing, build, run every suite, add them up.
# Each suite writes build/results/<suite>.txt (scripts/lib/results.sh); a
# suite that dies before writing its results counts as one failure.
#
#   scripts/check.sh              every suite on the default kernel (6.1),
#                                 then the kselftests of each kernel in
#                                 $QSPIN_CHECK_KERNELS (default: rt 6.12
#                                 6.12-rt; "" for none)
#   KERNEL=NAME scripts/check.sh  (make check KERNEL=NAME) the VM suites on
#                                 kernel NAME: kernel-checks, the kselftests,
#                                 the demo, the DKMS build
#   scripts/check.sh --kernels    (make check-kernels) those VM suites on all
#                                 four kernels, one after the other
# The suites of a kernel other than the default are named SUITE-NAME.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
rm -rf build/results
mkdir -p build/results build/logs

all_kernels="6.1 rt 6.12 6.12-rt"

step() {
	local suite=$1
	shift
	printf '\n==== %s: %s\n' "$suite" "$*"
	local t0=$SECONDS
	if ! "$@"; then
		# A suite that failed without recording why still counts.
		grep -q '^FAIL' "build/results/$suite.txt" 2>/dev/null ||
			echo "FAIL $suite # exited non-zero" >> "build/results/$suite.txt"
	fi
	printf '==== %s done in %ds\n' "$suite" $((SECONDS - t0))
}

# suffix K: "" for the default kernel, "-K" for the others.
suffix() { case $1 in 6.1|default) ;; *) echo "-$1" ;; esac; }

# deps_for K: scripts/deps.sh for kernel K (its own results file on failure).
deps_for() {
	KERNEL=$1 scripts/deps.sh ||
		echo "FAIL deps$(suffix "$1") # KERNEL=$1 scripts/deps.sh failed" > "build/results/deps$(suffix "$1").txt"
}

# build_for K: the modules for kernel K (make vm-modules KERNEL=K).
build_for() {
	KERNEL=$1 make -s vm-modules > "build/logs/vm-modules$(suffix "$1").log" 2>&1 ||
		{ cat "build/logs/vm-modules$(suffix "$1").log"; return 1; }
}

# demo_suite K: make demo's VM run on kernel K as one result.
demo_suite() {
	local suite=demo$(suffix "$1")
	if KERNEL=$1 scripts/demo.sh --no-build --log "build/logs/$suite.console.log" \
		> "build/logs/$suite.transcript.txt" 2>&1; then
		echo "PASS $suite # $(tail -n1 "build/logs/$suite.transcript.txt")" > "build/results/$suite.txt"
	else
		echo "FAIL $suite # $(tail -n1 "build/logs/$suite.transcript.txt") (build/logs/$suite.transcript.txt)" > "build/results/$suite.txt"
		return 1
	fi
}

# qspin_toggle.sh switches the validator under load: it patches kernel text
# over and over, which QEMU 7.2's multi-threaded TCG does not survive (README,
# "The emulator's own fault"). It runs in a boot of its own under
# single-threaded TCG (suite vm-toggle), never in the main boot.
mttcg_excluded=(-x qspin:qspin_toggle.sh)
toggle_boot=(scripts/vm-selftests.sh --suite vm-toggle --tcg-opts thread=single
	     -t qspin:qspin_toggle.sh)

# kernel_suites K: everything that runs on the VM kernel K.
kernel_suites() {
	local k=$1 s
	s=$(suffix "$k")
	deps_for "$k"
	step "kernel-checks$s" env KERNEL="$k" bash -c \
		'make -s vm-modules > "build/logs/vm-modules$0.log" 2>&1 ||
		{ cat "build/logs/vm-modules$0.log"; exit 1; }; scripts/kernel-checks.sh' "$s"
	step "vm-selftests$s" env KERNEL="$k" scripts/vm-selftests.sh "${mttcg_excluded[@]}"
	step "vm-toggle$s" env KERNEL="$k" "${toggle_boot[@]}"
	step "demo$s" demo_suite "$k"
	[ -x scripts/dkms-test.sh ] && step "dkms$s" env KERNEL="$k" scripts/dkms-test.sh
}

if [ "${1:-}" = --kernels ]; then
	for k in $all_kernels; do
		kernel_suites "$k"
	done
	# Leave the tree built for the default kernel.
	build_for 6.1 > /dev/null
elif [ -n "${KERNEL:-}" ] && [ "$(suffix "$KERNEL")" != "" ]; then
	k=$KERNEL
	unset KERNEL
	kernel_suites "$k"
	build_for 6.1 > /dev/null
else
	unset KERNEL
	deps_for 6.1
	step host-tests scripts/host-tests.sh
	step kernel-checks bash -c 'make -s vm-modules >build/logs/vm-modules.log 2>&1 || { cat build/logs/vm-modules.log; exit 1; }; scripts/kernel-checks.sh'
	step vm-selftests scripts/vm-selftests.sh "${mttcg_excluded[@]}"
	step vm-toggle "${toggle_boot[@]}"
	step demo-lockup scripts/demo-lockup-test.sh
	[ -x scripts/dkms-test.sh ] && step dkms scripts/dkms-test.sh
	[ -x scripts/install-test.sh ] && step install scripts/install-test.sh
	# The kselftests (with the demo's, qspin_demo.sh) on the other kernels:
	# README, "make check and the kernels", has the split and the minutes.
	# Hostile input and the load/unload cycles (about 3 minutes a kernel)
	# run on the default kernel here, on all four in make check-kernels.
	default_only=(-x qspin:qspin_fuzz.sh -x qspin:qspin_fuzz_params.sh
		      -x qspin:qspin_cycles.sh "${mttcg_excluded[@]}")
	for k in ${QSPIN_CHECK_KERNELS-rt 6.12 6.12-rt}; do
		deps_for "$k"
		if build_for "$k"; then
			step "vm-selftests-$k" env KERNEL="$k" scripts/vm-selftests.sh "${default_only[@]}"
		else
			echo "FAIL vm-modules-$k # did not build: build/logs/vm-modules-$k.log" > "build/results/vm-modules-$k.txt"
		fi
	done
	[ -n "${QSPIN_CHECK_KERNELS-rt}" ] && build_for 6.1 > /dev/null
fi
printf '\n'
exec scripts/summary.sh
