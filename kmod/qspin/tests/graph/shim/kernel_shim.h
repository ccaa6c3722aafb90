/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Just enough of the kernel's headers for kmod/qspin/graph.c to compile and
 * run in user space, single-threaded, for graph_test.c: every linux/ header
 * graph.c includes is a one-line file in shim/linux/ that includes this.
 * Locks are no-ops (one thread); printk appends to a buffer the tests read;
 * %pS prints as a plain pointer.
 */
#ifndef QSPIN_KERNEL_SHIM_H
#define QSPIN_KERNEL_SHIM_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#define KBUILD_MODNAME "qspin"

typedef uint16_t u16;
#define U16_MAX ((u16)~0U)
#define BIT(n) (1UL << (n))
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define KSYM_SYMBOL_LEN 512
#define swap(a, b)							\
	do {								\
		__typeof__(a) __tmp = (a);				\
		(a) = (b);						\
		(b) = __tmp;						\
	} while (0)
#define READ_ONCE(x) (*(volatile __typeof__(x) *)&(x))
#define WRITE_ONCE(x, v) (*(volatile __typeof__(x) *)&(x) = (v))
#define BUILD_BUG_ON(c) _Static_assert(!(c), #c)

/* WARN_ON_ONCE: counted, so a test can require that none fired. */
extern unsigned long shim_warnings;
#define WARN_ON_ONCE(c)							\
	({								\
		bool __c = !!(c);					\
		if (__c) {						\
			shim_warnings++;				\
			fprintf(stderr, "WARN_ON_ONCE(%s) at %s:%d\n",	\
				#c, __FILE__, __LINE__);		\
		}							\
		__c;							\
	})

typedef struct { int unused; } raw_spinlock_t;
#define DEFINE_RAW_SPINLOCK(name) raw_spinlock_t name
#define raw_spin_lock_irqsave(l, f) ((void)(l), (f) = 0)
#define raw_spin_unlock_irqrestore(l, f) ((void)(l), (void)(f))

/* printk: into shim_log (the tests look for lines in it). */
extern char shim_log[1 << 20];
extern size_t shim_log_len;
void shim_printk(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#define pr_warn(fmt, ...) shim_printk(pr_fmt(fmt), ##__VA_ARGS__)
#define pr_err(fmt, ...) shim_printk(pr_fmt(fmt), ##__VA_ARGS__)

/* seq_file and debugfs, as far as graph.c's `dependencies` file uses them. */
struct inode;
struct dentry;
struct module;
#define THIS_MODULE ((struct module *)NULL)

struct seq_file {
	void *private;
	char buf[1 << 22];
	size_t count;
};

struct file {
	struct seq_file *seq;
};

struct seq_operations {
	void *(*start)(struct seq_file *m, loff_t *pos);
	void (*stop)(struct seq_file *m, void *v);
	void *(*next)(struct seq_file *m, void *v, loff_t *pos);
	int (*show)(struct seq_file *m, void *v);
};

struct file_operations {
	struct module *owner;
	int (*open)(struct inode *inode, struct file *file);
	ssize_t (*read)(struct file *file, char *buf, size_t len, loff_t *pos);
	loff_t (*llseek)(struct file *file, loff_t off, int whence);
	int (*release)(struct inode *inode, struct file *file);
};

void seq_printf(struct seq_file *m, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int seq_open_private(struct file *file, const struct seq_operations *ops,
		     int size);
int seq_release_private(struct inode *inode, struct file *file);
ssize_t seq_read(struct file *file, char *buf, size_t len, loff_t *pos);
loff_t seq_lseek(struct file *file, loff_t off, int whence);
struct dentry *debugfs_create_file(const char *name, unsigned short mode,
				   struct dentry *parent, void *data,
				   const struct file_operations *fops);

#endif /* QSPIN_KERNEL_SHIM_H */
