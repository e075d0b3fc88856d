package shop_test

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
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/glomokit/glomo"
	"github.com/glomokit/glomo/examples/internal/demotest"
	"github.com/glomokit/glomo/examples/internal/shop"
	"github.com/glomokit/glomo/glomotest"
)

// fixture is a shop served over loopback HTTP against a glomotest server.
type fixture struct {
	sim  *glomotest.Server
	shop *shop.Shop
	srv  *httptest.Server
	logs *bytes.Buffer
}

func newFixture(t *testing.T, simOpts glomotest.Options, handler func(*shop.Shop) http.Handler) *fixture {
	t.Helper()
	sim := glomotest.NewServer(simOpts)
	t.Cleanup(sim.Close)
	logs := &bytes.Buffer{}
	cfg := shop.SimulatorConfig(sim)
	cfg.Logger = slog.New(slog.NewTextHandler(&lockedWriter{w: logs}, nil))
	s, err := shop.New(cfg)
	require.NoError(t, err)
	if handler == nil {
		handler = (*shop.Shop).Handler
	}
	srv := httptest.NewServer(handler(s))
	t.Cleanup(srv.Close)
	sim.SetWebhookURL(srv.URL + shop.PathWebhook)
	return &fixture{sim: sim, shop: s, srv: srv, logs: logs}
}

// client returns a client with its own cookie jar that does not follow
// redirects, like one buyer's browser tab.
func (f *fixture) client(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &http.Client{
		Jar:           jar,
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// buy posts the buy form and returns the order id of the checkout redirect.
func (f *fixture) buy(t *testing.T, c *http.Client, sku string) string {
	t.Helper()
	res, err := c.PostForm(f.srv.URL+shop.PathBuy, url.Values{"product": {sku}})
	require.NoError(t, err)
	defer res.Body.Close()
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	loc, err := url.Parse(res.Header.Get("Location"))
	require.NoError(t, err)
	require.Equal(t, shop.PathCheckout, loc.Path)
	id := loc.Query().Get("order")
	require.NotEmpty(t, id)
	return id
}

func TestNewRejectsBadConfig(t *testing.T) {
	tests := []struct {
		name string
		cfg  shop.Config
		want string
	}{
		{"no secret key", shop.Config{PublicKey: "test_x"}, "SecretKey"},
		{"no public key", shop.Config{SecretKey: "sk"}, "PublicKey"},
		{"relative public URL", shop.Config{SecretKey: "sk", PublicKey: "pk", PublicURL: "shop.example"}, "PublicURL"},
		{"invalid API URL", shop.Config{SecretKey: "sk", PublicKey: "pk", APIBaseURL: "ftp://x"}, "API client"},
		{"invalid CSP source", shop.Config{SecretKey: "sk", PublicKey: "pk", CSPSources: []string{"'self'"}}, "headers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := shop.New(tt.cfg)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
			assert.NotContains(t, err.Error(), "sk\"", "no key in the error")
		})
	}
}

func TestConfigFromEnv(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		wantOK  bool
		wantErr error
		want    shop.Config
	}{
		{name: "neither key: the simulator", env: nil},
		{name: "both keys: real Glomo", wantOK: true,
			env:  map[string]string{shop.EnvSecretKey: "sk_test_1", shop.EnvPublicKey: "test_1", shop.EnvWebhookSecret: "whsec_1", shop.EnvAPIBaseURL: "https://api.example/api/v1"},
			want: shop.Config{SecretKey: "sk_test_1", PublicKey: "test_1", WebhookSecret: "whsec_1", APIBaseURL: "https://api.example/api/v1"}},
		{name: "secret key only", env: map[string]string{shop.EnvSecretKey: "sk_test_1"}, wantErr: shop.ErrHalfConfigured},
		{name: "public key only", env: map[string]string{shop.EnvPublicKey: "test_1"}, wantErr: shop.ErrHalfConfigured},
		{name: "blank keys count as unset", env: map[string]string{shop.EnvSecretKey: " ", shop.EnvPublicKey: ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			getenv := func(k string) string { return tt.env[k] }
			cfg, ok, err := shop.ConfigFromEnv(getenv)
			require.ErrorIs(t, err, tt.wantErr)
			assert.Equal(t, tt.wantOK, ok)
			assert.Equal(t, tt.want, cfg)

			cfg, sim, err := shop.Setup(getenv, nil)
			if tt.wantErr != nil {
				require.ErrorIs(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			if tt.wantOK {
				assert.Nil(t, sim, "real Glomo: no simulator")
				assert.Equal(t, tt.want.SecretKey, cfg.SecretKey)
				return
			}
			require.NotNil(t, sim)
			defer sim.Close()
			assert.True(t, cfg.Simulated)
			assert.Equal(t, sim.SDKURL(), cfg.SDKURL)
			assert.Equal(t, []string{sim.URL()}, cfg.CSPSources)
		})
	}
}

var nonceAttr = regexp.MustCompile(`<script type="module" nonce="([^"]*)">`)

func TestPageHeaders(t *testing.T) {
	f := newFixture(t, glomotest.Options{}, nil)
	bare := httptest.NewServer(f.shop.Mux())
	t.Cleanup(bare.Close)

	tests := []struct {
		name     string
		base     string
		wantCOOP string
		check    func(t *testing.T, csp string)
	}{
		{"with the glomo middleware", f.srv.URL, glomo.COOPAllowPopups, func(t *testing.T, csp string) {
			assert.Contains(t, csp, "script-src 'self' https://glomopay-checkout-sdk.web.app "+f.sim.URL()+" 'nonce-")
			assert.Contains(t, csp, "frame-src https://glomopay-checkout-sdk.web.app https://*.glomopay.com "+f.sim.URL()+";")
			assert.Contains(t, csp, "connect-src 'self' https://glomopay-checkout-sdk.web.app https://*.glomopay.com "+f.sim.URL()+";")
			assert.Contains(t, csp, "default-src 'self'; ", "the rest of the site's policy is kept")
			assert.Contains(t, csp, "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
			assert.NotContains(t, csp, "unsafe-inline")
		}},
		{"the site as it is", bare.URL, shop.SiteCOOP, func(t *testing.T, csp string) {
			assert.Equal(t, shop.SitePolicy, csp)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := f.client(t)
			for _, path := range []string{shop.PathProducts, shop.PathCheckout + "?order=" + f.buyVia(t, c, tt.base)} {
				res, body := demotest.Get(t, c, tt.base+path)
				require.Equal(t, http.StatusOK, res.StatusCode, path)
				assert.Equal(t, tt.wantCOOP, res.Header.Get("Cross-Origin-Opener-Policy"), path)
				csp := res.Header.Get("Content-Security-Policy")
				tt.check(t, csp)
				if path != shop.PathProducts {
					if tt.wantCOOP == glomo.COOPAllowPopups {
						m := nonceAttr.FindStringSubmatch(body)
						require.NotNil(t, m, "the checkout page has the inline module script")
						assert.Len(t, m[1], 22, "a 128-bit nonce")
						assert.Contains(t, csp, "'nonce-"+m[1]+"'", "the script's nonce is in the policy")
					} else {
						assert.Contains(t, body, `<script type="module">`, "the checkout page has the inline module script")
						assert.NotRegexp(t, nonceAttr, body, "no nonce without the middleware")
					}
				}
			}
		})
	}
}

// buyVia buys a mug through the shop at base and returns the order id.
func (f *fixture) buyVia(t *testing.T, c *http.Client, base string) string {
	t.Helper()
	res, err := c.PostForm(base+shop.PathBuy, url.Values{"product": {"mug"}})
	require.NoError(t, err)
	res.Body.Close()
	require.Equal(t, http.StatusSeeOther, res.StatusCode)
	loc, err := url.Parse(res.Header.Get("Location"))
	require.NoError(t, err)
	return loc.Query().Get("order")
}

func TestCheckoutPage(t *testing.T) {
	f := newFixture(t, glomotest.Options{}, nil)
	c := f.client(t)
	id := f.buy(t, c, "book")

	tests := []struct {
		name, query string
		want        []string
		notWant     []string
	}{
		{"SDK events", "", []string{
			`import { GlomoCheckoutApi } from "` + f.sim.SDKURL() + `";`,
			`mountCheckout(GlomoCheckoutApi, {"orderId":"` + id + `","publicKey":"` + f.sim.PublicKey() +
				`","resultUrl":"` + shop.PathVerify + `","nextUrl":"` + shop.PathOrder + "?id=" + id + `","buttonId":"buy-button"});`,
			`id="buy-button"`, ">Buy Now<", "Payments, explained", "$39.00",
		}, []string{`"callbackUrl":`, f.sim.SecretKey()}},
		{"callbackUrl redirect", "&mode=redirect", []string{
			`"callbackUrl":"` + f.srv.URL + shop.PathResult + `"`,
			`"resultUrl":"` + shop.PathVerify + `"`, // the bank transfer event still fires
		}, []string{f.sim.SecretKey()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res, body := demotest.Get(t, c, f.srv.URL+shop.PathCheckout+"?order="+id+tt.query)
			require.Equal(t, http.StatusOK, res.StatusCode)
			for _, w := range tt.want {
				assert.Contains(t, body, w)
			}
			for _, w := range tt.notWant {
				assert.NotContains(t, body, w)
			}
		})
	}
}

func TestBadInputGetsJSONErrors(t *testing.T) {
	f := newFixture(t, glomotest.Options{}, nil)
	owner := f.client(t)
	id := f.buy(t, owner, "mug")
	stranger := f.client(t)
	signed := glomotest.SignedSuccess(id, "payt_x", f.sim.SecretKey())
	badSig := glomotest.SignedSuccess(id, "payt_x", "wrong key")

	type request struct {
		method, path, contentType, body string
		header                          map[string]string
	}
	tests := []struct {
		name     string
		client   *http.Client
		req      request
		status   int
		wantCode string
	}{
		{"unknown path", stranger, request{method: "GET", path: "/nope"}, 404, "not_found"},
		{"buy with GET", stranger, request{method: "GET", path: shop.PathBuy}, 405, "method_not_allowed"},
		{"products with POST", stranger, request{method: "POST", path: "/", contentType: "text/plain"}, 405, "method_not_allowed"},
		{"unknown product", stranger, request{method: "POST", path: shop.PathBuy, contentType: "application/x-www-form-urlencoded", body: "product=yacht"}, 400, "unknown_product"},
		{"no product", stranger, request{method: "POST", path: shop.PathBuy, contentType: "application/x-www-form-urlencoded"}, 400, "unknown_product"},
		{"buy as JSON", stranger, request{method: "POST", path: shop.PathBuy, contentType: "application/json", body: `{"product":"mug"}`}, 415, "unsupported_media_type"},
		{"huge form", stranger, request{method: "POST", path: shop.PathBuy, contentType: "application/x-www-form-urlencoded", body: "product=mug&x=" + strings.Repeat("a", 10<<10)}, 413, "body_too_large"},
		{"bad form encoding", stranger, request{method: "POST", path: shop.PathBuy, contentType: "application/x-www-form-urlencoded", body: "product=%zz"}, 400, "invalid_form"},
		{"checkout without order", owner, request{method: "GET", path: shop.PathCheckout}, 400, "missing_parameter"},
		{"checkout of an unknown order", owner, request{method: "GET", path: shop.PathCheckout + "?order=order_nope"}, 404, "unknown_order"},
		{"checkout of another session's order", stranger, request{method: "GET", path: shop.PathCheckout + "?order=" + id}, 404, "unknown_order"},
		{"checkout with a bad mode", owner, request{method: "GET", path: shop.PathCheckout + "?order=" + id + "&mode=teleport"}, 400, "invalid_parameter"},
		{"order page without id", owner, request{method: "GET", path: shop.PathOrder}, 400, "missing_parameter"},
		{"order page of another session", stranger, request{method: "GET", path: shop.PathOrder + "?id=" + id}, 404, "unknown_order"},
		{"static directory listing", owner, request{method: "GET", path: shop.PathStatic}, 404, "not_found"},
		{"verify without a session", stranger, request{method: "POST", path: shop.PathVerify, contentType: "application/json", body: mustJSON(signed)}, 400, "unknown_order"},
		{"verify with a bad signature", owner, request{method: "POST", path: shop.PathVerify, contentType: "application/json", body: mustJSON(badSig)}, 400, "signature_mismatch"},
		{"verify with broken JSON", owner, request{method: "POST", path: shop.PathVerify, contentType: "application/json", body: `{"orderId":`}, 400, ""},
		{"verify another order", owner, request{method: "POST", path: shop.PathVerify, contentType: "application/json", body: mustJSON(glomotest.SignedSuccess("order_other", "payt_x", f.sim.SecretKey()))}, 400, "order_mismatch"},
		{"verify with a huge body", owner, request{method: "POST", path: shop.PathVerify, contentType: "application/json", body: `{"orderId":"` + strings.Repeat("a", glomo.DefaultMaxBodyBytes) + `"}`}, 413, ""},
		{"result without parameters", owner, request{method: "GET", path: shop.PathResult}, 400, "missing_parameter"},
		{"result with a forged signature", owner, request{method: "GET", path: strings.TrimPrefix(glomotest.CallbackURL(shop.PathResult, id, "payt_x", "success", "wrong key"), "")}, 400, "signature_mismatch"},
		{"webhook without signature", stranger, request{method: "POST", path: shop.PathWebhook, contentType: "application/json", body: `{}`}, 401, glomo.CodeMissingSignature},
		{"webhook with a wrong signature", stranger, request{method: "POST", path: shop.PathWebhook, contentType: "application/json", body: `{}`,
			header: map[string]string{glomotest.SignatureHeader: strings.Repeat("ab", 32)}}, 401, "signature_mismatch"},
		{"webhook with GET", stranger, request{method: "GET", path: shop.PathWebhook}, 405, "method_not_allowed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.req.method, f.srv.URL+tt.req.path, strings.NewReader(tt.req.body))
			require.NoError(t, err)
			if tt.req.contentType != "" {
				req.Header.Set("Content-Type", tt.req.contentType)
			}
			for k, v := range tt.req.header {
				req.Header.Set(k, v)
			}
			res, err := tt.client.Do(req)
			require.NoError(t, err)
			defer res.Body.Close()
			assert.Equal(t, tt.status, res.StatusCode)
			assert.True(t, strings.HasPrefix(res.Header.Get("Content-Type"), "application/json"), "Content-Type %q", res.Header.Get("Content-Type"))
			var body glomo.ErrorBody
			require.NoError(t, json.NewDecoder(res.Body).Decode(&body))
			assert.NotEmpty(t, body.Code)
			assert.NotEmpty(t, body.Message)
			if tt.wantCode != "" {
				assert.Equal(t, tt.wantCode, body.Code)
			}
		})
	}
	logs := f.logs.String()
	assert.NotContains(t, logs, f.sim.SecretKey(), "no secret in the logs")
	assert.NotContains(t, logs, signed["signature"], "no signature in the logs")
	assert.NotContains(t, logs, badSig["signature"], "no signature in the logs")
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func TestResultsFulfilOnce(t *testing.T) {
	tests := []struct {
		name    string
		deliver func(t *testing.T, f *fixture, c *http.Client, res glomotest.CheckoutResult)
		wantBy  string
		signed  bool // the result names the payment
	}{
		{"posted SDK event, posted again", func(t *testing.T, f *fixture, c *http.Client, r glomotest.CheckoutResult) {
			for i, wantDup := range []bool{false, true} {
				res, body := demotest.PostJSON(t, c, f.srv.URL+shop.PathVerify, map[string]any{
					"event": "payment.success", "orderId": r.OrderID, "paymentId": r.PaymentID, "status": r.Status, "signature": r.Signature,
				})
				require.Equal(t, http.StatusOK, res.StatusCode, "delivery %d", i)
				assert.Equal(t, "success", body["outcome"])
				assert.Equal(t, shop.PathOrder+"?id="+r.OrderID, body["orderUrl"])
				assert.Equal(t, wantDup, body["duplicate"] == true)
			}
		}, "post", true},
		{"callbackUrl redirect, reloaded", func(t *testing.T, f *fixture, c *http.Client, r glomotest.CheckoutResult) {
			u := glomotest.CallbackURL(f.srv.URL+shop.PathResult, r.OrderID, r.PaymentID, "success", f.sim.SecretKey())
			for range 2 {
				res, body := demotest.Get(t, c, u)
				require.Equal(t, http.StatusOK, res.StatusCode)
				assert.Equal(t, "no-referrer", res.Header.Get("Referrer-Policy"), "the URL carries a signature")
				assert.Contains(t, body, `<dd id="result-outcome" data-outcome="success">Paid, verified</dd>`)
				assert.Contains(t, body, `<dd id="result-verified">signature</dd>`)
			}
		}, "redirect", true},
		{"unsigned redirect, confirmed through the API", func(t *testing.T, f *fixture, c *http.Client, r glomotest.CheckoutResult) {
			res, body := demotest.Get(t, c, f.srv.URL+shop.PathResult+"?status=success&orderId="+r.OrderID)
			require.Equal(t, http.StatusOK, res.StatusCode)
			assert.Contains(t, body, `<dd id="result-verified">server-side look-up</dd>`)
		}, "confirmation", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, glomotest.Options{}, nil)
			f.sim.SetWebhookURL("") // the browser's result alone
			c := f.client(t)
			id := f.buy(t, c, "tee")
			r, err := f.sim.Pay(id, glomotest.Success())
			require.NoError(t, err)
			tt.deliver(t, f, c, r)
			o, ok := f.shop.Orders().Get(id)
			require.True(t, ok)
			assert.Equal(t, shop.StatusPaid, o.Status)
			assert.Equal(t, tt.wantBy, o.FulfilledBy)
			assert.Equal(t, 1, o.Fulfilments, "the library runs the fulfilment hook once per order")
			if tt.signed {
				assert.Equal(t, r.PaymentID, o.PaymentID)
			}

			res, body := demotest.Get(t, c, f.srv.URL+shop.PathOrder+"?id="+id)
			require.Equal(t, http.StatusOK, res.StatusCode)
			assert.Contains(t, body, `data-status="paid"`)
			res, _ = demotest.Get(t, c, f.srv.URL+shop.PathCheckout+"?order="+id)
			assert.Equal(t, http.StatusSeeOther, res.StatusCode, "a paid order's checkout leads to its status")
		})
	}
}

// TestSignedPostThenRedirectWithoutPaymentID delivers one paid order's
// result twice, in the two shapes Glomo documents: the SDK's signed
// payment.success, posted by the checkout page, then the guide's
// callbackUrl redirect without paymentId, which cannot be verified and is
// confirmed through the API. It is one order, paid once: the fulfilment hook
// must run once, whatever payment id each delivery carries.
func TestSignedPostThenRedirectWithoutPaymentID(t *testing.T) {
	f := newFixture(t, glomotest.Options{CallbackWithoutPaymentID: true}, nil)
	f.sim.SetWebhookURL("") // the browser's results alone
	c := f.client(t)
	id := f.buy(t, c, "book")
	r, err := f.sim.Pay(id, glomotest.Success())
	require.NoError(t, err)

	res, body := demotest.PostJSON(t, c, f.srv.URL+shop.PathVerify, r)
	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.Equal(t, "success", body["outcome"])
	o, _ := f.shop.Orders().Get(id)
	require.Equal(t, 1, o.Fulfilments, "the signed post fulfils")

	redirect := r.CallbackURL(f.srv.URL + shop.PathResult)
	u, err := url.Parse(redirect)
	require.NoError(t, err)
	require.False(t, u.Query().Has("paymentId"), "the guide's redirect: %s", redirect)
	res, page := demotest.Get(t, c, redirect)
	require.Equal(t, http.StatusOK, res.StatusCode)
	assert.Contains(t, page, `<dd id="result-outcome" data-outcome="success">Paid, verified</dd>`)
	assert.Contains(t, page, `<dd id="result-verified">server-side look-up</dd>`)

	o, _ = f.shop.Orders().Get(id)
	assert.Equal(t, shop.StatusPaid, o.Status)
	assert.Equal(t, 1, o.Fulfilments, "the confirmed redirect of the same paid order must not run the fulfilment hook again")
}

func TestBrowserHintsDoNotFulfil(t *testing.T) {
	tests := []struct {
		name        string
		outcome     glomotest.Outcome
		payload     func(r glomotest.CheckoutResult) map[string]any
		wantOutcome string
		wantStatus  string
	}{
		{"failure", glomotest.Failure("INSUFFICIENT_BALANCE"), func(r glomotest.CheckoutResult) map[string]any {
			return map[string]any{"event": "payment.failure", "orderId": r.OrderID, "paymentId": r.PaymentID, "status": "failed",
				"error": map[string]string{"code": "INSUFFICIENT_BALANCE", "message": "x"}}
		}, "failure_hint", shop.StatusAwaitingPayment},
		{"bank transfer submitted", glomotest.BankTransfer("000123", "UTR9"), func(r glomotest.CheckoutResult) map[string]any {
			return map[string]any{"event": "payment.bank_transfer_submitted", "orderId": r.OrderID,
				"senderAccountNumber": "000123", "transactionReference": "UTR9"}
		}, "bank_transfer_submitted", shop.StatusAwaitingTransfer},
		{"unsigned success", glomotest.BankTransfer("000123", "UTR9"), func(r glomotest.CheckoutResult) map[string]any {
			// A forged "success" without signature: the API says in progress.
			return map[string]any{"event": "payment.success", "orderId": r.OrderID, "status": "success"}
		}, "pending", shop.StatusAwaitingPayment},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, glomotest.Options{}, nil)
			f.sim.SetWebhookURL("")
			c := f.client(t)
			id := f.buy(t, c, "mug")
			r, err := f.sim.Pay(id, tt.outcome)
			require.NoError(t, err)
			res, body := demotest.PostJSON(t, c, f.srv.URL+shop.PathVerify, tt.payload(r))
			require.Equal(t, http.StatusOK, res.StatusCode)
			assert.Equal(t, tt.wantOutcome, body["outcome"])
			o, _ := f.shop.Orders().Get(id)
			assert.Equal(t, tt.wantStatus, o.Status)
			assert.Zero(t, o.Fulfilments)
			assert.Equal(t, tt.wantOutcome, o.BrowserOutcome)
		})
	}
}

func TestWebhooks(t *testing.T) {
	tests := []struct {
		name       string
		opts       glomotest.Options
		outcome    glomotest.Outcome
		settle     bool
		wantStatus string
		wantHooks  []string // the events Handle processed; the proofs of payment go to the fulfilment hook
		wantError  string
		wantPayID  bool // the payment id reached the shop: orders/paid alone does not carry it
	}{
		{"success, duplicated", glomotest.Options{DuplicateWebhooks: true}, glomotest.Success(), false,
			shop.StatusPaid, nil, "", true},
		{"success, out of order", glomotest.Options{ReverseWebhookOrder: true}, glomotest.Success(), false,
			shop.StatusPaid, nil, "", false},
		{"card declined", glomotest.Options{}, glomotest.Failure("PAYMENT_DECLINED"), false,
			shop.StatusAwaitingPayment, []string{"payment/failed"}, "PAYMENT_DECLINED", true},
		{"bank transfer settled", glomotest.Options{DuplicateWebhooks: true}, glomotest.BankTransfer("000123", "UTR9"), true,
			shop.StatusPaid, []string{"payment/in_progress", "orders/under_review"}, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, tt.opts, nil)
			c := f.client(t)
			id := f.buy(t, c, "mug")
			r, err := f.sim.Pay(id, tt.outcome)
			require.NoError(t, err)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			require.NoError(t, f.sim.WaitIdle(ctx))
			if tt.settle {
				o, _ := f.shop.Orders().Get(id)
				require.NotEmpty(t, o.PaymentID)
				_, err := f.sim.SettleBankTransfer(o.PaymentID, true)
				require.NoError(t, err)
				require.NoError(t, f.sim.WaitIdle(ctx))
			}
			for _, d := range f.sim.Deliveries() {
				assert.True(t, d.OK(), "%s/%s answered %d", d.EntityType, d.EventType, d.StatusCode)
			}
			o, _ := f.shop.Orders().Get(id)
			assert.Equal(t, tt.wantStatus, o.Status)
			assert.Equal(t, tt.wantHooks, o.Webhooks, "each event processed once")
			assert.Equal(t, tt.wantError, o.LastError)
			if tt.wantStatus == shop.StatusPaid {
				assert.Equal(t, 1, o.Fulfilments, "payment/success and orders/paid, duplicated or not, fulfil once")
				assert.Equal(t, "webhook", o.FulfilledBy)
			} else {
				assert.Zero(t, o.Fulfilments)
			}
			if tt.wantPayID && r.PaymentID != "" {
				assert.Equal(t, r.PaymentID, o.PaymentID)
			}
		})
	}
}

func TestWebhooksDisabledWithoutSecret(t *testing.T) {
	sim := glomotest.NewServer(glomotest.Options{})
	t.Cleanup(sim.Close)
	cfg := shop.SimulatorConfig(sim)
	cfg.WebhookSecret = ""
	s, err := shop.New(cfg)
	require.NoError(t, err)
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	res, err := http.Post(srv.URL+shop.PathWebhook, "application/json", strings.NewReader("{}"))
	require.NoError(t, err)
	defer res.Body.Close()
	assert.Equal(t, http.StatusServiceUnavailable, res.StatusCode)
	var body glomo.ErrorBody
	require.NoError(t, json.NewDecoder(res.Body).Decode(&body))
	assert.Equal(t, "webhooks_disabled", body.Code)
}

func TestCreateOrderFailureIsNotA500(t *testing.T) {
	sim := glomotest.NewServer(glomotest.Options{})
	cfg := shop.SimulatorConfig(sim)
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	s, err := shop.New(cfg)
	require.NoError(t, err)
	sim.Close() // Glomo is down
	srv := httptest.NewServer(s.Handler())
	t.Cleanup(srv.Close)
	res, err := http.PostForm(srv.URL+shop.PathBuy, url.Values{"product": {"mug"}})
	require.NoError(t, err)
	defer res.Body.Close()
	assert.Equal(t, http.StatusBadGateway, res.StatusCode)
}

func TestRoutesCoverEveryPath(t *testing.T) {
	sim := glomotest.NewServer(glomotest.Options{})
	t.Cleanup(sim.Close)
	s, err := shop.New(shop.SimulatorConfig(sim))
	require.NoError(t, err)
	got := map[string]bool{}
	for _, r := range s.Routes() {
		got[r.Method+" "+r.Path] = true
		require.NotNil(t, r.Handler, r.Path)
	}
	for _, want := range []string{
		"GET " + shop.PathProducts, "POST " + shop.PathBuy, "GET " + shop.PathCheckout,
		"GET " + shop.PathResult, "POST " + shop.PathVerify, "POST " + shop.PathWebhook,
		"GET " + shop.PathOrder, "GET " + shop.PathStatic, "GET " + shop.PathHealth,
	} {
		assert.True(t, got[want], "missing route %s", want)
	}
	assert.Len(t, s.Pages(), len(s.Routes())-3, "Pages leaves out the three glomo handlers")
}
