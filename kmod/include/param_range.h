/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Integer module parameters with a documented range, for qspin's client
 * modules (torture, bench, demo). A value outside its range is refused with
 * -EINVAL and one line that names the parameter, the value and the range
 * ("qspin_torture: nwriters=5000 rejected: must be -1..1024"), so that a
 * typo at modprobe never turns into an hour-long hold, a timer storm or an
 * allocation the page allocator warns about.
 *
 *   param_ranges_check(table, n)   at load, for read-only (0444) int params
 *   param_set_uint_range(val, kp, min, max)
 *                                  a kernel_param_ops .set for a writable
 *                                  (0644) uint parameter, at load and at
 *                                  every write to /sys/module/M/parameters/
 *
 * Users define pr_fmt() (KBUILD_MODNAME ": ") before including this.
 */
#ifndef QSPIN_PARAM_RANGE_H
#define QSPIN_PARAM_RANGE_H

#include <linux/errno.h>
#include <linux/kernel.h>
#include <linux/moduleparam.h>
#include <linux/printk.h>
#include <linux/string.h>

struct param_range {
	const char *name;
	const int *val;
	int min, max;
};

#define PARAM_RANGE(param, lo, hi) { #param, &(param), (lo), (hi) }

/* Every out-of-range parameter is named, not only the first. */
static inline int param_ranges_check(const struct param_range *r, size_t n)
{
	int ret = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (*r[i].val >= r[i].min && *r[i].val <= r[i].max)
			continue;
		pr_err("%s=%d rejected: must be %d..%d\n", r[i].name,
		       *r[i].val, r[i].min, r[i].max);
		ret = -EINVAL;
	}
	return ret;
}

/* The value is printed up to its first newline, as echo writes it. */
static inline int param_set_uint_range(const char *val,
				       const struct kernel_param *kp,
				       unsigned int min, unsigned int max)
{
	unsigned int v;

	if (kstrtouint(val, 10, &v) || v < min || v > max) {
		pr_err("%s=%.*s rejected: must be %u..%u\n", kp->name,
		       (int)min_t(size_t, strcspn(val, "\n"), 32), val, min,
		       max);
		return -EINVAL;
	}
	*(unsigned int *)kp->arg = v;
	return 0;
}

#endif /* QSPIN_PARAM_RANGE_H */
