// SPDX-License-Identifier: GPL-2.0
/*
 * kchan select: Go's selectgo, in the kernel.
 *
 * Pass 1 walks the cases in a random order (Go's pollorder) and performs
 * the first one that can proceed, so the choice and the operation are one
 * atomic step.  It first tries the cases that look ready each under its own
 * channel's lock; if none could proceed, it looks again with every channel
 * of the select locked (in address order, Go's lockorder), and from there
 * pass 2 parks a waiter on every channel case, all sharing one struct
 * kchan_sel, and sleeps; the first peer to
 * claim that kchan_sel performs its case, and the others become stale.
 * On waking, the select locks its channels again and unlinks whatever is
 * left of its waiters.
 *
 * KCHAN_OP_POLL cases are any pollable file.  Their wait-queue entries are
 * registered before pass 1 (f_op->poll may sleep or take a channel lock,
 * so it cannot run under ours).  Until pass 2 is complete the kchan_sel is
 * ARMING and cannot be claimed: a poll wake-up in that window only sets
 * poll_pending, which the select checks right after arming and answers by
 * looking again, so no wake-up is lost and no case fires half-chosen.
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/lockdep.h>
#include <linux/mm.h>
#include <linux/poll.h>
#include <linux/percpu.h>
#include <linux/prandom.h>
#include <linux/random.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/sort.h>
#include <linux/uaccess.h>

#include "kchan.h"

/* Up to this many cases a select needs no memory but its stack. */
#define KCHAN_SELECT_INLINE	8
#define KCHAN_SELECT_STAGE	128
#define KCHAN_SELECT_INLINE_PE	2
/* Cases read from user memory at a time. */
#define KCHAN_SELECT_CHUNK	8

static DEFINE_PER_CPU(struct rnd_state, kchan_rnd);

void kchan_select_setup(void)
{
	prandom_seed_full_state(&kchan_rnd);
}

struct kchan_scase {
	struct kchan_waiter w;	/* channel cases: the parked waiter */
	struct file *file;	/* NULL: nil case */
	u32 op;
	__poll_t events;	/* poll cases: what to wait for */
	__poll_t revents;	/* poll cases: last readiness seen */
	u64 ubuf;
	u64 ulen;
};

struct kchan_pollent {
	wait_queue_entry_t wait;
	wait_queue_head_t *head;	/* NULL once POLLFREE removed us */
	struct kchan_sel *sel;
	__poll_t events;
	u32 index;
	struct kchan_pollent *next;
};

struct kchan_select {
	struct kchan_sel sel;
	poll_table pt;
	u64 ucases;		/* the caller's array, for the result */
	u32 case_size;
	bool polled;		/* poll cases have joined their queues */
	bool sorted;		/* locks[] is in lock order */
	u32 n;
	u32 nlocks;
	u32 cur;		/* case being registered with f_op->poll */
	int pt_error;
	struct kchan_scase *cases;
	u32 *order;
	struct kchan **locks;
	struct kchan_pollent *pollents;
	u32 npe_inline;
	void *stage;		/* send messages, then room for one receive */
	void *recv_buf;
	size_t recv_room;
	struct kchan_scase inline_cases[KCHAN_SELECT_INLINE];
	u32 inline_order[KCHAN_SELECT_INLINE];
	struct kchan *inline_locks[KCHAN_SELECT_INLINE];
	struct kchan_pollent inline_pe[KCHAN_SELECT_INLINE_PE];
	u8 inline_stage[KCHAN_SELECT_STAGE];
};

/*
 * Lockdep sees every channel lock as one class; holding many of them is
 * legal only in address order, which it cannot check.  Taking them nested
 * in this pseudo-lock tells it so (as mm_take_all_locks() does).
 */
#ifdef CONFIG_DEBUG_LOCK_ALLOC
static struct lock_class_key kchan_lockorder_key;
#endif
static struct kchan_lockorder {
	struct lockdep_map dep_map;
} kchan_lockorder __maybe_unused = {
#ifdef CONFIG_DEBUG_LOCK_ALLOC
	.dep_map = STATIC_LOCKDEP_MAP_INIT("kchan_lockorder",
					   &kchan_lockorder_key),
#endif
};

static int kchan_cmp_ptr(const void *a, const void *b);

static void kchan_select_lock(struct kchan_select *s)
{
	u32 i, j;

	/*
	 * Go's lockorder: by address, each channel once; worked out the
	 * first time it is needed, which a select that finds a ready case
	 * in its fast pass never does.
	 */
	if (!s->sorted) {
		sort(s->locks, s->nlocks, sizeof(*s->locks), kchan_cmp_ptr,
		     NULL);
		for (i = 0, j = 0; i < s->nlocks; i++)
			if (!j || s->locks[j - 1] != s->locks[i])
				s->locks[j++] = s->locks[i];
		s->nlocks = j;
		s->sorted = true;
	}
	if (s->nlocks == 1) {
		mutex_lock(&s->locks[0]->lock);
		return;
	}
	lock_map_acquire(&kchan_lockorder.dep_map);
	for (i = 0; i < s->nlocks; i++)
		mutex_lock_nest_lock(&s->locks[i]->lock, &kchan_lockorder);
}

static void kchan_select_unlock(struct kchan_select *s)
{
	u32 i = s->nlocks;

	while (i--)
		mutex_unlock(&s->locks[i]->lock);
	if (s->nlocks > 1)
		lock_map_release(&kchan_lockorder.dep_map);
}

static int kchan_cmp_ptr(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a;
	unsigned long y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

/* ---- Poll cases ---------------------------------------------------------- */

static int kchan_select_wake(wait_queue_entry_t *wait, unsigned int mode,
			     int sync, void *key)
{
	struct kchan_pollent *pe = container_of(wait, struct kchan_pollent, wait);
	struct kchan_sel *sel = pe->sel;
	__poll_t mask = key_to_poll(key);

	if (mask && !(mask & (pe->events | POLLFREE)))
		return 0;
	if (mask & POLLFREE) {
		/*
		 * The queue is going away: leave it now, as io_uring does.
		 * The release orders the unlink before kchan_select_unpoll()
		 * sees head == NULL and skips taking the dying queue's lock.
		 */
		list_del_init(&wait->entry);
		/* pairs with smp_load_acquire() in kchan_select_unpoll() */
		smp_store_release(&pe->head, NULL);
	}
	/*
	 * Either the select sees poll_pending after arming, or our claim
	 * sees it armed: the barrier pairs with the atomic_xchg() in
	 * kchan_select_run().
	 */
	WRITE_ONCE(sel->poll_pending, 1);
	/* pairs with atomic_xchg() in kchan_select_run() */
	smp_mb();
	if (kchan_sel_claim(sel)) {
		sel->fired = pe->index;
		kchan_sel_done(sel);
	}
	return 0;
}

static void kchan_select_queue(struct file *file, wait_queue_head_t *head,
			       poll_table *pt)
{
	struct kchan_select *s = container_of(pt, struct kchan_select, pt);
	struct kchan_pollent *pe;

	if (s->npe_inline < KCHAN_SELECT_INLINE_PE) {
		pe = &s->inline_pe[s->npe_inline++];
	} else {
		pe = kmalloc(sizeof(*pe), GFP_KERNEL_ACCOUNT);
		if (!pe) {
			s->pt_error = -ENOMEM;
			return;
		}
	}
	pe->sel = &s->sel;
	pe->index = s->cur;
	pe->events = s->cases[s->cur].events;
	pe->head = head;
	pe->next = s->pollents;
	s->pollents = pe;
	init_waitqueue_func_entry(&pe->wait, kchan_select_wake);
	add_wait_queue(head, &pe->wait);
}

static bool kchan_pollent_inline(struct kchan_select *s,
				 struct kchan_pollent *pe)
{
	return pe >= s->inline_pe && pe < s->inline_pe + KCHAN_SELECT_INLINE_PE;
}

static void kchan_select_unpoll(struct kchan_select *s)
{
	struct kchan_pollent *pe, *next;
	wait_queue_head_t *head;

	for (pe = s->pollents; pe; pe = next) {
		next = pe->next;
		rcu_read_lock();
		/* pairs with smp_store_release() in kchan_select_wake() */
		head = smp_load_acquire(&pe->head);
		if (head) {
			spin_lock_irq(&head->lock);
			list_del_init(&pe->wait.entry);
			spin_unlock_irq(&head->lock);
		}
		rcu_read_unlock();
		if (!kchan_pollent_inline(s, pe))
			kfree(pe);
	}
	s->pollents = NULL;
}

/* Readiness of every poll case; the first time, also join their queues. */
static int kchan_select_poll(struct kchan_select *s, bool first)
{
	struct kchan_scase *c;
	u32 i;

	for (i = 0; i < s->n; i++) {
		c = &s->cases[i];
		if (c->op != KCHAN_OP_POLL || !c->file)
			continue;
		if (first) {
			s->cur = i;
			s->pt._key = c->events;
			c->revents = vfs_poll(c->file, &s->pt);
			if (s->pt_error)
				return s->pt_error;
		} else {
			c->revents = vfs_poll(c->file, NULL);
		}
	}
	return 0;
}

/* ---- Setup --------------------------------------------------------------- */

static int kchan_select_case(struct kchan_select *s, u32 i,
			     const struct kchan_select_case *uc,
			     size_t *send_bytes)
{
	struct kchan_scase *c = &s->cases[i];
	struct kchan *ch;

	if (uc->op < KCHAN_OP_SEND || uc->op > KCHAN_OP_POLL)
		return -EINVAL;
	if (uc->op == KCHAN_OP_POLL && uc->len > 0xffff)
		return -EINVAL;
	c->op = uc->op;
	c->ubuf = uc->buf;
	c->ulen = uc->len;
	if (uc->fd == -1)
		return 0;	/* nil channel: never ready */
	if (uc->fd < 0)
		return -EBADF;
	c->file = fget(uc->fd);
	if (!c->file)
		return -EBADF;

	if (uc->op == KCHAN_OP_POLL) {
		if (!file_can_poll(c->file))
			return -EINVAL;
		c->events = demangle_poll(uc->len) | EPOLLERR | EPOLLHUP;
		return 0;
	}

	ch = kchan_from_file(c->file);
	if (!ch)
		return -EINVAL;
	if (!(c->file->f_mode & (uc->op == KCHAN_OP_SEND ? FMODE_WRITE :
							  FMODE_READ)))
		return -EBADF;
	INIT_LIST_HEAD(&c->w.node);
	c->w.ch = ch;
	c->w.sel = &s->sel;
	c->w.index = i;
	c->w.send = uc->op == KCHAN_OP_SEND;
	if (c->w.send) {
		if (uc->len > ch->msg_size)
			return -EMSGSIZE;
		*send_bytes += uc->len;
	} else {
		s->recv_room = max_t(size_t, s->recv_room,
				     min_t(u64, uc->len, ch->msg_size));
	}
	s->locks[s->nlocks++] = ch;
	return 0;
}

/* Check every case and take its files; nothing is done to any channel. */
static int kchan_select_prepare(struct kchan_select *s, u32 n, u32 flags)
{
	const struct kchan_select_case __user *ucases = u64_to_user_ptr(s->ucases);
	struct kchan_select_case uc[KCHAN_SELECT_CHUNK];
	struct rnd_state *rnd;
	size_t send_bytes = 0, off = 0;
	struct kchan_scase *c;
	u32 i, j;
	int ret;

	s->n = n;
	if (s->n <= KCHAN_SELECT_INLINE) {
		s->cases = s->inline_cases;
		s->order = s->inline_order;
		s->locks = s->inline_locks;
		memset(s->cases, 0, s->n * sizeof(*s->cases));
	} else {
		size_t each = sizeof(*s->cases) + sizeof(*s->order) +
			      sizeof(*s->locks);

		s->cases = kvcalloc(s->n, each, KCHAN_GFP);
		if (!s->cases)
			return -ENOMEM;
		s->locks = (struct kchan **)(s->cases + s->n);
		s->order = (u32 *)(s->locks + s->n);
	}

	/* The cases come in a few large copies: user copies are not cheap. */
	for (i = 0; i < s->n; i++) {
		if (i % KCHAN_SELECT_CHUNK == 0) {
			j = min_t(u32, s->n - i, KCHAN_SELECT_CHUNK);
			if (copy_from_user(uc, ucases + i,
					   j * sizeof(*uc)))
				return -EFAULT;
		}
		ret = kchan_select_case(s, i, &uc[i % KCHAN_SELECT_CHUNK],
					&send_bytes);
		if (ret)
			return ret;
	}

	/* Stage every send's message, then room for the one receive. */
	if (send_bytes + s->recv_room <= KCHAN_SELECT_STAGE) {
		s->stage = s->inline_stage;
	} else {
		s->stage = kvmalloc(send_bytes + s->recv_room, KCHAN_GFP);
		if (!s->stage)
			return -ENOMEM;
	}
	for (i = 0; i < s->n; i++) {
		c = &s->cases[i];
		if (!c->file || c->op == KCHAN_OP_POLL)
			continue;
		if (c->w.send) {
			c->w.kbuf = s->stage + off;
			c->w.len = c->ulen;
			if (copy_from_user(c->w.kbuf, u64_to_user_ptr(c->ubuf),
					   c->ulen))
				return -EFAULT;
			off += c->ulen;
		} else {
			if (kchan_check_room(c->ubuf, min_t(u64, c->ulen,
							    c->w.ch->msg_size)))
				return -EFAULT;
			/* Only one case fires: all receives share the room. */
			c->w.kbuf = s->stage + send_bytes;
			c->w.len = c->ulen;
		}
	}
	s->recv_buf = s->stage + send_bytes;

	/*
	 * Go's pollorder: a uniformly random permutation (Fisher-Yates).
	 * Like Go's cheaprand, a fast per-CPU generator: the order must be
	 * fair, not secret.
	 */
	if (flags & KCHAN_SELECT_ORDERED) {
		for (i = 0; i < s->n; i++)
			s->order[i] = i;
		return 0;
	}
	rnd = &get_cpu_var(kchan_rnd);
	for (i = 0; i < s->n; i++) {
		j = reciprocal_scale(prandom_u32_state(rnd), i + 1);
		s->order[i] = s->order[j];
		s->order[j] = i;
	}
	put_cpu_var(kchan_rnd);
	return 0;
}

static void kchan_select_release(struct kchan_select *s)
{
	u32 i;

	kchan_select_unpoll(s);
	if (s->cases) {
		for (i = 0; i < s->n; i++)
			if (s->cases[i].file)
				fput(s->cases[i].file);
		if (s->cases != s->inline_cases)
			kvfree(s->cases);
	}
	if (s->stage && s->stage != s->inline_stage)
		kvfree(s->stage);
}

/* ---- The select ---------------------------------------------------------- */

/*
 * Try case @c without blocking, its channel's lock held (if a channel):
 * its result, or -EAGAIN if it cannot proceed now.
 */
static ssize_t kchan_select_try(struct kchan_select *s, struct kchan_scase *c,
				__poll_t *wake)
{
	size_t need;

	switch (c->op) {
	case KCHAN_OP_POLL:
		if (!(c->revents & c->events))
			return -EAGAIN;
		return mangle_poll(c->revents & c->events);
	case KCHAN_OP_SEND:
		return kchan_try_send_locked(c->w.ch, c->w.kbuf, c->w.len,
					     wake);
	default:
		return kchan_try_recv_locked(c->w.ch, s->recv_buf, c->w.len,
					     &need, wake);
	}
}

/* Pass 1 (locks held): perform the first ready case in poll order. */
static int kchan_select_pass1(struct kchan_select *s, struct kchan **wake_ch,
			      __poll_t *wake)
{
	struct kchan_scase *c;
	ssize_t res;
	u32 k, i;

	for (k = 0; k < s->n; k++) {
		i = s->order[k];
		c = &s->cases[i];
		if (!c->file)
			continue;
		res = kchan_select_try(s, c, wake);
		if (res == -EAGAIN)
			continue;
		c->w.res = res;
		*wake_ch = c->w.ch;
		return i;
	}
	return -EAGAIN;
}

/*
 * Could this case proceed?  A lockless hint: wrong only while the channel
 * is changing, and then the locked pass decides.
 */
static bool kchan_case_maybe_ready(struct kchan_scase *c)
{
	struct kchan *ch = c->w.ch;

	if (READ_ONCE(ch->closed))
		return true;
	if (c->w.send)
		return READ_ONCE(ch->no_receiver) ||
		       READ_ONCE(ch->count) < ch->capacity ||
		       !list_empty(&ch->recvq);
	return READ_ONCE(ch->count) || !list_empty(&ch->sendq);
}

/*
 * The fast pass: in poll order, try each case that looks ready under its
 * own channel's lock alone.  One case performed under its channel's lock
 * is as atomic as under all of them; only parking needs them all at once.
 */
static int kchan_select_fast(struct kchan_select *s, struct kchan **wake_ch,
			     __poll_t *wake)
{
	struct kchan_scase *c;
	ssize_t res;
	u32 k, i;

	for (k = 0; k < s->n; k++) {
		i = s->order[k];
		c = &s->cases[i];
		if (!c->file)
			continue;
		if (c->op == KCHAN_OP_POLL) {
			res = kchan_select_try(s, c, wake);
		} else if (kchan_case_maybe_ready(c)) {
			mutex_lock(&c->w.ch->lock);
			res = kchan_select_try(s, c, wake);
			mutex_unlock(&c->w.ch->lock);
		} else {
			continue;
		}
		if (res == -EAGAIN)
			continue;
		c->w.res = res;
		*wake_ch = c->w.ch;
		return i;
	}
	return -EAGAIN;
}

static void kchan_select_dequeue(struct kchan_select *s)
{
	u32 i;

	for (i = 0; i < s->n; i++)
		if (s->cases[i].file && s->cases[i].op != KCHAN_OP_POLL)
			kchan_dequeue(s->cases[i].w.ch, &s->cases[i].w);
}

/*
 * Perform a ready case, or park on every case.  Returns the index of the
 * case that fired, -EIOCBQUEUED once parked (the kchan_sel then fires
 * later), -EAGAIN for NOWAIT, -ETIMEDOUT past @deadline, or an error.
 */
int kchan_select_arm(struct kchan_select *s, const ktime_t *deadline,
		     u32 flags)
{
	struct kchan *wake_ch = NULL;
	__poll_t wake = 0;
	struct kchan_scase *c;
	int ret;
	u32 i;

again:
	kchan_sel_init(&s->sel, KCHAN_SEL_ARMING);
	ret = kchan_select_poll(s, !s->polled);
	if (ret)
		return ret;
	s->polled = true;

	ret = kchan_select_fast(s, &wake_ch, &wake);
	if (ret >= 0 || (flags & KCHAN_SELECT_NOWAIT)) {
		if (wake_ch)
			kchan_poll_wake(wake_ch, wake);
		return ret;
	}

	/* Nothing looked ready: look again with every lock held, then park. */
	if (s->nlocks)
		kchan_select_lock(s);
	ret = kchan_select_pass1(s, &wake_ch, &wake);
	if (ret != -EAGAIN || (flags & KCHAN_SELECT_NOWAIT) ||
	    kchan_expired(deadline)) {
		if (s->nlocks)
			kchan_select_unlock(s);
		if (ret >= 0) {
			if (wake_ch)
				kchan_poll_wake(wake_ch, wake);
			return ret;
		}
		return (flags & KCHAN_SELECT_NOWAIT) ? -EAGAIN : -ETIMEDOUT;
	}

	/* Pass 2: park on every channel, then arm. */
	for (i = 0; i < s->n; i++) {
		c = &s->cases[i];
		if (c->file && c->op != KCHAN_OP_POLL)
			kchan_enqueue(c->w.ch, &c->w);
	}
	atomic_xchg(&s->sel.state, KCHAN_SEL_WAITING);
	if (READ_ONCE(s->sel.poll_pending) && kchan_sel_cancel(&s->sel)) {
		/* A polled fd woke while we were looking: look again. */
		kchan_select_dequeue(s);
		if (s->nlocks)
			kchan_select_unlock(s);
		goto again;
	}
	if (s->nlocks)
		kchan_select_unlock(s);

	for (i = 0; i < s->n; i++) {
		c = &s->cases[i];
		if (c->file && c->op != KCHAN_OP_POLL)
			kchan_poll_wake(c->w.ch, kchan_park_events(c->w.ch, &c->w));
	}
	return -EIOCBQUEUED;
}

/*
 * The owner gives up a parked select: true if it was cancelled before any
 * case fired; false if one fired (or is firing) and must be settled.
 */
bool kchan_select_cancel(struct kchan_select *s)
{
	bool cancelled;

	if (s->nlocks)
		kchan_select_lock(s);
	cancelled = kchan_sel_cancel(&s->sel);
	if (cancelled)
		kchan_select_dequeue(s);
	if (s->nlocks)
		kchan_select_unlock(s);
	return cancelled;
}

/*
 * After a case fired: unlink what is left of the select's waiters, and
 * read a fired poll case's revents.  Returns the fired index, or -EAGAIN
 * if that poll case was a false alarm and the select must be armed again.
 */
int kchan_select_settle(struct kchan_select *s)
{
	struct kchan_scase *c;
	__poll_t revents;

	if (s->nlocks)
		kchan_select_lock(s);
	kchan_select_dequeue(s);
	if (s->nlocks)
		kchan_select_unlock(s);
	kchan_sel_finish(&s->sel);

	c = &s->cases[s->sel.fired];
	if (c->op == KCHAN_OP_POLL) {
		revents = vfs_poll(c->file, NULL) & c->events;
		if (!revents)
			return -EAGAIN;
		c->w.res = mangle_poll(revents);
	}
	return s->sel.fired;
}

/* Hand the fired case's outcome to the caller: its res, and a message. */
int kchan_select_copyout(struct kchan_select *s, u32 i)
{
	u8 __user *uc = u64_to_user_ptr(s->ucases) + (size_t)i * s->case_size;
	struct kchan_scase *c = &s->cases[i];
	s64 res = c->w.res;

	if (c->op == KCHAN_OP_RECV && res > 0 &&
	    copy_to_user(u64_to_user_ptr(c->ubuf), s->recv_buf, res))
		return -EFAULT;
	if (put_user(res, (s64 __user *)(uc +
			 offsetof(struct kchan_select_case, res))))
		return -EFAULT;
	return i;
}

struct kchan_sel *kchan_select_sel(struct kchan_select *s)
{
	return &s->sel;
}

static void kchan_select_init(struct kchan_select *s)
{
	memset(s, 0, offsetof(struct kchan_select, inline_cases));
	init_poll_funcptr(&s->pt, kchan_select_queue);
}

/* Check the arguments and take the cases (the io_uring path's start). */
struct kchan_select *kchan_select_new(u64 ucases, u32 n, u32 flags)
{
	struct kchan_select *s;
	int ret;

	if (flags & ~(KCHAN_SELECT_NOWAIT | KCHAN_SELECT_ORDERED))
		return ERR_PTR(-EINVAL);
	if (!n || n > KCHAN_SELECT_MAX)
		return ERR_PTR(-EINVAL);
	s = kmalloc(sizeof(*s), GFP_KERNEL_ACCOUNT);
	if (!s)
		return ERR_PTR(-ENOMEM);
	kchan_select_init(s);
	s->ucases = ucases;
	s->case_size = sizeof(struct kchan_select_case);
	ret = kchan_select_prepare(s, n, flags);
	if (ret) {
		kchan_select_free(s);
		return ERR_PTR(ret);
	}
	return s;
}

void kchan_select_free(struct kchan_select *s)
{
	kchan_select_release(s);
	kfree(s);
}

/* The blocking select: arm, sleep, settle; again after a false alarm. */
static int kchan_select_wait(struct kchan_select *s, const ktime_t *deadline,
			     u32 flags)
{
	int ret;

	kchan_sel_owner(&s->sel, NULL, NULL);
	for (;;) {
		ret = kchan_select_arm(s, deadline, flags);
		if (ret != -EIOCBQUEUED)
			return ret;
		ret = kchan_sel_sleep(&s->sel, deadline);
		if (ret && kchan_select_cancel(s))
			/* A select is never restarted: the caller decides. */
			return ret == -ERESTARTSYS ? -EINTR : ret;
		ret = kchan_select_settle(s);
		if (ret != -EAGAIN)
			return ret;
	}
}

long kchan_ioctl_select(unsigned int cmd, unsigned long arg)
{
	size_t usize = _IOC_SIZE(cmd);
	struct kchan_select_args a;
	struct kchan_select s;
	ktime_t deadline;
	bool timed;
	long ret;

	if (usize < KCHAN_SELECT_ARGS_SIZE_VER0)
		return -EINVAL;
	ret = copy_struct_from_user(&a, sizeof(a), (void __user *)arg, usize);
	if (ret)
		return ret;
	if (a.flags & ~(KCHAN_SELECT_NOWAIT | KCHAN_SELECT_ORDERED |
			KCHAN_ABSTIME))
		return -EINVAL;
	if (a.reserved0 || a.reserved[0] || a.reserved[1])
		return -EINVAL;
	if (!a.count || a.count > KCHAN_SELECT_MAX)
		return -EINVAL;
	if (a.case_size != sizeof(struct kchan_select_case))
		return -EINVAL;

	kchan_select_init(&s);
	s.ucases = a.cases;
	s.case_size = a.case_size;
	timed = kchan_deadline(a.timeout_ns, a.flags & KCHAN_ABSTIME,
			       &deadline);

	ret = kchan_select_prepare(&s, a.count, a.flags);
	if (!ret)
		ret = kchan_select_wait(&s, timed ? &deadline : NULL, a.flags);
	if (ret >= 0)
		ret = kchan_select_copyout(&s, ret);
	kchan_select_release(&s);
	return ret;
}
