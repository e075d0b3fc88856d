// Command fiber runs the demo shop on Fiber v3 with the glomofiber
// adapter: the same shop, pages and behaviour as examples/nethttp, served
// by Fiber's own fasthttp server. From the repository root:
//
//	go run ./examples/fiber
//
// It listens on 127.0.0.1:8080 (the -addr flag, else the ADDR environment
// variable) and uses real Glomo when GLOMO_SECRET_KEY and GLOMO_PUBLIC_KEY
// are set, otherwise an embedded glomotest simulator.
package main

import (
	"context"
	"errors"
	"net"
	"strings"
	"time"

	glomofiber "github.com/glomokit/glomo/adapters/fiber"
	"github.com/glomokit/glomo/examples/internal/demo"
	"github.com/glomokit/glomo/examples/internal/shop"
	"github.com/gofiber/fiber/v3"
	"github.com/gofiber/fiber/v3/middleware/recover"
)

func main() { demo.MainServer("fiber", server) }

// server is the demo's Fiber app, served natively.
func server(s *shop.Shop) (demo.Server, error) {
	app, err := newApp(s)
	if err != nil {
		return nil, err
	}
	return fiberServer{app}, nil
}

// newApp mounts the shop on Fiber: glomofiber's header middleware first,
// so that it fixes every response, the shop's net/http pages through
// glomofiber.HTTPHandler (which gives them the CSP nonce), and glomo's
// result and webhook handlers through glomofiber.
func newApp(s *shop.Shop) (*fiber.App, error) {
	h, err := demo.NewHandlers(s)
	if err != nil {
		return nil, err
	}
	app := fiber.New(fiber.Config{
		ReadTimeout:  30 * time.Second,
		WriteTimeout: 30 * time.Second,
		IdleTimeout:  2 * time.Minute,
		ErrorHandler: errorHandler,
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

// errorHandler answers Fiber's 404 and 405 with the shop's JSON bodies
// (Fiber has set Allow for a 405), anything else as Fiber does.
func errorHandler(c fiber.Ctx, err error) error {
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
