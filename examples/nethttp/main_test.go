package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/glomokit/glomo/examples/internal/shop"
)

// output collects what run prints, safely across goroutines.
type output struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (o *output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.Write(p)
}

func (o *output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}

var shopURL = regexp.MustCompile(`Demo shop: (http://127\.0\.0\.1:\d+)/`)

// waitURL waits until run has printed the shop's URL.
func waitURL(t *testing.T, out *output, done <-chan error) string {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		if m := shopURL.FindStringSubmatch(out.String()); m != nil {
			return m[1]
		}
		select {
		case err := <-done:
			t.Fatalf("run returned before serving: %v\n%s", err, out.String())
		case <-deadline:
			t.Fatalf("no URL printed:\n%s", out.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

func TestRunServesAndStops(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
	}{
		{"addr flag", []string{"-addr", "127.0.0.1:0"}, nil},
		{"ADDR environment variable", nil, map[string]string{"ADDR": "127.0.0.1:0"}},
		{"flag wins over ADDR", []string{"-addr", "127.0.0.1:0"}, map[string]string{"ADDR": "256.0.0.1:99999"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			out := &output{}
			done := make(chan error, 1)
			go func() {
				done <- run(ctx, tt.args, func(k string) string { return tt.env[k] }, out, io.Discard)
			}()
			base := waitURL(t, out, done)
			assert.Contains(t, out.String(), "embedded simulator")

			for path, coop := range map[string]string{"/": "same-origin-allow-popups", shop.PathHealth: "same-origin-allow-popups"} {
				res, err := http.Get(base + path)
				require.NoError(t, err)
				res.Body.Close()
				assert.Equal(t, http.StatusOK, res.StatusCode, path)
				assert.Equal(t, coop, res.Header.Get("Cross-Origin-Opener-Policy"), path)
			}

			cancel() // as SIGINT does
			select {
			case err := <-done:
				require.NoError(t, err)
			case <-time.After(15 * time.Second):
				t.Fatal("run did not stop")
			}
			assert.Contains(t, out.String(), "Stopped.")
			_, err := http.Get(base + "/")
			assert.Error(t, err, "the server is closed")
		})
	}
}

func TestRunRefusesBadSetup(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		env     map[string]string
		wantErr error
		want    string
	}{
		{name: "unknown flag", args: []string{"-port", "1"}, want: "flag provided but not defined"},
		{name: "help", args: []string{"-h"}, wantErr: flag.ErrHelp},
		{name: "extra argument", args: []string{"serve"}, want: "unexpected arguments"},
		{name: "half the keys", args: []string{"-addr", "127.0.0.1:0"}, env: map[string]string{shop.EnvSecretKey: "sk_test_x"}, wantErr: shop.ErrHalfConfigured},
		{name: "bad address", args: []string{"-addr", "127.0.0.1:notaport"}, want: "listen"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := run(context.Background(), tt.args, func(k string) string { return tt.env[k] }, io.Discard, io.Discard)
			require.Error(t, err)
			if tt.wantErr != nil {
				assert.True(t, errors.Is(err, tt.wantErr), "%v", err)
			}
			if tt.want != "" {
				assert.Contains(t, err.Error(), tt.want)
			}
		})
	}
}

func TestRunWithRealGlomoKeysNeedsNoSimulator(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &output{}
	done := make(chan error, 1)
	env := map[string]string{shop.EnvSecretKey: "sk_test_not_a_real_key", shop.EnvPublicKey: "test_x", shop.EnvAPIBaseURL: "http://127.0.0.1:9/api/v1"}
	go func() {
		done <- run(ctx, []string{"-addr", "127.0.0.1:0"}, func(k string) string { return env[k] }, out, io.Discard)
	}()
	base := waitURL(t, out, done)
	assert.NotContains(t, out.String(), "simulator")
	assert.NotContains(t, out.String(), "sk_test_not_a_real_key", "the key is never printed")
	res, err := http.Get(base + "/")
	require.NoError(t, err)
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	assert.False(t, strings.Contains(string(body), "sandbox simulator"))
	cancel()
	require.NoError(t, <-done)
}
