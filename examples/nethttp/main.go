// Command nethttp runs the demo shop on net/http with the glomo
// middleware and handlers. From the repository root:
//
//	go run ./examples/nethttp
//
// It listens on 127.0.0.1:8080 (the -addr flag, else the ADDR environment
// variable), prints its URL and stops cleanly on SIGINT or SIGTERM. With
// GLOMO_SECRET_KEY and GLOMO_PUBLIC_KEY set it uses real Glomo (sandbox or
// live, as the keys say; GLOMO_WEBHOOK_SECRET enables webhooks), otherwise
// an embedded glomotest simulator on another loopback port.
package main

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

	"github.com/glomokit/glomo/examples/internal/shop"
)

// defaultAddr is where the demo listens without -addr or ADDR.
const defaultAddr = "127.0.0.1:8080"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "nethttp:", err)
		os.Exit(1)
	}
}

// run serves the demo until ctx is done, then shuts it down.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("nethttp", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := defaultAddr
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

	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	url := "http://" + ln.Addr().String()
	if sim != nil {
		sim.SetWebhookURL(url + shop.PathWebhook)
	}
	srv := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}

	if sim != nil {
		fmt.Fprintf(stdout, "Glomo: embedded simulator at %s (no keys needed, no money moves)\n", sim.URL())
	} else {
		fmt.Fprintf(stdout, "Glomo: %s\n", apiName(cfg))
	}
	fmt.Fprintf(stdout, "Demo shop: %s/\n", url)

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

// apiName says which Glomo API the demo uses, without any key.
func apiName(cfg shop.Config) string {
	if cfg.APIBaseURL != "" {
		return cfg.APIBaseURL
	}
	return "https://api.glomopay.com (keys from the environment)"
}
