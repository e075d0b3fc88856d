// Package demo is what the demos of the shop (examples/nethttp, gin, echo,
// echov5, chi and fiber) share besides the shop itself: the command line,
// the choice between real Glomo and the embedded simulator and of the
// fulfilment store, the server with its timeouts and the clean stop on
// SIGINT or SIGTERM. Each demo only builds its router (or, for Fiber, its
// server) from the shop's pieces, with its adapter.
package demo

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"

	"github.com/glomokit/glomo"
	"github.com/glomokit/glomo/adapter"
	"github.com/glomokit/glomo/examples/internal/shop"
	"github.com/glomokit/glomo/webhook"
)

// DefaultAddr is where a demo listens without -addr or ADDR.
const DefaultAddr = "127.0.0.1:8080"

// Router builds a demo's handler from the shop: its pages behind the
// framework's glomo header middleware, and the framework's glomo result
// and webhook handlers.
type Router func(s *shop.Shop) (http.Handler, error)

// Main runs the demo called name and exits: 0 after a clean stop or -h,
// 1 with the error on stderr otherwise.
func Main(name string, router Router) {
	exitWith(name, func(ctx context.Context) error {
		return Run(ctx, name, router, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	})
}

// exitWith runs run until SIGINT or SIGTERM and exits as Main says.
func exitWith(name string, run func(ctx context.Context) error) {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx)
	stop()
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, name+":", err)
		os.Exit(1)
	}
}

// The environment variables a demo reads, besides those of shop.Setup.
const (
	EnvAddr  = "ADDR"        // the listen address, as -addr
	EnvStore = "GLOMO_STORE" // the fulfilment store, as -store
)

// Run is RunServer for a net/http router, on HTTPServer.
func Run(ctx context.Context, name string, router Router, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	logger := slog.New(slog.NewTextHandler(stderr, nil))
	return RunServer(ctx, name, func(s *shop.Shop) (Server, error) {
		h, err := router(s)
		if err != nil {
			return nil, err
		}
		return HTTPServer(h, logger), nil
	}, args, getenv, stdout, stderr)
}

// Handlers are the glomo pieces a framework demo mounts, built from the
// shop's configuration.
type Handlers struct {
	// Headers is the COOP and CSP fix-up for every page.
	Headers *adapter.Fixer
	// Results answers the callbackUrl redirect and the page's posted result.
	Results *glomo.ResultHandler
	// Webhooks is glomo's webhook handler when the shop has a webhook
	// secret; otherwise nil, and WebhooksDisabled answers 503
	// webhooks_disabled, as the net/http version does.
	Webhooks         *webhook.Handler
	WebhooksDisabled http.Handler
}

// NewHandlers builds the Handlers of s.
func NewHandlers(s *shop.Shop) (Handlers, error) {
	var h Handlers
	var err error
	if h.Headers, err = adapter.NewHeaders(s.HeaderOptions()...); err != nil {
		return h, err
	}
	if h.Results, err = glomo.NewResultHandler(s.ResultHandlerOptions()); err != nil {
		return h, err
	}
	if s.Config().WebhookSecret == "" {
		for _, rt := range s.Routes() {
			if rt.Path == shop.PathWebhook {
				h.WebhooksDisabled = rt.Handler
				return h, nil
			}
		}
	}
	h.Webhooks, err = webhook.NewHandler(s.WebhookOptions())
	return h, err
}

// The JSON bodies of the shop's refusals of unknown paths and methods,
// for the framework's not-found and method-not-allowed handlers.
var (
	NotFound         = glomo.ErrorBody{Code: "not_found", Message: "no such page"}
	MethodNotAllowed = glomo.ErrorBody{Code: "method_not_allowed", Message: "use a method in the Allow header"}
)
