#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# DKMS test (suite "dkms", "dkms-NAME" with KERNEL=NAME): dkms.conf builds
# qspin.ko for the VM kernel's ABI, from its headers, in private DKMS trees
# under build/dkms (--dkmstree, --sourcetree, --installtree): nothing goes to
# /var/lib/dkms, /usr/src or /lib/modules. Checks:
#   - dkms.conf's version is the module's (QSPIN_VERSION);
#   - dkms add, build: "qspin/VER, ABI: built" in dkms status, the module's
#     vermagic is ABI, the build log has no warning;
#   - adding is idempotent: a second add finds it added and goes on;
#   - DKMS signs the module with a key made under build/dkms, not in
#     /var/lib/dkms;
#   - dkms remove leaves nothing behind; /var/lib/dkms untouched.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
qspin_top=$top vm_tag=dkms
cd "$top"
# shellcheck source=scripts/lib/results.sh
source scripts/lib/results.sh
# shellcheck source=scripts/lib/vm.sh
source scripts/lib/vm.sh
vm_env
results_init "$(vm_suite dkms)"

command -v dkms >/dev/null || { result FAIL dkms-installed "no dkms: run scripts/deps.sh"; exit 1; }
ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"$/\1/p' dkms.conf)
code_ver=$(sed -n 's/^#define QSPIN_VERSION "\(.*\)"$/\1/p' kmod/qspin/internal.h)
if [ -n "$ver" ] && [ "$ver" = "$code_ver" ]; then
	result PASS dkms-conf-version "$ver"
else
	result FAIL dkms-conf-version "dkms.conf $ver, QSPIN_VERSION $code_ver"
fi

work=$top/build/dkms/$VM_ABI
rm -rf "$work"
mkdir -p "$work/dkms" "$work/src" "$work/install"
trees=(--dkmstree "$work/dkms" --sourcetree "$work/src" --installtree "$work/install")
log=build/logs/$(vm_suite dkms).log
: > "$log"
var_before=$(ls -A /var/lib/dkms 2>/dev/null | sort | tr '\n' ' ')

# The source as a user gets it: the tracked files (no build outputs).
src=$work/src/qspin-$ver
mkdir -p "$src"
git ls-files -z | xargs -0 cp --parents -t "$src"

# DKMS signs what it builds, with a key it makes in /var/lib/dkms unless
# told otherwise: a private one here.
export mok_signing_key=$work/mok.key mok_certificate=$work/mok.pub
export sign_file=$KDIR/scripts/sign-file

# Added once: a second run finds it there and goes on.
add() {
	dkms status -m qspin -v "$ver" "${trees[@]}" 2>/dev/null | grep -q "^qspin/$ver" ||
		dkms add -m qspin -v "$ver" "${trees[@]}" >> "$log" 2>&1
}
if add; then
	result PASS dkms-add
else
	result FAIL dkms-add "$(tail -n 3 "$log")"
	exit 1
fi
if add; then
	result PASS dkms-add-twice
else
	result FAIL dkms-add-twice "$(tail -n 3 "$log")"
fi

if dkms build -m qspin -v "$ver" -k "$VM_ABI" --kernelsourcedir "$KDIR" "${trees[@]}" >> "$log" 2>&1; then
	ko=$(find "$work/dkms/qspin/$ver/$VM_ABI" -name qspin.ko | head -n1)
	magic=$(modinfo -F vermagic "$ko" 2>/dev/null | cut -d' ' -f1)
	if [ "$magic" = "$VM_ABI" ]; then
		result PASS dkms-build "qspin.ko for $VM_ABI"
	else
		result FAIL dkms-build "built module ${ko:-none}, vermagic '$magic'"
	fi
	if [ -s "$work/mok.key" ] && modinfo -F signer "$ko" 2>/dev/null | grep -q .; then
		result PASS dkms-signed-with-private-key
	else
		result FAIL dkms-signed-with-private-key "no key in $work or module unsigned"
	fi
	blog=$(find "$work/dkms/qspin/$ver/$VM_ABI" -name make.log | head -n1)
	if [ -f "$blog" ] && ! grep -Eq 'warning:|WARNING:' "$blog"; then
		result PASS dkms-build-no-warnings
	else
		result FAIL dkms-build-no-warnings "$(grep -E 'warning:|WARNING:' "${blog:-/dev/null}" | head -n 3)"
	fi
else
	result FAIL dkms-build "$(tail -n 15 "$log" | grep -v '^$' | tail -n 5)"
fi
st=$(dkms status -m qspin -v "$ver" "${trees[@]}" 2>&1)
if echo "$st" | grep -q "qspin/$ver, $VM_ABI, [^:]*: built"; then
	result PASS dkms-status-built
else
	result FAIL dkms-status-built "$st"
fi

dkms remove -m qspin -v "$ver" --all "${trees[@]}" >> "$log" 2>&1
if [ ! -e "$work/dkms/qspin/$ver" ]; then
	result PASS dkms-remove
else
	result FAIL dkms-remove "left $work/dkms/qspin/$ver"
fi
var_after=$(ls -A /var/lib/dkms 2>/dev/null | sort | tr '\n' ' ')
if [ "$var_before" = "$var_after" ] && [ ! -e /var/lib/dkms/qspin ]; then
	result PASS dkms-private-trees-only
else
	result FAIL dkms-private-trees-only "/var/lib/dkms changed: '$var_before' -> '$var_after'"
fi
! grep -q '^FAIL' "$results_file"
