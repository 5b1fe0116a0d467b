// SPDX-License-Identifier: GPL-2.0
/*
 * Signals and kchan_select(): a handled signal gives -EINTR, with or
 * without SA_RESTART, with or without a timeout; a select is never
 * restarted behind its caller's back.  An interrupted select has taken
 * nothing, written no res and left no waiter.  Ignored and blocked
 * signals do not interrupt it.
 */
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

#include "select_util.h"

static atomic_int handled;

static void on_usr1(int sig)
{
	atomic_fetch_add(&handled, 1);
}

static void install(struct __test_metadata *_metadata, void (*fn)(int),
		    int flags)
{
	struct sigaction sa = { .sa_handler = fn, .sa_flags = flags };

	sigemptyset(&sa.sa_mask);
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	atomic_store(&handled, 0);
}

/*
 * Cases of a select that cannot go on: a receive on an empty unbuffered
 * channel and a send to a full buffered one.
 */
struct stuck {
	int un, full;
	char buf[8];
	struct kchan_case c[3];
};

static void stuck_init(struct __test_metadata *_metadata, struct stuck *s)
{
	s->un = kt_make(0, 8, 0);
	s->full = kt_make(1, 8, 0);
	ASSERT_EQ(0, kchan_send(s->full, "old", 3));
	s->c[0] = sel_recv(s->un, s->buf, sizeof(s->buf));
	s->c[1] = sel_send(s->full, "new", 3);
	s->c[2] = sel_send(s->un, "un", 2);
}

/* The select took nothing and left no waiter behind. */
static void stuck_check(struct __test_metadata *_metadata, struct stuck *s)
{
	char b[8];

	sel_check_untouched(s->c, 3, -1);
	EXPECT_EQ(0, kt_wait_waiters(s->un, 0, 0));
	EXPECT_EQ(0, kt_wait_waiters(s->full, 0, 0));
	EXPECT_EQ(-EAGAIN, kchan_try_recv(s->un, b, sizeof(b)));
	EXPECT_EQ(-EAGAIN, kchan_try_send(s->un, "x", 1));
	EXPECT_EQ(1, kchan_len(s->full));
	EXPECT_EQ(3, kchan_try_recv(s->full, b, sizeof(b)));
	EXPECT_EQ(0, memcmp(b, "old", 3));
	close(s->un);
	close(s->full);
}

/* Signals @a's thread once its select is parked; waits for the handler. */
static void interrupt(struct __test_metadata *_metadata, struct sel_async *a,
		      int probe)
{
	int64_t end = kt_now_ns() + KT_WAIT_NS;

	ASSERT_EQ(0, kt_wait_waiters(probe, 1, 1));
	ASSERT_FALSE(sel_async_done(a));
	ASSERT_EQ(0, pthread_kill(a->thread, SIGUSR1));
	while (!atomic_load(&handled)) {
		ASSERT_GT(end, kt_now_ns());
		kt_sleep_ms(1);
	}
}

static void eintr_with(struct __test_metadata *_metadata, int sa_flags,
		       int64_t timeout_ns, unsigned int flags)
{
	struct sel_async a;
	struct stuck s;

	install(_metadata, on_usr1, sa_flags);
	stuck_init(_metadata, &s);
	sel_async_start(&a, s.c, 3, timeout_ns, flags);
	interrupt(_metadata, &a, s.un);
	EXPECT_EQ(-EINTR, sel_async_join(&a));
	stuck_check(_metadata, &s);
}

TEST(eintr_without_sa_restart)
{
	eintr_with(_metadata, 0, -1, 0);
}

TEST(eintr_even_under_sa_restart)
{
	eintr_with(_metadata, SA_RESTART, -1, 0);
}

TEST(eintr_with_a_timeout_not_etimedout)
{
	struct sel_async a;
	struct stuck s;

	eintr_with(_metadata, SA_RESTART, 60 * KT_NSEC_PER_SEC, 0);
	eintr_with(_metadata, 0, kt_now_ns() + 60 * KT_NSEC_PER_SEC,
		   KCHAN_ABSTIME);

	/* A signal does not shorten a later select's timeout either. */
	stuck_init(_metadata, &s);
	sel_async_start(&a, s.c, 3, 50 * KT_NSEC_PER_MSEC, 0);
	EXPECT_EQ(-ETIMEDOUT, sel_async_join(&a));
	EXPECT_LE(50 * KT_NSEC_PER_MSEC, a.elapsed_ns);
	stuck_check(_metadata, &s);
}

TEST(ignored_signal_does_not_interrupt)
{
	struct sel_async a;
	struct stuck s;

	install(_metadata, SIG_IGN, 0);
	stuck_init(_metadata, &s);
	sel_async_start(&a, s.c, 3, -1, 0);
	ASSERT_EQ(0, kt_wait_waiters(s.un, 1, 1));
	ASSERT_EQ(0, pthread_kill(a.thread, SIGUSR1));
	kt_sleep_ms(100);
	EXPECT_FALSE(sel_async_done(&a)) TH_LOG("returned %d", a.ret);
	EXPECT_EQ(0, kt_wait_waiters(s.un, 1, 1));
	EXPECT_EQ(0, kchan_send(s.un, "go", 2));
	EXPECT_EQ(0, sel_async_join(&a));
	EXPECT_EQ(2, s.c[0].res);
	sel_check_untouched(s.c, 3, 0);
	close(s.un);
	close(s.full);
}

static void *blocked_select_fn(void *arg)
{
	struct sel_async *a = arg;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	return sel_async_fn(a);
}

TEST(blocked_signal_does_not_interrupt)
{
	struct sel_async a = { };
	struct stuck s;

	install(_metadata, on_usr1, 0);
	stuck_init(_metadata, &s);
	a.cases = s.c;
	a.n = 3;
	a.timeout_ns = -1;
	ASSERT_EQ(0, pthread_create(&a.thread, NULL, blocked_select_fn, &a));
	ASSERT_EQ(0, kt_wait_waiters(s.un, 1, 1));
	ASSERT_EQ(0, pthread_kill(a.thread, SIGUSR1));
	kt_sleep_ms(100);
	EXPECT_FALSE(sel_async_done(&a)) TH_LOG("returned %d", a.ret);
	EXPECT_EQ(0, atomic_load(&handled));
	EXPECT_EQ(0, kchan_send(s.un, "go", 2));
	EXPECT_EQ(0, sel_async_join(&a));
	EXPECT_EQ(2, s.c[0].res);
	close(s.un);
	close(s.full);
}

TEST(select_after_eintr_works)
{
	struct sel_async a;
	struct stuck s;
	char b[8];

	install(_metadata, on_usr1, 0);
	stuck_init(_metadata, &s);
	sel_async_start(&a, s.c, 3, -1, 0);
	interrupt(_metadata, &a, s.un);
	EXPECT_EQ(-EINTR, sel_async_join(&a));
	sel_check_untouched(s.c, 3, -1);

	/* Called again, the same select parks and fires as usual. */
	sel_async_start(&a, s.c, 3, -1, 0);
	ASSERT_EQ(0, kt_wait_waiters(s.un, 1, 1));
	EXPECT_EQ(2, kchan_recv(s.un, b, sizeof(b)));
	EXPECT_EQ(0, memcmp(b, "un", 2));
	EXPECT_EQ(2, sel_async_join(&a));
	EXPECT_EQ(0, s.c[2].res);
	sel_check_untouched(s.c, 3, 2);
	close(s.un);
	close(s.full);
}

/* Many signals against a select whose peer sends at the same time. */
TEST(signals_racing_a_sender_lose_nothing)
{
	int ch = kt_make(0, 8, 0), i, got = 0, intr = 0;
	struct kchan_case c;
	struct sel_async a;
	uint32_t v, b;

	install(_metadata, on_usr1, 0);
	for (i = 0; i < 200; i++) {
		c = sel_recv(ch, &b, sizeof(b));
		sel_async_start(&a, &c, 1, -1, 0);
		ASSERT_EQ(0, kt_wait_waiters(ch, 0, 1));
		v = i;
		atomic_store(&handled, 0);
		ASSERT_EQ(0, pthread_kill(a.thread, SIGUSR1));
		/* Every third round, let the signal land first. */
		while (i % 3 == 0 && !atomic_load(&handled))
			kt_sleep_ms(1);
		/* Either the receive took it, or the send stays for later. */
		if (kchan_send_timeout(ch, &v, sizeof(v), 0) == 0) {
			ASSERT_EQ(0, sel_async_join(&a));
			ASSERT_EQ(4, c.res);
			ASSERT_EQ((uint32_t)i, b);
			got++;
		} else {
			ASSERT_EQ(-EINTR, sel_async_join(&a));
			EXPECT_EQ(SEL_UNTOUCHED, c.res);
			intr++;
		}
		ASSERT_EQ(0, kt_wait_waiters(ch, 0, 0));
	}
	TH_LOG("%d received, %d interrupted", got, intr);
	close(ch);
}

TEST(signal_to_a_select_in_another_process)
{
	char scratch[8];
	int ch = kt_make(0, 8, 0), status;
	struct kchan_case c;
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct sigaction sa = { .sa_handler = on_usr1 };

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		sigaction(SIGUSR1, &sa, NULL);
		c = sel_recv(ch, scratch, 8);
		_exit(kchan_select(&c, 1, -1, 0) == -EINTR &&
		      c.res == SEL_UNTOUCHED ? 0 : 1);
	}
	ASSERT_EQ(0, kt_wait_waiters(ch, 0, 1));
	ASSERT_EQ(0, kill(pid, SIGUSR1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(0, kt_wait_waiters(ch, 0, 0));
	close(ch);
}

/*
 * SIGSTOP and SIGCONT run no handler.  Whether the select then carries on
 * or comes back with -EINTR, the message sent after it resumes is not lost.
 */
TEST(stop_and_continue_lose_nothing)
{
	int ch = kt_make(1, 8, 0), status, p[2];
	char b[8], r = 0;
	pid_t pid;

	ASSERT_EQ(0, pipe(p));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		struct kchan_case c = sel_recv(ch, b, sizeof(b));
		int ret;

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		ret = kchan_select(&c, 1, -1, 0);
		r = ret == -EINTR ? 'i' : ret == 0 && c.res == 4 ? 'g' : 'x';
		if (write(p[1], &r, 1) != 1)
			_exit(2);
		_exit(r == 'x');
	}
	ASSERT_EQ(0, kt_wait_waiters(ch, 0, 1));
	ASSERT_EQ(0, kill(pid, SIGSTOP));
	ASSERT_EQ(pid, waitpid(pid, &status, WUNTRACED));
	ASSERT_TRUE(WIFSTOPPED(status));
	ASSERT_EQ(0, kill(pid, SIGCONT));
	kt_sleep_ms(50);
	ASSERT_EQ(0, kchan_send(ch, "cont", 4));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	ASSERT_EQ(1, read(p[0], &r, 1));
	/* Interrupted: the message waits in the channel. */
	EXPECT_EQ(r == 'i' ? 1 : 0, kchan_len(ch));
	TH_LOG("select after SIGSTOP/SIGCONT: %s",
	       r == 'i' ? "-EINTR" : "went on and received");
	close(p[0]);
	close(p[1]);
	close(ch);
}

TEST(bad_select_is_refused_before_it_can_be_interrupted)
{
	struct kchan_case c;

	kt_require_kchan();
	install(_metadata, on_usr1, 0);
	c = sel_recv(-1, NULL, 0);
	c.op = 99;
	EXPECT_EQ(-EINVAL, kchan_select(&c, 1, -1, 0));
	EXPECT_EQ(SEL_UNTOUCHED, c.res);
}

TEST_HARNESS_MAIN
