// SPDX-License-Identifier: GPL-2.0
/*
 * Build test: a mapped file that reads the kernel headers drivers use,
 * after the module's own header, and expands the kernel's initialiser
 * macros in its own text (DEFINE_IDA() passes `name.xa_lock` of a struct
 * that has no such member, which rules out choosing __SPIN_LOCK_UNLOCKED
 * by the type of its argument). Must compile: the header may not break a
 * kernel header, whatever it holds.
 */
#include "compat_types.h"

#include <linux/blk-mq.h>
#include <linux/blkdev.h>
#include <linux/cdev.h>
#include <linux/debugfs.h>
#include <linux/dma-mapping.h>
#include <linux/dmaengine.h>
#include <linux/etherdevice.h>
#include <linux/fs.h>
#include <linux/gpio/driver.h>
#include <linux/hrtimer.h>
#include <linux/i2c.h>
#include <linux/idr.h>
#include <linux/input.h>
#include <linux/interrupt.h>
#include <linux/kfifo.h>
#include <linux/kthread.h>
#include <linux/miscdevice.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/netdevice.h>
#include <linux/pci.h>
#include <linux/platform_device.h>
#include <linux/poll.h>
#include <linux/ratelimit.h>
#include <linux/rculist.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/serial_core.h>
#include <linux/skbuff.h>
#include <linux/slab.h>
#include <linux/spi/spi.h>
#include <linux/tty.h>
#include <linux/usb.h>
#include <linux/workqueue.h>
#include <net/sock.h>
#include <scsi/scsi_host.h>

static DEFINE_IDR(test_idr);
static DEFINE_IDA(test_ida);
static DEFINE_KFIFO(test_fifo, int, 16);
static DEFINE_SPINLOCK(test_fifo_lock);
static DECLARE_COMPLETION(test_done);
static DEFINE_SEQLOCK(test_seq);
static DEFINE_RATELIMIT_STATE(test_rs, HZ, 10);
static DECLARE_WAIT_QUEUE_HEAD(test_wq);
static DEFINE_XARRAY(test_xa);

int compat_kernel_headers(struct compat_dev *dev, struct sk_buff_head *q,
			  struct net_device *nd);
int compat_kernel_headers(struct compat_dev *dev, struct sk_buff_head *q,
			  struct net_device *nd)
{
	unsigned long flags;
	int v = 1;

	/* A kernel macro over the spin_* API, on module and kernel locks. */
	kfifo_in_spinlocked(&test_fifo, &v, 1, &test_fifo_lock);
	kfifo_in_spinlocked(&test_fifo, &v, 1, &dev->lock);
	kfifo_in_spinlocked(&test_fifo, &v, 1, &test_wq.lock);

	spin_lock_irqsave(&q->lock, flags);
	spin_unlock_irqrestore(&q->lock, flags);
	spin_lock_bh(&nd->tx_global_lock);
	spin_unlock_bh(&nd->tx_global_lock);
	write_seqlock(&test_seq);
	write_sequnlock(&test_seq);
	xa_lock(&test_xa);
	xa_unlock(&test_xa);
	complete(&test_done);
	return __ratelimit(&test_rs) + idr_is_empty(&test_idr) +
	       ida_is_empty(&test_ida);
}
EXPORT_SYMBOL_GPL(compat_kernel_headers);
