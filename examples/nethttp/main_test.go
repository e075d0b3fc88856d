package main

import (
	"context"
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

// run is the demo command as main runs it.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) error {
	return demo.Run(ctx, "nethttp", router, args, getenv, stdout, stderr)
}

var shopURL = regexp.MustCompile(`Demo shop \(nethttp\): (http://127\.0\.0\.1:\d+)/`)

// waitURL waits until run has printed the shop's URL.
func waitURL(t *testing.T, out *demotest.Output, done <-chan error) string {
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
			out := &demotest.Output{}
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

func TestRunWithRealGlomoKeysNeedsNoSimulator(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := &demotest.Output{}
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
