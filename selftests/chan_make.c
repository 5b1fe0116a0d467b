// SPDX-License-Identifier: GPL-2.0
/*
 * kchan_make(): what a new channel looks like, and the bounds on capacity,
 * message size and their product (module parameters), also for msg_size 0.
 */
#include "kchan_test.h"

#define DEF_MAX_CAPACITY	1048576ULL
#define DEF_MAX_MSG_SIZE	1048576ULL
#define DEF_MAX_BYTES		67108864ULL

static void expect_fresh(struct __test_metadata *_metadata, int fd,
			 unsigned int cap, unsigned int size)
{
	struct kchan_info info;

	ASSERT_EQ(0, kchan_info(fd, &info));
	EXPECT_EQ(cap, info.capacity);
	EXPECT_EQ(size, info.msg_size);
	EXPECT_EQ(0U, info.len);
	EXPECT_EQ(KCHAN_INFO_CAN_SEND | KCHAN_INFO_CAN_RECV, info.flags);
	EXPECT_EQ(0U, info.send_waiters);
	EXPECT_EQ(0U, info.recv_waiters);
	EXPECT_EQ(0U, info.sent);
	EXPECT_EQ(0U, info.received);
	EXPECT_EQ((int)cap, kchan_cap(fd));
	EXPECT_EQ(0, kchan_len(fd));
}

TEST(make_unbuffered_buffered_and_signal_channels)
{
	static const unsigned int shapes[][2] = {
		{ 0, 1 }, { 0, 64 }, { 1, 1 }, { 16, 4096 }, { 0, 0 }, { 8, 0 },
	};
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(shapes); i++) {
		int fd = kt_make(shapes[i][0], shapes[i][1], 0);

		expect_fresh(_metadata, fd, shapes[i][0], shapes[i][1]);
		EXPECT_EQ(0, close(fd));
	}
}

TEST(make_gives_distinct_channels)
{
	struct kchan_info a, b;
	int fa = kt_make(1, 8, 0);
	int fb = kt_make(1, 8, 0);
	char buf[8];

	ASSERT_EQ(0, kchan_info(fa, &a));
	ASSERT_EQ(0, kchan_info(fb, &b));
	EXPECT_NE(a.id, b.id);
	ASSERT_EQ(0, kchan_send(fa, "a", 1));
	EXPECT_EQ(-EAGAIN, kchan_try_recv(fb, buf, sizeof(buf)));
	EXPECT_EQ(1, kchan_try_recv(fa, buf, sizeof(buf)));
}

TEST(make_unknown_flags_einval)
{
	static const unsigned int bad[] = {
		O_WRONLY, O_RDWR, O_APPEND, O_CREAT, O_DIRECT, O_TRUNC,
		1U << 31, ~(unsigned int)(KCHAN_CLOEXEC | KCHAN_NONBLOCK),
	};
	unsigned int i;

	kt_require_kchan();
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		EXPECT_EQ(-EINVAL, kchan_make(1, 8, bad[i]))
			TH_LOG("flags %#x", bad[i]);
	EXPECT_EQ(-EINVAL, kchan_make(1, 8, KCHAN_CLOEXEC | 1U << 30));
}

TEST(make_parameters_are_exported)
{
	static const char *const names[] = {
		"max_capacity", "max_msg_size", "max_bytes",
	};
	unsigned int i;

	kt_require_kchan();
	for (i = 0; i < ARRAY_SIZE(names); i++) {
		unsigned long long v = kt_param(names[i], 0);

		EXPECT_LT(0ULL, v)
			TH_LOG("%s%s missing or 0", KT_PARAM_DIR, names[i]);
	}
}

TEST(make_capacity_above_max_einval)
{
	unsigned long long max;
	int fd;

	kt_require_kchan();
	max = kt_param("max_capacity", DEF_MAX_CAPACITY);
	ASSERT_GT(UINT_MAX, max);

	/* The largest capacity is fine for a signal channel (0 bytes). */
	fd = kchan_make(max, 0, 0);
	EXPECT_LE(0, fd) TH_LOG("capacity %llu, msg_size 0: %d", max, fd);
	if (fd >= 0) {
		EXPECT_EQ((int)max, kchan_cap(fd));
		close(fd);
	}
	EXPECT_EQ(-EINVAL, kchan_make(max + 1, 0, 0));
	EXPECT_EQ(-EINVAL, kchan_make(max + 1, 1, 0));
	EXPECT_EQ(-EINVAL, kchan_make(UINT_MAX, 0, 0));
	EXPECT_EQ(-EINVAL, kchan_make(UINT_MAX, 1, 0));
}

TEST(make_msg_size_above_max_einval)
{
	unsigned long long max;
	int fd;

	kt_require_kchan();
	max = kt_param("max_msg_size", DEF_MAX_MSG_SIZE);
	ASSERT_GT(UINT_MAX, max);

	fd = kchan_make(0, max, 0);
	EXPECT_LE(0, fd) TH_LOG("unbuffered, msg_size %llu: %d", max, fd);
	close(fd);
	fd = kchan_make(1, max, 0);
	EXPECT_LE(0, fd) TH_LOG("capacity 1, msg_size %llu: %d", max, fd);
	close(fd);
	EXPECT_EQ(-EINVAL, kchan_make(0, max + 1, 0));
	EXPECT_EQ(-EINVAL, kchan_make(1, max + 1, 0));
	EXPECT_EQ(-EINVAL, kchan_make(0, UINT_MAX, 0));
}

TEST(make_bytes_above_max_einval)
{
	unsigned long long max_bytes, max_size, max_cap, cap;
	int fd;

	kt_require_kchan();
	max_bytes = kt_param("max_bytes", DEF_MAX_BYTES);
	max_size = kt_param("max_msg_size", DEF_MAX_MSG_SIZE);
	max_cap = kt_param("max_capacity", DEF_MAX_CAPACITY);

	/* Exactly max_bytes is allowed; one message more is not. */
	cap = max_bytes / max_size;
	if (cap && cap <= max_cap) {
		fd = kchan_make(cap, max_size, 0);
		EXPECT_LE(0, fd) TH_LOG("%llu x %llu: %d", cap, max_size, fd);
		close(fd);
		EXPECT_EQ(-EINVAL, kchan_make(cap + 1, max_size, 0));
	}

	/* Products that wrap 32 and 64 bits must not sneak under the limit. */
	EXPECT_EQ(-EINVAL, kchan_make(1U << 16, 1U << 16, 0));
	EXPECT_EQ(-EINVAL, kchan_make(UINT_MAX, UINT_MAX, 0));
	if (max_cap * max_size > max_bytes)
		EXPECT_EQ(-EINVAL, kchan_make(max_cap, max_size, 0));
}

TEST(make_error_leaves_errno_alone)
{
	int fd;

	kt_require_kchan();
	errno = EXDEV;
	EXPECT_EQ(-EINVAL, kchan_make(1, 8, 1U << 31));
	EXPECT_EQ(EXDEV, errno);
	fd = kchan_make(1, 8, 0);
	EXPECT_LE(0, fd);
	EXPECT_EQ(EXDEV, errno);
	close(fd);
}

TEST(make_without_device_enoent)
{
	int saved, ret;

	if (access("/dev/kchan", F_OK) == 0)
		SKIP(return, "/dev/kchan exists: this checks the host side");
	errno = EXDEV;
	ret = kchan_make(0, 8, 0);
	saved = errno;
	EXPECT_TRUE(ret == -ENOENT || ret == -ENODEV) TH_LOG("got %d", ret);
	EXPECT_EQ(EXDEV, saved);
}

TEST(make_many_channels_and_release)
{
	int fds[256];
	unsigned int i;

	fds[0] = kt_make(4, 64, 0);
	for (i = 1; i < ARRAY_SIZE(fds); i++) {
		fds[i] = kchan_make(i % 8, i % 128, 0);
		ASSERT_LE(0, fds[i]) TH_LOG("channel %u: %d", i, fds[i]);
	}
	for (i = 0; i < ARRAY_SIZE(fds); i++)
		EXPECT_EQ(0, close(fds[i]));
}

TEST_HARNESS_MAIN
