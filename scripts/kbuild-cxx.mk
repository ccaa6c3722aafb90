# SPDX-License-Identifier: GPL-2.0
# C++ objects in a Kbuild module, compiled from the kernel's own C flags.
#
# Included by a module's Kbuild; a foo.cpp next to it then builds foo.o.
# The flags are $(c_flags) for the object, so the code model, -mno-red-zone,
# no FPU/SSE, ftrace's -pg -mfentry -mrecord-mcount, retpolines and return
# thunks, -fno-jump-tables, SLS hardening and the stack protector all come
# from the kernel's configuration, minus:
#   - the C-only options (g++ would warn that they are valid for C only),
#   - the kernel's -include'd headers and its include paths (the C++ core
#     includes no kernel header; with -nostdinc it takes its types from the
#     compiler's builtins),
# plus the freestanding C++ options. objtool then runs on the object exactly
# as on a C object (same $(objtool-args)), and any warning it prints fails
# the build: 6.1's objtool only warns. Where Kbuild delays objtool to the
# linked module (X86_KERNEL_IBT=y, as on 6.12: no per-object run), the same
# check runs on a copy of the C++ object, with the arguments Kbuild gives
# the linked module (--link --module), and the copy is thrown away: Kbuild's
# own run on the linked module still writes ORC and the rest.
#
# Debug info: -g1 (line tables and function names, no types). The kernel
# stack traces use ORC and kallsyms, and decode_stacktrace.sh/addr2line get
# the C++ lines from the tables; but pahole (module BTF, where the headers
# ship vmlinux, as 6.12's do) cannot read C++ types (template parameters,
# references), fails and deletes the module.

CXX_FOR_KERNEL ?= $(patsubst %gcc,%g++,$(patsubst %gcc-$(CONFIG_GCC_VERSION_MAJOR),%g++-$(CONFIG_GCC_VERSION_MAJOR),$(CC)))
CONFIG_GCC_VERSION_MAJOR = $(shell echo $$(( $(CONFIG_GCC_VERSION) / 10000 )))

# Options g++ rejects or ignores for C++.
cxx-drop-flags := -std=gnu11 -std=gnu89 -Wstrict-prototypes \
	-Wdeclaration-after-statement -Wno-pointer-sign \
	-Werror=implicit-int -Werror=implicit-function-declaration \
	-Werror=strict-prototypes -Werror=incompatible-pointer-types \
	-Werror=designated-init -Wimplicit-fallthrough=5 \
	-Wno-alloc-size-larger-than -Wno-frame-address \
	-Wmissing-prototypes -Wold-style-definition -Wmissing-include-dirs \
	-Wno-override-init -Werror=date-time -Wpointer-arith

cxx-freestanding-flags := -std=gnu++20 -nostdinc++ -fno-exceptions -fno-rtti \
	-fno-threadsafe-statics -fno-use-cxa-atexit -fno-asynchronous-unwind-tables \
	-fno-unwind-tables -fno-common -Wno-volatile -Werror \
	$(if $(CONFIG_DEBUG_INFO),-g1)

# Drop the "-include <header>" pairs (kconfig.h, compiler_types.h, ...) and
# every -I path; the includer names the only folders C++ may see in
# $(cxx-include-dirs).
cxx-filter-includes = $(filter-out -I% -include %.h,$(1))

cxx_flags = $(call cxx-filter-includes,$(filter-out $(cxx-drop-flags),$(c_flags))) \
	$(cxx-include-dirs) $(cxx-freestanding-flags)

# objtool on $@ itself, or (delayed objtool) on a copy of it.
cxx-objtool-check = $(if $(objtool-enabled),$(objtool) $(objtool-args) $@,\
	$(if $(and $(CONFIG_OBJTOOL),$(delay-objtool)),\
	  cp $@ $@.objtool.o && \
	  $(objtool) $(filter-out --module,$(objtool-args)) --module $@.objtool.o))

quiet_cmd_cxx_o_cpp = CXX $(quiet_modtag) $@
      cmd_cxx_o_cpp = $(CXX_FOR_KERNEL) $(cxx_flags) -c -o $@ $< \
		$(if $(cxx-objtool-check), ; { $(cxx-objtool-check); } 2>$@.objtool; \
		  status=$$?; rm -f $@.objtool.o; cat $@.objtool >&2; \
		  if [ $$status -ne 0 ] || [ -s $@.objtool ]; then \
		    echo "error: objtool warnings on C++ object $@ fail the build" >&2; \
		    rm -f $@ $@.objtool; exit 1; fi; rm -f $@.objtool)

$(obj)/%.o: $(src)/%.cpp FORCE
	$(call if_changed_dep,cxx_o_cpp)

targets += $(patsubst %.cpp,%.o,$(notdir $(wildcard $(src)/*.cpp)))
