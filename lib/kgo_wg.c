// SPDX-License-Identifier: MIT
/*
 * libkgo wait groups: Go's sync.WaitGroup, with a context on the wait.
 *
 * The whole state is one 64-bit word: the counter, a "someone sleeps" flag,
 * and in the high half a sequence number that is the futex word.  The add
 * that brings the counter to zero bumps the sequence in the same atomic
 * step, so after it the waker touches nothing of the group but the futex
 * address: a waiter may return and free the group at once (the reason Go
 * packs its WaitGroup the same way).  A waiter's context, when it is done,
 * bumps the sequence too.
 */
#include <endian.h>

#include "kgo_internal.h"

#define WG_COUNT_MASK	0x7fffffffULL
#define WG_SLEEPING	0x80000000ULL
#define WG_SEQ_ONE	(1ULL << 32)

struct kgo_wg_waiter {
	struct kgo_ctx_waiter w;
	struct kgo_wg *wg;
};

static unsigned int *wg_futex(struct kgo_wg *wg)
{
	unsigned int *half = (unsigned int *)&wg->state;

	return __BYTE_ORDER == __LITTLE_ENDIAN ? half + 1 : half;
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
		if (!count && n)
			new = (new & ~WG_SLEEPING) + WG_SEQ_ONE;
	} while (!__atomic_compare_exchange_n(&wg->state, &old, new, 1,
					      __ATOMIC_ACQ_REL, __ATOMIC_RELAXED));
	/* Only the futex address from here on: @wg may be gone already. */
	if (!count && (old & WG_SLEEPING))
		kgo_futex_wake(wg_futex(wg), INT_MAX);
	return 0;
}

int kgo_wg_done(struct kgo_wg *wg)
{
	return kgo_wg_add(wg, -1);
}

static void kgo_wg_wake(struct kgo_ctx_waiter *w)
{
	struct kgo_wg *wg = ((struct kgo_wg_waiter *)w)->wg;

	__atomic_fetch_add(&wg->state, WG_SEQ_ONE, __ATOMIC_ACQ_REL);
	kgo_futex_wake(wg_futex(wg), INT_MAX);
}

int kgo_wg_wait(struct kgo_wg *wg, struct kgo_ctx *ctx)
{
	struct kgo_wg_waiter ww = { .w.wake = kgo_wg_wake, .wg = wg };
	int blocked = 0, ret;

	if (!wg)
		return -EINVAL;
	if (!(__atomic_load_n(&wg->state, __ATOMIC_ACQUIRE) & WG_COUNT_MASK))
		return 0;
	ret = kgo_ctx_add_waiter(ctx, &ww.w);
	if (ret)
		return ret;
	for (;;) {
		uint64_t s = __atomic_load_n(&wg->state, __ATOMIC_ACQUIRE);

		if (!(s & WG_COUNT_MASK))
			break;
		if (ctx) {
			ret = kgo_ctx_err(ctx);
			if (ret)
				break;
		}
		if (!(s & WG_SLEEPING) &&
		    !__atomic_compare_exchange_n(&wg->state, &s, s | WG_SLEEPING,
						 0, __ATOMIC_ACQ_REL,
						 __ATOMIC_RELAXED))
			continue;
		if (!blocked) {
			kgo_block_begin();
			blocked = 1;
		}
		kgo_futex_wait(wg_futex(wg), s >> 32, -1);
	}
	kgo_ctx_del_waiter(ctx, &ww.w);
	if (blocked)
		kgo_block_end();
	return ret;
}
