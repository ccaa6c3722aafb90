# SPDX-License-Identifier: GPL-2.0
# qspin: top-level entry points. README.md documents each target.
#
#   make                 build the kernel modules against KDIR
#   make install         modules_install + depmod + client headers (DESTDIR,
#                        INSTALL_MOD_PATH to stage; README "make install, DKMS")
#   make check           install deps, build, run every test (host + VM)
#   make check-kernels   the VM suites on each kernel (KERNEL=6.1 rt 6.12 6.12-rt)
#   make ... KERNEL=NAME the VM targets on kernel NAME (scripts/deps.sh)
#   make demo            install deps, build, boot the VM, run the deadlock demos
#   make trace-demo      record qspin's tracepoints in the VM, draw docs/trace/*.svg
#   make check-lockdep   the validator against lockdep (builds a lockdep kernel once)
#   make check-scale     test_qspin, tail CPUs and a torture at -smp 16 and -smp 64 (TCG)
#   make check-sanitizers  everything under the KASAN and KCSAN kernels (built once)
#   make bench-lockdep   what lockdep costs spinlock_t vs what validate=1 costs qspin
#   make explore         every interleaving of small clients of the core (SC, x86-TSO)
#
# Everything that boots the test VM builds against the headers that pair
# with the VM's kernel image (scripts/deps.sh resolves its ABI).

TOP      := $(CURDIR)
# KERNEL=NAME picks the test VM's kernel (scripts/deps.sh): 6.1 (default),
# rt, 6.12, 6.12-rt. Every VM target builds for and boots that one.
KERNEL   ?= 6.1
override KERNEL := $(patsubst 6.1-rt,rt,$(patsubst default,6.1,$(KERNEL)))
ifneq ($(filter-out 6.1,$(KERNEL)),)
VM_ABI    = $(shell cat $(TOP)/.cache/kernels/$(KERNEL)/abi 2>/dev/null)
VM_KDIR   = $(TOP)/.cache/kernels/$(KERNEL)/kdir
else
VM_ABI    = $(shell cat $(TOP)/.cache/vm-abi 2>/dev/null)
VM_KDIR   = /usr/src/linux-headers-$(VM_ABI)
endif
export KERNEL
HOST_KDIR := /lib/modules/$(shell uname -r)/build
KDIR     ?= $(if $(wildcard $(HOST_KDIR)/Makefile),$(HOST_KDIR),$(VM_KDIR))

export QSPIN_TOP := $(TOP)

.PHONY: all modules vm-modules install clean deps check check-kernels host-test bench-host \
	kernel-checks vm-test vm-modules-nodes2 demo demo-lockup demo-rawnest bench soak sparse \
	check-lockdep bench-lockdep explore trace-demo trace-bpftrace check-scale check-sanitizers

all: modules

deps:
	@scripts/deps.sh

modules:
	@[ -n "$(KDIR)" ] && [ -f "$(KDIR)/Makefile" ] || { echo "qspin: no kernel headers at KDIR='$(KDIR)': install the headers of the kernel to build for (Debian/Ubuntu: apt-get install linux-headers-$$(uname -r); Fedora: dnf install kernel-devel-$$(uname -r)), or pass KDIR=/path/to/kernel/build; 'make deps' installs Debian 12's for the test VM" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(TOP) modules

# The modules for the test VM, built against its own kernel's headers.
# make install: the modules (modules_install into INSTALL_MOD_PATH, under
# extra/, then depmod), qspin.ko's Module.symvers beside them as
# extra/qspin.symvers, and the client headers in
# $(DESTDIR)/usr/src/qspin-VERSION/include (the folder DKMS's source tree
# has too). A client then builds with one -I and KBUILD_EXTRA_SYMBOLS (README).
# Modules are installed unsigned (the kernel's key is not in its headers);
# QSPIN_SIGN=1 leaves signing to the kernel's CONFIG_MODULE_SIG_ALL.
QSPIN_VERSION := $(shell sed -n 's/^\#define QSPIN_VERSION "\(.*\)"$$/\1/p' $(TOP)/kmod/qspin/internal.h)
QSPIN_SRC_DIR := $(DESTDIR)/usr/src/qspin-$(QSPIN_VERSION)
install: modules
	$(MAKE) -C $(KDIR) M=$(TOP) INSTALL_MOD_PATH=$(INSTALL_MOD_PATH) INSTALL_MOD_DIR=extra \
		$(if $(QSPIN_SIGN),,CONFIG_MODULE_SIG_ALL=) modules_install
	@kver=$$(modinfo -F vermagic kmod/qspin/qspin.ko | cut -d" " -f1) && \
	install -m 644 Module.symvers $(INSTALL_MOD_PATH)/lib/modules/$$kver/extra/qspin.symvers && \
	echo "  DEPMOD  $$kver ($(or $(INSTALL_MOD_PATH),/))" && \
	depmod -b $(or $(INSTALL_MOD_PATH),/) $$kver
	install -d $(QSPIN_SRC_DIR)/include/qspin
	install -m 644 include/qspin.h $(QSPIN_SRC_DIR)/include/
	install -m 644 include/qspin/*.h $(QSPIN_SRC_DIR)/include/qspin/
	@echo "  HEADERS $(QSPIN_SRC_DIR)/include"

# A module left from a build for another kernel (one this kernel does not
# build: the spinlock_t drop-in sample on PREEMPT_RT) is removed.
vm-modules: deps
	$(MAKE) -C $(VM_KDIR) M=$(TOP) modules
	@find kmod selftests samples -name '*.ko' | while read -r ko; do \
		v=$$(modinfo -F vermagic $$ko | cut -d' ' -f1); \
		[ "$$v" = "$(VM_ABI)" ] || { echo "removing $$ko: built for $$v" >&2; rm -f $$ko; }; done
	@$(MAKE) -s vm-modules-nodes2

# The test-only qspin.ko with 2 queue nodes per CPU (kmod/qspin/Kbuild's
# QSPIN_TEST_MAX_NODES), for the beyond-four fallback in
# selftests/qspin_nest.sh: built in a mirror of kmod/qspin under build/, one
# per kernel, so the real qspin.ko is untouched; the module is still named
# qspin, and the test loads it by path in place of the real one.
NODES2_DIR := $(TOP)/build/qspin-nodes2/$(KERNEL)
vm-modules-nodes2:
	@mkdir -p $(NODES2_DIR)/kmod/qspin
	@for d in include core scripts; do ln -sfn $(TOP)/$$d $(NODES2_DIR)/$$d; done
	@for f in $(TOP)/kmod/qspin/*.[ch] $(TOP)/kmod/qspin/*.cpp $(TOP)/kmod/qspin/Kbuild; do \
		ln -sf $$f $(NODES2_DIR)/kmod/qspin/; done
	$(MAKE) -C $(VM_KDIR) M=$(NODES2_DIR)/kmod/qspin QSPIN_TEST_MAX_NODES=2 modules
	@cp $(NODES2_DIR)/kmod/qspin/qspin.ko $(NODES2_DIR)/qspin-nodes2.ko

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

# The VM suites (kernel-checks, kselftests, demo, DKMS) on all four kernels.
check-kernels:
	@scripts/check.sh --kernels

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

# Many CPUs: the VM at -smp 16 and -smp 64 under TCG (slow: not part of make
# check). README "Many CPUs".
check-scale: deps
	@scripts/check-scale.sh
# The modules, the kselftests and the planted bugs under the KASAN (+ kmemleak)
# and KCSAN kernels (cached outside the clone); not part of make check.
check-sanitizers: deps
	@scripts/check-sanitizers.sh

demo:
	@scripts/demo.sh

demo-lockup:
	@scripts/demo.sh --lockup

# qspin's tracepoints recorded in the VM and drawn with gnuplot:
# docs/trace/{contended,deadlock}.{svg,png} (scripts/trace-demo.sh).
trace-demo: deps
	@scripts/trace-demo.sh

# README's bpftrace one-liner in the VM (a 2G boot with LLVM in its
# initramfs; not part of make check).
trace-bpftrace: deps
	@scripts/trace-bpftrace.sh

# rt-sleeping-lock on the PROVE_RAW_LOCK_NESTING lockdep kernel (built once, cached).
demo-rawnest: deps
	@scripts/demo-rawnest.sh

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
