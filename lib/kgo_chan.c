// SPDX-License-Identifier: MIT
/*
 * libkgo channel operations bounded by a context.
 *
 * Each is one kernel select over the channel and the context's done fd.
 * The done case comes first under KCHAN_SELECT_ORDERED, so a context that
 * is already done wins over a ready channel: the caller never has to guess
 * whether a message went through.  A try without waiting comes first, so a
 * ready channel costs no processor hand-off.
 */
#include <poll.h>

#include "kchan.h"
#include "kgo_internal.h"

static long kgo_chan_op(struct kgo_ctx *ctx, int ch, int op, void *buf,
			size_t len)
{
	struct kchan_case cases[2] = {
		{ .fd = -1, .op = KCHAN_OP_POLL, .len = POLLIN },
		{ .fd = ch, .op = op, .buf = buf, .len = len },
	};
	int ret;

	if (ctx) {
		cases[0].fd = kgo_ctx_done_fd(ctx);
		if (cases[0].fd < -1)
			return cases[0].fd;
	}
	ret = kchan_select(cases, 2, -1, KCHAN_SELECT_ORDERED | KCHAN_SELECT_NOWAIT);
	if (ret == -EAGAIN) {
		kgo_block_begin();
		ret = kchan_select(cases, 2, -1, KCHAN_SELECT_ORDERED);
		kgo_block_end();
	}
	if (ret < 0)
		return ret;
	if (ret == 0)
		return kgo_ctx_err(ctx);
	return cases[1].res;
}

int kgo_send(struct kgo_ctx *ctx, int ch, const void *msg, size_t len)
{
	return kgo_chan_op(ctx, ch, KCHAN_OP_SEND, (void *)msg, len);
}

ssize_t kgo_recv(struct kgo_ctx *ctx, int ch, void *buf, size_t cap)
{
	return kgo_chan_op(ctx, ch, KCHAN_OP_RECV, buf, cap);
}
