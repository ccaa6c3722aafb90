// SPDX-License-Identifier: GPL-2.0
/*
 * One iteration of a scenario, on the process side's CPU: the counter set
 * to 0, the lesson's task (which, holding its lock, calls
 * demo_raise_and_wait(): raise the interrupt on its own CPU and stay in the
 * critical section until the handler has run or hold_ms have passed), a
 * grace period for a late handler, then the counter read and the iteration
 * judged and added to the run's result. The handler's side,
 * demo_handler_run(), records where and when it ran around the lesson's
 * handler.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/delay.h>
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/preempt.h>
#include <linux/smp.h>
#include <linux/string.h>

#include "harness.h"

/* After the release, how long the handler gets to show up. */
#define DEMO_LATE_MS 1000

static struct demo_iter demo_it;
bool demo_broken;

/* ---- the handler's side ------------------------------------------------ */

void demo_handler_run(void)
{
	struct demo_iter *it = &demo_it;
	u64 t0 = ktime_get_ns();

	it->handler_cpu = smp_processor_id();
	it->handler_saw_cs = READ_ONCE(it->in_cs);
	it->handler_in_task = in_task();
	it->t_handler = t0;
	WRITE_ONCE(it->handler_state, DEMO_HANDLER_RUNNING);
	it->handler_ret = it->handler ? it->handler() : it->sc->handler();
	it->wait_ns = ktime_get_ns() - t0;
	/* Pairs with demo_handler_done(): our writes to *it first. */
	smp_store_release(&it->handler_state, DEMO_HANDLER_DONE);
}

/* ---- the process side ---------------------------------------------------- */

static bool demo_handler_done(struct demo_iter *it)
{
	/* Pairs with demo_handler_run()'s release: its writes are seen. */
	return smp_load_acquire(&it->handler_state) == DEMO_HANDLER_DONE;
}

/* The handler has finished (false: @timeout_ns passed first). */
static bool demo_wait_done(struct demo_iter *it, u64 timeout_ns)
{
	u64 t0 = ktime_get_ns();

	while (!demo_handler_done(it)) {
		if (ktime_get_ns() - t0 > timeout_ns)
			return false;
		cpu_relax();
	}
	return true;
}

/* The other CPU's handler waits for our lock (false: timed out). */
static bool demo_wait_contended(struct demo_iter *it, u64 timeout_ns)
{
	u64 t0 = ktime_get_ns();

	while (READ_ONCE(it->handler_state) == DEMO_HANDLER_NOT_RUN ||
	       !qspin_is_contended(it->sc->lock)) {
		if (ktime_get_ns() - t0 > timeout_ns)
			return false;
		cpu_relax();
	}
	return true;
}

void demo_raise_and_wait(struct demo_iter *it)
{
	u64 hold_ns = (u64)clamp(READ_ONCE(demo_hold_ms), 1U, 1000U) *
		      NSEC_PER_MSEC;

	WRITE_ONCE(it->in_cs, true);
	demo_raise(it->sc, it->irq_cpu);
	if (it->sc->kind == DEMO_CROSS) {
		/*
		 * Hold on until the other CPU's handler waits, then a bit.
		 * Only this CPU has interrupts off, so a longer wait for a
		 * slow (emulated) interrupt delivery costs nothing.
		 */
		if (demo_wait_contended(it, 10 * hold_ns)) {
			u64 t0 = ktime_get_ns();
			u64 extra = (u64)clamp(READ_ONCE(demo_cross_hold_us),
					       1U, 10000U) * NSEC_PER_USEC;

			while (ktime_get_ns() - t0 < extra)
				cpu_relax();
		}
	} else {
		demo_wait_done(it, hold_ns);
	}
	WRITE_ONCE(it->in_cs, false);
	it->t_release = ktime_get_ns();
}

/* After the release: give the handler time to show up. */
static void demo_wait_late(struct demo_iter *it)
{
	u64 t0 = ktime_get_ns();

	while (!demo_handler_done(it) &&
	       ktime_get_ns() - t0 < DEMO_LATE_MS * NSEC_PER_MSEC)
		usleep_range(20, 100);
}

/* A fresh iteration of @sc on this CPU. */
struct demo_iter *demo_iter_start(const struct demo_scenario *sc, int irq_cpu)
{
	struct demo_iter *it = &demo_it;

	memset(it, 0, sizeof(*it));
	it->sc = sc;
	it->task_cpu = smp_processor_id();
	it->irq_cpu = irq_cpu;
	it->handler_cpu = -1;
	return it;
}

/*
 * Outside any critical section: raise the interrupt, whose handler runs
 * @handler, and wait for it. Return: whether it ran (false: the iteration
 * is broken, as demo_iteration() decides for a handler that never ends).
 */
bool demo_raise_after(struct demo_iter *it, int (*handler)(void))
{
	u64 hold_ns = (u64)clamp(READ_ONCE(demo_hold_ms), 1U, 1000U) *
		      NSEC_PER_MSEC;

	it->handler = handler;
	it->handler_state = DEMO_HANDLER_NOT_RUN;
	demo_raise(it->sc, it->irq_cpu);
	demo_wait_done(it, hold_ns);
	demo_wait_late(it);
	if (!demo_handler_done(it) && !demo_disarm(it->sc)) {
		demo_wait_late(it);
		if (!demo_handler_done(it))
			WRITE_ONCE(demo_broken, true);
	}
	demo_sync_source();
	return demo_handler_done(it);
}

void demo_iteration(const struct demo_scenario *sc, int irq_cpu,
			   struct demo_result *res)
{
	struct demo_iter *it;
	unsigned long actual;

	if (sc->kind == DEMO_MISTAKE)
		return demo_mistake_iteration(sc, irq_cpu, res);
	it = demo_iter_start(sc, irq_cpu);
	qspin_lock_irq(sc->lock);
	*sc->count = 0;
	qspin_unlock_irq(sc->lock);

	sc->task(it);

	demo_wait_late(it);
	if (!demo_handler_done(it) && !demo_disarm(sc)) {
		/* Claimed but unfinished: wait once more, then give up. */
		demo_wait_late(it);
		if (!demo_handler_done(it))
			WRITE_ONCE(demo_broken, true);
	}
	demo_sync_source();

	qspin_lock_irq(sc->lock);
	actual = *sc->count;
	qspin_unlock_irq(sc->lock);

	demo_result_add(res, it, actual);
}
