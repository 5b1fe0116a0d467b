// SPDX-License-Identifier: GPL-2.0
/*
 * read(2) and write(2) on a channel fd: one message per call; read returns
 * 0 once the channel is closed and drained (EOF for shell tools); write on a
 * closed channel fails with EPIPE and raises no SIGPIPE.
 */
#include <signal.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include "kchan_test.h"

/* The syscall's result as -errno, so EXPECT_EQ shows the error. */
static long rd(int fd, void *buf, size_t len)
{
	long ret = read(fd, buf, len);

	return ret < 0 ? -errno : ret;
}

static long wr(int fd, const void *buf, size_t len)
{
	long ret = write(fd, buf, len);

	return ret < 0 ? -errno : ret;
}

TEST(write_is_one_message)
{
	int ch = kt_make(4, 16, 0);
	char m[16];

	EXPECT_EQ(5, wr(ch, "hello", 5));
	EXPECT_EQ(3, wr(ch, "abc", 3));
	EXPECT_EQ(0, wr(ch, "", 0));
	EXPECT_EQ(3, kchan_len(ch));
	EXPECT_EQ(5, kchan_recv(ch, m, sizeof(m)));
	EXPECT_EQ(0, memcmp(m, "hello", 5));
	EXPECT_EQ(3, kchan_recv(ch, m, sizeof(m)));
	EXPECT_EQ(0, memcmp(m, "abc", 3));
	EXPECT_EQ(0, kchan_recv(ch, m, sizeof(m)));
	close(ch);
}

TEST(read_is_one_message)
{
	int ch = kt_make(4, 16, 0);
	char m[64];

	ASSERT_EQ(0, kchan_send(ch, "first", 5));
	ASSERT_EQ(0, kchan_send(ch, "second", 6));
	EXPECT_EQ(5, rd(ch, m, sizeof(m)));
	EXPECT_EQ(0, memcmp(m, "first", 5));
	EXPECT_EQ(6, rd(ch, m, sizeof(m)));
	EXPECT_EQ(0, memcmp(m, "second", 6));
	EXPECT_EQ(0, kchan_len(ch));
	close(ch);
}

TEST(read_blocks_until_message)
{
	int ch = kt_make(0, 16, 0);
	struct kt_async a;

	kt_async_park(&a, ch, KT_READ, NULL, 16, 0, 1);
	EXPECT_EQ(4, wr(ch, "wake", 4));
	EXPECT_EQ(4, kt_async_join(&a));
	EXPECT_EQ(0, memcmp(a.buf, "wake", 4));
}

TEST(write_blocks_until_taken_unbuffered)
{
	int ch = kt_make(0, 16, 0);
	struct kt_async a;
	char m[16];

	kt_async_park(&a, ch, KT_WRITE, "rv", 2, 1, 0);
	EXPECT_EQ(2, rd(ch, m, sizeof(m)));
	EXPECT_EQ(2, kt_async_join(&a));
}

TEST(read_short_buffer_emsgsize_message_stays)
{
	int ch = kt_make(2, 16, 0);
	char m[16];

	ASSERT_EQ(0, kchan_send(ch, "0123456789", 10));
	EXPECT_EQ(-EMSGSIZE, rd(ch, m, 4));
	EXPECT_EQ(1, kchan_len(ch));
	EXPECT_EQ(10, rd(ch, m, 10));
	EXPECT_EQ(0, memcmp(m, "0123456789", 10));
	close(ch);
}

TEST(write_longer_than_msg_size_emsgsize)
{
	int ch = kt_make(2, 16, 0);
	char big[17] = { 0 };

	EXPECT_EQ(-EMSGSIZE, wr(ch, big, sizeof(big)));
	EXPECT_EQ(0, kchan_len(ch));
	close(ch);
}

TEST(read_eof_when_closed_and_drained)
{
	int ch = kt_make(2, 16, 0);
	char m[16];

	ASSERT_EQ(0, kchan_send(ch, "last", 4));
	ASSERT_EQ(0, kchan_close(ch));
	EXPECT_EQ(4, rd(ch, m, sizeof(m)));
	EXPECT_EQ(0, rd(ch, m, sizeof(m)));
	EXPECT_EQ(0, rd(ch, m, sizeof(m)));
	close(ch);
}

TEST(blocked_read_sees_eof_on_close)
{
	int ch = kt_make(0, 16, 0);
	struct kt_async a;

	kt_async_park(&a, ch, KT_READ, NULL, 16, 0, 1);
	ASSERT_EQ(0, kchan_close(ch));
	EXPECT_EQ(0, kt_async_join(&a));
	close(ch);
}

static atomic_int sigpipes;

static void on_sigpipe(int sig)
{
	atomic_fetch_add(&sigpipes, 1);
}

TEST(write_on_closed_epipe_without_sigpipe)
{
	struct sigaction sa = { .sa_handler = on_sigpipe };
	int ch = kt_make(2, 16, 0);

	ASSERT_EQ(0, sigaction(SIGPIPE, &sa, NULL));
	ASSERT_EQ(0, kchan_close(ch));
	EXPECT_EQ(-EPIPE, wr(ch, "x", 1));
	EXPECT_EQ(0, atomic_load(&sigpipes));
	close(ch);
}

TEST(write_on_closed_survives_default_sigpipe)
{
	int ch = kt_make(2, 16, 0);
	int status;
	pid_t pid;

	ASSERT_EQ(0, kchan_close(ch));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		signal(SIGPIPE, SIG_DFL);
		_exit(wr(ch, "x", 1) == -EPIPE ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status)) TH_LOG("killed by signal %d",
					      WTERMSIG(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	close(ch);
}

TEST(write_with_no_receiver_left_epipe)
{
	int ch = kt_make(2, 16, 0);
	int s = kt_open_end(ch, KCHAN_SEND_END, 0);
	int status;
	pid_t pid;

	close(ch);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		signal(SIGPIPE, SIG_DFL);
		_exit(wr(s, "x", 1) == -EPIPE ? 0 : 1);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	close(s);
}

TEST(wrong_direction_read_write_ebadf)
{
	int ch = kt_make(2, 16, 0);
	int s = kt_open_end(ch, KCHAN_SEND_END, 0);
	int r = kt_open_end(ch, KCHAN_RECV_END, 0);
	char m[16];

	ASSERT_EQ(0, kchan_send(ch, "m", 1));
	EXPECT_EQ(-EBADF, rd(s, m, sizeof(m)));
	EXPECT_EQ(-EBADF, wr(r, "x", 1));
	EXPECT_EQ(1, kchan_len(ch));
	EXPECT_EQ(1, rd(r, m, sizeof(m)));
	EXPECT_EQ(1, wr(s, "y", 1));
	close(s);
	close(r);
	close(ch);
}

TEST(read_write_bad_buffer_efault)
{
	int ch = kt_make(2, 16, 0);
	char m[16];

	EXPECT_EQ(-EFAULT, wr(ch, kt_bad_ptr(), 4));
	EXPECT_EQ(0, kchan_len(ch));
	ASSERT_EQ(0, kchan_send(ch, "keep", 4));
	EXPECT_EQ(-EFAULT, rd(ch, kt_bad_ptr(), sizeof(m)));
	ASSERT_EQ(1, kchan_len(ch)) TH_LOG("the message was lost");
	EXPECT_EQ(4, rd(ch, m, sizeof(m)));
	close(ch);
}

TEST(shell_style_pipeline)
{
	int ch = kt_make(8, 16, 0);
	int s = kt_open_end(ch, KCHAN_SEND_END, 0);
	int r = kt_open_end(ch, KCHAN_RECV_END, 0);
	int status, n = 0;
	char m[16];
	long got;
	pid_t pid;

	close(ch);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		int i;

		close(r);
		for (i = 0; i < 100; i++)
			if (wr(s, "line", 4) != 4)
				_exit(1);
		_exit(0);
	}
	close(s);
	while ((got = rd(r, m, sizeof(m))) > 0)
		n++;
	EXPECT_EQ(0, got);
	EXPECT_EQ(100, n);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(r);
}

TEST_HARNESS_MAIN
