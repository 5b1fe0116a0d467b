/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The io_uring passthrough API as kchan uses it on 6.1 and 6.12.
 *
 * 6.7 moved the uring_cmd API to <linux/io_uring/cmd.h>, handed drivers the
 * whole SQE instead of its command bytes, and added a cancel hook
 * (io_uring_cmd_mark_cancelable() and IO_URING_F_CANCEL).  Without that
 * hook, kchan_uring.c watches parked commands itself.
 */
#ifndef _KCHAN_COMPAT_H
#define _KCHAN_COMPAT_H

/* KCHAN_HAVE_* come from feature tests in Kbuild. */
#ifdef KCHAN_HAVE_URING_CANCEL
#include <linux/io_uring/cmd.h>

#define KCHAN_URING_CANCEL_HOOK	1

static inline const void *kchan_uring_payload(struct io_uring_cmd *cmd)
{
	return io_uring_sqe_cmd(cmd->sqe);
}
#else
#include <linux/io_uring.h>
#include <linux/io_uring_types.h>

#define KCHAN_URING_CANCEL_HOOK	0
#define IO_URING_F_CANCEL	0

static inline const void *kchan_uring_payload(struct io_uring_cmd *cmd)
{
	return cmd->cmd;
}

static inline void io_uring_cmd_mark_cancelable(struct io_uring_cmd *cmd,
						unsigned int issue_flags)
{
}
#endif

/* The task that submitted @cmd has gone: its memory must not be touched. */
#ifdef KCHAN_HAVE_URING_TASK_DEAD
#define KCHAN_URING_TASK_DEAD	IO_URING_F_TASK_DEAD
#else
#define KCHAN_URING_TASK_DEAD	0
#endif

#endif /* _KCHAN_COMPAT_H */
