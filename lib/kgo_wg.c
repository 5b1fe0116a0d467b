// SPDX-License-Identifier: MIT
/*
 * libkgo wait groups: Go's sync.WaitGroup, with a context on the wait.
 *
 * The group itself is one 64-bit word: the counter and a "someone sleeps"
 * flag.  Sleepers queue in a process-wide table hashed by the group's
 * address, as Go's semaphores do, each on a futex word of its own: the add
 * that brings the counter to zero clears the flag in the same atomic step
 * and afterwards touches only the table, so a waiter may free the group the
 * moment it returns.  Each sleeper is woken alone, by the count reaching
 * zero or by its own context, never by another waiter's context.
 */
#include <pthread.h>
#include <stdbool.h>

#include "kgo_internal.h"

#define WG_COUNT_MASK	0x7fffffffULL
#define WG_SLEEPING	0x80000000ULL
#define WG_BUCKETS	64

enum { WG_ASLEEP, WG_KICKED, WG_RELEASED };

struct kgo_wg_waiter {
	struct kgo_ctx_waiter cw;
	struct kgo_wg *wg;
	struct kgo_wg_waiter *prev, *next;
	bool listed;			/* in the bucket; bucket lock */
	unsigned int word;		/* futex: WG_* */
};

static struct kgo_wg_bucket {
	pthread_mutex_t lock;
	struct kgo_wg_waiter *head;
} __attribute__((aligned(64))) kgo_wg_table[WG_BUCKETS];

static pthread_once_t kgo_wg_once = PTHREAD_ONCE_INIT;

static void kgo_wg_table_init(void)
{
	unsigned int i;

	for (i = 0; i < WG_BUCKETS; i++)
		pthread_mutex_init(&kgo_wg_table[i].lock, NULL);
}

static struct kgo_wg_bucket *wg_bucket(struct kgo_wg *wg)
{
	uint64_t h = (uintptr_t)wg * 0x9e3779b97f4a7c15ULL;

	pthread_once(&kgo_wg_once, kgo_wg_table_init);
	return &kgo_wg_table[h >> 58];
}

static void wg_unlist(struct kgo_wg_bucket *b, struct kgo_wg_waiter *w)
{
	if (w->prev)
		w->prev->next = w->next;
	else
		b->head = w->next;
	if (w->next)
		w->next->prev = w->prev;
	w->listed = false;
}

/* The counter of @wg reached zero with sleepers: wake them, not touching @wg. */
static void wg_release(struct kgo_wg *wg)
{
	struct kgo_wg_bucket *b = wg_bucket(wg);
	struct kgo_wg_waiter *w, *next, *out = NULL;

	pthread_mutex_lock(&b->lock);
	for (w = b->head; w; w = next) {
		next = w->next;
		if (w->wg != wg)
			continue;
		wg_unlist(b, w);
		w->next = out;
		out = w;
	}
	pthread_mutex_unlock(&b->lock);
	for (w = out; w; w = next) {
		next = w->next;		/* @w may be gone after the store */
		__atomic_store_n(&w->word, WG_RELEASED, __ATOMIC_RELEASE);
		kgo_futex_wake(&w->word, 1);
	}
}

void kgo_wg_init(struct kgo_wg *wg)
{
	if (wg)
		__atomic_store_n(&wg->state, 0, __ATOMIC_RELAXED);
}

int kgo_wg_add(struct kgo_wg *wg, int n)
{
	uint64_t old, new;
	int64_t count;

	if (!wg)
		return -EINVAL;
	old = __atomic_load_n(&wg->state, __ATOMIC_RELAXED);
	do {
		count = (int64_t)(old & WG_COUNT_MASK) + n;
		if (count < 0)
			return -EINVAL;
		if (count > (int64_t)WG_COUNT_MASK)
			return -EOVERFLOW;
		new = (old & ~WG_COUNT_MASK) | (uint64_t)count;
		if (!count)
			new &= ~WG_SLEEPING;
	} while (!__atomic_compare_exchange_n(&wg->state, &old, new, 1,
					      __ATOMIC_ACQ_REL, __ATOMIC_RELAXED));
	if (!count && (old & WG_SLEEPING))
		wg_release(wg);
	return 0;
}

int kgo_wg_done(struct kgo_wg *wg)
{
	return kgo_wg_add(wg, -1);
}

static void kgo_wg_kick(struct kgo_ctx_waiter *cw)
{
	struct kgo_wg_waiter *w = (struct kgo_wg_waiter *)cw;
	unsigned int asleep = WG_ASLEEP;

	if (__atomic_compare_exchange_n(&w->word, &asleep, WG_KICKED, 0,
					__ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
		kgo_futex_wake(&w->word, 1);
}

/*
 * Queues @w unless the counter is zero already; false then.  The flag is
 * set under the bucket lock, so the zeroing add finds @w listed.  Its word
 * is left alone: the context may have kicked it already.
 */
static bool wg_enqueue(struct kgo_wg_bucket *b, struct kgo_wg_waiter *w)
{
	struct kgo_wg *wg = w->wg;
	uint64_t s = __atomic_load_n(&wg->state, __ATOMIC_ACQUIRE);

	pthread_mutex_lock(&b->lock);
	do {
		if (!(s & WG_COUNT_MASK)) {
			pthread_mutex_unlock(&b->lock);
			return false;
		}
	} while (!(s & WG_SLEEPING) &&
		 !__atomic_compare_exchange_n(&wg->state, &s, s | WG_SLEEPING, 0,
					      __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE));
	w->prev = NULL;
	w->next = b->head;
	if (w->next)
		w->next->prev = w;
	b->head = w;
	w->listed = true;
	pthread_mutex_unlock(&b->lock);
	return true;
}

int kgo_wg_wait(struct kgo_wg *wg, struct kgo_ctx *ctx)
{
	struct kgo_wg_waiter w = {
		.cw.wake = kgo_wg_kick,
		.wg = wg,
		.word = WG_ASLEEP,
	};
	struct kgo_wg_bucket *b;
	bool blocked = false;
	int ret;

	if (!wg)
		return -EINVAL;
	if (!(__atomic_load_n(&wg->state, __ATOMIC_ACQUIRE) & WG_COUNT_MASK))
		return 0;
	b = wg_bucket(wg);
	ret = kgo_ctx_add_waiter(ctx, &w.cw);
	if (ret)
		return ret;
	if (wg_enqueue(b, &w)) {
		kgo_block_begin();
		blocked = true;
		while (__atomic_load_n(&w.word, __ATOMIC_ACQUIRE) == WG_ASLEEP)
			kgo_futex_wait(&w.word, WG_ASLEEP, -1);
		pthread_mutex_lock(&b->lock);
		if (w.listed) {
			/* Only a context kicks, and only once it is done. */
			wg_unlist(b, &w);
			pthread_mutex_unlock(&b->lock);
			ret = kgo_ctx_err(ctx);
		} else {
			pthread_mutex_unlock(&b->lock);
			/* Released: the waker writes our word once more, last. */
			while (__atomic_load_n(&w.word, __ATOMIC_ACQUIRE) != WG_RELEASED)
				kgo_futex_wait(&w.word, WG_KICKED, -1);
		}
	}
	kgo_ctx_del_waiter(ctx, &w.cw);
	if (blocked)
		kgo_block_end();
	return ret;
}
