package main

import (
	"bytes"
	"context"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// result is one run of the command.
type result struct {
	code           int
	stdout, stderr string
}

// runGlomo runs the command with args, stdin and a fixed environment.
func runGlomo(t *testing.T, env map[string]string, stdin string, args ...string) result {
	t.Helper()
	var out, errOut bytes.Buffer
	getenv := func(k string) string { return env[k] }
	var in io.Reader = strings.NewReader(stdin)
	code := run(context.Background(), args, in, &out, &errOut, getenv)
	return result{code: code, stdout: out.String(), stderr: errOut.String()}
}

// guideSnippet is the integration guide's inline checkout snippet, with
// nonceAttr (such as ` nonce="abc"`) on its script element.
func guideSnippet(nonceAttr string) string {
	return `<button id="buy-button" class="buy-button">Buy Now</button>
<script type="module"` + nonceAttr + `>
import { GlomoCheckoutApi } from 'https://glomopay-checkout-sdk.web.app/index.js';
const checkout = new GlomoCheckoutApi({ orderId: 'order_679a16457aP6K', publicKey: 'live_687b0151Bid24PAI' });
document.getElementById('buy-button').addEventListener('click', () => { checkout.open(); });
</script>`
}

// page builds a checkout page: head extra, then the snippet in the body.
func page(head, body string) string {
	return "<!doctype html><html><head><title>shop</title>" + head + "</head><body>" + body + "</body></html>"
}

// serve returns a handler that sends headers (several values: several
// lines) and an HTML body.
func serve(headers map[string][]string, body string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for k, vs := range headers {
			for _, v := range vs {
				w.Header().Add(k, v)
			}
		}
		if w.Header().Get("Content-Type") == "" {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
		}
		_, _ = io.WriteString(w, body)
	})
}

// newServer starts a loopback server for the test.
func newServer(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(h)
	t.Cleanup(s.Close)
	return s
}

var portRE = regexp.MustCompile(`127\.0\.0\.1:\d+`)

// golden compares got, with loopback ports replaced, to testdata/name.golden.
func golden(t *testing.T, name, got string) {
	t.Helper()
	got = portRE.ReplaceAllString(got, "127.0.0.1:PORT")
	path := filepath.Join("testdata", name+".golden")
	if *update {
		require.NoError(t, os.WriteFile(path, []byte(got), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "missing golden file; run go test -update")
	require.Equal(t, string(want), got)
}
