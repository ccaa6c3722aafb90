#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# qspin-demo's debugfs and module parameters under bad input: unknown
# scenario names, empty, blank and oversized writes, bad repeat counts,
# concurrent writers, a writer killed mid-run, rmmod while a scenario runs,
# qspin loaded with detect=0, and the demo runner (qspin-demo.sh, installed
# beside this test) given a bad name or option. Each must give a clear error (EINVAL, EBUSY,
# EOPNOTSUPP, "in use") or finish cleanly: never a hang, an oops or a
# warning, and the demo must work normally afterwards.
#
# Expected console output: none of note (no qspin report, no Call Trace).
# Exit: 0 pass, 1 fail, 4 skip (qspin-demo.ko not installed).
# POSIX sh: the VM runs BusyBox ash.

D=/sys/kernel/debug/qspin-demo
runner=$(dirname "$0")/qspin-demo.sh
. "$(dirname "$0")/qspin_tap.sh"

echo "TAP version 13"
if ! modinfo qspin-demo >/dev/null 2>&1; then
	tap_skip_all "qspin-demo.ko not installed"
fi

mark() { echo "qspin_demo_badinput.sh: mark $1 $$" > /dev/kmsg; }
since() { dmesg | sed -n "/qspin_demo_badinput.sh: mark $1 $$/,\$p"; }
clean() { ! since "$1" | no_kcsan | grep -Eq 'BUG:|WARNING:|Oops|Call Trace:|soft lockup|rcu: INFO|general protection'; }
uptime_s() { cut -d' ' -f1 /proc/uptime; }

# write_err TEXT: write TEXT to run in one write() (dd from a file, which
# says why a write failed; the shell's printf does not); prints the error
# message (nothing on success); status: the write's
tmp=/tmp/qspin_demo_badinput.$$
write_err() {
	printf '%s' "$1" > "$tmp"
	err=$(dd if="$tmp" of="$D/run" bs=16384 2>&1)
	rc=$?
	rm -f "$tmp"
	[ $rc -ne 0 ] && echo "$err" | grep -i 'error' | head -n 1
	return $rc
}
# quietly, for check
write_ok() { write_err "$1" >/dev/null; }

# rejected DESC TEXT PATTERN: the write fails, with an error matching PATTERN
rejected() {
	msg=$(write_err "$2")
	rc=$?
	if [ $rc -ne 0 ] && echo "$msg" | grep -q "$3"; then
		ok "$1 ($msg)"
	else
		nok "$1 (status $rc, '$msg')"
	fi
}

long_string() {
	i=0 s=
	while [ $i -lt "$1" ]; do s="${s}x"; i=$((i + 1)); done
	echo "$s"
}

rmmod qspin-demo 2>/dev/null
if [ "$(cat /sys/module/qspin/parameters/detect 2>/dev/null)" = N ]; then
	rmmod qspin 2>/dev/null
fi
modprobe qspin || { nok "modprobe qspin"; echo "1..$n"; exit 1; }
modprobe qspin-demo || { nok "modprobe qspin-demo"; echo "1..$n"; exit 1; }
mark start

# ---- writes to run --------------------------------------------------------
rejected "unknown scenario" 'no-such-scenario
' 'Invalid argument'
rejected "unknown scenario, prefix of a real one" 'irq' 'Invalid argument'
rejected "empty line" '
' 'Invalid argument'
rejected "blank line" '   	
' 'Invalid argument'
rejected "oversized write (100 bytes)" "$(long_string 100)" 'Invalid argument'
rejected "oversized write (8192 bytes)" "$(long_string 8192)" 'Invalid argument'
rejected "name then oversized tail" "irq-fixed $(long_string 200)" 'Invalid argument'
rejected "repeat count 0" 'irq-fixed 0' 'Invalid argument'
rejected "repeat count too large" 'irq-fixed 99999' 'Invalid argument'
rejected "repeat count not a number" 'irq-fixed abc' 'Invalid argument'
rejected "repeat count negative" 'irq-fixed -1' 'Invalid argument'
rejected "two counts" 'irq-fixed 1 2' 'Invalid argument'
rejected "binary garbage" "$(printf 'irq\001\002\377')" 'Invalid argument'
check "reading run fails, does not hang" cond '! cat "$D/run" >/dev/null 2>&1'
check "valid name with surrounding blanks runs" write_ok '  irq-fixed  
'
check "NAME COUNT runs" write_ok 'irq-fixed 3'
check "the last result is that run" grep -q '^runs 3$' "$D/last"

# ---- concurrent writers -------------------------------------------------
mark concurrent
t0=$(uptime_s)
pids=
i=0
while [ $i -lt 6 ]; do
	( printf 'irq-fixed 10' > /tmp/qdb.$i.in
	  if dd if=/tmp/qdb.$i.in of="$D/run" bs=64 2>/tmp/qdb.$i; then
		echo done > /tmp/qdb.$i.rc
	  else
		echo err > /tmp/qdb.$i.rc
	  fi ) &
	pids="$pids $!"
	i=$((i + 1))
done
# Bounded: a hung writer would show here, not hang the test forever.
waited=0
while [ $waited -lt 60 ]; do
	alive=0
	for p in $pids; do kill -0 "$p" 2>/dev/null && alive=1; done
	[ $alive = 0 ] && break
	sleep 1
	waited=$((waited + 1))
done
check "concurrent writers all finish (${waited}s)" [ $alive = 0 ]
wait
done_n=0 busy_n=0 other_n=0
i=0
while [ $i -lt 6 ]; do
	if [ "$(cat /tmp/qdb.$i.rc 2>/dev/null)" = done ]; then
		done_n=$((done_n + 1))
	elif grep -qi 'busy' /tmp/qdb.$i 2>/dev/null; then
		busy_n=$((busy_n + 1))
	else
		other_n=$((other_n + 1))
		log "writer $i: $(cat /tmp/qdb.$i 2>/dev/null)"
	fi
	rm -f /tmp/qdb.$i /tmp/qdb.$i.rc /tmp/qdb.$i.in
	i=$((i + 1))
done
log "concurrent: $done_n ran, $busy_n got EBUSY, $other_n other"
check "concurrent writers: each ran or got EBUSY, at least one ran" \
	cond '[ $done_n -ge 1 ] && [ $other_n = 0 ] && [ $((done_n + busy_n)) = 6 ]'
check "concurrent writers: no warning" clean concurrent

# ---- a writer killed mid-run ---------------------------------------------
mark killed
( printf 'irq-fixed 2000' > "$D/run" ) 2>/dev/null &
wpid=$!
sleep 1
kill -9 $wpid 2>/dev/null
waited=0
while kill -0 $wpid 2>/dev/null && [ $waited -lt 30 ]; do
	sleep 1
	waited=$((waited + 1))
done
check "killed writer goes away (${waited}s)" cond '! kill -0 $wpid 2>/dev/null'
wait $wpid 2>/dev/null
# The run lock is free again once its kthread stopped.
tries=0
until write_ok 'irq-fixed' || [ $tries -ge 20 ]; do
	sleep 1
	tries=$((tries + 1))
done
check "a run after the kill works" grep -q '^verdict PASS$' "$D/last"
check "killed writer: no warning" clean killed

# ---- rmmod while a scenario runs -----------------------------------------
mark rmmod
( printf 'irq-fixed 300' > "$D/run" ) 2>/dev/null &
wpid=$!
sleep 1
if kill -0 $wpid 2>/dev/null; then
	msg=$(rmmod qspin-demo 2>&1)
	rc=$?
	check "rmmod during a run is refused (status $rc: $msg)" [ $rc -ne 0 ]
else
	ok "rmmod during a run # SKIP the run ended within 1s"
fi
wait $wpid
check "the run finished cleanly" grep -q '^verdict PASS$' "$D/last"
check "rmmod after the run" rmmod qspin-demo
check "module gone" cond '! grep -q "^qspin_demo " /proc/modules'
check "debugfs dir gone" cond '[ ! -e "$D" ]'
check "rmmod qspin-demo: no warning" clean rmmod

# ---- load/unload at any moment --------------------------------------------
mark cycles
i=0 good=0
while [ $i -lt 10 ]; do
	modprobe qspin-demo && printf 'bh-fixed' > "$D/run" && rmmod qspin-demo && good=$((good + 1))
	i=$((i + 1))
done
check "10 load/run/unload cycles ($good good)" [ $good = 10 ]
check "load/unload cycles: no warning" clean cycles

# ---- bad module parameters ---------------------------------------------------
mark params
check "scenario=bogus refused" cond '! modprobe qspin-demo scenario=bogus 2>/dev/null'
check "source=bogus refused" cond '! modprobe qspin-demo source=bogus 2>/dev/null'
check "runs=0 with scenario= refused" cond '! modprobe qspin-demo scenario=irq-fixed runs=0 2>/dev/null'
check "module not left loaded" cond '! grep -q "^qspin_demo " /proc/modules'
check "rmmod qspin while qspin-demo uses it is refused" \
	cond 'modprobe qspin-demo && ! rmmod qspin 2>/dev/null'
rmmod qspin-demo 2>/dev/null
check "bad parameters: no warning" clean params

# ---- qspin detect=0: the deadlock scenarios are refused, not hung ----------
mark nodetect
if rmmod qspin 2>/dev/null; then
	modprobe qspin detect=0 && modprobe qspin-demo
	rejected "detect=0: irq-deadlock refused" 'irq-deadlock' 'not supported'
	rejected "detect=0: bh-deadlock refused" 'bh-deadlock' 'not supported'
	check "detect=0: irq-fixed still runs" write_ok 'irq-fixed'
	check "detect=0: irq-fixed PASS" grep -q '^verdict PASS$' "$D/last"
	rmmod qspin-demo
	rmmod qspin
	check "qspin back with detect=1" cond 'modprobe qspin && [ "$(cat /sys/module/qspin/parameters/detect)" = Y ]'
else
	ok "detect=0 # SKIP qspin is in use by another module"
fi
check "detect=0: no warning" clean nodetect

# ---- the demo runner under bad input ----------------------------------------
mark runner
out=/tmp/qspin_demo_badinput.runner.$$
if [ -f "$runner" ] && modprobe qspin-demo; then
	sh "$runner" --no-load no-such-scenario > "$out" 2>&1
	rc=$?
	check "runner: unknown scenario refused with status 3 ($rc)" \
		cond '[ $rc = 3 ] && grep -q "run refused" "$out"'
	sh "$runner" --lockup irq-deadlock > "$out" 2>&1
	rc=$?
	check "runner: --lockup without --yes-hang-this-cpu refused ($rc)" \
		cond '[ $rc = 2 ] && grep -q yes-hang-this-cpu "$out"'
	sh "$runner" --no-such-option > "$out" 2>&1
	rc=$?
	check "runner: unknown option refused ($rc)" [ $rc = 2 ]
	check "runner: a good run after them passes" \
		cond 'sh "$runner" --no-load irq-fixed > "$out" 2>&1'
	rmmod qspin-demo
else
	nok "runner: no $runner, or qspin-demo did not load"
fi
rm -f "$out"
check "runner: no warning" clean runner

# ---- alive and clean at the end ----------------------------------------------
check "alive: reload and run" cond 'modprobe qspin-demo && printf "shared-helper" > "$D/run"'
check "alive: shared-helper PASS" grep -q '^verdict PASS$' "$D/last"
rmmod qspin-demo
check "whole test: no warning, no report" cond 'clean start && ! since start | grep -q "qspin: possible"'

tap_done
