// SPDX-License-Identifier: MIT
/*
 * The host part of libkgo's examples: examples/kgo_hashfiles.c, built in.
 * The channel examples run in the VM (selftests/kgo_examples.c).
 */
#include <stdlib.h>

#include "kselftest_harness.h"
#include "kgo_test.h"

#define KGO_EXAMPLE_NO_MAIN
#include "../../examples/kgo_hashfiles.c"

#define NFILES	24

FIXTURE(files) {
	char dir[64];
	char names[NFILES + 1][128];
	const char *paths[NFILES + 1];
	uint64_t want[NFILES];
};

FIXTURE_SETUP(files)
{
	static unsigned char data[100000];
	int i;

	strcpy(self->dir, "/tmp/kgo_hashfiles.XXXXXX");
	ASSERT_NE(NULL, mkdtemp(self->dir));
	for (i = 0; i < NFILES; i++) {
		size_t len = (size_t)i * 4000 + 1;
		int fd;

		memset(data, 'a' + i, len);
		snprintf(self->names[i], sizeof(self->names[i]), "%s/f%d",
			 self->dir, i);
		fd = open(self->names[i], O_WRONLY | O_CREAT | O_TRUNC, 0600);
		ASSERT_GE(fd, 0);
		ASSERT_EQ((ssize_t)len, write(fd, data, len));
		close(fd);
		self->paths[i] = self->names[i];
		self->want[i] = fnv1a(0xcbf29ce484222325ULL, data, len);
	}
	snprintf(self->names[NFILES], sizeof(self->names[NFILES]),
		 "%s/missing", self->dir);
	self->paths[NFILES] = self->names[NFILES];
}

FIXTURE_TEARDOWN(files)
{
	int i;

	for (i = 0; i < NFILES; i++)
		unlink(self->names[i]);
	rmdir(self->dir);
}

TEST_F(files, hashes_every_file_with_bounded_parallelism)
{
	struct hash_job jobs[NFILES];
	int i;

	ASSERT_EQ(0, hashfiles_run(self->paths, NFILES, 3, jobs));
	for (i = 0; i < NFILES; i++)
		EXPECT_EQ(self->want[i], jobs[i].sum);
}

TEST_F(files, first_error_is_returned_after_all_tasks_end)
{
	struct hash_job jobs[NFILES + 1];

	/* The missing file goes first, so the others see the cancellation. */
	self->paths[0] = self->paths[NFILES];
	EXPECT_EQ(-ENOENT, hashfiles_run(self->paths, NFILES, 2, jobs));
}

TEST_HARNESS_MAIN
