// Package demo is what the framework demos of the shop (examples/gin,
// examples/echo, examples/chi) share besides the shop itself: the command
// line, the choice between real Glomo and the embedded simulator, the
// server with its timeouts and the clean stop on SIGINT or SIGTERM. Each
// demo only builds its router from the shop's pieces, with its adapter.
package demo

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

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
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := Run(ctx, name, router, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	if err != nil && !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintln(os.Stderr, name+":", err)
		os.Exit(1)
	}
}

// Run serves the shop through router until ctx is done, then shuts the
// server down. It listens on the -addr flag, else the ADDR environment
// variable, else DefaultAddr, and prints the shop's URL. With
// GLOMO_SECRET_KEY and GLOMO_PUBLIC_KEY it uses real Glomo (see
// shop.Setup), otherwise an embedded simulator whose webhooks it points at
// the shop.
func Run(ctx context.Context, name string, router Router, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := DefaultAddr
	if a := getenv("ADDR"); a != "" {
		addr = a
	}
	fs.StringVar(&addr, "addr", addr, "listen address (environment: ADDR)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected arguments %q", fs.Args())
	}

	logger := slog.New(slog.NewTextHandler(stderr, nil))
	cfg, sim, err := shop.Setup(getenv, logger)
	if err != nil {
		return err
	}
	if sim != nil {
		defer sim.Close()
	}
	s, err := shop.New(cfg)
	if err != nil {
		return err
	}
	h, err := router(s)
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	base := "http://" + ln.Addr().String()
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
	if sim != nil {
		sim.SetWebhookURL(base + shop.PathWebhook)
		fmt.Fprintf(stdout, "Glomo: embedded simulator at %s (no keys needed, no money moves)\n", sim.URL())
	} else if cfg.APIBaseURL != "" {
		fmt.Fprintf(stdout, "Glomo: %s\n", cfg.APIBaseURL)
	} else {
		fmt.Fprintln(stdout, "Glomo: https://api.glomopay.com (keys from the environment)")
	}
	fmt.Fprintf(stdout, "Demo shop (%s): %s/\n", name, base)

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	fmt.Fprintln(stdout, "Stopped.")
	return nil
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
