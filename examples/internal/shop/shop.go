package shop

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"sort"
	"strings"

	"github.com/glomokit/glomo"
	"github.com/glomokit/glomo/glomoapi"
	"github.com/glomokit/glomo/webhook"
)

// Paths the shop serves. Framework demos mount their handlers here too.
const (
	PathProducts       = "/"                      // GET: the product page
	PathBuy            = "/buy"                   // POST: create the order, then 303 to the checkout
	PathCheckout       = "/checkout"              // GET ?order=ID[&mode=redirect]: the checkout page
	PathResult         = "/payment-result"        // GET: the callbackUrl redirect
	PathVerify         = "/payment/verify"        // POST: the checkout page posts the SDK's event
	PathWebhook        = "/webhooks/glomo"        // POST: Glomo's webhooks
	PathOrder          = "/order"                 // GET ?id=ID: the order-status page
	PathSettleTransfer = "/order/settle-transfer" // POST order=ID&received=true|false: settle in the simulator (Config.SimulatorURL)
	PathStatic         = "/static/"               // GET: stylesheet and script (prefix)
	PathHealth         = "/healthz"               // GET: 200 "ok", for scripts waiting for the demo
	sessionName        = "shop_session"           // the session cookie
	maxFormBytes       = 4 << 10                  // the buy form is a few bytes
	currency           = "USD"                    // the catalogue's currency
	customerID         = "cust_demo_shopper"      // the demo has one customer
)

// Product is an item of the catalogue.
type Product struct {
	// SKU identifies the product in the buy form.
	SKU string
	// Name and Description are shown to the buyer and sent to Glomo.
	Name, Description string
	// Amount is the price in minor units of USD (cents).
	Amount int64
}

// Price formats Amount as dollars, such as "$24.00".
func (p Product) Price() string { return fmt.Sprintf("$%d.%02d", p.Amount/100, p.Amount%100) }

// Catalogue is what the demo shop sells.
var Catalogue = []Product{
	{SKU: "mug", Name: "Gopher mug", Description: "350 ml, dishwasher safe.", Amount: 1800},
	{SKU: "tee", Name: "Checkout T-shirt", Description: "Organic cotton, unisex.", Amount: 2400},
	{SKU: "book", Name: "Payments, explained", Description: "A short book on card and bank payments.", Amount: 3900},
}

// Shop is the demo shop: its pages, its orders and the configuration of
// the glomo handlers it uses. Build one with New; it is safe for
// concurrent use.
type Shop struct {
	cfg        Config
	log        *slog.Logger
	api        *glomoapi.Client
	orders     *OrderStore
	tmpl       *template.Template
	fulfilment *glomo.Fulfilment
	headers    func(http.Handler) http.Handler
	result     *glomo.ResultHandler
	webhook    http.Handler
}

// New checks cfg and builds the shop, including the glomo middleware and
// handlers of its net/http version, so that every configuration mistake
// surfaces here.
func New(cfg Config) (*Shop, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if cfg.SDKURL == "" {
		cfg.SDKURL = DefaultSDKURL
	}
	s := &Shop{cfg: cfg, log: cfg.Logger, orders: NewOrderStore(0)}
	if s.log == nil {
		s.log = slog.Default()
	}
	var opts []glomoapi.Option
	if cfg.APIBaseURL != "" {
		opts = append(opts, glomoapi.WithBaseURL(cfg.APIBaseURL))
	}
	if cfg.HTTPClient != nil {
		opts = append(opts, glomoapi.WithHTTPClient(cfg.HTTPClient))
	}
	api, err := glomoapi.New(cfg.SecretKey, opts...)
	if err != nil {
		return nil, fmt.Errorf("shop: API client: %w", err)
	}
	s.api = api
	if s.tmpl, err = parseTemplates(); err != nil {
		return nil, err
	}
	if s.fulfilment, err = glomo.NewFulfilment(s.fulfil, glomo.FulfilmentOptions{Store: cfg.Store, Logger: s.log}); err != nil {
		return nil, fmt.Errorf("shop: fulfilment: %w", err)
	}
	if s.headers, err = glomo.NewHeaders(s.HeaderOptions()...); err != nil {
		return nil, fmt.Errorf("shop: glomo headers: %w", err)
	}
	if s.result, err = glomo.NewResultHandler(s.ResultHandlerOptions()); err != nil {
		return nil, fmt.Errorf("shop: result handler: %w", err)
	}
	s.webhook = http.HandlerFunc(webhooksDisabled)
	if cfg.WebhookSecret != "" {
		wh, err := webhook.NewHandler(s.WebhookOptions())
		if err != nil {
			return nil, fmt.Errorf("shop: webhook handler: %w", err)
		}
		s.webhook = wh
	}
	return s, nil
}

// Config returns the shop's configuration, defaults applied.
func (s *Shop) Config() Config { return s.cfg }

// Orders returns the shop's order store.
func (s *Shop) Orders() *OrderStore { return s.orders }

// HeaderOptions are the options the shop gives glomo.Headers (or a
// framework adapter's equivalent): a nonce for the inline checkout script,
// the simulator's origin when the SDK comes from it, and the shop's logger.
func (s *Shop) HeaderOptions() []glomo.Option {
	opts := []glomo.Option{glomo.WithNonce(), glomo.WithLogger(s.log)}
	if len(s.cfg.CSPSources) > 0 {
		opts = append(opts, glomo.WithExtraSources(s.cfg.CSPSources...))
	}
	return opts
}

// ResultHandlerOptions configures the handler of PathResult and
// PathVerify: the expected order comes from the buyer's session cookie,
// successes go to the shop's Fulfilment, results that cannot be verified
// from the browser are confirmed through the API, and redirects render
// the result page while posts get JSON.
func (s *Shop) ResultHandlerOptions() glomo.ResultHandlerOptions {
	return glomo.ResultHandlerOptions{
		Secrets:       []string{s.cfg.SecretKey},
		ExpectedOrder: s.ExpectedOrder,
		Confirm:       s.api.Confirm,
		Fulfilment:    s.fulfilment,
		OnResult:      s.RenderResult,
		Logger:        s.log,
	}
}

// WebhookOptions configures the handler of PathWebhook: the events that
// prove an order paid go to the same Fulfilment as the browser's results,
// and the others move the shop's orders forward.
func (s *Shop) WebhookOptions() webhook.Options {
	return webhook.Options{
		Secrets:    []webhook.Secret{webhook.Secret(s.cfg.WebhookSecret)},
		Fulfilment: s.fulfilment,
		Handle:     s.handleWebhook,
		Logger:     s.log,
	}
}

// ExpectedOrder is the ResultHandlerOptions.ExpectedOrder hook: the order
// the visitor's session is paying for, never the id the browser sends.
func (s *Shop) ExpectedOrder(r *http.Request) (string, error) {
	id, ok := s.orders.Current(sessionOf(r))
	if !ok {
		return "", glomo.ErrNoExpectedOrder
	}
	return id, nil
}

// fulfil is the shop's fulfilment hook: it marks the order paid and
// ships it. The library runs it once per order, whichever proof arrives
// first (the browser's signed result, a server-side confirmation, the
// webhooks), so the shop keeps no dedupe of its own; the order page shows
// how many times it ran.
func (s *Shop) fulfil(ctx context.Context, o glomo.PaidOrder) error {
	s.orders.Fulfil(o.OrderID, o.PaymentID, o.Proof.String())
	s.log.LogAttrs(ctx, slog.LevelInfo, "shop: order fulfilled",
		slog.String("order_id", o.OrderID), slog.String("by", o.Proof.String()))
	return nil
}

// handleWebhook is the webhook handler's Handle: every verified event
// other than the proofs of payment, which the Fulfilment receives.
func (s *Shop) handleWebhook(ctx context.Context, e webhook.Event) error {
	var orderID, paymentID, errorCode string
	switch e.EntityType {
	case webhook.EntityPayment:
		p, err := e.Payment()
		if err != nil {
			return nil // verified but not a shape we know: acknowledge, never loop
		}
		orderID, paymentID, errorCode = p.OrderID, p.ID, p.ErrorCode
	case webhook.EntityOrders:
		o, err := e.Order()
		if err != nil {
			return nil
		}
		orderID = o.ID
	default:
		return nil // other entity types do not concern the shop
	}
	if !s.orders.RecordWebhook(orderID, paymentID, errorCode, e.EntityType, e.EventType) {
		s.log.LogAttrs(ctx, slog.LevelInfo, "shop: webhook for an unknown order",
			slog.String("entity_type", e.EntityType), slog.String("event_type", e.EventType))
	}
	return nil
}

// Route is one route of the shop, for any router.
type Route struct {
	// Method is "GET" or "POST".
	Method string
	// Path is an exact path, or a prefix when it ends in "/" (PathStatic);
	// PathProducts ("/") is exact.
	Path string
	// Handler serves it.
	Handler http.Handler
}

// Pages returns the shop's own routes, which do not depend on a
// framework: the product, buy, checkout, order-status, simulated
// settlement and static routes (and PathHealth). Mount them behind the framework's glomo header
// middleware, configured with HeaderOptions.
func (s *Shop) Pages() []Route {
	return []Route{
		{http.MethodGet, PathProducts, http.HandlerFunc(s.serveProducts)},
		{http.MethodPost, PathBuy, http.HandlerFunc(s.serveBuy)},
		{http.MethodGet, PathCheckout, http.HandlerFunc(s.serveCheckout)},
		{http.MethodGet, PathOrder, http.HandlerFunc(s.serveOrder)},
		{http.MethodPost, PathSettleTransfer, http.HandlerFunc(s.serveSettleTransfer)},
		{http.MethodGet, PathStatic, staticHandler()},
		{http.MethodGet, PathHealth, http.HandlerFunc(serveHealth)},
	}
}

// Routes returns every route of the net/http version: Pages plus the
// glomo.ResultHandler (PathResult, PathVerify) and webhook.Handler
// (PathWebhook) built from ResultHandlerOptions and WebhookOptions.
func (s *Shop) Routes() []Route {
	return append(s.Pages(),
		Route{http.MethodGet, PathResult, s.result},
		Route{http.MethodPost, PathVerify, s.result},
		Route{http.MethodPost, PathWebhook, s.webhook},
	)
}

// Mux returns Routes on a http.ServeMux, without the glomo middleware: the
// site exactly as it would be without this library. Unknown paths get a
// JSON 404, wrong methods a JSON 405.
func (s *Shop) Mux() http.Handler {
	byPath := map[string]map[string]http.Handler{}
	var paths []string
	for _, rt := range s.Routes() {
		if byPath[rt.Path] == nil {
			byPath[rt.Path] = map[string]http.Handler{}
			paths = append(paths, rt.Path)
		}
		byPath[rt.Path][rt.Method] = rt.Handler
	}
	mux := http.NewServeMux()
	for _, path := range paths {
		methods := byPath[path]
		pattern := path
		if pattern == PathProducts {
			pattern = "/{$}"
		}
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) {
			if h, ok := methods[r.Method]; ok {
				h.ServeHTTP(w, r)
				return
			}
			if h, ok := methods[http.MethodGet]; ok && r.Method == http.MethodHead {
				h.ServeHTTP(w, r)
				return
			}
			allow := make([]string, 0, len(methods))
			for m := range methods {
				allow = append(allow, m)
			}
			sort.Strings(allow)
			w.Header().Set("Allow", strings.Join(allow, ", "))
			writeError(w, http.StatusMethodNotAllowed, "method_not_allowed", "use "+strings.Join(allow, " or "))
		})
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "not_found", "no such page")
	})
	return mux
}

// Handler returns the net/http version of the shop: Mux behind
// glomo.Headers, so the site's strict CSP gets Glomo's hosts and the
// page's nonce merged in and its COOP same-origin becomes
// same-origin-allow-popups.
func (s *Shop) Handler() http.Handler { return s.headers(s.Mux()) }

func serveHealth(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ok\n"))
}

func webhooksDisabled(w http.ResponseWriter, _ *http.Request) {
	writeError(w, http.StatusServiceUnavailable, "webhooks_disabled", "set "+EnvWebhookSecret+" to receive webhooks")
}

// ErrUnknownProduct is reported for a buy form naming no product of the
// catalogue.
var ErrUnknownProduct = errors.New("shop: unknown product")

// productBySKU finds a product of the catalogue.
func productBySKU(sku string) (Product, error) {
	for _, p := range Catalogue {
		if p.SKU == sku {
			return p, nil
		}
	}
	return Product{}, ErrUnknownProduct
}
