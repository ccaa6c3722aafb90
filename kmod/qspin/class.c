// SPDX-License-Identifier: GPL-2.0
/*
 * Lock classes, as lockdep has them, and the map from a lock to its class.
 *
 *  - A class is a key and a subclass: the key is the static struct
 *    qspin_class_key of a qspin_lock_init() call site (class named after
 *    the macro's argument, "&priv->lock") or the address of a static lock
 *    (DEFINE_QSPINLOCK, named by its symbol). qspin_lock_nested() makes
 *    (key, subclass) classes of their own, named "name/subclass".
 *  - qspinlock_t stays 4 bytes: qspin_map_lock (class.h) maps a lock's
 *    address to its class. Lookups are lock-free; inserts, removals and
 *    every class change happen under qspin_graph_lock.
 *  - A lock seen for the first time without qspin_lock_init() is a class
 *    of its own when it is a static object (in qspin.ko's or a client
 *    module's data or bss: lockdep's static_obj() idea; qspin locks cannot
 *    be in vmlinux); anything else (the stack, kmalloc memory) is reported
 *    once, "used without init", and gets a class anyway.
 *  - A module that unloads takes its classes with it (module notifier,
 *    MODULE_STATE_GOING): the graph forgets them, the map drops their
 *    locks, and a lock in the module's memory still held is reported.
 *
 * Pools, all preallocated: QSPIN_MAX_CLASSES classes, QSPIN_MAP_SIZE map
 * slots (at most QSPIN_MAP_PROBES probed), QSPIN_MAX_MODULES client modules
 * tracked. A full pool is reported once (QSPIN_REPORT_POOL_FULL) and the
 * lock concerned goes unvalidated; everything else goes on.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/debugfs.h>
#include <linux/kernel.h>
#include <linux/module.h>
#include <linux/seq_file.h>
#include <linux/string.h>

#include "class.h"
#include "graph.h"
#include "internal.h"

#define QSPIN_CLASS_NAME_LEN 64

struct qspin_class {
	const void *key;	/* NULL: a free slot */
	unsigned int subclass;
	unsigned int base;	/* the subclass-0 class */
	char name[QSPIN_CLASS_NAME_LEN];
	struct qspin_site first;	/* where it was initialised or first taken */
	struct qspin_site usage_site[QSPIN_USAGE_NR];
};

static struct qspin_class qspin_classes[QSPIN_MAX_CLASSES];
static unsigned int qspin_nr_classes;	/* in use */
u8 qspin_usage_bits[QSPIN_MAX_CLASSES];
u8 qspin_usage_missing[QSPIN_MAX_CLASSES];
unsigned long qspin_map_lock[QSPIN_MAP_SIZE];
u32 qspin_map_cls[QSPIN_MAP_SIZE];

/* Classes by (key, subclass): open addressing over class ids + 1 (0: free). */
#define QSPIN_CLASS_HASH_BITS 11
static u16 qspin_class_hash[1U << QSPIN_CLASS_HASH_BITS];

/* The pools, for QSPIN_REPORT_POOL_FULL's key. */
enum qspin_class_pool {
	QSPIN_POOL_CLASSES = 1,
	QSPIN_POOL_LOCK_MAP,
	QSPIN_POOL_MODULES,
};

static const char *const qspin_usage_names[QSPIN_USAGE_NR] = {
	[QSPIN_USED_IN_HARDIRQ] = "IN-HARDIRQ",
	[QSPIN_USED_IN_SOFTIRQ] = "IN-SOFTIRQ",
	[QSPIN_ENABLED_HARDIRQ] = "HARDIRQ-ON",
	[QSPIN_ENABLED_SOFTIRQ] = "SOFTIRQ-ON",
};

const char *qspin_usage_name(unsigned int u)
{
	return u < QSPIN_USAGE_NR ? qspin_usage_names[u] : "?";
}

static void qspin_pool_full(enum qspin_class_pool pool, const char *what,
			    unsigned int size)
{
	if (!qspin_report_start(QSPIN_REPORT_POOL_FULL, pool, 0))
		return;
	pr_err(" the %s pool is full (%u): locks beyond it go unvalidated, everything else is still checked\n",
	       what, size);
	pr_err(" fix: fewer distinct %s, or a larger pool in kmod/qspin/class.h\n",
	       what);
	qspin_report_end();
}

/* ---- the class, by id (validate.h) ---------------------------------- */

const char *qspin_class_name(unsigned int cls)
{
	if (cls >= QSPIN_MAX_CLASSES || !READ_ONCE(qspin_classes[cls].key))
		return "(none)";
	return qspin_classes[cls].name;
}

unsigned long qspin_class_usage(unsigned int cls)
{
	return cls < QSPIN_MAX_CLASSES ? READ_ONCE(qspin_usage_bits[cls]) : 0;
}

const struct qspin_site *qspin_class_usage_site(unsigned int cls,
						enum qspin_usage u)
{
	static const struct qspin_site none;

	if (cls >= QSPIN_MAX_CLASSES || u >= QSPIN_USAGE_NR)
		return &none;
	return &qspin_classes[cls].usage_site[u];
}

bool qspin_class_mark_usage(unsigned int cls, enum qspin_usage u,
			    const struct qspin_site *site)
{
	lockdep_assert_held(&qspin_graph_lock);
	if (cls >= QSPIN_MAX_CLASSES || (qspin_usage_bits[cls] & BIT(u)))
		return false;
	qspin_classes[cls].usage_site[u] = *site;
	/* The site before the bit: a reader that sees the bit sees the site. */
	smp_store_release(&qspin_usage_bits[cls],
			  qspin_usage_bits[cls] | BIT(u));
	/* The complement after the bit: one test on the inline path. */
	smp_store_release(&qspin_usage_missing[cls],
			  qspin_usage_missing[cls] & ~BIT(u));
	return true;
}

void qspin_class_reset_usage(void)
{
	unsigned int i;

	lockdep_assert_held(&qspin_graph_lock);
	for (i = 0; i < QSPIN_MAX_CLASSES; i++) {
		WRITE_ONCE(qspin_usage_missing[i], QSPIN_USAGE_ALL);
		WRITE_ONCE(qspin_usage_bits[i], 0);
		memset(qspin_classes[i].usage_site, 0,
		       sizeof(qspin_classes[i].usage_site));
	}
}

/* ---- classes by key ------------------------------------------------- */

static unsigned int qspin_class_hash_slot(const void *key, unsigned int sub)
{
	return hash_long((unsigned long)key ^ sub, QSPIN_CLASS_HASH_BITS);
}

static unsigned int qspin_class_find(const void *key, unsigned int sub)
{
	unsigned int i = qspin_class_hash_slot(key, sub), n, id;

	for (n = 0; n < ARRAY_SIZE(qspin_class_hash); n++) {
		id = qspin_class_hash[i];
		if (!id)
			break;
		if (qspin_classes[id - 1].key == key &&
		    qspin_classes[id - 1].subclass == sub)
			return id - 1;
		i = (i + 1) & (ARRAY_SIZE(qspin_class_hash) - 1);
	}
	return QSPIN_CLASS_NONE;
}

/* Rebuilt after classes go (module unload): open addressing has no delete. */
static void qspin_class_hash_rebuild(void)
{
	unsigned int c, i;

	memset(qspin_class_hash, 0, sizeof(qspin_class_hash));
	for (c = 0; c < QSPIN_MAX_CLASSES; c++) {
		if (!qspin_classes[c].key)
			continue;
		i = qspin_class_hash_slot(qspin_classes[c].key,
					  qspin_classes[c].subclass);
		while (qspin_class_hash[i])
			i = (i + 1) & (ARRAY_SIZE(qspin_class_hash) - 1);
		qspin_class_hash[i] = c + 1;
	}
}

/* A new class; the name is printf'd. QSPIN_CLASS_NONE when the pool is full. */
static __printf(5, 6) unsigned int
qspin_class_new(const void *key, unsigned int sub, unsigned int base,
		unsigned long ip, const char *fmt, ...)
{
	struct qspin_class *c = NULL;
	unsigned int id, i;
	va_list args;

	lockdep_assert_held(&qspin_graph_lock);
	for (id = 0; id < QSPIN_MAX_CLASSES; id++) {
		if (!qspin_classes[id].key) {
			c = &qspin_classes[id];
			break;
		}
	}
	if (!c) {
		qspin_pool_full(QSPIN_POOL_CLASSES, "lock class",
				QSPIN_MAX_CLASSES);
		return QSPIN_CLASS_NONE;
	}
	memset(c, 0, sizeof(*c));
	c->subclass = sub;
	c->base = base == QSPIN_CLASS_NONE ? id : base;
	c->first.ip = ip;
	va_start(args, fmt);
	vsnprintf(c->name, sizeof(c->name), fmt, args);
	va_end(args);
	WRITE_ONCE(qspin_usage_missing[id], QSPIN_USAGE_ALL);
	WRITE_ONCE(qspin_usage_bits[id], 0);
	/* Perhaps the id of a module's class gone: its lock_stat goes too. */
	qspin_lockstat_forget_class(id);
	smp_store_release(&c->key, key);
	i = qspin_class_hash_slot(key, sub);
	while (qspin_class_hash[i])
		i = (i + 1) & (ARRAY_SIZE(qspin_class_hash) - 1);
	qspin_class_hash[i] = id + 1;
	qspin_nr_classes++;
	return id;
}

unsigned int qspin_class_subclass(unsigned int base, unsigned int subclass)
{
	const struct qspin_class *b;
	unsigned int cls;

	if (!subclass || base >= QSPIN_MAX_CLASSES)
		return base;
	b = &qspin_classes[base];
	cls = qspin_class_find(b->key, subclass);
	if (cls != QSPIN_CLASS_NONE)
		return cls;
	return qspin_class_new(b->key, subclass, base, b->first.ip, "%s/%u",
			       b->name, subclass);
}

/* ---- the lock -> class map ------------------------------------------- */

/* Map `lock` to `cls` (insert or update); false when no slot was free. */
static bool qspin_map_set(qspinlock_t *lock, unsigned int cls)
{
	unsigned long key = (unsigned long)lock, k;
	unsigned int i = qspin_map_slot(key), n, free = QSPIN_MAP_SIZE;

	lockdep_assert_held(&qspin_graph_lock);
	for (n = 0; n < QSPIN_MAP_PROBES; n++) {
		k = qspin_map_lock[i];
		if (k == key) {
			WRITE_ONCE(qspin_map_cls[i], cls);
			return true;
		}
		if (k == QSPIN_MAP_GONE && free == QSPIN_MAP_SIZE)
			free = i;
		if (!k) {
			if (free == QSPIN_MAP_SIZE)
				free = i;
			break;
		}
		i = (i + 1) & (QSPIN_MAP_SIZE - 1);
	}
	if (free == QSPIN_MAP_SIZE) {
		qspin_pool_full(QSPIN_POOL_LOCK_MAP, "lock map",
				QSPIN_MAP_SIZE);
		return false;
	}
	WRITE_ONCE(qspin_map_cls[free], cls);
	smp_store_release(&qspin_map_lock[free], key);
	return true;
}

/* ---- static objects: qspin.ko's and its client modules' data ---------- */

/* Modules loaded after qspin.ko: every module that can use a qspin lock. */
#define QSPIN_MAX_MODULES 64
static struct module *qspin_modules[QSPIN_MAX_MODULES];

static bool qspin_static_obj(const void *addr)
{
	unsigned int i;

	if (within_module_core((unsigned long)addr, THIS_MODULE))
		return true;
	for (i = 0; i < QSPIN_MAX_MODULES; i++)
		if (qspin_modules[i] &&
		    within_module_core((unsigned long)addr, qspin_modules[i]))
			return true;
	return false;
}

/* The symbol of a static lock: "my_lock", or "my_state+0x10/0x40". */
static void qspin_static_name(const void *addr, char *buf, size_t size)
{
	char *mod;

	snprintf(buf, size, "%pS", addr);
	if (strstr(buf, "+0x0/"))
		snprintf(buf, size, "%ps", addr);
	mod = strstr(buf, " [");
	if (mod)
		*mod = '\0';
}

unsigned int qspin_class_register_lock(qspinlock_t *lock, unsigned long ip)
{
	char name[QSPIN_CLASS_NAME_LEN];
	unsigned long flags;
	unsigned int cls;
	bool is_static;

	raw_spin_lock_irqsave(&qspin_graph_lock, flags);
	cls = qspin_class_of(lock);	/* another CPU may have been first */
	if (cls != QSPIN_CLASS_NONE)
		goto out;
	is_static = qspin_static_obj(lock);
	if (is_static) {
		qspin_static_name(lock, name, sizeof(name));
		cls = qspin_class_find(lock, 0);
		if (cls == QSPIN_CLASS_NONE)
			cls = qspin_class_new(lock, 0, QSPIN_CLASS_NONE, ip,
					      "%s", name);
	} else {
		cls = qspin_class_new(lock, 0, QSPIN_CLASS_NONE, ip,
				      "(uninitialised, first taken in %ps)",
				      (void *)ip);
		if (qspin_report_start(QSPIN_REPORT_UNINITIALIZED,
				       (unsigned long)lock, ip)) {
			pr_err(" lock %px (not a static object: on the stack or allocated) was never initialised, first taken at %pS\n",
			       lock, (void *)ip);
			pr_err(" fix: call qspin_lock_init() on it before its first use (or define it with DEFINE_QSPINLOCK() at file scope)\n");
			dump_stack();
			qspin_report_end();
		}
	}
	if (cls != QSPIN_CLASS_NONE && !qspin_map_set(lock, cls))
		cls = QSPIN_CLASS_NONE;
out:
	raw_spin_unlock_irqrestore(&qspin_graph_lock, flags);
	return cls;
}

/* qspin_lock_init(): the lock becomes a member of its call site's class. */
void qspin_class_init_lock(qspinlock_t *lock, const char *name,
			   struct qspin_class_key *key, unsigned long ip)
{
	unsigned long flags;
	unsigned int cls;

	raw_spin_lock_irqsave(&qspin_graph_lock, flags);
	cls = qspin_class_find(key, 0);
	if (cls == QSPIN_CLASS_NONE)
		cls = qspin_class_new(key, 0, QSPIN_CLASS_NONE, ip, "%s",
				      name ? name : "(unnamed)");
	if (cls != QSPIN_CLASS_NONE)
		qspin_map_set(lock, cls);
	raw_spin_unlock_irqrestore(&qspin_graph_lock, flags);
}

/* ---- module unload ---------------------------------------------------- */

static bool qspin_in_module(unsigned long addr, struct module *mod)
{
	return within_module_core(addr, mod) || within_module_init(addr, mod);
}

static void qspin_class_forget_module(struct module *mod)
{
	/* Under the graph lock: one user at a time. */
	static DECLARE_BITMAP(forgot, QSPIN_MAX_CLASSES);
	unsigned int c, i, n = 0;
	unsigned long k;

	lockdep_assert_held(&qspin_graph_lock);
	bitmap_zero(forgot, QSPIN_MAX_CLASSES);
	for (c = 0; c < QSPIN_MAX_CLASSES; c++) {
		const void *key = qspin_classes[c].key;

		/*
		 * Its key is the module's (an init site's key, a static
		 * lock), or the module's code made it (a lock used without
		 * init, keyed by its address).
		 */
		if (!key || !(qspin_in_module((unsigned long)key, mod) ||
			      qspin_in_module(qspin_classes[c].first.ip, mod)))
			continue;
		qspin_graph_forget_class(c);
		__set_bit(c, forgot);
		n++;
	}
	for (i = 0; i < QSPIN_MAP_SIZE; i++) {
		k = qspin_map_lock[i];
		if (!k || k == QSPIN_MAP_GONE)
			continue;
		c = qspin_map_cls[i];
		if (qspin_in_module(k, mod) ||
		    (c < QSPIN_MAX_CLASSES && test_bit(c, forgot)))
			WRITE_ONCE(qspin_map_lock[i], QSPIN_MAP_GONE);
	}
	for (c = 0; c < QSPIN_MAX_CLASSES; c++) {
		if (!test_bit(c, forgot))
			continue;
		WRITE_ONCE(qspin_usage_missing[c], QSPIN_USAGE_ALL);
		WRITE_ONCE(qspin_usage_bits[c], 0);
		WRITE_ONCE(qspin_classes[c].key, NULL);
		qspin_nr_classes--;
	}
	if (n) {
		qspin_class_hash_rebuild();
		qspin_chains_reset();
	}
	qspin_reports_forget(mod, forgot);
}

static int qspin_module_event(struct notifier_block *nb, unsigned long state,
			      void *data)
{
	struct module *mod = data;
	unsigned long flags;
	unsigned int i;

	raw_spin_lock_irqsave(&qspin_graph_lock, flags);
	switch (state) {
	case MODULE_STATE_COMING:
		for (i = 0; i < QSPIN_MAX_MODULES; i++) {
			if (!qspin_modules[i]) {
				qspin_modules[i] = mod;
				break;
			}
		}
		if (i == QSPIN_MAX_MODULES)
			qspin_pool_full(QSPIN_POOL_MODULES, "client module",
					QSPIN_MAX_MODULES);
		break;
	case MODULE_STATE_GOING:
		qspin_class_forget_module(mod);
		for (i = 0; i < QSPIN_MAX_MODULES; i++)
			if (qspin_modules[i] == mod)
				qspin_modules[i] = NULL;
		break;
	}
	raw_spin_unlock_irqrestore(&qspin_graph_lock, flags);
	if (state == MODULE_STATE_GOING)
		qspin_held_check_freed(mod);
	return NOTIFY_OK;
}

static struct notifier_block qspin_module_nb = {
	.notifier_call = qspin_module_event,
};

bool qspin_lock_in_module(const qspinlock_t *lock, struct module *mod)
{
	return qspin_in_module((unsigned long)lock, mod);
}

int qspin_class_init(void)
{
	return register_module_notifier(&qspin_module_nb);
}

void qspin_class_exit(void)
{
	unregister_module_notifier(&qspin_module_nb);
}

/* ---- debugfs "classes" ------------------------------------------------ */

static int classes_show(struct seq_file *m, void *v)
{
	unsigned int c, u, n = 0;

	seq_puts(m, "# id usage name first-site [usage: first site]...\n");
	for (c = 0; c < QSPIN_MAX_CLASSES; c++) {
		struct qspin_class copy;
		unsigned long flags;
		u8 bits;

		raw_spin_lock_irqsave(&qspin_graph_lock, flags);
		copy = qspin_classes[c];
		bits = qspin_usage_bits[c];
		raw_spin_unlock_irqrestore(&qspin_graph_lock, flags);
		if (!copy.key)
			continue;
		n++;
		seq_printf(m, "%u %c%c%c%c \"%s\" %ps", c,
			   bits & BIT(QSPIN_USED_IN_HARDIRQ) ? '+' : '.',
			   bits & BIT(QSPIN_USED_IN_SOFTIRQ) ? '+' : '.',
			   bits & BIT(QSPIN_ENABLED_HARDIRQ) ? '-' : '.',
			   bits & BIT(QSPIN_ENABLED_SOFTIRQ) ? '-' : '.',
			   copy.name, (void *)copy.first.ip);
		for (u = 0; u < QSPIN_USAGE_NR; u++)
			if (bits & BIT(u))
				seq_printf(m, " %s:%ps", qspin_usage_names[u],
					   (void *)copy.usage_site[u].ip);
		seq_putc(m, '\n');
	}
	seq_printf(m, "# classes %u of %u\n", n, QSPIN_MAX_CLASSES);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(classes);

void qspin_class_debugfs(struct dentry *dir)
{
	debugfs_create_file("classes", 0400, dir, NULL, &classes_fops);
}
