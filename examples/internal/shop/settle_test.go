package shop_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/glomokit/glomo/examples/internal/demotest"
	"github.com/glomokit/glomo/examples/internal/shop"
	"github.com/glomokit/glomo/glomotest"
)

// transferSubmitted buys a mug and pays by bank transfer in the simulator;
// it returns the order id once the shop has the in_progress webhook.
func (f *fixture) transferSubmitted(t *testing.T, c *http.Client) string {
	t.Helper()
	id := f.buy(t, c, "mug")
	_, err := f.sim.Pay(id, glomotest.BankTransfer("000123", "UTR1"))
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, f.sim.WaitIdle(ctx))
	o, _ := f.shop.Orders().Get(id)
	require.Equal(t, shop.StatusAwaitingTransfer, o.Status)
	return id
}

func postSettle(t *testing.T, c *http.Client, base string, form url.Values, header http.Header) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, base+shop.PathSettleTransfer, strings.NewReader(form.Encode()))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := c.Do(req)
	require.NoError(t, err)
	res.Body.Close()
	return res
}

func TestSettleTransfer(t *testing.T) {
	tests := []struct {
		received   string
		wantStatus string
		wantError  string
		wantWords  string
	}{
		{"true", shop.StatusPaid, "", "Paid"},
		{"false", shop.StatusAwaitingPayment, "BANK_TRANSFER_NOT_RECEIVED", "The bank transfer was not received"},
	}
	for _, tt := range tests {
		t.Run("received="+tt.received, func(t *testing.T) {
			f := newFixture(t, glomotest.Options{}, nil)
			c := f.client(t)
			id := f.transferSubmitted(t, c)

			_, page := demotest.Get(t, c, f.srv.URL+shop.PathOrder+"?id="+id)
			assert.Contains(t, page, `action="`+shop.PathSettleTransfer+`"`, "the simulated shop offers to settle")
			assert.Contains(t, page, "Waiting for your bank transfer to arrive")

			res := postSettle(t, c, f.srv.URL, url.Values{"order": {id}, "received": {tt.received}}, nil)
			require.Equal(t, http.StatusSeeOther, res.StatusCode)
			assert.Equal(t, shop.PathOrder+"?id="+id, res.Header.Get("Location"))
			o, _ := f.shop.Orders().Get(id)
			assert.Equal(t, tt.wantStatus, o.Status, "the webhook arrived before the order page is shown")
			assert.Equal(t, tt.wantError, o.LastError)

			_, page = demotest.Get(t, c, f.srv.URL+shop.PathOrder+"?id="+id)
			assert.Contains(t, page, tt.wantWords)
			assert.NotContains(t, page, `action="`+shop.PathSettleTransfer+`"`, "nothing left to settle")

			res = postSettle(t, c, f.srv.URL, url.Values{"order": {id}, "received": {tt.received}}, nil)
			assert.Equal(t, http.StatusConflict, res.StatusCode, "a settled transfer does not settle again")
		})
	}
}

func TestSettleTransferRefusals(t *testing.T) {
	f := newFixture(t, glomotest.Options{}, nil)
	c := f.client(t)
	id := f.transferSubmitted(t, c)
	card := f.buy(t, c, "tee")
	stranger := f.client(t)

	tests := []struct {
		name   string
		client *http.Client
		form   url.Values
		header http.Header
		want   int
	}{
		{"another session", stranger, url.Values{"order": {id}, "received": {"true"}}, nil, http.StatusNotFound},
		{"unknown order", c, url.Values{"order": {"order_nope"}, "received": {"true"}}, nil, http.StatusNotFound},
		{"no order", c, url.Values{"received": {"true"}}, nil, http.StatusNotFound},
		{"received is not a boolean", c, url.Values{"order": {id}, "received": {"yes"}}, nil, http.StatusBadRequest},
		{"an order awaiting a card payment", c, url.Values{"order": {card}, "received": {"true"}}, nil, http.StatusConflict},
		{"a cross-site post", c, url.Values{"order": {id}, "received": {"true"}}, http.Header{"Sec-Fetch-Site": {"cross-site"}}, http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := postSettle(t, tt.client, f.srv.URL, tt.form, tt.header)
			assert.Equal(t, tt.want, res.StatusCode)
		})
	}
	o, _ := f.shop.Orders().Get(id)
	assert.Equal(t, shop.StatusAwaitingTransfer, o.Status, "no refused post settled the transfer")

	t.Run("outside the simulator", func(t *testing.T) {
		sim := glomotest.NewServer(glomotest.Options{})
		t.Cleanup(sim.Close)
		cfg := shop.SimulatorConfig(sim)
		cfg.SimulatorURL = "" // as against real Glomo
		s, err := shop.New(cfg)
		require.NoError(t, err)
		rec := httptestPost(s.Handler(), shop.PathSettleTransfer, "order="+id+"&received=true")
		assert.Equal(t, http.StatusNotFound, rec)
	})
}

// TestPagesSpeakHumanWords walks a declined card through the pages: the
// machine values stay in data-* attributes, the text is for people.
func TestPagesSpeakHumanWords(t *testing.T) {
	f := newFixture(t, glomotest.Options{}, nil)
	c := f.client(t)
	_, products := demotest.Get(t, c, f.srv.URL+shop.PathProducts)
	assert.Contains(t, products, `id="buy-mug">Buy Now</button>`, "the README's words")

	id := f.buy(t, c, "mug")
	r, err := f.sim.Pay(id, glomotest.Failure("PAYMENT_DECLINED"))
	require.NoError(t, err)
	res, _ := demotest.PostJSON(t, c, f.srv.URL+shop.PathVerify, r)
	require.Equal(t, http.StatusOK, res.StatusCode)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, f.sim.WaitIdle(ctx))

	_, page := demotest.Get(t, c, f.srv.URL+shop.PathOrder+"?id="+id)
	for _, want := range []string{
		`data-status="awaiting_payment">Awaiting payment<`,
		`data-error="PAYMENT_DECLINED">The card was declined (confirmed by Glomo)<`,
		`data-outcome="failure_hint">Payment failed (reported by the browser, not verified)<`,
		`>Try again</a>`,
	} {
		assert.Contains(t, page, want)
	}
	text := regexp.MustCompile(`(?s)<[^>]*>`).ReplaceAllString(page, " ")
	for _, machine := range []string{"failure_hint", "awaiting_payment", "PAYMENT_DECLINED"} {
		assert.NotContains(t, text, machine, "a machine word in the page's text")
	}
}

// httptestPost serves one form post and returns its status.
func httptestPost(h http.Handler, path, form string) int {
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(form))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec.Code
}
