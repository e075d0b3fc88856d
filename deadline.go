package glomo

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// deadlineContext behaves as context.WithDeadline(parent, deadline) but
// creates that context, with its timer and its link to the parent, only
// when something needs its cancellation: Done, Err, or a Value lookup
// once the deadline has passed or stop was called. A callback that never
// waits on its context, such as one that stores an event in memory, then
// costs no timer; one that does (any database or HTTP call) gets the
// real context on its first use, with the same deadline.
//
// Until it is made, Value answers from the parent. That is what the made
// context would answer too, except for the context package's own lookup
// behind context.Cause, whose answer differs once this context is done
// (Go 1.22, this module's minimum, then reports the parent's nil cause
// rather than asking Err): which is why, past the deadline or after stop,
// Value makes the context first.
type deadlineContext struct {
	parent   context.Context
	deadline time.Time
	stopped  atomic.Bool
	made     atomic.Bool // ctx and cancel are set
	mu       sync.Mutex  // serializes making the context against stop
	ctx      context.Context
	cancel   context.CancelFunc
}

var _ context.Context = (*deadlineContext)(nil)

// init sets up a zero deadlineContext to end at the earlier of d and
// parent's end. Call stop when the work it bounds returns.
func (c *deadlineContext) init(parent context.Context, d time.Time) {
	if pd, ok := parent.Deadline(); ok && pd.Before(d) {
		d = pd
	}
	c.parent, c.deadline = parent, d
}

// context returns the real context, making it on first use.
func (c *deadlineContext) context() context.Context {
	if c.made.Load() {
		return c.ctx
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.made.Load() {
		if c.stopped.Load() {
			// Made after stop: end it as stop ended the real one, with
			// Canceled, whatever the parent or the clock did since. (Had
			// the deadline passed before stop, the real one would say
			// DeadlineExceeded; telling the two apart would cost a clock
			// reading on every stop.)
			c.ctx, c.cancel = context.WithCancel(context.WithoutCancel(c.parent))
			c.cancel()
		} else {
			c.ctx, c.cancel = context.WithDeadline(c.parent, c.deadline)
		}
		c.made.Store(true)
	}
	return c.ctx
}

// stop cancels the context, as the CancelFunc of context.WithDeadline does.
func (c *deadlineContext) stop() {
	if !c.made.Load() && c.parent.Err() != nil {
		// The parent ended first, and so is what ended this context.
		c.context()
	}
	c.mu.Lock()
	c.stopped.Store(true)
	made := c.made.Load()
	c.mu.Unlock()
	if made {
		c.cancel()
	}
}

// Deadline implements context.Context without making the context.
func (c *deadlineContext) Deadline() (time.Time, bool) { return c.deadline, true }

// Done implements context.Context.
func (c *deadlineContext) Done() <-chan struct{} { return c.context().Done() }

// Err implements context.Context.
func (c *deadlineContext) Err() error { return c.context().Err() }

// Value implements context.Context.
func (c *deadlineContext) Value(key any) any {
	if c.made.Load() {
		return c.ctx.Value(key)
	}
	if c.stopped.Load() || !time.Now().Before(c.deadline) {
		return c.context().Value(key)
	}
	return c.parent.Value(key)
}

// String describes the context as context.WithDeadline's does.
func (c *deadlineContext) String() string {
	return "glomo.deadlineContext(" + c.deadline.String() + ")"
}
