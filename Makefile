# SPDX-License-Identifier: GPL-2.0
# qspin: top-level entry points. README.md documents each target.
#
#   make                 build the kernel modules against KDIR
#   make check           install deps, build, run every test (host + VM)
#   make demo            install deps, build, boot the VM, run the deadlock demos
#   make check-lockdep   the validator against lockdep (builds a lockdep kernel once)
#   make bench-lockdep   what lockdep costs spinlock_t vs what validate=1 costs qspin
#   make explore         every interleaving of small clients of the core (SC, x86-TSO)
#
# Everything that boots the test VM builds against the headers that pair
# with the VM's kernel image (scripts/deps.sh resolves its ABI).

TOP      := $(CURDIR)
VM_ABI    = $(shell cat $(TOP)/.cache/vm-abi 2>/dev/null)
VM_KDIR   = /usr/src/linux-headers-$(VM_ABI)
HOST_KDIR := /lib/modules/$(shell uname -r)/build
KDIR     ?= $(if $(wildcard $(HOST_KDIR)/Makefile),$(HOST_KDIR),$(VM_KDIR))

export QSPIN_TOP := $(TOP)

.PHONY: all modules vm-modules clean deps check host-test bench-host \
	kernel-checks vm-test demo demo-lockup bench soak sparse check-lockdep \
	bench-lockdep explore

all: modules

deps:
	@scripts/deps.sh

modules:
	@[ -n "$(KDIR)" ] && [ -d "$(KDIR)" ] || { echo "no kernel headers at KDIR='$(KDIR)': run 'make deps' or pass KDIR=" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(TOP) modules

# The modules for the test VM, built against its own kernel's headers.
vm-modules: deps
	$(MAKE) -C $(VM_KDIR) M=$(TOP) modules

sparse: deps
	$(MAKE) -C $(VM_KDIR) M=$(TOP) C=2 modules

# Kbuild's external-module clean deletes every *.ko and modules.order below
# M=, caches included: clean each module folder on its own instead.
MODULE_DIRS := kmod/qspin kmod/demo kmod/torture kmod/bench selftests/module \
	samples/compat-driver \
	selftests/lockcheck
clean:
	@if [ -d "$(KDIR)" ]; then for d in $(MODULE_DIRS); do \
		[ -f $$d/Kbuild ] && $(MAKE) -s -C $(KDIR) M=$(TOP)/$$d clean; done; fi; true
	rm -f Module.symvers modules.order
	rm -rf build

check:
	@scripts/check.sh

host-test: deps
	@scripts/host-tests.sh

bench-host: deps
	@scripts/bench-host.sh

kernel-checks: vm-modules
	@scripts/kernel-checks.sh

vm-test: vm-modules
	@scripts/vm-selftests.sh

# The scenario matrix under lockdep (a lockdep kernel, cached outside the
# clone) and under qspin's validator: their verdicts case by case.
check-lockdep: deps
	@scripts/check-lockdep.sh

demo:
	@scripts/demo.sh

demo-lockup:
	@scripts/demo.sh --lockup

bench:
	@scripts/bench-kernel.sh

# spinlock_t on the lockdep kernel against its twin without lock debugging
# (both cached outside the clone), beside qspin's validate=1/native:
# docs/bench/lockdep.md. Not part of make check.
bench-lockdep:
	@scripts/bench-lockdep.sh

# The interleaving explorer at bigger bounds than make check's, and every
# mutant: the figures of docs/verification.md.
explore: deps
	@scripts/explore.sh

MINUTES ?= 60
soak:
	@scripts/soak.sh $(MINUTES)
