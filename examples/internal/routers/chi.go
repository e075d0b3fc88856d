package routers

import (
	"net/http"
	"strings"

	"github.com/glomokit/glomo"
	glomochi "github.com/glomokit/glomo/adapters/chi"
	"github.com/glomokit/glomo/examples/internal/demo"
	"github.com/glomokit/glomo/examples/internal/shop"
	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
)

// Chi mounts the shop on chi: its pages behind glomo's header
// middleware, and glomo's result and webhook handlers through
// glomochi.Mount.
func Chi(s *shop.Shop) (http.Handler, error) {
	h, err := demo.NewHandlers(s)
	if err != nil {
		return nil, err
	}
	// chi middleware is net/http middleware: glomo's own, not an adapter.
	headers, err := glomo.NewHeaders(s.HeaderOptions()...)
	if err != nil {
		return nil, err
	}

	r := chi.NewRouter()
	r.Use(middleware.Recoverer, headers)
	r.NotFound(func(w http.ResponseWriter, _ *http.Request) {
		glomo.WriteError(w, http.StatusNotFound, demo.NotFound)
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, _ *http.Request) {
		glomo.WriteError(w, http.StatusMethodNotAllowed, demo.MethodNotAllowed)
	})
	for _, rt := range s.Pages() {
		path := rt.Path
		if rt.Path != shop.PathProducts && strings.HasSuffix(path, "/") {
			path += "*" // a prefix route
		}
		r.Method(rt.Method, path, rt.Handler)
	}
	err = glomochi.Mount(r, glomochi.Endpoints{
		Result: h.Results, ResultPath: shop.PathResult, VerifyPath: shop.PathVerify,
		Webhook: h.Webhooks, WebhookPath: shop.PathWebhook,
	})
	if err != nil {
		return nil, err
	}
	if h.WebhooksDisabled != nil {
		r.Method(http.MethodPost, shop.PathWebhook, h.WebhooksDisabled)
	}
	return r, nil
}
