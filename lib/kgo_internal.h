/* SPDX-License-Identifier: MIT */
/*
 * libkgo internals shared between its files.  Not installed.
 */
#ifndef KGO_INTERNAL_H
#define KGO_INTERNAL_H

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kgo.h"

/* Double puts and similar misuse abort in debug builds (the default). */
#ifndef NDEBUG
#define KGO_DEBUG	1
#else
#define KGO_DEBUG	0
#endif

#define kgo_bug(fmt, ...)						\
	do {								\
		fprintf(stderr, "libkgo: " fmt "\n", ##__VA_ARGS__);	\
		abort();						\
	} while (0)

#define READ_ONCE(x)		__atomic_load_n(&(x), __ATOMIC_RELAXED)
#define WRITE_ONCE(x, v)	__atomic_store_n(&(x), (v), __ATOMIC_RELAXED)

static inline int64_t kgo_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static inline struct timespec kgo_ts(int64_t ns)
{
	struct timespec ts = {
		.tv_sec = ns / 1000000000,
		.tv_nsec = ns % 1000000000,
	};

	return ts;
}

/*
 * Sleeps while *@word == @val, up to the absolute CLOCK_MONOTONIC
 * @deadline_ns (< 0: forever).  Spurious returns are allowed; errno is kept.
 */
static inline void kgo_futex_wait(unsigned int *word, unsigned int val,
				  int64_t deadline_ns)
{
	struct timespec ts, *tsp = NULL;
	int saved = errno;

	if (deadline_ns >= 0) {
		ts = kgo_ts(deadline_ns);
		tsp = &ts;
	}
	syscall(SYS_futex, word, FUTEX_WAIT_BITSET | FUTEX_PRIVATE_FLAG, val,
		tsp, NULL, FUTEX_BITSET_MATCH_ANY);
	errno = saved;
}

static inline void kgo_futex_wake(unsigned int *word, int n)
{
	int saved = errno;

	syscall(SYS_futex, word, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, n,
		NULL, NULL, 0);
	errno = saved;
}

/*
 * A thread about to block outside the pool's sight (a channel op, a wait
 * group) hands its processor to another thread, so the pool keeps nprocs
 * tasks running; kgo_block_end() takes a processor back before the task
 * goes on.  Both do nothing outside a pool's task.
 */
void kgo_block_begin(void);
void kgo_block_end(void);

/* Whether the calling thread is running a task of @p. */
int kgo_in_pool(struct kgo_pool *p);

/* Called, under the context's lock, when a context is done. */
struct kgo_ctx_waiter {
	void (*wake)(struct kgo_ctx_waiter *w);
	struct kgo_ctx_waiter *prev, *next;
};

/*
 * Registers @w with @ctx; returns @ctx's error instead if it is already
 * done.  A NULL or background context never wakes anyone.
 */
int kgo_ctx_add_waiter(struct kgo_ctx *ctx, struct kgo_ctx_waiter *w);
void kgo_ctx_del_waiter(struct kgo_ctx *ctx, struct kgo_ctx_waiter *w);

/* Group tasks: the pool calls kgo_group_run() for tasks spawned this way. */
int kgo_spawn(struct kgo_pool *p, struct kgo_ctx *ctx,
	      void (*fn)(struct kgo_ctx *, void *),
	      int (*gfn)(struct kgo_ctx *, void *), void *arg,
	      struct kgo_group *g);
void kgo_group_run(struct kgo_group *g, struct kgo_ctx *ctx,
		   int (*fn)(struct kgo_ctx *, void *), void *arg);

#endif /* KGO_INTERNAL_H */
