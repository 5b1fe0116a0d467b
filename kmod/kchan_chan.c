// SPDX-License-Identifier: GPL-2.0
/*
 * kchan channels: the ring, the waiter queues, and the channel file.
 *
 * Invariants (Go's, under ch->lock): parked receivers exist only while the
 * ring is empty, parked senders only while it is full (always, when the
 * capacity is 0).  So a sender first hands its message straight to the
 * oldest live receiver, and a receiver that takes the oldest message from
 * a full ring refills it from the oldest live sender: no one is woken just
 * to retry, FIFO order holds, and one message completes one waiter.
 *
 * Messages are staged in kernel memory by the caller before the lock is
 * taken, and copied out after it is dropped, so no user copy (and no page
 * fault) ever happens under a channel lock.  The lock is a mutex: a select
 * holds the locks of all its channels at once, more than the preempt count
 * allows spinlocks to nest.
 */
#include <linux/anon_inodes.h>
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/mm.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/uio.h>

#include "kchan.h"

/* Messages up to this size are staged on the stack. */
#define KCHAN_STAGE_INLINE	256

static struct kmem_cache *kchan_cachep;
static atomic64_t kchan_ids = ATOMIC64_INIT(0);
static const struct file_operations kchan_fops;

/* A kernel copy of one message: on the stack when small. */
struct kchan_stage {
	void *buf;
	u8 inline_buf[KCHAN_STAGE_INLINE];
};

static int kchan_stage_get(struct kchan_stage *st, size_t size)
{
	st->buf = st->inline_buf;
	if (size > KCHAN_STAGE_INLINE) {
		st->buf = kvmalloc(size, KCHAN_GFP);
		if (!st->buf)
			return -ENOMEM;
	}
	return 0;
}

static void kchan_stage_put(struct kchan_stage *st)
{
	if (st->buf != st->inline_buf)
		kvfree(st->buf);
}

/* ---- Queues ---------------------------------------------------------- */

static void kchan_unlink(struct kchan *ch, struct list_head *q,
			 struct kchan_waiter *w)
{
	list_del_init(&w->node);
	if (q == &ch->sendq)
		ch->nsendq--;
	else
		ch->nrecvq--;
}

/* The oldest waiter on @q that can still fire, left queued; or NULL. */
static struct kchan_waiter *kchan_peek(struct kchan *ch, struct list_head *q)
{
	struct kchan_waiter *w, *tmp;

	list_for_each_entry_safe(w, tmp, q, node) {
		if (atomic_read(&w->sel->state) == KCHAN_SEL_WAITING)
			return w;
		/* Its select fired elsewhere or gave up: drop it. */
		kchan_unlink(ch, q, w);
	}
	return NULL;
}

/* The oldest live waiter on @q, claimed and unlinked; or NULL. */
static struct kchan_waiter *kchan_claim(struct kchan *ch, struct list_head *q)
{
	struct kchan_waiter *w;

	while ((w = kchan_peek(ch, q))) {
		kchan_unlink(ch, q, w);
		if (kchan_sel_claim(w->sel))
			return w;
	}
	return NULL;
}

static bool kchan_has_live(struct kchan *ch, struct list_head *q)
{
	struct kchan_waiter *w;

	list_for_each_entry(w, q, node)
		if (atomic_read(&w->sel->state) == KCHAN_SEL_WAITING)
			return true;
	return false;
}

/* Complete every live waiter on @q with @res (close, last end gone). */
static void kchan_fail_all(struct kchan *ch, struct list_head *q, ssize_t res)
{
	struct kchan_waiter *w;

	while ((w = kchan_claim(ch, q)))
		kchan_waiter_complete(w, res);
}

void kchan_poll_wake(struct kchan *ch, __poll_t mask)
{
	if (mask && wq_has_sleeper(&ch->poll_wq))
		wake_up_poll(&ch->poll_wq, mask);
}

/* ---- Ring ------------------------------------------------------------ */

static u32 kchan_slot(struct kchan *ch, u32 n)
{
	n += ch->head;
	return n >= ch->capacity ? n - ch->capacity : n;
}

static void kchan_ring_push(struct kchan *ch, const void *msg, size_t len)
{
	u32 slot = kchan_slot(ch, ch->count);

	ch->lens[slot] = len;
	if (len)
		memcpy(ch->data + (size_t)slot * ch->msg_size, msg, len);
	ch->count++;
}

static size_t kchan_ring_head_len(struct kchan *ch)
{
	return ch->lens[ch->head];
}

static void kchan_ring_pop(struct kchan *ch, void *buf)
{
	size_t len = ch->lens[ch->head];

	if (len)
		memcpy(buf, ch->data + (size_t)ch->head * ch->msg_size, len);
	ch->head = kchan_slot(ch, 1);
	ch->count--;
}

/* ---- Send and receive --------------------------------------------------- */

void kchan_enqueue(struct kchan *ch, struct kchan_waiter *w)
{
	if (w->send) {
		list_add_tail(&w->node, &ch->sendq);
		ch->nsendq++;
	} else {
		list_add_tail(&w->node, &ch->recvq);
		ch->nrecvq++;
	}
}

void kchan_dequeue(struct kchan *ch, struct kchan_waiter *w)
{
	if (!list_empty(&w->node))
		kchan_unlink(ch, w->send ? &ch->sendq : &ch->recvq, w);
}

/* The readiness a newly parked waiter gives the other side. */
__poll_t kchan_park_events(struct kchan *ch, struct kchan_waiter *w)
{
	/* On a buffered channel the ring already made that side ready. */
	if (ch->capacity)
		return 0;
	return w->send ? EPOLLIN | EPOLLRDNORM : EPOLLOUT | EPOLLWRNORM;
}

/*
 * Try to send @len bytes staged at @kbuf, without blocking (ch->lock held).
 * Returns 0 or -errno when the send is over, -EAGAIN when it would block.
 */
int kchan_try_send_locked(struct kchan *ch, const void *kbuf, size_t len,
			  __poll_t *wake)
{
	struct kchan_waiter *w;

	if (ch->closed || ch->no_receiver)
		return -EPIPE;
	while ((w = kchan_claim(ch, &ch->recvq))) {
		if (len > w->len) {
			/* Too big for that receiver: it fails, the message stays. */
			w->len = len;
			kchan_waiter_complete(w, -EMSGSIZE);
			continue;
		}
		if (len)
			memcpy(w->kbuf, kbuf, len);
		ch->sent++;
		ch->received++;
		kchan_waiter_complete(w, len);
		return 0;
	}
	if (ch->count < ch->capacity) {
		kchan_ring_push(ch, kbuf, len);
		ch->sent++;
		*wake |= EPOLLIN | EPOLLRDNORM;
		return 0;
	}
	return -EAGAIN;
}

/*
 * Try to receive into @kbuf, whose caller can take @room bytes, without
 * blocking (ch->lock held).  Returns the length or -errno when the receive
 * is over (-EMSGSIZE with *@need set: the message stays), -EAGAIN when it
 * would block.
 */
ssize_t kchan_try_recv_locked(struct kchan *ch, void *kbuf, size_t room,
			      size_t *need, __poll_t *wake)
{
	struct kchan_waiter *w;
	size_t len;

	if (ch->count) {
		len = kchan_ring_head_len(ch);
		if (len > room) {
			*need = len;
			return -EMSGSIZE;
		}
		kchan_ring_pop(ch, kbuf);
		ch->received++;
		/* A slot came free: the oldest parked sender takes it. */
		w = kchan_claim(ch, &ch->sendq);
		if (w) {
			kchan_ring_push(ch, w->kbuf, w->len);
			ch->sent++;
			kchan_waiter_complete(w, 0);
		} else {
			*wake |= EPOLLOUT | EPOLLWRNORM;
		}
		return len;
	}
	/* Unbuffered: take the message straight from the oldest sender. */
	while ((w = kchan_peek(ch, &ch->sendq))) {
		if (w->len > room) {
			*need = w->len;
			return -EMSGSIZE;
		}
		kchan_unlink(ch, &ch->sendq, w);
		if (!kchan_sel_claim(w->sel))
			continue;
		len = w->len;
		if (len)
			memcpy(kbuf, w->kbuf, len);
		ch->sent++;
		ch->received++;
		/* From here on @w may be gone: its owner is free to return. */
		kchan_waiter_complete(w, 0);
		return len;
	}
	return ch->closed ? -EPIPE : -EAGAIN;
}

/*
 * Finish a single send or receive that would block (ch->lock held, dropped
 * here): give up at once if asked to, else park as @w and sleep.
 */
static ssize_t kchan_block(struct kchan *ch, struct kchan_waiter *w,
			   struct kchan_op *op)
	__releases(&ch->lock)
{
	struct kchan_sel sel;
	int ret;

	if (op->nonblock || kchan_expired(op->deadline)) {
		mutex_unlock(&ch->lock);
		return op->nonblock ? -EAGAIN : -ETIMEDOUT;
	}
	kchan_sel_init(&sel, KCHAN_SEL_WAITING);
	kchan_sel_owner(&sel, NULL, NULL);
	w->sel = &sel;
	w->ch = ch;
	w->index = 0;
	w->res = 0;
	kchan_enqueue(ch, w);
	mutex_unlock(&ch->lock);
	kchan_poll_wake(ch, kchan_park_events(ch, w));

	ret = kchan_sel_sleep(&sel, op->deadline);
	if (ret) {
		mutex_lock(&ch->lock);
		if (kchan_sel_cancel(&sel)) {
			kchan_dequeue(ch, w);
			mutex_unlock(&ch->lock);
			return ret;
		}
		mutex_unlock(&ch->lock);
		kchan_sel_finish(&sel);
	}
	return w->res;
}

/* Send the message staged at @op->kbuf, @op->len bytes. */
int kchan_send(struct kchan *ch, struct kchan_op *op)
{
	struct kchan_waiter self = { .kbuf = op->kbuf, .len = op->len,
				     .send = true };
	__poll_t wake = 0;
	int ret;

	if (op->len > ch->msg_size)
		return -EMSGSIZE;
	mutex_lock(&ch->lock);
	ret = kchan_try_send_locked(ch, op->kbuf, op->len, &wake);
	if (ret == -EAGAIN)
		return kchan_block(ch, &self, op);
	mutex_unlock(&ch->lock);
	kchan_poll_wake(ch, wake);
	return ret;
}

/* Receive one message into @op->kbuf; the caller can take @op->len bytes. */
ssize_t kchan_recv(struct kchan *ch, struct kchan_op *op)
{
	struct kchan_waiter self = { .kbuf = op->kbuf, .len = op->len };
	__poll_t wake = 0;
	ssize_t ret;

	mutex_lock(&ch->lock);
	ret = kchan_try_recv_locked(ch, op->kbuf, op->len, &op->need, &wake);
	if (ret == -EAGAIN) {
		ret = kchan_block(ch, &self, op);
		if (ret == -EMSGSIZE)
			op->need = self.len;
		return ret;
	}
	mutex_unlock(&ch->lock);
	kchan_poll_wake(ch, wake);
	return ret;
}

/* Go's close(): drain for receivers, -EPIPE for every sender. */
static int kchan_close_locked(struct kchan *ch)
{
	if (ch->closed)
		return -EPIPE;
	ch->closed = true;
	kchan_fail_all(ch, &ch->recvq, -EPIPE);
	kchan_fail_all(ch, &ch->sendq, -EPIPE);
	return 0;
}

static int kchan_close(struct kchan *ch)
{
	int ret;

	mutex_lock(&ch->lock);
	ret = kchan_close_locked(ch);
	mutex_unlock(&ch->lock);
	if (!ret)
		kchan_poll_wake(ch, EPOLLIN | EPOLLRDNORM | EPOLLOUT |
				EPOLLWRNORM | EPOLLHUP);
	return ret;
}

/* ---- Lifetime ------------------------------------------------------------ */

void kchan_get(struct kchan *ch)
{
	refcount_inc(&ch->ref);
}

void kchan_put(struct kchan *ch)
{
	if (!refcount_dec_and_test(&ch->ref))
		return;
	kvfree(ch->lens);
	kmem_cache_free(kchan_cachep, ch);
}

/* A new file on @ch for the directions in @fmode (FMODE_READ = receive). */
static int kchan_new_fd(struct kchan *ch, fmode_t fmode, unsigned int flags)
{
	struct file *file;
	int fd, oflags;

	oflags = (flags & O_NONBLOCK);
	if ((fmode & (FMODE_READ | FMODE_WRITE)) == (FMODE_READ | FMODE_WRITE))
		oflags |= O_RDWR;
	else if (fmode & FMODE_WRITE)
		oflags |= O_WRONLY;
	else
		oflags |= O_RDONLY;

	fd = get_unused_fd_flags(flags & O_CLOEXEC);
	if (fd < 0)
		return fd;

	refcount_inc(&ch->ref);
	mutex_lock(&ch->lock);
	if (fmode & FMODE_WRITE)
		ch->send_ends++;
	if (fmode & FMODE_READ)
		ch->recv_ends++;
	mutex_unlock(&ch->lock);

	file = anon_inode_getfile("[kchan]", &kchan_fops, ch, oflags);
	if (IS_ERR(file)) {
		/* No release will run: undo the end counts by hand. */
		mutex_lock(&ch->lock);
		if (fmode & FMODE_WRITE)
			ch->send_ends--;
		if (fmode & FMODE_READ)
			ch->recv_ends--;
		mutex_unlock(&ch->lock);
		put_unused_fd(fd);
		kchan_put(ch);
		return PTR_ERR(file);
	}
	file->f_mode |= FMODE_NOWAIT;
	fd_install(fd, file);
	return fd;
}

int kchan_create(const struct kchan_make_args *args)
{
	struct kchan *ch;
	size_t bytes;
	int fd;

	if (args->flags & ~(KCHAN_CLOEXEC | KCHAN_NONBLOCK))
		return -EINVAL;
	if (args->reserved0 || args->reserved[0] || args->reserved[1])
		return -EINVAL;
	if (args->capacity > READ_ONCE(kchan_max_capacity) ||
	    args->msg_size > READ_ONCE(kchan_max_msg_size) ||
	    (u64)args->capacity * args->msg_size > READ_ONCE(kchan_max_bytes))
		return -EINVAL;

	ch = kmem_cache_zalloc(kchan_cachep, GFP_KERNEL_ACCOUNT);
	if (!ch)
		return -ENOMEM;
	if (args->capacity) {
		bytes = (size_t)args->capacity * (sizeof(u32) + args->msg_size);
		ch->lens = kvmalloc(bytes, KCHAN_GFP);
		if (!ch->lens) {
			kmem_cache_free(kchan_cachep, ch);
			return -ENOMEM;
		}
		ch->data = (u8 *)(ch->lens + args->capacity);
	}
	mutex_init(&ch->lock);
	ch->capacity = args->capacity;
	ch->msg_size = args->msg_size;
	INIT_LIST_HEAD(&ch->sendq);
	INIT_LIST_HEAD(&ch->recvq);
	init_waitqueue_head(&ch->poll_wq);
	refcount_set(&ch->ref, 1);
	ch->id = atomic64_inc_return(&kchan_ids);

	fd = kchan_new_fd(ch, FMODE_READ | FMODE_WRITE, args->flags);
	kchan_put(ch);		/* the file holds it now, if any */
	return fd;
}

struct kchan *kchan_from_file(struct file *file)
{
	return file->f_op == &kchan_fops ? file->private_data : NULL;
}

/* ---- The channel file ---------------------------------------------------- */

static int kchan_release(struct inode *inode, struct file *file)
{
	struct kchan *ch = file->private_data;
	__poll_t wake = 0;

	mutex_lock(&ch->lock);
	if ((file->f_mode & FMODE_WRITE) && !--ch->send_ends &&
	    !kchan_close_locked(ch))
		wake |= EPOLLIN | EPOLLRDNORM | EPOLLHUP;
	if ((file->f_mode & FMODE_READ) && !--ch->recv_ends) {
		/* No one can ever receive: fail senders rather than leak them. */
		ch->no_receiver = true;
		kchan_fail_all(ch, &ch->sendq, -EPIPE);
		wake |= EPOLLOUT | EPOLLWRNORM | EPOLLERR;
	}
	mutex_unlock(&ch->lock);
	kchan_poll_wake(ch, wake);
	kchan_put(ch);
	return 0;
}

/*
 * close(2) of an fd.  A parked io_uring command holds a reference on the
 * file it was submitted on, so closing the last fd does not release the
 * file while one is parked, and the command would wait on a channel no
 * one can reach through that file.  If those commands are all that is
 * left holding it, end them with -EPIPE, as a release would.
 */
static int kchan_flush(struct file *file, fl_owner_t id)
{
	struct kchan *ch = file->private_data;
	struct kchan_waiter *w, *tmp;
	long parked = 0;
	int q;

	mutex_lock(&ch->lock);
	for (q = 0; q < 2; q++)
		list_for_each_entry(w, q ? &ch->recvq : &ch->sendq, node)
			parked += w->file == file;
	/* One reference is the fd being closed. */
	if (parked && file_count(file) == parked + 1) {
		for (q = 0; q < 2; q++) {
			struct list_head *head = q ? &ch->recvq : &ch->sendq;

			list_for_each_entry_safe(w, tmp, head, node) {
				if (w->file != file)
					continue;
				kchan_unlink(ch, head, w);
				if (kchan_sel_claim(w->sel))
					kchan_waiter_complete(w, -EPIPE);
			}
		}
	}
	mutex_unlock(&ch->lock);
	return 0;
}

static __poll_t kchan_poll(struct file *file, poll_table *wait)
{
	struct kchan *ch = file->private_data;
	__poll_t mask = 0;

	poll_wait(file, &ch->poll_wq, wait);

	mutex_lock(&ch->lock);
	if ((file->f_mode & FMODE_READ) &&
	    (ch->count || ch->closed || kchan_has_live(ch, &ch->sendq)))
		mask |= EPOLLIN | EPOLLRDNORM;
	if ((file->f_mode & FMODE_WRITE) &&
	    (ch->count < ch->capacity || ch->closed || ch->no_receiver ||
	     kchan_has_live(ch, &ch->recvq)))
		mask |= EPOLLOUT | EPOLLWRNORM;
	if ((file->f_mode & FMODE_WRITE) && ch->no_receiver)
		mask |= EPOLLERR;
	if (ch->closed)
		mask |= EPOLLHUP;
	mutex_unlock(&ch->lock);
	return mask;
}

static bool kchan_file_nonblock(struct kiocb *iocb)
{
	return (iocb->ki_filp->f_flags & O_NONBLOCK) ||
	       (iocb->ki_flags & IOCB_NOWAIT);
}

static ssize_t kchan_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct kchan *ch = iocb->ki_filp->private_data;
	size_t room = min_t(size_t, iov_iter_count(to), ch->msg_size);
	struct kchan_op op = { .len = iov_iter_count(to) };
	struct kchan_stage st;
	ssize_t ret;

	op.nonblock = kchan_file_nonblock(iocb);
	/*
	 * read(2)'s one buffer is probed byte-preserving; an iovec (readv,
	 * io_uring's READ on 6.1) with fault_in_iov_iter_writeable(), which
	 * for user memory faults pages in without storing to them.
	 */
	if (iter_is_ubuf(to)) {
		if (kchan_check_room((u64)(unsigned long)(to->ubuf +
							  to->iov_offset),
				     room))
			return -EFAULT;
	} else if (user_backed_iter(to) && room &&
		   fault_in_iov_iter_writeable(to, room)) {
		return -EFAULT;
	}
	ret = kchan_stage_get(&st, room);
	if (ret)
		return ret;
	op.kbuf = st.buf;
	ret = kchan_recv(ch, &op);
	if (ret == -EPIPE)
		ret = 0;	/* closed and drained: end of file */
	else if (ret > 0 && copy_to_iter(st.buf, ret, to) != ret)
		ret = -EFAULT;
	kchan_stage_put(&st);
	return ret;
}

static ssize_t kchan_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct kchan *ch = iocb->ki_filp->private_data;
	size_t len = iov_iter_count(from);
	struct kchan_op op = { .len = len };
	struct kchan_stage st;
	ssize_t ret;

	if (len > ch->msg_size)
		return -EMSGSIZE;
	ret = kchan_stage_get(&st, len);
	if (ret)
		return ret;
	if (!copy_from_iter_full(st.buf, len, from)) {
		ret = -EFAULT;
		goto out;
	}
	op.kbuf = st.buf;
	op.nonblock = kchan_file_nonblock(iocb);
	ret = kchan_send(ch, &op);
	if (!ret)
		ret = len;
out:
	kchan_stage_put(&st);
	return ret;
}

static void kchan_show_fdinfo(struct seq_file *m, struct file *file)
{
	struct kchan *ch = file->private_data;
	static const char * const dirs[] = { "none", "recv", "send", "both" };
	unsigned int dir = (file->f_mode & FMODE_READ ? 1 : 0) |
			   (file->f_mode & FMODE_WRITE ? 2 : 0);

	mutex_lock(&ch->lock);
	seq_printf(m, "kchan-id:\t%llu\n", ch->id);
	seq_printf(m, "capacity:\t%u\n", ch->capacity);
	seq_printf(m, "msg_size:\t%u\n", ch->msg_size);
	seq_printf(m, "len:\t%u\n", ch->count);
	seq_printf(m, "closed:\t%d\n", ch->closed);
	seq_printf(m, "no_receiver:\t%d\n", ch->no_receiver);
	seq_printf(m, "direction:\t%s\n", dirs[dir]);
	seq_printf(m, "send_waiters:\t%u\n", ch->nsendq);
	seq_printf(m, "recv_waiters:\t%u\n", ch->nrecvq);
	seq_printf(m, "send_ends:\t%u\n", ch->send_ends);
	seq_printf(m, "recv_ends:\t%u\n", ch->recv_ends);
	seq_printf(m, "sent:\t%llu\n", ch->sent);
	seq_printf(m, "received:\t%llu\n", ch->received);
	mutex_unlock(&ch->lock);
}

/* ---- ioctls ---------------------------------------------------------------- */

int kchan_deadline(s64 timeout_ns, bool abstime, ktime_t *deadline)
{
	if (timeout_ns < 0)
		return 0;
	*deadline = abstime ? ns_to_ktime(timeout_ns) :
			      ktime_add_safe(ktime_get(), ns_to_ktime(timeout_ns));
	return 1;
}

/* Read a versioned argument struct whose size the ioctl number carries. */
static int kchan_get_args(void *dst, size_t ksize, size_t ver0,
			  unsigned int cmd, unsigned long arg)
{
	size_t usize = _IOC_SIZE(cmd);

	if (usize < ver0)
		return -EINVAL;
	return copy_struct_from_user(dst, ksize, (void __user *)arg, usize);
}

static long kchan_ioctl_xfer(struct file *file, struct kchan *ch,
			     unsigned int cmd, unsigned long arg, bool send)
{
	struct kchan_xfer_args args;
	struct kchan_op op = { };
	struct kchan_stage st;
	ktime_t deadline;
	size_t room;
	long ret;

	ret = kchan_get_args(&args, sizeof(args), KCHAN_XFER_ARGS_SIZE_VER0,
			     cmd, arg);
	if (ret)
		return ret;
	if (args.flags & ~(KCHAN_XFER_NOWAIT | KCHAN_XFER_ABSTIME))
		return -EINVAL;
	if (args.reserved0 || args.reserved[0] || args.reserved[1])
		return -EINVAL;
	if (!(file->f_mode & (send ? FMODE_WRITE : FMODE_READ)))
		return -EBADF;
	if (send && args.len > ch->msg_size)
		return -EMSGSIZE;

	op.len = args.len;
	op.nonblock = (args.flags & KCHAN_XFER_NOWAIT) ||
		      (file->f_flags & O_NONBLOCK);
	if (kchan_deadline(args.timeout_ns, args.flags & KCHAN_XFER_ABSTIME,
			   &deadline))
		op.deadline = &deadline;

	room = send ? args.len : min_t(u64, args.len, ch->msg_size);
	if (!send && kchan_check_room(args.buf, room))
		return -EFAULT;
	ret = kchan_stage_get(&st, room);
	if (ret)
		return ret;
	op.kbuf = st.buf;

	if (send) {
		if (copy_from_user(st.buf, u64_to_user_ptr(args.buf), room))
			ret = -EFAULT;
		else
			ret = kchan_send(ch, &op);
	} else {
		ret = kchan_recv(ch, &op);
		if (ret > 0 &&
		    copy_to_user(u64_to_user_ptr(args.buf), st.buf, ret))
			ret = -EFAULT;
		else if (ret == -EMSGSIZE &&
			 put_user(op.need, (__u64 __user *)(arg +
				  offsetof(struct kchan_xfer_args, len))))
			ret = -EFAULT;
	}
	kchan_stage_put(&st);
	return ret;
}

#define KCHAN_VEC_CHUNK	16

static long kchan_ioctl_vec(struct file *file, struct kchan *ch,
			    unsigned int cmd, unsigned long arg, bool send)
{
	struct kchan_iov iov[KCHAN_VEC_CHUNK];
	struct kchan_iov __user *uiov;
	struct kchan_vec_args args;
	struct kchan_op op = { };
	struct kchan_stage st;
	ktime_t deadline;
	u32 done = 0, i, n;
	long ret;

	ret = kchan_get_args(&args, sizeof(args), KCHAN_VEC_ARGS_SIZE_VER0,
			     cmd, arg);
	if (ret)
		return ret;
	if (args.flags & ~(KCHAN_XFER_NOWAIT | KCHAN_XFER_ABSTIME))
		return -EINVAL;
	if (args.reserved[0] || args.reserved[1])
		return -EINVAL;
	if (args.count > KCHAN_VEC_MAX)
		return -EINVAL;
	if (!(file->f_mode & (send ? FMODE_WRITE : FMODE_READ)))
		return -EBADF;
	if (!args.count)
		return 0;

	uiov = u64_to_user_ptr(args.iov);
	op.nonblock = (args.flags & KCHAN_XFER_NOWAIT) ||
		      (file->f_flags & O_NONBLOCK);
	if (kchan_deadline(args.timeout_ns, args.flags & KCHAN_XFER_ABSTIME,
			   &deadline))
		op.deadline = &deadline;

	/* Check every send length before sending anything. */
	if (send) {
		for (i = 0; i < args.count; i++) {
			u64 len;

			if (get_user(len, &uiov[i].len))
				return -EFAULT;
			if (len > ch->msg_size)
				return -EMSGSIZE;
		}
	}

	ret = kchan_stage_get(&st, ch->msg_size);
	if (ret)
		return ret;
	op.kbuf = st.buf;

	while (done < args.count) {
		n = min_t(u32, args.count - done, KCHAN_VEC_CHUNK);
		if (copy_from_user(iov, uiov + done, n * sizeof(*iov))) {
			ret = -EFAULT;
			goto out;
		}
		for (i = 0; i < n; i++, done++) {
			void __user *ubuf = u64_to_user_ptr(iov[i].base);

			if (send) {
				op.len = iov[i].len;
				if (copy_from_user(st.buf, ubuf, op.len)) {
					ret = -EFAULT;
					goto out;
				}
				ret = kchan_send(ch, &op);
			} else {
				op.len = iov[i].len;
				ret = kchan_check_room(iov[i].base,
						       min_t(u64, op.len,
							     ch->msg_size));
				if (ret)
					goto out;
				ret = kchan_recv(ch, &op);
				if (ret >= 0 && copy_to_user(ubuf, st.buf, ret))
					ret = -EFAULT;
				if ((ret >= 0 || ret == -EMSGSIZE) &&
				    put_user(ret >= 0 ? ret : op.need,
					     &uiov[done].len))
					ret = -EFAULT;
				/* Only the first receive may wait. */
				op.nonblock = true;
			}
			if (ret < 0)
				goto out;
		}
	}
out:
	kchan_stage_put(&st);
	return done ? done : ret;
}

static long kchan_ioctl_info(struct file *file, struct kchan *ch,
			     unsigned int cmd, unsigned long arg)
{
	size_t usize = _IOC_SIZE(cmd);
	struct kchan_info info = { };

	if (usize < KCHAN_INFO_SIZE_VER0)
		return -EINVAL;
	mutex_lock(&ch->lock);
	info.capacity = ch->capacity;
	info.msg_size = ch->msg_size;
	info.len = ch->count;
	info.flags = (ch->closed ? KCHAN_INFO_CLOSED : 0) |
		     (ch->no_receiver ? KCHAN_INFO_NO_RECEIVER : 0);
	info.send_waiters = ch->nsendq;
	info.recv_waiters = ch->nrecvq;
	info.id = ch->id;
	info.sent = ch->sent;
	info.received = ch->received;
	mutex_unlock(&ch->lock);
	if (file->f_mode & FMODE_WRITE)
		info.flags |= KCHAN_INFO_CAN_SEND;
	if (file->f_mode & FMODE_READ)
		info.flags |= KCHAN_INFO_CAN_RECV;

	if (copy_to_user((void __user *)arg, &info, min(usize, sizeof(info))))
		return -EFAULT;
	if (usize > sizeof(info) &&
	    clear_user((void __user *)arg + sizeof(info), usize - sizeof(info)))
		return -EFAULT;
	return 0;
}

static long kchan_ioctl_open_end(struct file *file, struct kchan *ch,
				 unsigned int cmd, unsigned long arg)
{
	struct kchan_end_args args;
	fmode_t fmode = 0;
	int ret;

	ret = kchan_get_args(&args, sizeof(args), KCHAN_END_ARGS_SIZE_VER0,
			     cmd, arg);
	if (ret)
		return ret;
	if (!args.end || (args.end & ~(KCHAN_SEND_END | KCHAN_RECV_END)))
		return -EINVAL;
	if (args.flags & ~(KCHAN_CLOEXEC | KCHAN_NONBLOCK))
		return -EINVAL;
	if (args.reserved[0] || args.reserved[1])
		return -EINVAL;
	if (args.end & KCHAN_SEND_END)
		fmode |= FMODE_WRITE;
	if (args.end & KCHAN_RECV_END)
		fmode |= FMODE_READ;
	/* An end can only narrow what its fd may do. */
	if (fmode & ~file->f_mode)
		return -EBADF;
	return kchan_new_fd(ch, fmode, args.flags);
}

static long kchan_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct kchan *ch = file->private_data;

	switch (KCHAN_IOC_BASE(cmd)) {
	case KCHAN_IOC_BASE(KCHAN_IOC_SEND):
		return kchan_ioctl_xfer(file, ch, cmd, arg, true);
	case KCHAN_IOC_BASE(KCHAN_IOC_RECV):
		return kchan_ioctl_xfer(file, ch, cmd, arg, false);
	case KCHAN_IOC_BASE(KCHAN_IOC_SENDV):
		return kchan_ioctl_vec(file, ch, cmd, arg, true);
	case KCHAN_IOC_BASE(KCHAN_IOC_RECVV):
		return kchan_ioctl_vec(file, ch, cmd, arg, false);
	case KCHAN_IOC_BASE(KCHAN_IOC_INFO):
		return kchan_ioctl_info(file, ch, cmd, arg);
	case KCHAN_IOC_BASE(KCHAN_IOC_OPEN_END):
		return kchan_ioctl_open_end(file, ch, cmd, arg);
	case KCHAN_IOC_BASE(KCHAN_IOC_SELECT):
		return kchan_ioctl_select(cmd, arg);
	case KCHAN_IOC_CLOSE:
		if (!(file->f_mode & FMODE_WRITE))
			return -EBADF;
		return kchan_close(ch);
	}
	return -ENOTTY;
}

static const struct file_operations kchan_fops = {
	.owner		= THIS_MODULE,
	.release	= kchan_release,
	.flush		= kchan_flush,
	.poll		= kchan_poll,
	.read_iter	= kchan_read_iter,
	.write_iter	= kchan_write_iter,
	.unlocked_ioctl	= kchan_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.show_fdinfo	= kchan_show_fdinfo,
	.uring_cmd	= kchan_uring_cmd,
	.llseek		= noop_llseek,
};

int kchan_cache_init(void)
{
	kchan_cachep = KMEM_CACHE(kchan, SLAB_ACCOUNT);
	return kchan_cachep ? 0 : -ENOMEM;
}

void kchan_cache_exit(void)
{
	kmem_cache_destroy(kchan_cachep);
}
