// SPDX-License-Identifier: GPL-2.0
/*
 * The lessons, in the order debugfs "list" shows them (and the runner,
 * scripts/qspin-demo.sh, runs them). Each lives in its own lesson_*.c.
 */
#include <linux/kernel.h>
#include <linux/string.h>

#include "harness.h"

const struct demo_scenario *const demo_scenarios[] = {
	&demo_irq_deadlock,	/* lesson_irq.c */
	&demo_irq_fixed,
	&demo_bh_deadlock,	/* lesson_bh.c */
	&demo_bh_fixed,
	&demo_cross_cpu,	/* lesson_cross_cpu.c */
	&demo_shared_helper,	/* lesson_shared_helper.c */
	&demo_abba,		/* lesson_abba.c */
	&demo_stuck_holder,	/* lesson_stuck_holder.c */
	&demo_recursion,	/* lesson_recursion.c */
	&demo_irq_inconsistent,	/* lesson_irq_inconsistent.c */
	&demo_sleep_under_lock,	/* lesson_sleep.c */
	&demo_leaked_lock,	/* lesson_leak.c */
	&demo_irq_threaded,	/* lesson_irq_threaded.c */
	&demo_rt_sleeping_lock,	/* lesson_rt_sleeping.c */
};

const unsigned int demo_nr_scenarios = ARRAY_SIZE(demo_scenarios);

const struct demo_scenario *demo_find(const char *name)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(demo_scenarios); i++)
		if (!strcmp(demo_scenarios[i]->name, name))
			return demo_scenarios[i];
	return NULL;
}
