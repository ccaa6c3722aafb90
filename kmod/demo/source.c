// SPDX-License-Identifier: GPL-2.0
/*
 * The interrupts the demo raises, and where each one goes.
 *
 * Hardirq: QEMU's edu PCI device (demo_edu.c, MSI or INTx) when the VM has
 * one, else an irq_work self-interrupt (IRQ_WORK_INIT_HARD: hardirq
 * context) on the raising CPU and, for another CPU, a call-function IPI
 * (6.1 does not export irq_work_queue_on()). Softirq: a tasklet, scheduled
 * and then run at the exit of an irq_work self-interrupt on the raising
 * CPU (tasklets run at IRQ exit even when ksoftirqd is runnable).
 *
 * The process side arms one interrupt per iteration; the first to claim it
 * (an xchg) runs the iteration's handler, anything else is a stray.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/cpumask.h>
#include <linux/interrupt.h>
#include <linux/irq_work.h>
#include <linux/kernel.h>
#include <linux/smp.h>
#include <linux/string.h>

#include "harness.h"

struct demo_irq_source demo_src = { .name = "irq_work", .irq = -1 };
static bool demo_use_edu;

/* Set by the process side with the iteration ready; claimed by xchg. */
static bool demo_armed_hw, demo_armed_sw;
static atomic_long_t demo_irq_counts[DEMO_NR_IRQ_COUNTERS];

long demo_irq_count(enum demo_irq_counter c)
{
	return atomic_long_read(&demo_irq_counts[c]);
}

/* Every hardirq source ends here (after acknowledging its device). */
void demo_hardirq(void)
{
	/* Claimed once: the process side disarms with the same xchg. */
	if (xchg(&demo_armed_hw, false))
		demo_handler_run();
	else
		atomic_long_inc(&demo_irq_counts[DEMO_STRAY_HARDIRQS]);
	/* Counted after: no tail call, the handler shows in backtraces. */
	atomic_long_inc(&demo_irq_counts[DEMO_HARDIRQS]);
}

static void demo_tasklet_fn(struct tasklet_struct *t)
{
	if (xchg(&demo_armed_sw, false))
		demo_handler_run();
	else
		atomic_long_inc(&demo_irq_counts[DEMO_STRAY_SOFTIRQS]);
	atomic_long_inc(&demo_irq_counts[DEMO_SOFTIRQS]);
}

static void demo_irq_work_fn(struct irq_work *work)
{
	demo_hardirq();
}

static void demo_ipi_fn(void *info)
{
	demo_hardirq();
}

/* Only there to end an interrupt: softirqs run at its exit. */
static void demo_kick_fn(struct irq_work *work)
{
}

static struct irq_work demo_hw_work = IRQ_WORK_INIT_HARD(demo_irq_work_fn);
static struct irq_work demo_kick_work = IRQ_WORK_INIT_HARD(demo_kick_fn);
static call_single_data_t demo_csd = CSD_INIT(demo_ipi_fn, NULL);
static DECLARE_TASKLET(demo_tasklet, demo_tasklet_fn);

/* Where the hardirq arrives when nobody asks for another CPU. */
int demo_irq_cpu(void)
{
	if (demo_use_edu)
		return demo_edu_target_cpu();
	/* irq_work: any CPU; the last one keeps CPU 0's housekeeping apart. */
	return cpumask_last(cpu_online_mask);
}

/* Where the tasklet runs: wherever the process side raises it. */
int demo_softirq_cpu(void)
{
	return cpumask_last(cpu_online_mask);
}

/*
 * Raise the scenario's interrupt: the hardirq so that it runs on @irq_cpu
 * (the edu's CPU, or any), the tasklet on this CPU.
 */
void demo_raise(const struct demo_scenario *sc, int irq_cpu)
{
	if (sc->context == DEMO_SOFTIRQ) {
		/* The iteration's state before the arming; pairs with xchg. */
		smp_store_release(&demo_armed_sw, true);
		tasklet_schedule(&demo_tasklet);
		/* An interrupt exit on this CPU: the tasklet runs there. */
		irq_work_queue(&demo_kick_work);
		return;
	}
	/* As above: the iteration's state before the arming. */
	smp_store_release(&demo_armed_hw, true);
	if (demo_use_edu)
		demo_edu_raise();
	else if (irq_cpu == smp_processor_id())
		irq_work_queue(&demo_hw_work);
	else
		smp_call_function_single_async(irq_cpu, &demo_csd);
}

bool demo_disarm(const struct demo_scenario *sc)
{
	return xchg(sc->context == DEMO_SOFTIRQ ? &demo_armed_sw :
		    &demo_armed_hw, false);
}

/* No irq_work of ours is still running (the iteration may be reused). */
void demo_sync_source(void)
{
	irq_work_sync(&demo_hw_work);
	irq_work_sync(&demo_kick_work);
}

void demo_source_text(const struct demo_scenario *sc, char *buf, size_t size)
{
	if (sc->kind == DEMO_TWO_CPUS)
		snprintf(buf, size, "none (two CPUs)");
	else if (sc->kind == DEMO_OWN_RUN)
		snprintf(buf, size, "hard irq_work (self-IPI)");
	else if (sc->context == DEMO_SOFTIRQ)
		snprintf(buf, size, "tasklet (softirq at an irq_work interrupt's exit)");
	else if (demo_src.irq >= 0)
		snprintf(buf, size, "%s irq %d", demo_src.name, demo_src.irq);
	else if (sc->kind == DEMO_CROSS)
		snprintf(buf, size, "ipi (smp_call_function_single_async)");
	else
		snprintf(buf, size, "irq_work (self-IPI)");
}

/* source=: auto (edu if present, else irq_work), edu, edu-msi, edu-intx, irq_work */
int demo_source_init(const char *source)
{
	bool want_edu = true, want_irq_work = true;
	bool want_msi = true, want_intx = true;
	int ret;

	if (!strcmp(source, "edu-msi")) {
		want_intx = false;
		want_irq_work = false;
	} else if (!strcmp(source, "edu-intx")) {
		want_msi = false;
		want_irq_work = false;
	} else if (!strcmp(source, "edu")) {
		want_irq_work = false;
	} else if (!strcmp(source, "irq_work")) {
		want_edu = false;
	} else if (strcmp(source, "auto")) {
		pr_err("unknown source=%s (auto, edu, edu-msi, edu-intx, irq_work)\n",
		       source);
		return -EINVAL;
	}

	if (want_edu) {
		ret = demo_edu_register(want_msi, want_intx);
		if (ret)
			return ret;
		if (demo_edu_present()) {
			demo_use_edu = true;
			demo_edu_describe(&demo_src);
		} else {
			demo_edu_unregister();
			if (!want_irq_work) {
				pr_err("source=%s: no usable edu PCI device (1234:11e8)\n",
				       source);
				return -ENODEV;
			}
		}
	}
	if (demo_use_edu)
		pr_info("interrupt source: edu PCI device %s, %s, irq %d, effective CPU %d\n",
			demo_src.dev, demo_src.name, demo_src.irq,
			demo_edu_target_cpu());
	else
		pr_info("interrupt source: irq_work (IRQ_WORK_INIT_HARD self-interrupt)%s\n",
			want_edu ? ": no edu PCI device (1234:11e8)" : "");
	return 0;
}

static void demo_nop(void *info)
{
}

/* Nothing armed is left, nothing of ours still runs anywhere. */
void demo_source_exit(void)
{
	WRITE_ONCE(demo_armed_hw, false);
	WRITE_ONCE(demo_armed_sw, false);
	if (demo_use_edu)
		demo_edu_unregister();	/* free_irq() waits for the handler */
	tasklet_kill(&demo_tasklet);
	demo_sync_source();
	/* A call-function IPI still queued somewhere has run after two. */
	on_each_cpu(demo_nop, NULL, 1);
	on_each_cpu(demo_nop, NULL, 1);
}
