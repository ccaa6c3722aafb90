// SPDX-License-Identifier: GPL-2.0
/*
 * The demo's real interrupt: a PCI driver for QEMU's educational device
 * ("-device edu", 1234:11e8, docs/specs/edu.rst in QEMU's sources).
 *
 * BAR0 registers used here (all 32-bit):
 *   0x00  identification, 0xRRrr00ed (major, minor version)
 *   0x24  interrupt status: the bits raised and not yet acknowledged
 *   0x60  interrupt raise: ORs the value into the status, fires the IRQ
 *   0x64  interrupt acknowledge: clears those bits; INTx drops at 0
 *
 * MSI when the platform has it, else INTx. INTx is level-triggered (the
 * handler must acknowledge, or it fires forever) and, in QEMU's default
 * machine, its line is shared with the NIC: IRQF_SHARED, and IRQ_NONE when
 * the edu status is clear.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/interrupt.h>
#include <linux/io.h>
#include <linux/irq.h>
#include <linux/module.h>
#include <linux/pci.h>
#include <linux/version.h>

#include "harness.h"

/* 6.8 renamed PCI_IRQ_LEGACY to PCI_IRQ_INTX (6.10 dropped the old name). */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 8, 0)
#define PCI_IRQ_INTX PCI_IRQ_LEGACY
#endif

#define EDU_VENDOR	0x1234
#define EDU_DEVICE	0x11e8

#define EDU_REG_ID		0x00
#define EDU_REG_IRQ_STATUS	0x24
#define EDU_REG_IRQ_RAISE	0x60
#define EDU_REG_IRQ_ACK		0x64

/* The one bit the demo raises. */
#define EDU_IRQ_DEMO	0x1

struct demo_edu {
	struct pci_dev *pdev;
	void __iomem *mmio;
	int irq;
	bool msi;
};

/* The first edu device found; a second one is left alone. */
static struct demo_edu *demo_edu;
static bool demo_edu_want_msi, demo_edu_want_intx;

static irqreturn_t demo_edu_irq(int irq, void *data)
{
	struct demo_edu *edu = data;
	u32 status = ioread32(edu->mmio + EDU_REG_IRQ_STATUS);

	if (!status)
		return IRQ_NONE;	/* the shared line's other device */
	/* First: a handler that backs off must still lower the line. */
	iowrite32(status, edu->mmio + EDU_REG_IRQ_ACK);
	demo_hardirq();
	return IRQ_HANDLED;
}

/*
 * The handler's flags: IRQF_NO_THREAD (a hard handler on every kernel)
 * unless @threaded, the one lesson (irq-threaded) that shows what
 * PREEMPT_RT does with a plain request_irq(): forces it into a thread.
 */
static unsigned long demo_edu_irqflags(const struct demo_edu *edu,
				       bool threaded)
{
	return (threaded ? 0 : IRQF_NO_THREAD) | (edu->msi ? 0 : IRQF_SHARED);
}

static int demo_edu_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	unsigned int types = 0;
	struct demo_edu *edu;
	u32 ident;
	int ret, nvec;

	if (demo_edu)
		return -EBUSY;
	edu = devm_kzalloc(&pdev->dev, sizeof(*edu), GFP_KERNEL);
	if (!edu)
		return -ENOMEM;
	edu->pdev = pdev;
	ret = pcim_enable_device(pdev);
	if (ret)
		return ret;
	ret = pcim_iomap_regions(pdev, BIT(0), KBUILD_MODNAME);
	if (ret)
		return ret;
	edu->mmio = pcim_iomap_table(pdev)[0];
	/* An MSI is a memory write by the device: it needs bus mastering. */
	pci_set_master(pdev);
	ident = ioread32(edu->mmio + EDU_REG_ID);
	if ((ident & 0xff) != 0xed) {
		dev_err(&pdev->dev, "not an edu device (id 0x%08x)\n", ident);
		return -ENODEV;
	}
	/* Nothing pending from before: the line starts low. */
	iowrite32(~0U, edu->mmio + EDU_REG_IRQ_ACK);

	if (demo_edu_want_msi)
		types |= PCI_IRQ_MSI;
	if (demo_edu_want_intx)
		types |= PCI_IRQ_INTX;
	nvec = pci_alloc_irq_vectors(pdev, 1, 1, types);
	if (nvec < 0)
		return nvec;
	edu->msi = pdev->msi_enabled;
	edu->irq = pci_irq_vector(pdev, 0);
	/*
	 * IRQF_NO_THREAD: a hard handler on every kernel. On PREEMPT_RT
	 * request_irq() handlers are forced into threads, and a thread never
	 * interrupts a task that holds a spinning lock with preemption off:
	 * irq-deadlock would prove nothing (INCONCLUSIVE).
	 */
	ret = request_irq(edu->irq, demo_edu_irq, demo_edu_irqflags(edu, false),
			  KBUILD_MODNAME, edu);
	if (ret) {
		pci_free_irq_vectors(pdev);
		return ret;
	}
	pci_set_drvdata(pdev, edu);
	demo_edu = edu;
	dev_info(&pdev->dev, "edu device v%u.%u, %s, irq %d\n",
		 ident >> 24, (ident >> 16) & 0xff, edu->msi ? "MSI" : "INTx",
		 edu->irq);
	return 0;
}

static void demo_edu_remove(struct pci_dev *pdev)
{
	struct demo_edu *edu = pci_get_drvdata(pdev);

	if (!edu)
		return;
	free_irq(edu->irq, edu);
	iowrite32(~0U, edu->mmio + EDU_REG_IRQ_ACK);
	pci_free_irq_vectors(pdev);
	if (demo_edu == edu)
		demo_edu = NULL;
}

static const struct pci_device_id demo_edu_ids[] = {
	{ PCI_DEVICE(EDU_VENDOR, EDU_DEVICE) },
	{ }
};
MODULE_DEVICE_TABLE(pci, demo_edu_ids);

static struct pci_driver demo_edu_driver = {
	.name = KBUILD_MODNAME,
	.id_table = demo_edu_ids,
	.probe = demo_edu_probe,
	.remove = demo_edu_remove,
};

/* Probes synchronously: demo_edu_present() is answered on return. */
int demo_edu_register(bool want_msi, bool want_intx)
{
	demo_edu_want_msi = want_msi;
	demo_edu_want_intx = want_intx;
	return pci_register_driver(&demo_edu_driver);
}

void demo_edu_unregister(void)
{
	pci_unregister_driver(&demo_edu_driver);
}

bool demo_edu_present(void)
{
	return demo_edu;
}

void demo_edu_describe(struct demo_irq_source *src)
{
	src->name = demo_edu->msi ? "edu-msi" : "edu-intx";
	src->irq = demo_edu->irq;
	strscpy(src->dev, pci_name(demo_edu->pdev), sizeof(src->dev));
}

/*
 * Registers the handler again, as a plain request_irq() (@threaded: on
 * PREEMPT_RT a forced-threaded handler, irq/N-qspin_demo) or with
 * IRQF_NO_THREAD. Process context, no iteration running.
 */
int demo_edu_set_threaded(bool threaded)
{
	struct demo_edu *edu = demo_edu;
	int ret;

	if (!edu)
		return -ENODEV;
	free_irq(edu->irq, edu);
	ret = request_irq(edu->irq, demo_edu_irq,
			  demo_edu_irqflags(edu, threaded), KBUILD_MODNAME, edu);
	if (ret) {
		/* Back to the hard handler the other lessons need. */
		pr_err("irq %d: request_irq(%s) failed (%d)\n", edu->irq,
		       threaded ? "threaded" : "IRQF_NO_THREAD", ret);
		if (threaded && !request_irq(edu->irq, demo_edu_irq,
					     demo_edu_irqflags(edu, false),
					     KBUILD_MODNAME, edu))
			return ret;
		demo_edu = NULL;	/* no handler: the edu source is gone */
		return ret;
	}
	pr_info("irq %d: handler registered again %s\n", edu->irq, threaded ?
		"without IRQF_NO_THREAD (PREEMPT_RT forces it into a thread)" :
		"with IRQF_NO_THREAD (a hard handler)");
	return 0;
}

void demo_edu_raise(void)
{
	iowrite32(EDU_IRQ_DEMO, demo_edu->mmio + EDU_REG_IRQ_RAISE);
}

/*
 * The CPU the next interrupt goes to. Without interrupt remapping an
 * affinity change takes effect only at the next interrupt, so the process
 * side follows the IRQ rather than moving it.
 */
int demo_edu_target_cpu(void)
{
	const struct cpumask *m = irq_get_effective_affinity_mask(demo_edu->irq);
	unsigned int cpu;

	if (!m)
		return -1;
	cpu = cpumask_first_and(m, cpu_online_mask);
	return cpu < nr_cpu_ids ? cpu : -1;
}
