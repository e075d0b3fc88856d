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

// ResultHandlerOptions configures a [ResultHandler]. Secrets,
// ExpectedOrder and Fulfilment are required.
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

	// Fulfilment runs the merchant's fulfilment hook for OutcomeSuccess,
	// once per order across this handler and the webhook handler that
	// share it (a signed result, its reloads, a server-side confirmation
	// and the order's webhooks count as one). If the hook fails, the
	// client gets 500 internal_error without details and a later proof
	// tries again; a store failure gets 503 store_unavailable. Required.
	Fulfilment *Fulfilment

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
	fulfilment   *Fulfilment
	onResult     func(http.ResponseWriter, *http.Request, Payment)
	redirectURL  *url.URL
	maxBodyBytes int64
	log          *slog.Logger
}

var _ http.Handler = (*ResultHandler)(nil)

// NewResultHandler checks opts and returns a handler. Every configuration
// mistake is reported here, so that none can surface per request: no
// secrets or an empty one (wrapping ErrNoSecret), no ExpectedOrder or
// Fulfilment, a negative MaxBodyBytes, an unparsable RedirectURL.
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
	if opts.Fulfilment == nil {
		return nil, errors.New("glomo: ResultHandlerOptions.Fulfilment is required: a verified success must fulfil the order")
	}
	if opts.MaxBodyBytes < 0 {
		return nil, errors.New("glomo: ResultHandlerOptions.MaxBodyBytes is negative")
	}
	h := &ResultHandler{
		secrets:      append([]string(nil), opts.Secrets...),
		expected:     opts.ExpectedOrder,
		confirm:      opts.Confirm,
		fulfilment:   opts.Fulfilment,
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

	if p.Outcome == OutcomeSuccess {
		if err := h.fulfil(r.Context(), &p); err != nil {
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

// fulfil runs the Fulfilment for a verified success; p.Duplicate records
// that another proof had claimed the order.
func (h *ResultHandler) fulfil(ctx context.Context, p *Payment) error {
	proof := ProofRedirect
	switch {
	case p.ConfirmedServerSide:
		proof = ProofConfirmation
	case p.Source == SourcePost:
		proof = ProofPost
	}
	ran, err := h.fulfilment.Fulfil(ctx, PaidOrder{OrderID: p.OrderID, PaymentID: p.PaymentID, Proof: proof})
	p.Duplicate = err == nil && ran != Ran
	return err
}

// refuse answers a client error and logs its code (never the input).
func (h *ResultHandler) refuse(w http.ResponseWriter, r *http.Request, e *requestError) {
	h.log.LogAttrs(r.Context(), slog.LevelInfo, "glomo: payment result refused",
		slog.String("method", r.Method),
		slog.Int("status", e.status),
		slog.String("error", e.code))
	WriteError(w, e.status, ErrorBody{Code: e.code, Message: e.message})
}

// fail answers a server-side failure with a generic 500; the details go
// to the log, with secrets and the request's signature redacted.
func (h *ResultHandler) fail(w http.ResponseWriter, r *http.Request, msg string, err error, raw *rawResult) {
	h.log.LogAttrs(r.Context(), slog.LevelError, msg,
		slog.String("order_id", raw.get(fieldOrder)),
		slog.String("error", h.redact(err.Error(), raw.get(fieldSignature))))
	if errors.Is(err, ErrStore) {
		WriteError(w, http.StatusServiceUnavailable, ErrorBody{Code: CodeStoreUnavailable, Message: "the payment result could not be recorded; try again later"})
		return
	}
	WriteError(w, http.StatusInternalServerError, ErrorBody{Code: CodeInternalError, Message: "the payment result could not be processed; try again later"})
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
