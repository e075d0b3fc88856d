// Package demotest checks a framework demo of the shop end to end against
// the glomotest simulator, so that every demo is held to the same
// behaviour as the net/http version.
package demotest

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/glomokit/glomo"
	"github.com/glomokit/glomo/examples/internal/demo"
	"github.com/glomokit/glomo/examples/internal/shop"
	"github.com/glomokit/glomo/glomotest"
)

// nonceAttr finds the nonce of the checkout page's inline module script.
var nonceAttr = regexp.MustCompile(`<script type="module" nonce="([^"]*)"`)

// Smoke serves the shop through router over loopback HTTP against a
// simulator and walks a purchase: the pages' headers, buying, the checkout
// page's nonce, the posted result, the callbackUrl redirect, the webhooks,
// and JSON refusals of bad input, unknown paths and wrong methods.
func Smoke(t *testing.T, router demo.Router) {
	t.Helper()
	sim := glomotest.NewServer(glomotest.Options{})
	t.Cleanup(sim.Close)
	cfg := shop.SimulatorConfig(sim)
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	s, err := shop.New(cfg)
	require.NoError(t, err)
	h, err := router(s)
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	sim.SetWebhookURL(srv.URL + shop.PathWebhook)

	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	// The product page: the site's COOP and CSP, fixed by the middleware.
	res, _ := Get(t, c, srv.URL+shop.PathProducts)
	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.Equal(t, glomo.COOPAllowPopups, res.Header.Get("Cross-Origin-Opener-Policy"))
	assert.Contains(t, res.Header.Get("Content-Security-Policy"), "https://glomopay-checkout-sdk.web.app")
	res, body := Get(t, c, srv.URL+shop.PathStatic+"shop.css")
	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.NotEmpty(t, body)

	// Buying leads to the checkout page, whose script's nonce is in the CSP.
	res, err = c.PostForm(srv.URL+shop.PathBuy, url.Values{"product": {"mug"}})
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	loc, err := url.Parse(res.Header.Get("Location"))
	require.NoError(t, err)
	orderID := loc.Query().Get("order")
	require.NotEmpty(t, orderID)
	res, body = Get(t, c, srv.URL+shop.PathCheckout+"?order="+url.QueryEscape(orderID))
	require.Equal(t, http.StatusOK, res.StatusCode)
	m := nonceAttr.FindStringSubmatch(body)
	require.NotNil(t, m, "the checkout page has the inline module script")
	require.NotEmpty(t, m[1])
	assert.Contains(t, res.Header.Get("Content-Security-Policy"), "'nonce-"+m[1]+"'")

	// The buyer pays; the page posts the SDK's event, twice (a reload).
	sim.SetWebhookURL("") // the browser's result first
	paid, err := sim.Pay(orderID, glomotest.Success())
	require.NoError(t, err)
	for _, wantDup := range []bool{false, true} {
		res, out := PostJSON(t, c, srv.URL+shop.PathVerify, paid)
		require.Equal(t, http.StatusOK, res.StatusCode)
		assert.Equal(t, "success", out["outcome"])
		assert.Equal(t, wantDup, out["duplicate"] == true)
	}
	o, ok := s.Orders().Get(orderID)
	require.True(t, ok)
	assert.Equal(t, shop.StatusPaid, o.Status)
	assert.Equal(t, 1, o.Fulfilments, "the fulfilment hook ran once")
	assert.Equal(t, "post", o.FulfilledBy)

	// The callbackUrl redirect renders the result page.
	res, body = Get(t, c, glomotest.CallbackURL(srv.URL+shop.PathResult, orderID, paid.PaymentID, "success", sim.SecretKey()))
	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.Contains(t, body, `<dd id="result-outcome" data-outcome="success">`)
	assert.Equal(t, glomo.COOPAllowPopups, res.Header.Get("Cross-Origin-Opener-Policy"))
	o, _ = s.Orders().Get(orderID)
	assert.Equal(t, 1, o.Fulfilments, "the redirect of the same payment does not run the fulfilment hook again")

	// A second order is paid by webhook alone.
	res, err = c.PostForm(srv.URL+shop.PathBuy, url.Values{"product": {"tee"}})
	require.NoError(t, err)
	res.Body.Close()
	loc, _ = url.Parse(res.Header.Get("Location"))
	second := loc.Query().Get("order")
	sim.SetWebhookURL(srv.URL + shop.PathWebhook)
	_, err = sim.Pay(second, glomotest.Success())
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, sim.WaitIdle(ctx))
	deliveries := sim.Deliveries()
	require.NotEmpty(t, deliveries)
	for _, d := range deliveries {
		assert.True(t, d.OK(), "%s/%s answered %d", d.EntityType, d.EventType, d.StatusCode)
	}
	o, _ = s.Orders().Get(second)
	assert.Equal(t, shop.StatusPaid, o.Status)
	assert.Equal(t, "webhook", o.FulfilledBy)
	assert.Equal(t, 1, o.Fulfilments, "the payment/success and orders/paid webhooks fulfil once")

	// Bad input, unknown paths and wrong methods get JSON errors, no 5xx.
	refusals := []struct {
		name     string
		req      func() (*http.Response, error)
		status   int
		wantCode string
	}{
		{"result for another order", func() (*http.Response, error) {
			b, _ := json.Marshal(glomotest.SignedSuccess("order_other", "payt_x", sim.SecretKey()))
			return c.Post(srv.URL+shop.PathVerify, "application/json", bytes.NewReader(b))
		}, http.StatusBadRequest, glomo.CodeOrderMismatch},
		{"malformed result", func() (*http.Response, error) {
			return c.Post(srv.URL+shop.PathVerify, "application/json", strings.NewReader("{"))
		}, http.StatusBadRequest, glomo.CodeMalformedJSON},
		{"unsigned webhook", func() (*http.Response, error) {
			return c.Post(srv.URL+shop.PathWebhook, "application/json", strings.NewReader("{}"))
		}, http.StatusUnauthorized, glomo.CodeMissingSignature},
		{"unknown path", func() (*http.Response, error) { return c.Get(srv.URL + "/nowhere") }, http.StatusNotFound, "not_found"},
		{"wrong method", func() (*http.Response, error) {
			return c.Post(srv.URL+shop.PathOrder, "application/json", strings.NewReader("{}"))
		}, http.StatusMethodNotAllowed, "method_not_allowed"},
	}
	for _, r := range refusals {
		res, err := r.req()
		require.NoError(t, err, r.name)
		var e glomo.ErrorBody
		err = json.NewDecoder(res.Body).Decode(&e)
		res.Body.Close()
		require.NoError(t, err, r.name)
		assert.Equal(t, r.status, res.StatusCode, r.name)
		assert.Equal(t, r.wantCode, e.Code, r.name)
	}
}

// Get fetches u with c and returns the response and its body.
func Get(t *testing.T, c *http.Client, u string) (*http.Response, string) {
	t.Helper()
	res, err := c.Get(u)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res, string(b)
}

// PostJSON posts v as JSON to u with c and returns the response and its
// decoded JSON body.
func PostJSON(t *testing.T, c *http.Client, u string, v any) (*http.Response, map[string]any) {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	res, err := c.Post(u, "application/json", bytes.NewReader(b))
	require.NoError(t, err)
	defer res.Body.Close()
	var out map[string]any
	require.NoError(t, json.NewDecoder(res.Body).Decode(&out))
	return res, out
}

// Output collects what a demo prints, safely across goroutines.
type Output struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write appends p.
func (o *Output) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.Write(p)
}

// String returns everything written so far.
func (o *Output) String() string {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.buf.String()
}
