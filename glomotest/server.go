package glomotest

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"time"
)

// Keys the simulator uses when Options leaves them empty.
const (
	DefaultSecretKey     = "sk_test_glomotest"
	DefaultPublicKey     = "test_glomotest"
	DefaultWebhookSecret = "whsec_glomotest"
)

// DefaultRetrySchedule is the compressed webhook retry schedule used when
// Options.RetrySchedule is nil: five retries after the first attempt, as in
// Glomo's sandbox, but milliseconds apart instead of minutes to days.
var DefaultRetrySchedule = []time.Duration{
	100 * time.Millisecond,
	200 * time.Millisecond,
	400 * time.Millisecond,
	800 * time.Millisecond,
	1600 * time.Millisecond,
}

// DefaultWebhookTimeout is the per-attempt webhook timeout used when
// Options.WebhookTimeout is zero. Glomo itself waits 30 seconds.
const DefaultWebhookTimeout = 5 * time.Second

// Options configures a Server. The zero value is usable: it gives the
// default keys and sends no webhooks.
type Options struct {
	// SecretKey is the merchant's API secret key. The API requires it as
	// "Authorization: Bearer <SecretKey>", and checkout signatures are keyed
	// with it. Default DefaultSecretKey.
	SecretKey string
	// PublicKey is the publishable key the browser passes to
	// GlomoCheckoutApi. Default DefaultPublicKey.
	PublicKey string

	// WebhookURL receives webhook events. Empty means no webhooks are sent
	// (SetWebhookURL can set it later).
	WebhookURL string
	// WebhookSecret keys the X-Glomopay-Signature header. Default
	// DefaultWebhookSecret.
	WebhookSecret string
	// WebhookClient sends the webhooks. Default: a client of the server's
	// own, closed with the server. Set it to reach an HTTPS receiver, for
	// example an httptest TLS server's Client().
	WebhookClient *http.Client
	// WebhookTimeout bounds each delivery attempt; a timeout counts as a
	// failure and is retried. Default DefaultWebhookTimeout.
	WebhookTimeout time.Duration
	// RetrySchedule lists the delays before each retry of a webhook that
	// failed (non-2xx status or transport error). nil means
	// DefaultRetrySchedule; an empty non-nil slice means no retries.
	RetrySchedule []time.Duration
	// DuplicateWebhooks delivers every event twice, as Glomo may.
	DuplicateWebhooks bool
	// ReverseWebhookOrder delivers the events of one state change in
	// reverse order (for a success: orders/paid before payment/success), as
	// Glomo may deliver events out of order.
	ReverseWebhookOrder bool

	// CallbackWithoutPaymentID leaves paymentId out of the callbackUrl
	// redirect, which then carries only status, orderId and signature, as
	// the integration guide's example shows:
	// callbackUrl?status=success&orderId=...&signature=... The signature
	// is still Sign(orderId, paymentId, status), which the merchant cannot
	// recompute without the payment id, so it must confirm such a result
	// server-side. It applies to the popup's redirect and to
	// CheckoutResult.CallbackURL. Default false: the redirect names the
	// payment.
	CallbackWithoutPaymentID bool
	// PaymentWithoutOrderID leaves order_id out of the payment that GET
	// /api/v1/payment/{id} returns, as Glomo's documented payment fields
	// do not include it; a merchant must then tie a payment to its order
	// another way. Webhook payloads and Server.Payment keep the order id.
	// Default false: the API's payment names its order.
	PaymentWithoutOrderID bool

	// Logger receives a line per request and per webhook attempt. Secrets,
	// signatures and bodies are never logged. Default: discard.
	Logger *slog.Logger
}

// Server is a local Glomo simulator: the Orders and Payments API subset, the
// checkout SDK with its iframe and payment popup, and signed webhooks with
// retries. It is for tests and demos only; it keeps everything in memory and
// must never face real buyers or real money.
//
// A Server is safe for concurrent use.
type Server struct {
	ts     *httptest.Server
	opts   Options
	log    *slog.Logger
	client *http.Client
	ownTr  *http.Transport

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu         sync.Mutex
	changed    chan struct{} // closed and replaced whenever state changes
	webhookURL string
	orders     map[string]*Order
	orderSeq   []string
	payments   map[string]*Payment
	requestIDs map[string]string
	requests   []Request
	queue      []*webhookJob
	inFlight   bool
	deliveries []Delivery
	eventSeq   int
	wake       chan struct{}
	closed     bool
}

// NewServer starts a plain HTTP simulator on a loopback address. The caller
// must Close it.
func NewServer(opts Options) *Server {
	s := newServer(opts)
	s.ts = httptest.NewServer(s.handler())
	s.start()
	return s
}

// NewTLSServer starts an HTTPS simulator on a loopback address with a
// self-signed certificate, like httptest.NewTLSServer. Client trusts it.
//
// Browser tests point Chromium at it for Glomo's real host names with
//
//	--host-resolver-rules="MAP glomopay-checkout-sdk.web.app 127.0.0.1:PORT, MAP *.glomopay.com 127.0.0.1:PORT"
//	--ignore-certificate-errors
//
// and import https://glomopay-checkout-sdk.web.app/index.js; see the package
// documentation for the loads the SDK then makes.
func NewTLSServer(opts Options) *Server {
	s := newServer(opts)
	s.ts = httptest.NewTLSServer(s.handler())
	s.start()
	return s
}

func newServer(opts Options) *Server {
	if opts.SecretKey == "" {
		opts.SecretKey = DefaultSecretKey
	}
	if opts.PublicKey == "" {
		opts.PublicKey = DefaultPublicKey
	}
	if opts.WebhookSecret == "" {
		opts.WebhookSecret = DefaultWebhookSecret
	}
	if opts.WebhookTimeout <= 0 {
		opts.WebhookTimeout = DefaultWebhookTimeout
	}
	if opts.RetrySchedule == nil {
		opts.RetrySchedule = DefaultRetrySchedule
	}
	opts.RetrySchedule = append([]time.Duration(nil), opts.RetrySchedule...)
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s := &Server{
		opts:       opts,
		log:        log,
		changed:    make(chan struct{}),
		webhookURL: opts.WebhookURL,
		orders:     make(map[string]*Order),
		payments:   make(map[string]*Payment),
		requestIDs: make(map[string]string),
		wake:       make(chan struct{}, 1),
	}
	s.client = opts.WebhookClient
	if s.client == nil {
		s.ownTr = http.DefaultTransport.(*http.Transport).Clone()
		s.client = &http.Client{Transport: s.ownTr}
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	return s
}

func (s *Server) start() {
	s.wg.Add(1)
	go s.deliverLoop()
}

// URL returns the server's base URL, such as http://127.0.0.1:41234.
func (s *Server) URL() string { return s.ts.URL }

// APIBaseURL returns the base URL of the simulated server API: URL()+"/api/v1".
// Configure the merchant's API client with it instead of
// https://api.glomopay.com/api/v1.
func (s *Server) APIBaseURL() string { return s.ts.URL + "/api/v1" }

// SDKURL returns the URL of the checkout SDK module: URL()+"/index.js".
// Import it instead of https://glomopay-checkout-sdk.web.app/index.js.
func (s *Server) SDKURL() string { return s.ts.URL + "/index.js" }

// Client returns an HTTP client configured for requests to the server; for
// a TLS server it trusts the server's certificate.
func (s *Server) Client() *http.Client { return s.ts.Client() }

// SecretKey returns the secret key the server accepts and signs with.
func (s *Server) SecretKey() string { return s.opts.SecretKey }

// PublicKey returns the public key the checkout SDK must be given.
func (s *Server) PublicKey() string { return s.opts.PublicKey }

// WebhookSecret returns the secret that keys webhook signatures.
func (s *Server) WebhookSecret() string { return s.opts.WebhookSecret }

// SetWebhookURL sets (or, with "", clears) the URL that receives webhooks
// for state changes from now on. It lets a test start the simulator before
// the merchant application whose URL it needs.
func (s *Server) SetWebhookURL(url string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.webhookURL = url
}

// Close stops webhook delivery, abandoning pending retries and cancelling
// an attempt in flight, then shuts the server down and waits for its
// requests to finish. Close is idempotent.
func (s *Server) Close() {
	s.mu.Lock()
	already := s.closed
	s.closed = true
	s.mu.Unlock()
	if already {
		return
	}
	s.cancel()
	s.wg.Wait()
	if s.ownTr != nil {
		s.ownTr.CloseIdleConnections()
	}
	s.ts.Close()
}

// notifyLocked wakes everyone waiting for a state change. s.mu must be held.
func (s *Server) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// waitFor blocks until cond (called with s.mu held) is true or ctx is done.
func (s *Server) waitFor(ctx context.Context, cond func() bool) error {
	for {
		s.mu.Lock()
		ok := cond()
		ch := s.changed
		s.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// RequestKind classifies a request the server received, by the kind of
// browser load (or API call) it is.
type RequestKind string

// Request kinds. Script, frame, connect and popup are the four loads a
// merchant page's CSP and COOP must allow for the checkout to work.
const (
	KindScript  RequestKind = "script"  // GET /index.js: the SDK module
	KindFrame   RequestKind = "frame"   // GET /checkout/frame: the checkout iframe
	KindConnect RequestKind = "connect" // GET /sdk/v1/checkout/{id}: the SDK's fetch
	KindPopup   RequestKind = "popup"   // GET /checkout/pay: the payment popup
	KindPay     RequestKind = "pay"     // POST /checkout/pay: a button in the popup
	// KindPageData is the iframe's and the popup's own fetch of the order
	// summary (GET /checkout/summary/{id}); the merchant's CSP does not
	// govern it.
	KindPageData RequestKind = "page-data"
	KindAPI      RequestKind = "api"   // /api/v1/... and PathSettleBankTransfer: the server API
	KindOther    RequestKind = "other" // anything else
)

// Request records one request the server received. A browser load that the
// merchant page's CSP blocks never reaches the server, so Requests tells a
// browser test which loads the policy allowed.
type Request struct {
	Time   time.Time
	Kind   RequestKind
	Method string
	Host   string // as the browser sent it, e.g. glomopay-checkout-sdk.web.app
	Path   string
}

// Requests returns every request received so far, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.requests...)
}

// WaitForRequest blocks until a request of the given kind has arrived (and
// returns the first such) or ctx is done.
func (s *Server) WaitForRequest(ctx context.Context, kind RequestKind) (Request, error) {
	var found Request
	err := s.waitFor(ctx, func() bool {
		for _, r := range s.requests {
			if r.Kind == kind {
				found = r
				return true
			}
		}
		return false
	})
	return found, err
}

func requestKind(r *http.Request) RequestKind {
	p := r.URL.Path
	switch {
	case p == "/index.js":
		return KindScript
	case p == "/checkout/frame":
		return KindFrame
	case strings.HasPrefix(p, "/sdk/v1/checkout/"):
		return KindConnect
	case strings.HasPrefix(p, "/checkout/summary/"):
		return KindPageData
	case p == "/checkout/pay" && r.Method == http.MethodPost:
		return KindPay
	case p == "/checkout/pay":
		return KindPopup
	case strings.HasPrefix(p, "/api/"), strings.HasPrefix(p, PathSettleBankTransfer):
		return KindAPI
	}
	return KindOther
}

func (s *Server) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/orders", s.requireKey(s.handleCreateOrder))
	mux.HandleFunc("GET /api/v1/orders/{id}", s.requireKey(s.handleGetOrder))
	mux.HandleFunc("GET /api/v1/payment/{id}", s.requireKey(s.handleGetPayment))
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such API endpoint in the simulator")
	})

	mux.HandleFunc("GET /index.js", s.handleSDK)
	mux.HandleFunc("GET /sdk/v1/checkout/{orderID}", s.handleCheckoutSummary)
	mux.HandleFunc("OPTIONS /sdk/v1/checkout/{orderID}", handlePreflight)
	mux.HandleFunc("GET /checkout/summary/{orderID}", s.handleCheckoutSummary)
	mux.HandleFunc("GET /checkout/frame", s.handlePage("static/frame.html"))
	mux.HandleFunc("GET /checkout/pay", s.handlePage("static/pay.html"))
	mux.HandleFunc("POST /checkout/pay", s.handlePay)
	mux.HandleFunc("POST "+PathSettleBankTransfer+"{paymentID}", s.requireKey(s.handleSettle))

	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req := Request{Time: time.Now(), Kind: requestKind(r), Method: r.Method, Host: r.Host, Path: r.URL.Path}
		s.mu.Lock()
		s.requests = append(s.requests, req)
		s.notifyLocked()
		s.mu.Unlock()
		s.log.Debug("glomotest request", "kind", req.Kind, "method", req.Method, "host", req.Host, "path", req.Path)
		mux.ServeHTTP(w, r)
	})
}

// errorBody is Glomo's flat error shape.
type errorBody struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}

// writeError writes {"error": StatusText(status), "message": message}.
func writeError(w http.ResponseWriter, status int, message string) {
	writeJSON(w, status, errorBody{Error: http.StatusText(status), Message: message})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	// A write error means the client went away; nothing to do.
	_ = json.NewEncoder(w).Encode(v)
}
