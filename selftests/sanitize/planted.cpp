// SPDX-License-Identifier: GPL-2.0
// The planted bugs of test_qspin_sanitize.ko, in C++ on purpose: the
// sanitizer kernels must report them in these functions, which proves that
// scripts/kbuild-cxx.mk hands the C++ objects the kernel's instrumentation
// (-fsanitize=kernel-address with its --param asan-*, -fsanitize=thread with
// its --param tsan-*) as it does qspin's core (kmod/qspin/core_env.cpp).
// Never built into anything but this test module.
#include "planted.h"

// A use-after-free: the object is freed, then read. KASAN keeps freed
// objects in quarantine, poisoned, so the read is reported at once:
// "BUG: KASAN: use-after-free in qspin_sanitize_cxx_use_after_free".
extern "C" int qspin_sanitize_cxx_use_after_free(const struct qspin_sanitize_env *env)
{
	int *p = static_cast<int *>(env->alloc(8 * sizeof(int)));

	if (!p)
		return -1;
	p[3] = 42;
	env->free(p);
	// The pointer escaped to free(): the compiler must load again.
	return p[3];
}

// A data race: a plain read-modify-write, run by two threads at once with
// nothing ordering them. KCSAN samples accesses, so the caller loops until
// it is reported: "BUG: KCSAN: data-race in qspin_sanitize_cxx_race_step".
extern "C" void qspin_sanitize_cxx_race_step(struct qspin_sanitize_race *race)
{
	race->counter = race->counter + 1;
}
