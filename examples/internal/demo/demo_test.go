package demo_test

import (
	"context"
	"errors"
	"flag"
	"io"
	"net/http"
	"regexp"
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
