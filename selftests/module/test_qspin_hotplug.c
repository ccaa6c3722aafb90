// SPDX-License-Identifier: GPL-2.0
/*
 * test_qspin_hotplug.ko: a CPU goes offline right after the validator and
 * the lockup watchdog had records of it (a waiter record, then a held-lock
 * record), and comes back; the watchdog's reports before, while and after
 * must name the CPUs that really wait and hold, never a stale one. Loaded
 * by selftests/qspin_hotplug.sh (which sets spin_timeout_ms to 300 and
 * reads the reports back from dmesg between this module's markers).
 *
 * The CPUs: this task stays on the boot CPU; "gone" (the lowest other CPU,
 * never the boot CPU) goes offline and back; "holder" and "waiter" are the
 * next two. Every phase is one lockup on the same lock, hp_lock: a kthread
 * bound to one CPU holds it until told, another waits for it with
 * qspin_lock_checked() from its own call site (the watchdog reports once
 * per lock, waiter site and kind), gets -ETIMEDOUT after spin_timeout_ms,
 * and the report is printed between "report NAME begin" and "end":
 *
 *   phase          holder  waiter  then
 *   waiter-gone    holder  gone    gone had a wait record of hp_lock
 *   holder-gone    gone    waiter  gone had a held record of hp_lock;
 *                                  gone goes offline
 *   after-offline  holder  waiter  (nothing may name gone)
 *                                  gone comes back online
 *   after-online   holder  waiter  (gone < holder: a stale held record
 *                                  on gone would be found first)
 *   parked         sleeper waiter  a kthread on gone takes hp_lock and
 *                  on gone         sleeps under it (the bug: the kernel's
 *                                  "scheduling while atomic", qspin's
 *                                  sleeping report); its record is parked
 *                                  with it (parked.c); gone goes offline;
 *                                  the report names the task, not gone;
 *                                  then it wakes elsewhere and releases
 *
 * Checked here: each waiter's -ETIMEDOUT, one watchdog report per phase,
 * the lock word 0 and no queue node busy at the end, the CPU offline and
 * back. The report texts are checked by the script.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/atomic.h>
#include <linux/cpu.h>
#include <linux/cpumask.h>
#include <linux/delay.h>
#include <linux/kthread.h>
#include <linux/ktime.h>
#include <linux/module.h>
#include <linux/sched.h>
#include <linux/sched/task.h>
#include <qspin.h>
#include <qspin/debug.h>

#include "kselftest_module.h"
#include "tq_check.h"

static DEFINE_QSPINLOCK(hp_lock);

/* One phase's waiter call site: each its own report. */
enum hp_phase {
	PH_WAITER_GONE,
	PH_HOLDER_GONE,
	PH_AFTER_OFFLINE,
	PH_AFTER_ONLINE,
	PH_PARKED,
	NR_PHASES
};

static const char *const phase_names[NR_PHASES] = {
	"waiter-gone", "holder-gone", "after-offline", "after-online", "parked",
};

static atomic_t holding;	/* the holder has hp_lock */
static atomic_t release;	/* the controller: let it go */
static atomic_t waiter_done;
static int waiter_ret;
static int site_seen[NR_PHASES];

/* Holds hp_lock until told, or for 10 s at most (below the stall detectors). */
static int holder_fn(void *arg)
{
	u64 end = ktime_get_ns() + 10 * NSEC_PER_SEC;

	qspin_lock(&hp_lock);
	atomic_set(&holding, 1);
	while (!atomic_read(&release) && ktime_get_ns() < end)
		cpu_relax();
	qspin_unlock(&hp_lock);
	atomic_set(&holding, 0);
	while (!kthread_should_stop())
		schedule_timeout_interruptible(1);
	return 0;
}

/*
 * Takes hp_lock, then sleeps under it until told (the bug this phase is
 * about), at most 10 s; the unlock after the wake-up, on whatever CPU the
 * scheduler picked (its own may be offline), releases the parked record.
 */
static int sleeper_fn(void *arg)
{
	unsigned long end = jiffies + 10 * HZ;

	qspin_lock(&hp_lock);
	atomic_set(&holding, 1);
	while (!atomic_read(&release) && time_before(jiffies, end))
		schedule_timeout_uninterruptible(1);
	qspin_unlock(&hp_lock);
	atomic_set(&holding, 0);
	while (!kthread_should_stop())
		schedule_timeout_interruptible(1);
	return 0;
}

/* One call site per phase: the watchdog keys its reports by site. */
static noinline int wait_at_site(enum hp_phase phase)
{
	int ret = -EINVAL;

	switch (phase) {
	case PH_WAITER_GONE:
		ret = qspin_lock_checked(&hp_lock);
		WRITE_ONCE(site_seen[0], 1);
		break;
	case PH_HOLDER_GONE:
		ret = qspin_lock_checked(&hp_lock);
		WRITE_ONCE(site_seen[1], 1);
		break;
	case PH_AFTER_OFFLINE:
		ret = qspin_lock_checked(&hp_lock);
		WRITE_ONCE(site_seen[2], 1);
		break;
	case PH_AFTER_ONLINE:
		ret = qspin_lock_checked(&hp_lock);
		WRITE_ONCE(site_seen[3], 1);
		break;
	case PH_PARKED:
		ret = qspin_lock_checked(&hp_lock);
		WRITE_ONCE(site_seen[4], 1);
		break;
	default:
		break;
	}
	if (!ret)
		qspin_unlock(&hp_lock);
	return ret;
}

static int waiter_fn(void *arg)
{
	waiter_ret = wait_at_site((enum hp_phase)(long)arg);
	atomic_set(&waiter_done, 1);
	while (!kthread_should_stop())
		schedule_timeout_interruptible(1);
	return 0;
}

static struct task_struct *start_on(int (*fn)(void *), void *arg, int cpu,
				    const char *name)
{
	struct task_struct *t = kthread_create(fn, arg, "%s/%d", name, cpu);

	if (IS_ERR(t))
		return t;
	kthread_bind(t, cpu);
	get_task_struct(t);
	wake_up_process(t);
	return t;
}

static void stop_and_put(struct task_struct *t)
{
	if (IS_ERR_OR_NULL(t))
		return;
	kthread_stop(t);
	put_task_struct(t);
}

/* Sleep-poll until cond or about `ms` have passed. */
#define WAIT_MS_UNTIL(cond, ms)						\
	({								\
		unsigned long __end = jiffies + msecs_to_jiffies(ms);	\
		bool __ok;						\
		while (!(__ok = (cond)) && time_before(jiffies, __end))	\
			schedule_timeout_uninterruptible(1);		\
		__ok;							\
	})

/*
 * One lockup: the holder on holder_cpu, a checked waiter on waiter_cpu. In
 * the parked phase the holder sleeps, and holder_cpu goes offline before
 * the waiter starts (and stays so: the caller brings it back).
 */
static void phase(enum hp_phase ph, int holder_cpu, int waiter_cpu)
{
	bool parked = ph == PH_PARKED;
	int ret;
	unsigned long lockups = qspin_lockup_count();
	struct task_struct *holder, *waiter = NULL;
	u64 timeout_ms = qspin_watchdog_timeout_ms();

	atomic_set(&holding, 0);
	atomic_set(&release, 0);
	atomic_set(&waiter_done, 0);
	waiter_ret = 1;
	pr_info("report %s begin: holder cpu %d, waiter cpu %d\n",
		phase_names[ph], holder_cpu, waiter_cpu);
	holder = start_on(parked ? sleeper_fn : holder_fn, NULL, holder_cpu,
			  parked ? "tqh_sleeper" : "tqh_holder");
	if (!CHECK(!IS_ERR(holder), "%s: no holder kthread", phase_names[ph]))
		goto out;
	if (!CHECK(WAIT_MS_UNTIL(atomic_read(&holding), 5000),
		   "%s: holder on cpu %d never took the lock", phase_names[ph],
		   holder_cpu))
		goto out;
	if (parked) {
		/* It sleeps at once; let the switch-out park its record. */
		msleep(100);
		ret = remove_cpu(holder_cpu);
		if (!CHECK(ret == 0, "%s: remove_cpu(%d): %d", phase_names[ph],
			   holder_cpu, ret))
			goto out;
		CHECK(atomic_read(&holding), "%s: the sleeper let go of the lock early",
		      phase_names[ph]);
	}
	waiter = start_on(waiter_fn, (void *)(long)ph, waiter_cpu, "tqh_waiter");
	if (!CHECK(!IS_ERR(waiter), "%s: no waiter kthread", phase_names[ph])) {
		waiter = NULL;
		goto out;
	}
	CHECK(WAIT_MS_UNTIL(atomic_read(&waiter_done), timeout_ms * 4 + 5000),
	      "%s: waiter on cpu %d never returned", phase_names[ph], waiter_cpu);
	CHECK(waiter_ret == -ETIMEDOUT, "%s: qspin_lock_checked() returned %d, want -ETIMEDOUT",
	      phase_names[ph], waiter_ret);
	CHECK(qspin_lockup_count() == lockups + 1, "%s: lockups %lu -> %lu, want one more",
	      phase_names[ph], lockups, qspin_lockup_count());
out:
	atomic_set(&release, 1);
	/* A waiter still waiting gets the lock now: both end. */
	WAIT_MS_UNTIL(!atomic_read(&holding) && (!waiter || atomic_read(&waiter_done)),
		      15000);
	stop_and_put(waiter);
	stop_and_put(holder);
	pr_info("report %s end\n", phase_names[ph]);
}

static void test_records_across_hotplug(void)
{
	int boot = cpumask_first(cpu_online_mask), cpu, gone = -1, holder = -1,
	    waiter = -1, ret;

	for_each_online_cpu(cpu) {
		if (cpu == boot)
			continue;
		if (gone < 0)
			gone = cpu;
		else if (holder < 0)
			holder = cpu;
		else if (waiter < 0)
			waiter = cpu;
	}
	if (waiter < 0) {
		SKIP("needs 4 CPUs, have %u", num_online_cpus());
		return;
	}
	pr_info("cpus: gone %d holder %d waiter %d\n", gone, holder, waiter);

	phase(PH_WAITER_GONE, holder, gone);
	phase(PH_HOLDER_GONE, gone, waiter);
	ret = remove_cpu(gone);
	if (!CHECK(ret == 0, "remove_cpu(%d): %d", gone, ret))
		return;
	CHECK(!cpu_online(gone), "cpu %d still online", gone);
	phase(PH_AFTER_OFFLINE, holder, waiter);
	ret = add_cpu(gone);
	CHECK(ret == 0, "add_cpu(%d): %d", gone, ret);
	phase(PH_AFTER_ONLINE, holder, waiter);
	phase(PH_PARKED, gone, waiter);
	if (!cpu_online(gone)) {
		ret = add_cpu(gone);
		CHECK(ret == 0, "add_cpu(%d) after the parked phase: %d", gone, ret);
	}

	CHECK(qspin_word_read(&hp_lock.word) == 0, "hp_lock word %x at the end",
	      qspin_word_read(&hp_lock.word));
	CHECK(qspin_queue_nodes_busy() == 0, "queue nodes busy at the end: %u",
	      qspin_queue_nodes_busy());
}

static void selftest(void)
{
	int boot = cpumask_first(cpu_online_mask);
	cpumask_var_t saved;
	bool pinned = alloc_cpumask_var(&saved, GFP_KERNEL);

	/* On the boot CPU: every CPU this test takes offline is another. */
	if (pinned) {
		cpumask_copy(saved, current->cpus_ptr);
		pinned = !set_cpus_allowed_ptr(current, cpumask_of(boot));
	}
	if (CHECK(pinned, "could not pin the test task to the boot CPU"))
		test_records_across_hotplug();
	if (pinned)
		set_cpus_allowed_ptr(current, saved);
	free_cpumask_var(saved);
}

KSTM_MODULE_LOADERS(test_qspin_hotplug);
MODULE_AUTHOR("qspin developers");
MODULE_DESCRIPTION("qspin: lock records and watchdog reports across CPU hotplug");
MODULE_LICENSE("GPL");
