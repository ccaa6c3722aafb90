// SPDX-License-Identifier: GPL-2.0
/*
 * qspin.ko's statistics: which path each acquisition took.
 *
 * Per-CPU counters, one per slow-path event of the core (QSPIN_EVENTS in
 * include/qspin/lock_word.h: the enum, these names and the C++ core's
 * qspin::Event come from that one list) plus "fast", counted by the
 * instrumented path in lock_api.c. Also the slow-path stack trace taken on
 * request (debugfs slowpath_trace): proof that the unwinder walks from the
 * C++ frames into their C callers. Shown by debugfs.c; read by tests
 * through qspin_stat_read() (include/qspin/debug.h).
 */
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/smp.h>
#include <linux/stacktrace.h>
#include <linux/string.h>

#include <qspin/debug.h>
#include "core_env.h"
#include "internal.h"

DEFINE_PER_CPU(struct qspin_stats, qspin_stats);
DEFINE_STATIC_KEY_TRUE(qspin_stats_key);

static bool stats = true;
module_param(stats, bool, 0444);
MODULE_PARM_DESC(stats, "Count which lock paths are taken (default: on; debugfs stats can switch it)");

const char *const qspin_stat_names[QSPIN_STAT_NR] = {
#define QSPIN_STAT_NAME(e, name) [QSPIN_EV_##e] = #name,
	QSPIN_EVENTS(QSPIN_STAT_NAME)
#undef QSPIN_STAT_NAME
	[QSPIN_STAT_FAST] = "fast",
};

void qspin_stats_init(void)
{
	if (!stats)
		static_branch_disable(&qspin_stats_key);
}

void qspin_stats_switch(bool on)
{
	if (on)
		static_branch_enable(&qspin_stats_key);
	else
		static_branch_disable(&qspin_stats_key);
	qspin_instrument_update();
}

void qspin_stats_reset(void)
{
	int cpu;

	for_each_possible_cpu(cpu)
		memset(per_cpu_ptr(&qspin_stats, cpu), 0,
		       sizeof(struct qspin_stats));
}

unsigned long qspin_stat_read(const char *name)
{
	unsigned long sum = 0;
	int i, cpu;

	for (i = 0; i < QSPIN_STAT_NR; i++) {
		if (strcmp(name, qspin_stat_names[i]))
			continue;
		for_each_possible_cpu(cpu)
			sum += per_cpu(qspin_stats.count[i], cpu);
		break;
	}
	return sum;
}
EXPORT_SYMBOL_GPL(qspin_stat_read);

/* ---- the slow-path stack trace -------------------------------------- */

static enum qspin_trace_state qspin_trace_state;
static struct qspin_slowpath_trace qspin_trace;

static noinline void qspin_capture_trace(void)
{
	unsigned long entries[QSPIN_TRACE_DEPTH];
	unsigned int i;

	/* One CPU captures; the others go on as if nothing was armed. */
	if (cmpxchg(&qspin_trace_state, QSPIN_TRACE_ARMED,
		    QSPIN_TRACE_CAPTURING) != QSPIN_TRACE_ARMED)
		return;
	/*
	 * Skip nothing: whether qspin_env_count's frame is there depends on
	 * a tail call; readers look for the C++ frame and what follows it.
	 */
	qspin_trace.len = stack_trace_save(entries, QSPIN_TRACE_DEPTH, 0);
	for (i = 0; i < qspin_trace.len; i++)
		snprintf(qspin_trace.frames[i], KSYM_SYMBOL_LEN, "%pB",
			 (void *)entries[i]);
	qspin_trace.cpu = smp_processor_id();
	/* Publish the frames: pairs with qspin_slowpath_trace_get()'s acquire. */
	smp_store_release(&qspin_trace_state, QSPIN_TRACE_CAPTURED);
}

int qspin_slowpath_trace_arm(void)
{
	if (READ_ONCE(qspin_trace_state) == QSPIN_TRACE_CAPTURING)
		return -EBUSY;
	WRITE_ONCE(qspin_trace_state, QSPIN_TRACE_ARMED);
	return 0;
}

enum qspin_trace_state
qspin_slowpath_trace_get(const struct qspin_slowpath_trace **trace)
{
	/* Pairs with qspin_capture_trace()'s release: frames come with it. */
	enum qspin_trace_state state = smp_load_acquire(&qspin_trace_state);

	*trace = &qspin_trace;
	return state;
}

/* The C++ core's count(): every slow-path event passes here. */
void qspin_env_count(unsigned int event)
{
	qspin_stat_inc(event);
	if (unlikely(READ_ONCE(qspin_trace_state) == QSPIN_TRACE_ARMED))
		qspin_capture_trace();
}
