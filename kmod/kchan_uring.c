// SPDX-License-Identifier: GPL-2.0
/*
 * kchan over io_uring: IORING_OP_URING_CMD send, receive and select.
 *
 * An operation that can complete at once does so during issue.  One that
 * cannot is parked as a real waiter (a struct kchan_uop) on the channel's
 * queue, like a blocked task but with no task asleep: the peer that
 * satisfies it completes its kchan_sel, whose @complete hook queues task
 * work on the submitter, where the message is copied to user memory and
 * the CQE posted.  No io-wq thread is held per parked operation.
 *
 * Every result is posted with io_uring_cmd_done(), also during issue, and
 * issue never returns -EAGAIN: io_uring would hand such a command to an
 * io-wq worker to block in, which is what parking avoids.
 *
 * Teardown: on 6.7+ a parked command is marked cancelable and io_uring
 * asks us (IO_URING_F_CANCEL) to end it when its ring or task goes away.
 * 6.1 has no such hook, and a task exiting with an inflight command waits
 * for it forever, so a monitor (as ublk had then) looks every 100 ms for
 * parked commands whose task is exiting or calling execve(), or whose ring
 * is being torn down, and ends them with -ECANCELED.
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/workqueue.h>

#include "kchan.h"
#include "kchan_compat.h"

struct kchan_uop {
	struct kchan_sel sel;		/* send/recv; a select has its own */
	struct kchan_waiter w;
	struct io_uring_cmd *cmd;
	struct kchan_select *s;		/* NULL unless a select */
	u64 ubuf;
	u32 flags;
#if !KCHAN_URING_CANCEL_HOOK
	struct list_head mon;		/* on kchan_uring_parked */
	struct list_head victim;	/* the monitor's own list */
	refcount_t ref;
#endif
	u8 data[];			/* the message, or room for it */
};

static struct kchan_uop **kchan_uop_slot(struct io_uring_cmd *cmd)
{
	BUILD_BUG_ON(sizeof(struct kchan_uop *) > sizeof(cmd->pdu));
	return (struct kchan_uop **)cmd->pdu;
}

static void kchan_uop_free(struct kchan_uop *uop)
{
	if (uop->s)
		kchan_select_free(uop->s);
	kfree(uop);
}

#if KCHAN_URING_CANCEL_HOOK
static void kchan_uop_track(struct kchan_uop *uop)
{
}

static void kchan_uop_untrack(struct kchan_uop *uop)
{
}

static void kchan_uop_put(struct kchan_uop *uop)
{
	kchan_uop_free(uop);
}
#else
static LIST_HEAD(kchan_uring_parked);
static DEFINE_SPINLOCK(kchan_uring_lock);
static void kchan_uring_monitor(struct work_struct *work);
static DECLARE_DELAYED_WORK(kchan_uring_work, kchan_uring_monitor);
#define KCHAN_URING_PERIOD	(HZ / 10)

static void kchan_uop_track(struct kchan_uop *uop)
{
	spin_lock(&kchan_uring_lock);
	if (list_empty(&kchan_uring_parked))
		schedule_delayed_work(&kchan_uring_work, KCHAN_URING_PERIOD);
	list_add_tail(&uop->mon, &kchan_uring_parked);
	spin_unlock(&kchan_uring_lock);
}

static void kchan_uop_untrack(struct kchan_uop *uop)
{
	spin_lock(&kchan_uring_lock);
	list_del_init(&uop->mon);
	spin_unlock(&kchan_uring_lock);
}

static void kchan_uop_put(struct kchan_uop *uop)
{
	if (refcount_dec_and_test(&uop->ref))
		kchan_uop_free(uop);
}
#endif

/* Park or finish: the peer's side of a parked operation. */
static void kchan_uring_tw(struct io_uring_cmd *cmd, unsigned int issue_flags);

static void kchan_uring_complete(struct kchan_sel *sel)
{
	struct kchan_uop *uop = sel->priv;

	io_uring_cmd_complete_in_task(uop->cmd, kchan_uring_tw);
}

static struct kchan_uop *kchan_uop_new(struct io_uring_cmd *cmd, size_t room)
{
	struct kchan_uop *uop;

	uop = kmalloc(struct_size(uop, data, room), KCHAN_GFP);
	if (!uop)
		return NULL;
	uop->cmd = cmd;
	uop->s = NULL;
	uop->flags = 0;
#if !KCHAN_URING_CANCEL_HOOK
	INIT_LIST_HEAD(&uop->mon);
	refcount_set(&uop->ref, 1);
#endif
	*kchan_uop_slot(cmd) = uop;
	return uop;
}

/* Post @res for @uop's command and let @uop go. */
static void kchan_uop_done(struct kchan_uop *uop, ssize_t res,
			   unsigned int issue_flags)
{
	struct io_uring_cmd *cmd = uop->cmd;

	kchan_uop_untrack(uop);
	kchan_uop_put(uop);
	io_uring_cmd_done(cmd, res, 0, issue_flags);
}

/* Give up a parked operation, unless a peer already completed it. */
static bool kchan_uop_cancel(struct kchan_uop *uop)
{
	struct kchan *ch = uop->w.ch;
	bool cancelled;

	if (uop->s)
		return kchan_select_cancel(uop->s);
	mutex_lock(&ch->lock);
	cancelled = kchan_sel_cancel(&uop->sel);
	if (cancelled)
		kchan_dequeue(ch, &uop->w);
	mutex_unlock(&ch->lock);
	return cancelled;
}

static void kchan_uring_tw(struct io_uring_cmd *cmd, unsigned int issue_flags)
{
	struct kchan_uop *uop = *kchan_uop_slot(cmd);
	bool dead = (issue_flags & KCHAN_URING_TASK_DEAD) ||
		    (current->flags & (PF_EXITING | PF_KTHREAD));
	ssize_t res;

	if (uop->s) {
		res = kchan_select_settle(uop->s);
		if (res == -EAGAIN && !dead) {
			/* A poll case woke falsely: wait on. */
			res = kchan_select_arm(uop->s, NULL, uop->flags);
			if (res == -EIOCBQUEUED)
				return;
		}
		if (dead)
			res = -ECANCELED;
		else if (res >= 0)
			res = kchan_select_copyout(uop->s, res);
	} else {
		res = uop->w.res;
		if (!uop->w.send && res >= 0) {
			/* Our task is gone with the memory the message was for. */
			if (dead)
				res = -ECANCELED;
			else if (res && copy_to_user(u64_to_user_ptr(uop->ubuf),
						     uop->data, res))
				res = -EFAULT;
		}
	}
	kchan_uop_done(uop, res, issue_flags);
}

/* Messages up to this size try to complete without a kchan_uop. */
#define KCHAN_URING_STAGE	128

/*
 * A kchan_uop for an operation that may park, with the message to send
 * (from @staged, or else from user memory), marked cancelable.
 */
static struct kchan_uop *kchan_uop_for(struct io_uring_cmd *cmd,
				       const struct kchan_uring_cmd *a,
				       bool send, size_t room,
				       const void *staged,
				       unsigned int issue_flags)
{
	struct kchan_uop *uop = kchan_uop_new(cmd, room);

	if (!uop)
		return ERR_PTR(-ENOMEM);
	uop->ubuf = a->addr;
	if (send && staged) {
		memcpy(uop->data, staged, room);
	} else if (send && copy_from_user(uop->data, u64_to_user_ptr(a->addr),
					  room)) {
		kchan_uop_put(uop);
		return ERR_PTR(-EFAULT);
	}
	/* Before any lock: io_uring's lock nests outside the channel's. */
	io_uring_cmd_mark_cancelable(cmd, issue_flags);
	return uop;
}

static int kchan_uring_xfer(struct io_uring_cmd *cmd, struct kchan *ch,
			    const struct kchan_uring_cmd *a, bool send,
			    unsigned int issue_flags)
{
	u8 stage[KCHAN_URING_STAGE];
	struct kchan_uop *uop = NULL;
	__poll_t wake = 0;
	size_t need, room;
	void *kbuf = stage;
	ssize_t res;

	if (a->flags)
		return -EINVAL;
	if (!(cmd->file->f_mode & (send ? FMODE_WRITE : FMODE_READ)))
		return -EBADF;
	if (send && a->len > ch->msg_size)
		return -EMSGSIZE;
	room = send ? a->len : min_t(size_t, a->len, ch->msg_size);
	if (!send && kchan_check_room(a->addr, room))
		return -EFAULT;
	if (room > sizeof(stage)) {
		uop = kchan_uop_for(cmd, a, send, room, NULL, issue_flags);
		if (IS_ERR(uop))
			return PTR_ERR(uop);
		kbuf = uop->data;
	} else if (send &&
		   copy_from_user(stage, u64_to_user_ptr(a->addr), room)) {
		return -EFAULT;
	}

again:
	mutex_lock(&ch->lock);
	if (send)
		res = kchan_try_send_locked(ch, kbuf, room, &wake);
	else
		res = kchan_try_recv_locked(ch, kbuf, a->len, &need, &wake);
	if (res == -EAGAIN && !uop) {
		/* It parks after all: it needs memory of its own. */
		mutex_unlock(&ch->lock);
		uop = kchan_uop_for(cmd, a, send, room, stage, issue_flags);
		if (IS_ERR(uop))
			return PTR_ERR(uop);
		kbuf = uop->data;
		goto again;
	}
	if (res != -EAGAIN) {
		mutex_unlock(&ch->lock);
		kchan_poll_wake(ch, wake);
		if (!send && res > 0 &&
		    copy_to_user(u64_to_user_ptr(a->addr), kbuf, res))
			res = -EFAULT;
		if (uop)
			kchan_uop_done(uop, res, issue_flags);
		else
			io_uring_cmd_done(cmd, res, 0, issue_flags);
		return -EIOCBQUEUED;
	}

	kchan_sel_init(&uop->sel, KCHAN_SEL_WAITING);
	kchan_sel_owner(&uop->sel, kchan_uring_complete, uop);
	uop->w.sel = &uop->sel;
	uop->w.ch = ch;
	uop->w.kbuf = uop->data;
	uop->w.len = send ? room : a->len;
	uop->w.res = 0;
	uop->w.index = 0;
	uop->w.send = send;
	uop->w.file = cmd->file;
	kchan_uop_track(uop);
	kchan_enqueue(ch, &uop->w);
	wake = kchan_park_events(ch, &uop->w);
	/* From the unlock on, a peer may complete and free the command. */
	kchan_get(ch);
	mutex_unlock(&ch->lock);
	kchan_poll_wake(ch, wake);
	kchan_put(ch);
	return -EIOCBQUEUED;
}

static int kchan_uring_select(struct io_uring_cmd *cmd,
			      const struct kchan_uring_cmd *a,
			      unsigned int issue_flags)
{
	struct kchan_select *s;
	struct kchan_uop *uop;
	int ret;

	s = kchan_select_new(a->addr, a->len, a->flags);
	if (IS_ERR(s))
		return PTR_ERR(s);
	uop = kchan_uop_new(cmd, 0);
	if (!uop) {
		kchan_select_free(s);
		return -ENOMEM;
	}
	uop->s = s;
	uop->flags = a->flags;
	kchan_sel_owner(kchan_select_sel(s), kchan_uring_complete, uop);
	io_uring_cmd_mark_cancelable(cmd, issue_flags);

	kchan_uop_track(uop);
	ret = kchan_select_arm(s, NULL, a->flags);
	if (ret == -EIOCBQUEUED)
		return ret;
	if (ret >= 0)
		ret = kchan_select_copyout(s, ret);
	kchan_uop_done(uop, ret, issue_flags);
	return -EIOCBQUEUED;
}

/* Copy the arguments out of the SQE, which user space may rewrite. */
static int kchan_uring_args(struct io_uring_cmd *cmd, unsigned int issue_flags,
			    struct kchan_uring_cmd *a)
{
	const struct kchan_uring_cmd *p = kchan_uring_payload(cmd);

	a->addr = READ_ONCE(p->addr);
	a->len = READ_ONCE(p->len);
	a->flags = READ_ONCE(p->flags);
	/* A 128-byte SQE has 64 more command bytes: reserved, so zero. */
	if ((issue_flags & IO_URING_F_SQE128) &&
	    memchr_inv((const u8 *)p + sizeof(*a), 0, 80 - sizeof(*a)))
		return -EINVAL;
	return 0;
}

#if KCHAN_URING_CANCEL_HOOK
static int kchan_uring_cancel(struct io_uring_cmd *cmd,
			      unsigned int issue_flags)
{
	struct kchan_uop *uop = *kchan_uop_slot(cmd);

	if (kchan_uop_cancel(uop))
		kchan_uop_done(uop, -ECANCELED, issue_flags);
	return 0;
}
#else
static int kchan_uring_cancel(struct io_uring_cmd *cmd,
			      unsigned int issue_flags)
{
	return 0;
}

/* Is anyone left to read this command's completion? */
static bool kchan_uop_orphaned(struct kchan_uop *uop)
{
	struct io_kiocb *req = (struct io_kiocb *)uop->cmd;

	BUILD_BUG_ON(offsetof(struct io_kiocb, cmd) != 0);
	/* execve() cancels a task's io_uring requests and waits for them. */
	return (req->task->flags & PF_EXITING) || req->task->in_execve ||
	       percpu_ref_is_dying(&req->ctx->refs);
}

static void kchan_uring_monitor(struct work_struct *work)
{
	struct kchan_uop *uop, *tmp;
	LIST_HEAD(victims);
	bool more;

	spin_lock(&kchan_uring_lock);
	list_for_each_entry(uop, &kchan_uring_parked, mon) {
		if (kchan_uop_orphaned(uop)) {
			refcount_inc(&uop->ref);
			list_add_tail(&uop->victim, &victims);
		}
	}
	spin_unlock(&kchan_uring_lock);

	list_for_each_entry_safe(uop, tmp, &victims, victim) {
		if (kchan_uop_cancel(uop))
			kchan_uop_done(uop, -ECANCELED, IO_URING_F_UNLOCKED);
		kchan_uop_put(uop);
	}

	spin_lock(&kchan_uring_lock);
	more = !list_empty(&kchan_uring_parked);
	if (more)
		schedule_delayed_work(&kchan_uring_work, KCHAN_URING_PERIOD);
	spin_unlock(&kchan_uring_lock);
}
#endif

int kchan_uring_cmd(struct io_uring_cmd *cmd, unsigned int issue_flags)
{
	struct kchan *ch = cmd->file->private_data;
	struct kchan_uring_cmd a;
	int ret;

	if (issue_flags & IO_URING_F_CANCEL)
		return kchan_uring_cancel(cmd, issue_flags);
	ret = kchan_uring_args(cmd, issue_flags, &a);
	if (ret)
		return ret;
	switch (cmd->cmd_op) {
	case KCHAN_URING_SEND:
		return kchan_uring_xfer(cmd, ch, &a, true, issue_flags);
	case KCHAN_URING_RECV:
		return kchan_uring_xfer(cmd, ch, &a, false, issue_flags);
	case KCHAN_URING_SELECT:
		return kchan_uring_select(cmd, &a, issue_flags);
	}
	return -ENOTTY;
}

/* /dev/kchan takes selects, so that they need no channel fd. */
int kchan_dev_uring_cmd(struct io_uring_cmd *cmd, unsigned int issue_flags)
{
	struct kchan_uring_cmd a;
	int ret;

	if (issue_flags & IO_URING_F_CANCEL)
		return kchan_uring_cancel(cmd, issue_flags);
	ret = kchan_uring_args(cmd, issue_flags, &a);
	if (ret)
		return ret;
	if (cmd->cmd_op != KCHAN_URING_SELECT)
		return -ENOTTY;
	return kchan_uring_select(cmd, &a, issue_flags);
}

void kchan_uring_exit(void)
{
#if !KCHAN_URING_CANCEL_HOOK
	cancel_delayed_work_sync(&kchan_uring_work);
#endif
}
