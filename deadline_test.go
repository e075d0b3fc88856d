package glomo

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type ctxKey struct{}

// newDeadlineContext returns a context that ends at the earlier of now +
// timeout and parent's end, as a delivery's Handle gets.
func newDeadlineContext(parent context.Context, timeout time.Duration) *deadlineContext {
	c := &deadlineContext{}
	c.init(parent, time.Now().Add(timeout))
	return c
}

// closedWithin reports whether done closes within d.
func closedWithin(done <-chan struct{}, d time.Duration) bool {
	select {
	case <-done:
		return true
	case <-time.After(d):
		return false
	}
}

func TestDeadlineContextDeadline(t *testing.T) {
	early, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	earlyDeadline, _ := early.Deadline()
	for _, tc := range []struct {
		name    string
		parent  context.Context
		timeout time.Duration
		want    func(start time.Time) time.Time
	}{
		{"own deadline", context.Background(), time.Hour, func(s time.Time) time.Time { return s.Add(time.Hour) }},
		{"parent's earlier deadline", early, time.Hour, func(time.Time) time.Time { return earlyDeadline }},
		{"own earlier than parent's", early, time.Millisecond, func(s time.Time) time.Time { return s.Add(time.Millisecond) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			c := newDeadlineContext(tc.parent, tc.timeout)
			defer c.stop()
			dl, ok := c.Deadline()
			require.True(t, ok)
			assert.WithinDuration(t, tc.want(start), dl, 50*time.Millisecond)
			assert.False(t, c.made.Load(), "Deadline must not make the context")
		})
	}
}

func TestDeadlineContextIsLazy(t *testing.T) {
	parent := context.WithValue(context.Background(), ctxKey{}, "v")
	c := newDeadlineContext(parent, time.Hour)
	defer c.stop()
	assert.Equal(t, "v", c.Value(ctxKey{}))
	_, _ = c.Deadline()
	assert.False(t, c.made.Load(), "Value and Deadline before the deadline must not make the context")
	assert.NoError(t, c.Err())
	assert.True(t, c.made.Load(), "Err makes the context")
	assert.Equal(t, "v", c.Value(ctxKey{}), "values still come from the parent")
}

// TestDeadlineContextEnds checks every way the context can end, each one
// both before and after anything made the real context, against what
// context.WithDeadline reports in the same case.
func TestDeadlineContextEnds(t *testing.T) {
	errCause := errors.New("client went away")
	for _, tc := range []struct {
		name      string
		timeout   time.Duration
		end       func(c *deadlineContext, cancelParent context.CancelCauseFunc)
		wantErr   error
		wantCause error
	}{
		{"deadline", 5 * time.Millisecond, func(*deadlineContext, context.CancelCauseFunc) { time.Sleep(20 * time.Millisecond) },
			context.DeadlineExceeded, context.DeadlineExceeded},
		{"stop", time.Hour, func(c *deadlineContext, _ context.CancelCauseFunc) { c.stop() },
			context.Canceled, context.Canceled},
		{"parent canceled", time.Hour, func(_ *deadlineContext, cancel context.CancelCauseFunc) { cancel(errCause) },
			context.Canceled, errCause},
		// Ended by stop; the deadline passing later changes nothing, as
		// with context.WithDeadline.
		{"stop then deadline", 10 * time.Millisecond, func(c *deadlineContext, _ context.CancelCauseFunc) {
			c.stop()
			time.Sleep(30 * time.Millisecond)
		}, context.Canceled, context.Canceled},
		// A request context ends when its handler returns, after stop.
		{"stop then parent canceled", time.Hour, func(c *deadlineContext, cancel context.CancelCauseFunc) {
			c.stop()
			cancel(errCause)
		}, context.Canceled, context.Canceled},
		{"parent canceled then stop", time.Hour, func(c *deadlineContext, cancel context.CancelCauseFunc) {
			cancel(errCause)
			c.stop()
		}, context.Canceled, errCause},
	} {
		for _, madeFirst := range []bool{false, true} {
			name := tc.name + "/unused"
			if madeFirst {
				name = tc.name + "/in use"
			}
			t.Run(name, func(t *testing.T) {
				// The parent is cancelable, as a server's request context is,
				// so context.Cause finds the parent's state until this one is
				// made.
				parent, cancelParent := context.WithCancelCause(context.WithValue(context.Background(), ctxKey{}, "v"))
				defer cancelParent(nil)
				c := newDeadlineContext(parent, tc.timeout)
				defer c.stop()
				if madeFirst {
					require.NotNil(t, c.Done())
				}
				tc.end(c, cancelParent)

				assert.ErrorIs(t, context.Cause(c), tc.wantCause, "Cause, asked first")
				assert.True(t, closedWithin(c.Done(), time.Second), "Done closes")
				assert.ErrorIs(t, c.Err(), tc.wantErr)
				assert.ErrorIs(t, context.Cause(c), tc.wantCause)
				assert.Equal(t, "v", c.Value(ctxKey{}))
			})
		}
	}
}

func TestDeadlineContextDerived(t *testing.T) {
	t.Run("child canceled by stop", func(t *testing.T) {
		c := newDeadlineContext(context.Background(), time.Hour)
		child, cancel := context.WithCancel(c)
		defer cancel()
		c.stop()
		assert.True(t, closedWithin(child.Done(), time.Second))
		assert.ErrorIs(t, child.Err(), context.Canceled)
	})
	t.Run("child ends at the deadline", func(t *testing.T) {
		parent, cancelParent := context.WithCancel(context.Background())
		defer cancelParent()
		c := newDeadlineContext(parent, 10*time.Millisecond)
		defer c.stop()
		child, cancel := context.WithCancel(c)
		defer cancel()
		assert.True(t, closedWithin(child.Done(), time.Second))
		assert.ErrorIs(t, child.Err(), context.DeadlineExceeded)
	})
	t.Run("AfterFunc runs on stop", func(t *testing.T) {
		c := newDeadlineContext(context.Background(), time.Hour)
		ran := make(chan struct{})
		context.AfterFunc(c, func() { close(ran) })
		c.stop()
		assert.True(t, closedWithin(ran, time.Second))
	})
	t.Run("WithoutCancel is not canceled", func(t *testing.T) {
		c := newDeadlineContext(context.WithValue(context.Background(), ctxKey{}, "v"), time.Hour)
		detached := context.WithoutCancel(c)
		c.stop()
		assert.NoError(t, detached.Err())
		assert.NoError(t, context.Cause(detached))
		assert.Equal(t, "v", detached.Value(ctxKey{}))
	})
}

func TestDeadlineContextConcurrentUse(t *testing.T) {
	for i := 0; i < 20; i++ {
		c := newDeadlineContext(context.Background(), time.Hour)
		var wg sync.WaitGroup
		for g := 0; g < 4; g++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				if assert.True(t, closedWithin(c.Done(), 5*time.Second), "Done closes after stop") {
					assert.ErrorIs(t, c.Err(), context.Canceled)
				}
			}()
		}
		c.stop()
		wg.Wait()
	}
}
