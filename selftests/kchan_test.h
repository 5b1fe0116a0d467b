/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the kchan selftests.
 *
 * The harness runs every test in a child process of its own, so a test may
 * leave threads blocked on a channel when it fails: exit reaps them.  Helpers
 * that check must run on the test's own thread (ASSERT_* longjmps); threads
 * started here only record what happened, and the test checks it afterwards.
 *
 * Timing is only ever checked as "at least": the VM runs under TCG, where
 * anything may be late.  Whether a thread is blocked is read from the
 * channel's waiter counts (kchan_info), never guessed from a sleep.
 */
#ifndef KCHAN_TEST_H
#define KCHAN_TEST_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <kchan.h>

#include "kselftest_harness.h"

#define KT_NSEC_PER_MSEC	1000000LL
#define KT_NSEC_PER_SEC		1000000000LL

/* How long to wait for a state that must come (a waiter to park, a wake). */
#define KT_WAIT_NS		(10 * KT_NSEC_PER_SEC)

/* What the harness takes as SKIP from a test's exit status. */
#define KT_EXIT_SKIP		255

/* kt_async_join() of an operation that did not return in KT_WAIT_NS. */
#define KT_STILL_BLOCKED	(-100000L)

#define KT_PARAM_DIR		"/sys/module/kchan/parameters/"

static inline int64_t kt_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * KT_NSEC_PER_SEC + ts.tv_nsec;
}

static inline void kt_sleep_ms(unsigned int ms)
{
	struct timespec ts = {
		.tv_sec = ms / 1000,
		.tv_nsec = (ms % 1000) * KT_NSEC_PER_MSEC,
	};

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* The ioctl's result as the library gives it: >= 0 or -errno. */
static inline long kt_ioctl(int fd, unsigned long cmd, void *arg)
{
	long ret = ioctl(fd, cmd, arg);

	return ret < 0 ? -errno : ret;
}

/* @cmd re-encoded for an argument struct of @size bytes. */
#define KT_IOC_SIZED(cmd, size) \
	_IOC(_IOC_DIR(cmd), _IOC_TYPE(cmd), _IOC_NR(cmd), (size))

/* An address no access may touch: for -EFAULT tests. */
static inline void *kt_bad_ptr(void)
{
	static void *bad;

	if (!bad)
		bad = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
			   -1, 0);
	return bad;
}

/* A module parameter, or @def when the module does not export it. */
static inline unsigned long long kt_param(const char *name,
					  unsigned long long def)
{
	unsigned long long val;
	char path[128];
	FILE *f;
	int n;

	snprintf(path, sizeof(path), KT_PARAM_DIR "%s", name);
	f = fopen(path, "r");
	if (!f)
		return def;
	n = fscanf(f, "%llu", &val);
	fclose(f);
	return n == 1 ? val : def;
}

/*
 * kchan_make() that SKIPs the whole test when the module is not loaded
 * (as on the build host) and asserts success otherwise.
 */
#define kt_make(cap, size, flags) __kt_make(_metadata, cap, size, flags)

static inline int __kt_make(struct __test_metadata *_metadata,
			    unsigned int cap, unsigned int size,
			    unsigned int flags)
{
	int fd = kchan_make(cap, size, flags);

	if (fd == -ENOENT || fd == -ENODEV)
		SKIP(_exit(KT_EXIT_SKIP), "/dev/kchan: %s (kchan not loaded)",
		     strerror(-fd));
	ASSERT_LE(0, fd) TH_LOG("kchan_make(%u, %u, %#x): %s", cap, size,
				flags, strerror(-fd));
	return fd;
}

/* SKIP unless the module is loaded; for tests that make no channel first. */
#define kt_require_kchan() close(kt_make(0, 0, 0))

/* kt_make(), then a new fd for @end of the same channel. */
#define kt_open_end(ch, end, flags) __kt_open_end(_metadata, ch, end, flags)

static inline int __kt_open_end(struct __test_metadata *_metadata, int ch,
				unsigned int end, unsigned int flags)
{
	int fd = kchan_open_end(ch, end, flags);

	ASSERT_LE(0, fd) TH_LOG("kchan_open_end(%d, %#x, %#x): %s", ch, end,
				flags, strerror(-fd));
	return fd;
}

/*
 * Waits until the channel has @senders and @receivers parked (-1: any).
 * Returns 0, the kchan_info() error, or -ETIMEDOUT after KT_WAIT_NS.
 */
static inline int kt_wait_waiters(int ch, int senders, int receivers)
{
	int64_t end = kt_now_ns() + KT_WAIT_NS;
	struct kchan_info info;
	int ret;

	for (;;) {
		ret = kchan_info(ch, &info);
		if (ret < 0)
			return ret;
		if ((senders < 0 || info.send_waiters == (unsigned int)senders) &&
		    (receivers < 0 || info.recv_waiters == (unsigned int)receivers))
			return 0;
		if (kt_now_ns() > end)
			return -ETIMEDOUT;
		kt_sleep_ms(1);
	}
}

/* ---- One channel operation on a thread of its own ----------------------- */

enum kt_op {
	KT_SEND,		/* kchan_send */
	KT_RECV,		/* kchan_recv */
	KT_SEND_TIMEOUT,	/* kchan_send_timeout */
	KT_RECV_TIMEOUT,	/* kchan_recv_timeout */
	KT_WRITE,		/* write(2): ret is -errno on failure */
	KT_READ,		/* read(2): ret is -errno on failure */
};

#define KT_BUF_MAX	256

struct kt_async {
	pthread_t thread;
	int fd;
	enum kt_op op;
	char buf[KT_BUF_MAX];	/* message to send, or where to receive */
	size_t len;		/* send length, or receive capacity */
	int64_t timeout_ns;	/* for the *_TIMEOUT ops */
	long ret;
	int64_t elapsed_ns;	/* how long the call took */
	atomic_bool done;
};

static inline void *kt_async_fn(void *arg)
{
	struct kt_async *a = arg;
	int64_t start = kt_now_ns();
	long ret = -EINVAL;

	switch (a->op) {
	case KT_SEND:
		ret = kchan_send(a->fd, a->buf, a->len);
		break;
	case KT_RECV:
		ret = kchan_recv(a->fd, a->buf, a->len);
		break;
	case KT_SEND_TIMEOUT:
		ret = kchan_send_timeout(a->fd, a->buf, a->len, a->timeout_ns);
		break;
	case KT_RECV_TIMEOUT:
		ret = kchan_recv_timeout(a->fd, a->buf, a->len, a->timeout_ns);
		break;
	case KT_WRITE:
		ret = write(a->fd, a->buf, a->len);
		if (ret < 0)
			ret = -errno;
		break;
	case KT_READ:
		ret = read(a->fd, a->buf, a->len);
		if (ret < 0)
			ret = -errno;
		break;
	}
	a->elapsed_ns = kt_now_ns() - start;
	a->ret = ret;
	atomic_store(&a->done, true);
	return NULL;
}

/* Starts @op on @fd; @msg (@len bytes) is sent, or @len is the capacity. */
#define kt_async_start(a, fd, op, msg, len) \
	__kt_async_start(_metadata, a, fd, op, msg, len, -1)
#define kt_async_start_timeout(a, fd, op, msg, len, timeout_ns) \
	__kt_async_start(_metadata, a, fd, op, msg, len, timeout_ns)

static inline void __kt_async_start(struct __test_metadata *_metadata,
				    struct kt_async *a, int fd, enum kt_op op,
				    const void *msg, size_t len,
				    int64_t timeout_ns)
{
	memset(a, 0, sizeof(*a));
	a->fd = fd;
	a->op = op;
	a->len = len;
	a->timeout_ns = timeout_ns;
	if (msg)
		memcpy(a->buf, msg, len < KT_BUF_MAX ? len : KT_BUF_MAX);
	ASSERT_EQ(0, pthread_create(&a->thread, NULL, kt_async_fn, a));
}

static inline bool kt_async_done(struct kt_async *a)
{
	return atomic_load(&a->done);
}

/*
 * The operation's result once it returns, or KT_STILL_BLOCKED if it has not
 * returned within KT_WAIT_NS (the thread is then left behind).
 */
static inline long kt_async_join(struct kt_async *a)
{
	int64_t end = kt_now_ns() + KT_WAIT_NS;

	while (!kt_async_done(a)) {
		if (kt_now_ns() > end)
			return KT_STILL_BLOCKED;
		kt_sleep_ms(1);
	}
	pthread_join(a->thread, NULL);
	return a->ret;
}

/* Starts @op and asserts that it parks as a waiter on the channel. */
#define kt_async_park(a, fd, op, msg, len, senders, receivers) do {	\
	kt_async_start(a, fd, op, msg, len);				\
	ASSERT_EQ(0, kt_wait_waiters(fd, senders, receivers));		\
	ASSERT_FALSE(kt_async_done(a));					\
} while (0)

#endif /* KCHAN_TEST_H */
