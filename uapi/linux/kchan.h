/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * kchan: Go-style channels as file descriptors.
 *
 * /dev/kchan answers KCHAN_IOC_MAKE with a new channel fd.  Every other
 * ioctl here is issued on a channel fd (KCHAN_IOC_SELECT also on /dev/kchan).
 *
 * ABI rules: fixed-width fields only, pointers as __u64, every struct ends
 * in reserved fields that must be zero, unknown flags are -EINVAL.  Structs
 * are extensible: the kernel reads the size encoded in the ioctl number with
 * copy_struct_from_user(), so fields are only ever appended and a zero value
 * keeps the old behaviour.
 */
#ifndef _UAPI_LINUX_KCHAN_H
#define _UAPI_LINUX_KCHAN_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define KCHAN_IOC_MAGIC		0xC4

/*
 * kchan_make_args.flags, kchan_end_args.flags: the open(2) flags, from
 * <fcntl.h> (userspace) or <linux/fcntl.h>.  Not included here: glibc's
 * <fcntl.h> and <linux/fcntl.h> cannot be used together.
 */
#define KCHAN_CLOEXEC		O_CLOEXEC
#define KCHAN_NONBLOCK		O_NONBLOCK

/* kchan_end_args.end: which directions the new fd may use */
#define KCHAN_SEND_END		0x1U
#define KCHAN_RECV_END		0x2U

/* kchan_xfer_args.flags, kchan_vec_args.flags */
#define KCHAN_XFER_NOWAIT	0x1U	/* -EAGAIN instead of blocking */
#define KCHAN_XFER_ABSTIME	0x2U	/* timeout_ns is absolute */

/* kchan_select_case.op */
#define KCHAN_OP_SEND		1
#define KCHAN_OP_RECV		2
#define KCHAN_OP_POLL		3

/* kchan_select_args.flags */
#define KCHAN_SELECT_NOWAIT	0x1U	/* Go's default: */
#define KCHAN_SELECT_ORDERED	0x2U	/* first ready case wins */
#define KCHAN_ABSTIME		0x4U	/* timeout_ns is absolute */

/* Most cases one select may name (lockdep nests at most 2047 locks of a kind). */
#define KCHAN_SELECT_MAX	1024

/* KCHAN_IOC_MAKE: returns the new channel fd. */
struct kchan_make_args {
	__u32 capacity;		/* buffered messages; 0 = unbuffered */
	__u32 msg_size;		/* largest message; 0 = signal-only */
	__u32 flags;		/* KCHAN_CLOEXEC | KCHAN_NONBLOCK */
	__u32 reserved0;
	__u64 reserved[2];
};

#define KCHAN_MAKE_ARGS_SIZE_VER0	32

/*
 * KCHAN_IOC_SEND / KCHAN_IOC_RECV: one message.
 * SEND returns 0; RECV returns the message length.  A RECV that fails with
 * -EMSGSIZE writes the length of the next message back into @len.
 */
struct kchan_xfer_args {
	__u64 buf;		/* user pointer */
	__u64 len;		/* send: length; recv: buffer size */
	__s64 timeout_ns;	/* < 0: forever; CLOCK_MONOTONIC */
	__u32 flags;		/* KCHAN_XFER_* */
	__u32 reserved0;
	__u64 reserved[2];
};

#define KCHAN_XFER_ARGS_SIZE_VER0	48

/* One element of a KCHAN_IOC_SENDV / KCHAN_IOC_RECVV vector. */
struct kchan_iov {
	__u64 base;		/* user pointer */
	__u64 len;		/* recvv: in buffer size, out message length */
};

/*
 * KCHAN_IOC_SENDV sends all @count messages in order, blocking as needed,
 * and returns how many were sent (an error only if none was).
 * KCHAN_IOC_RECVV waits for one message, then takes up to @count without
 * blocking again, and returns how many it took.
 */
struct kchan_vec_args {
	__u64 iov;		/* struct kchan_iov[count] */
	__u32 count;
	__u32 flags;		/* KCHAN_XFER_* */
	__s64 timeout_ns;
	__u64 reserved[2];
};

#define KCHAN_VEC_ARGS_SIZE_VER0	40
#define KCHAN_VEC_MAX		1024

/* KCHAN_IOC_OPEN_END: returns a new fd limited to @end. */
struct kchan_end_args {
	__u32 end;		/* KCHAN_SEND_END | KCHAN_RECV_END */
	__u32 flags;		/* KCHAN_CLOEXEC | KCHAN_NONBLOCK */
	__u64 reserved[2];
};

#define KCHAN_END_ARGS_SIZE_VER0	24

/* kchan_info.flags */
#define KCHAN_INFO_CLOSED	0x1U	/* kchan_close() was called */
#define KCHAN_INFO_NO_RECEIVER	0x2U	/* last receive end is gone */
#define KCHAN_INFO_CAN_SEND	0x4U	/* this fd is a send end */
#define KCHAN_INFO_CAN_RECV	0x8U	/* this fd is a receive end */

/* KCHAN_IOC_INFO: a snapshot of the channel, as fdinfo shows it. */
struct kchan_info {
	__u32 capacity;
	__u32 msg_size;
	__u32 len;		/* buffered messages */
	__u32 flags;		/* KCHAN_INFO_* */
	__u32 send_waiters;
	__u32 recv_waiters;
	__u64 id;
	__u64 sent;
	__u64 received;
	__u64 reserved[4];
};

#define KCHAN_INFO_SIZE_VER0		80

/* One case of a KCHAN_IOC_SELECT.  Same layout as libkchan's kchan_case. */
struct kchan_select_case {
	__s32 fd;		/* -1: nil channel, never ready */
	__u32 op;		/* KCHAN_OP_* */
	__u64 buf;		/* send / recv buffer */
	__u64 len;		/* send length, recv size, or poll events */
	__s64 res;		/* out, for the case that fired only */
};

/* KCHAN_IOC_SELECT: returns the index of the case that fired. */
struct kchan_select_args {
	__u64 cases;		/* struct kchan_select_case[count] */
	__u32 count;
	__u32 flags;		/* KCHAN_SELECT_*, KCHAN_ABSTIME */
	__s64 timeout_ns;	/* < 0: forever */
	__u32 case_size;	/* sizeof(struct kchan_select_case) */
	__u32 reserved0;
	__u64 reserved[2];
};

#define KCHAN_SELECT_ARGS_SIZE_VER0	48

/*
 * io_uring: an IORING_OP_URING_CMD on a channel fd (or, for SELECT, on
 * /dev/kchan) with one of these cmd_ops and a struct kchan_uring_cmd in
 * the SQE's command bytes.  The CQE's res is what the synchronous call
 * returns.  An operation that cannot complete at once is parked in the
 * kernel and completed by the peer that satisfies it.
 */
struct kchan_uring_cmd {
	__u64 addr;		/* message, buffer, or select cases */
	__u32 len;		/* length, buffer size, or number of cases */
	__u32 flags;		/* select: KCHAN_SELECT_NOWAIT|ORDERED; else 0 */
};

#define KCHAN_IOC_MAKE		_IOW(KCHAN_IOC_MAGIC, 0x00, struct kchan_make_args)
#define KCHAN_IOC_SEND		_IOW(KCHAN_IOC_MAGIC, 0x01, struct kchan_xfer_args)
#define KCHAN_IOC_RECV		_IOWR(KCHAN_IOC_MAGIC, 0x02, struct kchan_xfer_args)
#define KCHAN_IOC_CLOSE		_IO(KCHAN_IOC_MAGIC, 0x03)
#define KCHAN_IOC_INFO		_IOR(KCHAN_IOC_MAGIC, 0x04, struct kchan_info)
#define KCHAN_IOC_OPEN_END	_IOW(KCHAN_IOC_MAGIC, 0x05, struct kchan_end_args)
#define KCHAN_IOC_SENDV		_IOW(KCHAN_IOC_MAGIC, 0x06, struct kchan_vec_args)
#define KCHAN_IOC_RECVV		_IOW(KCHAN_IOC_MAGIC, 0x07, struct kchan_vec_args)
#define KCHAN_IOC_SELECT	_IOW(KCHAN_IOC_MAGIC, 0x08, struct kchan_select_args)

#define KCHAN_URING_SEND	_IOW(KCHAN_IOC_MAGIC, 0x40, struct kchan_uring_cmd)
#define KCHAN_URING_RECV	_IOW(KCHAN_IOC_MAGIC, 0x41, struct kchan_uring_cmd)
#define KCHAN_URING_SELECT	_IOW(KCHAN_IOC_MAGIC, 0x42, struct kchan_uring_cmd)

#endif /* _UAPI_LINUX_KCHAN_H */
