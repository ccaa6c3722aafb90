// SPDX-License-Identifier: GPL-2.0
/*
 * lockcheck: runs the scenario matrix (cases.c) on loading and prints, to
 * the kernel log, a table (case, expected, got, PASS/FAIL), "N of M
 * testcases passed", and the same results as KTAP; the load fails with
 * -EINVAL for a bad parameter and succeeds otherwise (the results say the
 * rest). Parameters:
 *   cases=LIST  a comma list of case names, or "all" (default), "report"
 *               (the cases that expect a report in this flavour), "quiet"
 *               (those that expect none), "none"
 *   leak=1..3   (qspin flavour) a lock freed while held, see flavour_qspin.c
 *   list=1      print every case (name, family, expected verdicts), run none
 */
#define pr_fmt(fmt) "lockcheck: " fmt

#include <linux/irqflags.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/preempt.h>
#include <linux/string.h>
#include "lockcheck.h"

static char *cases = "all";
module_param(cases, charp, 0444);
MODULE_PARM_DESC(cases, "comma list of case names, or all, report, quiet");
static bool list;
module_param(list, bool, 0444);
MODULE_PARM_DESC(list, "print the cases and run none");

static enum lc_report expected(const struct lc_case *c)
{
#ifdef LOCKCHECK_QSPIN
	return c->expect;
#else
	return c->expect_lockdep == LC_NR ? c->expect : c->expect_lockdep;
#endif
}

static enum lc_report expected_lockdep(const struct lc_case *c)
{
	return c->expect_lockdep == LC_NR ? c->expect : c->expect_lockdep;
}

/* Whether @c is named by @sel, a comma list of names or a keyword. */
static bool selected(const struct lc_case *c, const char *sel)
{
	size_t n = strlen(c->name);
	const char *p = sel;

	if (!strcmp(sel, "all"))
		return true;
	if (!strcmp(sel, "report"))
		return expected(c) != LC_NONE;
	if (!strcmp(sel, "quiet"))
		return expected(c) == LC_NONE;
	if (!strcmp(sel, "none"))
		return false;
	while ((p = strstr(p, c->name))) {
		if ((p == sel || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
			return true;
		p += n;
	}
	return false;
}

/* Every name in @sel must be a case or a keyword. */
static int check_selection(const char *sel)
{
	const char *p = sel;
	unsigned int i;

	if (!strcmp(sel, "all") || !strcmp(sel, "report") || !strcmp(sel, "quiet") ||
	    !strcmp(sel, "none"))
		return 0;
	while (*p) {
		size_t n = strcspn(p, ",");
		bool found = false;

		for (i = 0; i < lc_nr_cases; i++)
			if (strlen(lc_cases[i].name) == n && !strncmp(p, lc_cases[i].name, n))
				found = true;
		if (!found) {
			pr_err("cases=: no case '%.*s' (list=1 prints them)\n", (int)n, p);
			return -EINVAL;
		}
		p += n;
		if (*p == ',')
			p++;
	}
	return 0;
}

static void mask_name(unsigned int mask, char *buf, size_t size)
{
	int r, len = 0;

	buf[0] = '\0';
	if (!mask) {
		strscpy(buf, lc_report_names[LC_NONE], size);
		return;
	}
	for (r = 1; r < LC_NR; r++)
		if (mask & LC_BIT(r))
			len += scnprintf(buf + len, size - len, "%s%s", len ? "+" : "",
					 lc_report_names[r]);
}

struct outcome {
	bool skip, pass;
	const char *why;
	unsigned int got;
};

static struct outcome run_case(struct lc_case *c)
{
	struct lc_env *e = c->env;
	struct outcome o = {};
	int saved_preempt, i, ret = 0;

	if (!lc_verdict_ready(&o.why)) {
		o.skip = true;
		return o;
	}
	memset(e, 0, sizeof(*e));
	e->irq = c->irq;
	for (i = 0; i < LC_LOCKS; i++)
		lc_init(e, i, i);
	if (c->setup)
		c->setup(e);

	pr_info("case %s: begin\n", c->name);
	saved_preempt = preempt_count();
	lc_verdict_begin();
	for (i = 0; i < LC_EVENTS && c->ev[i] && !e->skip && !ret; i++)
		ret = lc_run_in(c->ev[i]->ctx, c->ev[i]->fn, e);
	o.got = lc_verdict_end();
	lc_restore_state(saved_preempt);
	pr_info("case %s: end\n", c->name);

	if (ret) {
		o.skip = true;
		o.why = "an event could not run in its context";
	} else if (e->skip) {
		o.skip = true;
		o.why = e->skip_why;
	}
	o.pass = o.got == (expected(c) == LC_NONE ? 0 : LC_BIT(expected(c)));
	return o;
}

static void print_list(void)
{
	unsigned int i;

	pr_info("flavour %s: %u cases\n", lc_flavour, lc_nr_cases);
	for (i = 0; i < lc_nr_cases; i++) {
		const struct lc_case *c = &lc_cases[i];

		pr_info("list %s qspin=%s lockdep=%s family=\"%s\"%s%s\n", c->name,
			lc_report_names[c->expect], lc_report_names[expected_lockdep(c)],
			c->family, c->why ? " why=" : "", c->why ?: "");
	}
}

static int __init lockcheck_init(void)
{
	static struct outcome out[256];
	unsigned int i, n = 0, k = 0, passed = 0, skipped = 0;
	char got[64];
	int ret;

	BUILD_BUG_ON(ARRAY_SIZE(out) < 80);
	if (lc_nr_cases > ARRAY_SIZE(out))
		return -EINVAL;
	if (list) {
		print_list();
		return 0;
	}
	ret = check_selection(cases);
	if (ret)
		return ret;
#ifdef LOCKCHECK_QSPIN
	ret = lc_leak_run();
	if (ret)
		return ret;
#endif

	pr_info("flavour %s, cases=%s\n", lc_flavour, cases);
	for (i = 0; i < lc_nr_cases; i++)
		if (selected(&lc_cases[i], cases))
			out[i] = run_case(&lc_cases[i]), n++;

	pr_info("%-26s %-16s %-16s %s\n", "case", "expected", "got", "result");
	for (i = 0; i < lc_nr_cases; i++) {
		const struct lc_case *c = &lc_cases[i];

		if (!selected(c, cases))
			continue;
		mask_name(out[i].got, got, sizeof(got));
		pr_info("%-26s %-16s %-16s %s\n", c->name, lc_report_names[expected(c)],
			out[i].skip ? "-" : got,
			out[i].skip ? "SKIP" : out[i].pass ? "PASS" : "FAIL");
		if (out[i].skip)
			skipped++;
		else if (out[i].pass)
			passed++;
	}
	pr_info("%u of %u testcases passed\n", passed, n - skipped);
	if (skipped)
		pr_info("%u testcases skipped\n", skipped);

	/* The same results as KTAP, for qspin_lockcheck.sh. */
	pr_info("KTAP version 1\n");
	pr_info("1..%u\n", n);
	for (i = 0; i < lc_nr_cases; i++) {
		const struct lc_case *c = &lc_cases[i];

		if (!selected(c, cases))
			continue;
		k++;
		mask_name(out[i].got, got, sizeof(got));
		if (out[i].skip)
			pr_info("ok %u %s # SKIP %s\n", k, c->name, out[i].why);
		else
			pr_info("%sok %u %s # expected %s, got %s\n", out[i].pass ? "" : "not ",
				k, c->name, lc_report_names[expected(c)], got);
	}
	return 0;
}

static void __exit lockcheck_exit(void)
{
}

module_init(lockcheck_init);
module_exit(lockcheck_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("lockcheck: the validator's scenario matrix (locking-selftest's families)");
