/* SPDX-License-Identifier: GPL-2.0 */
/*
 * qspin-demo.ko internals, shared by demo_main.c (scenarios, debugfs) and
 * demo_edu.c (the PCI driver for QEMU's edu device).
 */
#ifndef QSPIN_DEMO_H
#define QSPIN_DEMO_H

#include <linux/types.h>

/* The interrupt the hardirq scenarios raise. */
struct demo_irq_source {
	const char *name;	/* "edu-msi", "edu-intx" or "irq_work" */
	int irq;		/* Linux IRQ number, -1 for irq_work */
	char dev[32];		/* PCI address of the edu device, or "" */
};

/* demo_edu.c */
int demo_edu_register(bool want_msi, bool want_intx);
void demo_edu_unregister(void);
bool demo_edu_present(void);
void demo_edu_describe(struct demo_irq_source *src);
void demo_edu_raise(void);
int demo_edu_target_cpu(void);

/* demo_main.c: what every hardirq source calls once it has acknowledged. */
void demo_hardirq(void);

#endif /* QSPIN_DEMO_H */
