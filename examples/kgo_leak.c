// SPDX-License-Identifier: MIT
/*
 * The forgotten sender, Go's most common goroutine leak, and its cure.
 *
 * "First answer wins": three replicas are asked, the caller takes the
 * first answer and moves on.  Over a plain unbuffered channel the two
 * slower replicas block in their send forever; kgo_pool_shutdown() reports
 * them.  With directional ends the caller holds the only receive end:
 * closing it makes every blocked and later send fail with -EPIPE, and the
 * replicas return on their own.
 *
 *   kgo_leak
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "kchan.h"
#include "kgo.h"

#define LEAK_REPLICAS	3

struct leak_replica {
	int ch;			/* where to answer */
	long answer;
	int ret;		/* what the send gave */
};

static void leak_replica(struct kgo_ctx *ctx, void *arg)
{
	struct leak_replica *r = arg;

	usleep(r->answer * 1000);	/* some replicas are slower */
	r->ret = kgo_send(ctx, r->ch, &r->answer, sizeof(r->answer));
}

/*
 * Asks the replicas over a channel; @directional selects the cure.
 * Returns the tasks still blocked at shutdown, or -errno; @epipe counts
 * the replicas whose send failed with -EPIPE.
 */
static int leak_run(int directional, int *epipe, FILE *log)
{
	struct leak_replica r[LEAK_REPLICAS];
	int ch, tx, rx, i, leaked, ret;
	struct kgo_pool *p;
	long first;

	*epipe = 0;
	ch = kchan_make(0, sizeof(long), KCHAN_CLOEXEC);
	if (ch < 0)
		return ch;
	tx = rx = ch;
	if (directional) {
		tx = kchan_open_end(ch, KCHAN_SEND_END, KCHAN_CLOEXEC);
		rx = kchan_open_end(ch, KCHAN_RECV_END, KCHAN_CLOEXEC);
		close(ch);	/* the creating fd can do both: drop it */
		if (tx < 0 || rx < 0) {
			ret = tx < 0 ? tx : rx;
			goto out_close;
		}
	}
	ret = kgo_pool_new(&p, 2);
	if (ret)
		goto out_close;
	for (i = 0; i < LEAK_REPLICAS; i++) {
		r[i] = (struct leak_replica){ .ch = tx, .answer = 10 * (i + 1) };
		kgo_go(p, NULL, leak_replica, &r[i]);
	}

	ret = kgo_recv(NULL, rx, &first, sizeof(first));
	if (ret < 0)
		goto out_pool;
	if (directional) {
		close(rx);	/* no receiver left: senders get -EPIPE */
		rx = -1;
	}
	/* The caller forgets the channel here and goes on. */

	leaked = kgo_pool_shutdown(p, 200 * 1000 * 1000LL);
	fprintf(log, "leak (%s): first answer %ld; tasks still blocked: %d\n",
		directional ? "directional ends" : "plain channel", first, leaked);
	if (leaked && !directional) {
		/* Go has no way out here; kchan can at least close the channel. */
		kchan_close(ch);
		kgo_pool_shutdown(p, -1);
	}
	for (i = 0; i < LEAK_REPLICAS; i++)
		*epipe += r[i].ret == -EPIPE;
	ret = leaked;
out_pool:
	kgo_pool_free(p);
out_close:
	if (rx >= 0)
		close(rx);
	if (tx >= 0 && tx != rx)
		close(tx);
	return ret;
}

#ifndef KGO_EXAMPLE_NO_MAIN
int main(void)
{
	int leaked, fixed, epipe;

	leaked = leak_run(0, &epipe, stdout);
	fixed = leak_run(1, &epipe, stdout);
	if (leaked < 0 || fixed < 0) {
		fprintf(stderr, "kgo_leak: %s\n",
			strerror(-(leaked < 0 ? leaked : fixed)));
		return 1;
	}
	printf("plain channel leaked %d tasks; directional ends leaked %d, "
	       "%d senders saw EPIPE\n", leaked, fixed, epipe);
	return !(leaked > 0 && fixed == 0);
}
#endif
