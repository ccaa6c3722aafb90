#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# C++ in the kernel, proven on the running kernel:
#  1. the core's C++ function is in ftrace's available_filter_functions
#     (the compiler's __mcount_loc records came through Kbuild's flags);
#  2. a stack_trace_save() taken from inside the core lists the C++ frame
#     followed by its C callers: qspin's API function, then the client
#     module (the ORC unwinder walked through objtool's data for C++);
#  3. the function tracer really traces the C++ function;
#  4. the caller's address reaches the instrumented path as an argument:
#     the deadlock reports test_qspin.ko provokes (a hardirq asking with
#     qspin_lock_checked() for a lock its CPU's task holds, once per
#     variant that leaves interrupts on) name the holder's function,
#     report_holder_<variant>, and the waiter's, report_waiter_irq.
# Contention comes from test_qspin.ko, whose tests take the slow path.
# Output: TAP; exit 0 all passed, 1 any failed, 4 skipped.

. "$(dirname "$0")/qspin_tap.sh"
D=/sys/kernel/debug/qspin
T=/sys/kernel/tracing

# rmmod, not modprobe -r: that would unload qspin.ko with it.
contend() {
	modprobe test_qspin && rmmod test_qspin
}

echo "TAP version 13"
modprobe qspin || { echo "Bail out! qspin.ko does not load"; exit 1; }
[ -d "$T" ] || mount -t tracefs nodev "$T" 2>/dev/null

if grep -q '^qspin_slowpath \[qspin\]$' "$T/available_filter_functions"; then
	ok "cxx_function_in_available_filter_functions"
else
	nok "cxx_function_in_available_filter_functions # qspin_slowpath missing"
fi

detect=$(sed -n 's/^detect //p' "$D/info")
echo reset > "$D/deadlocks"
echo arm > "$D/slowpath_trace"
contend
trace=$(cat "$D/slowpath_trace")
echo "$trace" | sed 's/^/# slowpath_trace: /'
# After qspin_slowpath (qspin_slowpath_watched or _checked with the validator
# on, core_env.h) come at most a few of qspin's C frames (the API
# function and, when statistics or the validator are on, the instrumented
# path it called: qspin_acquire_instrumented and the parts it tail-calls,
# qspin_acquire_general and qspin_acquire_validated_contended; only the
# latter when the calls were tail calls; GCC may
# name a specialised copy "name.constprop.N"), then the client module's own
# code.
callers=$(echo "$trace" | awk '
	found && / \[qspin\]$/ { printf "%s ", $1; next }
	found { print "| " $0; exit }
	/^qspin_slowpath(_watched|_checked)?\+0x[0-9a-f]+\/0x[0-9a-f]+ \[qspin\]$/ { found = 1 }')
c_frames=$(echo "$callers" | sed 's/ *|.*//')
client=$(echo "$callers" | sed -n 's/.*| //p')
bad_frames=$(for f in $c_frames; do
	echo "$f" | grep -Eqv '^(_?qspin_(lock|lock_irqsave|lock_irq|lock_bh|lock_checked|lock_nested)|qspin_acquire_(instrumented|general|validated_contended))(\.[a-z]+\.[0-9]+)?\+0x[0-9a-f]+/0x[0-9a-f]+$' && echo "$f"
done)
if [ -z "$bad_frames" ] && echo "$client" | grep -q '\[test_qspin\]$'; then
	ok "stack_trace_from_cxx_core_reaches_c_callers"
else
	nok "stack_trace_from_cxx_core_reaches_c_callers # after qspin_slowpath: '$callers'"
fi

echo 0 > "$T/tracing_on"
echo > "$T/trace"
# qspin_slowpath, or its watched/checked twins (the validator's path).
echo 'qspin_slowpath*' > "$T/set_ftrace_filter"
echo function > "$T/current_tracer"
echo 1 > "$T/tracing_on"
contend
echo 0 > "$T/tracing_on"
hits=$(grep -Ec 'qspin_slowpath(_watched|_checked)? <-' "$T/trace")
echo nop > "$T/current_tracer"
echo > "$T/set_ftrace_filter"
echo 1 > "$T/tracing_on"
if [ "${hits:-0}" -gt 0 ]; then
	ok "function_tracer_traces_cxx_function"
	echo "# qspin_slowpath traced $hits times"
else
	nok "function_tracer_traces_cxx_function # no qspin_slowpath in the trace"
fi

# The reports of the first load (reset above), symbolised when they were
# made: the names hold after test_qspin.ko is gone.
reports=$(cat "$D/deadlocks")
echo "$reports" | sed 's/^/# deadlocks: /'
sym='+0x[0-9a-f]*/0x[0-9a-f]* \[test_qspin\]'
for v in lock lock_bh trylock trylock_bh lock_checked; do
	if [ "$detect" != 1 ]; then
		ok "deadlock_report_names_callers_$v # SKIP detection is off"
	elif echo "$reports" | grep -q "^same-cpu holder=task waiter=hardirq .* backed_off=[1-9][0-9]* .* holder_fn=\"report_holder_$v$sym\" waiter_fn=\"report_waiter_irq$sym\"$"; then
		ok "deadlock_report_names_callers_$v"
	else
		nok "deadlock_report_names_callers_$v # no report with holder_fn=report_holder_$v and waiter_fn=report_waiter_irq"
	fi
done

tap_done
