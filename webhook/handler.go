package webhook

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"

	"github.com/glomokit/glomo"
	"github.com/glomokit/glomo/internal/hexmac"
)

// DefaultMaxBodyBytes caps a delivery's body; larger ones get 413.
const DefaultMaxBodyBytes = 1 << 20

// Options configures NewHandler. Secrets and Fulfilment are required.
type Options struct {
	// Secrets are the webhook signing secrets; a delivery signed with any
	// of them is accepted. List the new and the old secret while rotating.
	// An empty list or an empty secret is a construction error.
	Secrets []Secret

	// Fulfilment receives the events that prove an order paid
	// (payment/success naming its order, orders/paid): it runs the
	// merchant's fulfilment hook once per order, shared with the
	// ResultHandler that holds the same Fulfilment. Such events do not
	// reach Handle. Required.
	Fulfilment *glomo.Fulfilment

	// Handle processes every other verified event, once per DedupKey
	// through the Fulfilment's store, under the Fulfilment's timeout and
	// with a context that keeps the request's values but that the
	// request's end does not cancel; it runs before the delivery is
	// answered. It is called
	// for every entity and event type, including ones this package does
	// not know: return nil for those, or Glomo retries them for days. (The
	// dashboard's test event, entity_type webhook_test, is answered 200
	// without calling Handle.) An error answers 500, so that Glomo
	// retries. Events arrive duplicated and out of order: never let a
	// non-terminal status overwrite a terminal one (ShouldApplyStatus).
	// Handle may keep the event. Default: nil, every such event is
	// acknowledged unprocessed.
	Handle func(ctx context.Context, e Event) error

	// MaxBodyBytes caps the request body. Default DefaultMaxBodyBytes;
	// negative is a construction error.
	MaxBodyBytes int64

	// Logger receives one record per refused or failed delivery, with a
	// reason code and never the body, the signature or a secret. Default
	// slog.Default().
	Logger *slog.Logger
}

// Handler is an http.Handler for Glomo's webhook deliveries. It reads the
// raw body through http.MaxBytesReader, verifies its signature before
// parsing anything, decodes the event with encoding/json, fulfils the
// orders it proves paid and hands every other event to Handle, each once.
// Responses:
//
//	200 processed, a duplicate of processed work, or a test event
//	400 malformed signature, a body that is not an event, unreadable body
//	401 missing or wrong signature
//	405 not POST
//	409 another delivery is doing the same work right now; Glomo retries
//	    it later, when it is done (200) or was released
//	413 body over MaxBodyBytes
//	415 a Content-Type other than application/json
//	500 the fulfilment hook or Handle failed (Glomo retries)
//	503 the store failed (Glomo retries)
//
// Every error body is a glomo.ErrorBody.
type Handler struct {
	secrets    []Secret
	fulfilment *glomo.Fulfilment
	handle     func(context.Context, Event) error
	maxBody    int64
	log        *slog.Logger
}

var _ http.Handler = (*Handler)(nil)

// NewHandler checks opts and returns a handler.
func NewHandler(opts Options) (*Handler, error) {
	if err := checkSecrets(opts.Secrets); err != nil {
		return nil, err
	}
	if opts.Fulfilment == nil {
		return nil, errors.New("webhook: Options.Fulfilment is required: paid orders must be fulfilled")
	}
	if opts.MaxBodyBytes < 0 {
		return nil, errors.New("webhook: Options.MaxBodyBytes is negative")
	}
	h := &Handler{
		secrets:    append([]Secret(nil), opts.Secrets...),
		fulfilment: opts.Fulfilment,
		handle:     opts.Handle,
		maxBody:    opts.MaxBodyBytes,
		log:        opts.Logger,
	}
	if h.maxBody == 0 {
		h.maxBody = DefaultMaxBodyBytes
	}
	if h.log == nil {
		h.log = slog.Default()
	}
	return h, nil
}

// MustNewHandler is like NewHandler but panics on a configuration error.
func MustNewHandler(opts Options) *Handler {
	h, err := NewHandler(opts)
	if err != nil {
		panic(err)
	}
	return h
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		h.refuse(w, r, http.StatusMethodNotAllowed, glomo.CodeMethodNotAllowed, "webhooks must be POSTed")
		return
	}
	if ct := r.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			h.refuse(w, r, http.StatusUnsupportedMediaType, glomo.CodeUnsupportedMediaType, "the body must be application/json")
			return
		}
	}
	// The signature's shape is checked before the body is read, so a
	// request that cannot verify costs no read.
	sigs := r.Header.Values(SignatureHeader)
	var want [hexmac.Size]byte
	switch {
	case len(sigs) == 0 || sigs[0] == "":
		h.refuse(w, r, http.StatusUnauthorized, glomo.CodeMissingSignature, "the "+SignatureHeader+" header is missing")
		return
	case len(sigs) > 1 || !hexmac.Decode(&want, sigs[0]):
		h.refuse(w, r, http.StatusBadRequest, glomo.CodeMalformedSignature, "the "+SignatureHeader+" header must be one 64-digit hex HMAC-SHA256")
		return
	}
	if r.ContentLength > h.maxBody {
		h.tooLarge(w, r)
		return
	}
	body, err := readBody(w, r, h.maxBody)
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			h.tooLarge(w, r)
			return
		}
		h.refuse(w, r, http.StatusBadRequest, glomo.CodeBodyUnreadable, "the body could not be read")
		return
	}
	if verifyMAC(body, &want, h.secrets) != nil {
		h.refuse(w, r, http.StatusUnauthorized, glomo.CodeSignatureMismatch, "the signature does not match the body")
		return
	}
	e, err := Parse(body)
	if err != nil {
		h.refuse(w, r, http.StatusBadRequest, glomo.CodeMalformedEvent, "the body is not a Glomo webhook event")
		return
	}
	if e.EntityType == EntityWebhookTest {
		h.log.LogAttrs(r.Context(), slog.LevelInfo, "glomo: webhook test event received")
		writeStatus(w, http.StatusOK, statusTest)
		return
	}

	ran, err := h.process(r.Context(), e)
	switch {
	case errors.Is(err, glomo.ErrStore):
		h.fail(w, r, e, http.StatusServiceUnavailable, glomo.CodeStoreUnavailable, "the event could not be recorded; it will be retried", err)
	case err != nil:
		h.fail(w, r, e, http.StatusInternalServerError, glomo.CodeInternalError, "the event could not be processed; it will be retried", err)
	case ran == glomo.Running:
		h.refuse(w, r, http.StatusConflict, glomo.CodeInProgress, "this event's work is in progress; retry later")
	case ran == glomo.AlreadyRan:
		writeStatus(w, http.StatusOK, statusDuplicate)
	default:
		writeStatus(w, http.StatusOK, statusProcessed)
	}
}

// firstChunk is how much of a declared body is read before the buffer
// for the rest is made, so that a client declaring a large body and
// sending nothing holds at most this much memory.
const firstChunk = 32 << 10

// readBody reads the body through http.MaxBytesReader: into one buffer of
// the declared length (at most limit, checked before) once its first
// 32 KiB have arrived, and with io.ReadAll when no length is declared.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	rd := http.MaxBytesReader(w, r.Body, limit)
	if r.ContentLength <= 0 {
		return io.ReadAll(rd)
	}
	body := make([]byte, min(r.ContentLength, firstChunk))
	if _, err := io.ReadFull(rd, body); err != nil {
		return nil, err
	}
	if int64(len(body)) < r.ContentLength {
		whole := make([]byte, r.ContentLength)
		n := copy(whole, body)
		if _, err := io.ReadFull(rd, whole[n:]); err != nil {
			return nil, err
		}
		body = whole
	}
	// The body must end here: net/http's server stops it at its
	// Content-Length, and a reader that does not, or fails, is refused
	// rather than read past the buffer.
	var extra [1]byte
	switch n, err := rd.Read(extra[:]); {
	case n > 0:
		return nil, errors.New("webhook: body longer than its Content-Length")
	case err != nil && err != io.EOF:
		return nil, err
	}
	return body, nil
}

// process fulfils the order e proves paid, or runs Handle once for e.
func (h *Handler) process(ctx context.Context, e Event) (glomo.RunResult, error) {
	if orderID, paymentID, ok := e.PaidOrder(); ok {
		return h.fulfilment.Fulfil(ctx, glomo.PaidOrder{OrderID: orderID, PaymentID: paymentID, Proof: glomo.ProofWebhook})
	}
	if h.handle == nil {
		return glomo.Ran, nil
	}
	work := func(ctx context.Context) error { return h.handle(ctx, e) }
	if key := e.DedupKey(); key != "" {
		return h.fulfilment.Once(ctx, glomo.StoreKey("event", key), work)
	}
	// An event without an identity cannot be deduplicated: run it.
	return h.fulfilment.Once(ctx, "", work)
}

func (h *Handler) tooLarge(w http.ResponseWriter, r *http.Request) {
	h.refuse(w, r, http.StatusRequestEntityTooLarge, glomo.CodeBodyTooLarge, fmt.Sprintf("the body exceeds %d bytes", h.maxBody))
}

// refuse answers a client error and logs its reason code only.
func (h *Handler) refuse(w http.ResponseWriter, r *http.Request, status int, code, msg string) {
	h.log.LogAttrs(r.Context(), slog.LevelWarn, "glomo: webhook refused",
		slog.Int("status", status), slog.String("reason", code))
	glomo.WriteError(w, status, glomo.ErrorBody{Code: code, Message: msg})
}

// fail answers a server-side failure with a generic body; err, which may
// come from the merchant's code, goes to the log only.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, e Event, status int, code, msg string, err error) {
	h.log.LogAttrs(r.Context(), slog.LevelError, "glomo: webhook failed",
		slog.Int("status", status), slog.String("reason", code),
		slog.String("entity_type", e.EntityType), slog.String("event_type", e.EventType),
		slog.String("error", h.redact(err.Error())))
	glomo.WriteError(w, status, glomo.ErrorBody{Code: code, Message: msg})
}

// redact removes the webhook secrets from an error's text: hooks are the
// merchant's code and may echo them.
func (h *Handler) redact(s string) string {
	for _, v := range h.secrets {
		s = strings.ReplaceAll(s, string(v), "[redacted]")
	}
	return s
}

// Bodies of the handler's success answers.
var (
	statusProcessed = []byte(`{"status":"processed"}` + "\n")
	statusDuplicate = []byte(`{"status":"duplicate"}` + "\n")
	statusTest      = []byte(`{"status":"test"}` + "\n")
)

func writeStatus(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
