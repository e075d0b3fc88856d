package routers

import (
	"errors"
	"net/http"
	"strings"

	glomoecho "github.com/glomokit/glomo/adapters/echo"
	"github.com/glomokit/glomo/examples/internal/demo"
	"github.com/glomokit/glomo/examples/internal/shop"
	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
)

// Echo mounts the shop on echo: its pages behind glomoecho's header
// middleware, and glomo's result and webhook handlers through glomoecho.
func Echo(s *shop.Shop) (http.Handler, error) {
	h, err := demo.NewHandlers(s)
	if err != nil {
		return nil, err
	}

	e := echo.New()
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = func(err error, c echo.Context) {
		// The router's refusals in the shop's JSON shape; the rest,
		// glomoecho's included, as echo renders them.
		switch {
		case errors.Is(err, echo.ErrNotFound):
			err = &echo.HTTPError{Code: http.StatusNotFound, Message: demo.NotFound}
		case errors.Is(err, echo.ErrMethodNotAllowed):
			err = &echo.HTTPError{Code: http.StatusMethodNotAllowed, Message: demo.MethodNotAllowed}
		}
		e.DefaultHTTPErrorHandler(err, c)
	}
	e.Use(middleware.Recover(), glomoecho.Middleware(h.Headers))
	for _, rt := range s.Pages() {
		path := rt.Path
		if rt.Path != shop.PathProducts && strings.HasSuffix(path, "/") {
			path += "*" // a prefix route
		}
		e.Add(rt.Method, path, echo.WrapHandler(rt.Handler))
	}
	e.GET(shop.PathResult, glomoecho.Result(h.Results))
	e.POST(shop.PathVerify, glomoecho.Result(h.Results))
	if h.Webhooks != nil {
		e.POST(shop.PathWebhook, glomoecho.Webhook(h.Webhooks))
	} else {
		e.POST(shop.PathWebhook, echo.WrapHandler(h.WebhooksDisabled))
	}
	return e, nil
}
