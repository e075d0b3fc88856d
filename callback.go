package glomo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
)

// DefaultMaxBodyBytes is the default limit on a posted result's body. The
// SDK's payloads are a few hundred bytes.
const DefaultMaxBodyBytes = 64 << 10

// ErrNoExpectedOrder is what an ExpectedOrder hook returns (possibly
// wrapped) when the visitor has no order awaiting payment, for example no
// session. The handler answers 400 unknown_order; any other hook error is
// the server's problem and gets a 500 without details.
var ErrNoExpectedOrder = errors.New("glomo: no order awaits payment")

// ResultHandlerOptions configures a [ResultHandler]. Only Secrets and
// ExpectedOrder are required.
type ResultHandlerOptions struct {
	// Secrets are the API secret keys a signature may be made with: the
	// current one and, for up to 7 days after a rotation, the old one.
	// Required; none may be empty.
	Secrets []string

	// ExpectedOrder returns the order id the merchant's server created for
	// this visitor, from its own session or database. Required. The handler
	// never takes the order id from the request: it refuses a result whose
	// order id differs, and verifies every signature against this id.
	// Return ErrNoExpectedOrder when there is no such order.
	ExpectedOrder func(r *http.Request) (string, error)

	// Confirm looks the order up server-side when the browser's result
	// cannot be verified (a redirect without payment id or signature, an
	// unsigned success post) or is signed but not final. Default: none,
	// and such results are OutcomePending. It gets a paymentID only from
	// a signed result; an unsigned one's payment id proves nothing, so
	// Confirm then gets "" and must answer from the order. An error is logged (secrets redacted) and the result is
	// OutcomePending: the buyer is not at fault and the webhook will tell.
	Confirm ConfirmFunc

	// Fulfil is the merchant's success action (ship, grant access). It runs
	// for OutcomeSuccess only, once per order as recorded in Store (a
	// signed result, its reloads and a server-side confirmation of the
	// same order count as one), with a context that is not cancelled when
	// the browser leaves. If it fails, the claim is released so that a
	// later delivery may retry, and the client gets 500 internal_error
	// without details. Default: none.
	Fulfil func(ctx context.Context, p Payment) error

	// Store remembers fulfilled orders. Default, when Fulfil is set: a
	// MemoryStore of DefaultMemoryStoreEntries for DefaultMemoryStoreTTL,
	// which only deduplicates within one process; several replicas need a
	// shared FulfilStore.
	Store FulfilStore

	// OnResult renders the response once the result is classified (and
	// fulfilled). The Payment is also in r's context (PaymentFromContext).
	// Default: JSON of the Payment for a post; for a redirect, a 303 to
	// RedirectURL or else a small HTML page.
	OnResult func(w http.ResponseWriter, r *http.Request, p Payment)

	// RedirectURL, if set, is where the default OnResult sends the browser
	// after a redirect, with an "outcome" query parameter added (for
	// example /orders/done?outcome=success). It must be an absolute path
	// or URL. Default: none.
	RedirectURL string

	// MaxBodyBytes limits a posted body; larger ones get 413.
	// Default: DefaultMaxBodyBytes. Negative values are a configuration error.
	MaxBodyBytes int64

	// Logger receives one line per result or refusal, without secrets,
	// signatures or bodies. Default: slog.Default().
	Logger *slog.Logger
}

// ResultHandler receives the payment result the browser brings back from
// Glomo Checkout, by callbackUrl redirect (GET) or by posting an SDK event
// (POST), classifies it with an [Outcome], fulfils verified successes once
// and lets the merchant render the answer. Build one with
// [NewResultHandler]; it is safe for concurrent use.
//
// How a post is recognised: a payload with a signature is a signed result
// (payment.success, or a signed failure) and is verified whatever else it
// says. Otherwise the optional "event" field decides (payment.success,
// payment.failure, payment.bank_transfer_submitted); without it, the shape
// does: sender account number or transaction reference means a bank
// transfer, an error object, error code or status "failed" means a failure
// hint, anything else is unverifiable and goes to Confirm.
//
// Status codes: 200 for every classified result, pending and failures
// included; 4xx with an [ErrorBody] for bad client input (405, 413, 415,
// otherwise 400); 500 internal_error only when a hook or the store fails.
type ResultHandler struct {
	secrets      []string
	expected     func(*http.Request) (string, error)
	confirm      ConfirmFunc
	fulfil       func(context.Context, Payment) error
	store        FulfilStore
	onResult     func(http.ResponseWriter, *http.Request, Payment)
	redirectURL  *url.URL
	maxBodyBytes int64
	log          *slog.Logger
}

var _ http.Handler = (*ResultHandler)(nil)

// NewResultHandler checks opts and returns a handler. Every configuration
// mistake is reported here, so that none can surface per request: no
// secrets or an empty one (wrapping ErrNoSecret), no ExpectedOrder, a
// negative MaxBodyBytes, an unparsable RedirectURL.
func NewResultHandler(opts ResultHandlerOptions) (*ResultHandler, error) {
	if len(opts.Secrets) == 0 {
		return nil, fmt.Errorf("glomo: ResultHandlerOptions.Secrets is empty: %w", ErrNoSecret)
	}
	for i, s := range opts.Secrets {
		if s == "" {
			return nil, fmt.Errorf("glomo: ResultHandlerOptions.Secrets[%d] is empty: %w", i, ErrNoSecret)
		}
	}
	if opts.ExpectedOrder == nil {
		return nil, errors.New("glomo: ResultHandlerOptions.ExpectedOrder is required: the order id must come from the merchant's own state")
	}
	if opts.MaxBodyBytes < 0 {
		return nil, errors.New("glomo: ResultHandlerOptions.MaxBodyBytes is negative")
	}
	h := &ResultHandler{
		secrets:      append([]string(nil), opts.Secrets...),
		expected:     opts.ExpectedOrder,
		confirm:      opts.Confirm,
		fulfil:       opts.Fulfil,
		store:        opts.Store,
		onResult:     opts.OnResult,
		maxBodyBytes: opts.MaxBodyBytes,
		log:          opts.Logger,
	}
	if opts.RedirectURL != "" {
		u, err := url.Parse(opts.RedirectURL)
		if err != nil || (!u.IsAbs() && !strings.HasPrefix(u.Path, "/")) {
			return nil, errors.New("glomo: ResultHandlerOptions.RedirectURL must be an absolute path or URL")
		}
		h.redirectURL = u
	}
	if h.maxBodyBytes == 0 {
		h.maxBodyBytes = DefaultMaxBodyBytes
	}
	if h.fulfil != nil && h.store == nil {
		h.store = NewMemoryStore(DefaultMemoryStoreEntries, DefaultMemoryStoreTTL)
	}
	if h.log == nil {
		h.log = slog.Default()
	}
	return h, nil
}

// MustNewResultHandler is like NewResultHandler but panics on a
// configuration error, for use in package-level variables and main.
func MustNewResultHandler(opts ResultHandlerOptions) *ResultHandler {
	h, err := NewResultHandler(opts)
	if err != nil {
		panic(err)
	}
	return h
}

// ServeHTTP implements http.Handler.
func (h *ResultHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// The redirect's URL carries the signature: no page this handler
	// answers with, its own or OnResult's, may pass it on as a referrer.
	w.Header().Set("Referrer-Policy", "no-referrer")
	var (
		raw  *rawResult
		rerr *requestError
	)
	switch r.Method {
	case http.MethodGet:
		raw, rerr = parseRedirect(r.URL.RawQuery)
	case http.MethodPost:
		raw, rerr = parsePost(w, r, h.maxBodyBytes)
	default:
		w.Header().Set("Allow", "GET, POST")
		rerr = &requestError{status: http.StatusMethodNotAllowed, code: CodeMethodNotAllowed,
			message: "use GET for the callbackUrl redirect or POST for an SDK event"}
	}
	if rerr != nil {
		h.refuse(w, r, rerr)
		return
	}

	p, err := h.classify(r, raw)
	if err != nil {
		var re *requestError
		if errors.As(err, &re) {
			h.refuse(w, r, re)
			return
		}
		h.fail(w, r, "glomo: looking up the expected order failed", err, raw)
		return
	}

	if p.Outcome == OutcomeSuccess && h.fulfil != nil {
		if err := h.fulfilOnce(r.Context(), &p); err != nil {
			h.fail(w, r, "glomo: fulfilment failed", err, raw)
			return
		}
	}

	h.log.LogAttrs(r.Context(), slog.LevelInfo, "glomo: payment result",
		slog.String("outcome", p.Outcome.String()),
		slog.String("source", p.Source.String()),
		slog.String("order_id", p.OrderID),
		slog.String("payment_id", p.PaymentID),
		slog.Bool("confirmed_server_side", p.ConfirmedServerSide),
		slog.Bool("duplicate", p.Duplicate))

	r = r.WithContext(withPayment(r.Context(), p))
	if h.onResult != nil {
		h.onResult(w, r, p)
		return
	}
	h.render(w, r, p)
}

// classify turns what the browser sent into a Payment. A *requestError
// means the client is at fault; any other error comes from ExpectedOrder.
func (h *ResultHandler) classify(r *http.Request, raw *rawResult) (Payment, error) {
	if raw.get(fieldOrder) == "" {
		return Payment{}, badRequest(CodeMissingParameter, "orderId is required")
	}
	if raw.source == SourceRedirect && raw.get(fieldStatus) == "" {
		return Payment{}, badRequest(CodeMissingParameter, "status is required")
	}
	event := raw.get(fieldEvent)
	switch event {
	case "", EventPaymentSuccess, EventPaymentFailure, EventBankTransferSubmitted:
	default:
		return Payment{}, badRequest(CodeUnknownEvent, "event must be payment.success, payment.failure or payment.bank_transfer_submitted")
	}

	expected, err := h.expected(r)
	if errors.Is(err, ErrNoExpectedOrder) || (err == nil && expected == "") {
		return Payment{}, badRequest(CodeUnknownOrder, "no order awaits payment in this session")
	}
	if err != nil {
		return Payment{}, err
	}
	if raw.get(fieldOrder) != expected {
		return Payment{}, badRequest(CodeOrderMismatch, "the result is for a different order")
	}

	p := Payment{
		OrderID:   expected,
		PaymentID: raw.get(fieldPayment),
		Status:    raw.get(fieldStatus),
		Source:    raw.source,
	}
	sig := raw.get(fieldSignature)
	switch {
	case sig != "" && p.PaymentID != "":
		if p.Status == "" {
			return Payment{}, badRequest(CodeMissingParameter, "status is required with a signature")
		}
		if err := Verify(expected, p.PaymentID, p.Status, sig, h.secrets...); err != nil {
			return Payment{}, verifyRefusal(err)
		}
		switch p.Status {
		case "success":
			p.Outcome = OutcomeSuccess
		case "failed":
			p.Outcome = OutcomeFailure
		default:
			// Glomo signed a status that is not final: ask the server.
			h.confirmServerSide(r.Context(), &p, sig, true)
		}
	case raw.source == SourcePost && (event == EventBankTransferSubmitted ||
		(event == "" && (raw.get(fieldSender) != "" || raw.get(fieldReference) != ""))):
		p.Outcome = OutcomeBankTransferSubmitted
		p.SenderAccountNumber = raw.get(fieldSender)
		p.TransactionReference = raw.get(fieldReference)
	case raw.source == SourcePost && (event == EventPaymentFailure ||
		(event == "" && (raw.present[fieldError] || raw.get(fieldErrorCode) != "" || p.Status == "failed"))):
		p.Outcome = OutcomeFailureHint
		p.ErrorCode = raw.get(fieldErrorCode)
		p.ErrorMessage = raw.get(fieldErrorMessage)
	default:
		// No payment id or no signature: the browser's status proves
		// nothing, so only a server-side look-up may settle it.
		h.confirmServerSide(r.Context(), &p, sig, false)
	}
	return p, nil
}

// verifyRefusal maps a Verify error to the client's answer; the error's
// text is never sent, it is not needed and names no value anyway.
func verifyRefusal(err error) *requestError {
	switch {
	case errors.Is(err, ErrMalformedSignature):
		return badRequest(CodeMalformedSignature, "signature must be 64 hexadecimal characters")
	case errors.Is(err, ErrMissingField):
		return badRequest(CodeInvalidParameter, "paymentId and status must not contain '|'")
	default:
		return badRequest(CodeSignatureMismatch, "the signature does not match this order")
	}
}

// confirmServerSide asks the Confirm hook and sets the outcome; without a
// hook, on an error, or on anything but a final answer the result is
// pending. signed says whether p.PaymentID came with a valid signature:
// only then is it passed to the hook or kept in a confirmed result.
// signature is only passed to be redacted from logged errors.
func (h *ResultHandler) confirmServerSide(ctx context.Context, p *Payment, signature string, signed bool) {
	p.Outcome = OutcomePending
	if h.confirm == nil {
		return
	}
	paymentID := ""
	if signed {
		paymentID = p.PaymentID
	}
	c, err := h.confirm(ctx, p.OrderID, paymentID)
	if err != nil {
		h.log.LogAttrs(ctx, slog.LevelWarn, "glomo: server-side confirmation failed; reporting pending",
			slog.String("order_id", p.OrderID),
			slog.String("error", h.redact(err.Error(), signature)))
		return
	}
	if c.Status != "" {
		p.Status = c.Status
	}
	confirmed := c.Outcome == OutcomeSuccess || c.Outcome == OutcomeFailure
	if confirmed {
		p.Outcome = c.Outcome
		p.ConfirmedServerSide = true
	}
	// A confirmed result names only a payment that was signed or that the
	// look-up reported: an unsigned payment id proves nothing.
	if c.PaymentID != "" || (confirmed && !signed) {
		p.PaymentID = c.PaymentID
	}
}

// fulfilOnce runs Fulfil if this delivery is the first to claim the
// order. The context outlives the request: a buyer closing the tab must
// not abort a fulfilment half-way.
func (h *ResultHandler) fulfilOnce(reqCtx context.Context, p *Payment) error {
	ctx := context.WithoutCancel(reqCtx)
	key := fulfilKey(p.OrderID)
	claimed, err := h.store.Claim(ctx, key)
	if err != nil {
		return fmt.Errorf("claiming the payment in the store: %w", err)
	}
	if !claimed {
		p.Duplicate = true
		return nil
	}
	if err := h.fulfil(ctx, *p); err != nil {
		if rerr := h.store.Release(ctx, key); rerr != nil {
			err = errors.Join(err, fmt.Errorf("releasing the claim: %w", rerr))
		}
		return err
	}
	if err := h.store.Done(ctx, key); err != nil {
		// Fulfilment happened; the claim's own expiry still guards the
		// key for a while, so log and answer success.
		h.log.LogAttrs(ctx, slog.LevelWarn, "glomo: marking the payment fulfilled failed",
			slog.String("order_id", p.OrderID),
			slog.String("error", h.redact(err.Error())))
	}
	return nil
}

// refuse answers a client error and logs its code (never the input).
func (h *ResultHandler) refuse(w http.ResponseWriter, r *http.Request, e *requestError) {
	h.log.LogAttrs(r.Context(), slog.LevelInfo, "glomo: payment result refused",
		slog.String("method", r.Method),
		slog.Int("status", e.status),
		slog.String("error", e.code))
	writeJSONError(w, e.status, e.code, e.message)
}

// fail answers a server-side failure with a generic 500; the details go
// to the log, with secrets and the request's signature redacted.
func (h *ResultHandler) fail(w http.ResponseWriter, r *http.Request, msg string, err error, raw *rawResult) {
	h.log.LogAttrs(r.Context(), slog.LevelError, msg,
		slog.String("order_id", raw.get(fieldOrder)),
		slog.String("error", h.redact(err.Error(), raw.get(fieldSignature))))
	writeJSONError(w, http.StatusInternalServerError, CodeInternalError, "the payment result could not be processed; try again later")
}

// redact removes the secrets, and any of extra, from a hook's error text
// before it is logged: hooks are the merchant's code and may echo them.
func (h *ResultHandler) redact(s string, extra ...string) string {
	for _, v := range h.secrets {
		s = strings.ReplaceAll(s, v, "[redacted]")
	}
	for _, v := range extra {
		// A garbage signature of a few characters would mangle the text
		// without hiding anything worth hiding.
		if len(v) >= 8 {
			s = strings.ReplaceAll(s, v, "[redacted]")
		}
	}
	return s
}
