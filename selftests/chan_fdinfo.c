// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/<pid>/fdinfo/<fd> of a channel: id, capacity, msg_size, len,
 * closed, direction, waiting senders and receivers, and the sent/received
 * counters, agreeing with KCHAN_IOC_INFO.
 */
#include <signal.h>

#include "kchan_test.h"

struct fdinfo {
	char text[4096];
};

static int fdinfo_read(int fd, struct fdinfo *fi)
{
	char path[64];
	ssize_t n;
	int f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = open(path, O_RDONLY | O_CLOEXEC);
	if (f < 0)
		return -errno;
	n = read(f, fi->text, sizeof(fi->text) - 1);
	close(f);
	if (n < 0)
		return -EIO;
	fi->text[n] = '\0';
	return 0;
}

/* The value after "@key:" at the start of a line, or NULL. */
static const char *fdinfo_field(const struct fdinfo *fi, const char *key)
{
	size_t klen = strlen(key);
	const char *p = fi->text;

	while (p && *p) {
		if (!strncmp(p, key, klen) && p[klen] == ':') {
			p += klen + 1;
			while (*p == ' ' || *p == '\t')
				p++;
			return p;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return NULL;
}

static long long fdinfo_num(const struct fdinfo *fi, const char *key)
{
	const char *v = fdinfo_field(fi, key);

	return v ? strtoll(v, NULL, 0) : -1;
}

static bool fdinfo_word_is(const struct fdinfo *fi, const char *key,
			   const char *word)
{
	const char *v = fdinfo_field(fi, key);
	size_t n = strlen(word);

	return v && !strncmp(v, word, n) && (v[n] == '\n' || v[n] == '\0');
}

static void expect_field(struct __test_metadata *_metadata,
			 const struct fdinfo *fi, const char *key,
			 long long val)
{
	EXPECT_EQ(val, fdinfo_num(fi, key))
		TH_LOG("fdinfo %s:\n%s", key, fi->text);
}

#define EXPECT_FIELD(fi, key, val) expect_field(_metadata, fi, key, val)

TEST(fdinfo_lists_every_field)
{
	static const char *const keys[] = {
		"kchan-id", "capacity", "msg_size", "len", "closed",
		"direction", "send_waiters", "recv_waiters", "sent", "received",
	};
	int ch = kt_make(4, 16, 0);
	struct fdinfo fi;
	unsigned int i;

	ASSERT_EQ(0, fdinfo_read(ch, &fi));
	for (i = 0; i < ARRAY_SIZE(keys); i++) {
		bool found = fdinfo_field(&fi, keys[i]);

		EXPECT_TRUE(found) TH_LOG("field %u missing in\n%s", i, fi.text);
	}
	/* The generic lines are still there. */
	EXPECT_TRUE(!!fdinfo_field(&fi, "flags"));
	close(ch);
}

TEST(fdinfo_tracks_state_and_counters)
{
	int ch = kt_make(4, 16, 0);
	struct kchan_info info;
	struct fdinfo fi;
	char m[16];

	ASSERT_EQ(0, fdinfo_read(ch, &fi));
	EXPECT_FIELD(&fi, "capacity", 4);
	EXPECT_FIELD(&fi, "msg_size", 16);
	EXPECT_FIELD(&fi, "len", 0);
	EXPECT_FIELD(&fi, "closed", 0);
	EXPECT_FIELD(&fi, "sent", 0);
	EXPECT_FIELD(&fi, "received", 0);
	EXPECT_TRUE(fdinfo_word_is(&fi, "direction", "both")) TH_LOG("%s", fi.text);

	ASSERT_EQ(0, kchan_send(ch, "a", 1));
	ASSERT_EQ(0, kchan_send(ch, "b", 1));
	ASSERT_EQ(0, kchan_send(ch, "c", 1));
	ASSERT_EQ(1, kchan_recv(ch, m, sizeof(m)));
	ASSERT_EQ(0, kchan_close(ch));

	ASSERT_EQ(0, fdinfo_read(ch, &fi));
	ASSERT_EQ(0, kchan_info(ch, &info));
	EXPECT_FIELD(&fi, "len", 2);
	EXPECT_FIELD(&fi, "closed", 1);
	EXPECT_FIELD(&fi, "sent", 3);
	EXPECT_FIELD(&fi, "received", 1);
	EXPECT_FIELD(&fi, "kchan-id", info.id);
	close(ch);
}

TEST(fdinfo_direction_of_each_end)
{
	int ch = kt_make(0, 8, 0);
	int s = kt_open_end(ch, KCHAN_SEND_END, 0);
	int r = kt_open_end(ch, KCHAN_RECV_END, 0);
	struct fdinfo fs, fr, fc;

	ASSERT_EQ(0, fdinfo_read(s, &fs));
	ASSERT_EQ(0, fdinfo_read(r, &fr));
	ASSERT_EQ(0, fdinfo_read(ch, &fc));
	EXPECT_TRUE(fdinfo_word_is(&fs, "direction", "send")) TH_LOG("%s", fs.text);
	EXPECT_TRUE(fdinfo_word_is(&fr, "direction", "recv")) TH_LOG("%s", fr.text);
	EXPECT_TRUE(fdinfo_word_is(&fc, "direction", "both")) TH_LOG("%s", fc.text);

	/* Ends of one channel share its id. */
	EXPECT_EQ(fdinfo_num(&fc, "kchan-id"), fdinfo_num(&fs, "kchan-id"));
	EXPECT_EQ(fdinfo_num(&fc, "kchan-id"), fdinfo_num(&fr, "kchan-id"));
	close(s);
	close(r);
	close(ch);
}

TEST(fdinfo_ids_differ_between_channels)
{
	int a = kt_make(0, 8, 0);
	int b = kt_make(0, 8, 0);
	struct fdinfo fa, fb;

	ASSERT_EQ(0, fdinfo_read(a, &fa));
	ASSERT_EQ(0, fdinfo_read(b, &fb));
	EXPECT_NE(fdinfo_num(&fa, "kchan-id"), fdinfo_num(&fb, "kchan-id"));
	close(a);
	close(b);
}

TEST(fdinfo_counts_waiters)
{
	int ch = kt_make(0, 8, 0);
	struct kt_async rcv[2], snd;
	struct fdinfo fi;

	kt_async_park(&rcv[0], ch, KT_RECV, NULL, 8, 0, 1);
	kt_async_park(&rcv[1], ch, KT_RECV, NULL, 8, 0, 2);
	ASSERT_EQ(0, fdinfo_read(ch, &fi));
	EXPECT_FIELD(&fi, "recv_waiters", 2);
	EXPECT_FIELD(&fi, "send_waiters", 0);
	ASSERT_EQ(0, kchan_close(ch));
	EXPECT_EQ(-EPIPE, kt_async_join(&rcv[0]));
	EXPECT_EQ(-EPIPE, kt_async_join(&rcv[1]));
	close(ch);

	ch = kt_make(0, 8, 0);
	kt_async_park(&snd, ch, KT_SEND, "x", 1, 1, 0);
	ASSERT_EQ(0, fdinfo_read(ch, &fi));
	EXPECT_FIELD(&fi, "send_waiters", 1);
	EXPECT_FIELD(&fi, "recv_waiters", 0);
	EXPECT_FIELD(&fi, "len", 0);
	ASSERT_EQ(0, kchan_close(ch));
	EXPECT_EQ(-EPIPE, kt_async_join(&snd));
	close(ch);
}

TEST(fdinfo_of_another_process)
{
	int ch = kt_make(2, 8, 0);
	char path[64], buf[4096];
	int status, f;
	ssize_t n;
	pid_t pid;

	ASSERT_EQ(0, kchan_send(ch, "x", 1));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		pause();
		_exit(0);
	}
	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", pid, ch);
	f = open(path, O_RDONLY);
	ASSERT_LE(0, f);
	n = read(f, buf, sizeof(buf) - 1);
	close(f);
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	ASSERT_LT(0, n);
	buf[n] = '\0';
	EXPECT_TRUE(!!strstr(buf, "\nlen:")) TH_LOG("%s", buf);
	close(ch);
}

TEST_HARNESS_MAIN
