// SPDX-License-Identifier: GPL-2.0
//
// qspin.ko's only C++ translation unit: the core's slow path instantiated
// with the kernel environment. Built by Kbuild from the kernel's own C
// flags (code model, no red zone, no SSE, -pg -mfentry, retpolines, return
// thunks, SLS hardening, stack protector), minus the C-only ones, plus the
// freestanding C++ flags; objtool checks it like any C object (kmod/qspin/Kbuild).
//
// No C++ runtime support is needed: no exceptions, RTTI, thread-safe
// statics, global constructors or virtual functions are used, and
// scripts/check-freestanding.sh fails the build if any sneaks in.

#include <qspin/queued_lock.h>
#include "qspin_env.h"

namespace {

// The kernel's side of qspin::LockEnvironment. The caller (qspin_main.c)
// holds preemption off across the slow path.
struct KernelEnvironment {
	static qspin_node_block *cpu_nodes(unsigned cpu)
	{
		return qspin_env_cpu_nodes(cpu);
	}
	// x86's cpu_relax(): PAUSE.
	static void cpu_relax() { asm volatile("rep; nop" ::: "memory"); }
	// No per-iteration diagnostics in the kernel yet; a watchdog or
	// tracer would go here.
	static void spin_hook(const qspin_lock_word *) {}
	static void count(qspin::Event event)
	{
		qspin_env_count(static_cast<unsigned>(event));
	}
};

static_assert(qspin::LockEnvironment<KernelEnvironment>);

} // namespace

extern "C" void qspin_slowpath(qspin_lock_word *lock, qspin_u32 val,
			       qspin_node_block *nodes, unsigned int cpu)
{
	qspin::slow_path<KernelEnvironment>(lock, val, nodes, cpu);
}
