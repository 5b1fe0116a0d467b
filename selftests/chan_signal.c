// SPDX-License-Identifier: GPL-2.0
/*
 * Signals: a blocking operation without a timeout restarts under SA_RESTART
 * and returns -EINTR without it; one with a timeout returns -EINTR either
 * way.  An interrupted operation moves no message, and a stopped or killed
 * waiter leaves the channel as it was.
 */
#include <signal.h>
#include <sys/wait.h>

#include "kchan_test.h"

static atomic_int handled;

static void on_usr1(int sig)
{
	atomic_fetch_add(&handled, 1);
}

static void install(struct __test_metadata *_metadata, int flags)
{
	struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = flags };

	sigemptyset(&sa.sa_mask);
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	atomic_store(&handled, 0);
}

/* Signals @a's thread once it is parked, and waits for the handler. */
static void interrupt(struct __test_metadata *_metadata, struct kt_async *a,
		      int senders, int receivers)
{
	int64_t end = kt_now_ns() + KT_WAIT_NS;

	ASSERT_EQ(0, kt_wait_waiters(a->fd, senders, receivers));
	ASSERT_EQ(0, pthread_kill(a->thread, SIGUSR1));
	while (!atomic_load(&handled)) {
		ASSERT_GT(end, kt_now_ns());
		kt_sleep_ms(1);
	}
}

/* Waits until @a is parked again (restarted) or has returned. */
static void wait_parked_or_done(struct __test_metadata *_metadata,
				struct kt_async *a, int senders, int receivers)
{
	int64_t end = kt_now_ns() + KT_WAIT_NS;

	while (!kt_async_done(a) &&
	       kt_wait_waiters(a->fd, senders, receivers) != 0)
		ASSERT_GT(end, kt_now_ns());
}

TEST(recv_restarts_under_sa_restart)
{
	int ch = kt_make(0, 8, 0);
	struct kt_async a;

	install(_metadata, SA_RESTART);
	kt_async_start(&a, ch, KT_RECV, NULL, 8);
	interrupt(_metadata, &a, 0, 1);
	wait_parked_or_done(_metadata, &a, 0, 1);
	EXPECT_FALSE(kt_async_done(&a)) TH_LOG("returned %ld", a.ret);
	EXPECT_EQ(0, kchan_send(ch, "after", 5));
	EXPECT_EQ(5, kt_async_join(&a));
	close(ch);
}

TEST(send_restarts_under_sa_restart)
{
	int ch = kt_make(0, 8, 0);
	struct kt_async a;
	char m[8];

	install(_metadata, SA_RESTART);
	kt_async_start(&a, ch, KT_SEND, "after", 5);
	interrupt(_metadata, &a, 1, 0);
	wait_parked_or_done(_metadata, &a, 1, 0);
	EXPECT_FALSE(kt_async_done(&a)) TH_LOG("returned %ld", a.ret);
	EXPECT_EQ(5, kchan_recv(ch, m, sizeof(m)));
	EXPECT_EQ(0, kt_async_join(&a));
	close(ch);
}

TEST(recv_eintr_without_sa_restart)
{
	int ch = kt_make(0, 8, 0);
	struct kt_async a;

	install(_metadata, 0);
	kt_async_start(&a, ch, KT_RECV, NULL, 8);
	interrupt(_metadata, &a, 0, 1);
	EXPECT_EQ(-EINTR, kt_async_join(&a));
	EXPECT_EQ(0, kt_wait_waiters(ch, 0, 0));
	EXPECT_EQ(-EAGAIN, kchan_try_send(ch, "x", 1));
	close(ch);
}

TEST(send_eintr_without_sa_restart_sends_nothing)
{
	int ch = kt_make(1, 8, 0);
	struct kt_async a;
	char m[8];

	ASSERT_EQ(0, kchan_send(ch, "full", 4));
	install(_metadata, 0);
	kt_async_start(&a, ch, KT_SEND, "intr", 4);
	interrupt(_metadata, &a, 1, 0);
	EXPECT_EQ(-EINTR, kt_async_join(&a));
	EXPECT_EQ(1, kchan_len(ch));
	EXPECT_EQ(4, kchan_recv(ch, m, sizeof(m)));
	EXPECT_EQ(0, memcmp(m, "full", 4));
	EXPECT_EQ(-EAGAIN, kchan_try_recv(ch, m, sizeof(m)));
	close(ch);
}

TEST(timed_ops_eintr_even_under_sa_restart)
{
	int ch = kt_make(0, 8, 0);
	struct kt_async a;

	install(_metadata, SA_RESTART);
	kt_async_start_timeout(&a, ch, KT_RECV_TIMEOUT, NULL, 8,
			       30 * KT_NSEC_PER_SEC);
	interrupt(_metadata, &a, 0, 1);
	EXPECT_EQ(-EINTR, kt_async_join(&a));

	atomic_store(&handled, 0);
	kt_async_start_timeout(&a, ch, KT_SEND_TIMEOUT, "x", 1,
			       30 * KT_NSEC_PER_SEC);
	interrupt(_metadata, &a, 1, 0);
	EXPECT_EQ(-EINTR, kt_async_join(&a));
	EXPECT_EQ(0, kt_wait_waiters(ch, 0, 0));
	close(ch);
}

TEST(read_write_restart_under_sa_restart)
{
	int ch = kt_make(0, 8, 0);
	struct kt_async a;
	char m[8];

	install(_metadata, SA_RESTART);
	kt_async_start(&a, ch, KT_READ, NULL, 8);
	interrupt(_metadata, &a, 0, 1);
	wait_parked_or_done(_metadata, &a, 0, 1);
	EXPECT_FALSE(kt_async_done(&a)) TH_LOG("returned %ld", a.ret);
	EXPECT_EQ(0, kchan_send(ch, "rd", 2));
	EXPECT_EQ(2, kt_async_join(&a));

	atomic_store(&handled, 0);
	kt_async_start(&a, ch, KT_WRITE, "wr", 2);
	interrupt(_metadata, &a, 1, 0);
	wait_parked_or_done(_metadata, &a, 1, 0);
	EXPECT_FALSE(kt_async_done(&a)) TH_LOG("returned %ld", a.ret);
	EXPECT_EQ(2, kchan_recv(ch, m, sizeof(m)));
	EXPECT_EQ(2, kt_async_join(&a));
	close(ch);
}

TEST(stop_and_continue_is_transparent)
{
	int ch = kt_make(0, 8, 0);
	char m[8];
	int status;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(kchan_recv(ch, m, sizeof(m)) == 4 ? 0 : 1);
	ASSERT_EQ(0, kt_wait_waiters(ch, 0, 1));
	ASSERT_EQ(0, kill(pid, SIGSTOP));
	ASSERT_EQ(pid, waitpid(pid, &status, WUNTRACED));
	ASSERT_TRUE(WIFSTOPPED(status));
	ASSERT_EQ(0, kill(pid, SIGCONT));
	ASSERT_EQ(0, kt_wait_waiters(ch, 0, 1));
	EXPECT_EQ(0, kchan_send(ch, "cont", 4));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	close(ch);
}

TEST(killed_waiters_leave_no_trace)
{
	int ch = kt_make(0, 8, 0);
	char m[8];
	pid_t pid[2];
	int status, i;

	pid[0] = fork();
	ASSERT_LE(0, pid[0]);
	if (pid[0] == 0) {
		kchan_recv(ch, m, sizeof(m));
		_exit(0);
	}
	pid[1] = fork();
	ASSERT_LE(0, pid[1]);
	if (pid[1] == 0) {
		kchan_send(ch, "ghost", 5);
		_exit(0);
	}
	/* One of them may have met the other; wait until both are gone. */
	for (i = 0; i < 2; i++) {
		kill(pid[i], SIGKILL);
		ASSERT_EQ(pid[i], waitpid(pid[i], &status, 0));
	}
	EXPECT_EQ(0, kt_wait_waiters(ch, 0, 0));
	EXPECT_EQ(-EAGAIN, kchan_try_send(ch, "x", 1));
	EXPECT_EQ(-EAGAIN, kchan_try_recv(ch, m, sizeof(m)));
	close(ch);
}

TEST(killed_parked_receiver_dequeued)
{
	int ch = kt_make(0, 8, 0);
	char m[8];
	int status;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		kchan_recv(ch, m, sizeof(m));
		_exit(0);
	}
	ASSERT_EQ(0, kt_wait_waiters(ch, 0, 1));
	ASSERT_EQ(0, kill(pid, SIGKILL));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status));
	EXPECT_EQ(0, kt_wait_waiters(ch, 0, 0));
	EXPECT_EQ(-EAGAIN, kchan_try_send(ch, "x", 1));
	close(ch);
}

TEST_HARNESS_MAIN
