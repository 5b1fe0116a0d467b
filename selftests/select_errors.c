// SPDX-License-Identifier: GPL-2.0
/*
 * kchan_select() argument errors.  Every bad argument fails the whole call
 * before anything is taken: each bad case is tried first, in the middle
 * and last among cases that are all ready (a buffered message, a parked
 * receiver, a parked sender), and after every failing call those are all
 * still there, untouched, as is every case's res.  Next to each error, the
 * same call made good succeeds.
 */
#include <assert.h>
#include <dirent.h>
#include <sys/eventfd.h>

#include "select_util.h"

/* Where the bad case goes among the three ready ones. */
static const unsigned int bad_pos[] = { 0, 1, 3 };

FIXTURE(ready)
{
	int w;			/* buffered, holding "w1" and "w2" */
	int u;			/* unbuffered, a receiver parked */
	int v;			/* unbuffered, a sender parked with "v-msg" */
	struct kt_async ur, vs;
	char wbuf[16], vbuf[16];
	struct kchan_case cases[4];
};

/* self->cases: the three ready cases, and @bad at @pos. */
static void fill_cases(FIXTURE_DATA(ready) *self, struct kchan_case bad,
		       unsigned int pos)
{
	struct kchan_case good[3] = {
		sel_recv(self->w, self->wbuf, sizeof(self->wbuf)),
		sel_send(self->u, "u-msg", 5),
		sel_recv(self->v, self->vbuf, sizeof(self->vbuf)),
	};
	unsigned int i, g = 0;

	for (i = 0; i < 4; i++) {
		if (i == pos)
			self->cases[i] = bad;
		else
			self->cases[i] = good[g++];
	}
}

FIXTURE_SETUP(ready)
{
	self->w = kt_make(4, 16, 0);
	ASSERT_EQ(0, kchan_send(self->w, "w1", 2));
	ASSERT_EQ(0, kchan_send(self->w, "w2", 2));
	self->u = kt_make(0, 16, 0);
	kt_async_park(&self->ur, self->u, KT_RECV, NULL, 16, 0, 1);
	self->v = kt_make(0, 16, 0);
	kt_async_park(&self->vs, self->v, KT_SEND, "v-msg", 5, 1, 0);
	fill_cases(self, sel_recv(-1, NULL, 0), 3);
}

FIXTURE_TEARDOWN(ready)
{
}

static int select_with(FIXTURE_DATA(ready) *self, struct kchan_case bad,
		       unsigned int pos, int64_t timeout_ns,
		       unsigned int flags)
{
	fill_cases(self, bad, pos);
	return kchan_select(self->cases, 4, timeout_ns, flags);
}

/* Nothing was taken, nothing was written. */
#define expect_nothing_taken(self) __expect_nothing_taken(_metadata, self)

static void __expect_nothing_taken(struct __test_metadata *_metadata,
				   FIXTURE_DATA(ready) *self)
{
	sel_check_untouched(self->cases, 4, -1);
	EXPECT_EQ(2, kchan_len(self->w));
	EXPECT_EQ(0, kt_wait_waiters(self->u, 0, 1));
	EXPECT_EQ(0, kt_wait_waiters(self->v, 1, 0));
	EXPECT_FALSE(kt_async_done(&self->ur));
	EXPECT_FALSE(kt_async_done(&self->vs));
}

/* @bad fails with @err wherever it stands; nothing moves. */
#define expect_rejected(self, bad, err) do {				\
	unsigned int __p;						\
	for (__p = 0; __p < ARRAY_SIZE(bad_pos); __p++) {		\
		int __errno_before = errno = 77;			\
		EXPECT_EQ(err, select_with(self, bad, bad_pos[__p], -1, 0)) \
			TH_LOG("bad case at %u", bad_pos[__p]);		\
		EXPECT_EQ(__errno_before, errno);			\
		expect_nothing_taken(self);				\
	}								\
} while (0)

/*
 * The good cases still hold what they held: the next three selects over
 * them take w1, w2 and v-msg and give u-msg, in some order.
 */
#define expect_all_there(self) __expect_all_there(_metadata, self)

static void __expect_all_there(struct __test_metadata *_metadata,
			       FIXTURE_DATA(ready) *self)
{
	struct kchan_case c[3];
	int fired, seen = 0, w = 0;

	c[0] = sel_recv(self->w, self->wbuf, sizeof(self->wbuf));
	c[1] = sel_send(self->u, "u-msg", 5);
	c[2] = sel_recv(self->v, self->vbuf, sizeof(self->vbuf));
	while (seen != 7 || w != 2) {
		sel_reset(c, 3);
		memset(self->wbuf, 0, sizeof(self->wbuf));
		fired = kchan_select(c, 3, 0, KCHAN_SELECT_ORDERED);
		ASSERT_LE(0, fired) TH_LOG("seen %#x, w %d", seen, w);
		seen |= 1 << fired;
		switch (fired) {
		case 0:
			EXPECT_EQ(2, c[0].res);
			EXPECT_EQ(0, memcmp(self->wbuf, w ? "w2" : "w1", 2));
			if (++w == 2)
				c[0].fd = -1;
			break;
		case 1:
			EXPECT_EQ(0, c[1].res);
			EXPECT_EQ(5, kt_async_join(&self->ur));
			EXPECT_EQ(0, memcmp(self->ur.buf, "u-msg", 5));
			c[1].fd = -1;
			break;
		case 2:
			EXPECT_EQ(5, c[2].res);
			EXPECT_EQ(0, memcmp(self->vbuf, "v-msg", 5));
			EXPECT_EQ(0, kt_async_join(&self->vs));
			c[2].fd = -1;
			break;
		}
	}
}

TEST_F(ready, good_cases_are_all_ready)
{
	expect_all_there(self);
}

TEST_F(ready, null_cases_pointer)
{
	EXPECT_EQ(-EFAULT, kchan_select(NULL, 1, -1, 0));
	EXPECT_EQ(-EFAULT, kchan_select(NULL, 4, 0, KCHAN_SELECT_NOWAIT));
	EXPECT_EQ(-EFAULT, kchan_select(kt_bad_ptr(), 1, -1, 0));
	expect_nothing_taken(self);
	expect_all_there(self);
}

TEST_F(ready, cases_array_running_into_unmapped_memory)
{
	long page = sysconf(_SC_PAGESIZE);
	struct kchan_case *c;
	char *map;

	map = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, mprotect(map + page, page, PROT_NONE));
	/* Three good cases end the first page; a fourth would be beyond. */
	c = (struct kchan_case *)(map + page) - 3;
	c[0] = sel_recv(self->w, self->wbuf, sizeof(self->wbuf));
	c[1] = sel_send(self->u, "u-msg", 5);
	c[2] = sel_recv(self->v, self->vbuf, sizeof(self->vbuf));
	EXPECT_EQ(-EFAULT, kchan_select(c, 4, -1, 0));
	EXPECT_EQ(-EFAULT, kchan_select(c, KCHAN_SELECT_MAX, -1, 0));
	sel_check_untouched(c, 3, -1);
	expect_nothing_taken(self);
	EXPECT_LE(0, kchan_select(c, 3, -1, 0));
	munmap(map, 2 * page);
}

TEST_F(ready, zero_cases)
{
	struct kchan_case c = sel_recv(self->w, self->wbuf, 16);

	EXPECT_EQ(-EINVAL, kchan_select(&c, 0, -1, 0));
	EXPECT_EQ(-EINVAL, kchan_select(&c, 0, 0, KCHAN_SELECT_NOWAIT));
	EXPECT_EQ(-EINVAL, kchan_select(NULL, 0, -1, 0));
	EXPECT_EQ(SEL_UNTOUCHED, c.res);
	fill_cases(self, c, 0);
	expect_nothing_taken(self);
	EXPECT_EQ(0, kchan_select(&c, 1, -1, 0));
	EXPECT_EQ(2, c.res);
}

TEST_F(ready, too_many_cases)
{
	fill_cases(self, sel_recv(-1, NULL, 0), 3);
	EXPECT_EQ(-EINVAL, kchan_select(self->cases, KCHAN_SELECT_MAX + 1,
					-1, 0));
	EXPECT_EQ(-EINVAL, kchan_select(self->cases, UINT_MAX, -1, 0));
	EXPECT_EQ(-EINVAL, kchan_select(self->cases, 1U << 31, -1, 0));
	expect_nothing_taken(self);
	expect_all_there(self);
}

TEST_F(ready, unknown_op)
{
	static const int ops[] = { 0, KCHAN_OP_POLL + 1, 0x100, -1, INT_MIN };
	struct kchan_case bad;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(ops); i++) {
		bad = sel_recv(self->w, self->wbuf, 16);
		bad.op = ops[i];
		expect_rejected(self, bad, -EINVAL);
		/* An unknown op is unknown on a nil channel too. */
		bad.fd = -1;
		expect_rejected(self, bad, -EINVAL);
	}
	expect_all_there(self);
}

TEST_F(ready, unknown_flags)
{
	static const unsigned int flags[] = {
		0x8, 0x10, 0x80000000U, ~0U,
		KCHAN_SELECT_ORDERED | 0x100,
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(flags); i++) {
		EXPECT_EQ(-EINVAL, select_with(self, sel_recv(-1, NULL, 0), 3,
					       -1, flags[i]))
			TH_LOG("flags %#x", flags[i]);
		expect_nothing_taken(self);
	}
	/* Each known flag alone is fine. */
	EXPECT_LE(0, select_with(self, sel_recv(-1, NULL, 0), 3, -1,
				 KCHAN_SELECT_ORDERED));
	EXPECT_EQ(1U, sel_count_written(self->cases, 4));
}

TEST_F(ready, non_channel_fd_in_send_or_recv_case)
{
	int efd = eventfd(1, EFD_CLOEXEC), dev = sel_dev(), p[2];
	struct kchan_case c[4];
	int fds[4], i;

	ASSERT_LE(0, efd);
	ASSERT_EQ(0, pipe(p));
	ASSERT_EQ(1, write(p[1], "x", 1));
	fds[0] = efd;
	fds[1] = p[0];
	fds[2] = p[1];
	fds[3] = dev;	/* /dev/kchan itself is no channel */
	for (i = 0; i < 4; i++) {
		expect_rejected(self, sel_recv(fds[i], self->wbuf, 16), -EINVAL);
		expect_rejected(self, sel_send(fds[i], "x", 1), -EINVAL);
	}
	/* The same fds are fine as poll cases. */
	c[0] = sel_poll(efd, POLLIN);
	c[1] = sel_poll(p[0], POLLIN);
	c[2] = sel_poll(p[1], POLLOUT);
	c[3] = sel_poll(dev, 0);
	EXPECT_EQ(-EINVAL, kchan_select(c, 4, 0, 0));
	for (i = 0; i < 3; i++) {
		sel_reset(c, 4);
		EXPECT_EQ(0, kchan_select(&c[i], 1, 0, 0));
		EXPECT_EQ(i < 2 ? POLLIN : POLLOUT, c[i].res);
	}
	expect_all_there(self);
	close(efd);
	close(p[0]);
	close(p[1]);
}

TEST_F(ready, closed_or_negative_fd)
{
	static const int bad_fds[] = { -2, -1000, INT_MIN, INT_MAX };
	int ch = kt_make(1, 16, 0), i;

	close(ch);	/* now a free fd number */
	expect_rejected(self, sel_recv(ch, self->wbuf, 16), -EBADF);
	expect_rejected(self, sel_send(ch, "x", 1), -EBADF);
	expect_rejected(self, sel_poll(ch, POLLIN), -EBADF);
	for (i = 0; i < (int)ARRAY_SIZE(bad_fds); i++) {
		expect_rejected(self, sel_recv(bad_fds[i], self->wbuf, 16),
				-EBADF);
		expect_rejected(self, sel_send(bad_fds[i], "x", 1), -EBADF);
		expect_rejected(self, sel_poll(bad_fds[i], POLLIN), -EBADF);
	}
	expect_all_there(self);
}

TEST_F(ready, wrong_direction_end)
{
	int ch = kt_make(1, 16, 0);
	int snd = kt_open_end(ch, KCHAN_SEND_END, 0);
	int rcv = kt_open_end(ch, KCHAN_RECV_END, 0);
	struct kchan_case c;

	ASSERT_EQ(0, kchan_send(ch, "in", 2));
	expect_rejected(self, sel_recv(snd, self->wbuf, 16), -EBADF);
	expect_rejected(self, sel_send(rcv, "x", 1), -EBADF);
	EXPECT_EQ(1, kchan_len(ch));

	/* The right ends work, and both ends poll. */
	c = sel_recv(rcv, self->wbuf, 16);
	EXPECT_EQ(0, kchan_select(&c, 1, 0, 0));
	EXPECT_EQ(2, c.res);
	c = sel_send(snd, "x", 1);
	EXPECT_EQ(0, kchan_select(&c, 1, 0, 0));
	EXPECT_EQ(0, c.res);
	c = sel_poll(snd, POLLOUT);
	EXPECT_EQ(-ETIMEDOUT, kchan_select(&c, 1, 0, 0));
	c = sel_poll(rcv, POLLIN);
	EXPECT_EQ(0, kchan_select(&c, 1, 0, 0));
	EXPECT_EQ(POLLIN, c.res & POLLIN);
	close(snd);
	close(rcv);
	close(ch);
}

TEST_F(ready, send_longer_than_msg_size)
{
	int ch = kt_make(4, 16, 0), sig = kt_make(4, 0, 0);
	static char big[4096];

	expect_rejected(self, sel_send(ch, big, 17), -EMSGSIZE);
	expect_rejected(self, sel_send(ch, big, SIZE_MAX), -EMSGSIZE);
	expect_rejected(self, sel_send(sig, big, 1), -EMSGSIZE);
	EXPECT_EQ(0, kchan_len(ch));
	EXPECT_EQ(0, kchan_len(sig));
	/* msg_size itself is fine. */
	expect_all_there(self);
	{
		struct kchan_case c = sel_send(ch, big, 16);

		EXPECT_EQ(0, kchan_select(&c, 1, 0, 0));
		EXPECT_EQ(0, c.res);
		EXPECT_EQ(1, kchan_len(ch));
	}
	close(ch);
	close(sig);
}

TEST_F(ready, send_from_bad_buffer)
{
	int ch = kt_make(4, 16, 0);

	expect_rejected(self, sel_send(ch, kt_bad_ptr(), 8), -EFAULT);
	expect_rejected(self, sel_send(ch, NULL, 8), -EFAULT);
	EXPECT_EQ(0, kchan_len(ch));
	/* A zero-length send needs no buffer at all. */
	expect_all_there(self);
	{
		struct kchan_case c = sel_send(ch, NULL, 0);

		EXPECT_EQ(0, kchan_select(&c, 1, 0, 0));
		EXPECT_EQ(0, c.res);
		EXPECT_EQ(1, kchan_len(ch));
	}
	close(ch);
}

TEST_F(ready, recv_into_bad_buffer)
{
	int ch = kt_make(4, 16, 0);
	struct kchan_case c;
	char b[16];

	ASSERT_EQ(0, kchan_send(ch, "kept", 4));
	expect_rejected(self, sel_recv(ch, kt_bad_ptr(), 16), -EFAULT);
	expect_rejected(self, sel_recv(ch, NULL, 16), -EFAULT);
	/* Checked before anything is taken: the message is still there. */
	EXPECT_EQ(1, kchan_len(ch));
	c = sel_recv(ch, b, sizeof(b));
	EXPECT_EQ(0, kchan_select(&c, 1, 0, 0));
	EXPECT_EQ(4, c.res);
	EXPECT_EQ(0, memcmp(b, "kept", 4));
	/* A zero-size receive needs no buffer: a signal-only channel. */
	close(ch);
	ch = kt_make(1, 0, 0);
	ASSERT_EQ(0, kchan_send(ch, NULL, 0));
	c = sel_recv(ch, NULL, 0);
	EXPECT_EQ(0, kchan_select(&c, 1, 0, 0));
	EXPECT_EQ(0, c.res);
	expect_all_there(self);
	close(ch);
}

TEST_F(ready, poll_on_a_file_that_cannot_poll)
{
	int mfd = memfd_create("kchan-select", MFD_CLOEXEC);
	int dev = sel_dev();

	/* Regular files (shmem here) and /dev/kchan have no ->poll. */
	ASSERT_LE(0, mfd);
	expect_rejected(self, sel_poll(mfd, POLLIN), -EINVAL);
	expect_rejected(self, sel_poll(dev, POLLIN), -EINVAL);
	close(mfd);
	expect_all_there(self);
}

TEST_F(ready, poll_events_beyond_16_bits)
{
	int efd = eventfd(0, EFD_CLOEXEC);
	static const size_t events[] = {
		0x10000, 0x10000 | POLLIN, SIZE_MAX, (size_t)1 << 32,
	};
	struct kchan_case c;
	unsigned int i;

	ASSERT_LE(0, efd);
	for (i = 0; i < ARRAY_SIZE(events); i++)
		expect_rejected(self, sel_poll(efd, events[i]), -EINVAL);
	/* 0xffff is the most a poll case may ask for. */
	c = sel_poll(efd, 0xffff);
	EXPECT_EQ(0, kchan_select(&c, 1, 0, 0));
	EXPECT_EQ(POLLOUT, c.res & POLLOUT);
	close(efd);
	expect_all_there(self);
}

/* ---- The raw ioctl --------------------------------------------------------- */

TEST_F(ready, raw_reserved_fields_must_be_zero)
{
	struct kchan_select_args a;
	int dev = sel_dev();

	a = sel_args(self->cases, 4, -1, 0);
	fill_cases(self, sel_recv(-1, NULL, 0), 3);
	a.reserved0 = 1;
	EXPECT_EQ(-EINVAL, sel_raw(dev, &a));
	a.reserved0 = 0;
	a.reserved[0] = 1;
	EXPECT_EQ(-EINVAL, sel_raw(dev, &a));
	a.reserved[0] = 0;
	a.reserved[1] = 1ULL << 63;
	EXPECT_EQ(-EINVAL, sel_raw(dev, &a));
	a.reserved[1] = 0;
	expect_nothing_taken(self);
	EXPECT_LE(0, sel_raw(dev, &a));
	EXPECT_EQ(1U, sel_count_written(self->cases, 4));
}

TEST_F(ready, raw_case_size_must_match)
{
	static const unsigned int sizes[] = { 0, 8, 24, 31, 33, 40, 64, ~0U };
	struct kchan_select_args a;
	int dev = sel_dev();
	unsigned int i;

	fill_cases(self, sel_recv(-1, NULL, 0), 3);
	a = sel_args(self->cases, 4, -1, 0);
	for (i = 0; i < ARRAY_SIZE(sizes); i++) {
		a.case_size = sizes[i];
		EXPECT_EQ(-EINVAL, sel_raw(dev, &a)) TH_LOG("case_size %u",
							    sizes[i]);
	}
	expect_nothing_taken(self);
	a.case_size = 32;
	EXPECT_LE(0, sel_raw(dev, &a));
}

TEST_F(ready, raw_args_struct_sizes)
{
	struct {
		struct kchan_select_args a;
		__u64 tail[2];
	} big = { };
	int dev = sel_dev();
	unsigned long small_cmd = KT_IOC_SIZED(KCHAN_IOC_SELECT,
					       KCHAN_SELECT_ARGS_SIZE_VER0 - 8);
	unsigned long big_cmd = KT_IOC_SIZED(KCHAN_IOC_SELECT, sizeof(big));

	static_assert(sizeof(struct kchan_select_args) ==
		       KCHAN_SELECT_ARGS_SIZE_VER0, "select args VER0");
	fill_cases(self, sel_recv(-1, NULL, 0), 3);
	big.a = sel_args(self->cases, 4, -1, 0);

	EXPECT_EQ(-EINVAL, kt_ioctl(dev, small_cmd, &big));
	EXPECT_EQ(-EFAULT, kt_ioctl(dev, KCHAN_IOC_SELECT, NULL));
	EXPECT_EQ(-EFAULT, kt_ioctl(dev, KCHAN_IOC_SELECT, kt_bad_ptr()));
	/* A newer caller's bigger struct: unknown non-zero fields refused. */
	big.tail[1] = 1;
	EXPECT_EQ(-E2BIG, kt_ioctl(dev, big_cmd, &big));
	expect_nothing_taken(self);
	/* ...and zero ones read as the old behaviour. */
	big.tail[1] = 0;
	EXPECT_LE(0, kt_ioctl(dev, big_cmd, &big));
	EXPECT_EQ(1U, sel_count_written(self->cases, 4));
}

TEST_F(ready, raw_closed_fd_is_ebadf)
{
	int ch = kt_make(1, 16, 0), dev = sel_dev();
	struct kchan_select_args a;

	close(ch);
	fill_cases(self, sel_recv(ch, self->wbuf, 16), 1);
	a = sel_args(self->cases, 4, -1, 0);
	EXPECT_EQ(-EBADF, sel_raw(dev, &a));
	fill_cases(self, sel_poll(ch, POLLIN), 3);
	EXPECT_EQ(-EBADF, sel_raw(dev, &a));
	expect_nothing_taken(self);
}

TEST_F(ready, raw_select_also_on_a_channel_fd)
{
	struct kchan_select_args a;
	struct kchan_case c;
	int dev = sel_dev();

	c = sel_recv(self->w, self->wbuf, sizeof(self->wbuf));
	a = sel_args(&c, 1, -1, 0);
	EXPECT_EQ(0, sel_raw(self->v, &a));
	EXPECT_EQ(2, c.res);
	EXPECT_EQ(0, memcmp(self->wbuf, "w1", 2));
	c.res = SEL_UNTOUCHED;
	EXPECT_EQ(0, sel_raw(dev, &a));
	EXPECT_EQ(2, c.res);
	EXPECT_EQ(0, memcmp(self->wbuf, "w2", 2));
	/* Other numbers are no ioctl of /dev/kchan's. */
	EXPECT_EQ(-ENOTTY, kt_ioctl(dev, _IOW(KCHAN_IOC_MAGIC, 0x7f,
					      struct kchan_select_args), &a));
	EXPECT_EQ(-ENOTTY, kt_ioctl(dev, KCHAN_IOC_CLOSE, NULL));
}

/* ---- The library ------------------------------------------------------------ */

static int count_fds(void)
{
	struct dirent *d;
	DIR *dir = opendir("/proc/self/fd");
	int n = 0;

	if (!dir)
		return -1;
	while ((d = readdir(dir)))
		n += d->d_name[0] != '.';
	closedir(dir);
	return n;
}

/*
 * A select that fails with -EBADF (a bad case fd) says nothing about the
 * library's own /dev/kchan fd: it must not open another one each time.
 */
TEST_F(ready, ebadf_select_leaks_no_fd)
{
	int before, i;

	/* The fixture's kchan_make() opened the library's /dev/kchan fd. */
	before = count_fds();
	ASSERT_LT(0, before);
	for (i = 0; i < 20; i++) {
		struct kchan_case c = sel_recv(-5, self->wbuf, 16);

		EXPECT_EQ(-EBADF, kchan_select(&c, 1, 0, 0));
	}
	EXPECT_EQ(before, count_fds());
}

TEST_HARNESS_MAIN
