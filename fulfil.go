package glomo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// Proof says which verified proof of payment led to a fulfilment.
type Proof int

const (
	// ProofRedirect is a signed callbackUrl redirect.
	ProofRedirect Proof = iota + 1
	// ProofPost is a signed result the checkout page posted.
	ProofPost
	// ProofConfirmation is a server-side look-up of the order through the
	// Server API (ResultHandlerOptions.Confirm, or a reconciliation).
	ProofConfirmation
	// ProofWebhook is a verified webhook: payment/success naming its
	// order, or orders/paid.
	ProofWebhook
)

// String returns "redirect", "post", "confirmation" or "webhook".
func (p Proof) String() string {
	switch p {
	case ProofRedirect:
		return "redirect"
	case ProofPost:
		return "post"
	case ProofConfirmation:
		return "confirmation"
	case ProofWebhook:
		return "webhook"
	default:
		return "unknown"
	}
}

// PaidOrder is what the fulfilment hook is told about an order that a
// verified proof says is paid.
type PaidOrder struct {
	// OrderID is the id of the order the merchant's server created.
	OrderID string
	// PaymentID is the payment that paid it, when the proof names one.
	PaymentID string
	// Proof is the proof that arrived first.
	Proof Proof
	// Key and Token are the store claim the hook runs under, for stores
	// that mark it done in the hook's own database transaction.
	Key, Token string

	// markedDone is set by MarkedDone; nil outside Fulfil.
	markedDone *bool
}

// MarkedDone tells the Fulfilment that the hook has marked its claim done
// itself, in the transaction of its own writes, so that the store's Done
// is not called a second time. Stores that complete the claim inside the
// hook's transaction call it once that transaction committed.
func (o PaidOrder) MarkedDone() {
	if o.markedDone != nil {
		*o.markedDone = true
	}
}

// FulfilFunc is the merchant's fulfilment: ship the goods, grant access.
// A non-nil error releases the order's claim, so that the next proof (a
// reload, Glomo's retry of the webhook) runs it again.
type FulfilFunc func(ctx context.Context, o PaidOrder) error

// RunResult says what Fulfilment.Fulfil and Fulfilment.Once did.
type RunResult int

const (
	// Ran means this call ran the work, and it succeeded.
	Ran RunResult = iota + 1
	// AlreadyRan means the work was done before.
	AlreadyRan
	// Running means another call holds the claim right now; if it fails,
	// a later proof runs the work.
	Running
)

// String returns "ran", "already_ran" or "running".
func (r RunResult) String() string {
	switch r {
	case Ran:
		return "ran"
	case AlreadyRan:
		return "already_ran"
	case Running:
		return "running"
	default:
		return "unknown"
	}
}

// ErrStore wraps the errors of a Store, so that handlers answer them with
// 503 (the proof is retried) rather than as a failed fulfilment.
var ErrStore = errors.New("glomo: store failed")

// Defaults of FulfilmentOptions.
const (
	// DefaultFulfilTimeout bounds one run of the hook. It leaves headroom
	// in Glomo's 30-second webhook budget.
	DefaultFulfilTimeout = 20 * time.Second
	// DefaultLease is how long a claim lives: past the hook's timeout,
	// so that a slow but live hook keeps it, yet short enough that a
	// crashed replica's claim frees the order for Glomo's next retry.
	DefaultLease = time.Minute
)

// FulfilmentOptions configures NewFulfilment.
type FulfilmentOptions struct {
	// Store records claims and done marks. Default: a MemoryStore, which
	// serves one process only; replicas share a Redis or PostgreSQL store.
	Store Store
	// Timeout bounds each run of the hook (and of Once's work) through its
	// context. Default DefaultFulfilTimeout.
	Timeout time.Duration
	// Lease is how long a claim lives. It must exceed Timeout by at least
	// five seconds, the time the store's Done may take. Default
	// DefaultLease, or Timeout plus 40 seconds when Timeout is longer.
	Lease time.Duration
	// Logger receives a record when a finished run could not be marked
	// done, and when a panicking run's claim could not be released.
	// Default slog.Default().
	Logger *slog.Logger
}

// Fulfilment runs the merchant's fulfilment hook exactly once per order,
// whichever verified proof of payment arrives first: the signed redirect,
// the signed post, a server-side confirmation or a webhook, on one
// replica or many (with a shared Store). Give the same Fulfilment to the
// ResultHandler and the webhook handler. It also runs other work once per
// key (Once), which the webhook handler uses for events that are not
// payments. Build one with NewFulfilment; it is safe for concurrent use.
type Fulfilment struct {
	hook    FulfilFunc
	store   Store
	timeout time.Duration
	lease   time.Duration
	log     *slog.Logger
}

// storeGrace is how long the store's Done and Release may take after the
// work's deadline.
const storeGrace = 5 * time.Second

// NewFulfilment returns a Fulfilment running hook. A nil hook, a negative
// Timeout or Lease, or a Lease that does not exceed Timeout by five
// seconds is an error.
func NewFulfilment(hook FulfilFunc, opts FulfilmentOptions) (*Fulfilment, error) {
	if hook == nil {
		return nil, errors.New("glomo: NewFulfilment needs a fulfilment hook")
	}
	if opts.Timeout < 0 || opts.Lease < 0 {
		return nil, errors.New("glomo: FulfilmentOptions.Timeout and Lease must not be negative")
	}
	f := &Fulfilment{hook: hook, store: opts.Store, timeout: opts.Timeout, lease: opts.Lease, log: opts.Logger}
	if f.timeout == 0 {
		f.timeout = DefaultFulfilTimeout
	}
	if f.lease == 0 {
		f.lease = max(DefaultLease, f.timeout+40*time.Second)
	}
	if f.lease < f.timeout+storeGrace {
		return nil, fmt.Errorf("glomo: FulfilmentOptions.Lease %v must exceed Timeout %v by %v: a claim must outlive the work it guards", f.lease, f.timeout, storeGrace)
	}
	if f.store == nil {
		f.store = NewMemoryStore(0, 0)
	}
	if f.log == nil {
		f.log = slog.Default()
	}
	return f, nil
}

// MustNewFulfilment is like NewFulfilment but panics on a configuration
// error.
func MustNewFulfilment(hook FulfilFunc, opts FulfilmentOptions) *Fulfilment {
	f, err := NewFulfilment(hook, opts)
	if err != nil {
		panic(err)
	}
	return f
}

// Fulfil runs the hook for o.OrderID unless it ran before or runs now
// elsewhere. Call it only for an order a verified proof says is paid; the
// handlers do. The hook's context keeps ctx's values but not its
// cancellation (a buyer closing the tab must not abort a shipment half
// way) and ends after the Timeout. An error from the store matches
// ErrStore; any other error is the hook's.
func (f *Fulfilment) Fulfil(ctx context.Context, o PaidOrder) (RunResult, error) {
	if o.OrderID == "" {
		return 0, errors.New("glomo: Fulfil needs an order id")
	}
	key := StoreKey("order", o.OrderID)
	return f.run(ctx, key, func(ctx context.Context, token string) (bool, error) {
		marked := false
		o.Key, o.Token, o.markedDone = key, token, &marked
		err := f.hook(ctx, o)
		return marked, err
	})
}

// Once runs work unless the work named key ran before or runs now
// elsewhere, with the claims and context of Fulfil. The webhook handler
// runs each event other than a payment through it; keys should be built
// with StoreKey, with a kind other than "order". An empty key names work
// that cannot be deduplicated: it runs every time, with the same context.
func (f *Fulfilment) Once(ctx context.Context, key string, work func(ctx context.Context) error) (RunResult, error) {
	if key == "" {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), f.timeout)
		defer cancel()
		if err := work(ctx); err != nil {
			return 0, err
		}
		return Ran, nil
	}
	return f.run(ctx, key, func(ctx context.Context, _ string) (bool, error) { return false, work(ctx) })
}

// run claims key, runs work with the claim's token and marks the claim
// done, unless work reports it marked the claim done itself.
func (f *Fulfilment) run(ctx context.Context, key string, work func(context.Context, string) (markedDone bool, err error)) (result RunResult, err error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), f.timeout)
	defer cancel()
	c, err := f.store.Claim(ctx, key, f.lease)
	if err != nil {
		return 0, fmt.Errorf("%w: claiming %s: %w", ErrStore, key, err)
	}
	switch c.State {
	case ClaimAcquired:
	case ClaimDone:
		return AlreadyRan, nil
	case ClaimInProgress:
		return Running, nil
	default:
		return 0, fmt.Errorf("%w: claiming %s: unknown state %d", ErrStore, key, c.State)
	}

	settled := false
	defer func() {
		// A panicking hook frees the claim before the panic goes on, so
		// that the next proof is not locked out for a whole lease.
		if !settled {
			if err := f.release(key, c.Token); err != nil {
				f.log.LogAttrs(ctx, slog.LevelWarn, "glomo: a panicking run's claim could not be released; it lapses with its lease",
					slog.String("key", key), slog.String("error", err.Error()))
			}
		}
	}()
	markedDone, err := work(ctx, c.Token)
	settled = true
	if err != nil {
		// The work's error decides the answer; a failed release only
		// delays the retry until the lease lapses.
		if rerr := f.release(key, c.Token); rerr != nil {
			err = errors.Join(err, fmt.Errorf("releasing the claim: %v", rerr))
		}
		return 0, err
	}
	if markedDone {
		return Ran, nil
	}
	// The work is done whether or not it can be recorded: answer success,
	// since a retry would only run it again. A lost claim means the hook
	// outran its lease and another proof may run it too.
	doneCtx, cancelDone := context.WithTimeout(context.WithoutCancel(ctx), storeGrace)
	defer cancelDone()
	if derr := f.store.Done(doneCtx, key, c.Token); derr != nil {
		f.log.LogAttrs(ctx, slog.LevelError, "glomo: finished work could not be marked done; a later proof may run it again",
			slog.String("key", key), slog.String("error", derr.Error()))
	}
	return Ran, nil
}

// release frees a claim whose work failed, on a context of its own.
func (f *Fulfilment) release(key, token string) error {
	ctx, cancel := context.WithTimeout(context.Background(), storeGrace)
	defer cancel()
	return f.store.Release(ctx, key, token)
}
