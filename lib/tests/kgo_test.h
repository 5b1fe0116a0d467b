/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by libkgo's host tests.
 */
#ifndef KGO_TEST_H
#define KGO_TEST_H

#include <dirent.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "kgo.h"

static inline int64_t test_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

#define MS	1000000LL

/* Threads of this process. */
static inline int test_threads(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n;
}

static inline void *test_nothing(void *arg)
{
	return arg;
}

/*
 * Threads before a test makes any; one thread is started and joined first,
 * so that a sanitizer's helper thread is counted already.
 */
static inline int test_threads_base(void)
{
	pthread_t t;

	if (!pthread_create(&t, NULL, test_nothing, NULL))
		pthread_join(t, NULL);
	return test_threads();
}

/* Waits up to @ms for the thread count to drop to @n or below. */
static inline int test_threads_settle(int n, int ms)
{
	int now;

	while ((now = test_threads()) > n && ms-- > 0)
		usleep(1000);
	return now;
}

/* Whether @fd polls readable within @ms. */
static inline int test_readable(int fd, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, ms) == 1 && (pfd.revents & POLLIN);
}

#endif /* KGO_TEST_H */
