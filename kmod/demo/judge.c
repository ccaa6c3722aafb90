// SPDX-License-Identifier: GPL-2.0
/*
 * One iteration's verdict. The counter starts at 0; the task adds one and
 * the handler adds one, so it ends at 2, or at 1 when the handler backed
 * off from a deadlock. A same-CPU scenario whose handler ran on another
 * CPU, or after the critical section when it should have interrupted it,
 * proved nothing: INCONCLUSIVE, never PASS.
 */
#include <linux/errno.h>
#include <linux/kernel.h>

#include "harness.h"

const char *const demo_verdict_names[DEMO_NR_VERDICTS] = {
	[DEMO_PASS] = "PASS",
	[DEMO_INCONCLUSIVE] = "INCONCLUSIVE",
	[DEMO_FAIL] = "FAIL",
};

static const char *demo_who(const struct demo_scenario *sc)
{
	return sc->context == DEMO_SOFTIRQ ? "tasklet" : "handler";
}

static enum demo_verdict demo_judge_cross(const struct demo_iter *it,
					  unsigned long actual,
					  unsigned long expected, char *why,
					  size_t size)
{
	if (it->handler_cpu == it->task_cpu) {
		snprintf(why, size, "the handler ran on the holder's CPU %d",
			 it->task_cpu);
		return DEMO_INCONCLUSIVE;
	}
	if (actual != expected) {
		snprintf(why, size, "counter %lu, expected %lu", actual,
			 expected);
		return DEMO_FAIL;
	}
	if (!it->handler_saw_cs) {
		snprintf(why, size, "the handler arrived after the section");
		return DEMO_INCONCLUSIVE;
	}
	return DEMO_PASS;
}

enum demo_verdict demo_judge(const struct demo_iter *it, unsigned long actual,
			     unsigned long *expected, char *why, size_t size)
{
	const struct demo_scenario *sc = it->sc;
	const char *who = demo_who(sc);

	*expected = 2;
	if (it->handler_state != DEMO_HANDLER_DONE) {
		snprintf(why, size, "the %s never ran", who);
		return DEMO_FAIL;
	}
	if (sc->kind == DEMO_CROSS)
		return demo_judge_cross(it, actual, *expected, why, size);
	if (it->handler_cpu != it->task_cpu) {
		snprintf(why, size, "the %s ran on CPU %d, not the holder's CPU %d",
			 who, it->handler_cpu, it->task_cpu);
		return DEMO_INCONCLUSIVE;
	}
	if (sc->threaded_handler && !it->handler_in_task) {
		snprintf(why, size, "the handler ran in interrupt context, not in its thread");
		return DEMO_FAIL;
	}
	if (sc->kind == DEMO_DEADLOCK) {
		if (!it->handler_saw_cs) {
			snprintf(why, size, "the %s ran after the critical section",
				 who);
			return DEMO_INCONCLUSIVE;
		}
		*expected = 1;
		if (it->handler_ret != -EDEADLK) {
			snprintf(why, size, "no -EDEADLK from qspin_lock_checked() (%d)",
				 it->handler_ret);
			return DEMO_FAIL;
		}
	} else if (it->handler_saw_cs) {
		snprintf(why, size, "the %s ran inside the critical section", who);
		return DEMO_FAIL;
	}
	if (actual != *expected) {
		snprintf(why, size, "counter %lu, expected %lu", actual, *expected);
		return DEMO_FAIL;
	}
	return DEMO_PASS;
}
