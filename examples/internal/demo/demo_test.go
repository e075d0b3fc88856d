package demo_test

import (
	"context"
	"errors"
	"flag"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/glomokit/glomo/examples/internal/demo"
	"github.com/glomokit/glomo/examples/internal/demotest"
	"github.com/glomokit/glomo/examples/internal/shop"
)

func netHTTP(s *shop.Shop) (http.Handler, error) { return s.Handler(), nil }

func TestRunServesAndStops(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &demotest.Output{}
	done := make(chan error, 1)
	go func() {
		done <- demo.Run(ctx, "test", netHTTP, []string{"-addr", "127.0.0.1:0"}, func(string) string { return "" }, out, io.Discard)
	}()
	url := regexp.MustCompile(`Demo shop \(test\): (http://127\.0\.0\.1:\d+)/`)
	var base string
	require.Eventually(t, func() bool {
		m := url.FindStringSubmatch(out.String())
		if m != nil {
			base = m[1]
		}
		return m != nil
	}, 10*time.Second, 10*time.Millisecond)
	assert.Contains(t, out.String(), "embedded simulator")

	res, err := http.Get(base + shop.PathHealth)
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, http.StatusOK, res.StatusCode)

	cancel()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(15 * time.Second):
		t.Fatal("Run did not stop")
	}
	assert.Contains(t, out.String(), "Stopped.")
}

func TestRunRefusesBadSetup(t *testing.T) {
	failing := func(*shop.Shop) (http.Handler, error) { return nil, errors.New("no router") }
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		router  demo.Router
		wantErr error
		want    string
	}{
		{name: "unknown flag", args: []string{"-port", "1"}, router: netHTTP, want: "flag provided but not defined"},
		{name: "help", args: []string{"-h"}, router: netHTTP, wantErr: flag.ErrHelp},
		{name: "extra argument", args: []string{"serve"}, router: netHTTP, want: "unexpected arguments"},
		{name: "half the keys", args: []string{"-addr", "127.0.0.1:0"}, env: map[string]string{shop.EnvSecretKey: "sk_test_x"}, router: netHTTP, wantErr: shop.ErrHalfConfigured},
		{name: "bad address", args: []string{"-addr", "127.0.0.1:notaport"}, router: netHTTP, want: "listen"},
		{name: "router error", args: []string{"-addr", "127.0.0.1:0"}, router: failing, want: "no router"},
		{name: "unknown store", args: []string{"-addr", "127.0.0.1:0", "-store", "mongodb://h/db"}, router: netHTTP, want: "the scheme must be"},
		{name: "store from the environment", args: []string{"-addr", "127.0.0.1:0"}, env: map[string]string{demo.EnvStore: "memcache://h"}, router: netHTTP, want: "the scheme must be"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := demo.Run(context.Background(), "test", tt.router, tt.args, func(k string) string { return tt.env[k] }, io.Discard, io.Discard)
			require.Error(t, err)
			if tt.wantErr != nil {
				assert.ErrorIs(t, err, tt.wantErr)
			}
			if tt.want != "" {
				assert.Contains(t, err.Error(), tt.want)
			}
		})
	}
}

// startDemo runs the demo with args until the test ends and returns its
// base URL.
func startDemo(t *testing.T, args ...string) (base string, out *demotest.Output) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	out = &demotest.Output{}
	done := make(chan error, 1)
	go func() {
		done <- demo.Run(ctx, "test", netHTTP, append([]string{"-addr", "127.0.0.1:0"}, args...), func(string) string { return "" }, out, io.Discard)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			assert.NoError(t, err)
		case <-time.After(15 * time.Second):
			t.Error("Run did not stop")
		}
	})
	url := regexp.MustCompile(`Demo shop \(test\): (http://127\.0\.0\.1:\d+)/`)
	require.Eventually(t, func() bool {
		m := url.FindStringSubmatch(out.String())
		if m != nil {
			base = m[1]
		}
		return m != nil
	}, 10*time.Second, 10*time.Millisecond)
	return base, out
}

func TestRunUnprotected(t *testing.T) {
	for _, tt := range []struct {
		args     []string
		wantCOOP string
	}{
		{nil, "same-origin-allow-popups"},
		{[]string{"-unprotected"}, "same-origin"},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			base, out := startDemo(t, tt.args...)
			res, err := http.Get(base + shop.PathProducts)
			require.NoError(t, err)
			res.Body.Close()
			assert.Equal(t, tt.wantCOOP, res.Header.Get("Cross-Origin-Opener-Policy"))
			if tt.args != nil {
				assert.Contains(t, out.String(), "Unprotected")
				assert.NotContains(t, res.Header.Get("Content-Security-Policy"), "glomopay", "the site's own policy, unmerged")
			} else {
				assert.Contains(t, res.Header.Get("Content-Security-Policy"), "https://glomopay-checkout-sdk.web.app")
			}
			assert.Contains(t, out.String(), "Fulfilment store: memory")
		})
	}
}

func TestUsageListsTheEnvironment(t *testing.T) {
	var stderr strings.Builder
	err := demo.Run(context.Background(), "nethttp", netHTTP, []string{"-h"}, func(string) string { return "" }, io.Discard, &stderr)
	require.ErrorIs(t, err, flag.ErrHelp)
	for _, want := range []string{"-addr", "-store", "-unprotected", shop.EnvSecretKey, shop.EnvPublicKey, shop.EnvWebhookSecret, shop.EnvAPIBaseURL, demo.EnvAddr, demo.EnvStore} {
		assert.Contains(t, stderr.String(), want)
	}
}

func TestOpenStoreKeepsPasswordsOut(t *testing.T) {
	for _, spec := range []string{
		"redis://:s3cr3t-pw@127.0.0.1:1/0",
		"postgres://shop:s3cr3t-pw@127.0.0.1:1/shop?connect_timeout=2",
		"postgresql://shop:s3cr3t-pw@127.0.0.1:1/shop?sslmode=bogus",
		"redis://:s3cr3t-pw@127.0.0.1:1/notadb",
		"ftp://u:s3cr3t-pw@h/",
	} {
		t.Run(spec, func(t *testing.T) {
			_, _, _, err := demo.OpenStore(context.Background(), spec)
			require.Error(t, err)
			assert.NotContains(t, err.Error(), "s3cr3t-pw")
			assert.Contains(t, err.Error(), "xxxxx", "the store is named, redacted")
		})
	}
	s, name, closeStore, err := demo.OpenStore(context.Background(), "")
	require.NoError(t, err)
	defer closeStore()
	assert.Equal(t, "memory", name)
	assert.NotNil(t, s)
}
