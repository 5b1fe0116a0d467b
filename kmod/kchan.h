/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kchan internals shared by the module's files.
 *
 * A channel is a ring of messages plus two FIFO queues of waiters, all under
 * one spinlock.  Anything that waits on a channel -- a blocking send or
 * receive, each case of a select, a parked io_uring command -- is a
 * struct kchan_waiter on one of those queues, and belongs to a
 * struct kchan_sel, the operation as a whole (Go's sudog and its g).
 * A peer that satisfies a waiter first *claims* its kchan_sel with one
 * cmpxchg, so of all the waiters one select left on many channels, exactly
 * one fires; then it moves the message under the channel lock and
 * completes the kchan_sel.  Waiters whose kchan_sel was already claimed
 * elsewhere are stale: whoever meets one on a queue unlinks and skips it.
 */
#ifndef _KCHAN_H
#define _KCHAN_H

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/wait.h>
#include <linux/refcount.h>
#include <linux/atomic.h>
#include <linux/ktime.h>
#include <linux/poll.h>
#include <linux/gfp.h>
#include <linux/uaccess.h>
#include <linux/kernel.h>
#include <linux/kchan.h>

struct file;
struct task_struct;

struct kchan {
	struct mutex lock;	/* guards everything below but id */
	u32 capacity;
	u32 msg_size;
	u32 head;		/* ring slot of the oldest message */
	u32 count;		/* buffered messages */
	u32 *lens;		/* per-slot lengths, then the slots */
	u8 *data;
	struct list_head sendq;	/* parked senders, FIFO */
	struct list_head recvq;	/* parked receivers, FIFO */
	u32 nsendq;
	u32 nrecvq;
	u32 send_ends;		/* files that may send */
	u32 recv_ends;		/* files that may receive */
	bool closed;		/* kchan_close() or last send end gone */
	bool no_receiver;	/* last receive end gone */
	wait_queue_head_t poll_wq;
	refcount_t ref;		/* one per file */
	u64 id;
	u64 sent;
	u64 received;
};

enum kchan_sel_state {
	KCHAN_SEL_ARMING,	/* select still looking: not claimable yet */
	KCHAN_SEL_WAITING,	/* parked, may be claimed */
	KCHAN_SEL_CLAIMED,	/* a peer won it and is completing it */
	KCHAN_SEL_DONE,		/* result is in the fired waiter */
	KCHAN_SEL_CANCELLED,	/* its owner gave up (timeout, signal) */
};

struct kchan_sel {
	atomic_t state;
	int fired;		/* index of the waiter that fired */
	int poll_pending;	/* a polled fd woke while ARMING */
	struct task_struct *task;	/* the sleeping owner */
	void *priv;		/* for @complete */
	/*
	 * If set, called instead of waking @task once the kchan_sel is done
	 * (io_uring completion).  Runs under a channel lock or a wait-queue
	 * lock: it must not sleep.
	 */
	void (*complete)(struct kchan_sel *sel);
};

struct kchan_waiter {
	struct list_head node;	/* on sendq/recvq; empty when unlinked */
	struct kchan_sel *sel;
	struct kchan *ch;
	void *kbuf;		/* send: the message; recv: where it goes */
	size_t len;		/* send: message length; recv: room in kbuf */
	ssize_t res;		/* send: 0; recv: length; or -errno */
	u32 index;		/* case number within the select */
	bool send;		/* on sendq (else recvq) */
	struct file *file;	/* io_uring: the file it was submitted on */
};

/* kchan_wait.c */
void kchan_sel_init(struct kchan_sel *sel, int state);
void kchan_sel_owner(struct kchan_sel *sel,
		     void (*complete)(struct kchan_sel *sel), void *priv);
bool kchan_sel_claim(struct kchan_sel *sel);
bool kchan_sel_cancel(struct kchan_sel *sel);
void kchan_sel_done(struct kchan_sel *sel);
int kchan_sel_sleep(struct kchan_sel *sel, const ktime_t *deadline);
void kchan_sel_finish(struct kchan_sel *sel);
void kchan_waiter_complete(struct kchan_waiter *w, ssize_t res);

/* kchan_chan.c */
struct kchan_op {
	void *kbuf;		/* staged message, or room for one */
	size_t len;		/* message length, or the caller's buffer size */
	size_t need;		/* recv -EMSGSIZE: length of the next message */
	bool nonblock;
	const ktime_t *deadline;	/* NULL: no timeout */
};

/*
 * Memory whose size user space chooses (buffers, staged messages): charged
 * to the caller's memory cgroup, and failing with -ENOMEM at its limit
 * rather than invoking the OOM killer.
 */
#define KCHAN_GFP	(GFP_KERNEL_ACCOUNT | __GFP_RETRY_MAYFAIL | __GFP_NOWARN)

/*
 * A receive checks that its buffer can be written before it takes a
 * message, so a bad pointer fails with -EFAULT and the message stays.
 * Each page is probed by writing back the byte it holds: unlike
 * fault_in_writeable(), which stores zeros, this leaves every byte past
 * the message as it was.  (A buffer unmapped by another thread meanwhile
 * still loses the message.)
 */
static inline int kchan_check_room(u64 ubuf, size_t len)
{
	unsigned long a = (unsigned long)ubuf, last = a + len - 1;
	char c;

	if (!len)
		return 0;
	if (!access_ok(u64_to_user_ptr(ubuf), len))
		return -EFAULT;
	for (;; a = (a | (PAGE_SIZE - 1)) + 1) {
		if (get_user(c, (char __user *)a) ||
		    put_user(c, (char __user *)a))
			return -EFAULT;
		if ((a | (PAGE_SIZE - 1)) >= last)
			return 0;
	}
}

/* The ioctl number with its size bits cleared: one name per versioned op. */
#define KCHAN_IOC_BASE(cmd)	((cmd) & ~(_IOC_SIZEMASK << _IOC_SIZESHIFT))

extern unsigned int kchan_max_capacity;
extern unsigned int kchan_max_msg_size;
extern unsigned long kchan_max_bytes;

int kchan_cache_init(void);
void kchan_cache_exit(void);
int kchan_create(const struct kchan_make_args *args);
struct kchan *kchan_from_file(struct file *file);
void kchan_get(struct kchan *ch);
void kchan_put(struct kchan *ch);
int kchan_send(struct kchan *ch, struct kchan_op *op);
int kchan_try_send_locked(struct kchan *ch, const void *kbuf, size_t len,
			  __poll_t *wake);
ssize_t kchan_try_recv_locked(struct kchan *ch, void *kbuf, size_t room,
			      size_t *need, __poll_t *wake);
void kchan_enqueue(struct kchan *ch, struct kchan_waiter *w);
void kchan_dequeue(struct kchan *ch, struct kchan_waiter *w);
__poll_t kchan_park_events(struct kchan *ch, struct kchan_waiter *w);
void kchan_poll_wake(struct kchan *ch, __poll_t mask);
ssize_t kchan_recv(struct kchan *ch, struct kchan_op *op);
int kchan_deadline(s64 timeout_ns, bool abstime, ktime_t *deadline);

static inline bool kchan_expired(const ktime_t *deadline)
{
	return deadline && ktime_compare(ktime_get(), *deadline) >= 0;
}

/* kchan_uring.c */
struct io_uring_cmd;
int kchan_uring_cmd(struct io_uring_cmd *cmd, unsigned int issue_flags);
int kchan_dev_uring_cmd(struct io_uring_cmd *cmd, unsigned int issue_flags);
void kchan_uring_exit(void);

/* kchan_select.c */
struct kchan_select;
void kchan_select_setup(void);
long kchan_ioctl_select(unsigned int cmd, unsigned long arg);
struct kchan_select *kchan_select_new(u64 ucases, u32 n, u32 flags);
void kchan_select_free(struct kchan_select *s);
struct kchan_sel *kchan_select_sel(struct kchan_select *s);
int kchan_select_arm(struct kchan_select *s, const ktime_t *deadline,
		     u32 flags);
bool kchan_select_cancel(struct kchan_select *s);
int kchan_select_settle(struct kchan_select *s);
int kchan_select_copyout(struct kchan_select *s, u32 i);

#endif /* _KCHAN_H */
