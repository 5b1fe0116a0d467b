// SPDX-License-Identifier: GPL-2.0
/*
 * Channel buffers are charged to the creator's memory cgroup
 * (GFP_KERNEL_ACCOUNT): memory.current grows by a full buffer and shrinks
 * when the channel goes, and a cgroup's limit makes kchan_make() fail with
 * -ENOMEM (SPEC: "-EINVAL/-ENOMEM, never a crash or an OOM"): the memcg OOM
 * killer must not be the answer, so the buffer allocation has to be one that
 * may fail (__GFP_RETRY_MAYFAIL).  Needs cgroup2 with the memory controller;
 * SKIPs otherwise.
 */
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "kchan_test.h"

#define CG_ROOT		"/sys/fs/cgroup"
#define MSG		(256 * 1024)
#define CAP		16		/* 4 MiB per channel */
#define MIB		(1024LL * 1024)

FIXTURE(memcg) {
	char dir[128];
};

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -EIO;
}

static long long read_num(const char *dir, const char *name)
{
	char path[192];
	long long v = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%lld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

/* Moves the calling process into @dir (a cgroup). */
static int enter(const char *dir)
{
	char path[192], pid[32];

	snprintf(path, sizeof(path), "%s/cgroup.procs", dir);
	snprintf(pid, sizeof(pid), "%d", getpid());
	return write_file(path, pid);
}

FIXTURE_SETUP(memcg)
{
	char path[192];

	kt_require_kchan();
	if (access(CG_ROOT "/cgroup.controllers", F_OK)) {
		mkdir(CG_ROOT, 0755);
		if (mount("none", CG_ROOT, "cgroup2", 0, NULL))
			SKIP(_exit(KT_EXIT_SKIP), "no cgroup2: %s", strerror(errno));
	}
	write_file(CG_ROOT "/cgroup.subtree_control", "+memory");
	snprintf(self->dir, sizeof(self->dir), CG_ROOT "/kchan-test-%d",
		 getpid());
	if (mkdir(self->dir, 0755))
		SKIP(_exit(KT_EXIT_SKIP), "mkdir %s: %s", self->dir,
		     strerror(errno));
	snprintf(path, sizeof(path), "%s/memory.max", self->dir);
	if (access(path, F_OK)) {
		rmdir(self->dir);
		SKIP(_exit(KT_EXIT_SKIP), "no memory controller in cgroup2");
	}
}

FIXTURE_TEARDOWN(memcg)
{
	enter(CG_ROOT);
	rmdir(self->dir);
}

/* Makes a channel and fills it, so any lazily allocated buffer exists. */
static int make_full(void *msg)
{
	int ch = kchan_make(CAP, MSG, 0);
	int i, ret;

	if (ch < 0)
		return ch;
	for (i = 0; i < CAP; i++) {
		ret = kchan_send(ch, msg, MSG);
		if (ret) {
			close(ch);
			return ret;
		}
	}
	return ch;
}

TEST_F(memcg, buffer_charged_to_creator)
{
	long long before, full, after = 0;
	void *msg = calloc(1, MSG);
	int64_t end;
	int ch;

	ASSERT_TRUE(!!msg);
	ASSERT_EQ(0, enter(self->dir));
	before = read_num(self->dir, "memory.current");
	ASSERT_LE(0, before);

	ch = make_full(msg);
	ASSERT_LE(0, ch);
	full = read_num(self->dir, "memory.current");
	EXPECT_LE(before + 3 * MIB, full)
		TH_LOG("memory.current %lld -> %lld for a %lld MiB buffer",
		       before, full, (long long)CAP * MSG / MIB);

	/* Freed, and uncharged, with the channel (maybe after RCU). */
	close(ch);
	end = kt_now_ns() + 5 * KT_NSEC_PER_SEC;
	do {
		kt_sleep_ms(10);
		after = read_num(self->dir, "memory.current");
	} while (after > full - 3 * MIB && kt_now_ns() < end);
	EXPECT_GE(full - 3 * MIB, after)
		TH_LOG("memory.current %lld after close (full %lld)", after, full);
	free(msg);
}

TEST_F(memcg, limit_gives_enomem_not_oom_kill)
{
	char path[192];
	int status, fds;
	pid_t pid;

	snprintf(path, sizeof(path), "%s/memory.max", self->dir);
	ASSERT_EQ(0, write_file(path, "33554432"));	/* 32 MiB */
	snprintf(path, sizeof(path), "%s/memory.swap.max", self->dir);
	write_file(path, "0");

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		void *msg = calloc(1, MSG);
		int i, ret = 0;

		if (!msg || enter(self->dir))
			_exit(10);
		/* 64 MiB worth of channels into a 32 MiB cgroup. */
		for (i = 0; i < 16; i++) {
			ret = make_full(msg);
			if (ret < 0)
				break;
		}
		_exit(ret == -ENOMEM ? i : 100 + i);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status))
		TH_LOG("creator killed by signal %d (memcg OOM killer?)",
		       WTERMSIG(status));
	fds = WEXITSTATUS(status);
	EXPECT_GT(100, fds) TH_LOG("no -ENOMEM after %d channels", fds - 100);
	EXPECT_GE(8, fds) TH_LOG("%d channels of 4 MiB in 32 MiB", fds);

	/* The kernel is fine: channels still work outside the cgroup. */
	close(kt_make(CAP, MSG, 0));
}

TEST_HARNESS_MAIN
