package routers

import (
	"errors"
	"net/http"
	"strings"

	glomoechov5 "github.com/glomokit/glomo/adapters/echov5"
	"github.com/glomokit/glomo/examples/internal/demo"
	"github.com/glomokit/glomo/examples/internal/shop"
	"github.com/labstack/echo/v5"
	"github.com/labstack/echo/v5/middleware"
)

// EchoV5 mounts the shop on echo v5: its pages behind glomoechov5's header
// middleware, and glomo's result and webhook handlers through glomoechov5.
func EchoV5(s *shop.Shop) (http.Handler, error) {
	h, err := demo.NewHandlers(s)
	if err != nil {
		return nil, err
	}

	e := echo.New()
	defaultErrors := echo.DefaultHTTPErrorHandler(false)
	e.HTTPErrorHandler = func(c *echo.Context, err error) {
		// The router's refusals in the shop's JSON shape, as a
		// *glomoechov5.Error; the rest, glomoechov5's included, as echo
		// renders them.
		switch {
		case errors.Is(err, echo.ErrNotFound):
			err = &glomoechov5.Error{Status: http.StatusNotFound, Body: demo.NotFound}
		case errors.Is(err, echo.ErrMethodNotAllowed):
			err = &glomoechov5.Error{Status: http.StatusMethodNotAllowed, Body: demo.MethodNotAllowed}
		}
		defaultErrors(c, err)
	}
	e.Use(middleware.Recover(), glomoechov5.Middleware(h.Headers))
	for _, rt := range s.Pages() {
		path := rt.Path
		if rt.Path != shop.PathProducts && strings.HasSuffix(path, "/") {
			path += "*" // a prefix route
		}
		e.Add(rt.Method, path, echo.WrapHandler(rt.Handler))
	}
	e.GET(shop.PathResult, glomoechov5.Result(h.Results))
	e.POST(shop.PathVerify, glomoechov5.Result(h.Results))
	if h.Webhooks != nil {
		e.POST(shop.PathWebhook, glomoechov5.Webhook(h.Webhooks))
	} else {
		e.POST(shop.PathWebhook, echo.WrapHandler(h.WebhooksDisabled))
	}
	return e, nil
}
