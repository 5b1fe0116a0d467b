// SPDX-License-Identifier: GPL-2.0
/*
 * Waiting on channels: the claim/complete protocol of struct kchan_sel.
 *
 * A select's kchan_sel starts ARMING, where nothing can claim it, while it
 * looks for a ready case and parks.  Then it goes WAITING -> CLAIMED -> DONE
 * when a peer satisfies it, or WAITING -> CANCELLED when its owner gives
 * up.  Both transitions out of WAITING are one cmpxchg, so a timeout racing
 * a peer has exactly one winner.  A peer claims and completes under the
 * lock of the channel whose queue held the waiter; an owner cancels under
 * the locks of every channel it waits on, which is why, once its cancel
 * has lost, the owner only has to wait for DONE to become visible.
 */
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/hrtimer.h>

#include "kchan.h"

void kchan_sel_init(struct kchan_sel *sel, int state)
{
	atomic_set(&sel->state, state);
	sel->fired = -1;
	sel->poll_pending = 0;
}

/* Who hears of the outcome: a sleeping task, or a @complete callback. */
void kchan_sel_owner(struct kchan_sel *sel,
		     void (*complete)(struct kchan_sel *sel), void *priv)
{
	sel->task = current;
	sel->complete = complete;
	sel->priv = priv;
}

/* Called by a peer under a channel lock: true if this peer fires @sel. */
bool kchan_sel_claim(struct kchan_sel *sel)
{
	return atomic_cmpxchg(&sel->state, KCHAN_SEL_WAITING,
			      KCHAN_SEL_CLAIMED) == KCHAN_SEL_WAITING;
}

/* Called by the owner under all its channel locks: true if it gave up. */
bool kchan_sel_cancel(struct kchan_sel *sel)
{
	return atomic_cmpxchg(&sel->state, KCHAN_SEL_WAITING,
			      KCHAN_SEL_CANCELLED) == KCHAN_SEL_WAITING;
}

/* Publish the result of a claimed @sel and wake its owner. */
void kchan_sel_done(struct kchan_sel *sel)
{
	struct task_struct *task;

	if (sel->complete) {
		/* @sel lives until @complete's work has run: publish first. */
		atomic_set_release(&sel->state, KCHAN_SEL_DONE);
		sel->complete(sel);
		return;
	}
	/*
	 * Once DONE is visible the owner may return without sleeping, and
	 * @sel lives on its stack: take what we need before publishing.
	 */
	task = sel->task;
	get_task_struct(task);
	atomic_set_release(&sel->state, KCHAN_SEL_DONE);
	wake_up_process(task);
	put_task_struct(task);
}

void kchan_waiter_complete(struct kchan_waiter *w, ssize_t res)
{
	w->res = res;
	w->sel->fired = w->index;
	kchan_sel_done(w->sel);
}

/*
 * Sleep until @sel is done, a signal arrives or @deadline passes.
 * Returns 0 when done; otherwise the caller must try kchan_sel_cancel()
 * under its channel locks, and if that fails use the result after all.
 */
int kchan_sel_sleep(struct kchan_sel *sel, const ktime_t *deadline)
{
	bool timed_out = false;
	int ret;

	for (;;) {
		set_current_state(TASK_INTERRUPTIBLE);
		if (atomic_read_acquire(&sel->state) == KCHAN_SEL_DONE) {
			ret = 0;
			break;
		}
		if (timed_out) {
			ret = -ETIMEDOUT;
			break;
		}
		if (signal_pending(current)) {
			/* A timeout cannot restart: it would start over. */
			ret = deadline ? -EINTR : -ERESTARTSYS;
			break;
		}
		if (deadline) {
			ktime_t expires = *deadline;

			timed_out = !schedule_hrtimeout_range(&expires,
							      current->timer_slack_ns,
							      HRTIMER_MODE_ABS);
		} else {
			schedule();
		}
	}
	__set_current_state(TASK_RUNNING);
	return ret;
}

/* The owner lost kchan_sel_cancel(): wait out the peer completing it. */
void kchan_sel_finish(struct kchan_sel *sel)
{
	atomic_cond_read_acquire(&sel->state, VAL == KCHAN_SEL_DONE);
}
