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
	"time"

	"github.com/glomokit/glomo/examples/internal/shop"
	"github.com/glomokit/glomo/glomoapi"
)

// Server is what RunServer serves a demo with, for frameworks that are not
// net/http handlers and bring their own server (a Fiber app: app.Listener
// and app.ShutdownWithContext). Serve serves ln until Shutdown; it may
// return nil or http.ErrServerClosed then.
type Server interface {
	Serve(ln net.Listener) error
	Shutdown(ctx context.Context) error
}

// ServerRouter builds a demo's Server from the shop, as a Router builds a
// handler: its pages behind the framework's glomo header middleware, and
// the framework's glomo result and webhook handlers.
type ServerRouter func(s *shop.Shop) (Server, error)

// HTTPServer returns the Server Run uses: h on an http.Server with the
// demos' timeouts.
func HTTPServer(h http.Handler, logger *slog.Logger) Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}
}

// MainServer is Main for a ServerRouter.
func MainServer(name string, router ServerRouter) {
	exitWith(name, func(ctx context.Context) error {
		return RunServer(ctx, name, router, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	})
}

// RunServer serves the shop through the server router builds until ctx is
// done, then shuts it down. It listens on the -addr flag, else the ADDR
// environment variable, else DefaultAddr, and prints the shop's URL. With
// GLOMO_SECRET_KEY and GLOMO_PUBLIC_KEY it uses real Glomo (see
// shop.Setup), otherwise an embedded simulator whose webhooks it points at
// the shop. -store (GLOMO_STORE) chooses the fulfilment store (see
// OpenStore); -unprotected serves the shop's net/http version without
// glomo's header middleware, to show what it fixes.
func RunServer(ctx context.Context, name string, router ServerRouter, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := DefaultAddr
	if a := getenv(EnvAddr); a != "" {
		addr = a
	}
	fs.StringVar(&addr, "addr", addr, "listen address (environment: "+EnvAddr+")")
	storeSpec := getenv(EnvStore)
	fs.StringVar(&storeSpec, "store", storeSpec, "fulfilment store: memory, redis://host:port/0 or postgres://user:password@host/db (environment: "+EnvStore+"; default memory)")
	unprotected := fs.Bool("unprotected", false, "serve the shop without glomo's COOP and CSP middleware, to see the checkout fail as the integration guide describes")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage of %s: the demo shop for Glomo Checkout.\n\nFlags:\n", name)
		fs.PrintDefaults()
		fmt.Fprintf(fs.Output(), `
Environment:
  %-21s real Glomo's API secret key; with %s, the demo
  %-21s uses real Glomo, without both the embedded simulator
  %-21s the webhook signing secret (without it, webhooks are refused)
  %-21s the API root (default %s)
  %-21s as -addr
  %-21s as -store
`, shop.EnvSecretKey, shop.EnvPublicKey, shop.EnvPublicKey, shop.EnvWebhookSecret, shop.EnvAPIBaseURL, glomoapi.DefaultBaseURL, EnvAddr, EnvStore)
	}
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
	store, storeName, closeStore, err := OpenStore(ctx, storeSpec)
	if err != nil {
		return err
	}
	defer closeStore()
	cfg.Store = store
	s, err := shop.New(cfg)
	if err != nil {
		return err
	}
	srv, err := router(s)
	if err != nil {
		return err
	}
	if *unprotected {
		srv = HTTPServer(s.Mux(), logger)
		fmt.Fprintln(stdout, "Unprotected: no glomo middleware, so the checkout popup is cut off and the CSP blocks the SDK, as the integration guide's troubleshooting section describes.")
	}
	fmt.Fprintf(stdout, "Fulfilment store: %s\n", storeName)

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	base := "http://" + ln.Addr().String()
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
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	fmt.Fprintln(stdout, "Stopped.")
	return nil
}
