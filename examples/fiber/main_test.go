package main

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/glomokit/glomo"
	"github.com/glomokit/glomo/examples/internal/demo"
	"github.com/glomokit/glomo/examples/internal/demotest"
	"github.com/glomokit/glomo/examples/internal/routers"
	"github.com/glomokit/glomo/examples/internal/shop"
)

// TestShop runs demotest.Smoke against the Fiber app served natively by
// fasthttp on a loopback listener. Smoke takes a net/http router, so the
// router it gets is a plain reverse proxy to that listener: every request
// Smoke and the simulator's webhooks send is parsed and answered by
// Fiber, and Smoke's checks (fixed COOP and CSP with the nonce, buying,
// the signed post, the callback redirect, the webhooks, the JSON
// refusals) hold for what Fiber sent.
func TestShop(t *testing.T) {
	demotest.Smoke(t, func(s *shop.Shop) (http.Handler, error) {
		h, stop, err := routers.FiberOverHTTP(s)
		if err != nil {
			return nil, err
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			assert.NoError(t, stop(ctx))
		})
		return h, nil
	})
}

// TestRunServer runs the demo as main does, over real HTTP, and stops it.
func TestRunServer(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &demotest.Output{}
	done := make(chan error, 1)
	go func() {
		done <- demo.RunServer(ctx, "fiber", routers.Fiber, []string{"-addr", "127.0.0.1:0"}, func(string) string { return "" }, out, io.Discard)
	}()
	found := regexp.MustCompile(`Demo shop \(fiber\): (http://127\.0\.0\.1:\d+)/`)
	var base string
	require.Eventually(t, func() bool {
		if m := found.FindStringSubmatch(out.String()); m != nil {
			base = m[1]
		}
		return base != ""
	}, 10*time.Second, 10*time.Millisecond)
	assert.Contains(t, out.String(), "embedded simulator")

	res, err := http.Get(base + shop.PathHealth)
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusOK, res.StatusCode)
	res, err = http.Get(base + shop.PathProducts)
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, glomo.COOPAllowPopups, res.Header.Get("Cross-Origin-Opener-Policy"))

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(15 * time.Second):
		t.Fatal("RunServer did not stop")
	}
	assert.Contains(t, out.String(), "Stopped.")
}

func TestRunServerRefusesBadSetup(t *testing.T) {
	for name, args := range map[string][]string{
		"unknown flag":   {"-port", "1"},
		"extra argument": {"serve"},
		"bad address":    {"-addr", "127.0.0.1:notaport"},
	} {
		t.Run(name, func(t *testing.T) {
			err := demo.RunServer(context.Background(), "fiber", routers.Fiber, args, func(string) string { return "" }, io.Discard, io.Discard)
			assert.Error(t, err)
		})
	}
}
