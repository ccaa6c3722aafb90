// SPDX-License-Identifier: GPL-2.0
/*
 * qspin's tracepoints (trace.h): their definitions, and the switch that
 * turns the instrumented path on while any of them is enabled.
 *
 * The tracepoint core calls an event's reg callback when its first probe
 * attaches (ftrace's `enable`, perf, BPF) and unreg when its last one
 * goes; each is counted here, under the tracepoint mutex, and
 * qspin_instrument_update() (lock_api.c) recomputes the path switches.
 */
#include <linux/atomic.h>
#include <linux/module.h>

#include "internal.h"

#define CREATE_TRACE_POINTS
#include "trace.h"

/* Events with a probe attached. */
static atomic_t qspin_trace_users = ATOMIC_INIT(0);

bool qspin_trace_enabled(void)
{
	return atomic_read(&qspin_trace_users) > 0;
}

int qspin_trace_reg(void)
{
	/* Unlocks go out of line before any traced acquisition is made. */
	static_branch_inc(&qspin_release_key);
	atomic_inc(&qspin_trace_users);
	qspin_instrument_update();
	return 0;
}

void qspin_trace_unreg(void)
{
	atomic_dec(&qspin_trace_users);
	/*
	 * rmmod with an event still enabled: the events are removed after
	 * qspin_exit(), when nothing takes a qspin lock any more; its static
	 * keys are left as they are.
	 */
	if (THIS_MODULE->state == MODULE_STATE_GOING)
		return;
	qspin_instrument_update();
	static_branch_dec(&qspin_release_key);
}
