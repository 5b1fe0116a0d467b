// SPDX-License-Identifier: GPL-2.0
/*
 * Directional ends (kchan_open_end): a send end cannot receive, a receive
 * end cannot send (-EBADF), an end cannot be widened.  When the last
 * send-capable fd goes the channel closes itself; when the last
 * receive-capable fd goes, blocked and later sends fail with -EPIPE.
 */
#include <poll.h>

#include "kchan_test.h"

static unsigned int info_flags(int fd)
{
	struct kchan_info info;

	if (kchan_info(fd, &info))
		return ~0U;
	return info.flags;
}

TEST(send_end_sends_only)
{
	int ch = kt_make(2, 8, 0);
	int s = kt_open_end(ch, KCHAN_SEND_END, 0);
	char m[8];

	EXPECT_EQ(KCHAN_INFO_CAN_SEND, info_flags(s));
	EXPECT_EQ(0, kchan_send(s, "a", 1));
	EXPECT_EQ(0, kchan_try_send(s, "b", 1));
	EXPECT_EQ(-EBADF, kchan_recv(s, m, sizeof(m)));
	EXPECT_EQ(-EBADF, kchan_try_recv(s, m, sizeof(m)));
	EXPECT_EQ(-EBADF, kchan_recv_timeout(s, m, sizeof(m), 0));
	EXPECT_EQ(2, kchan_len(s));
	EXPECT_EQ(2, kchan_cap(s));
	EXPECT_EQ(1, kchan_recv(ch, m, sizeof(m)));
	EXPECT_EQ('a', m[0]);
	close(s);
	close(ch);
}

TEST(recv_end_receives_only)
{
	int ch = kt_make(2, 8, 0);
	int r = kt_open_end(ch, KCHAN_RECV_END, 0);
	char m[8];

	EXPECT_EQ(KCHAN_INFO_CAN_RECV, info_flags(r));
	EXPECT_EQ(-EBADF, kchan_send(r, "a", 1));
	EXPECT_EQ(-EBADF, kchan_try_send(r, "a", 1));
	EXPECT_EQ(-EBADF, kchan_send_timeout(r, "a", 1, 0));
	EXPECT_EQ(0, kchan_len(ch));
	ASSERT_EQ(0, kchan_send(ch, "z", 1));
	EXPECT_EQ(1, kchan_recv(r, m, sizeof(m)));
	EXPECT_EQ('z', m[0]);
	close(r);
	close(ch);
}

TEST(wrong_direction_checked_before_readiness)
{
	int ch = kt_make(0, 8, 0);
	int s = kt_open_end(ch, KCHAN_SEND_END, 0);
	int r = kt_open_end(ch, KCHAN_RECV_END, 0);
	char m[8];

	/* Neither would be ready, and neither may block. */
	EXPECT_EQ(-EBADF, kchan_recv(s, m, sizeof(m)));
	EXPECT_EQ(-EBADF, kchan_send(r, "a", 1));
	ASSERT_EQ(0, kchan_close(ch));
	EXPECT_EQ(-EBADF, kchan_recv(s, m, sizeof(m)));
	EXPECT_EQ(-EBADF, kchan_send(r, "a", 1));
	close(s);
	close(r);
	close(ch);
}

TEST(both_ends_and_creating_fd)
{
	int ch = kt_make(2, 8, 0);
	int b = kt_open_end(ch, KCHAN_SEND_END | KCHAN_RECV_END, 0);
	struct kchan_info i1, i2;
	char m[8];

	EXPECT_EQ(KCHAN_INFO_CAN_SEND | KCHAN_INFO_CAN_RECV, info_flags(ch));
	EXPECT_EQ(KCHAN_INFO_CAN_SEND | KCHAN_INFO_CAN_RECV, info_flags(b));
	EXPECT_EQ(0, kchan_send(b, "x", 1));
	EXPECT_EQ(1, kchan_recv(b, m, sizeof(m)));
	ASSERT_EQ(0, kchan_info(ch, &i1));
	ASSERT_EQ(0, kchan_info(b, &i2));
	EXPECT_EQ(i1.id, i2.id);
	close(b);
	close(ch);
}

TEST(ends_cannot_widen)
{
	int ch = kt_make(2, 8, 0);
	int s = kt_open_end(ch, KCHAN_SEND_END, 0);
	int r = kt_open_end(ch, KCHAN_RECV_END, 0);
	int r2, s2;

	EXPECT_EQ(-EBADF, kchan_open_end(r, KCHAN_SEND_END, 0));
	EXPECT_EQ(-EBADF, kchan_open_end(r, KCHAN_SEND_END | KCHAN_RECV_END, 0));
	EXPECT_EQ(-EBADF, kchan_open_end(s, KCHAN_RECV_END, 0));
	EXPECT_EQ(-EBADF, kchan_open_end(s, KCHAN_SEND_END | KCHAN_RECV_END, 0));

	/* The same direction again is fine. */
	r2 = kt_open_end(r, KCHAN_RECV_END, 0);
	s2 = kt_open_end(s, KCHAN_SEND_END, 0);
	EXPECT_EQ(KCHAN_INFO_CAN_RECV, info_flags(r2));
	EXPECT_EQ(KCHAN_INFO_CAN_SEND, info_flags(s2));
	close(r2);
	close(s2);
	close(s);
	close(r);
	close(ch);
}

TEST(open_end_bad_arguments_einval)
{
	int ch = kt_make(2, 8, 0);

	EXPECT_EQ(-EINVAL, kchan_open_end(ch, 0, 0));
	EXPECT_EQ(-EINVAL, kchan_open_end(ch, 1U << 2, 0));
	EXPECT_EQ(-EINVAL, kchan_open_end(ch, KCHAN_SEND_END | 1U << 31, 0));
	EXPECT_EQ(-EINVAL, kchan_open_end(ch, KCHAN_SEND_END, O_APPEND));
	EXPECT_EQ(-EINVAL, kchan_open_end(ch, KCHAN_SEND_END, 1U << 31));
	close(ch);
}

TEST(open_end_flags_apply_to_new_fd_only)
{
	int ch = kt_make(2, 8, 0);
	int r = kt_open_end(ch, KCHAN_RECV_END, KCHAN_NONBLOCK | KCHAN_CLOEXEC);
	char m[8];

	EXPECT_TRUE(fcntl(r, F_GETFL) & O_NONBLOCK);
	EXPECT_TRUE(fcntl(r, F_GETFD) & FD_CLOEXEC);
	EXPECT_FALSE(fcntl(ch, F_GETFL) & O_NONBLOCK);
	EXPECT_FALSE(fcntl(ch, F_GETFD) & FD_CLOEXEC);
	EXPECT_EQ(-EAGAIN, kchan_recv(r, m, sizeof(m)));
	close(r);
	close(ch);
}

TEST(last_send_end_released_closes_channel)
{
	int ch = kt_make(4, 8, 0);
	int s = kt_open_end(ch, KCHAN_SEND_END, 0);
	int r = kt_open_end(ch, KCHAN_RECV_END, 0);
	char m[8];

	ASSERT_EQ(0, close(ch));
	ASSERT_EQ(0, kchan_send(s, "a", 1));
	ASSERT_EQ(0, kchan_send(s, "b", 1));
	EXPECT_FALSE(!!(info_flags(r) & KCHAN_INFO_CLOSED));
	ASSERT_EQ(0, close(s));

	EXPECT_TRUE(!!(info_flags(r) & KCHAN_INFO_CLOSED));
	EXPECT_EQ(1, kchan_recv(r, m, sizeof(m)));
	EXPECT_EQ(1, kchan_recv(r, m, sizeof(m)));
	EXPECT_EQ('b', m[0]);
	EXPECT_EQ(-EPIPE, kchan_recv(r, m, sizeof(m)));
	EXPECT_EQ(0, read(r, m, sizeof(m)));
	close(r);
}

TEST(other_send_ends_keep_channel_open)
{
	int ch = kt_make(4, 8, 0);
	int s1 = kt_open_end(ch, KCHAN_SEND_END, 0);
	int s2 = kt_open_end(ch, KCHAN_SEND_END, 0);
	int r = kt_open_end(ch, KCHAN_RECV_END, 0);
	char m[8];

	ASSERT_EQ(0, close(ch));
	ASSERT_EQ(0, close(s1));
	EXPECT_FALSE(!!(info_flags(r) & KCHAN_INFO_CLOSED));
	EXPECT_EQ(0, kchan_send(s2, "c", 1));
	EXPECT_EQ(1, kchan_recv(r, m, sizeof(m)));
	ASSERT_EQ(0, close(s2));
	EXPECT_EQ(-EPIPE, kchan_recv(r, m, sizeof(m)));
	close(r);
}

TEST(last_send_end_released_wakes_receiver)
{
	int ch = kt_make(0, 8, 0);
	int s = kt_open_end(ch, KCHAN_SEND_END, 0);
	int r = kt_open_end(ch, KCHAN_RECV_END, 0);
	struct kt_async rcv;

	ASSERT_EQ(0, close(ch));
	kt_async_park(&rcv, r, KT_RECV, NULL, 8, 0, 1);
	ASSERT_EQ(0, close(s));
	EXPECT_EQ(-EPIPE, kt_async_join(&rcv));
	close(r);
}

TEST(last_recv_end_released_fails_senders)
{
	int ch = kt_make(0, 8, 0);
	int s = kt_open_end(ch, KCHAN_SEND_END, 0);
	int r = kt_open_end(ch, KCHAN_RECV_END, 0);
	struct kt_async snd;

	ASSERT_EQ(0, close(ch));
	kt_async_park(&snd, s, KT_SEND, "lost?", 5, 1, 0);
	ASSERT_EQ(0, close(r));
	EXPECT_EQ(-EPIPE, kt_async_join(&snd));
	EXPECT_EQ(-EPIPE, kchan_send(s, "x", 1));
	EXPECT_EQ(-EPIPE, kchan_try_send(s, "x", 1));
	EXPECT_TRUE(!!(info_flags(s) & KCHAN_INFO_NO_RECEIVER));
	close(s);
}

TEST(last_recv_end_released_fails_buffered_sends)
{
	int ch = kt_make(4, 8, 0);
	int s = kt_open_end(ch, KCHAN_SEND_END, 0);
	int r = kt_open_end(ch, KCHAN_RECV_END, 0);

	ASSERT_EQ(0, close(ch));
	ASSERT_EQ(0, kchan_send(s, "a", 1));
	ASSERT_EQ(0, close(r));
	/* There is room, but nobody can ever receive. */
	EXPECT_EQ(-EPIPE, kchan_send(s, "b", 1));
	EXPECT_EQ(-EPIPE, kchan_send_timeout(s, "b", 1, 0));
	close(s);
}

TEST(no_receiver_poll_shows_epollerr)
{
	int ch = kt_make(4, 8, 0);
	int s = kt_open_end(ch, KCHAN_SEND_END, 0);
	int r = kt_open_end(ch, KCHAN_RECV_END, 0);
	struct pollfd pfd = { .fd = s, .events = POLLOUT };

	ASSERT_EQ(0, close(ch));
	ASSERT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_EQ(POLLOUT, pfd.revents);
	ASSERT_EQ(0, close(r));
	ASSERT_EQ(1, poll(&pfd, 1, 0));
	EXPECT_TRUE(pfd.revents & POLLERR) TH_LOG("revents %#x", pfd.revents);
	close(s);
}

TEST(recv_end_in_child_exiting_fails_parent_sender)
{
	int ch = kt_make(0, 8, 0);
	int s = kt_open_end(ch, KCHAN_SEND_END, 0);
	int r = kt_open_end(ch, KCHAN_RECV_END, 0);
	char m[8];
	int status;
	pid_t pid;

	ASSERT_EQ(0, close(ch));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(s);
		_exit(kchan_recv(r, m, sizeof(m)) == 3 ? 0 : 1);
	}
	ASSERT_EQ(0, close(r));
	EXPECT_EQ(0, kchan_send(s, "one", 3));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* The child took the last receive end with it. */
	EXPECT_EQ(-EPIPE, kchan_send(s, "two", 3));
	close(s);
}

TEST_HARNESS_MAIN
