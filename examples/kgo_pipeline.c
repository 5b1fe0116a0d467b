// SPDX-License-Identifier: MIT
/*
 * Go's pipeline pattern over kchan channels: generate -> square (x2) ->
 * merge, as in "Go Concurrency Patterns: Pipelines and cancellation".
 * The consumer may stop early: it cancels the context, every stage sees it
 * in its kgo_send()/kgo_recv() and returns, and kgo_pool_shutdown() proves
 * that no task was left behind.
 *
 *   kgo_pipeline [N [TAKE]]   squares 1..N, reads TAKE results (default all)
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kchan.h"
#include "kgo.h"

struct pipe_stage {
	int in, out;
	long n;			/* gen: how many numbers */
	struct kgo_wg *wg;	/* merge: forwarders still running */
};

/* gen(): sends 1..n, then closes its output, like Go's close(out). */
static void pipe_gen(struct kgo_ctx *ctx, void *arg)
{
	struct pipe_stage *s = arg;
	long i;

	for (i = 1; i <= s->n; i++)
		if (kgo_send(ctx, s->out, &i, sizeof(i)) < 0)
			break;
	kchan_close(s->out);
}

/* sq(): squares what it receives until its input ends or ctx is done. */
static void pipe_sq(struct kgo_ctx *ctx, void *arg)
{
	struct pipe_stage *s = arg;
	long v;

	while (kgo_recv(ctx, s->in, &v, sizeof(v)) == sizeof(v)) {
		v *= v;
		if (kgo_send(ctx, s->out, &v, sizeof(v)) < 0)
			break;
	}
	kchan_close(s->out);
}

/* merge(): one forwarder per input ... */
static void pipe_forward(struct kgo_ctx *ctx, void *arg)
{
	struct pipe_stage *s = arg;
	long v;

	while (kgo_recv(ctx, s->in, &v, sizeof(v)) == sizeof(v))
		if (kgo_send(ctx, s->out, &v, sizeof(v)) < 0)
			break;
	kgo_wg_done(s->wg);
}

/* ... and one task that closes the merged output when they are all done. */
static void pipe_closer(struct kgo_ctx *ctx, void *arg)
{
	struct pipe_stage *s = arg;

	(void)ctx;	/* it waits for the forwarders, which always end */
	kgo_wg_wait(s->wg, NULL);
	kchan_close(s->out);
}

/*
 * Runs the pipeline on 1..@n and reads @take results (< 0: all).  Returns
 * the number of tasks still running after shutdown (0: no leak) or -errno;
 * *@sum gets the sum of the squares read.
 */
static int pipeline_run(long n, long take, long *sum, FILE *log)
{
	struct pipe_stage gen, sq[2], fw[2], closer;
	struct kgo_wg wg = KGO_WG_INIT;
	struct kgo_ctx *bg, *ctx;
	struct kgo_pool *p;
	int ch[6], i, ret, leaked;
	long v, got = 0;

	*sum = 0;
	for (i = 0; i < 6; i++) {
		ch[i] = kchan_make(0, sizeof(long), KCHAN_CLOEXEC);
		if (ch[i] < 0) {
			ret = ch[i];
			while (i-- > 0)
				close(ch[i]);
			return ret;
		}
	}
	ret = kgo_pool_new(&p, 2);
	if (ret)
		goto out_close;
	kgo_ctx_background(&bg);
	kgo_ctx_with_cancel(bg, &ctx);

	gen = (struct pipe_stage){ .out = ch[0], .n = n };
	kgo_go(p, ctx, pipe_gen, &gen);
	for (i = 0; i < 2; i++) {	/* fan out: two squarers share gen's output */
		sq[i] = (struct pipe_stage){ .in = ch[0], .out = ch[1 + i] };
		kgo_go(p, ctx, pipe_sq, &sq[i]);
	}
	kgo_wg_add(&wg, 2);
	for (i = 0; i < 2; i++) {	/* fan in */
		fw[i] = (struct pipe_stage){ .in = ch[1 + i], .out = ch[3], .wg = &wg };
		kgo_go(p, ctx, pipe_forward, &fw[i]);
	}
	closer = (struct pipe_stage){ .out = ch[3], .wg = &wg };
	kgo_go(p, ctx, pipe_closer, &closer);

	while ((take < 0 || got < take) &&
	       (ret = kgo_recv(ctx, ch[3], &v, sizeof(v))) == sizeof(v)) {
		*sum += v;
		got++;
	}
	if (take >= 0 && got == take) {
		fprintf(log, "pipeline: took %ld of %ld squares, cancelling\n", got, n);
		kgo_ctx_cancel(ctx);	/* mid-stream: every stage must notice */
	} else if (ret != -EPIPE) {
		fprintf(log, "pipeline: receive failed: %s\n", strerror(-ret));
	}

	leaked = kgo_pool_shutdown(p, 2000 * 1000 * 1000LL);
	fprintf(log, "pipeline: %ld squares summing to %ld; tasks left behind: %d\n",
		got, *sum, leaked);
	ret = (ret < 0 && ret != -EPIPE && take < 0) ? ret : leaked;
	kgo_pool_free(p);
	kgo_ctx_put(ctx);
	kgo_ctx_put(bg);
out_close:
	for (i = 0; i < 6; i++)
		close(ch[i]);
	return ret;
}

#ifndef KGO_EXAMPLE_NO_MAIN
int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100;
	long take = argc > 2 ? atol(argv[2]) : -1;
	long sum;
	int ret = pipeline_run(n, take, &sum, stdout);

	if (ret < 0)
		fprintf(stderr, "kgo_pipeline: %s\n", strerror(-ret));
	return ret != 0;
}
#endif
