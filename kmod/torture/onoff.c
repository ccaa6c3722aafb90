// SPDX-License-Identifier: GPL-2.0
/*
 * qspin-torture's CPU hotplug, locktorture's onoff_interval/onoff_holdoff:
 * a kthread that, after onoff_holdoff seconds, takes a random non-boot CPU
 * offline (remove_cpu()), waits onoff_interval ms, brings it back
 * (add_cpu()), waits again, and so on until the run stops; the CPU it took
 * is always brought back, also when the run stops in between.
 *
 * Every operation is counted, attempts and successes, with the shortest
 * and longest time each took; torture.c prints them as locktorture does:
 * "onoff: on_ok/on_tries:off_ok/off_tries on_min,on_max:off_min,off_max
 * (ms)". A failed offline is counted only (the kernel may refuse, -EBUSY);
 * a failed online, or a CPU left offline at the end, fails the run.
 *
 * What the harness needs from a CPU coming back: its periodic hrtimer
 * acquirers, which the kernel migrated to a surviving CPU when it went
 * down, are started on it again (the onoff_cpu_online callback, from the
 * CPU's own hotplug thread).
 */
#define pr_fmt(fmt) "qspin-torture: " fmt

#include <linux/cpu.h>
#include <linux/cpuhotplug.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/moduleparam.h>
#include <linux/sched.h>

#include "param_range.h"
#include "torture.h"

static int onoff_interval;
module_param(onoff_interval, int, 0444);
MODULE_PARM_DESC(onoff_interval, "Milliseconds between CPU offline/online operations (0: no hotplug)");

static int onoff_holdoff;
module_param(onoff_holdoff, int, 0444);
MODULE_PARM_DESC(onoff_holdoff, "Seconds after the start before the first CPU hotplug operation");

/* One kind of operation: offline or online. */
struct onoff_op {
	atomic_long_t tries;
	atomic_long_t ok;
	unsigned long min_ms, max_ms;	/* only the onoff kthread writes */
};

enum onoff_kind { ONOFF_OFFLINE, ONOFF_ONLINE, NR_ONOFF_KINDS };

static struct onoff_op onoff_ops[NR_ONOFF_KINDS];
static struct task_struct *onoff_task;
static enum cpuhp_state onoff_cpuhp_state;
static bool onoff_cpuhp_registered;
static void (*onoff_online_fn)(unsigned int cpu);

/* The documented ranges (README.md, "Torture"), checked at load. */
static const struct param_range onoff_ranges[] = {
	PARAM_RANGE(onoff_interval, 0, 3600000),
	PARAM_RANGE(onoff_holdoff, 0, 3600),
};

int onoff_check_params(void)
{
	return param_ranges_check(onoff_ranges, ARRAY_SIZE(onoff_ranges));
}

int onoff_interval_ms(void)
{
	return onoff_interval;
}

int onoff_holdoff_s(void)
{
	return onoff_holdoff;
}

/* Sleep up to `ms`; false when the run stops (kthread_stop() wakes us). */
static bool onoff_sleep(unsigned long ms)
{
	schedule_timeout_interruptible(max(1UL, msecs_to_jiffies(ms)));
	return !kthread_should_stop() && !torture_stopping();
}

static int onoff_do(enum onoff_kind kind, unsigned int cpu)
{
	struct onoff_op *op = &onoff_ops[kind];
	unsigned long t0 = jiffies, ms;
	int ret;

	atomic_long_inc(&op->tries);
	ret = kind == ONOFF_OFFLINE ? remove_cpu(cpu) : add_cpu(cpu);
	if (ret) {
		pr_info("cpu %u %s: %d\n", cpu,
			kind == ONOFF_OFFLINE ? "offline" : "online", ret);
		return ret;
	}
	ms = jiffies_to_msecs(jiffies - t0);
	if (!atomic_long_read(&op->ok) || ms < op->min_ms)
		op->min_ms = ms;
	op->max_ms = max(op->max_ms, ms);
	atomic_long_inc(&op->ok);
	return 0;
}

/* A random online CPU other than the boot CPU; -1 if there is none. */
static int onoff_pick(u32 *rnd)
{
	unsigned int n = 0, i;
	int cpu;

	for_each_online_cpu(cpu)
		if (cpu != cpumask_first(cpu_possible_mask))
			n++;
	if (!n)
		return -1;
	*rnd = *rnd * 1103515245 + 12345;
	i = (*rnd >> 8) % n;
	for_each_online_cpu(cpu)
		if (cpu != cpumask_first(cpu_possible_mask) && i-- == 0)
			return cpu;
	return -1;
}

static int onoff_fn(void *arg)
{
	u32 rnd = 0x9e3779b9;
	int cpu;

	if (onoff_holdoff > 0 && !onoff_sleep(onoff_holdoff * 1000UL))
		goto out;
	while (!kthread_should_stop() && !torture_stopping()) {
		/* Keep two CPUs online: the nesting needs a holder and a waiter. */
		cpu = num_online_cpus() > 2 ? onoff_pick(&rnd) : -1;
		if (cpu < 0) {
			if (!onoff_sleep(onoff_interval))
				break;
			continue;
		}
		if (onoff_do(ONOFF_OFFLINE, cpu) == 0) {
			onoff_sleep(onoff_interval);
			/* Back online even when stopping: leave no CPU behind. */
			onoff_do(ONOFF_ONLINE, cpu);
		}
		if (!onoff_sleep(onoff_interval))
			break;
	}
out:
	while (!kthread_should_stop())
		schedule_timeout_interruptible(HZ / 10);
	return 0;
}

static int onoff_cpu_online(unsigned int cpu)
{
	if (onoff_online_fn && !torture_stopping())
		onoff_online_fn(cpu);
	return 0;
}

/**
 * onoff_start - start the hotplug kthread if onoff_interval asks for one
 * @online_fn: called on each CPU that comes back, from its hotplug thread
 *
 * Return: 0, or the error that prevented the start.
 */
int onoff_start(void (*online_fn)(unsigned int cpu))
{
	int ret, k;

	for (k = 0; k < NR_ONOFF_KINDS; k++) {
		atomic_long_set(&onoff_ops[k].tries, 0);
		atomic_long_set(&onoff_ops[k].ok, 0);
		onoff_ops[k].min_ms = onoff_ops[k].max_ms = 0;
	}
	if (onoff_interval < 0 || onoff_holdoff < 0) {
		pr_alert("onoff_interval=%d onoff_holdoff=%d: must be >= 0\n",
			 onoff_interval, onoff_holdoff);
		return -EINVAL;
	}
	if (onoff_interval == 0)
		return 0;
	onoff_online_fn = online_fn;
	ret = cpuhp_setup_state_nocalls(CPUHP_AP_ONLINE_DYN, "qspin_torture:online",
					onoff_cpu_online, NULL);
	if (ret < 0) {
		pr_alert("onoff: cpuhp_setup_state: %d\n", ret);
		return ret;
	}
	onoff_cpuhp_state = ret;
	onoff_cpuhp_registered = true;
	onoff_task = kthread_run(onoff_fn, NULL, "qspin_torture_onoff");
	if (IS_ERR(onoff_task)) {
		ret = PTR_ERR(onoff_task);
		onoff_task = NULL;
		onoff_stop();
		return ret;
	}
	return 0;
}

/* Stop the kthread (its CPU back online first), then the online callback. */
void onoff_stop(void)
{
	if (onoff_task)
		kthread_stop(onoff_task);
	onoff_task = NULL;
	if (onoff_cpuhp_registered)
		cpuhp_remove_state_nocalls(onoff_cpuhp_state);
	onoff_cpuhp_registered = false;
}

/* locktorture's format: "onoff: on_ok/on_tries:off_ok/off_tries min,max:min,max (ms)". */
void onoff_print(const char *type)
{
	struct onoff_op *off = &onoff_ops[ONOFF_OFFLINE];
	struct onoff_op *on = &onoff_ops[ONOFF_ONLINE];

	pr_alert("%s-torture: onoff: %ld/%ld:%ld/%ld %lu,%lu:%lu,%lu (ms)\n", type,
		 atomic_long_read(&on->ok), atomic_long_read(&on->tries),
		 atomic_long_read(&off->ok), atomic_long_read(&off->tries),
		 on->min_ms, on->max_ms, off->min_ms, off->max_ms);
}

/* At the end: every online attempt worked and every present CPU is online. */
bool onoff_check(void)
{
	long on_fail = atomic_long_read(&onoff_ops[ONOFF_ONLINE].tries) -
		       atomic_long_read(&onoff_ops[ONOFF_ONLINE].ok);
	bool ok = true;
	int cpu;

	if (onoff_interval <= 0)
		return true;
	if (on_fail) {
		pr_alert("onoff: %ld CPU online operations failed\n", on_fail);
		ok = false;
	}
	for_each_present_cpu(cpu) {
		if (!cpu_online(cpu)) {
			pr_alert("onoff: cpu %d left offline\n", cpu);
			ok = false;
		}
	}
	return ok;
}
