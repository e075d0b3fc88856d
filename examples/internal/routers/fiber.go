package routers

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"time"

	glomofiber "github.com/glomokit/glomo/adapters/fiber"
	"github.com/glomokit/glomo/examples/internal/demo"
	"github.com/glomokit/glomo/examples/internal/shop"
	"github.com/gofiber/fiber/v3"
	"github.com/gofiber/fiber/v3/middleware/recover"
)

// Fiber is the demo's Fiber app, served natively by fasthttp.
func Fiber(s *shop.Shop) (demo.Server, error) {
	app, err := newFiberApp(s)
	if err != nil {
		return nil, err
	}
	return fiberServer{app}, nil
}

// newFiberApp mounts the shop on Fiber: glomofiber's header middleware first,
// so that it fixes every response, the shop's net/http pages through
// glomofiber.HTTPHandler (which gives them the CSP nonce), and glomo's
// result and webhook handlers through glomofiber.
func newFiberApp(s *shop.Shop) (*fiber.App, error) {
	h, err := demo.NewHandlers(s)
	if err != nil {
		return nil, err
	}
	app := fiber.New(fiber.Config{
		ReadTimeout:  30 * time.Second,
		WriteTimeout: 30 * time.Second,
		IdleTimeout:  2 * time.Minute,
		ErrorHandler: fiberErrorHandler,
	})
	app.Use(glomofiber.Middleware(h.Headers))
	app.Use(recover.New())
	for _, rt := range s.Pages() {
		path := rt.Path
		if rt.Path != shop.PathProducts && strings.HasSuffix(path, "/") {
			path += "*" // a prefix route
		}
		app.Add([]string{rt.Method}, path, glomofiber.HTTPHandler(rt.Handler))
	}
	app.Get(shop.PathResult, glomofiber.Result(h.Results))
	app.Post(shop.PathVerify, glomofiber.Result(h.Results))
	if h.Webhooks != nil {
		app.Post(shop.PathWebhook, glomofiber.Webhook(h.Webhooks))
	} else {
		app.Post(shop.PathWebhook, glomofiber.HTTPHandler(h.WebhooksDisabled))
	}
	return app, nil
}

// fiberErrorHandler answers Fiber's 404 and 405 with the shop's JSON bodies
// (Fiber has set Allow for a 405), anything else as Fiber does.
func fiberErrorHandler(c fiber.Ctx, err error) error {
	var fe *fiber.Error
	if errors.As(err, &fe) {
		switch fe.Code {
		case fiber.StatusNotFound:
			return c.Status(fe.Code).JSON(demo.NotFound)
		case fiber.StatusMethodNotAllowed:
			return c.Status(fe.Code).JSON(demo.MethodNotAllowed)
		}
	}
	return fiber.DefaultErrorHandler(c, err)
}

// fiberServer is a Fiber app as a demo.Server.
type fiberServer struct{ app *fiber.App }

func (f fiberServer) Serve(ln net.Listener) error {
	return f.app.Listener(ln, fiber.ListenConfig{DisableStartupMessage: true})
}

func (f fiberServer) Shutdown(ctx context.Context) error { return f.app.ShutdownWithContext(ctx) }

// FiberOverHTTP serves the Fiber app natively on a loopback listener and
// returns a net/http reverse proxy to it, for tests that take a handler
// (demotest.Smoke, the browser tests): every request is still parsed and
// answered by Fiber. stop shuts the app down.
func FiberOverHTTP(s *shop.Shop) (h http.Handler, stop func(context.Context) error, err error) {
	srv, err := Fiber(s)
	if err != nil {
		return nil, nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	target := &url.URL{Scheme: "http", Host: ln.Addr().String()}
	proxy := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(target)
		r.Out.Host = r.In.Host
	}}
	stop = func(ctx context.Context) error {
		if err := srv.Shutdown(ctx); err != nil {
			return err
		}
		return <-served
	}
	return proxy, stop, nil
}
