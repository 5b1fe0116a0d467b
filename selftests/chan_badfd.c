// SPDX-License-Identifier: GPL-2.0
/*
 * Bad handles and bad pointers: every libkchan call on an fd that is not a
 * channel returns -ENOTTY, on a closed fd or -1 returns -EBADF, with a bad
 * pointer -EFAULT, and none of them ever touches errno.  The non-channel
 * cases need no module and run on the host too.
 */
#include <sys/eventfd.h>

#include "kchan_test.h"

#define ERRNO_MARK	EXDEV

/*
 * Runs every channel call on @fd, checking each returns @want and leaves
 * errno alone.
 */
static void all_calls_fail(struct __test_metadata *_metadata, int fd, int want)
{
	struct kchan_msg v[1] = { { NULL, 8 } };
	struct kchan_info info;
	char m[8] = "msg";
	long ret[14];
	unsigned int i;

	v[0].buf = m;
	errno = ERRNO_MARK;
	ret[0] = kchan_send(fd, m, 1);
	ret[1] = kchan_recv(fd, m, sizeof(m));
	ret[2] = kchan_try_send(fd, m, 1);
	ret[3] = kchan_try_recv(fd, m, sizeof(m));
	ret[4] = kchan_send_timeout(fd, m, 1, 0);
	ret[5] = kchan_recv_timeout(fd, m, sizeof(m), 1000);
	ret[6] = kchan_close(fd);
	ret[7] = kchan_len(fd);
	ret[8] = kchan_cap(fd);
	ret[9] = kchan_open_end(fd, KCHAN_RECV_END, 0);
	ret[10] = kchan_info(fd, &info);
	ret[11] = kchan_sendv(fd, v, 1);
	ret[12] = kchan_recvv(fd, v, 1);
	ret[13] = kchan_open_end(fd, KCHAN_SEND_END, KCHAN_CLOEXEC);
	EXPECT_EQ(ERRNO_MARK, errno);
	for (i = 0; i < ARRAY_SIZE(ret); i++)
		EXPECT_EQ(want, ret[i]) TH_LOG("call #%u on fd %d", i, fd);
}

TEST(pipe_enotty)
{
	int p[2];

	ASSERT_EQ(0, pipe(p));
	all_calls_fail(_metadata, p[0], -ENOTTY);
	all_calls_fail(_metadata, p[1], -ENOTTY);
	close(p[0]);
	close(p[1]);
}

TEST(dev_null_enotty)
{
	int fd = open("/dev/null", O_RDWR);

	ASSERT_LE(0, fd);
	all_calls_fail(_metadata, fd, -ENOTTY);
	close(fd);
}

TEST(eventfd_enotty)
{
	int fd = eventfd(0, EFD_CLOEXEC);

	ASSERT_LE(0, fd);
	all_calls_fail(_metadata, fd, -ENOTTY);
	close(fd);
}

TEST(dev_kchan_itself_enotty)
{
	int dev;

	kt_require_kchan();
	dev = open("/dev/kchan", O_RDWR);
	ASSERT_LE(0, dev);
	all_calls_fail(_metadata, dev, -ENOTTY);
	close(dev);
}

TEST(closed_and_negative_fd_ebadf)
{
	int fd = open("/dev/null", O_RDONLY);

	ASSERT_LE(0, fd);
	close(fd);
	all_calls_fail(_metadata, fd, -EBADF);
	all_calls_fail(_metadata, -1, -EBADF);
	all_calls_fail(_metadata, INT_MAX, -EBADF);
}

TEST(closed_channel_fd_ebadf)
{
	int ch = kt_make(1, 8, 0);

	close(ch);
	all_calls_fail(_metadata, ch, -EBADF);
}

TEST(send_bad_buffer_efault)
{
	int ch = kt_make(2, 8, 0);
	struct kt_async rcv;
	int ub;

	EXPECT_EQ(-EFAULT, kchan_send(ch, kt_bad_ptr(), 4));
	EXPECT_EQ(-EFAULT, kchan_try_send(ch, kt_bad_ptr(), 4));
	EXPECT_EQ(0, kchan_len(ch));
	close(ch);

	/* Hand-off to a parked receiver: it gets nothing and keeps waiting. */
	ub = kt_make(0, 8, 0);
	kt_async_park(&rcv, ub, KT_RECV, NULL, 8, 0, 1);
	EXPECT_EQ(-EFAULT, kchan_send(ub, kt_bad_ptr(), 4));
	EXPECT_EQ(0, kt_wait_waiters(ub, 0, 1));
	EXPECT_FALSE(kt_async_done(&rcv));
	EXPECT_EQ(0, kchan_send(ub, "good", 4));
	EXPECT_EQ(4, kt_async_join(&rcv));
	close(ub);
}

TEST(recv_bad_buffer_efault_keeps_message)
{
	int ch = kt_make(2, 8, 0);
	char m[8];

	ASSERT_EQ(0, kchan_send(ch, "keep", 4));
	EXPECT_EQ(-EFAULT, kchan_recv(ch, kt_bad_ptr(), sizeof(m)));
	EXPECT_EQ(-EFAULT, kchan_try_recv(ch, kt_bad_ptr(), sizeof(m)));
	EXPECT_EQ(1, kchan_len(ch));
	EXPECT_EQ(4, kchan_try_recv(ch, m, sizeof(m)));
	EXPECT_EQ(0, memcmp(m, "keep", 4));
	close(ch);
}

TEST(recv_bad_buffer_from_parked_sender)
{
	int ch = kt_make(0, 8, 0);
	struct kt_async snd;
	char m[8];

	kt_async_park(&snd, ch, KT_SEND, "park", 4, 1, 0);
	EXPECT_EQ(-EFAULT, kchan_recv(ch, kt_bad_ptr(), sizeof(m)));
	/* Nothing is lost silently: the sender still waits with its message. */
	EXPECT_EQ(0, kt_wait_waiters(ch, 1, 0));
	EXPECT_FALSE(kt_async_done(&snd));
	EXPECT_EQ(4, kchan_try_recv(ch, m, sizeof(m)));
	EXPECT_EQ(0, memcmp(m, "park", 4));
	EXPECT_EQ(0, kt_async_join(&snd));
	close(ch);
}

TEST(bad_args_pointer_efault)
{
	int ch = kt_make(2, 8, 0);
	int dev = open("/dev/kchan", O_RDWR);
	void *bad = kt_bad_ptr();

	ASSERT_LE(0, dev);
	EXPECT_EQ(-EFAULT, kt_ioctl(dev, KCHAN_IOC_MAKE, bad));
	EXPECT_EQ(-EFAULT, kt_ioctl(dev, KCHAN_IOC_MAKE, NULL));
	EXPECT_EQ(-EFAULT, kt_ioctl(ch, KCHAN_IOC_SEND, bad));
	EXPECT_EQ(-EFAULT, kt_ioctl(ch, KCHAN_IOC_RECV, bad));
	EXPECT_EQ(-EFAULT, kt_ioctl(ch, KCHAN_IOC_SEND, NULL));
	EXPECT_EQ(-EFAULT, kt_ioctl(ch, KCHAN_IOC_INFO, bad));
	EXPECT_EQ(-EFAULT, kt_ioctl(ch, KCHAN_IOC_OPEN_END, bad));
	EXPECT_EQ(-EFAULT, kt_ioctl(ch, KCHAN_IOC_SENDV, bad));
	EXPECT_EQ(-EFAULT, kt_ioctl(ch, KCHAN_IOC_RECVV, NULL));
	EXPECT_EQ(-EFAULT, kchan_info(ch, bad));
	EXPECT_EQ(0, kchan_len(ch));
	close(dev);
	close(ch);
}

TEST(success_leaves_errno_alone)
{
	int ch = kt_make(2, 8, 0);
	struct kchan_msg v[1] = { { "v", 1 } };
	struct kchan_info info;
	char m[8];
	int end;

	errno = ERRNO_MARK;
	EXPECT_EQ(0, kchan_send(ch, "a", 1));
	EXPECT_EQ(1, kchan_recv(ch, m, sizeof(m)));
	EXPECT_EQ(0, kchan_try_send(ch, "b", 1));
	EXPECT_EQ(1, kchan_try_recv(ch, m, sizeof(m)));
	EXPECT_EQ(-EAGAIN, kchan_try_recv(ch, m, sizeof(m)));
	EXPECT_EQ(-ETIMEDOUT, kchan_recv_timeout(ch, m, sizeof(m), 1000));
	EXPECT_EQ(1, kchan_sendv(ch, v, 1));
	EXPECT_EQ(1, kchan_len(ch));
	EXPECT_EQ(2, kchan_cap(ch));
	EXPECT_EQ(0, kchan_info(ch, &info));
	end = kchan_open_end(ch, KCHAN_RECV_END, 0);
	EXPECT_LE(0, end);
	EXPECT_EQ(-EBADF, kchan_send(end, "x", 1));
	EXPECT_EQ(-EBADF, kchan_close(end));
	EXPECT_EQ(0, kchan_close(ch));
	EXPECT_EQ(-EPIPE, kchan_send(ch, "x", 1));
	EXPECT_EQ(ERRNO_MARK, errno);
	close(end);
	close(ch);
}

TEST_HARNESS_MAIN
