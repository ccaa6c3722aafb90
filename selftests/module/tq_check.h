/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The in-kernel test modules' counted checks (test_qspin.c, test_qspin_nest.c,
 * test_qspin_hotplug.c): the three counters kselftest_module.h's
 * KSTM_MODULE_LOADERS() reports, and CHECK()/SKIP() over them. Include once,
 * in the module's one .c file, after kselftest_module.h.
 */
#ifndef QSPIN_TQ_CHECK_H
#define QSPIN_TQ_CHECK_H

/* Not __initdata: the checks also run in softirq and hardirq callbacks. */
static unsigned int total_tests;
static unsigned int failed_tests;
static unsigned int skipped_tests;

/* One check, counted; a failure says where. Its value: whether it held. */
#define CHECK(cond, fmt, ...)						\
	({								\
		bool __ok = (cond);					\
		total_tests++;						\
		if (!__ok) {						\
			failed_tests++;					\
			pr_warn("TC failed at %s:%d: %s: " fmt "\n",	\
				__func__, __LINE__, #cond, ##__VA_ARGS__); \
		}							\
		__ok;							\
	})

#define SKIP(fmt, ...)							\
	do {								\
		skipped_tests++;					\
		pr_info("skip %s: " fmt "\n", __func__, ##__VA_ARGS__);	\
	} while (0)

#endif /* QSPIN_TQ_CHECK_H */
