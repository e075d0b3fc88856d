package shop

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"github.com/glomokit/glomo"
	"github.com/glomokit/glomo/glomoapi"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

func parseTemplates() (*template.Template, error) {
	t, err := template.New("").ParseFS(templateFS, "templates/*.html")
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

// checkoutData is what checkout.html shows and hands to the SDK.
type checkoutData struct {
	Order       Order
	PublicKey   string
	SDKURL      string
	CallbackURL string // empty: the SDK's events are posted to VerifyURL
	VerifyURL   string
	OrderURL    string
	Redirect    bool
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
		Order:     o,
		PublicKey: s.cfg.PublicKey,
		SDKURL:    s.cfg.SDKURL,
		VerifyURL: PathVerify,
		OrderURL:  orderURL(o.ID),
		Redirect:  mode == "redirect",
	}
	if d.Redirect {
		d.CallbackURL = s.baseURL(r) + PathResult
	}
	s.render(w, r, "checkout.html", page{Title: "Checkout", Data: d})
}

// serveOrder is the order-status page.
func (s *Shop) serveOrder(w http.ResponseWriter, r *http.Request) {
	o, ok := s.ownOrder(w, r, "id")
	if !ok {
		return
	}
	s.render(w, r, "order.html", page{Title: "Order " + o.ID, Data: o})
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
