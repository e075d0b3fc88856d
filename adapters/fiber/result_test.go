package glomofiber_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/glomokit/glomo"
	glomofiber "github.com/glomokit/glomo/adapters/fiber"
	"github.com/glomokit/glomo/glomotest"
	"github.com/glomokit/glomo/internal/adaptertest"
	"github.com/glomokit/glomo/webhook"
	"github.com/gofiber/fiber/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// viaTest is an http.Handler sending every request through app.Test, so
// that fasthttp parses it from the bytes on the wire, for the checks
// adaptertest shares between the adapters.
type viaTest struct {
	t   testing.TB
	app *fiber.App
}

func (v viaTest) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	res, err := v.app.Test(r, fiber.TestConfig{Timeout: 10 * time.Second})
	require.NoError(v.t, err)
	defer res.Body.Close()
	for k, vs := range res.Header {
		w.Header()[k] = vs
	}
	w.WriteHeader(res.StatusCode)
	_, _ = io.Copy(w, res.Body)
}

// resultApp mounts h at /r for every method, behind the header middleware.
func resultApp(h *glomo.ResultHandler, cfg ...fiber.Config) *fiber.App {
	app := fiber.New(cfg...)
	app.Use(glomofiber.Headers())
	app.All("/r", glomofiber.Result(h))
	return app
}

// webhookApp mounts h at /w for every method.
func webhookApp(h *webhook.Handler, cfg ...fiber.Config) *fiber.App {
	app := fiber.New(cfg...)
	app.All("/w", glomofiber.Webhook(h))
	return app
}

func clone(t *testing.T, r *http.Request) (*http.Request, *http.Request) {
	t.Helper()
	var body []byte
	if r.Body != nil {
		var err error
		body, err = io.ReadAll(r.Body)
		require.NoError(t, err)
	}
	a := r.Clone(context.Background())
	a.Body = io.NopCloser(strings.NewReader(string(body)))
	b := r.Clone(context.Background())
	b.Body = io.NopCloser(strings.NewReader(string(body)))
	return a, b
}

// assertSameRefusal sends req to the net/http handler h and through the
// Fiber app, and checks that both answer the same status, Allow header
// and JSON error body, with glomo's error headers.
func assertSameRefusal(t *testing.T, h http.Handler, app *fiber.App, req *http.Request, wantStatus int, wantCode string) {
	t.Helper()
	direct, viaFiber := clone(t, req)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, direct)
	res, body := do(t, app, viaFiber)

	assert.Equal(t, wantStatus, rec.Code, "net/http")
	assert.Equal(t, rec.Code, res.StatusCode)
	var want, got glomo.ErrorBody
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &want))
	require.NoError(t, json.Unmarshal([]byte(body), &got), body)
	assert.Equal(t, wantCode, want.Code)
	assert.Equal(t, want, got)
	assert.JSONEq(t, rec.Body.String(), body)
	assert.Equal(t, rec.Header().Get("Allow"), res.Header.Get("Allow"))
	assert.Equal(t, "application/json; charset=utf-8", res.Header.Get("Content-Type"))
	assert.Equal(t, "nosniff", res.Header.Get("X-Content-Type-Options"))
	assert.Equal(t, "no-store", res.Header.Get("Cache-Control"))
}

func TestResultRefusalsEqualNetHTTP(t *testing.T) {
	h := adaptertest.NewResultHandler(t, nil)
	app := resultApp(h)
	big := `{"orderId":"` + strings.Repeat("a", glomo.DefaultMaxBodyBytes) + `"}`
	tests := []struct {
		name       string
		req        *http.Request
		wantStatus int
		wantCode   string
	}{
		{"wrong order", adaptertest.Post("/r", "application/json", adaptertest.SuccessJSON("order_other")), 400, glomo.CodeOrderMismatch},
		{"bad signature", adaptertest.Post("/r", "application/json", `{"orderId":"order_adapter_1","paymentId":"p","status":"success","signature":"`+strings.Repeat("0", 64)+`"}`), 400, glomo.CodeSignatureMismatch},
		{"malformed signature", adaptertest.Post("/r", "application/json", `{"orderId":"order_adapter_1","paymentId":"p","status":"success","signature":"zz"}`), 400, glomo.CodeMalformedSignature},
		{"malformed JSON", adaptertest.Post("/r", "application/json", `{"orderId":`), 400, glomo.CodeMalformedJSON},
		{"malformed form", adaptertest.Post("/r", "application/x-www-form-urlencoded", `orderId=%zz`), 400, glomo.CodeMalformedForm},
		{"not JSON", adaptertest.Post("/r", "text/plain", `hello`), 415, glomo.CodeUnsupportedMediaType},
		{"too large", adaptertest.Post("/r", "application/json", big), 413, glomo.CodeBodyTooLarge},
		{"redirect without status", get("/r?orderId=order_adapter_1"), 400, glomo.CodeMissingParameter},
		{"repeated parameter", get("/r?orderId=a&orderId=b&status=success"), 400, glomo.CodeRepeatedParameter},
		{"bad query", get("/r?orderId=%zz"), 400, glomo.CodeMalformedQuery},
		{"DELETE", httptest.NewRequest(http.MethodDelete, "/r", nil), 405, glomo.CodeMethodNotAllowed},
		{"PUT", httptest.NewRequest(http.MethodPut, "/r", strings.NewReader("{}")), 405, glomo.CodeMethodNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { assertSameRefusal(t, h, app, tt.req, tt.wantStatus, tt.wantCode) })
	}
}

func TestWebhookRefusalsEqualNetHTTP(t *testing.T) {
	h := adaptertest.NewWebhookHandler(t, nil, nil)
	app := webhookApp(h)
	small, err := webhook.NewHandler(webhook.Options{Secrets: []webhook.Secret{adaptertest.WebhookSecret},
		Fulfilment: adaptertest.NopFulfilment(t), MaxBodyBytes: 64, Logger: adaptertest.Quiet})
	require.NoError(t, err)
	smallApp := webhookApp(small)

	twice := adaptertest.EventRequest("/w", "payt_x")
	twice.Header.Add(webhook.SignatureHeader, twice.Header.Get(webhook.SignatureHeader))
	xml := adaptertest.EventRequest("/w", "payt_x")
	xml.Header.Set("Content-Type", "application/xml")
	badSig := adaptertest.EventRequest("/w", "payt_x")
	badSig.Header.Set(webhook.SignatureHeader, strings.Repeat("ab", 32))
	tests := []struct {
		name       string
		h          http.Handler
		app        *fiber.App
		req        *http.Request
		wantStatus int
		wantCode   string
	}{
		{"GET", h, app, get("/w"), 405, glomo.CodeMethodNotAllowed},
		{"unsigned", h, app, adaptertest.Post("/w", "application/json", `{}`), 401, glomo.CodeMissingSignature},
		{"wrong signature", h, app, badSig, 401, glomo.CodeSignatureMismatch},
		{"malformed signature", h, app, adaptertest.WebhookCases("/w")[4].Request, 400, glomo.CodeMalformedSignature},
		{"two signatures", h, app, twice, 400, glomo.CodeMalformedSignature},
		{"not JSON", h, app, xml, 415, glomo.CodeUnsupportedMediaType},
		{"not an event", h, app, glomotest.NewRawWebhookRequest("/w", []byte(`[1]`), adaptertest.WebhookSecret), 400, glomo.CodeMalformedEvent},
		{"over MaxBodyBytes", small, smallApp, adaptertest.EventRequest("/w", "payt_"+strings.Repeat("x", 100)), 413, glomo.CodeBodyTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { assertSameRefusal(t, tt.h, tt.app, tt.req, tt.wantStatus, tt.wantCode) })
	}
}

func TestWebhookCases(t *testing.T) {
	var handled atomic.Int32
	h := adaptertest.NewWebhookHandler(t, nil, func(context.Context, webhook.Event) error { handled.Add(1); return nil })
	app := webhookApp(h)
	for _, c := range adaptertest.WebhookCases("/w") {
		res, body := do(t, app, c.Request)
		assert.Equal(t, c.WantStatus, res.StatusCode, c.Name)
		assert.JSONEq(t, c.WantBody, body, c.Name)
	}
	assert.Equal(t, int32(1), handled.Load(), "only the verified delivery reaches Handle")
}

// TestWebhookVerifiesRawBytes posts bodies whose JSON would re-encode
// differently (spacing, escapes, key order, number forms): the signature
// is over the bytes as sent, and they verify.
func TestWebhookVerifiesRawBytes(t *testing.T) {
	var got []string
	h := adaptertest.NewWebhookHandler(t, nil, func(_ context.Context, e webhook.Event) error {
		got = append(got, e.ID())
		return nil
	})
	app := webhookApp(h)
	bodies := []string{
		"{\n  \"event_type\" : \"in_progress\",\n\t\"entity_type\":\"payment\", \"data\": {\"status\":\"in_progress\",\"id\":\"payt_raw1\", \"amount\": 1.50e2}}\n",
		`{"entity_type":"payment","event_type":"in_progress","data":{"id":"\u0070ayt_raw2","status":"in_progress","note":"caf\u00e9 <b>"}}`,
	}
	for _, b := range bodies {
		res, body := do(t, app, glomotest.NewRawWebhookRequest("/w", []byte(b), adaptertest.WebhookSecret))
		assert.Equal(t, http.StatusOK, res.StatusCode, body)
	}
	assert.Equal(t, []string{"payt_raw1", "payt_raw2"}, got)

	// The same bytes, one changed after signing, do not verify.
	req := glomotest.NewRawWebhookRequest("/w", []byte(bodies[0]), adaptertest.WebhookSecret)
	changed := strings.Replace(bodies[0], "1.50e2", "150.0", 1)
	req.Body = io.NopCloser(strings.NewReader(changed))
	req.ContentLength = int64(len(changed))
	res, _ := do(t, app, req)
	assert.Equal(t, http.StatusUnauthorized, res.StatusCode)
}

// TestBodyLimits checks both limits: glomo's MaxBodyBytes answers its own
// 413 JSON; a body over Fiber's BodyLimit is refused by fasthttp before any
// handler runs, with Fiber's error handler's 413.
func TestBodyLimits(t *testing.T) {
	h := adaptertest.NewResultHandler(t, nil)
	over := `{"orderId":"` + strings.Repeat("a", glomo.DefaultMaxBodyBytes) + `"}`
	for _, tt := range []struct {
		name      string
		bodyLimit int
		wantJSON  bool
	}{{"glomo's limit", 0, true}, {"Fiber's BodyLimit", 1024, false}} {
		t.Run(tt.name, func(t *testing.T) {
			base := serveLoopback(t, func(app *fiber.App) { app.All("/r", glomofiber.Result(h)) }, fiber.Config{BodyLimit: tt.bodyLimit})
			res, err := http.Post(base+"/r", "application/json", strings.NewReader(over))
			require.NoError(t, err)
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			assert.Equal(t, http.StatusRequestEntityTooLarge, res.StatusCode)
			if tt.wantJSON {
				var e glomo.ErrorBody
				require.NoError(t, json.Unmarshal(body, &e))
				assert.Equal(t, glomo.CodeBodyTooLarge, e.Code)
			} else {
				assert.Equal(t, "Request Entity Too Large", string(body))
			}
		})
	}

	// With StreamRequestBody, glomo's limit bounds what is read.
	base := serveLoopback(t, func(app *fiber.App) { app.All("/r", glomofiber.Result(h)) }, fiber.Config{StreamRequestBody: true})
	res, err := http.Post(base+"/r", "application/json", strings.NewReader(over))
	require.NoError(t, err)
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	assert.Equal(t, http.StatusRequestEntityTooLarge, res.StatusCode)
	assert.Contains(t, string(body), glomo.CodeBodyTooLarge)
	res, body2 := postJSON(t, base+"/r", adaptertest.SuccessJSON(adaptertest.Order))
	assert.Equal(t, http.StatusOK, res.StatusCode, body2)
}

func postJSON(t *testing.T, url, body string) (*http.Response, string) {
	t.Helper()
	res, err := http.Post(url, "application/json", strings.NewReader(body))
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res, string(b)
}

func TestResultDefaultRendering(t *testing.T) {
	app := resultApp(adaptertest.NewResultHandler(t, nil))
	res, body := do(t, app, adaptertest.Post("/r", "application/json", adaptertest.SuccessJSON(adaptertest.Order)))
	assert.Equal(t, http.StatusOK, res.StatusCode)
	assert.JSONEq(t, `{"outcome":"success","orderId":"order_adapter_1","paymentId":"payt_adapter_1","status":"success","source":"post"}`, body)
	assert.Equal(t, "no-referrer", res.Header.Get("Referrer-Policy"))

	res, body = do(t, app, get(glomotest.CallbackURL("/r", adaptertest.Order, adaptertest.Payment, "success", adaptertest.Secret)))
	assert.Equal(t, http.StatusOK, res.StatusCode)
	assert.Contains(t, body, "Payment received")
	assert.Contains(t, res.Header.Get("Content-Type"), "text/html")
	assert.Equal(t, glomo.COOPAllowPopups, res.Header.Get("Cross-Origin-Opener-Policy"), "the result page gets the header fix-up too")
}

// TestResultCarriesContextAndRequest checks what glomo's handler sees of
// the Fiber request: the context values a middleware set, the cookies, the
// URL.
func TestResultCarriesContextAndRequest(t *testing.T) {
	type key struct{}
	h, err := glomo.NewResultHandler(glomo.ResultHandlerOptions{
		Secrets: []string{adaptertest.Secret},
		ExpectedOrder: func(r *http.Request) (string, error) {
			if r.Context().Value(key{}) != "from middleware" {
				return "", errors.New("context value lost")
			}
			c, err := r.Cookie("order")
			if err != nil {
				return "", glomo.ErrNoExpectedOrder
			}
			return c.Value, nil
		},
		Fulfilment: adaptertest.NopFulfilment(t),
		Logger:     adaptertest.Quiet,
	})
	require.NoError(t, err)
	app := fiber.New()
	app.Use(func(c fiber.Ctx) error {
		c.SetContext(context.WithValue(c.Context(), key{}, "from middleware"))
		return c.Next()
	})
	app.Get("/r", glomofiber.Result(h))
	req := get(glomotest.CallbackURL("/r", adaptertest.Order, adaptertest.Payment, "success", adaptertest.Secret))
	req.AddCookie(&http.Cookie{Name: "order", Value: adaptertest.Order})
	res, body := do(t, app, req)
	assert.Equal(t, http.StatusOK, res.StatusCode, body)

	res, body = do(t, app, get(glomotest.CallbackURL("/r", adaptertest.Order, adaptertest.Payment, "success", adaptertest.Secret)))
	assert.Equal(t, http.StatusBadRequest, res.StatusCode)
	assert.Contains(t, body, glomo.CodeUnknownOrder)
}

func TestResultOnResultRendersWithFiber(t *testing.T) {
	var after atomic.Value
	h := adaptertest.NewResultHandler(t, glomofiber.OnResult(func(c fiber.Ctx, p glomo.Payment) error {
		fromCtx, ok := glomofiber.Payment(c)
		require.True(t, ok)
		assert.Equal(t, p, fromCtx)
		fromContext, ok := glomo.PaymentFromContext(c.Context())
		require.True(t, ok)
		assert.Equal(t, p, fromContext)
		if p.Outcome == glomo.OutcomeFailure {
			return c.Next()
		}
		return c.Status(http.StatusAccepted).JSON(fiber.Map{"order": p.OrderID, "outcome": p.Outcome.String()})
	}))
	app := fiber.New()
	app.Use(func(c fiber.Ctx) error {
		err := c.Next()
		if p, ok := glomofiber.Payment(c); ok {
			after.Store(p.Outcome)
		}
		return err
	})
	app.All("/r", glomofiber.Result(h), func(c fiber.Ctx) error {
		p, _ := glomofiber.Payment(c)
		return c.SendString("next handler: " + p.Outcome.String())
	})
	res, body := do(t, app, adaptertest.Post("/r", "application/json", adaptertest.SuccessJSON(adaptertest.Order)))
	assert.Equal(t, http.StatusAccepted, res.StatusCode)
	assert.JSONEq(t, `{"order":"order_adapter_1","outcome":"success"}`, body)
	assert.Equal(t, "no-referrer", res.Header.Get("Referrer-Policy"), "glomo's headers are kept for render")
	assert.Equal(t, glomo.OutcomeSuccess, after.Load())

	res, body = do(t, app, get(glomotest.CallbackURL("/r", adaptertest.Order, adaptertest.Payment, "failed", adaptertest.Secret)))
	assert.Equal(t, http.StatusOK, res.StatusCode)
	assert.Equal(t, "next handler: failure", body)
}

func TestResultRenderErrorGoesToFiberErrorHandler(t *testing.T) {
	h := adaptertest.NewResultHandler(t, glomofiber.OnResult(func(fiber.Ctx, glomo.Payment) error {
		return fiber.NewError(http.StatusBadGateway, "template failed")
	}))
	app := fiber.New()
	app.Post("/r", glomofiber.Result(h))
	res, body := do(t, app, adaptertest.Post("/r", "application/json", adaptertest.SuccessJSON(adaptertest.Order)))
	assert.Equal(t, http.StatusBadGateway, res.StatusCode)
	assert.Equal(t, "template failed", body)
}

func TestOnResultOutsideResult(t *testing.T) {
	called := false
	h := adaptertest.NewResultHandler(t, glomofiber.OnResult(func(fiber.Ctx, glomo.Payment) error { called = true; return nil }))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, adaptertest.Post("/", "application/json", adaptertest.SuccessJSON(adaptertest.Order)))
	assert.Equal(t, http.StatusInternalServerError, rec.Code)
	assert.False(t, called)

}

func TestPaymentAndEventWithoutHandlers(t *testing.T) {
	app := fiber.New()
	app.Get("/", func(c fiber.Ctx) error {
		_, ok := glomofiber.Payment(c)
		assert.False(t, ok)
		_, ok = glomofiber.Event(c)
		assert.False(t, ok)
		return nil
	})
	do(t, app, get("/"))
}

func TestResultServerFailureIsGeneric(t *testing.T) {
	f := adaptertest.NewFulfilment(t, func(context.Context, glomo.PaidOrder) error { return errors.New("db password=hunter2") })
	app := resultApp(adaptertest.NewResultHandlerFor(t, f, nil))
	res, body := do(t, app, adaptertest.Post("/r", "application/json", adaptertest.SuccessJSON(adaptertest.Order)))
	assert.Equal(t, http.StatusInternalServerError, res.StatusCode)
	assert.JSONEq(t, `{"error":"internal_error","message":"the payment result could not be processed; try again later"}`, body)
	assert.NotContains(t, body, "hunter2")
}

func TestOnWebhook(t *testing.T) {
	failFirst := &adaptertest.FailFirst{}
	var deadlines atomic.Int32
	h := adaptertest.NewWebhookHandler(t, nil, glomofiber.OnWebhook(func(c fiber.Ctx, e webhook.Event) error {
		got, ok := glomofiber.Event(c)
		require.True(t, ok)
		assert.Equal(t, e, got)
		if _, ok := c.Context().Deadline(); ok {
			deadlines.Add(1)
		}
		assert.Equal(t, "/w", c.Path())
		return failFirst.Handle(e)
	}))
	var after atomic.Bool
	app := fiber.New()
	app.Use(func(c fiber.Ctx) error {
		err := c.Next()
		if _, ok := glomofiber.Event(c); ok {
			after.Store(true)
		}
		if _, ok := c.Context().Deadline(); ok {
			t.Error("the context is restored after handle")
		}
		return err
	})
	app.Post("/w", glomofiber.Webhook(h))
	adaptertest.CheckRetriedDelivery(t, viaTest{t, app}, "/w")
	assert.Len(t, failFirst.Events, 2, "the failed delivery and its retry; the duplicate does not reach handle")
	assert.Equal(t, int32(2), deadlines.Load(), "handle runs under Handle's context, with its timeout")
	assert.True(t, after.Load())
}

func TestOnWebhookOutsideWebhook(t *testing.T) {
	adaptertest.CheckOnWebhookOutsideWebhook(t,
		func(called func()) func(context.Context, webhook.Event) error {
			return glomofiber.OnWebhook(func(fiber.Ctx, webhook.Event) error { called(); return nil })
		},
		func(h *webhook.Handler) http.Handler { return h })
}

func TestResultAndWebhookShareFulfilment(t *testing.T) {
	adaptertest.CheckSharedFulfilment(t, func(rh *glomo.ResultHandler, wh *webhook.Handler) http.Handler {
		app := fiber.New()
		app.Use(glomofiber.Headers())
		app.Post("/result", glomofiber.Result(rh))
		app.Post("/webhook", glomofiber.Webhook(wh))
		return viaTest{t, app}
	})
}

// TestSignedResultThenPaidWebhookOverLoopback is a purchase over real
// HTTP: the signed result fulfils the order, the paid webhook for it is a
// duplicate, the hook ran once.
func TestSignedResultThenPaidWebhookOverLoopback(t *testing.T) {
	fulfilled := &adaptertest.Fulfilled{}
	f := adaptertest.NewFulfilment(t, fulfilled.Hook)
	rh := adaptertest.NewResultHandlerFor(t, f, nil)
	wh := adaptertest.NewWebhookHandler(t, f, nil)
	base := serveLoopback(t, func(app *fiber.App) {
		app.Use(glomofiber.Headers())
		app.Post("/result", glomofiber.Result(rh))
		app.Post("/webhook", glomofiber.Webhook(wh))
	})
	res, body := postJSON(t, base+"/result", adaptertest.SuccessJSON(adaptertest.Order))
	assert.Equal(t, http.StatusOK, res.StatusCode, body)
	paid := adaptertest.PaidRequest(base+"/webhook", adaptertest.Order, adaptertest.Payment)
	paid.RequestURI = ""
	res, err := http.DefaultClient.Do(paid)
	require.NoError(t, err)
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	assert.Equal(t, http.StatusOK, res.StatusCode)
	assert.JSONEq(t, `{"status":"duplicate"}`, string(b))
	assert.Equal(t, []glomo.PaidOrder{{OrderID: adaptertest.Order, PaymentID: adaptertest.Payment, Proof: glomo.ProofPost}}, fulfilled.Orders())
}

func TestConstructorsPanicWithoutHandler(t *testing.T) {
	assert.Panics(t, func() { glomofiber.Result(nil) })
	assert.Panics(t, func() { glomofiber.Webhook(nil) })
	assert.Panics(t, func() { glomofiber.HTTPHandler(nil) })
}

// TestHTTPHandler checks the net/http bridge: status, headers, cookies,
// body, content sniffing, and a handler that writes nothing.
func TestHTTPHandler(t *testing.T) {
	app := fiber.New()
	app.Use(func(c fiber.Ctx) error { c.Cookie(&fiber.Cookie{Name: "outer", Value: "1"}); return c.Next() })
	app.Get("/page", glomofiber.HTTPHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "inner", Value: "2"})
		w.Header().Add("Vary", "A")
		w.Header().Add("Vary", "B")
		w.WriteHeader(http.StatusCreated)
		_, _ = io.WriteString(w, "<!doctype html><p>"+r.URL.RawQuery)
	})))
	app.Get("/empty", glomofiber.HTTPHandler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})))
	app.Get("/redirect", glomofiber.HTTPHandler(http.RedirectHandler("/there", http.StatusSeeOther)))

	res, body := do(t, app, get("/page?q=1"))
	assert.Equal(t, http.StatusCreated, res.StatusCode)
	assert.Equal(t, "<!doctype html><p>q=1", body)
	assert.Equal(t, "text/html; charset=utf-8", res.Header.Get("Content-Type"))
	assert.Equal(t, []string{"A", "B"}, res.Header.Values("Vary"))
	names := []string{}
	for _, c := range res.Cookies() {
		names = append(names, c.Name)
	}
	assert.ElementsMatch(t, []string{"outer", "inner"}, names)

	res, body = do(t, app, get("/empty"))
	assert.Equal(t, http.StatusOK, res.StatusCode)
	assert.Empty(t, body)

	res, _ = do(t, app, get("/redirect"))
	assert.Equal(t, http.StatusSeeOther, res.StatusCode)
	assert.Equal(t, "/there", res.Header.Get("Location"))
}
