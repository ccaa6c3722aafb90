// SPDX-License-Identifier: GPL-2.0
/*
 * debugfs "queue": the qspin locks contended right now, each with its word
 * decoded, its holder, its pending waiter and its MCS queue from head to
 * tail: every waiter's CPU, node index, context, time waited and call
 * site. Writing a lock class's name or a lock's address shows that lock
 * alone (held or not); "all" shows every contended lock again.
 *
 * qspin keeps no list of its locks, and its queue nodes hold only next,
 * locked and count. The view writes nothing on any lock path: it reads
 * what is already there,
 *  - the lock words (tail cpu and index, pending, locked);
 *  - every CPU's queue nodes (lock_api.c's qspin_nodes): node[0].count
 *    nodes in use, each linked to its successor by next;
 *  - the watchdog's wait records (watchdog.c): per CPU and context, the
 *    lock waited for, since when and the caller, written around the slow
 *    path by the instrumented path with the validator on (the default).
 *    They say which locks are contended, and who waits in which context;
 *  - the validator's held records (held.h): the holder's CPU, context and
 *    call site, found as the watchdog finds it.
 * So the plain path (stats=0 validate=0) pays nothing, and what it does is
 * not seen: with the validator off there are no wait records, no holder
 * records, and only a lock named by its address shows (its word and the
 * queue behind its tail, without contexts or times).
 *
 * Safe to read while queues change: a best-effort picture that cannot
 * crash or loop.
 *  - A lock word is read with copy_from_kernel_nofault(): a wait record's
 *    lock may have been freed since, a written address may be anything.
 *  - Queue nodes are per-CPU static memory, always mapped: each node in use
 *    is read once per read of the file (READ_ONCE), into a snapshot; a next
 *    pointer is never followed, only looked up among the snapshot's node
 *    addresses.
 *  - The walk starts at the tail the word names and goes back to the head:
 *    a node's predecessor is the node in use whose next points to it
 *    (binary search of the snapshot sorted by next); the head is the node
 *    nobody points to. Each node is visited at most once (a bitmap), so
 *    the walk takes at most nr_cpu_ids * QSPIN_MAX_NODES steps; a node
 *    seen twice ends it with a note, never a loop.
 * A waiter may move on between two reads: lines may disagree by one hand-
 * over, and a node just taken may still show a stale link.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bitmap.h>
#include <linux/bsearch.h>
#include <linux/ctype.h>
#include <linux/debugfs.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/sched/clock.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include <qspin.h>
#include "class.h"
#include "core_env.h"
#include "internal.h"

/* ---- which locks: all contended ones, one class, or one address ------ */

enum qspin_queue_filter {
	QSPIN_QUEUE_ALL,	/* every lock a wait record names */
	QSPIN_QUEUE_CLASS,	/* those of one class, by its name */
	QSPIN_QUEUE_ADDR,	/* one lock, by its address, held or not */
};

static const char *const qspin_queue_filter_names[] = {
	[QSPIN_QUEUE_ALL] = "all",
	[QSPIN_QUEUE_CLASS] = "class",
	[QSPIN_QUEUE_ADDR] = "lock",
};

#define QSPIN_QUEUE_NAME_MAX 64

static struct {
	enum qspin_queue_filter kind;
	unsigned int cls;
	const qspinlock_t *lock;
} qspin_queue_filter;
static DEFINE_MUTEX(qspin_queue_filter_mutex);

/* ---- the snapshot --------------------------------------------------- */

/* A node in use with a successor: slot = cpu * QSPIN_MAX_NODES + index. */
struct qspin_queue_link {
	unsigned long next;
	unsigned int slot;
};

struct qspin_queue_wait {
	const qspinlock_t *lock;	/* NULL: not waiting */
	u64 since;
	unsigned long ip;
	bool claimed;			/* placed in the queue already */
};

struct qspin_queue_snap {
	u64 now;			/* local_clock() at the snapshot */
	unsigned int nr_slots;
	u8 *in_use;			/* per CPU: node[0].count, capped */
	struct qspin_queue_link *links;	/* sorted by next */
	unsigned int nr_links;
	struct qspin_queue_wait *wait;	/* [cpu * QSPIN_CTX_NR + ctx] */
	unsigned long *visited;		/* per slot, for one walk */
	unsigned int *chain;		/* the walk, tail first */
	struct qspin_queue_wait **node_wait;	/* chain[i]'s wait record */
};

static unsigned long qspin_queue_node_addr(unsigned int slot)
{
	struct qspin_node_block *b =
		qspin_env_cpu_nodes(slot / QSPIN_MAX_NODES);

	return (unsigned long)&b->node[slot % QSPIN_MAX_NODES];
}

static bool qspin_queue_slot_in_use(const struct qspin_queue_snap *s,
				    unsigned int slot)
{
	return slot % QSPIN_MAX_NODES < s->in_use[slot / QSPIN_MAX_NODES];
}

static int qspin_queue_link_cmp(const void *a, const void *b)
{
	unsigned long x = ((const struct qspin_queue_link *)a)->next;
	unsigned long y = ((const struct qspin_queue_link *)b)->next;

	return x < y ? -1 : x > y;
}

static void qspin_queue_snap_free(struct qspin_queue_snap *s)
{
	kvfree(s->in_use);
	kvfree(s->links);
	kvfree(s->wait);
	bitmap_free(s->visited);
	kvfree(s->chain);
	kvfree(s->node_wait);
}

static int qspin_queue_snap_take(struct qspin_queue_snap *s)
{
	unsigned int cpu, idx, c;

	memset(s, 0, sizeof(*s));
	s->nr_slots = nr_cpu_ids * QSPIN_MAX_NODES;
	s->in_use = kvcalloc(nr_cpu_ids, sizeof(*s->in_use), GFP_KERNEL);
	s->links = kvcalloc(s->nr_slots, sizeof(*s->links), GFP_KERNEL);
	s->wait = kvcalloc(nr_cpu_ids * QSPIN_CTX_NR, sizeof(*s->wait),
			   GFP_KERNEL);
	s->visited = bitmap_zalloc(s->nr_slots, GFP_KERNEL);
	s->chain = kvcalloc(s->nr_slots, sizeof(*s->chain), GFP_KERNEL);
	s->node_wait = kvcalloc(s->nr_slots, sizeof(*s->node_wait), GFP_KERNEL);
	if (!s->in_use || !s->links || !s->wait || !s->visited || !s->chain ||
	    !s->node_wait) {
		qspin_queue_snap_free(s);
		return -ENOMEM;
	}

	s->now = local_clock();
	for_each_possible_cpu(cpu) {
		struct qspin_node_block *b = qspin_env_cpu_nodes(cpu);
		unsigned int used = READ_ONCE(b->node[0].count);

		s->in_use[cpu] = min_t(unsigned int, used, QSPIN_MAX_NODES);
		for (idx = 0; idx < s->in_use[cpu]; idx++) {
			unsigned long next =
				(unsigned long)READ_ONCE(b->node[idx].next);

			if (!next)
				continue;
			s->links[s->nr_links].next = next;
			s->links[s->nr_links].slot = cpu * QSPIN_MAX_NODES + idx;
			s->nr_links++;
		}
		for (c = 0; c < QSPIN_CTX_NR; c++) {
			struct qspin_queue_wait *w =
				&s->wait[cpu * QSPIN_CTX_NR + c];

			w->lock = qspin_wait_peek(cpu, c, &w->since, &w->ip);
		}
	}
	sort(s->links, s->nr_links, sizeof(*s->links), qspin_queue_link_cmp,
	     NULL);
	return 0;
}

/* The node in use whose next points at `slot`'s node; -1: none (the head). */
static int qspin_queue_pred(const struct qspin_queue_snap *s,
			    unsigned int slot)
{
	struct qspin_queue_link key = { .next = qspin_queue_node_addr(slot) };
	const struct qspin_queue_link *l;

	l = bsearch(&key, s->links, s->nr_links, sizeof(*s->links),
		    qspin_queue_link_cmp);
	return l ? l->slot : -1;
}

/* ---- one lock -------------------------------------------------------- */

static const char *qspin_queue_lock_name(const qspinlock_t *lock, char *buf,
					 size_t size)
{
	unsigned int cls = qspin_class_of(lock);

	if (cls != QSPIN_CLASS_NONE)
		return qspin_class_name(cls);
	snprintf(buf, size, "%ps", lock);
	return buf;
}

static u64 qspin_queue_waited_us(const struct qspin_queue_snap *s,
				 const struct qspin_queue_wait *w)
{
	/* Another CPU's clock may be a little ahead of ours. */
	return w->since < s->now ? div_u64(s->now - w->since, NSEC_PER_USEC) : 0;
}

static void qspin_queue_show_wait(struct seq_file *m,
				  const struct qspin_queue_snap *s,
				  const struct qspin_queue_wait *w)
{
	if (!w) {
		seq_puts(m, " ctx=? waited_us=? ip=?\n");
		return;
	}
	seq_printf(m, " ctx=%s waited_us=%llu ip=%pS\n",
		   qspin_ctx_names[(w - s->wait) % QSPIN_CTX_NR],
		   qspin_queue_waited_us(s, w), (void *)w->ip);
}

/*
 * The wait record of the queued node (cpu, idx) of `lock`: the rank-th
 * context of that CPU waiting for it, lowest first (a lower context's
 * node has the lower index), rank being how many nodes of that CPU with a
 * lower index are in this queue too (more than 0 only in a self-deadlock).
 */
static struct qspin_queue_wait *
qspin_queue_claim(struct qspin_queue_snap *s, const qspinlock_t *lock,
		  unsigned int cpu, unsigned int rank)
{
	unsigned int c;

	for (c = 0; c < QSPIN_CTX_NR; c++) {
		struct qspin_queue_wait *w = &s->wait[cpu * QSPIN_CTX_NR + c];

		if (w->lock != lock || rank--)
			continue;
		w->claimed = true;
		return w;
	}
	return NULL;
}

enum qspin_queue_walk_end {
	QSPIN_WALK_HEAD,	/* a node nobody links to: the head */
	QSPIN_WALK_SEEN,	/* a node seen before: links changed under us */
	QSPIN_WALK_NO_QUEUE,	/* the tail is 0 */
	QSPIN_WALK_BAD_TAIL,	/* the tail's CPU does not exist */
};

static const char *const qspin_queue_walk_ends[] = {
	[QSPIN_WALK_HEAD] = "head reached",
	[QSPIN_WALK_SEEN] = "stopped: a node seen twice (the queue moved under the walk)",
	[QSPIN_WALK_NO_QUEUE] = "no queue",
	[QSPIN_WALK_BAD_TAIL] = "stopped: the tail names no possible CPU",
};

/* From the tail back to the head: s->chain[0..*n), tail first. */
static enum qspin_queue_walk_end
qspin_queue_walk(struct qspin_queue_snap *s, struct qspin_word_fields f,
		 unsigned int *n)
{
	int slot;

	*n = 0;
	if (f.tail_cpu < 0)
		return QSPIN_WALK_NO_QUEUE;
	if (f.tail_cpu >= nr_cpu_ids || !cpu_possible(f.tail_cpu))
		return QSPIN_WALK_BAD_TAIL;
	bitmap_zero(s->visited, s->nr_slots);
	slot = f.tail_cpu * QSPIN_MAX_NODES + f.tail_idx;
	/* Bounded: each of the nr_slots slots is entered at most once. */
	do {
		if (test_and_set_bit(slot, s->visited))
			return QSPIN_WALK_SEEN;
		s->chain[(*n)++] = slot;
		slot = qspin_queue_pred(s, slot);
	} while (slot >= 0);
	return QSPIN_WALK_HEAD;
}

static void qspin_queue_show_lock(struct seq_file *m,
				  struct qspin_queue_snap *s,
				  const qspinlock_t *lock)
{
	char buf[KSYM_SYMBOL_LEN];
	struct qspin_word_fields f;
	enum qspin_queue_walk_end end;
	enum qspin_ctx hctx;
	unsigned long hip;
	unsigned int i, n, c, cpu, pending;
	u32 val;
	int hcpu;

	/* %px: root only, and the address is what one writes back to pick it. */
	seq_printf(m, "lock %s 0x%px", qspin_queue_lock_name(lock, buf,
							     sizeof(buf)), lock);
	if (copy_from_kernel_nofault(&val, &lock->word.val, sizeof(val))) {
		seq_puts(m, " unreadable (freed since?)\n");
		return;
	}
	f = qspin_decode_word(val);
	seq_printf(m, " word=0x%08x locked=%u pending=%u tail_cpu=%d tail_idx=%u\n",
		   val, f.locked, f.pending, f.tail_cpu, f.tail_idx);

	if (qspin_wait_holder_of(lock, &hcpu, &hctx, &hip))
		seq_printf(m, "  holder cpu=%d ctx=%s ip=%pS\n", hcpu,
			   qspin_ctx_names[hctx], (void *)hip);
	else
		seq_printf(m, "  holder %s\n", f.locked ?
			   "unknown (no held record: validator off, or taken before it was on)" :
			   "none");

	end = qspin_queue_walk(s, f, &n);
	/* Each queued node's wait record first: the rest are not queued. */
	for (i = 0; i < n; i++) {
		unsigned int slot = s->chain[i], rank = 0, j;

		cpu = slot / QSPIN_MAX_NODES;
		for (j = 0; j < n; j++)
			rank += s->chain[j] / QSPIN_MAX_NODES == cpu &&
				s->chain[j] < slot;
		s->node_wait[i] = qspin_queue_claim(s, lock, cpu, rank);
	}

	/*
	 * Waiting, not queued: the pending waiter (the longest waiting, if
	 * the pending bit is set), or one on its way into the queue.
	 */
	for (pending = f.pending;; pending = 0) {
		struct qspin_queue_wait *w, *oldest = NULL;

		for (i = 0; i < nr_cpu_ids * QSPIN_CTX_NR; i++) {
			w = &s->wait[i];
			if (w->lock == lock && !w->claimed &&
			    (!oldest || w->since < oldest->since))
				oldest = w;
		}
		if (!oldest)
			break;
		oldest->claimed = true;
		c = oldest - s->wait;
		seq_printf(m, "  %s cpu=%u", pending ? "pending" : "entering",
			   c / QSPIN_CTX_NR);
		qspin_queue_show_wait(m, s, oldest);
	}

	/* Head first. */
	for (i = n; i-- > 0;) {
		unsigned int slot = s->chain[i];

		seq_printf(m, "  queued pos=%u cpu=%u node=%u%s", n - i,
			   slot / QSPIN_MAX_NODES, slot % QSPIN_MAX_NODES,
			   qspin_queue_slot_in_use(s, slot) ? "" : " (left)");
		qspin_queue_show_wait(m, s, s->node_wait[i]);
	}
	seq_printf(m, "  queue %u waiter%s, %s\n", n, n == 1 ? "" : "s",
		   qspin_queue_walk_ends[end]);
}

static bool qspin_queue_wanted(const qspinlock_t *lock)
{
	if (qspin_queue_filter.kind == QSPIN_QUEUE_CLASS)
		return qspin_class_of(lock) == qspin_queue_filter.cls;
	return true;
}

static int queue_show(struct seq_file *m, void *v)
{
	struct qspin_queue_snap s;
	unsigned int i, j, shown = 0;
	int ret;

	ret = qspin_queue_snap_take(&s);
	if (ret)
		return ret;
	mutex_lock(&qspin_queue_filter_mutex);
	seq_printf(m, "filter %s", qspin_queue_filter_names[qspin_queue_filter.kind]);
	if (qspin_queue_filter.kind == QSPIN_QUEUE_CLASS)
		seq_printf(m, " %s", qspin_class_name(qspin_queue_filter.cls));
	else if (qspin_queue_filter.kind == QSPIN_QUEUE_ADDR)
		seq_printf(m, " 0x%px", qspin_queue_filter.lock);
	seq_putc(m, '\n');

	if (qspin_queue_filter.kind == QSPIN_QUEUE_ADDR) {
		qspin_queue_show_lock(m, &s, qspin_queue_filter.lock);
		shown++;
		goto out;
	}
	/* Every lock a wait record names, once, in CPU and context order. */
	for (i = 0; i < nr_cpu_ids * QSPIN_CTX_NR; i++) {
		const qspinlock_t *lock = s.wait[i].lock;

		if (!lock || !qspin_queue_wanted(lock))
			continue;
		for (j = 0; j < i && s.wait[j].lock != lock; j++)
			;
		if (j < i)
			continue;
		qspin_queue_show_lock(m, &s, lock);
		shown++;
	}
out:
	if (!shown)
		seq_puts(m, "no contended lock\n");
	mutex_unlock(&qspin_queue_filter_mutex);
	qspin_queue_snap_free(&s);
	return 0;
}

/* ---- what to show: "all", a class name, or a lock's address ---------- */

static unsigned int qspin_queue_find_class(const char *name)
{
	unsigned int cls;

	for (cls = 0; cls < QSPIN_MAX_CLASSES; cls++)
		if (!strcmp(qspin_class_name(cls), name))
			return cls;
	return QSPIN_CLASS_NONE;
}

static int qspin_queue_set_filter(const char *word)
{
	unsigned long addr;
	unsigned int cls;
	const char *p;
	u32 val;

	if (!strcmp(word, "all")) {
		qspin_queue_filter.kind = QSPIN_QUEUE_ALL;
		return 0;
	}
	if (!strncmp(word, "0x", 2)) {
		if (kstrtoul(word, 16, &addr) || !addr || addr % 4 ||
		    copy_from_kernel_nofault(&val, (void *)addr, sizeof(val))) {
			pr_warn("queue: \"%s\" rejected: not the address of a readable, 4-byte aligned lock\n",
				word);
			return -EINVAL;
		}
		qspin_queue_filter.kind = QSPIN_QUEUE_ADDR;
		qspin_queue_filter.lock = (const qspinlock_t *)addr;
		return 0;
	}
	for (p = word; *p; p++) {
		if (!isgraph(*p)) {
			pr_warn("queue: write rejected: not a lock class name (a character that is not printable)\n");
			return -EINVAL;
		}
	}
	cls = qspin_queue_find_class(word);
	if (cls == QSPIN_CLASS_NONE || !strcmp(word, "(none)")) {
		pr_warn("queue: \"%s\" rejected: no lock class of that name (debugfs classes lists them); write all, a class name or 0xADDRESS\n",
			word);
		return -EINVAL;
	}
	qspin_queue_filter.kind = QSPIN_QUEUE_CLASS;
	qspin_queue_filter.cls = cls;
	return 0;
}

static ssize_t queue_write(struct file *file, const char __user *ubuf,
			   size_t len, loff_t *ppos)
{
	char buf[QSPIN_QUEUE_NAME_MAX];
	int ret = qspin_debugfs_word(ubuf, len, buf, sizeof(buf));

	if (ret == -EINVAL || (!ret && !buf[0])) {
		pr_warn("queue: write rejected: empty, or longer than %d characters\n",
			QSPIN_QUEUE_NAME_MAX - 1);
		return -EINVAL;
	}
	if (ret)
		return ret;
	mutex_lock(&qspin_queue_filter_mutex);
	ret = qspin_queue_set_filter(buf);
	mutex_unlock(&qspin_queue_filter_mutex);
	return ret ? ret : len;
}
QSPIN_DEFINE_RW_ATTRIBUTE(queue);

void qspin_queue_debugfs(struct dentry *dir)
{
	debugfs_create_file("queue", 0600, dir, NULL, &queue_fops);
}
