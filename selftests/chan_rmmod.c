// SPDX-License-Identifier: GPL-2.0
/*
 * The module cannot be unloaded while a channel exists: every channel fd
 * pins it, with no /dev/kchan fd open anywhere.  Only the refusal is tested; the module
 * stays loaded for whatever runs next.
 *
 * delete_module(O_NONBLOCK) on a module whose reference count is held
 * fails with EWOULDBLOCK (kernel/module/main.c: try_stop_module); EBUSY
 * is what a module in use by another module gets.  Either is a refusal.
 */
#include <dirent.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "kchan_test.h"

/*
 * A channel made through a /dev/kchan fd closed at once.  kchan_make()
 * keeps the device open for the process, and that alone would pin the
 * module: these tests must hold channel fds only.
 */
#define make_uncached(cap, size) __make_uncached(_metadata, cap, size)

static int __make_uncached(struct __test_metadata *_metadata,
			   unsigned int cap, unsigned int size)
{
	struct kchan_make_args args = { .capacity = cap, .msg_size = size };
	int dev = open("/dev/kchan", O_RDWR | O_CLOEXEC);
	long ch;

	if (dev < 0)
		SKIP(_exit(KT_EXIT_SKIP), "/dev/kchan: %s (kchan not loaded)",
		     strerror(errno));
	ch = kt_ioctl(dev, KCHAN_IOC_MAKE, &args);
	close(dev);
	ASSERT_LE(0, ch);
	return ch;
}

/* Whether this process has /dev/kchan itself open. */
static bool holds_dev(void)
{
	char path[300], target[64];
	struct dirent *d;
	bool found = false;
	DIR *dir;
	ssize_t n;

	dir = opendir("/proc/self/fd");
	if (!dir)
		return false;
	while ((d = readdir(dir))) {
		snprintf(path, sizeof(path), "/proc/self/fd/%s", d->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		if (n > 0) {
			target[n] = '\0';
			found |= !strcmp(target, "/dev/kchan");
		}
	}
	closedir(dir);
	return found;
}

static long delete_kchan(void)
{
	long ret = syscall(SYS_delete_module, "kchan", O_NONBLOCK);

	return ret < 0 ? -errno : ret;
}

static long module_refcnt(void)
{
	long n = -1;
	FILE *f = fopen("/sys/module/kchan/refcnt", "r");

	if (!f)
		return -1;
	if (fscanf(f, "%ld", &n) != 1)
		n = -1;
	fclose(f);
	return n;
}

static void expect_refused(struct __test_metadata *_metadata, long ret)
{
	EXPECT_TRUE(ret == -EWOULDBLOCK || ret == -EBUSY)
		TH_LOG("delete_module: %ld (%s)", ret, strerror(-ret));
}

#define EXPECT_REFUSED(ret) expect_refused(_metadata, ret)

TEST(channel_fd_pins_module)
{
	int ch = make_uncached(1, 8);
	long ret;

	ASSERT_FALSE(holds_dev());
	EXPECT_LE(1, module_refcnt());
	ret = delete_kchan();
	EXPECT_REFUSED(ret);

	/* Refused, and nothing broke. */
	EXPECT_TRUE(access("/dev/kchan", F_OK) == 0);
	EXPECT_EQ(0, kchan_send(ch, "ok", 2));
	EXPECT_EQ(1, kchan_len(ch));
	close(ch);
}

TEST(open_end_alone_pins_module)
{
	int ch = make_uncached(0, 8);
	int r = kt_open_end(ch, KCHAN_RECV_END, 0);
	long ret;

	close(ch);
	ret = delete_kchan();
	EXPECT_REFUSED(ret);
	/* Its last send end is gone, so the channel is closed; still here. */
	EXPECT_EQ(-EPIPE, kchan_try_recv(r, NULL, 0));
	close(r);
}

TEST(blocked_waiter_pins_module)
{
	int ch = make_uncached(0, 8);
	struct kt_async rcv;
	long ret;

	kt_async_park(&rcv, ch, KT_RECV, NULL, 8, 0, 1);
	ret = delete_kchan();
	EXPECT_REFUSED(ret);
	EXPECT_EQ(0, kchan_send(ch, "ok", 2));
	EXPECT_EQ(2, kt_async_join(&rcv));
	close(ch);
}

TEST(fd_in_another_process_pins_module)
{
	int ch = make_uncached(0, 8);
	int status, p[2];
	long ret;
	pid_t pid;
	char c;

	ASSERT_EQ(0, pipe(p));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(p[1]);
		read(p[0], &c, 1);
		_exit(kchan_try_send(ch, "x", 1) == -EAGAIN ? 0 : 1);
	}
	close(p[0]);
	close(ch);
	ASSERT_FALSE(holds_dev());
	ret = delete_kchan();
	EXPECT_REFUSED(ret);
	ASSERT_EQ(1, write(p[1], "g", 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(p[1]);
}

/* Every reference a channel took is given back with its last fd. */
TEST(refcnt_returns_after_last_fd)
{
	int ch = make_uncached(2, 8);
	int s = kt_open_end(ch, KCHAN_SEND_END, 0);
	int r = kt_open_end(ch, KCHAN_RECV_END, 0);
	int other = make_uncached(0, 8);
	long base, now;
	int64_t end;

	close(ch);
	close(s);
	close(r);
	close(other);
	base = module_refcnt();
	ASSERT_LE(0, base);

	ch = make_uncached(2, 8);
	s = kt_open_end(ch, KCHAN_SEND_END, 0);
	r = kt_open_end(ch, KCHAN_RECV_END, 0);
	EXPECT_LT(base, module_refcnt());
	ASSERT_EQ(0, kchan_send(s, "x", 1));
	close(ch);
	close(s);
	close(r);

	end = kt_now_ns() + 5 * KT_NSEC_PER_SEC;
	while ((now = module_refcnt()) != base && kt_now_ns() < end)
		kt_sleep_ms(10);
	EXPECT_EQ(base, now);
}

TEST_HARNESS_MAIN
