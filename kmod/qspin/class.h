/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Lock classes inside qspin.ko (class.c): the classes, their usage bits,
 * and the map from a lock's address to its class, kept outside the 4-byte
 * lock word. The lookups here are lock-free and inline: validate.c's hot
 * path uses them. Every change happens under qspin_graph_lock.
 */
#ifndef QSPIN_CLASS_H
#define QSPIN_CLASS_H

#include <linux/compiler.h>
#include <linux/hash.h>
#include <linux/types.h>
#include <qspin.h>
#include "validate.h"

/* No class: the lock is not (yet) mapped, or the pool was full. */
#define QSPIN_CLASS_NONE 0xffffU

/* Subclasses of qspin_lock_nested(): 0..7. */
#define QSPIN_MAX_SUBCLASS 8

/*
 * The lock -> class map: open addressing, keyed by the lock's address,
 * linear probing of at most QSPIN_MAP_PROBES slots. A slot's lock is 0
 * (never used: a probe stops there) or QSPIN_MAP_GONE (a removed entry: a
 * probe goes on), or a lock address (4-byte aligned, so never 1).
 */
#define QSPIN_MAP_BITS 14
#define QSPIN_MAP_SIZE (1U << QSPIN_MAP_BITS)
#define QSPIN_MAP_PROBES 32
#define QSPIN_MAP_GONE 1UL

/*
 * A slot's lock, written last (release) and read first (acquire), and its
 * base class (subclass 0): two arrays, so that the inline path indexes
 * both by the slot number without scaling it to an entry's size.
 */
extern unsigned long qspin_map_lock[QSPIN_MAP_SIZE];
extern u32 qspin_map_cls[QSPIN_MAP_SIZE];

/* Usage bits (1 << enum qspin_usage), by class id; set under the graph lock. */
extern u8 qspin_usage_bits[QSPIN_MAX_CLASSES];
/*
 * Their complement, kept with them (cleared after a bit is set, set before
 * the bits are cleared): the inline path asks "is any of these missing?"
 * with one test instruction.
 */
extern u8 qspin_usage_missing[QSPIN_MAX_CLASSES];
#define QSPIN_USAGE_ALL ((u8)(BIT(QSPIN_USAGE_NR) - 1))

/*
 * The low 32 bits of the address are enough to tell locks apart (two
 * locks 4 GiB apart only share a probe sequence), and hash_32() is one
 * multiply with an immediate where hash_long() loads a 64-bit constant.
 */
static __always_inline unsigned int qspin_map_slot(unsigned long lock)
{
	return hash_32((u32)lock, QSPIN_MAP_BITS);
}

/* The lock's base class, or QSPIN_CLASS_NONE: lock-free, any context. */
static __always_inline unsigned int qspin_class_of(const qspinlock_t *lock)
{
	unsigned long key = (unsigned long)lock, k;
	unsigned int i = qspin_map_slot(key), n;

	for (n = 0; n < QSPIN_MAP_PROBES; n++) {
		k = smp_load_acquire(&qspin_map_lock[i]);
		if (likely(k == key))
			return READ_ONCE(qspin_map_cls[i]);
		if (!k)
			break;
		i = (i + 1) & (QSPIN_MAP_SIZE - 1);
	}
	return QSPIN_CLASS_NONE;
}

/*
 * First sight of a lock that qspin_lock_init() never saw: a static lock
 * (DEFINE_QSPINLOCK in a module's data or bss) becomes a class of its own;
 * anything else is reported once as used without init and gets a class
 * all the same. Takes the graph lock; not in NMI. `ip`: the caller.
 */
unsigned int qspin_class_register_lock(qspinlock_t *lock, unsigned long ip);

/* The class of (base class, subclass), made on first use; graph lock held. */
unsigned int qspin_class_subclass(unsigned int base, unsigned int subclass);

/* Record usage `u` of `cls` at `site` if new; graph lock held. */
bool qspin_class_mark_usage(unsigned int cls, enum qspin_usage u,
			    const struct qspin_site *site);

/* Forget every class's usage states (reset); graph lock held. */
void qspin_class_reset_usage(void);

int qspin_class_init(void);
void qspin_class_exit(void);
void qspin_class_debugfs(struct dentry *dir);

#endif /* QSPIN_CLASS_H */
