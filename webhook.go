package glomo

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"mime"
	"net/http"
	"sync"
	"time"
)

// Defaults of WebhookOptions.
const (
	// DefaultWebhookMaxBodyBytes caps a delivery's body; larger ones get 413.
	DefaultWebhookMaxBodyBytes = 1 << 20
	// DefaultWebhookTimeout leaves headroom in Glomo's 30-second delivery
	// budget, after which Glomo counts the delivery as failed and retries.
	DefaultWebhookTimeout = 20 * time.Second
	// DefaultWebhookQueueSize is the asynchronous mode's queue length.
	DefaultWebhookQueueSize = 256
	// DefaultWebhookWorkers is the asynchronous mode's number of workers.
	DefaultWebhookWorkers = 4
)

// WebhookOptions configures NewWebhookHandler. Only Secrets and Handle are
// required.
type WebhookOptions struct {
	// Secrets are the webhook signing secrets; a delivery signed with any
	// of them is accepted. List the new and the old secret while rotating.
	// Required; an empty secret is a construction error.
	Secrets []WebhookSecret

	// Handle processes a verified, parsed, not yet processed event. It is
	// called for every entity and event type, including ones this package
	// does not know: return nil for those, or Glomo retries them for days.
	// (The dashboard's test event, entity_type webhook_test, is answered
	// 200 without calling Handle.) A non-nil error answers 500 (Glomo
	// retries) and leaves the event unprocessed in the store. ctx carries
	// a deadline of Timeout and is canceled when Handle returns; without
	// Async it also carries the request's values, ends early if the
	// request's context does, and its Timeout started before the store's
	// Claim. Its timer starts only once something waits on it (Done or
	// Err), so a Handle that never does pays nothing for the deadline.
	//
	// Handle may retain the event and its byte slices: the handler
	// allocates a fresh body per delivery unless ReuseBuffers is set.
	//
	// Deliveries arrive duplicated and out of order: never let a
	// non-terminal status overwrite a terminal one (see IsTerminalStatus).
	// Required.
	Handle func(ctx context.Context, e WebhookEvent) error

	// Store deduplicates deliveries. Default: a NewMemoryEventStore(0, 0)
	// private to this handler, which is enough for a single process.
	Store EventStore

	// MaxBodyBytes caps the request body. Default DefaultWebhookMaxBodyBytes.
	MaxBodyBytes int64

	// Timeout bounds each delivery's store Claim and Handle calls through
	// their context; the store's Done after Handle may run until five
	// seconds past that deadline. Default DefaultWebhookTimeout; keep it
	// well under Glomo's 30 seconds.
	Timeout time.Duration

	// Async acknowledges a verified event with 202 as soon as it is queued
	// and runs Handle later on a worker with its own Timeout.
	//
	// Durability trade-off: once Glomo has its 2xx it will not retry. If
	// Handle then fails, or the process dies with events still queued, the
	// event is lost unless Glomo happens to deliver it again (its claim is
	// released, so a later duplicate is processed). Use Async only for work
	// you can afford to lose or reconcile (GET the order), or keep Async
	// off and make Handle persist the event to a durable queue, which is
	// fast and keeps Glomo's retries. A full queue answers 503, which
	// Glomo retries. Call Shutdown to drain the queue on exit.
	//
	// A queued event's claim in the store lasts as long as the longest
	// wait the queue allows, (QueueSize/Workers + 1) × (Timeout + 5s) +
	// 30s (each run may take Timeout, then five seconds for the store), so
	// a duplicate delivered meanwhile gets 409 (Glomo retries it later)
	// instead of running Handle a second time.
	Async bool
	// QueueSize is the asynchronous queue length. Default DefaultWebhookQueueSize.
	QueueSize int
	// Workers is the number of asynchronous workers. Default DefaultWebhookWorkers.
	Workers int

	// ReuseBuffers recycles request body buffers through a pool, which
	// saves an allocation, its zeroing and the garbage per delivery. It
	// matters for large bodies in a process with a small heap: a fresh
	// 1 MiB buffer then costs almost half as much as its HMAC (see
	// BENCHMARKS.md). It changes the contract of Handle: the event's Raw
	// and Data are valid only until Handle returns; copy them
	// (bytes.Clone) to keep them. The typed accessors return copies and
	// stay safe. Default false.
	ReuseBuffers bool

	// Logger receives one record per refused or failed delivery, with a
	// reason code and never the body, the signature or a secret. Default
	// slog.Default().
	Logger *slog.Logger
}

// WebhookHandler is an http.Handler for Glomo's webhook deliveries. It
// verifies the signature over the raw body before parsing anything, parses
// the event, deduplicates it and calls Handle. Responses:
//
//	200 processed, a duplicate of a processed event, or a test event
//	202 queued (Async)
//	400 malformed signature, body not an event, unreadable body
//	401 missing or wrong signature
//	405 not POST
//	409 the same event is being processed by another delivery right now;
//	    Glomo retries it later, when it is either done (200) or released
//	413 body over MaxBodyBytes
//	415 a Content-Type other than application/json
//	500 Handle failed (Glomo retries)
//	503 the store failed, the queue is full or the handler is shut down
//
// Every error body is an ErrorBody.
type WebhookHandler struct {
	secrets   []WebhookSecret
	handle    func(context.Context, WebhookEvent) error
	store     EventStore
	maxBody   int64
	timeout   time.Duration
	logger    *slog.Logger
	reuse     bool
	lease     time.Duration // how long a claim lives in the store
	bufs      sync.Pool     // of *[]byte, when reuse
	macs      *sync.Pool    // of *macSet keyed with secrets
	queue     chan queuedEvent
	workers   sync.WaitGroup
	closeOnce sync.Once
	mu        sync.RWMutex // guards closed against sends on queue
	closed    bool
}

type queuedEvent struct {
	e    WebhookEvent
	key  string
	slot *[]byte // the body's pool slot, with ReuseBuffers
}

var _ http.Handler = (*WebhookHandler)(nil)

// NewWebhookHandler checks opts and returns a handler. It fails when no
// secret is given, a secret is empty, or Handle is nil. In Async mode it
// starts the workers; call Shutdown to stop them.
func NewWebhookHandler(opts WebhookOptions) (*WebhookHandler, error) {
	if err := checkWebhookSecrets(opts.Secrets); err != nil {
		return nil, err
	}
	if opts.Handle == nil {
		return nil, errors.New("glomo: WebhookOptions.Handle is nil")
	}
	h := &WebhookHandler{
		secrets: append([]WebhookSecret(nil), opts.Secrets...),
		handle:  opts.Handle,
		store:   opts.Store,
		maxBody: opts.MaxBodyBytes,
		timeout: opts.Timeout,
		logger:  opts.Logger,
		reuse:   opts.ReuseBuffers,
	}
	h.macs = newMACPool(h.secrets)
	if h.store == nil {
		h.store = NewMemoryEventStore(0, 0)
	}
	if h.maxBody <= 0 {
		h.maxBody = DefaultWebhookMaxBodyBytes
	}
	if h.timeout <= 0 {
		h.timeout = DefaultWebhookTimeout
	}
	if h.logger == nil {
		h.logger = slog.Default()
	}
	// A claim lives past Handle's deadline, so a slow but live callback
	// keeps it, yet briefly enough that a crash frees it for Glomo's next
	// retry.
	h.lease = h.timeout + 30*time.Second
	if opts.Async {
		size, workers := opts.QueueSize, opts.Workers
		if size <= 0 {
			size = DefaultWebhookQueueSize
		}
		if workers <= 0 {
			workers = DefaultWebhookWorkers
		}
		// A queued event waits for the events ahead of it, shared among
		// the workers, each bounded by Timeout and its store's grace: its
		// claim must outlive that wait, or a duplicate could claim it
		// again and run twice.
		h.lease = asyncLease(h.timeout, size, workers)
		h.queue = make(chan queuedEvent, size)
		h.workers.Add(workers)
		for i := 0; i < workers; i++ {
			go h.work()
		}
	}
	return h, nil
}

// asyncLease is how long a claim lives in Async mode: the longest an event
// can wait in a queue of size on workers, then run, each run taking at
// most timeout plus the store's grace, and 30 seconds more. It saturates
// rather than overflow.
func asyncLease(timeout time.Duration, size, workers int) time.Duration {
	const slack = 30 * time.Second
	runs := int64((size+workers-1)/workers) + 1
	per := timeout + webhookStoreGrace
	if per <= 0 || int64(per) > (math.MaxInt64-int64(slack))/runs {
		return math.MaxInt64
	}
	return time.Duration(runs)*per + slack
}

// Async reports whether the handler was built with WebhookOptions.Async,
// and so acknowledges deliveries before Handle runs.
func (h *WebhookHandler) Async() bool { return h.queue != nil }

// ServeHTTP implements http.Handler.
func (h *WebhookHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		h.refuse(w, r, http.StatusMethodNotAllowed, "method_not_allowed", "webhooks must be POSTed")
		return
	}
	// The header maps are indexed directly with canonical keys, which is
	// what Get and Values do after canonicalizing their argument.
	if ct := firstValue(r.Header["Content-Type"]); ct != "" && ct != "application/json" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			h.refuse(w, r, http.StatusUnsupportedMediaType, "unsupported_media_type", "the body must be application/json")
			return
		}
	}
	// Check the header's shape before reading the body, so a request that
	// cannot verify costs no read.
	sigs := r.Header[WebhookSignatureHeader]
	sig := firstValue(sigs)
	var want [sha256.Size]byte
	if sig == "" {
		h.refuse(w, r, http.StatusUnauthorized, "signature_missing", "the "+WebhookSignatureHeader+" header is missing")
		return
	}
	if len(sigs) > 1 || !decodeWebhookSignature(&want, sig) {
		h.refuse(w, r, http.StatusBadRequest, "signature_malformed", "the "+WebhookSignatureHeader+" header must be one 64-digit hex HMAC-SHA256")
		return
	}
	if r.ContentLength > h.maxBody {
		h.refuse(w, r, http.StatusRequestEntityTooLarge, "body_too_large", fmt.Sprintf("the body exceeds %d bytes", h.maxBody))
		return
	}

	body, slot, signed, err := h.readSignedBody(r, &want)
	if err != nil {
		if errors.Is(err, errBodyTooLarge) {
			h.refuse(w, r, http.StatusRequestEntityTooLarge, "body_too_large", fmt.Sprintf("the body exceeds %d bytes", h.maxBody))
		} else {
			h.refuse(w, r, http.StatusBadRequest, "body_unreadable", "the body could not be read")
		}
		return
	}
	queued := false
	defer func() {
		if !queued {
			h.putBuffer(slot, body)
		}
	}()

	if !signed {
		h.refuse(w, r, http.StatusUnauthorized, "signature_mismatch", "the signature does not match the body")
		return
	}

	e, err := ParseWebhookEvent(body)
	if err != nil {
		h.refuse(w, r, http.StatusBadRequest, "malformed_event", "the body is not a Glomo webhook event")
		return
	}
	if e.EntityType == EntityWebhookTest {
		h.logger.LogAttrs(r.Context(), slog.LevelInfo, "glomo: webhook test event received")
		writeJSONStatus(w, http.StatusOK, statusTest)
		return
	}

	// Claim and Handle share one deadline, which starts here.
	dc := newDeliveryContexts(r.Context(), h.timeout)
	dctx := &dc.handle
	defer dctx.stop()
	key := e.DedupKey()
	if key != "" {
		claim, err := h.store.Claim(dctx, key, h.lease)
		if err != nil {
			h.fail(w, r, e, http.StatusServiceUnavailable, "store_unavailable", "the event store failed", err)
			return
		}
		switch claim {
		case ClaimDone:
			writeJSONStatus(w, http.StatusOK, statusDuplicate)
			return
		case ClaimInProgress:
			h.refuse(w, r, http.StatusConflict, "event_in_progress", "this event is being processed; retry later")
			return
		}
	}

	if h.queue != nil {
		if h.enqueue(queuedEvent{e: e, key: key, slot: slot}) {
			queued = true
			writeJSONStatus(w, http.StatusAccepted, statusQueued)
			return
		}
		h.release(r.Context(), key)
		h.fail(w, r, e, http.StatusServiceUnavailable, "busy", "the webhook queue is full or closed; retry later", nil)
		return
	}

	if err := h.process(dc, e, key); err != nil {
		h.fail(w, r, e, http.StatusInternalServerError, "internal_error", "the webhook could not be processed; it will be retried", err)
		return
	}
	writeJSONStatus(w, http.StatusOK, statusProcessed)
}

// webhookStoreGrace is how long past Handle's deadline the store may take
// to record a processed event.
const webhookStoreGrace = 5 * time.Second

// deliveryContexts holds, in one allocation, the context a delivery's
// Claim and Handle share and the one its store's Done gets.
type deliveryContexts struct {
	handle, done deadlineContext
}

// newDeliveryContexts starts a delivery's deadline of timeout.
func newDeliveryContexts(parent context.Context, timeout time.Duration) *deliveryContexts {
	dc := &deliveryContexts{}
	dc.handle.init(parent, time.Now().Add(timeout))
	return dc
}

// doneContext returns the context for recording a processed event: it
// keeps the delivery's values but not its cancellation, since the work is
// done whether or not the request is still there, and ends
// webhookStoreGrace after Handle's deadline. Call it once.
func (dc *deliveryContexts) doneContext() *deadlineContext {
	dc.done.init(context.WithoutCancel(dc.handle.parent), dc.handle.deadline.Add(webhookStoreGrace))
	return &dc.done
}

// process runs Handle under dc's deadline, stops it, and settles the
// claim. A panic in Handle releases the claim before it propagates, so the
// retry is not locked out for a whole lease.
func (h *WebhookHandler) process(dc *deliveryContexts, e WebhookEvent, key string) (err error) {
	dctx := &dc.handle
	defer dctx.stop()
	var ctx context.Context = dctx
	settled := false
	defer func() {
		if !settled {
			h.release(ctx, key)
		}
	}()
	err = h.handle(ctx, e)
	settled = true
	if err != nil {
		h.release(ctx, key)
		return err
	}
	if key != "" {
		// The work is done; a failure to record it only risks one more
		// run on a retry, which idempotent callbacks tolerate. So answer
		// success rather than invite a retry for certain. Recording it
		// must not depend on the request, nor hang the answer forever.
		done := dc.doneContext()
		defer done.stop()
		if derr := h.store.Done(done, key); derr != nil {
			h.logger.LogAttrs(ctx, slog.LevelWarn, "glomo: webhook store could not record a processed event",
				slog.String("entity_type", e.EntityType), slog.String("event_type", e.EventType), slog.String("error", derr.Error()))
		}
	}
	return nil
}

// release frees a claim on a context that survives the request's end.
func (h *WebhookHandler) release(ctx context.Context, key string) {
	if key == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	if err := h.store.Release(ctx, key); err != nil {
		h.logger.LogAttrs(ctx, slog.LevelWarn, "glomo: webhook store could not release a claim", slog.String("error", err.Error()))
	}
}

func (h *WebhookHandler) enqueue(q queuedEvent) bool {
	h.mu.RLock()
	defer h.mu.RUnlock()
	if h.closed {
		return false
	}
	select {
	case h.queue <- q:
		return true
	default:
		return false
	}
}

func (h *WebhookHandler) work() {
	defer h.workers.Done()
	for q := range h.queue {
		h.runQueued(q)
	}
}

func (h *WebhookHandler) runQueued(q queuedEvent) {
	defer h.putBuffer(q.slot, q.e.Raw)
	defer func() {
		// A worker must survive a panicking Handle; process has already
		// released the claim.
		if p := recover(); p != nil {
			h.logger.LogAttrs(context.Background(), slog.LevelError, "glomo: webhook Handle panicked",
				slog.String("entity_type", q.e.EntityType), slog.String("event_type", q.e.EventType), slog.Any("panic", p))
		}
	}()
	if err := h.process(newDeliveryContexts(context.Background(), h.timeout), q.e, q.key); err != nil {
		h.logger.LogAttrs(context.Background(), slog.LevelError, "glomo: queued webhook failed; Glomo will not retry it",
			slog.String("entity_type", q.e.EntityType), slog.String("event_type", q.e.EventType),
			slog.String("id", q.e.ID()), slog.String("error", err.Error()))
	}
}

// Shutdown stops accepting deliveries (they get 503, which Glomo retries)
// and waits until queued events are processed or ctx ends. It is a no-op
// without Async.
func (h *WebhookHandler) Shutdown(ctx context.Context) error {
	if h.queue == nil {
		return nil
	}
	h.closeOnce.Do(func() {
		h.mu.Lock()
		h.closed = true
		close(h.queue)
		h.mu.Unlock()
	})
	done := make(chan struct{})
	go func() {
		h.workers.Wait()
		close(done)
	}()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// refuse answers a client error and logs its reason code only.
func (h *WebhookHandler) refuse(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	h.logger.LogAttrs(r.Context(), slog.LevelWarn, "glomo: webhook refused",
		slog.Int("status", status), slog.String("reason", code))
	writeJSONError(w, status, code, msg)
}

// fail answers a server-side failure with a generic body; err (which may
// come from the merchant's code) goes to the log only.
func (h *WebhookHandler) fail(w http.ResponseWriter, r *http.Request, e WebhookEvent, status int, code, msg string, err error) {
	attrs := []slog.Attr{
		slog.Int("status", status), slog.String("reason", code),
		slog.String("entity_type", e.EntityType), slog.String("event_type", e.EventType),
	}
	if err != nil {
		attrs = append(attrs, slog.String("error", err.Error()))
	}
	h.logger.LogAttrs(r.Context(), slog.LevelError, "glomo: webhook failed", attrs...)
	writeJSONError(w, status, code, msg)
}

func firstValue(values []string) string {
	if len(values) == 0 {
		return ""
	}
	return values[0]
}

// Bodies of the webhook handler's success responses, encoded once.
var (
	statusProcessed = []byte(`{"status":"processed"}` + "\n")
	statusDuplicate = []byte(`{"status":"duplicate"}` + "\n")
	statusQueued    = []byte(`{"status":"queued"}` + "\n")
	statusTest      = []byte(`{"status":"test"}` + "\n")
)

// writeJSONStatus answers a delivery the handler accepted with one of the
// status bodies above.
func writeJSONStatus(w http.ResponseWriter, status int, body []byte) {
	// Only Glomo's servers read these answers, and a POST response is not
	// cached without freshness headers, so they need no Cache-Control. The
	// key is canonical already, which Set would check again.
	w.Header()["Content-Type"] = []string{"application/json; charset=utf-8"}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
