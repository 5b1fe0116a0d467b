// SPDX-License-Identifier: MIT
/*
 * libkgo error groups: Go's errgroup.WithContext.
 *
 * Tasks run under a child context of the caller's; the first non-zero
 * result is kept and cancels that context, so the other tasks can stop
 * early.  kgo_group_wait() waits for all of them, like Go's Wait().
 */
#include "kgo_internal.h"

struct kgo_group {
	struct kgo_pool *pool;
	struct kgo_ctx *ctx;
	struct kgo_wg wg;
	int err;			/* atomic: the first error */
};

int kgo_group_new(struct kgo_pool *p, struct kgo_ctx *parent,
		  struct kgo_group **out)
{
	struct kgo_ctx *bg = NULL;
	struct kgo_group *g;
	int ret;

	if (!p || !out)
		return -EINVAL;
	g = calloc(1, sizeof(*g));
	if (!g)
		return -ENOMEM;
	if (!parent) {
		ret = kgo_ctx_background(&bg);
		if (ret)
			goto out_free;
		parent = bg;
	}
	ret = kgo_ctx_with_cancel(parent, &g->ctx);
	kgo_ctx_put(bg);
	if (ret)
		goto out_free;
	g->pool = p;
	kgo_wg_init(&g->wg);
	*out = g;
	return 0;

out_free:
	free(g);
	return ret;
}

struct kgo_ctx *kgo_group_ctx(struct kgo_group *g)
{
	return g ? g->ctx : NULL;
}

void kgo_group_run(struct kgo_group *g, struct kgo_ctx *ctx,
		   int (*fn)(struct kgo_ctx *, void *), void *arg)
{
	int err = fn(ctx, arg), none = 0;

	if (err && __atomic_compare_exchange_n(&g->err, &none, err, 0,
					       __ATOMIC_SEQ_CST, __ATOMIC_RELAXED))
		kgo_ctx_cancel(g->ctx);
	kgo_wg_done(&g->wg);
}

int kgo_group_go(struct kgo_group *g, int (*fn)(struct kgo_ctx *, void *),
		 void *arg)
{
	int ret;

	if (!g || !fn)
		return -EINVAL;
	ret = kgo_wg_add(&g->wg, 1);
	if (ret)
		return ret;
	ret = kgo_spawn(g->pool, g->ctx, NULL, fn, arg, g);
	if (ret)
		kgo_wg_done(&g->wg);
	return ret;
}

int kgo_group_wait(struct kgo_group *g)
{
	int ret;

	if (!g)
		return -EINVAL;
	ret = kgo_wg_wait(&g->wg, NULL);
	if (ret)
		return ret;
	kgo_ctx_cancel(g->ctx);
	return __atomic_load_n(&g->err, __ATOMIC_SEQ_CST);
}

void kgo_group_free(struct kgo_group *g)
{
	if (!g)
		return;
	kgo_ctx_put(g->ctx);
	free(g);
}
