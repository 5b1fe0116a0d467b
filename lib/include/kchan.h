/* SPDX-License-Identifier: MIT */
/*
 * libkchan: Go-style channels as Linux file descriptors.
 *
 * Every function returns >= 0 on success or -errno on failure, and never
 * touches errno (liburing's convention).  Timeouts are nanoseconds on
 * CLOCK_MONOTONIC; a negative timeout waits forever.
 */
#ifndef KCHAN_H
#define KCHAN_H

#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>
#include <liburing.h>
#include <linux/kchan.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Channels ---------------------------------------------------------- */

/* A new channel fd; @flags: KCHAN_CLOEXEC, KCHAN_NONBLOCK. */
int kchan_make(unsigned int capacity, unsigned int msg_size, unsigned int flags);

/* Go's close(ch): receivers drain, then -EPIPE.  Does not close the fd. */
int kchan_close(int ch);

/* Buffered messages (0 on an unbuffered channel). */
int kchan_len(int ch);

/* The channel's capacity. */
int kchan_cap(int ch);

/* A new fd restricted to @end (KCHAN_SEND_END and/or KCHAN_RECV_END). */
int kchan_open_end(int ch, unsigned int end, unsigned int flags);

/* A snapshot of the channel's state and counters. */
int kchan_info(int ch, struct kchan_info *info);

/* ---- Sending and receiving -------------------------------------------- */

int kchan_send(int ch, const void *msg, size_t len);
ssize_t kchan_recv(int ch, void *buf, size_t cap);
int kchan_try_send(int ch, const void *msg, size_t len);
ssize_t kchan_try_recv(int ch, void *buf, size_t cap);
int kchan_send_timeout(int ch, const void *msg, size_t len, int64_t timeout_ns);
ssize_t kchan_recv_timeout(int ch, void *buf, size_t cap, int64_t timeout_ns);

/* ---- Batches ------------------------------------------------------------ */

struct kchan_msg {
	void *buf;
	size_t len;		/* recvv: in buffer size, out message length */
};

/* Sends all @n in order in one syscall; returns how many were sent. */
int kchan_sendv(int ch, const struct kchan_msg *msgs, unsigned int n);

/* Waits for one message, takes up to @n; returns how many it took. */
int kchan_recvv(int ch, struct kchan_msg *msgs, unsigned int n);

/* ---- Select ------------------------------------------------------------- */

struct kchan_case {
	int fd;			/* -1: nil channel, never ready */
	int op;			/* KCHAN_OP_SEND, KCHAN_OP_RECV, KCHAN_OP_POLL */
	void *buf;
	size_t len;		/* send length, recv size, or poll events */
	ssize_t res;		/* out, for the case that fired only */
};

/*
 * Performs exactly one ready case and returns its index; -EAGAIN with
 * KCHAN_SELECT_NOWAIT, -ETIMEDOUT when @timeout_ns passes first.
 */
int kchan_select(struct kchan_case *cases, unsigned int n, int64_t timeout_ns,
		 unsigned int flags);

/* ---- io_uring ------------------------------------------------------------ */

/*
 * The process's /dev/kchan fd (opened on first use, close-on-exec), for
 * operations that name no channel fd.  -errno if the device is missing.
 */
int kchan_dev_fd(void);

static inline void kchan__prep_cmd(struct io_uring_sqe *sqe, int fd,
				   uint32_t op, const void *addr, size_t len,
				   uint32_t flags)
{
	struct kchan_uring_cmd c = {
		.addr = (uintptr_t)addr,
		/* Longer than any message can be: the kernel says -EMSGSIZE. */
		.len = len > UINT32_MAX ? UINT32_MAX : (uint32_t)len,
		.flags = flags,
	};

	*sqe = (struct io_uring_sqe){
		.opcode = IORING_OP_URING_CMD,
		.fd = fd,
	};
	sqe->cmd_op = op;
	memcpy(sqe->cmd, &c, sizeof(c));
}

/*
 * Prepare @sqe to send @len bytes at @msg on @ch.  The CQE's res is what
 * kchan_send() returns.  @msg is read during submission, so it may be
 * reused as soon as io_uring_submit() returns.
 */
static inline void kchan_prep_send(struct io_uring_sqe *sqe, int ch,
				   const void *msg, size_t len)
{
	kchan__prep_cmd(sqe, ch, KCHAN_URING_SEND, msg, len, 0);
}

/*
 * Prepare @sqe to receive into @buf (@cap bytes) from @ch.  The CQE's res
 * is what kchan_recv() returns; @buf must stay valid until then.
 */
static inline void kchan_prep_recv(struct io_uring_sqe *sqe, int ch, void *buf,
				   size_t cap)
{
	kchan__prep_cmd(sqe, ch, KCHAN_URING_RECV, buf, cap, 0);
}

/*
 * Prepare @sqe to select over @cases, which must stay valid until the CQE.
 * The CQE's res is the fired index (its res written back before the CQE
 * is posted) or -errno; KCHAN_SELECT_NOWAIT and KCHAN_SELECT_ORDERED apply.
 * There is no timeout: add a timerfd KCHAN_OP_POLL case to bound it.
 */
static inline void kchan_prep_select(struct io_uring_sqe *sqe,
				     struct kchan_case *cases, unsigned int n,
				     unsigned int flags)
{
	kchan__prep_cmd(sqe, kchan_dev_fd(), KCHAN_URING_SELECT, cases, n,
			flags);
}

#ifdef __cplusplus
}
#endif

#endif /* KCHAN_H */
