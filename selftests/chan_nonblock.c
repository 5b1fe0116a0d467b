// SPDX-License-Identifier: GPL-2.0
/*
 * KCHAN_NONBLOCK is the file's O_NONBLOCK (fcntl sees and changes it) and
 * makes the blocking calls return -EAGAIN; KCHAN_CLOEXEC is FD_CLOEXEC.
 */
#include "kchan_test.h"

TEST(make_flags_are_file_flags)
{
	int plain = kt_make(1, 8, 0);
	int nb = kt_make(1, 8, KCHAN_NONBLOCK);
	int ce = kt_make(1, 8, KCHAN_CLOEXEC);
	int both = kt_make(1, 8, KCHAN_NONBLOCK | KCHAN_CLOEXEC);

	EXPECT_EQ(KCHAN_NONBLOCK, O_NONBLOCK);
	EXPECT_EQ(KCHAN_CLOEXEC, O_CLOEXEC);
	EXPECT_FALSE(fcntl(plain, F_GETFL) & O_NONBLOCK);
	EXPECT_FALSE(fcntl(plain, F_GETFD) & FD_CLOEXEC);
	EXPECT_TRUE(fcntl(nb, F_GETFL) & O_NONBLOCK);
	EXPECT_FALSE(fcntl(nb, F_GETFD) & FD_CLOEXEC);
	EXPECT_FALSE(fcntl(ce, F_GETFL) & O_NONBLOCK);
	EXPECT_TRUE(fcntl(ce, F_GETFD) & FD_CLOEXEC);
	EXPECT_TRUE(fcntl(both, F_GETFL) & O_NONBLOCK);
	EXPECT_TRUE(fcntl(both, F_GETFD) & FD_CLOEXEC);
	EXPECT_EQ(O_RDWR, fcntl(plain, F_GETFL) & O_ACCMODE);
	close(plain);
	close(nb);
	close(ce);
	close(both);
}

TEST(nonblock_blocking_calls_eagain)
{
	int ub = kt_make(0, 8, KCHAN_NONBLOCK);
	int b = kt_make(1, 8, KCHAN_NONBLOCK);
	char m[8];

	EXPECT_EQ(-EAGAIN, kchan_recv(ub, m, sizeof(m)));
	EXPECT_EQ(-EAGAIN, kchan_send(ub, "x", 1));
	EXPECT_EQ(-EAGAIN, kchan_recv(b, m, sizeof(m)));
	EXPECT_EQ(0, kchan_send(b, "x", 1));
	EXPECT_EQ(-EAGAIN, kchan_send(b, "y", 1));
	EXPECT_EQ(1, kchan_recv(b, m, sizeof(m)));
	EXPECT_EQ('x', m[0]);
	close(ub);
	close(b);
}

TEST(nonblock_read_write_eagain)
{
	int ch = kt_make(1, 8, KCHAN_NONBLOCK);
	char m[8];

	errno = 0;
	EXPECT_EQ(-1, read(ch, m, sizeof(m)));
	EXPECT_EQ(EAGAIN, errno);
	EXPECT_EQ(1, write(ch, "x", 1));
	errno = 0;
	EXPECT_EQ(-1, write(ch, "y", 1));
	EXPECT_EQ(EAGAIN, errno);
	close(ch);
}

TEST(nonblock_still_meets_parked_peer)
{
	int ch = kt_make(0, 8, 0);
	int nb = kt_open_end(ch, KCHAN_SEND_END | KCHAN_RECV_END,
			     KCHAN_NONBLOCK);
	struct kt_async rcv, snd;
	char m[8];

	kt_async_park(&rcv, ch, KT_RECV, NULL, 8, 0, 1);
	EXPECT_EQ(0, kchan_send(nb, "hi", 2));
	EXPECT_EQ(2, kt_async_join(&rcv));

	kt_async_park(&snd, ch, KT_SEND, "yo", 2, 1, 0);
	EXPECT_EQ(2, kchan_recv(nb, m, sizeof(m)));
	EXPECT_EQ(0, kt_async_join(&snd));
	close(nb);
	close(ch);
}

TEST(fcntl_toggles_nonblock)
{
	int ch = kt_make(0, 8, 0);
	struct kt_async rcv;
	char m[8];
	int fl;

	fl = fcntl(ch, F_GETFL);
	ASSERT_EQ(0, fcntl(ch, F_SETFL, fl | O_NONBLOCK));
	EXPECT_EQ(-EAGAIN, kchan_recv(ch, m, sizeof(m)));
	EXPECT_EQ(-EAGAIN, kchan_send(ch, "x", 1));

	ASSERT_EQ(0, fcntl(ch, F_SETFL, fl & ~O_NONBLOCK));
	EXPECT_FALSE(fcntl(ch, F_GETFL) & O_NONBLOCK);
	/* Blocking again: the receive parks. */
	kt_async_park(&rcv, ch, KT_RECV, NULL, 8, 0, 1);
	EXPECT_EQ(0, kchan_send(ch, "x", 1));
	EXPECT_EQ(1, kt_async_join(&rcv));
	close(ch);
}

TEST(fcntl_setfd_cloexec)
{
	int ch = kt_make(0, 8, KCHAN_CLOEXEC);

	ASSERT_EQ(0, fcntl(ch, F_SETFD, 0));
	EXPECT_FALSE(fcntl(ch, F_GETFD) & FD_CLOEXEC);
	ASSERT_EQ(0, fcntl(ch, F_SETFD, FD_CLOEXEC));
	EXPECT_TRUE(fcntl(ch, F_GETFD) & FD_CLOEXEC);
	close(ch);
}

TEST(cloexec_fd_gone_after_exec)
{
	int ce = kt_make(0, 8, KCHAN_CLOEXEC);
	int keep = kt_make(0, 8, 0);
	char cmd[128];
	int status;
	pid_t pid;

	if (access("/bin/sh", X_OK))
		SKIP(return, "no /bin/sh to exec");
	snprintf(cmd, sizeof(cmd), "test -e /proc/self/fd/%d && ! test -e /proc/self/fd/%d",
		 keep, ce);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
		_exit(127);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	close(ce);
	close(keep);
}

TEST(nonblock_timeout_calls_eagain)
{
	int ch = kt_make(0, 8, KCHAN_NONBLOCK);
	char m[8];
	int64_t t0 = kt_now_ns();
	long ret;

	/* O_NONBLOCK wins over a timeout: the call does not wait. */
	ret = kchan_recv_timeout(ch, m, sizeof(m), 20 * KT_NSEC_PER_SEC);
	EXPECT_EQ(-EAGAIN, ret);
	ret = kchan_send_timeout(ch, "x", 1, 20 * KT_NSEC_PER_SEC);
	EXPECT_EQ(-EAGAIN, ret);
	EXPECT_GT(10 * KT_NSEC_PER_SEC, kt_now_ns() - t0);
	close(ch);
}

TEST_HARNESS_MAIN
