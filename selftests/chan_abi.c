// SPDX-License-Identifier: GPL-2.0
/*
 * The raw ioctl ABI (uapi/linux/kchan.h): reserved fields must be zero,
 * unknown flags are -EINVAL, unknown ioctls -ENOTTY, and argument structs
 * are extensible (the size in the ioctl number, read as by
 * copy_struct_from_user: too small -EINVAL, larger with a non-zero tail
 * -E2BIG, larger with a zero tail accepted).
 */
#include "kchan_test.h"

/* Room for any argument struct plus a tail. */
#define BIG	256

union arg {
	struct kchan_make_args make;
	struct kchan_xfer_args xfer;
	struct kchan_vec_args vec;
	struct kchan_end_args end;
	unsigned char bytes[BIG];
};

FIXTURE(abi) {
	int dev;		/* /dev/kchan */
	int ch;			/* capacity 4, msg_size 8, holding "abc" */
	char buf[8];
	struct kchan_iov iov;
};

FIXTURE_SETUP(abi)
{
	self->ch = kt_make(4, 8, 0);
	self->dev = open("/dev/kchan", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->dev);
	ASSERT_EQ(0, kchan_send(self->ch, "abc", 3));
	self->iov.base = (uintptr_t)self->buf;
	self->iov.len = sizeof(self->buf);
}

FIXTURE_TEARDOWN(abi)
{
	close(self->ch);
	close(self->dev);
}

static void make_args(union arg *a)
{
	memset(a, 0, sizeof(*a));
	a->make.capacity = 1;
	a->make.msg_size = 8;
}

/* A receive of the buffered message, leaving it sent back afterwards. */
static void recv_args(union arg *a, char *buf)
{
	memset(a, 0, sizeof(*a));
	a->xfer.buf = (uintptr_t)buf;
	a->xfer.len = 8;
	a->xfer.timeout_ns = -1;
	a->xfer.flags = KCHAN_XFER_NOWAIT;
}

static void send_args(union arg *a)
{
	memset(a, 0, sizeof(*a));
	a->xfer.buf = (uintptr_t)"xyz";
	a->xfer.len = 3;
	a->xfer.timeout_ns = -1;
	a->xfer.flags = KCHAN_XFER_NOWAIT;
}

TEST_F(abi, make_reserved_fields_einval)
{
	unsigned int i;
	union arg a;
	long fd;

	make_args(&a);
	a.make.reserved0 = 1;
	EXPECT_EQ(-EINVAL, kt_ioctl(self->dev, KCHAN_IOC_MAKE, &a));
	for (i = 0; i < ARRAY_SIZE(a.make.reserved); i++) {
		make_args(&a);
		a.make.reserved[i] = 1ULL << 63;
		EXPECT_EQ(-EINVAL, kt_ioctl(self->dev, KCHAN_IOC_MAKE, &a));
	}
	make_args(&a);
	fd = kt_ioctl(self->dev, KCHAN_IOC_MAKE, &a);
	EXPECT_LE(0, fd);
	close(fd);
}

TEST_F(abi, make_struct_size_checked)
{
	union arg a;
	long fd;

	make_args(&a);
	EXPECT_EQ(-EINVAL, kt_ioctl(self->dev,
				    KT_IOC_SIZED(KCHAN_IOC_MAKE, 16), &a));
	EXPECT_EQ(-EINVAL, kt_ioctl(self->dev,
				    KT_IOC_SIZED(KCHAN_IOC_MAKE,
						 KCHAN_MAKE_ARGS_SIZE_VER0 - 8),
				    &a));

	/* A newer, larger struct whose new fields are zero works. */
	fd = kt_ioctl(self->dev, KT_IOC_SIZED(KCHAN_IOC_MAKE, 64), &a);
	EXPECT_LE(0, fd);
	close(fd);

	/* ... and one that asks for something this kernel lacks does not. */
	a.bytes[KCHAN_MAKE_ARGS_SIZE_VER0 + 7] = 1;
	EXPECT_EQ(-E2BIG, kt_ioctl(self->dev,
				   KT_IOC_SIZED(KCHAN_IOC_MAKE, 64), &a));
}

TEST_F(abi, xfer_reserved_fields_and_flags_einval)
{
	unsigned int i;
	union arg a;

	send_args(&a);
	a.xfer.reserved0 = 1;
	EXPECT_EQ(-EINVAL, kt_ioctl(self->ch, KCHAN_IOC_SEND, &a));
	recv_args(&a, self->buf);
	a.xfer.reserved0 = 1;
	EXPECT_EQ(-EINVAL, kt_ioctl(self->ch, KCHAN_IOC_RECV, &a));
	for (i = 0; i < ARRAY_SIZE(a.xfer.reserved); i++) {
		send_args(&a);
		a.xfer.reserved[i] = 1;
		EXPECT_EQ(-EINVAL, kt_ioctl(self->ch, KCHAN_IOC_SEND, &a));
		recv_args(&a, self->buf);
		a.xfer.reserved[i] = 1;
		EXPECT_EQ(-EINVAL, kt_ioctl(self->ch, KCHAN_IOC_RECV, &a));
	}
	send_args(&a);
	a.xfer.flags |= 1U << 2;
	EXPECT_EQ(-EINVAL, kt_ioctl(self->ch, KCHAN_IOC_SEND, &a));
	recv_args(&a, self->buf);
	a.xfer.flags = 1U << 31;
	EXPECT_EQ(-EINVAL, kt_ioctl(self->ch, KCHAN_IOC_RECV, &a));

	/* Nothing above moved a message. */
	EXPECT_EQ(1, kchan_len(self->ch));
	recv_args(&a, self->buf);
	EXPECT_EQ(3, kt_ioctl(self->ch, KCHAN_IOC_RECV, &a));
	EXPECT_EQ(0, memcmp(self->buf, "abc", 3));
}

TEST_F(abi, xfer_struct_size_checked)
{
	unsigned long recv = KCHAN_IOC_RECV, send = KCHAN_IOC_SEND;
	union arg a;

	recv_args(&a, self->buf);
	EXPECT_EQ(-EINVAL, kt_ioctl(self->ch, KT_IOC_SIZED(recv, 24), &a));
	EXPECT_EQ(-EINVAL, kt_ioctl(self->ch, KT_IOC_SIZED(recv, 0), &a));
	a.bytes[KCHAN_XFER_ARGS_SIZE_VER0] = 1;
	EXPECT_EQ(-E2BIG, kt_ioctl(self->ch, KT_IOC_SIZED(recv, 56), &a));
	send_args(&a);
	EXPECT_EQ(-EINVAL, kt_ioctl(self->ch, KT_IOC_SIZED(send, 40), &a));
	a.bytes[KCHAN_XFER_ARGS_SIZE_VER0 + 15] = 0x80;
	EXPECT_EQ(-E2BIG, kt_ioctl(self->ch, KT_IOC_SIZED(send, 64), &a));
	EXPECT_EQ(1, kchan_len(self->ch));

	recv_args(&a, self->buf);
	EXPECT_EQ(3, kt_ioctl(self->ch, KT_IOC_SIZED(recv, 64), &a));
	send_args(&a);
	EXPECT_EQ(0, kt_ioctl(self->ch, KT_IOC_SIZED(send, 128), &a));
	EXPECT_EQ(1, kchan_len(self->ch));
}

TEST_F(abi, xfer_abstime_deadline)
{
	union arg a;
	int64_t start;
	long ret;

	recv_args(&a, self->buf);
	ASSERT_EQ(3, kt_ioctl(self->ch, KCHAN_IOC_RECV, &a));

	/* A deadline in the past: -ETIMEDOUT at once, nothing taken. */
	recv_args(&a, self->buf);
	a.xfer.flags = KCHAN_XFER_ABSTIME;
	a.xfer.timeout_ns = kt_now_ns() - KT_NSEC_PER_SEC;
	EXPECT_EQ(-ETIMEDOUT, kt_ioctl(self->ch, KCHAN_IOC_RECV, &a));
	a.xfer.timeout_ns = 0;
	EXPECT_EQ(-ETIMEDOUT, kt_ioctl(self->ch, KCHAN_IOC_RECV, &a));

	/* A deadline ahead is not cut short. */
	start = kt_now_ns();
	a.xfer.timeout_ns = start + 50 * KT_NSEC_PER_MSEC;
	ret = kt_ioctl(self->ch, KCHAN_IOC_RECV, &a);
	EXPECT_EQ(-ETIMEDOUT, ret);
	EXPECT_LE(a.xfer.timeout_ns, kt_now_ns());

	/* A ready operation ignores the deadline. */
	send_args(&a);
	a.xfer.flags = KCHAN_XFER_ABSTIME;
	a.xfer.timeout_ns = 0;
	EXPECT_EQ(0, kt_ioctl(self->ch, KCHAN_IOC_SEND, &a));
}

TEST_F(abi, vec_reserved_flags_and_size_checked)
{
	unsigned long recvv = KCHAN_IOC_RECVV;
	unsigned int i;
	union arg a;

	for (i = 0; i < ARRAY_SIZE(a.vec.reserved); i++) {
		memset(&a, 0, sizeof(a));
		a.vec.iov = (uintptr_t)&self->iov;
		a.vec.count = 1;
		a.vec.timeout_ns = -1;
		a.vec.reserved[i] = 1;
		EXPECT_EQ(-EINVAL, kt_ioctl(self->ch, KCHAN_IOC_RECVV, &a));
		EXPECT_EQ(-EINVAL, kt_ioctl(self->ch, KCHAN_IOC_SENDV, &a));
	}
	memset(&a, 0, sizeof(a));
	a.vec.iov = (uintptr_t)&self->iov;
	a.vec.count = 1;
	a.vec.timeout_ns = -1;
	a.vec.flags = 1U << 7;
	EXPECT_EQ(-EINVAL, kt_ioctl(self->ch, KCHAN_IOC_RECVV, &a));
	a.vec.flags = 0;
	EXPECT_EQ(-EINVAL, kt_ioctl(self->ch, KT_IOC_SIZED(recvv, 32), &a));
	a.bytes[KCHAN_VEC_ARGS_SIZE_VER0 + 1] = 1;
	EXPECT_EQ(-E2BIG, kt_ioctl(self->ch, KT_IOC_SIZED(recvv, 48), &a));
	EXPECT_EQ(1, kchan_len(self->ch));

	a.bytes[KCHAN_VEC_ARGS_SIZE_VER0 + 1] = 0;
	EXPECT_EQ(1, kt_ioctl(self->ch, KT_IOC_SIZED(recvv, 48), &a));
	EXPECT_EQ(3U, self->iov.len);

	/* KCHAN_XFER_NOWAIT on an empty channel: -EAGAIN. */
	a.vec.flags = KCHAN_XFER_NOWAIT;
	EXPECT_EQ(-EAGAIN, kt_ioctl(self->ch, KCHAN_IOC_RECVV, &a));
}

TEST_F(abi, open_end_reserved_flags_and_size_checked)
{
	unsigned long oe = KCHAN_IOC_OPEN_END;
	unsigned int i;
	union arg a;
	long fd;

	for (i = 0; i < ARRAY_SIZE(a.end.reserved); i++) {
		memset(&a, 0, sizeof(a));
		a.end.end = KCHAN_RECV_END;
		a.end.reserved[i] = 1;
		EXPECT_EQ(-EINVAL, kt_ioctl(self->ch, KCHAN_IOC_OPEN_END, &a));
	}
	memset(&a, 0, sizeof(a));
	a.end.end = KCHAN_RECV_END;
	a.end.flags = O_APPEND;
	EXPECT_EQ(-EINVAL, kt_ioctl(self->ch, KCHAN_IOC_OPEN_END, &a));
	a.end.flags = 0;
	EXPECT_EQ(-EINVAL, kt_ioctl(self->ch, KT_IOC_SIZED(oe, 8), &a));
	a.bytes[KCHAN_END_ARGS_SIZE_VER0] = 1;
	EXPECT_EQ(-E2BIG, kt_ioctl(self->ch, KT_IOC_SIZED(oe, 32), &a));
	a.bytes[KCHAN_END_ARGS_SIZE_VER0] = 0;
	fd = kt_ioctl(self->ch, KT_IOC_SIZED(oe, 32), &a);
	EXPECT_LE(0, fd);
	close(fd);
}

TEST_F(abi, unknown_ioctl_enotty)
{
	static const unsigned long bad[] = {
		_IO(KCHAN_IOC_MAGIC, 0x7f),
		_IOW(KCHAN_IOC_MAGIC, 0x40, __u64),
		_IOR(KCHAN_IOC_MAGIC, 0xff, __u32),
		_IO('T', 0x01),
		FIONREAD,
	};
	union arg a;
	unsigned int i;

	memset(&a, 0, sizeof(a));
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		EXPECT_EQ(-ENOTTY, kt_ioctl(self->ch, bad[i], &a))
			TH_LOG("channel fd, ioctl %#lx", bad[i]);
		EXPECT_EQ(-ENOTTY, kt_ioctl(self->dev, bad[i], &a))
			TH_LOG("/dev/kchan, ioctl %#lx", bad[i]);
	}
}

TEST_F(abi, ioctls_on_the_wrong_file_enotty)
{
	union arg a;

	/* /dev/kchan makes channels; it is not one. */
	send_args(&a);
	EXPECT_EQ(-ENOTTY, kt_ioctl(self->dev, KCHAN_IOC_SEND, &a));
	EXPECT_EQ(-ENOTTY, kt_ioctl(self->dev, KCHAN_IOC_CLOSE, NULL));
	EXPECT_EQ(-ENOTTY, kt_ioctl(self->dev, KCHAN_IOC_INFO, &a));

	/* A channel does not make channels. */
	make_args(&a);
	EXPECT_EQ(-ENOTTY, kt_ioctl(self->ch, KCHAN_IOC_MAKE, &a));
}

TEST_F(abi, info_reserved_fields_zero)
{
	struct kchan_info info;
	unsigned int i;

	memset(&info, 0xa5, sizeof(info));
	ASSERT_EQ(0, kt_ioctl(self->ch, KCHAN_IOC_INFO, &info));
	for (i = 0; i < ARRAY_SIZE(info.reserved); i++)
		EXPECT_EQ(0ULL, info.reserved[i]);
	EXPECT_EQ(4U, info.capacity);
	EXPECT_EQ(8U, info.msg_size);
	EXPECT_EQ(1U, info.len);
	EXPECT_EQ(1ULL, info.sent);
}

TEST_HARNESS_MAIN
