package shop

import (
	"bytes"
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"html/template"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/glomokit/glomo"
	"github.com/glomokit/glomo/glomoapi"
	"github.com/glomokit/glomo/glomotest"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

func parseTemplates() (*template.Template, error) {
	t, err := template.New("").Funcs(template.FuncMap{
		"statusText":  statusText,
		"outcomeText": outcomeText,
		"errorText":   errorText,
		"proofText":   proofText,
	}).ParseFS(templateFS, "templates/*.html")
	if err != nil {
		return nil, errors.New("shop: templates: " + err.Error())
	}
	return t, nil
}

func staticHandler() http.Handler {
	sub, _ := fs.Sub(staticFS, "static") // "static" exists: it is embedded
	files := http.StripPrefix(PathStatic, http.FileServerFS(sub))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") {
			writeError(w, http.StatusNotFound, "not_found", "no such file")
			return
		}
		w.Header().Set("X-Content-Type-Options", "nosniff")
		files.ServeHTTP(w, r)
	})
}

// writeError writes the JSON error body every handler of the shop and of
// the glomo package uses for bad input: {"error": code, "message": text}.
func writeError(w http.ResponseWriter, status int, code, message string) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(glomo.ErrorBody{Code: code, Message: message})
}

// page is what every template gets.
type page struct {
	Title     string
	Nonce     string
	Simulated bool
	Data      any

	// noReferrer sends Referrer-Policy: no-referrer, for a page whose URL
	// carries a signature.
	noReferrer bool
}

// render executes a template into a buffer first, so a template error is
// a clean 500 rather than half a page, then sends it with the site's
// headers.
func (s *Shop) render(w http.ResponseWriter, r *http.Request, name string, p page) {
	p.Nonce = glomo.Nonce(r.Context())
	p.Simulated = s.cfg.Simulated
	var buf bytes.Buffer
	if err := s.tmpl.ExecuteTemplate(&buf, name, p); err != nil {
		s.log.LogAttrs(r.Context(), slog.LevelError, "shop: rendering a page failed",
			slog.String("template", name), slog.String("error", err.Error()))
		writeError(w, http.StatusInternalServerError, "internal_error", "the page could not be rendered")
		return
	}
	setSiteHeaders(w.Header())
	if p.noReferrer {
		w.Header().Set("Referrer-Policy", "no-referrer")
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	_, _ = buf.WriteTo(w)
}

func (s *Shop) serveProducts(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, "products.html", page{Title: "Glomo demo shop", Data: Catalogue})
}

// serveBuy creates the order with the secret key (step 1 of the guide),
// remembers it in the buyer's session and sends the buyer to the checkout.
func (s *Shop) serveBuy(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		writeError(w, http.StatusUnsupportedMediaType, "unsupported_media_type", "post the buy form (application/x-www-form-urlencoded)")
		return
	}
	if err := r.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			writeError(w, http.StatusRequestEntityTooLarge, "body_too_large", "the form is too large")
			return
		}
		writeError(w, http.StatusBadRequest, "invalid_form", "the form could not be read")
		return
	}
	product, err := productBySKU(r.PostForm.Get("product"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "unknown_product", "product must be one of the catalogue's SKUs")
		return
	}
	session := sessionOf(r)
	if session == "" {
		session = newSessionID()
	}
	order, err := s.api.CreateOrder(r.Context(), glomoapi.CreateOrderRequest{
		CustomerID:      customerID,
		Amount:          product.Amount,
		Currency:        currency,
		RequestID:       "req_" + newSessionID(),
		ReferenceNumber: product.SKU,
		Product:         &glomoapi.Product{Name: product.Name, Description: product.Description},
	})
	if err != nil {
		// glomoapi errors name no secret.
		s.log.LogAttrs(r.Context(), slog.LevelError, "shop: creating the order failed", slog.String("error", err.Error()))
		writeError(w, http.StatusBadGateway, "glomo_unavailable", "the order could not be created; try again later")
		return
	}
	s.orders.Add(session, Order{ID: order.ID, Product: product})
	http.SetCookie(w, &http.Cookie{
		Name: sessionName, Value: session, Path: "/", HttpOnly: true,
		Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode,
	})
	http.Redirect(w, r, PathCheckout+"?order="+url.QueryEscape(order.ID), http.StatusSeeOther)
}

// checkoutData is what checkout.html shows; Checkout renders the guide's
// step 2 script.
type checkoutData struct {
	Order    Order
	Checkout glomo.Checkout
	OrderURL string
	Redirect bool
}

// serveCheckout shows the guide's snippet for an order of the session.
// ?mode=redirect passes a callbackUrl, so the result comes back by
// redirect to PathResult instead of by the SDK's events.
func (s *Shop) serveCheckout(w http.ResponseWriter, r *http.Request) {
	o, ok := s.ownOrder(w, r, "order")
	if !ok {
		return
	}
	mode := r.URL.Query().Get("mode")
	if mode != "" && mode != "redirect" && mode != "events" {
		writeError(w, http.StatusBadRequest, "invalid_parameter", "mode must be events or redirect")
		return
	}
	if o.Status == StatusPaid {
		http.Redirect(w, r, orderURL(o.ID), http.StatusSeeOther)
		return
	}
	d := checkoutData{
		Order:    o,
		OrderURL: orderURL(o.ID),
		Redirect: mode == "redirect",
		Checkout: glomo.Checkout{
			OrderID:   o.ID,
			PublicKey: s.cfg.PublicKey,
			SDKURL:    s.cfg.SDKURL,
			// The SDK's events go to the ResultHandler, then the buyer
			// sees the order page, whatever the outcome.
			ResultURL: PathVerify,
			NextURL:   orderURL(o.ID),
		},
	}
	if d.Redirect {
		// Success and failure come back by redirect to PathResult; the
		// bank transfer event still fires and is posted to PathVerify.
		d.Checkout.CallbackURL = s.baseURL(r) + PathResult
	}
	s.render(w, r, "checkout.html", page{Title: "Checkout", Data: d})
}

// orderData is what order.html shows.
type orderData struct {
	Order
	// CanSettle offers the simulator's settlement of a bank transfer.
	CanSettle bool
}

// serveOrder is the order-status page.
func (s *Shop) serveOrder(w http.ResponseWriter, r *http.Request) {
	o, ok := s.ownOrder(w, r, "id")
	if !ok {
		return
	}
	d := orderData{Order: o, CanSettle: s.cfg.SimulatorURL != "" && o.Status == StatusAwaitingTransfer && o.PaymentID != ""}
	s.render(w, r, "order.html", page{Title: "Order " + o.ID, Data: d})
}

// resultData is what result.html shows.
type resultData struct {
	Payment glomo.Payment
	Order   Order
}

// RenderResult is the ResultHandlerOptions.OnResult hook: for the
// checkout page's post, JSON of the classified payment with the URL of
// the order page; for the callbackUrl redirect, the result page.
func (s *Shop) RenderResult(w http.ResponseWriter, r *http.Request, p glomo.Payment) {
	s.orders.RecordResult(p)
	if p.Source == glomo.SourcePost {
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		_ = json.NewEncoder(w).Encode(struct {
			glomo.Payment
			OrderURL string `json:"orderUrl"`
		}{p, orderURL(p.OrderID)})
		return
	}
	o, _ := s.orders.Get(p.OrderID)
	s.render(w, r, "result.html", page{Title: "Payment result", noReferrer: true,
		Data: resultData{Payment: p, Order: o}})
}

// ownOrder returns the order named by the query parameter if it belongs
// to the visitor's session, else answers 400 or 404.
func (s *Shop) ownOrder(w http.ResponseWriter, r *http.Request, param string) (Order, bool) {
	id := r.URL.Query().Get(param)
	if id == "" {
		writeError(w, http.StatusBadRequest, "missing_parameter", param+" is required")
		return Order{}, false
	}
	o, found := s.orders.Get(id)
	if !found || !s.orders.Owns(sessionOf(r), id) {
		writeError(w, http.StatusNotFound, "unknown_order", "no such order in this session")
		return Order{}, false
	}
	return o, true
}

// baseURL is the shop's own URL for the callbackUrl: Config.PublicURL, or
// what this request used (the same browser follows it).
func (s *Shop) baseURL(r *http.Request) string {
	if s.cfg.PublicURL != "" {
		return strings.TrimRight(s.cfg.PublicURL, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

func orderURL(id string) string { return PathOrder + "?id=" + url.QueryEscape(id) }

// sessionOf returns the visitor's session id, or "".
func sessionOf(r *http.Request) string {
	c, err := r.Cookie(sessionName)
	if err != nil {
		return ""
	}
	return c.Value
}

// The words the pages show for the machine values the shop keeps (and the
// browser tests read from data-* attributes).

// statusText is what an order's Status means to the buyer.
func statusText(status string) string {
	switch status {
	case StatusAwaitingPayment:
		return "Awaiting payment"
	case StatusAwaitingTransfer:
		return "Waiting for your bank transfer to arrive"
	case StatusPaid:
		return "Paid"
	}
	return status
}

// outcomeText says what the browser's result was, and how far it can be
// trusted.
func outcomeText(outcome string) string {
	switch outcome {
	case "":
		return "None yet"
	case glomo.OutcomeSuccess.String():
		return "Paid, verified"
	case glomo.OutcomeFailure.String():
		return "Payment failed, verified"
	case glomo.OutcomeFailureHint.String():
		return "Payment failed (reported by the browser, not verified)"
	case glomo.OutcomeBankTransferSubmitted.String():
		return "Bank transfer submitted (not yet received)"
	case glomo.OutcomePending.String():
		return "Processing: waiting for Glomo to confirm"
	}
	return "Unknown"
}

// errorTexts are the payment error codes of Glomo's documentation, in words.
var errorTexts = map[string]string{
	"PAYMENT_DECLINED":           "The card was declined",
	"INVALID_CARD_NUMBER":        "The card number is invalid",
	"CARD_EXPIRED":               "The card has expired",
	"INVALID_CARD":               "The card is not eligible for international payments",
	"INVALID_CARD_CVV":           "The card's security code is wrong",
	"INVALID_CARD_EXPIRY_DATE":   "The card's expiry date is wrong",
	"INSUFFICIENT_BALANCE":       "The balance is insufficient",
	"CARD_NOT_SUPPORTED_ON_3DS":  "The card does not support 3-D Secure",
	"BANK_TRANSFER_NOT_RECEIVED": "The bank transfer was not received",
	"PAYMENT_FAILED":             "The payment failed",
}

// errorText is an error code in words; an unknown code is shown as it is.
func errorText(code string) string {
	if t, ok := errorTexts[code]; ok {
		return t
	}
	return "The payment failed (" + code + ")"
}

// proofText says which proof fulfilled an order (Order.FulfilledBy).
func proofText(by string) string {
	switch by {
	case "redirect":
		return "the signed redirect from Glomo"
	case "post":
		return "the signed result the page posted"
	case "confirmation":
		return "a look-up at Glomo's API"
	case "webhook":
		return "Glomo's webhook"
	}
	return by
}

// settleTimeout bounds the simulator's answer and the wait for its webhook.
const settleTimeout = 5 * time.Second

// serveSettleTransfer plays the buyer's bank for an order awaiting a
// transfer, when the shop runs against the simulator: it asks the
// simulator (with the secret key, like any API call) to mark the transfer
// received or not, waits briefly for the webhook that follows, and shows
// the order page again. Without Config.SimulatorURL it answers 404: real
// Glomo learns of transfers from the bank.
func (s *Shop) serveSettleTransfer(w http.ResponseWriter, r *http.Request) {
	if s.cfg.SimulatorURL == "" {
		writeError(w, http.StatusNotFound, "not_found", "bank transfers settle by themselves outside the simulator")
		return
	}
	// The session cookie is SameSite=Lax, so another site's form carries
	// none; refuse such a post outright anyway.
	if site := r.Header.Get("Sec-Fetch-Site"); site != "" && site != "same-origin" {
		writeError(w, http.StatusForbidden, "cross_site", "settle the transfer from the order page")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		writeError(w, http.StatusUnsupportedMediaType, "unsupported_media_type", "post the settle form (application/x-www-form-urlencoded)")
		return
	}
	if err := r.ParseForm(); err != nil {
		writeError(w, http.StatusBadRequest, "invalid_form", "the form could not be read")
		return
	}
	var received bool
	switch r.PostForm.Get("received") {
	case "true":
		received = true
	case "false":
	default:
		writeError(w, http.StatusBadRequest, "invalid_parameter", "received must be true or false")
		return
	}
	id := r.PostForm.Get("order")
	o, found := s.orders.Get(id)
	if id == "" || !found || !s.orders.Owns(sessionOf(r), id) {
		writeError(w, http.StatusNotFound, "unknown_order", "no such order in this session")
		return
	}
	if o.Status != StatusAwaitingTransfer || o.PaymentID == "" {
		writeError(w, http.StatusConflict, "not_awaiting_transfer", "the order awaits no bank transfer")
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), settleTimeout)
	defer cancel()
	if err := s.settleInSimulator(ctx, o.PaymentID, received); err != nil {
		s.log.LogAttrs(ctx, slog.LevelError, "shop: settling the transfer in the simulator failed",
			slog.String("order_id", o.ID), slog.String("error", err.Error()))
		writeError(w, http.StatusBadGateway, "simulator_unavailable", "the simulator did not settle the transfer")
		return
	}
	s.awaitWebhook(ctx, o.ID)
	http.Redirect(w, r, orderURL(o.ID), http.StatusSeeOther)
}

// awaitWebhook waits until the order no longer awaits its transfer (the
// simulator's webhook arrived) or ctx is done, so that the order page the
// buyer sees next shows the outcome.
func (s *Shop) awaitWebhook(ctx context.Context, orderID string) {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		if o, _ := s.orders.Get(orderID); o.Status != StatusAwaitingTransfer {
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// settleInSimulator calls the simulator's glomotest.PathSettleBankTransfer.
// A transfer the simulator already settled (409) is not an error: the
// webhook tells the shop how.
func (s *Shop) settleInSimulator(ctx context.Context, paymentID string, received bool) error {
	body, _ := json.Marshal(map[string]bool{"received": received})
	u := strings.TrimRight(s.cfg.SimulatorURL, "/") + glomotest.PathSettleBankTransfer + url.PathEscape(paymentID)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+s.cfg.SecretKey)
	req.Header.Set("Content-Type", "application/json")
	client := s.cfg.HTTPClient
	if client == nil {
		client = http.DefaultClient
	}
	res, err := client.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(res.Body, 64<<10))
	if res.StatusCode != http.StatusOK && res.StatusCode != http.StatusConflict {
		return fmt.Errorf("simulator answered %d", res.StatusCode)
	}
	return nil
}
