// SPDX-License-Identifier: MIT
/*
 * libkgo's channel examples, built in and run: the pipeline with
 * cancellation mid-stream, and the forgotten sender with its cure.
 * They use kgo_send()/kgo_recv(), kernel selects: SKIP without them.
 */
#include <errno.h>

#include "kselftest_harness.h"

#define KGO_EXAMPLE_NO_MAIN
#include "../examples/kgo_pipeline.c"
#include "../examples/kgo_leak.c"

static void need_select(struct __test_metadata *_metadata)
{
	long v = 1;
	int ch = kchan_make(1, sizeof(long), KCHAN_CLOEXEC);
	int ret;

	if (ch < 0)
		SKIP(return, "no /dev/kchan: %d", ch);
	ret = kgo_send(NULL, ch, &v, sizeof(v));
	close(ch);
	if (ret == -ENOTTY || ret == -ENOSYS || ret == -EOPNOTSUPP)
		SKIP(return, "no kernel select (KCHAN_IOC_SELECT): %d", ret);
	ASSERT_EQ(0, ret);
}

TEST(pipeline_runs_to_the_end)
{
	long sum;

	need_select(_metadata);
	if (_metadata->skip)
		return;
	EXPECT_EQ(0, pipeline_run(100, -1, &sum, stdout));
	EXPECT_EQ(100L * 101 * 201 / 6, sum);
}

TEST(pipeline_cancelled_mid_stream_leaves_no_task)
{
	long sum;

	need_select(_metadata);
	if (_metadata->skip)
		return;
	EXPECT_EQ(0, pipeline_run(100000, 10, &sum, stdout));
	EXPECT_GT(sum, 0);
}

TEST(forgotten_sender_leaks_on_a_plain_channel)
{
	int epipe;

	need_select(_metadata);
	if (_metadata->skip)
		return;
	EXPECT_EQ(LEAK_REPLICAS - 1, leak_run(0, &epipe, stdout));
}

TEST(directional_ends_give_the_sender_epipe)
{
	int epipe;

	need_select(_metadata);
	if (_metadata->skip)
		return;
	EXPECT_EQ(0, leak_run(1, &epipe, stdout));
	EXPECT_EQ(LEAK_REPLICAS - 1, epipe);
}

TEST_HARNESS_MAIN
