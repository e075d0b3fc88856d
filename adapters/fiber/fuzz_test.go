package glomofiber_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
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
)

// rawConn is a net.Conn that reads in, then EOF, and records what the
// server writes: one connection's worth of raw request bytes for
// fasthttp's own parser.
type rawConn struct {
	in  io.Reader
	out bytes.Buffer
}

func (c *rawConn) Read(p []byte) (int, error)     { return c.in.Read(p) }
func (c *rawConn) Write(p []byte) (int, error)    { return c.out.Write(p) }
func (*rawConn) Close() error                     { return nil }
func (*rawConn) LocalAddr() net.Addr              { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 80} }
func (*rawConn) RemoteAddr() net.Addr             { return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000} }
func (*rawConn) SetDeadline(time.Time) error      { return nil }
func (*rawConn) SetReadDeadline(time.Time) error  { return nil }
func (*rawConn) SetWriteDeadline(time.Time) error { return nil }

type fuzzCtxKey struct{}

// fuzzApp is a Fiber app with the header middleware, Result at /r and
// Webhook at /w. Every hook checks that what reached it was signed: the
// webhook's Handle verifies the raw body Fiber holds against the
// signature header itself, and the fulfilment hook accepts only the one
// order and payment the seeds sign (the fuzzer cannot forge an HMAC).
func fuzzApp(tb testing.TB, current *atomic.Pointer[testing.T], reached *atomic.Int64) *fiber.App {
	errorf := func(format string, args ...any) {
		if t := current.Load(); t != nil {
			t.Errorf(format, args...)
		}
	}
	verifyRaw := func(ctx context.Context, what string) {
		c, ok := ctx.Value(fuzzCtxKey{}).(fiber.Ctx)
		if !ok {
			errorf("%s: no fiber.Ctx in the context", what)
			return
		}
		if c.Path() != "/w" {
			return
		}
		if err := webhook.Verify(c.Request().Body(), c.Get(webhook.SignatureHeader), adaptertest.WebhookSecret); err != nil {
			errorf("%s reached with a body that does not verify: %v", what, err)
		}
	}
	f := adaptertest.NewFulfilment(tb, func(ctx context.Context, o glomo.PaidOrder) error {
		reached.Add(1)
		if o.OrderID != adaptertest.Order || o.PaymentID != adaptertest.Payment {
			errorf("fulfilment hook reached for an unsigned order %q payment %q", o.OrderID, o.PaymentID)
		}
		verifyRaw(ctx, "fulfilment hook")
		return nil
	})
	rh := adaptertest.NewResultHandlerFor(tb, f, nil)
	wh := adaptertest.NewWebhookHandler(tb, f, glomofiber.OnWebhook(func(c fiber.Ctx, e webhook.Event) error {
		reached.Add(1)
		verifyRaw(c.Context(), "Handle")
		if !bytes.Equal(e.Raw, c.Request().Body()) {
			errorf("the event is not the raw body")
		}
		return nil
	}))
	app := fiber.New(fiber.Config{BodyLimit: 8 << 10})
	app.Use(glomofiber.Headers(glomo.WithNonce(), glomo.WithLogger(adaptertest.Quiet)))
	app.Use(func(c fiber.Ctx) error {
		c.SetContext(context.WithValue(c.Context(), fuzzCtxKey{}, c))
		return c.Next()
	})
	app.All("/r", glomofiber.Result(rh))
	app.All("/w", glomofiber.Webhook(wh))
	app.Handler() // runs Fiber's start-up, as Listen and Test do
	return app
}

func fuzzSeeds() []string {
	signed := glomotest.NewWebhookRequest("/w", "payment", "in_progress", map[string]string{"id": "payt_f", "status": "in_progress"}, adaptertest.WebhookSecret)
	body, _ := io.ReadAll(signed.Body)
	sig := signed.Header.Get(webhook.SignatureHeader)
	paid := glomotest.NewWebhookRequest("/w", "payment", "success", map[string]string{"id": adaptertest.Payment, "order_id": adaptertest.Order, "status": "success"}, adaptertest.WebhookSecret)
	paidBody, _ := io.ReadAll(paid.Body)
	result := adaptertest.SuccessJSON(adaptertest.Order)
	req := func(method, path, headers, body string) string {
		return fmt.Sprintf("%s %s HTTP/1.1\r\nHost: shop.test\r\n%s\r\n%s", method, path, headers, body)
	}
	cl := func(b string) string { return fmt.Sprintf("Content-Length: %d\r\n", len(b)) }
	return []string{
		req("POST", "/w", "Content-Type: application/json\r\nX-Glomopay-Signature: "+sig+"\r\n"+cl(string(body)), string(body)),
		req("POST", "/w", "Content-Type: application/json\r\nX-Glomopay-Signature: "+paid.Header.Get(webhook.SignatureHeader)+"\r\n"+cl(string(paidBody)), string(paidBody)),
		req("POST", "/r", "Content-Type: application/json\r\n"+cl(result), result),
		req("GET", strings.TrimPrefix(glomotest.CallbackURL("/r", adaptertest.Order, adaptertest.Payment, "success", adaptertest.Secret), ""), "", ""),
		req("POST", "/w", "Content-Type: application/json\r\nX-Glomopay-Signature: "+sig+"\r\nX-Glomopay-Signature: "+sig+"\r\n"+cl(string(body)), string(body)),
		req("POST", "/w", "X-Glomopay-Signature: "+sig+"\r\nContent-Length: 5\r\nContent-Length: 7\r\n", string(body)),
		req("POST", "/w", "X-Glomopay-Signature: "+sig+"\r\nTransfer-Encoding: chunked\r\n", fmt.Sprintf("%x\r\n%s\r\n0\r\n\r\n", len(body), body)),
		req("POST", "/w", "X-Glomopay-Signature: "+sig+"\r\nTransfer-Encoding: chunked\r\n"+cl(string(body)), string(body)),
		req("POST", "/r", "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 20\r\n", "orderId=a&orderId=b&"),
		req("POST", "/r", "Content-Type: application/json\r\nContent-Length: 999999\r\n", "{"),
		req("BREW", "/w", "", ""),
		req("GET", "/r?orderId=%zz&status=", "", "") + req("DELETE", "/r", "", ""),
		req("POST", "/w?x=1", "Content-Type: application/json; charset=\"\r\nContent-Encoding: gzip\r\n"+cl("\x1f\x8b"), "\x1f\x8b"),
		"POST /w HTTP/1.0\r\n\r\n",
		"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
		"\r\n\r\n",
	}
}

// serveRaw serves raw, one connection's bytes, and returns the statuses
// of the responses.
func serveRaw(t *testing.T, app *fiber.App, raw []byte) []int {
	conn := &rawConn{in: bytes.NewReader(raw)}
	_ = app.Server().ServeConn(conn) // parse errors are answered, then returned
	rd := bufio.NewReader(&conn.out)
	var statuses []int
	for {
		res, err := http.ReadResponse(rd, nil)
		if err != nil {
			return statuses // no more responses, or one net/http cannot read
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		statuses = append(statuses, res.StatusCode)
		if res.StatusCode >= 500 && res.StatusCode != http.StatusNotImplemented {
			t.Fatalf("%d for client input %q: %s", res.StatusCode, raw, body)
		}
	}
}

// TestFuzzSeeds checks that the seeds exercise the paths the fuzz target
// guards: signed deliveries and results reach the hooks.
func TestFuzzSeeds(t *testing.T) {
	var current atomic.Pointer[testing.T]
	var reached atomic.Int64
	current.Store(t)
	app := fuzzApp(t, &current, &reached)
	var all []int
	for _, s := range fuzzSeeds() {
		all = append(all, serveRaw(t, app, []byte(s))...)
	}
	assert.Contains(t, all, http.StatusOK)
	assert.Contains(t, all, http.StatusUnauthorized)
	assert.Contains(t, all, http.StatusBadRequest)
	assert.Contains(t, all, http.StatusMethodNotAllowed)
	assert.GreaterOrEqual(t, reached.Load(), int64(2), "Handle and the fulfilment hook ran")
}

// FuzzFiberRequestPath sends raw HTTP/1.1 bytes, parsed by fasthttp, to
// a Fiber app with Result and Webhook mounted: no panic, no 5xx but
// Fiber's 501 for a method it does not know (RFC 9110's answer), and
// only signed input reaches a hook.
func FuzzFiberRequestPath(f *testing.F) {
	for _, s := range fuzzSeeds() {
		f.Add([]byte(s))
	}
	var current atomic.Pointer[testing.T]
	var reached atomic.Int64
	app := fuzzApp(f, &current, &reached)
	f.Fuzz(func(t *testing.T, raw []byte) {
		current.Store(t)
		defer current.Store(nil)
		serveRaw(t, app, raw)
	})
}
