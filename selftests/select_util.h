/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the kchan_select() selftests (selftests/select_*.c).
 *
 * Every case a test builds starts with res = SEL_UNTOUCHED: the kernel
 * writes the res of the case that fired and of no other, so a test can
 * check that with sel_check_untouched().  A select that must park is run
 * on a thread of its own (struct sel_async); whether it has parked is read
 * from a channel's waiter counts, never guessed from a sleep.
 */
#ifndef SELECT_UTIL_H
#define SELECT_UTIL_H

#include <assert.h>
#include <poll.h>
#include <stddef.h>
#include <sys/resource.h>

#include "kchan_test.h"

/* What a case's res holds until the kernel writes it. */
#define SEL_UNTOUCHED	((ssize_t)0x5e1ec7ed5e1ec7edLL)

static_assert(sizeof(struct kchan_case) == 32, "kchan_case is 32 bytes");
static_assert(offsetof(struct kchan_case, fd) ==
	       offsetof(struct kchan_select_case, fd) &&
	       offsetof(struct kchan_case, op) ==
	       offsetof(struct kchan_select_case, op) &&
	       offsetof(struct kchan_case, buf) ==
	       offsetof(struct kchan_select_case, buf) &&
	       offsetof(struct kchan_case, len) ==
	       offsetof(struct kchan_select_case, len) &&
	       offsetof(struct kchan_case, res) ==
	       offsetof(struct kchan_select_case, res),
	       "kchan_case matches the uapi kchan_select_case");

static inline struct kchan_case sel_send(int fd, const void *msg, size_t len)
{
	return (struct kchan_case){
		.fd = fd, .op = KCHAN_OP_SEND, .buf = (void *)msg, .len = len,
		.res = SEL_UNTOUCHED,
	};
}

static inline struct kchan_case sel_recv(int fd, void *buf, size_t cap)
{
	return (struct kchan_case){
		.fd = fd, .op = KCHAN_OP_RECV, .buf = buf, .len = cap,
		.res = SEL_UNTOUCHED,
	};
}

static inline struct kchan_case sel_poll(int fd, size_t events)
{
	return (struct kchan_case){
		.fd = fd, .op = KCHAN_OP_POLL, .len = events,
		.res = SEL_UNTOUCHED,
	};
}

static inline void sel_reset(struct kchan_case *c, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		c[i].res = SEL_UNTOUCHED;
}

/* How many cases hold a res the kernel wrote. */
static inline unsigned int sel_count_written(const struct kchan_case *c,
					     unsigned int n)
{
	unsigned int i, written = 0;

	for (i = 0; i < n; i++)
		written += c[i].res != SEL_UNTOUCHED;
	return written;
}

/* Every case but @fired (-1: none) still holds SEL_UNTOUCHED. */
#define sel_check_untouched(c, n, fired) do {				\
	int __fired = (fired);						\
	unsigned int __i;						\
	for (__i = 0; __i < (unsigned int)(n); __i++) {			\
		if ((int)__i == __fired)				\
			continue;					\
		EXPECT_EQ(SEL_UNTOUCHED, (c)[__i].res)			\
			TH_LOG("case %u written, fired %d", __i,	\
			       __fired);				\
	}								\
} while (0)

/* ---- A select on a thread of its own ----------------------------------- */

struct sel_async {
	pthread_t thread;
	struct kchan_case *cases;
	unsigned int n;
	int64_t timeout_ns;
	unsigned int flags;
	int ret;
	int64_t elapsed_ns;
	atomic_bool done;
};

static inline void *sel_async_fn(void *arg)
{
	struct sel_async *a = arg;
	int64_t start = kt_now_ns();

	a->ret = kchan_select(a->cases, a->n, a->timeout_ns, a->flags);
	a->elapsed_ns = kt_now_ns() - start;
	atomic_store(&a->done, true);
	return NULL;
}

#define sel_async_start(a, cases, n, timeout_ns, flags) \
	__sel_async_start(_metadata, a, cases, n, timeout_ns, flags)

static inline void __sel_async_start(struct __test_metadata *_metadata,
				     struct sel_async *a,
				     struct kchan_case *cases, unsigned int n,
				     int64_t timeout_ns, unsigned int flags)
{
	memset(a, 0, sizeof(*a));
	a->cases = cases;
	a->n = n;
	a->timeout_ns = timeout_ns;
	a->flags = flags;
	ASSERT_EQ(0, pthread_create(&a->thread, NULL, sel_async_fn, a));
}

static inline bool sel_async_done(struct sel_async *a)
{
	return atomic_load(&a->done);
}

/* The select's result, or KT_STILL_BLOCKED if it did not return in time. */
static inline long sel_async_join(struct sel_async *a)
{
	int64_t end = kt_now_ns() + KT_WAIT_NS;

	while (!sel_async_done(a)) {
		if (kt_now_ns() > end)
			return KT_STILL_BLOCKED;
		kt_sleep_ms(1);
	}
	pthread_join(a->thread, NULL);
	return a->ret;
}

/*
 * Starts a forever select and asserts that it parks: @probe is a channel
 * the select names, which then shows @senders and @receivers waiting.
 */
#define sel_async_park(a, cases, n, probe, senders, receivers) do {	\
	sel_async_start(a, cases, n, -1, 0);				\
	ASSERT_EQ(0, kt_wait_waiters(probe, senders, receivers));	\
	ASSERT_FALSE(sel_async_done(a));				\
} while (0)

/* ---- The raw ioctl ------------------------------------------------------ */

/* /dev/kchan, opened once; SKIPs the test when the module is not loaded. */
#define sel_dev() __sel_dev(_metadata)

static inline int __sel_dev(struct __test_metadata *_metadata)
{
	static int dev = -1;

	if (dev < 0) {
		kt_require_kchan();
		dev = open("/dev/kchan", O_RDWR | O_CLOEXEC);
		ASSERT_LE(0, dev);
	}
	return dev;
}

/* KCHAN_IOC_SELECT with @args as they are. */
static inline long sel_raw(int fd, struct kchan_select_args *args)
{
	return kt_ioctl(fd, KCHAN_IOC_SELECT, args);
}

static inline struct kchan_select_args sel_args(struct kchan_case *cases,
						unsigned int n,
						int64_t timeout_ns,
						unsigned int flags)
{
	return (struct kchan_select_args){
		.cases = (uintptr_t)cases,
		.count = n,
		.flags = flags,
		.timeout_ns = timeout_ns,
		.case_size = sizeof(struct kchan_select_case),
	};
}

/* ---- Odds and ends ------------------------------------------------------ */

/* Raises RLIMIT_NOFILE to at least @want; returns the limit now in force. */
static inline rlim_t sel_raise_nofile(rlim_t want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return 0;
	if (rl.rlim_cur >= want)
		return rl.rlim_cur;
	rl.rlim_cur = want;
	if (rl.rlim_max < want)
		rl.rlim_max = want;	/* root in the VM may raise it */
	if (setrlimit(RLIMIT_NOFILE, &rl)) {
		getrlimit(RLIMIT_NOFILE, &rl);
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	return rl.rlim_cur;
}

/* A size from the environment, or @def. */
static inline unsigned long sel_env(const char *name, unsigned long def)
{
	const char *env = getenv(name);

	return env && *env ? strtoul(env, NULL, 0) : def;
}

#endif /* SELECT_UTIL_H */
