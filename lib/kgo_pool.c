// SPDX-License-Identifier: MIT
/*
 * libkgo pool: tasks run on threads that hold one of nprocs processors.
 *
 * The shape is Go's scheduler without stack switching.  A processor (P) owns
 * a bounded lock-free run queue; its thread pushes and pops there, idle
 * threads steal half of another P's queue, and the overflow and tasks from
 * outside the pool go to one global queue.  A thread (M) runs tasks only
 * while it holds a P.  A task about to block in kgo_send(), kgo_recv() or
 * kgo_wg_wait() hands its P to another thread (Go's handoffp), so nprocs
 * tasks keep running however many are blocked; coming back, it waits its
 * turn for a free P.  Idle threads beyond nprocs retire after a while.
 *
 * Lost wake-ups are avoided as in Go: whoever makes work checks for an idle
 * P with nobody spinning and starts a spinning thread (kgo_wakep()); a
 * spinning thread that gives up its P looks at every queue once more.
 */
#include <pthread.h>
#include <stdbool.h>
#include <string.h>
#include <sys/sysinfo.h>

#include "kgo_internal.h"

#define KGO_RUNQ_SIZE		256
#define KGO_IDLE_RETIRE_NS	(200 * 1000 * 1000LL)
#define KGO_CACHELINE		64

struct kgo_task {
	struct kgo_task *next;		/* global queue */
	void (*fn)(struct kgo_ctx *ctx, void *arg);
	int (*gfn)(struct kgo_ctx *ctx, void *arg);
	void *arg;
	struct kgo_ctx *ctx;
	struct kgo_group *group;	/* fn is a group's int fn */
};

struct kgo_p {
	unsigned int head;		/* atomic: next to take, stealers CAS it */
	unsigned int tail;		/* atomic: written by the owner only */
	struct kgo_task *ring[KGO_RUNQ_SIZE];	/* atomic slots */
	struct kgo_p *next_idle;
	unsigned int id;
} __attribute__((aligned(KGO_CACHELINE)));

struct kgo_m {
	struct kgo_pool *pool;
	struct kgo_p *p;		/* held P; set by whoever wakes us */
	unsigned int wake;		/* futex: bumped when woken */
	bool spinning;
	bool in_task;
	bool idle;			/* on pool->midle; pool lock */
	struct kgo_m *next;		/* idle or returning list */
	unsigned int rand;
};

struct kgo_pool {
	int refs;			/* user + one per thread */
	unsigned int nprocs;
	struct kgo_p *ps;

	pthread_mutex_t lock;		/* everything below unless atomic */
	struct kgo_task *gq_head, *gq_tail;
	unsigned int gq_len;		/* atomic reads outside the lock */
	struct kgo_p *pidle;
	unsigned int npidle;		/* atomic reads outside the lock */
	struct kgo_m *midle;
	struct kgo_m *returning;	/* threads back from blocking, want a P */
	unsigned int nreturning;	/* atomic reads outside the lock */
	unsigned int nthreads;
	unsigned int nmspinning;	/* atomic */
	bool dead;			/* kgo_pool_free() was called */

	int shutdown;			/* atomic */
	long ntasks;			/* atomic: queued or running */
	pthread_cond_t drained;		/* ntasks reached zero while draining */
};

static __thread struct kgo_m *kgo_cur;

static void *kgo_thread(void *arg);

/* ---- Run queues ----------------------------------------------------------- */

static bool runq_empty(struct kgo_p *p)
{
	return __atomic_load_n(&p->head, __ATOMIC_SEQ_CST) ==
	       __atomic_load_n(&p->tail, __ATOMIC_SEQ_CST);
}

static void gq_put_batch(struct kgo_pool *pool, struct kgo_task *first,
			 struct kgo_task *last, unsigned int n)
{
	last->next = NULL;
	if (pool->gq_tail)
		pool->gq_tail->next = first;
	else
		pool->gq_head = first;
	pool->gq_tail = last;
	__atomic_store_n(&pool->gq_len, pool->gq_len + n, __ATOMIC_SEQ_CST);
}

/* Moves half of @p's queue and @t to the global queue; false if raced. */
static bool runq_put_slow(struct kgo_pool *pool, struct kgo_p *p,
			  struct kgo_task *t, unsigned int h, unsigned int tl)
{
	struct kgo_task *batch[KGO_RUNQ_SIZE / 2 + 1];
	unsigned int n = (tl - h) / 2, i;

	for (i = 0; i < n; i++)
		batch[i] = __atomic_load_n(&p->ring[(h + i) % KGO_RUNQ_SIZE],
					   __ATOMIC_RELAXED);
	if (!__atomic_compare_exchange_n(&p->head, &h, h + n, 0,
					 __ATOMIC_RELEASE, __ATOMIC_RELAXED))
		return false;
	batch[n] = t;
	for (i = 0; i < n; i++)
		batch[i]->next = batch[i + 1];
	pthread_mutex_lock(&pool->lock);
	gq_put_batch(pool, batch[0], t, n + 1);
	pthread_mutex_unlock(&pool->lock);
	return true;
}

/* Owner only. */
static void runq_put(struct kgo_pool *pool, struct kgo_p *p, struct kgo_task *t)
{
	for (;;) {
		unsigned int h = __atomic_load_n(&p->head, __ATOMIC_ACQUIRE);
		unsigned int tl = p->tail;

		if (tl - h < KGO_RUNQ_SIZE) {
			__atomic_store_n(&p->ring[tl % KGO_RUNQ_SIZE], t,
					 __ATOMIC_RELAXED);
			__atomic_store_n(&p->tail, tl + 1, __ATOMIC_SEQ_CST);
			return;
		}
		if (runq_put_slow(pool, p, t, h, tl))
			return;
	}
}

/* Owner only. */
static struct kgo_task *runq_get(struct kgo_p *p)
{
	unsigned int h = __atomic_load_n(&p->head, __ATOMIC_ACQUIRE);

	for (;;) {
		struct kgo_task *t;

		if (h == p->tail)
			return NULL;
		t = __atomic_load_n(&p->ring[h % KGO_RUNQ_SIZE], __ATOMIC_RELAXED);
		if (__atomic_compare_exchange_n(&p->head, &h, h + 1, 0,
						__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			return t;
	}
}

/*
 * Steals half of @victim's queue into @p's (which is empty) and returns one
 * of the stolen tasks.
 */
static struct kgo_task *runq_steal(struct kgo_p *p, struct kgo_p *victim)
{
	unsigned int h = __atomic_load_n(&victim->head, __ATOMIC_ACQUIRE);

	for (;;) {
		unsigned int tl = __atomic_load_n(&victim->tail, __ATOMIC_ACQUIRE);
		unsigned int n = tl - h, i, mytail = p->tail;

		n -= n / 2;
		if (!n)
			return NULL;
		if (n > KGO_RUNQ_SIZE / 2) {	/* @h went stale: look again */
			h = __atomic_load_n(&victim->head, __ATOMIC_ACQUIRE);
			continue;
		}
		for (i = 0; i < n; i++) {
			struct kgo_task *t;

			t = __atomic_load_n(&victim->ring[(h + i) % KGO_RUNQ_SIZE],
					    __ATOMIC_RELAXED);
			__atomic_store_n(&p->ring[(mytail + i) % KGO_RUNQ_SIZE], t,
					 __ATOMIC_RELAXED);
		}
		if (__atomic_compare_exchange_n(&victim->head, &h, h + n, 0,
						__ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
			if (n > 1)
				__atomic_store_n(&p->tail, mytail + n - 1,
						 __ATOMIC_SEQ_CST);
			return __atomic_load_n(&p->ring[(mytail + n - 1) % KGO_RUNQ_SIZE],
					       __ATOMIC_RELAXED);
		}
	}
}

/*
 * Takes a share of the global queue: one task to run now, and up to half a
 * local queue more for @p.  Pool lock held.
 */
static struct kgo_task *gq_get(struct kgo_pool *pool, struct kgo_p *p)
{
	unsigned int n = pool->gq_len, i;
	struct kgo_task *t = pool->gq_head;

	if (!n)
		return NULL;
	n = n / pool->nprocs + 1;
	if (n > pool->gq_len)
		n = pool->gq_len;
	if (n > KGO_RUNQ_SIZE / 2)
		n = KGO_RUNQ_SIZE / 2;
	pool->gq_head = t->next;
	/* @p's queue is empty here, so this never overflows into our lock. */
	for (i = 1; i < n; i++) {
		struct kgo_task *u = pool->gq_head;

		pool->gq_head = u->next;
		runq_put(pool, p, u);
	}
	if (!pool->gq_head)
		pool->gq_tail = NULL;
	__atomic_store_n(&pool->gq_len, pool->gq_len - n, __ATOMIC_SEQ_CST);
	return t;
}

/* ---- Threads and processors -------------------------------------------- */

static void pool_put(struct kgo_pool *pool)
{
	if (__atomic_fetch_sub(&pool->refs, 1, __ATOMIC_ACQ_REL) != 1)
		return;
	pthread_cond_destroy(&pool->drained);
	pthread_mutex_destroy(&pool->lock);
	free(pool->ps);
	free(pool);
}

/* Hands @p (NULL: exit) to @m, just taken off a list; pool lock held. */
static void m_wake(struct kgo_m *m, struct kgo_p *p)
{
	m->p = p;
	m->idle = false;
	__atomic_fetch_add(&m->wake, 1, __ATOMIC_RELEASE);
	kgo_futex_wake(&m->wake, 1);
}

/*
 * Gives @p to a thread back from blocking if one waits, else makes it idle.
 * Pool lock held.
 */
static void p_release_locked(struct kgo_pool *pool, struct kgo_p *p)
{
	struct kgo_m *m = pool->returning;

	if (m) {
		pool->returning = m->next;
		__atomic_store_n(&pool->nreturning, pool->nreturning - 1,
				 __ATOMIC_SEQ_CST);
		m_wake(m, p);
		return;
	}
	p->next_idle = pool->pidle;
	pool->pidle = p;
	__atomic_store_n(&pool->npidle, pool->npidle + 1, __ATOMIC_SEQ_CST);
}

static struct kgo_p *p_get_idle_locked(struct kgo_pool *pool)
{
	struct kgo_p *p = pool->pidle;

	if (p) {
		pool->pidle = p->next_idle;
		__atomic_store_n(&pool->npidle, pool->npidle - 1, __ATOMIC_SEQ_CST);
	}
	return p;
}

/*
 * Runs @p on an idle thread, or a new one.  On failure @p goes back idle
 * and the work waits for the next thread that looks.
 */
static void m_start(struct kgo_pool *pool, struct kgo_p *p, bool spinning)
{
	struct kgo_m *m;
	pthread_attr_t attr;
	pthread_t thread;
	int ret;

	pthread_mutex_lock(&pool->lock);
	m = pool->midle;
	if (m) {
		pool->midle = m->next;
		m->spinning = spinning;
		m_wake(m, p);
		pthread_mutex_unlock(&pool->lock);
		return;
	}
	pool->nthreads++;
	pthread_mutex_unlock(&pool->lock);

	m = calloc(1, sizeof(*m));
	ret = -ENOMEM;
	if (m) {
		m->pool = pool;
		m->p = p;
		m->spinning = spinning;
		m->rand = p->id * 2654435761U + 1;
		__atomic_fetch_add(&pool->refs, 1, __ATOMIC_RELAXED);
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		ret = pthread_create(&thread, &attr, kgo_thread, m);
		pthread_attr_destroy(&attr);
		if (!ret)
			return;
		__atomic_fetch_sub(&pool->refs, 1, __ATOMIC_RELAXED);
		free(m);
	}
	if (spinning)
		__atomic_fetch_sub(&pool->nmspinning, 1, __ATOMIC_SEQ_CST);
	pthread_mutex_lock(&pool->lock);
	pool->nthreads--;
	p_release_locked(pool, p);
	pthread_mutex_unlock(&pool->lock);
}

/* New work exists: make sure an idle P has a spinning thread looking. */
static void kgo_wakep(struct kgo_pool *pool)
{
	unsigned int zero = 0;
	struct kgo_p *p;

	if (!__atomic_load_n(&pool->npidle, __ATOMIC_SEQ_CST) ||
	    __atomic_load_n(&pool->nmspinning, __ATOMIC_SEQ_CST) ||
	    !__atomic_compare_exchange_n(&pool->nmspinning, &zero, 1, 0,
					 __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
		return;
	pthread_mutex_lock(&pool->lock);
	p = p_get_idle_locked(pool);
	pthread_mutex_unlock(&pool->lock);
	if (!p) {
		__atomic_fetch_sub(&pool->nmspinning, 1, __ATOMIC_SEQ_CST);
		return;
	}
	m_start(pool, p, true);
}

/*
 * Parks @m, which holds no P, until someone hands it one.  Returns false
 * when the thread should exit instead: the pool is going away, or the
 * thread is surplus and has been idle for a while.
 */
static bool m_park(struct kgo_m *m)
{
	struct kgo_pool *pool = m->pool;
	int64_t deadline = kgo_now_ns() + KGO_IDLE_RETIRE_NS;

	pthread_mutex_lock(&pool->lock);
	if (pool->dead) {
		pthread_mutex_unlock(&pool->lock);
		return false;
	}
	m->idle = true;
	m->next = pool->midle;
	pool->midle = m;
	for (;;) {
		unsigned int seq = __atomic_load_n(&m->wake, __ATOMIC_ACQUIRE);
		bool surplus = pool->nthreads > pool->nprocs;

		if (!m->idle)
			break;
		if (surplus && kgo_now_ns() >= deadline) {
			struct kgo_m **pm = &pool->midle;

			while (*pm != m)
				pm = &(*pm)->next;
			*pm = m->next;
			pthread_mutex_unlock(&pool->lock);
			return false;
		}
		pthread_mutex_unlock(&pool->lock);
		kgo_futex_wait(&m->wake, seq, surplus ? deadline : -1);
		pthread_mutex_lock(&pool->lock);
	}
	pthread_mutex_unlock(&pool->lock);
	return m->p;	/* no longer idle: nobody else writes it now */
}

/* Another P's work, or the global queue's, to run on @m's P. */
static struct kgo_task *m_steal(struct kgo_m *m)
{
	struct kgo_pool *pool = m->pool;
	unsigned int round, i;

	for (round = 0; round < 4; round++) {
		unsigned int start;

		m->rand = m->rand * 1103515245 + 12345;
		start = (m->rand >> 16) % pool->nprocs;
		for (i = 0; i < pool->nprocs; i++) {
			struct kgo_p *victim = &pool->ps[(start + i) % pool->nprocs];
			struct kgo_task *t;

			if (victim == m->p)
				continue;
			t = runq_steal(m->p, victim);
			if (t)
				return t;
		}
		if (__atomic_load_n(&pool->gq_len, __ATOMIC_SEQ_CST)) {
			struct kgo_task *t;

			pthread_mutex_lock(&pool->lock);
			t = gq_get(pool, m->p);
			pthread_mutex_unlock(&pool->lock);
			if (t)
				return t;
		}
	}
	return NULL;
}

static bool any_work(struct kgo_pool *pool)
{
	unsigned int i;

	if (__atomic_load_n(&pool->gq_len, __ATOMIC_SEQ_CST))
		return true;
	for (i = 0; i < pool->nprocs; i++)
		if (!runq_empty(&pool->ps[i]))
			return true;
	return false;
}

/*
 * The next task for @m, which holds a P.  NULL when the thread should exit
 * (then it holds no P).
 */
static struct kgo_task *m_find_task(struct kgo_m *m)
{
	struct kgo_pool *pool = m->pool;
	struct kgo_task *t;

top:
	/* A thread back from blocking has a task half done: it goes first. */
	if (__atomic_load_n(&pool->nreturning, __ATOMIC_SEQ_CST)) {
		pthread_mutex_lock(&pool->lock);
		if (pool->returning) {
			struct kgo_p *p = m->p;

			m->p = NULL;
			p_release_locked(pool, p);
			pthread_mutex_unlock(&pool->lock);
			if (m->spinning) {
				m->spinning = false;
				if (!__atomic_sub_fetch(&pool->nmspinning, 1,
							__ATOMIC_SEQ_CST))
					kgo_wakep(pool);
			}
			goto park;
		}
		pthread_mutex_unlock(&pool->lock);
	}

	t = runq_get(m->p);
	if (t)
		goto found;
	if (__atomic_load_n(&pool->gq_len, __ATOMIC_SEQ_CST)) {
		pthread_mutex_lock(&pool->lock);
		t = gq_get(pool, m->p);
		pthread_mutex_unlock(&pool->lock);
		if (t)
			goto found;
	}

	/* Go's limit: no more spinning threads than half the busy Ps. */
	if (!m->spinning &&
	    2 * __atomic_load_n(&pool->nmspinning, __ATOMIC_SEQ_CST) <
	    pool->nprocs - __atomic_load_n(&pool->npidle, __ATOMIC_SEQ_CST)) {
		m->spinning = true;
		__atomic_fetch_add(&pool->nmspinning, 1, __ATOMIC_SEQ_CST);
	}
	if (m->spinning) {
		t = m_steal(m);
		if (t)
			goto found;
	}

	pthread_mutex_lock(&pool->lock);
	t = gq_get(pool, m->p);
	if (t) {
		pthread_mutex_unlock(&pool->lock);
		goto found;
	}
	p_release_locked(pool, m->p);
	m->p = NULL;
	pthread_mutex_unlock(&pool->lock);

	if (m->spinning) {
		m->spinning = false;
		__atomic_fetch_sub(&pool->nmspinning, 1, __ATOMIC_SEQ_CST);
		/* Work made while we were giving up would have found us spinning. */
		if (any_work(pool)) {
			pthread_mutex_lock(&pool->lock);
			m->p = p_get_idle_locked(pool);
			pthread_mutex_unlock(&pool->lock);
			if (m->p) {
				m->spinning = true;
				__atomic_fetch_add(&pool->nmspinning, 1,
						   __ATOMIC_SEQ_CST);
				goto top;
			}
		}
	}
park:
	if (!m_park(m))
		return NULL;
	goto top;

found:
	if (m->spinning) {
		m->spinning = false;
		/* The last spinner found work: there may be more, get help. */
		if (__atomic_sub_fetch(&pool->nmspinning, 1, __ATOMIC_SEQ_CST) == 0)
			kgo_wakep(pool);
	}
	return t;
}

static void task_done(struct kgo_pool *pool)
{
	if (__atomic_sub_fetch(&pool->ntasks, 1, __ATOMIC_SEQ_CST) == 0 &&
	    __atomic_load_n(&pool->shutdown, __ATOMIC_SEQ_CST)) {
		pthread_mutex_lock(&pool->lock);
		pthread_cond_broadcast(&pool->drained);
		pthread_mutex_unlock(&pool->lock);
	}
}

static void task_run(struct kgo_m *m, struct kgo_task *t)
{
	m->in_task = true;
	if (t->group)
		kgo_group_run(t->group, t->ctx, t->gfn, t->arg);
	else
		t->fn(t->ctx, t->arg);
	m->in_task = false;
	kgo_ctx_put(t->ctx);
	free(t);
	task_done(m->pool);
}

static void *kgo_thread(void *arg)
{
	struct kgo_m *m = arg;
	struct kgo_pool *pool = m->pool;
	struct kgo_task *t;

	kgo_cur = m;
	while ((t = m_find_task(m)))
		task_run(m, t);

	pthread_mutex_lock(&pool->lock);
	pool->nthreads--;
	pthread_mutex_unlock(&pool->lock);
	kgo_cur = NULL;
	free(m);
	pool_put(pool);
	return NULL;
}

/* ---- Blocking hand-off ------------------------------------------------- */

void kgo_block_begin(void)
{
	struct kgo_m *m = kgo_cur;
	struct kgo_pool *pool;
	struct kgo_p *p;

	if (!m || !m->p || !m->in_task)
		return;
	pool = m->pool;
	p = m->p;
	m->p = NULL;
	/* Go's handoffp: a thread for @p only if there is something to do. */
	if (!runq_empty(p) || __atomic_load_n(&pool->gq_len, __ATOMIC_SEQ_CST)) {
		m_start(pool, p, false);
		return;
	}
	pthread_mutex_lock(&pool->lock);
	if (pool->gq_len) {
		pthread_mutex_unlock(&pool->lock);
		m_start(pool, p, false);
		return;
	}
	p_release_locked(pool, p);
	pthread_mutex_unlock(&pool->lock);
}

void kgo_block_end(void)
{
	struct kgo_m *m = kgo_cur;
	struct kgo_pool *pool;

	if (!m || m->p || !m->in_task)
		return;
	pool = m->pool;
	pthread_mutex_lock(&pool->lock);
	m->p = p_get_idle_locked(pool);
	if (!m->p) {
		m->next = NULL;
		if (pool->returning) {
			struct kgo_m *last = pool->returning;

			while (last->next)
				last = last->next;
			last->next = m;
		} else {
			pool->returning = m;
		}
		__atomic_store_n(&pool->nreturning, pool->nreturning + 1,
				 __ATOMIC_SEQ_CST);
		while (!m->p) {
			unsigned int seq = __atomic_load_n(&m->wake, __ATOMIC_ACQUIRE);

			pthread_mutex_unlock(&pool->lock);
			kgo_futex_wait(&m->wake, seq, -1);
			pthread_mutex_lock(&pool->lock);
		}
	}
	pthread_mutex_unlock(&pool->lock);
}

int kgo_in_pool(struct kgo_pool *p)
{
	return kgo_cur && kgo_cur->pool == p && kgo_cur->in_task;
}

/* ---- API ----------------------------------------------------------------- */

int kgo_pool_new(struct kgo_pool **out, unsigned int nprocs)
{
	struct kgo_pool *pool;
	pthread_condattr_t attr;
	unsigned int i;

	if (!out)
		return -EINVAL;
	if (!nprocs) {
		int saved = errno;
		int n = get_nprocs();

		errno = saved;
		nprocs = n > 0 ? n : 1;
	}
	if (nprocs > 4096)
		return -EINVAL;
	pool = calloc(1, sizeof(*pool));
	if (!pool)
		return -ENOMEM;
	pool->ps = aligned_alloc(KGO_CACHELINE, nprocs * sizeof(*pool->ps));
	if (!pool->ps) {
		free(pool);
		return -ENOMEM;
	}
	memset(pool->ps, 0, nprocs * sizeof(*pool->ps));
	pool->refs = 1;
	pool->nprocs = nprocs;
	pthread_mutex_init(&pool->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&pool->drained, &attr);
	pthread_condattr_destroy(&attr);
	for (i = nprocs; i-- > 0;) {
		pool->ps[i].id = i;
		p_release_locked(pool, &pool->ps[i]);
	}
	*out = pool;
	return 0;
}

int kgo_spawn(struct kgo_pool *pool, struct kgo_ctx *ctx,
	      void (*fn)(struct kgo_ctx *, void *),
	      int (*gfn)(struct kgo_ctx *, void *), void *arg,
	      struct kgo_group *g)
{
	struct kgo_m *m = kgo_cur;
	struct kgo_task *t;

	if (!pool || !(fn || gfn))
		return -EINVAL;
	/* Counted before the check, so kgo_pool_shutdown() cannot miss it. */
	__atomic_fetch_add(&pool->ntasks, 1, __ATOMIC_SEQ_CST);
	if (__atomic_load_n(&pool->shutdown, __ATOMIC_SEQ_CST)) {
		task_done(pool);
		return -ESHUTDOWN;
	}
	t = malloc(sizeof(*t));
	if (!t) {
		task_done(pool);
		return -ENOMEM;
	}
	t->fn = fn;
	t->gfn = gfn;
	t->arg = arg;
	t->ctx = kgo_ctx_get(ctx);
	t->group = g;

	if (m && m->pool == pool && m->p) {
		runq_put(pool, m->p, t);
	} else {
		pthread_mutex_lock(&pool->lock);
		gq_put_batch(pool, t, t, 1);
		pthread_mutex_unlock(&pool->lock);
	}
	kgo_wakep(pool);
	return 0;
}

int kgo_go(struct kgo_pool *p, struct kgo_ctx *ctx,
	   void (*fn)(struct kgo_ctx *, void *), void *arg)
{
	return kgo_spawn(p, ctx, fn, NULL, arg, NULL);
}

int kgo_pool_shutdown(struct kgo_pool *p, int64_t timeout_ns)
{
	int64_t deadline = timeout_ns < 0 ? -1 : kgo_now_ns() + timeout_ns;
	int self, saved = errno;
	long left;

	if (!p)
		return -EINVAL;
	self = kgo_in_pool(p);
	if (self && timeout_ns < 0)
		return -EDEADLK;
	__atomic_store_n(&p->shutdown, 1, __ATOMIC_SEQ_CST);

	kgo_block_begin();
	pthread_mutex_lock(&p->lock);
	while ((left = __atomic_load_n(&p->ntasks, __ATOMIC_SEQ_CST)) > 0) {
		struct timespec ts = kgo_ts(deadline);

		if (deadline < 0) {
			pthread_cond_wait(&p->drained, &p->lock);
		} else if (pthread_cond_timedwait(&p->drained, &p->lock, &ts)) {
			left = __atomic_load_n(&p->ntasks, __ATOMIC_SEQ_CST);
			break;
		}
	}
	pthread_mutex_unlock(&p->lock);
	kgo_block_end();
	errno = saved;
	return left > INT_MAX ? INT_MAX : (int)left;
}

void kgo_pool_free(struct kgo_pool *p)
{
	struct kgo_m *m;

	if (!p)
		return;
	__atomic_store_n(&p->shutdown, 1, __ATOMIC_SEQ_CST);
	pthread_mutex_lock(&p->lock);
	p->dead = true;
	while ((m = p->midle)) {
		p->midle = m->next;
		m_wake(m, NULL);
	}
	pthread_mutex_unlock(&p->lock);
	pool_put(p);
}
