#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# Build checks on the kernel objects, after `make vm-modules`:
#   - the C++ objects are freestanding: no C++ runtime or libatomic
#     references, no .eh_frame / .init_array / .ctors;
#   - they were compiled with the kernel's hardening and tracing flags and
#     objtool ran on them (ORC unwind data, __mcount_loc, return sites);
#   - no indirect call or jump except through __x86_indirect_thunk_*, and
#     no bare `ret` (return thunks), checked with objdump: modinfo's
#     retpoline tag is written whatever the flags;
#   - g++ accepted every flag taken from the kernel (none "valid for C only");
#   - sparse (make C=2) finds nothing in the C sources of qspin.
# Each check is one result line (scripts/lib/results.sh, suite kernel-checks).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
source scripts/lib/results.sh
results_init kernel-checks

abi=$(cat .cache/vm-abi)
kdir=/usr/src/linux-headers-$abi
log=build/logs
mkdir -p "$log"

mapfile -t cxx_sources < <(find kmod selftests/module -name '*.cpp' | sort)
if [ ${#cxx_sources[@]} -eq 0 ]; then
	result FAIL cxx-objects "no C++ sources found for the kernel"
	exit 1
fi

check_object() {
	local src=$1 obj=${1%.cpp}.o name
	name=$(basename "$obj")
	if [ ! -f "$obj" ]; then
		result FAIL "$name-built" "missing $obj"
		return
	fi

	local bad
	bad=$(nm -u "$obj" | awk '{print $2}' |
		grep -E '^(__cxa_|_Unwind_|__atomic_|__gxx_personality|__cxx_|_ZSt|_ZNSt|operator)' || true)
	if [ -n "$bad" ]; then
		result FAIL "$name-no-cxx-runtime" "references: $(echo $bad)"
	else
		result PASS "$name-no-cxx-runtime"
	fi

	local sections
	sections=$(objdump -h "$obj" | awk '$1 ~ /^[0-9]+$/ {print $2}')
	bad=$(echo "$sections" | grep -E '^\.(eh_frame|init_array|fini_array|ctors|dtors|gcc_except_table)' || true)
	if [ -n "$bad" ]; then
		result FAIL "$name-no-runtime-sections" "has: $(echo $bad)"
	else
		result PASS "$name-no-runtime-sections"
	fi

	# objtool's and the compiler's output: ORC, __mcount_loc, return sites.
	local want missing=
	for want in .orc_unwind .orc_unwind_ip __mcount_loc .return_sites; do
		echo "$sections" | grep -qx -- "$want" || missing="$missing $want"
	done
	if [ -n "$missing" ]; then
		result FAIL "$name-objtool-and-ftrace-sections" "missing:$missing"
	else
		result PASS "$name-objtool-and-ftrace-sections"
	fi

	# The flags Kbuild used, from the .cmd file modpost and fixdep read.
	local cmd=$(dirname "$obj")/.$(basename "$obj").cmd flag
	if [ ! -f "$cmd" ]; then
		result FAIL "$name-cmd-file" "missing $cmd"
	else
		missing=
		for flag in -mcmodel=kernel -mno-red-zone -mno-sse -pg -mfentry \
			-mrecord-mcount -mindirect-branch=thunk-extern \
			-mfunction-return=thunk-extern -fno-jump-tables \
			-mharden-sls=all -fstack-protector-strong -nostdinc \
			-fno-exceptions -fno-rtti; do
			grep -q -- "$flag" "$cmd" || missing="$missing $flag"
		done
		if [ -n "$missing" ]; then
			result FAIL "$name-kernel-flags" "missing:$missing"
		else
			result PASS "$name-kernel-flags"
		fi
		grep -q 'objtool' "$cmd" &&
			result PASS "$name-objtool-ran" ||
			result FAIL "$name-objtool-ran" "no objtool in $cmd"
	fi

	local dis indirect bare_ret
	dis=$(objdump -d --no-show-raw-insn "$obj")
	indirect=$(echo "$dis" | grep -E '\s(call|jmp)[a-z]*\s+\*' || true)
	bare_ret=$(echo "$dis" | grep -E '\sret[a-z]*\s*$' || true)
	if [ -n "$indirect" ]; then
		result FAIL "$name-retpolines" "indirect branch: $(echo "$indirect" | head -n 3)"
	else
		result PASS "$name-retpolines"
	fi
	if [ -n "$bare_ret" ]; then
		result FAIL "$name-return-thunks" "bare ret: $(echo "$bare_ret" | head -n 3)"
	elif ! nm -u "$obj" | grep -q __x86_return_thunk; then
		result FAIL "$name-return-thunks" "no __x86_return_thunk reference"
	else
		result PASS "$name-return-thunks"
	fi
}

for src in "${cxx_sources[@]}"; do
	check_object "$src"
done

# The exported lock functions leave for their instrumented twins by a tail
# call (jmp), so that _RET_IP_ there names the caller of the API function:
# the address deadlock reports and held-lock records show.
main_obj=kmod/qspin/qspin_main.o
for fn in qspin_lock qspin_lock_bh qspin_lock_irq _qspin_lock_irqsave; do
	body=$(objdump -d --no-show-raw-insn "$main_obj" | awk -v f="<$fn>:" '$2 == f {p = 1; next} p && /^$/ {exit} p')
	if echo "$body" | grep -Eq 'jmp +[0-9a-f]+ <qspin_lock(_irqsave|_irq)?_instrumented' &&
		! echo "$body" | grep -q 'call.*_instrumented'; then
		result PASS "$fn-instrumented-dispatch-is-tail-call"
	else
		result FAIL "$fn-instrumented-dispatch-is-tail-call" "$(echo "$body" | grep _instrumented)"
	fi
done

# g++ accepted every option taken from the kernel's C flags.
for src in "${cxx_sources[@]}"; do
	touch "$src"
done
make -s vm-modules > "$log/cxx-rebuild.log" 2>&1
if grep -q 'valid for C/ObjC but not for C++\|is valid for C' "$log/cxx-rebuild.log"; then
	result FAIL cxx-flags-accepted "$(grep 'valid for C' "$log/cxx-rebuild.log" | head -n 3)"
elif grep -qi 'objtool.*warning\|warning:' "$log/cxx-rebuild.log"; then
	result FAIL cxx-build-warnings "$(grep -i 'warning' "$log/cxx-rebuild.log" | head -n 3)"
else
	result PASS cxx-flags-accepted
fi

# sparse over the modules' C side (it does not read C++). The in-kernel
# test module is left out: taking locks inside switch statements on purpose
# is what sparse's context check warns about.
touch kmod/qspin/*.c
if make -s -C "$kdir" M="$top" C=2 modules > "$log/sparse.log" 2>&1; then
	if grep -E '^/.*/kmod/.*: (warning|error):' "$log/sparse.log" > "$log/sparse-findings.log"; then
		result FAIL sparse "$(head -n 3 "$log/sparse-findings.log")"
	else
		result PASS sparse
	fi
else
	result FAIL sparse "build failed: $(tail -n 3 "$log/sparse.log")"
fi

# The lock word's size and layout are asserted on both sides at build time;
# check the C side's view is the C++ side's view, in one compile each.
probe=build/layout-probe
mkdir -p "$probe"
cat > "$probe/probe.c" <<'EOF'
#include <qspin/lock_word.h>
int size = sizeof(struct qspin_lock_word), align = __alignof__(struct qspin_lock_word),
    block = sizeof(struct qspin_node_block), tail = QSPIN_TAIL_CPU_OFFSET;
EOF
cp "$probe/probe.c" "$probe/probe.cpp"
if gcc -std=gnu11 -Wall -Werror -c -Iinclude -Icore/include "$probe/probe.c" -o "$probe/c.o" &&
	g++ -std=gnu++20 -Wall -Werror -c -Iinclude -Icore/include "$probe/probe.cpp" -o "$probe/cxx.o"; then
	result PASS lock-word-header-compiles-as-c-and-cxx
else
	result FAIL lock-word-header-compiles-as-c-and-cxx
fi

# ---- the spinlock_t drop-in -----------------------------------------------
# Its build checks live in their own file (same suite, same results file).
source scripts/compat-checks.sh

! grep -q '^FAIL' "$results_file"
