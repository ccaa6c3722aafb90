#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
# make install, staged (suite "install", "install-NAME" with KERNEL=NAME):
# installs into build/install/<abi>/root (INSTALL_MOD_PATH and DESTDIR), never
# into the host's /lib/modules or /usr/src. Checks:
#   - the modules are there (extra/), depmod ran: modules.dep has qspin.ko
#     and qspin-demo.ko depending on it;
#   - qspin.ko's Module.symvers is there as extra/qspin.symvers, the client
#     headers in usr/src/qspin-VERSION/include;
#   - README's installed-client example ("Install: make install, DKMS": its
#     ```make block and the ```sh block after it) builds a driver exactly as
#     written, with only the install's root put before /usr/src and
#     /lib/modules/$(uname -r)/ (the VM kernel's ABI for $(uname -r)), and
#     the headers of the VM kernel for /lib/modules/$(uname -r)/build;
#   - a fresh clone (tracked files, no .cache/) builds with `make KDIR=`,
#     without the test module, saying so;
#   - the host's /lib/modules/<abi> and /usr/src/qspin-* are untouched.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
qspin_top=$top vm_tag=install
cd "$top"
# shellcheck source=scripts/lib/results.sh
source scripts/lib/results.sh
# shellcheck source=scripts/lib/vm.sh
source scripts/lib/vm.sh
vm_env
results_init "$(vm_suite install)"

ver=$(sed -n 's/^#define QSPIN_VERSION "\(.*\)"$/\1/p' kmod/qspin/internal.h)
stage=$top/build/install/$VM_ABI
root=$stage/root
log=build/logs/$(vm_suite install).log
rm -rf "$stage"
mkdir -p "$root"
host_before=$(ls -d "/lib/modules/$VM_ABI" /usr/src/qspin-* 2>/dev/null | tr '\n' ' ')

if make install KDIR="$KDIR" INSTALL_MOD_PATH="$root" DESTDIR="$root" > "$log" 2>&1; then
	result PASS make-install
else
	result FAIL make-install "$(grep -E 'error|Error' "$log" | head -n 3)"
	exit 1
fi
mods=$root/lib/modules/$VM_ABI
if grep -Eq '^extra/kmod/qspin/qspin\.ko(\.xz|\.zst)?:' "$mods/modules.dep" 2>/dev/null &&
	grep -Eq '^extra/kmod/demo/qspin-demo\.ko(\.xz|\.zst)?: extra/kmod/qspin/qspin\.ko' "$mods/modules.dep"; then
	result PASS install-modules-depmod
else
	result FAIL install-modules-depmod "modules.dep: $(head -n 3 "$mods/modules.dep" 2>/dev/null)"
fi
if grep -q 'qspin_lock' "$mods/extra/qspin.symvers" 2>/dev/null &&
	[ -f "$root/usr/src/qspin-$ver/include/qspin.h" ] &&
	[ -f "$root/usr/src/qspin-$ver/include/qspin/lock_word.h" ]; then
	result PASS install-symvers-and-headers
else
	result FAIL install-symvers-and-headers "no extra/qspin.symvers or usr/src/qspin-$ver/include"
fi

# README's installed-client example, as written.
client=$stage/client
mkdir -p "$client"
readme_section='## Install: make install, DKMS'
awk -v sec="$readme_section" -v out="$client" '
	/^## / { insec = ($0 == sec) }
	!insec { next }
	$0 == "```make" && !kb_done { blk = "Kbuild"; next }
	$0 == "```sh" && kb_done && !sh_done { blk = "build.sh"; next }
	/^```/ && blk != "" {
		if (blk == "Kbuild") kb_done = 1; else sh_done = 1
		blk = ""; next
	}
	blk != "" { print > (out "/" blk) }' README.md
cat > "$client/mydriver.c" <<'EOF_C'
// SPDX-License-Identifier: GPL-2.0
/* A driver using an installed qspin through its one header. */
#include <linux/module.h>
#include <qspin.h>

static DEFINE_QSPINLOCK(my_lock);

static int __init mydriver_init(void)
{
	unsigned long flags;

	qspin_lock_irqsave(&my_lock, flags);
	qspin_unlock_irqrestore(&my_lock, flags);
	return 0;
}

static void __exit mydriver_exit(void)
{
}

module_init(mydriver_init);
module_exit(mydriver_exit);
MODULE_LICENSE("GPL");
EOF_C
if [ ! -s "$client/Kbuild" ] || [ ! -s "$client/build.sh" ]; then
	result FAIL readme-installed-client-builds "no \`\`\`make and \`\`\`sh blocks in README's \"$readme_section\""
else
	sed -i -e "s|/usr/src/qspin-|$root/usr/src/qspin-|g" \
		-e "s|/lib/modules/\$(uname -r)/build|$KDIR|g" \
		-e "s|/lib/modules/\$(uname -r)/|$root/lib/modules/$VM_ABI/|g" \
		"$client/Kbuild" "$client/build.sh"
	if (cd "$client" && sh -e build.sh) > "$stage/client.log" 2>&1 &&
		[ -f "$client/mydriver.ko" ] &&
		! grep -Eq 'warning:|WARNING:|undefined!' "$stage/client.log"; then
		result PASS readme-installed-client-builds
	else
		result FAIL readme-installed-client-builds "$(grep -E 'error|warning|WARNING' "$stage/client.log" | head -n 3)"
	fi
fi

# A fresh clone (the tracked files, no .cache/): `make KDIR=` builds the
# library and its clients, and leaves out the test module with a note.
fresh=$stage/fresh
mkdir -p "$fresh"
git ls-files -z | xargs -0 cp --parents -t "$fresh"
if env -u KSELFTEST_DIR make -C "$fresh" KDIR="$KDIR" > "$stage/fresh.log" 2>&1 &&
	[ -f "$fresh/kmod/qspin/qspin.ko" ] && [ -f "$fresh/kmod/demo/qspin-demo.ko" ] &&
	[ ! -e "$fresh/selftests/module/test_qspin.ko" ] &&
	grep -q 'test_qspin.ko not built: no kselftest_module.h' "$stage/fresh.log" &&
	! grep -Eq 'warning:|WARNING:' "$stage/fresh.log"; then
	result PASS fresh-clone-make-kdir
else
	result FAIL fresh-clone-make-kdir "$(grep -E 'error|warning|WARNING' "$stage/fresh.log" | head -n 3)"
fi
rm -rf "$fresh"

host_after=$(ls -d "/lib/modules/$VM_ABI" /usr/src/qspin-* 2>/dev/null | tr '\n' ' ')
if [ "$host_before" = "$host_after" ]; then
	result PASS install-staged-only
else
	result FAIL install-staged-only "host: '$host_before' -> '$host_after'"
fi
! grep -q '^FAIL' "$results_file"
