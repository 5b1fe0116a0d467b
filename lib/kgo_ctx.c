// SPDX-License-Identifier: MIT
/*
 * libkgo contexts: a tree of cancellation scopes, Go's context package.
 *
 * A context links itself into its parent's list of children; cancelling
 * walks that list under each context's lock, top-down, so every descendant
 * is done before kgo_ctx_cancel() returns.  A child holds a reference on its
 * parent; the parent's list holds none, so the last kgo_ctx_put() of a child
 * unlinks it.  Deadlines live in one process-wide heap served by a single
 * timer thread.  The done eventfd is made only when someone asks for it.
 */
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <sys/eventfd.h>

#include "kgo_internal.h"

#define KGO_CTX_LIVE		0x6b676f63U
#define KGO_CTX_DEAD		0xdeadc7c7U
#define KGO_CTX_BACKGROUND	(1U << 0)

struct kgo_ctx {
	int refs;
	int err;			/* 0, then the first reason; atomic */
	int done_fd;			/* -1 until asked for; written under lock */
	int timer_idx;			/* heap slot or -1; kgo_timers.lock */
	unsigned int flags;		/* KGO_CTX_BACKGROUND; never changes */
	unsigned int magic;
	bool linked;			/* in parent's children; parent's lock */
	int64_t deadline;		/* 0: none */
	pthread_mutex_t lock;		/* children, waiters, done_fd, err */
	struct kgo_ctx *parent;		/* referenced; NULL under background */
	struct kgo_ctx *children;
	struct kgo_ctx *sib_prev, *sib_next;
	struct kgo_ctx_waiter *waiters;
};

/* ---- The shared timer ----------------------------------------------------- */

static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct kgo_ctx **heap;
	unsigned int n, cap;
	int started;
} kgo_timers = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
};

static void kgo_ctx_do_cancel(struct kgo_ctx *c, int reason, int from_parent);

static void timer_swap(unsigned int a, unsigned int b)
{
	struct kgo_ctx *t = kgo_timers.heap[a];

	kgo_timers.heap[a] = kgo_timers.heap[b];
	kgo_timers.heap[b] = t;
	kgo_timers.heap[a]->timer_idx = a;
	kgo_timers.heap[b]->timer_idx = b;
}

static void timer_sift_up(unsigned int i)
{
	while (i > 0) {
		unsigned int up = (i - 1) / 2;

		if (kgo_timers.heap[up]->deadline <= kgo_timers.heap[i]->deadline)
			break;
		timer_swap(up, i);
		i = up;
	}
}

static void timer_sift_down(unsigned int i)
{
	for (;;) {
		unsigned int l = 2 * i + 1, r = l + 1, min = i;

		if (l < kgo_timers.n &&
		    kgo_timers.heap[l]->deadline < kgo_timers.heap[min]->deadline)
			min = l;
		if (r < kgo_timers.n &&
		    kgo_timers.heap[r]->deadline < kgo_timers.heap[min]->deadline)
			min = r;
		if (min == i)
			return;
		timer_swap(i, min);
		i = min;
	}
}

/* Takes @c out of the heap; kgo_timers.lock held. */
static void timer_remove_locked(struct kgo_ctx *c)
{
	unsigned int i = c->timer_idx;

	c->timer_idx = -1;
	if (--kgo_timers.n == i)
		return;
	kgo_timers.heap[i] = kgo_timers.heap[kgo_timers.n];
	kgo_timers.heap[i]->timer_idx = i;
	timer_sift_down(i);
	timer_sift_up(i);
}

static void timer_del(struct kgo_ctx *c)
{
	pthread_mutex_lock(&kgo_timers.lock);
	if (c->timer_idx >= 0)
		timer_remove_locked(c);
	pthread_mutex_unlock(&kgo_timers.lock);
}

/* A reference unless the context is already on its way out. */
static int kgo_ctx_tryget(struct kgo_ctx *c)
{
	int refs = __atomic_load_n(&c->refs, __ATOMIC_RELAXED);

	while (refs > 0) {
		if (__atomic_compare_exchange_n(&c->refs, &refs, refs + 1, 0,
						__ATOMIC_ACQUIRE, __ATOMIC_RELAXED))
			return 1;
	}
	return 0;
}

static void *timer_thread(void *unused)
{
	(void)unused;
	pthread_mutex_lock(&kgo_timers.lock);
	for (;;) {
		struct kgo_ctx *c;
		struct timespec ts;

		if (!kgo_timers.n) {
			pthread_cond_wait(&kgo_timers.cond, &kgo_timers.lock);
			continue;
		}
		c = kgo_timers.heap[0];
		if (c->deadline > kgo_now_ns()) {
			ts = kgo_ts(c->deadline);
			pthread_cond_timedwait(&kgo_timers.cond, &kgo_timers.lock, &ts);
			continue;
		}
		timer_remove_locked(c);
		if (!kgo_ctx_tryget(c))
			continue;	/* its last put is waiting for our lock */
		pthread_mutex_unlock(&kgo_timers.lock);
		kgo_ctx_do_cancel(c, -ETIMEDOUT, 0);
		kgo_ctx_put(c);
		pthread_mutex_lock(&kgo_timers.lock);
	}
	return NULL;
}

static int timer_start_locked(void)
{
	pthread_condattr_t attr;
	pthread_attr_t tattr;
	pthread_t thread;
	int ret;

	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&kgo_timers.cond, &attr);
	pthread_condattr_destroy(&attr);

	pthread_attr_init(&tattr);
	pthread_attr_setdetachstate(&tattr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&tattr, 64 * 1024);
	ret = pthread_create(&thread, &tattr, timer_thread, NULL);
	pthread_attr_destroy(&tattr);
	if (ret) {
		pthread_cond_destroy(&kgo_timers.cond);
		return -ret;
	}
	kgo_timers.started = 1;
	return 0;
}

static int timer_add(struct kgo_ctx *c)
{
	int ret = 0;

	pthread_mutex_lock(&kgo_timers.lock);
	if (!kgo_timers.started) {
		ret = timer_start_locked();
		if (ret)
			goto out_unlock;
	}
	if (kgo_timers.n == kgo_timers.cap) {
		unsigned int cap = kgo_timers.cap ? 2 * kgo_timers.cap : 64;
		struct kgo_ctx **heap;

		heap = realloc(kgo_timers.heap, cap * sizeof(*heap));
		if (!heap) {
			ret = -ENOMEM;
			goto out_unlock;
		}
		kgo_timers.heap = heap;
		kgo_timers.cap = cap;
	}
	c->timer_idx = kgo_timers.n;
	kgo_timers.heap[kgo_timers.n++] = c;
	timer_sift_up(c->timer_idx);
	if (c->timer_idx == 0)
		pthread_cond_signal(&kgo_timers.cond);
out_unlock:
	pthread_mutex_unlock(&kgo_timers.lock);
	return ret;
}

/* ---- Lifetime --------------------------------------------------------------- */

/*
 * Debug builds keep freed contexts in quarantine for a while, so that a
 * double put finds a dead magic instead of recycled memory.
 */
#define KGO_QUARANTINE	1024

static struct {
	pthread_mutex_t lock;
	struct kgo_ctx *slot[KGO_QUARANTINE];
	unsigned int next;
} kgo_quarantine = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
};

static void kgo_ctx_free(struct kgo_ctx *c)
{
	struct kgo_ctx *old;

	pthread_mutex_destroy(&c->lock);
	if (!KGO_DEBUG) {
		free(c);
		return;
	}
	__atomic_store_n(&c->magic, KGO_CTX_DEAD, __ATOMIC_RELAXED);
	pthread_mutex_lock(&kgo_quarantine.lock);
	old = kgo_quarantine.slot[kgo_quarantine.next];
	kgo_quarantine.slot[kgo_quarantine.next] = c;
	kgo_quarantine.next = (kgo_quarantine.next + 1) % KGO_QUARANTINE;
	pthread_mutex_unlock(&kgo_quarantine.lock);
	free(old);
}

static struct kgo_ctx *kgo_ctx_alloc(unsigned int flags)
{
	struct kgo_ctx *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	c->refs = 1;
	c->done_fd = -1;
	c->timer_idx = -1;
	c->flags = flags;
	c->magic = KGO_CTX_LIVE;
	pthread_mutex_init(&c->lock, NULL);
	return c;
}

static void kgo_ctx_check(struct kgo_ctx *c, const char *fn)
{
	if (KGO_DEBUG &&
	    __atomic_load_n(&c->magic, __ATOMIC_RELAXED) != KGO_CTX_LIVE)
		kgo_bug("%s: context %p used after its last kgo_ctx_put()", fn, c);
}

struct kgo_ctx *kgo_ctx_get(struct kgo_ctx *ctx)
{
	if (ctx) {
		kgo_ctx_check(ctx, __func__);
		__atomic_fetch_add(&ctx->refs, 1, __ATOMIC_RELAXED);
	}
	return ctx;
}

/* Takes @c off its parent's list; caller has no lock. */
static void kgo_ctx_unlink(struct kgo_ctx *c)
{
	struct kgo_ctx *parent = c->parent;

	pthread_mutex_lock(&parent->lock);
	if (c->linked) {
		if (c->sib_prev)
			c->sib_prev->sib_next = c->sib_next;
		else
			parent->children = c->sib_next;
		if (c->sib_next)
			c->sib_next->sib_prev = c->sib_prev;
		c->linked = false;
	}
	pthread_mutex_unlock(&parent->lock);
}

void kgo_ctx_put(struct kgo_ctx *ctx)
{
	while (ctx) {
		struct kgo_ctx *parent = ctx->parent;
		int old;

		kgo_ctx_check(ctx, __func__);
		old = __atomic_fetch_sub(&ctx->refs, 1, __ATOMIC_ACQ_REL);
		if (old > 1)
			return;
		if (old < 1) {
			if (KGO_DEBUG)
				kgo_bug("%s: context %p put too often", __func__, ctx);
			return;
		}
		if (ctx->deadline)
			timer_del(ctx);
		if (parent)
			kgo_ctx_unlink(ctx);
		if (ctx->done_fd >= 0) {
			int saved = errno;

			close(ctx->done_fd);
			errno = saved;
		}
		kgo_ctx_free(ctx);
		ctx = parent;	/* drop the child's reference, without recursion */
	}
}

/* ---- Creation ------------------------------------------------------------- */

int kgo_ctx_background(struct kgo_ctx **out)
{
	if (!out)
		return -EINVAL;
	*out = kgo_ctx_alloc(KGO_CTX_BACKGROUND);
	return *out ? 0 : -ENOMEM;
}

/* A child of @parent; @deadline is set before anyone else can see it. */
static int kgo_ctx_new_child(struct kgo_ctx *parent, int64_t deadline,
			     struct kgo_ctx **out)
{
	struct kgo_ctx *c;

	if (!parent || !out)
		return -EINVAL;
	kgo_ctx_check(parent, __func__);
	c = kgo_ctx_alloc(0);
	if (!c)
		return -ENOMEM;
	c->deadline = deadline;
	if (!(parent->flags & KGO_CTX_BACKGROUND)) {
		pthread_mutex_lock(&parent->lock);
		c->err = parent->err;
		if (!c->err) {
			c->parent = kgo_ctx_get(parent);
			c->sib_next = parent->children;
			if (c->sib_next)
				c->sib_next->sib_prev = c;
			parent->children = c;
			c->linked = true;
		}
		pthread_mutex_unlock(&parent->lock);
	}
	*out = c;
	return 0;
}

int kgo_ctx_with_cancel(struct kgo_ctx *parent, struct kgo_ctx **out)
{
	return kgo_ctx_new_child(parent, 0, out);
}

int kgo_ctx_with_timeout(struct kgo_ctx *parent, int64_t timeout_ns,
			 struct kgo_ctx **out)
{
	struct kgo_ctx *c;
	int ret;

	if (timeout_ns < 0)
		return kgo_ctx_new_child(parent, 0, out);
	ret = kgo_ctx_new_child(parent, kgo_now_ns() + timeout_ns, &c);
	if (ret)
		return ret;
	if (timeout_ns == 0) {
		kgo_ctx_do_cancel(c, -ETIMEDOUT, 0);
	} else if (!kgo_ctx_err(c)) {
		ret = timer_add(c);
		if (ret) {
			kgo_ctx_put(c);
			return ret;
		}
	}
	*out = c;
	return 0;
}

/* ---- Cancellation ------------------------------------------------------- */

static void kgo_ctx_do_cancel(struct kgo_ctx *c, int reason, int from_parent)
{
	struct kgo_ctx_waiter *w;
	struct kgo_ctx *child;

	pthread_mutex_lock(&c->lock);
	if (c->err) {
		pthread_mutex_unlock(&c->lock);
		return;
	}
	__atomic_store_n(&c->err, reason, __ATOMIC_SEQ_CST);
	if (c->done_fd >= 0) {
		uint64_t one = 1;
		int saved = errno;

		if (write(c->done_fd, &one, sizeof(one)) < 0)
			kgo_bug("eventfd write: %s", strerror(errno));
		errno = saved;
	}
	for (w = c->waiters; w; w = w->next)
		w->wake(w);
	/* Our lock keeps each child alive: its last put must unlink it first. */
	while ((child = c->children)) {
		c->children = child->sib_next;
		if (c->children)
			c->children->sib_prev = NULL;
		child->sib_prev = NULL;
		child->sib_next = NULL;
		child->linked = false;
		kgo_ctx_do_cancel(child, reason, 1);
	}
	pthread_mutex_unlock(&c->lock);

	if (c->deadline)
		timer_del(c);
	if (!from_parent && c->parent)
		kgo_ctx_unlink(c);
}

void kgo_ctx_cancel(struct kgo_ctx *ctx)
{
	if (!ctx || (ctx->flags & KGO_CTX_BACKGROUND))
		return;
	kgo_ctx_check(ctx, __func__);
	kgo_ctx_do_cancel(ctx, -ECANCELED, 0);
}

int kgo_ctx_err(struct kgo_ctx *ctx)
{
	if (!ctx)
		return -EINVAL;
	return __atomic_load_n(&ctx->err, __ATOMIC_SEQ_CST);
}

int kgo_ctx_done_fd(struct kgo_ctx *ctx)
{
	int fd;

	if (!ctx)
		return -EINVAL;
	if (ctx->flags & KGO_CTX_BACKGROUND)
		return -1;
	fd = __atomic_load_n(&ctx->done_fd, __ATOMIC_ACQUIRE);
	if (fd >= 0)
		return fd;

	pthread_mutex_lock(&ctx->lock);
	fd = ctx->done_fd;
	if (fd < 0) {
		int saved = errno;

		fd = eventfd(ctx->err ? 1 : 0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (fd < 0)
			fd = -errno;
		else
			__atomic_store_n(&ctx->done_fd, fd, __ATOMIC_RELEASE);
		errno = saved;
	}
	pthread_mutex_unlock(&ctx->lock);
	return fd;
}

/* ---- Waiters (wait groups bounded by a context) -------------------------- */

int kgo_ctx_add_waiter(struct kgo_ctx *ctx, struct kgo_ctx_waiter *w)
{
	int err;

	w->prev = NULL;
	w->next = NULL;
	if (!ctx || (ctx->flags & KGO_CTX_BACKGROUND))
		return 0;
	pthread_mutex_lock(&ctx->lock);
	err = ctx->err;
	if (!err) {
		w->next = ctx->waiters;
		if (w->next)
			w->next->prev = w;
		ctx->waiters = w;
	}
	pthread_mutex_unlock(&ctx->lock);
	return err;
}

void kgo_ctx_del_waiter(struct kgo_ctx *ctx, struct kgo_ctx_waiter *w)
{
	if (!ctx || (ctx->flags & KGO_CTX_BACKGROUND))
		return;
	pthread_mutex_lock(&ctx->lock);
	if (w->prev)
		w->prev->next = w->next;
	else
		ctx->waiters = w->next;
	if (w->next)
		w->next->prev = w->prev;
	pthread_mutex_unlock(&ctx->lock);
}
