/* SPDX-License-Identifier: MIT */
/*
 * libkgo: goroutine-like tasks over kchan channels.
 *
 * A pool runs tasks on nprocs processors (Go's GOMAXPROCS).  Contexts form
 * a tree and are cancelled through an eventfd each; wait groups and error
 * groups follow Go's sync.WaitGroup and errgroup.
 *
 * Every function returns >= 0 on success or -errno on failure, and never
 * touches errno.  Timeouts are nanoseconds on CLOCK_MONOTONIC; a negative
 * timeout waits forever.  A NULL context, where a call consumes one, means
 * "never cancelled", like the background context.
 */
#ifndef KGO_H
#define KGO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

struct kgo_pool;
struct kgo_ctx;
struct kgo_group;

/* ---- Pool --------------------------------------------------------------- */

/* A pool of @nprocs processors; 0 = the number of online CPUs. */
int kgo_pool_new(struct kgo_pool **out, unsigned int nprocs);

/*
 * Runs fn(ctx, arg) as a task.  The task holds its own reference to @ctx
 * until it returns.  -ESHUTDOWN once kgo_pool_shutdown() has been called.
 */
int kgo_go(struct kgo_pool *p, struct kgo_ctx *ctx,
	   void (*fn)(struct kgo_ctx *, void *), void *arg);

/*
 * Stops accepting tasks and waits up to @timeout_ns for queued and running
 * ones; cancels nothing.  Returns how many tasks had not finished at the
 * deadline (0: clean), or -EDEADLK when a task of @p waits for itself forever.
 */
int kgo_pool_shutdown(struct kgo_pool *p, int64_t timeout_ns);

/*
 * Releases the pool.  Tasks still running (leaks) keep its memory alive
 * until they return; the pool's idle threads exit.
 */
void kgo_pool_free(struct kgo_pool *p);

/* ---- Contexts ----------------------------------------------------------- */

/* A context that is never done; its done fd is -1 (a nil select case). */
int kgo_ctx_background(struct kgo_ctx **out);

/* A child of @parent, done when cancelled or when @parent is done. */
int kgo_ctx_with_cancel(struct kgo_ctx *parent, struct kgo_ctx **out);

/* As kgo_ctx_with_cancel(), and done with -ETIMEDOUT after @timeout_ns. */
int kgo_ctx_with_timeout(struct kgo_ctx *parent, int64_t timeout_ns,
			 struct kgo_ctx **out);

/* Cancels @ctx and all its descendants before returning. */
void kgo_ctx_cancel(struct kgo_ctx *ctx);

/* An eventfd that becomes readable when @ctx is done.  Poll it; don't read it. */
int kgo_ctx_done_fd(struct kgo_ctx *ctx);

/* 0 while running, then -ECANCELED or -ETIMEDOUT: the first reason sticks. */
int kgo_ctx_err(struct kgo_ctx *ctx);

/* Another reference to @ctx (an addition to SPEC §7). */
struct kgo_ctx *kgo_ctx_get(struct kgo_ctx *ctx);

/* Drops a reference; the last one frees the context and its done fd. */
void kgo_ctx_put(struct kgo_ctx *ctx);

/* ---- Channel operations bounded by a context ---------------------------- */

/*
 * kchan_send()/kchan_recv() that give up with the context's error when
 * @ctx is done first; the message is then neither sent nor lost.  A task
 * blocked here does not hold one of the pool's processors.
 */
int kgo_send(struct kgo_ctx *ctx, int ch, const void *msg, size_t len);
ssize_t kgo_recv(struct kgo_ctx *ctx, int ch, void *buf, size_t cap);

/* ---- Wait groups -------------------------------------------------------- */

/*
 * Go's sync.WaitGroup, used by value.  The field is private: initialise
 * with kgo_wg_init() or KGO_WG_INIT.
 */
struct kgo_wg {
	uint64_t state;
};

#define KGO_WG_INIT	{ 0 }

void kgo_wg_init(struct kgo_wg *wg);

/* Adds @n (may be negative); -EINVAL if the counter would go negative. */
int kgo_wg_add(struct kgo_wg *wg, int n);

/* kgo_wg_add(wg, -1). */
int kgo_wg_done(struct kgo_wg *wg);

/* Waits for the counter to reach zero: 0, or @ctx's error if it ends first. */
int kgo_wg_wait(struct kgo_wg *wg, struct kgo_ctx *ctx);

/* ---- Error groups ------------------------------------------------------- */

/* A group of tasks on @p under a new child context of @parent. */
int kgo_group_new(struct kgo_pool *p, struct kgo_ctx *parent,
		  struct kgo_group **out);

/* The group's context, which its tasks get; owned by the group. */
struct kgo_ctx *kgo_group_ctx(struct kgo_group *g);

/* Runs fn(group ctx, arg); its first non-zero result cancels the group ctx. */
int kgo_group_go(struct kgo_group *g, int (*fn)(struct kgo_ctx *, void *),
		 void *arg);

/* Waits for every task, cancels the group ctx, returns the first error. */
int kgo_group_wait(struct kgo_group *g);

void kgo_group_free(struct kgo_group *g);

#ifdef __cplusplus
}
#endif

#endif /* KGO_H */
