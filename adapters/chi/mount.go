package glomochi

import (
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/glomokit/glomo"
	"github.com/glomokit/glomo/webhook"
	"github.com/go-chi/chi/v5"
)

// Default paths of the endpoints Mount registers.
const (
	DefaultResultPath  = "/glomo/result"
	DefaultVerifyPath  = "/glomo/verify"
	DefaultWebhookPath = "/glomo/webhook"
)

// Endpoints configures Mount. An endpoint whose handler is nil is not
// mounted; at least one handler is required. Build Result and Webhook
// with the same glomo.Fulfilment, so that an order is fulfilled once
// whichever proof of payment arrives first.
type Endpoints struct {
	// Result serves ResultPath and VerifyPath.
	Result *glomo.ResultHandler
	// ResultPath receives the callbackUrl redirect (GET): give Glomo's
	// checkout this path's URL as callbackUrl. Default DefaultResultPath.
	ResultPath string
	// VerifyPath receives the SDK events (payment.success and the others)
	// that the checkout page posts (POST). Default DefaultVerifyPath. It
	// may equal ResultPath; that path then takes both methods.
	VerifyPath string

	// Webhook serves WebhookPath.
	Webhook *webhook.Handler
	// WebhookPath receives Glomo's webhook deliveries (POST); register its
	// URL in Glomo's dashboard. Default DefaultWebhookPath.
	WebhookPath string
}

// Mount registers e's endpoints on r. A request with another method than
// its endpoint's gets 405 with an Allow header and glomo's JSON error body
// {"error": "method_not_allowed", "message": ...}. The paths are relative
// to r, so that r.Route or a sub-router can put them under a prefix, and
// r's middleware applies to them.
//
// Mount reports a configuration error (nil router, no handler, a path not
// starting with "/" or that chi cannot parse, such as "/pay/{id", two
// endpoints on one path other than ResultPath and VerifyPath) before
// registering anything. Should r itself still panic while the endpoints
// are registered (a custom chi.Router, a nil *chi.Mux), Mount returns that
// as an error too; r may then hold some of the endpoints.
func Mount(r chi.Router, e Endpoints) error {
	if r == nil {
		return errors.New("glomochi: Mount needs a router")
	}
	if e.Result == nil && e.Webhook == nil {
		return errors.New("glomochi: Endpoints has neither a Result nor a Webhook handler")
	}
	e.ResultPath = orDefault(e.ResultPath, DefaultResultPath)
	e.VerifyPath = orDefault(e.VerifyPath, DefaultVerifyPath)
	e.WebhookPath = orDefault(e.WebhookPath, DefaultWebhookPath)
	for _, p := range [...]struct{ name, path string }{
		{"ResultPath", e.ResultPath}, {"VerifyPath", e.VerifyPath}, {"WebhookPath", e.WebhookPath},
	} {
		if !strings.HasPrefix(p.path, "/") {
			return fmt.Errorf("glomochi: Endpoints.%s %q must start with /", p.name, p.path)
		}
		// chi panics on a pattern it cannot parse: an unclosed "{", a "*"
		// before the end, a bad regexp, a repeated parameter. Try each on
		// a scratch router, so that r is left untouched.
		if err := recoverPanic(func() { chi.NewRouter().Handle(p.path, http.NotFoundHandler()) }); err != nil {
			return fmt.Errorf("glomochi: Endpoints.%s %q is not a valid chi pattern: %w", p.name, p.path, err)
		}
	}
	if e.Result != nil && e.Webhook != nil && (e.WebhookPath == e.ResultPath || e.WebhookPath == e.VerifyPath) {
		return fmt.Errorf("glomochi: the webhook and the payment result cannot share the path %q", e.WebhookPath)
	}

	if err := recoverPanic(func() { register(r, e) }); err != nil {
		return fmt.Errorf("glomochi: registering the endpoints: %w", err)
	}
	return nil
}

// register registers e's endpoints on r; Mount has checked e.
func register(r chi.Router, e Endpoints) {
	if e.Result != nil {
		if e.ResultPath == e.VerifyPath {
			// glomo's handler takes both methods and refuses the others.
			r.Handle(e.ResultPath, e.Result)
		} else {
			r.Handle(e.ResultPath, onlyMethod(http.MethodGet, "use GET: this is the callbackUrl redirect", e.Result))
			r.Handle(e.VerifyPath, onlyMethod(http.MethodPost, "use POST to send an SDK event's payload", e.Result))
		}
	}
	if e.Webhook != nil {
		// glomo's handler refuses other methods than POST itself.
		r.Handle(e.WebhookPath, e.Webhook)
	}
}

// recoverPanic runs f and returns its panic, if any, as an error.
func recoverPanic(f func()) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("%v", v)
		}
	}()
	f()
	return nil
}

func orDefault(path, def string) string {
	if path == "" {
		return def
	}
	return path
}

// onlyMethod passes requests with method to next and refuses the others
// as glomo's handlers do.
func onlyMethod(method, message string, next http.Handler) http.Handler {
	body := glomo.ErrorBody{Code: glomo.CodeMethodNotAllowed, Message: message}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == method {
			next.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Allow", method)
		glomo.WriteError(w, http.StatusMethodNotAllowed, body)
	})
}
