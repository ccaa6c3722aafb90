#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# The dependency graph (kmod/qspin/graph.c) in the VM's kernel, on its own:
# builds vm/graph_vm_test.c (which includes graph.c) as a module against the
# VM kernel's headers, boots the test VM once, loads it, and prints its
# reports, its timing line and the debugfs `dependencies` file.
#
#   kmod/qspin/tests/graph/graph-vm-test.sh     (after make vm-modules)
#
# Exit 0 when the module says PASS, `dependencies` lists its two edges and
# rejects a write, and the circular report's fix names the function.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../../../.." && pwd)
cd "$top"
abi=$(cat .cache/vm-abi)
work=$top/build/graph-vm-test
rm -rf "$work"
mkdir -p "$work/src/qspin" build/logs
cp kmod/qspin/graph.c kmod/qspin/graph.h "$here/vm/graph_vm_test.c" \
	"$here/vm/Kbuild" "$here/shim/validate.h" "$work/src/"
cp "$here/shim/qspin/debug.h" include/qspin/report_type.h "$work/src/qspin/"
make -s -C "/usr/src/linux-headers-$abi" M="$work/src" modules

cat >"$work/guest.sh" <<'GUEST'
insmod /root/qspin_graph_vm_test.ko || exit 1
dmesg | grep -E 'qspin|graph_vm_test'
echo "--- dependencies"
cat /sys/kernel/debug/qspin_graph_vm_test/dependencies
echo "--- write"
echo x > /sys/kernel/debug/qspin_graph_vm_test/dependencies && exit 3
rmmod qspin_graph_vm_test || exit 4
dmesg | grep -q 'graph_vm_test: PASS' || exit 5
exit 0
GUEST
mkdir -p "$work/extra"
cp "$work/src/qspin_graph_vm_test.ko" "$work/extra/"
rc=0
scripts/vm-run.sh --guest-script "$work/guest.sh" --no-repo-modules \
	--extra-dir "$work/extra:/root" --log build/logs/graph-vm.console.log \
	--out "$work/out.log" --timeout 400 || rc=$?
cat "$work/out.log"
grep -q '^&dev->lock_A -> &dev->lock_B  (' "$work/out.log" || rc=6
grep -q 'fix: take &dev->lock_A before &dev->lock_C everywhere; vm_take_second() takes &dev->lock_C then &dev->lock_A at vm_take_second+' "$work/out.log" || rc=7
echo "graph-vm-test: rc=$rc"
exit $rc
