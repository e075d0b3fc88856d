package glomo_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/glomokit/glomo"
	"github.com/glomokit/glomo/glomotest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	testSecret    = "sk_test_4f9c2e71b8a3d6"
	oldSecret     = "sk_test_old_91ab27cd"
	testOrder     = "order_679a16457aP6K"
	testPayment   = "payt_679a16457aP6K"
	resultPath    = "/payment-result"
	otherOrder    = "order_someone_else"
	expectedOrder = testOrder
)

var testSig = glomo.Sign(testOrder, testPayment, "success", testSecret)

// expectFixed is an ExpectedOrder hook for tests: every visitor awaits order.
func expectFixed(order string) func(*http.Request) (string, error) {
	return func(*http.Request) (string, error) { return order, nil }
}

// fulfilWith returns a Fulfilment running hook, on a fresh MemoryStore
// unless opts give a store, logging nowhere.
func fulfilWith(t testing.TB, hook glomo.FulfilFunc, opts ...glomo.FulfilmentOptions) *glomo.Fulfilment {
	t.Helper()
	var o glomo.FulfilmentOptions
	if len(opts) > 0 {
		o = opts[0]
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	f, err := glomo.NewFulfilment(hook, o)
	require.NoError(t, err)
	return f
}

// newHandler builds a handler with test defaults, changed by mods.
func newHandler(t testing.TB, mods ...func(*glomo.ResultHandlerOptions)) *glomo.ResultHandler {
	t.Helper()
	opts := glomo.ResultHandlerOptions{
		Secrets:       []string{testSecret, oldSecret},
		ExpectedOrder: expectFixed(expectedOrder),
		Fulfilment:    fulfilWith(t, func(context.Context, glomo.PaidOrder) error { return nil }),
		Logger:        slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	for _, m := range mods {
		m(&opts)
	}
	h, err := glomo.NewResultHandler(opts)
	require.NoError(t, err)
	return h
}

func getReq(query string) *http.Request {
	return httptest.NewRequest(http.MethodGet, resultPath+"?"+query, nil)
}

func jsonReq(body string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, resultPath, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	return r
}

func formReq(body string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, resultPath, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return r
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func sig(order, payment, status, secret string) string {
	return glomo.Sign(order, payment, status, secret)
}

// captured records the Payment handed to OnResult.
type captured struct {
	p      glomo.Payment
	called bool
	ctxOK  bool
}

func (c *captured) onResult(w http.ResponseWriter, r *http.Request, p glomo.Payment) {
	c.p, c.called = p, true
	fromCtx, ok := glomo.PaymentFromContext(r.Context())
	c.ctxOK = ok && fromCtx == p
	w.WriteHeader(http.StatusNoContent)
}

type confirmStub struct {
	c   glomo.Confirmation
	err error
}

func (s confirmStub) confirm(_ context.Context, orderID, _ string) (glomo.Confirmation, error) {
	if orderID != expectedOrder {
		return glomo.Confirmation{}, errors.New("wrong order looked up")
	}
	return s.c, s.err
}

func TestResultHandlerClassifies(t *testing.T) {
	failedSig := sig(testOrder, testPayment, "failed", testSecret)
	tests := []struct {
		name    string
		req     *http.Request
		confirm *confirmStub
		want    glomo.Payment
	}{
		{
			name: "signed success redirect",
			req:  getReq("status=success&orderId=" + testOrder + "&paymentId=" + testPayment + "&signature=" + testSig),
			want: glomo.Payment{Outcome: glomo.OutcomeSuccess, OrderID: testOrder, PaymentID: testPayment, Status: "success", Source: glomo.SourceRedirect},
		},
		{
			name: "signed success redirect, payment_id and upper-case hex",
			req:  getReq("status=success&orderId=" + testOrder + "&payment_id=" + testPayment + "&signature=" + strings.ToUpper(testSig)),
			want: glomo.Payment{Outcome: glomo.OutcomeSuccess, OrderID: testOrder, PaymentID: testPayment, Status: "success", Source: glomo.SourceRedirect},
		},
		{
			name: "signed success redirect with the old key",
			req:  getReq("status=success&orderId=" + testOrder + "&paymentId=" + testPayment + "&signature=" + sig(testOrder, testPayment, "success", oldSecret)),
			want: glomo.Payment{Outcome: glomo.OutcomeSuccess, OrderID: testOrder, PaymentID: testPayment, Status: "success", Source: glomo.SourceRedirect},
		},
		{
			name: "redirect with tracking parameters",
			req:  getReq("utm_source=x&status=success&orderId=" + testOrder + "&paymentId=" + testPayment + "&signature=" + testSig),
			want: glomo.Payment{Outcome: glomo.OutcomeSuccess, OrderID: testOrder, PaymentID: testPayment, Status: "success", Source: glomo.SourceRedirect},
		},
		{
			name: "signed failed redirect",
			req:  getReq("status=failed&orderId=" + testOrder + "&paymentId=" + testPayment + "&signature=" + failedSig),
			want: glomo.Payment{Outcome: glomo.OutcomeFailure, OrderID: testOrder, PaymentID: testPayment, Status: "failed", Source: glomo.SourceRedirect},
		},
		{
			name: "redirect without payment id, no confirm hook",
			req:  getReq("status=success&orderId=" + testOrder + "&signature=" + testSig),
			want: glomo.Payment{Outcome: glomo.OutcomePending, OrderID: testOrder, Status: "success", Source: glomo.SourceRedirect},
		},
		{
			name: "redirect without signature, no confirm hook",
			req:  getReq("status=success&orderId=" + testOrder + "&paymentId=" + testPayment),
			want: glomo.Payment{Outcome: glomo.OutcomePending, OrderID: testOrder, PaymentID: testPayment, Status: "success", Source: glomo.SourceRedirect},
		},
		{
			name:    "redirect without payment id, confirmed paid",
			req:     getReq("status=success&orderId=" + testOrder + "&signature=" + testSig),
			confirm: &confirmStub{c: glomo.Confirmation{Outcome: glomo.OutcomeSuccess, PaymentID: "payt_server", Status: "paid"}},
			want:    glomo.Payment{Outcome: glomo.OutcomeSuccess, OrderID: testOrder, PaymentID: "payt_server", Status: "paid", Source: glomo.SourceRedirect, ConfirmedServerSide: true},
		},
		{
			name:    "unsigned failed redirect, confirmed failed",
			req:     getReq("status=failed&orderId=" + testOrder),
			confirm: &confirmStub{c: glomo.Confirmation{Outcome: glomo.OutcomeFailure, Status: "failed"}},
			want:    glomo.Payment{Outcome: glomo.OutcomeFailure, OrderID: testOrder, Status: "failed", Source: glomo.SourceRedirect, ConfirmedServerSide: true},
		},
		{
			name:    "unverifiable redirect, confirm says pending",
			req:     getReq("status=success&orderId=" + testOrder),
			confirm: &confirmStub{c: glomo.Confirmation{Outcome: glomo.OutcomePending, Status: "in_progress"}},
			want:    glomo.Payment{Outcome: glomo.OutcomePending, OrderID: testOrder, Status: "in_progress", Source: glomo.SourceRedirect},
		},
		{
			name:    "unverifiable redirect, confirm fails",
			req:     getReq("status=success&orderId=" + testOrder),
			confirm: &confirmStub{err: errors.New("api unreachable")},
			want:    glomo.Payment{Outcome: glomo.OutcomePending, OrderID: testOrder, Status: "success", Source: glomo.SourceRedirect},
		},
		{
			name:    "unverifiable redirect, confirm returns a nonsense outcome",
			req:     getReq("status=success&orderId=" + testOrder),
			confirm: &confirmStub{c: glomo.Confirmation{Outcome: glomo.OutcomeFailureHint}},
			want:    glomo.Payment{Outcome: glomo.OutcomePending, OrderID: testOrder, Status: "success", Source: glomo.SourceRedirect},
		},
		{
			name:    "signed non-final status goes to confirm",
			req:     getReq("status=in_progress&orderId=" + testOrder + "&paymentId=" + testPayment + "&signature=" + sig(testOrder, testPayment, "in_progress", testSecret)),
			confirm: &confirmStub{c: glomo.Confirmation{Outcome: glomo.OutcomeSuccess, Status: "success"}},
			want:    glomo.Payment{Outcome: glomo.OutcomeSuccess, OrderID: testOrder, PaymentID: testPayment, Status: "success", Source: glomo.SourceRedirect, ConfirmedServerSide: true},
		},
		{
			name: "posted success, camelCase JSON",
			req:  jsonReq(mustJSON(glomotest.SignedSuccess(testOrder, testPayment, testSecret))),
			want: glomo.Payment{Outcome: glomo.OutcomeSuccess, OrderID: testOrder, PaymentID: testPayment, Status: "success", Source: glomo.SourcePost},
		},
		{
			name: "posted success, snake_case JSON with event",
			req: jsonReq(mustJSON(map[string]string{"event": "payment.success", "order_id": testOrder,
				"payment_id": testPayment, "status": "success", "signature": testSig})),
			want: glomo.Payment{Outcome: glomo.OutcomeSuccess, OrderID: testOrder, PaymentID: testPayment, Status: "success", Source: glomo.SourcePost},
		},
		{
			name: "posted success, form",
			req:  formReq(url.Values{"order_id": {testOrder}, "paymentId": {testPayment}, "status": {"success"}, "signature": {testSig}}.Encode()),
			want: glomo.Payment{Outcome: glomo.OutcomeSuccess, OrderID: testOrder, PaymentID: testPayment, Status: "success", Source: glomo.SourcePost},
		},
		{
			name: "posted success with unknown extra keys and nulls",
			req:  jsonReq(`{"orderId":"` + testOrder + `","paymentId":"` + testPayment + `","status":"success","signature":"` + testSig + `","amount":100,"meta":{"a":[1,2]},"error":null}`),
			want: glomo.Payment{Outcome: glomo.OutcomeSuccess, OrderID: testOrder, PaymentID: testPayment, Status: "success", Source: glomo.SourcePost},
		},
		{
			name: "posted failure event, JSON",
			req: jsonReq(`{"orderId":"` + testOrder + `","paymentId":"` + testPayment +
				`","status":"failed","error":{"code":"INVALID_CARD","message":"Card not eligible for international payments"}}`),
			want: glomo.Payment{Outcome: glomo.OutcomeFailureHint, OrderID: testOrder, PaymentID: testPayment, Status: "failed", Source: glomo.SourcePost,
				ErrorCode: "INVALID_CARD", ErrorMessage: "Card not eligible for international payments"},
		},
		{
			name: "posted failure event by event name, form",
			req:  formReq("event=payment.failure&order_id=" + testOrder + "&error_code=PAYMENT_DECLINED&error_message=Declined"),
			want: glomo.Payment{Outcome: glomo.OutcomeFailureHint, OrderID: testOrder, Source: glomo.SourcePost,
				ErrorCode: "PAYMENT_DECLINED", ErrorMessage: "Declined"},
		},
		{
			name: "posted bank transfer, camelCase",
			req:  jsonReq(`{"orderId":"` + testOrder + `","senderAccountNumber":"DE89370400440532013000","transactionReference":"TRX-1"}`),
			want: glomo.Payment{Outcome: glomo.OutcomeBankTransferSubmitted, OrderID: testOrder, Source: glomo.SourcePost,
				SenderAccountNumber: "DE89370400440532013000", TransactionReference: "TRX-1"},
		},
		{
			name: "posted bank transfer, snake_case form with event",
			req:  formReq("event=payment.bank_transfer_submitted&order_id=" + testOrder + "&sender_account_number=123&transaction_reference=REF"),
			want: glomo.Payment{Outcome: glomo.OutcomeBankTransferSubmitted, OrderID: testOrder, Source: glomo.SourcePost,
				SenderAccountNumber: "123", TransactionReference: "REF"},
		},
		{
			name: "posted unsigned success is pending",
			req:  jsonReq(`{"orderId":"` + testOrder + `","paymentId":"` + testPayment + `","status":"success"}`),
			want: glomo.Payment{Outcome: glomo.OutcomePending, OrderID: testOrder, PaymentID: testPayment, Status: "success", Source: glomo.SourcePost},
		},
		{
			name: "posted signed failure is verified",
			req: jsonReq(`{"orderId":"` + testOrder + `","paymentId":"` + testPayment + `","status":"failed","signature":"` + failedSig +
				`","error":{"code":"CARD_EXPIRED","message":"x"}}`),
			want: glomo.Payment{Outcome: glomo.OutcomeFailure, OrderID: testOrder, PaymentID: testPayment, Status: "failed", Source: glomo.SourcePost},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got captured
			h := newHandler(t, func(o *glomo.ResultHandlerOptions) {
				o.OnResult = got.onResult
				if tc.confirm != nil {
					o.Confirm = tc.confirm.confirm
				}
			})
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, tc.req)
			require.Equal(t, http.StatusNoContent, rec.Code, rec.Body.String())
			require.True(t, got.called)
			assert.Equal(t, "no-referrer", rec.Header().Get("Referrer-Policy"), "OnResult's page cannot leak the URL's signature")
			assert.True(t, got.ctxOK, "PaymentFromContext returns the same Payment")
			assert.Equal(t, tc.want, got.p)
		})
	}
}

func TestPaymentFromContextEmpty(t *testing.T) {
	_, ok := glomo.PaymentFromContext(context.Background())
	assert.False(t, ok)
}

// errorCase is a request the handler must refuse.
type errorCase struct {
	name      string
	req       *http.Request
	status    int
	code      string
	opts      func(*glomo.ResultHandlerOptions)
	wantAllow bool
}

func okQuery() url.Values {
	return url.Values{"status": {"success"}, "orderId": {testOrder}, "paymentId": {testPayment}, "signature": {testSig}}
}

func with(v url.Values, key string, vals ...string) string {
	v = cloneValues(v)
	if vals == nil {
		v.Del(key)
	} else {
		v[key] = vals
	}
	return v.Encode()
}

func cloneValues(v url.Values) url.Values {
	c := url.Values{}
	for k, vs := range v {
		c[k] = append([]string(nil), vs...)
	}
	return c
}

// TestResultHandlerLongestField checks that a field of exactly the
// longest accepted length (256 bytes; 257 is refused in errorCases) is
// verified like any other.
func TestResultHandlerLongestField(t *testing.T) {
	payment := strings.Repeat("p", 256)
	var got captured
	h := newHandler(t, func(o *glomo.ResultHandlerOptions) { o.OnResult = got.onResult })
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, getReq(with(with2(okQuery(), "signature", sig(testOrder, payment, "success", testSecret)), "paymentId", payment)))
	require.Equal(t, http.StatusNoContent, rec.Code, rec.Body.String())
	assert.Equal(t, glomo.OutcomeSuccess, got.p.Outcome)
	assert.Equal(t, payment, got.p.PaymentID)
}

func errorCases() []errorCase {
	q := okQuery()
	big := `{"orderId":"` + testOrder + `","pad":"` + strings.Repeat("x", 70<<10) + `"}`
	sigShort := testSig[:63]
	return []errorCase{
		{name: "PUT", req: httptest.NewRequest(http.MethodPut, resultPath, nil), status: 405, code: glomo.CodeMethodNotAllowed, wantAllow: true},
		{name: "HEAD", req: httptest.NewRequest(http.MethodHead, resultPath, nil), status: 405, code: glomo.CodeMethodNotAllowed, wantAllow: true},
		{name: "DELETE", req: httptest.NewRequest(http.MethodDelete, resultPath, nil), status: 405, code: glomo.CodeMethodNotAllowed, wantAllow: true},
		{name: "body over the default limit", req: jsonReq(big), status: 413, code: glomo.CodeBodyTooLarge},
		{name: "body over a configured limit", req: jsonReq(mustJSON(glomotest.SignedSuccess(testOrder, testPayment, testSecret))), status: 413, code: glomo.CodeBodyTooLarge,
			opts: func(o *glomo.ResultHandlerOptions) { o.MaxBodyBytes = 50 }},
		{name: "no content type", req: httptest.NewRequest(http.MethodPost, resultPath, strings.NewReader("{}")), status: 415, code: glomo.CodeUnsupportedMediaType},
		{name: "text/plain", req: withCT(jsonReq("{}"), "text/plain"), status: 415, code: glomo.CodeUnsupportedMediaType},
		{name: "multipart", req: withCT(jsonReq("{}"), "multipart/form-data; boundary=x"), status: 415, code: glomo.CodeUnsupportedMediaType},
		{name: "garbage content type", req: withCT(jsonReq("{}"), "application/json; ;;="), status: 415, code: glomo.CodeUnsupportedMediaType},
		{name: "malformed JSON", req: jsonReq(`{"orderId":`), status: 400, code: glomo.CodeMalformedJSON},
		{name: "JSON array", req: jsonReq(`[1,2]`), status: 400, code: glomo.CodeMalformedJSON},
		{name: "JSON string", req: jsonReq(`"x"`), status: 400, code: glomo.CodeMalformedJSON},
		{name: "empty JSON body", req: jsonReq(``), status: 400, code: glomo.CodeMalformedJSON},
		{name: "JSON trailing data", req: jsonReq(mustJSON(glomotest.SignedSuccess(testOrder, testPayment, testSecret)) + `{}`), status: 400, code: glomo.CodeMalformedJSON},
		{name: "JSON number field", req: jsonReq(`{"orderId":123}`), status: 400, code: glomo.CodeInvalidParameter},
		{name: "JSON error not object", req: jsonReq(`{"orderId":"` + testOrder + `","error":"boom"}`), status: 400, code: glomo.CodeInvalidParameter},
		{name: "JSON duplicate key", req: jsonReq(`{"orderId":"` + testOrder + `","orderId":"` + otherOrder + `"}`), status: 400, code: glomo.CodeRepeatedParameter},
		{name: "JSON both spellings", req: jsonReq(`{"orderId":"` + testOrder + `","order_id":"` + testOrder + `"}`), status: 400, code: glomo.CodeRepeatedParameter},
		{name: "JSON duplicate error", req: jsonReq(`{"orderId":"` + testOrder + `","error":{},"error":{}}`), status: 400, code: glomo.CodeRepeatedParameter},
		{name: "JSON error code too long", req: jsonReq(`{"orderId":"` + testOrder + `","error":{"code":"` + strings.Repeat("C", 257) + `","message":"m"}}`), status: 400, code: glomo.CodeInvalidParameter},
		{name: "JSON error message too long", req: jsonReq(`{"orderId":"` + testOrder + `","error":{"code":"C","message":"` + strings.Repeat("m", 257) + `"}}`), status: 400, code: glomo.CodeInvalidParameter},
		{name: "malformed form", req: formReq("orderId=%zz"), status: 400, code: glomo.CodeMalformedForm},
		{name: "form repeated", req: formReq("orderId=a&orderId=b"), status: 400, code: glomo.CodeRepeatedParameter},
		{name: "form error key", req: formReq("orderId=" + testOrder + "&error=x"), status: 400, code: glomo.CodeInvalidParameter},
		{name: "malformed query", req: getReq("status=%zz"), status: 400, code: glomo.CodeMalformedQuery},
		{name: "query with semicolon", req: getReq("status=success;orderId=x"), status: 400, code: glomo.CodeMalformedQuery},
		{name: "repeated status", req: getReq(with(q, "status", "success", "failed")), status: 400, code: glomo.CodeRepeatedParameter},
		{name: "repeated signature", req: getReq(with(q, "signature", testSig, testSig)), status: 400, code: glomo.CodeRepeatedParameter},
		{name: "paymentId and payment_id", req: getReq(with(q, "payment_id", testPayment)), status: 400, code: glomo.CodeRepeatedParameter},
		{name: "missing orderId", req: getReq(with(q, "orderId")), status: 400, code: glomo.CodeMissingParameter},
		{name: "empty orderId", req: getReq(with(q, "orderId", "")), status: 400, code: glomo.CodeMissingParameter},
		{name: "missing status in redirect", req: getReq(with(q, "status")), status: 400, code: glomo.CodeMissingParameter},
		{name: "missing status in signed post", req: jsonReq(`{"orderId":"` + testOrder + `","paymentId":"` + testPayment + `","signature":"` + testSig + `"}`), status: 400, code: glomo.CodeMissingParameter},
		{name: "overlong field", req: getReq(with(q, "paymentId", strings.Repeat("p", 257))), status: 400, code: glomo.CodeInvalidParameter},
		{name: "unknown event", req: jsonReq(`{"event":"checkout.hacked","orderId":"` + testOrder + `"}`), status: 400, code: glomo.CodeUnknownEvent},
		{name: "order mismatch, redirect", req: getReq(with(q, "orderId", otherOrder)), status: 400, code: glomo.CodeOrderMismatch},
		{name: "order mismatch, validly signed for the other order", req: getReq(with(with2(q, "signature", sig(otherOrder, testPayment, "success", testSecret)), "orderId", otherOrder)), status: 400, code: glomo.CodeOrderMismatch},
		{name: "order mismatch, post", req: jsonReq(mustJSON(glomotest.SignedSuccess(otherOrder, testPayment, testSecret))), status: 400, code: glomo.CodeOrderMismatch},
		{name: "order mismatch, bank transfer", req: jsonReq(`{"orderId":"` + otherOrder + `","transactionReference":"x"}`), status: 400, code: glomo.CodeOrderMismatch},
		{name: "bad signature", req: getReq(with(q, "signature", sig(testOrder, testPayment, "success", "wrong"))), status: 400, code: glomo.CodeSignatureMismatch},
		{name: "signature for failed, status success", req: getReq(with(q, "signature", sig(testOrder, testPayment, "failed", testSecret))), status: 400, code: glomo.CodeSignatureMismatch},
		{name: "signature for another payment", req: getReq(with(q, "paymentId", "payt_other")), status: 400, code: glomo.CodeSignatureMismatch},
		{name: "status changed", req: getReq(with(q, "status", "SUCCESS")), status: 400, code: glomo.CodeSignatureMismatch},
		{name: "short signature", req: getReq(with(q, "signature", sigShort)), status: 400, code: glomo.CodeMalformedSignature},
		{name: "non-hex signature", req: getReq(with(q, "signature", "g"+testSig[1:])), status: 400, code: glomo.CodeMalformedSignature},
		{name: "pipe in payment id", req: getReq(with(q, "paymentId", "a|b")), status: 400, code: glomo.CodeInvalidParameter},
		{name: "no expected order", req: getReq(q.Encode()), status: 400, code: glomo.CodeUnknownOrder,
			opts: func(o *glomo.ResultHandlerOptions) {
				o.ExpectedOrder = func(*http.Request) (string, error) { return "", glomo.ErrNoExpectedOrder }
			}},
		{name: "no expected order, wrapped", req: getReq(q.Encode()), status: 400, code: glomo.CodeUnknownOrder,
			opts: func(o *glomo.ResultHandlerOptions) {
				o.ExpectedOrder = func(*http.Request) (string, error) { return "", fmt.Errorf("session: %w", glomo.ErrNoExpectedOrder) }
			}},
		{name: "expected order empty", req: getReq(q.Encode()), status: 400, code: glomo.CodeUnknownOrder,
			opts: func(o *glomo.ResultHandlerOptions) { o.ExpectedOrder = expectFixed("") }},
	}
}

func with2(v url.Values, key string, vals ...string) url.Values {
	u, _ := url.ParseQuery(with(v, key, vals...))
	return u
}

func withCT(r *http.Request, ct string) *http.Request {
	r.Header.Set("Content-Type", ct)
	return r
}

func TestResultHandlerRefusesBadInput(t *testing.T) {
	for _, tc := range errorCases() {
		t.Run(tc.name, func(t *testing.T) {
			var logBuf bytes.Buffer
			called := false
			h := newHandler(t, func(o *glomo.ResultHandlerOptions) {
				o.Logger = slog.New(slog.NewJSONHandler(&logBuf, &slog.HandlerOptions{Level: slog.LevelDebug}))
				o.OnResult = func(http.ResponseWriter, *http.Request, glomo.Payment) { called = true }
				o.Fulfilment = fulfilWith(t, func(context.Context, glomo.PaidOrder) error { called = true; return nil })
				if tc.opts != nil {
					tc.opts(o)
				}
			})
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, tc.req)
			assert.Equal(t, tc.status, rec.Code)
			assert.False(t, called, "a refused result reached the merchant's code")
			assert.Equal(t, "application/json; charset=utf-8", rec.Header().Get("Content-Type"))
			var body glomo.ErrorBody
			require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &body), rec.Body.String())
			assert.Equal(t, tc.code, body.Code)
			assert.NotEmpty(t, body.Message)
			if tc.wantAllow {
				assert.Equal(t, "GET, POST", rec.Header().Get("Allow"))
			}
			assertNoLeak(t, rec.Body.String(), "body")
			assertNoLeak(t, logBuf.String(), "log")
		})
	}
}

// assertNoLeak fails if s holds a secret or any signature of the tests.
func assertNoLeak(t *testing.T, s, what string) {
	t.Helper()
	for _, v := range []string{testSecret, oldSecret, testSig, strings.ToUpper(testSig), testSig[:63],
		sig(otherOrder, testPayment, "success", testSecret), sig(testOrder, testPayment, "failed", testSecret),
		sig(testOrder, testPayment, "success", "wrong")} {
		assert.NotContains(t, s, v, "%s leaks a secret or signature", what)
	}
}

func TestNewResultHandlerConfigErrors(t *testing.T) {
	good := glomo.ResultHandlerOptions{Secrets: []string{testSecret}, ExpectedOrder: expectFixed(testOrder),
		Fulfilment: fulfilWith(t, func(context.Context, glomo.PaidOrder) error { return nil })}
	tests := []struct {
		name string
		mod  func(*glomo.ResultHandlerOptions)
		is   error
	}{
		{"no secrets", func(o *glomo.ResultHandlerOptions) { o.Secrets = nil }, glomo.ErrNoSecret},
		{"empty secret", func(o *glomo.ResultHandlerOptions) { o.Secrets = []string{testSecret, ""} }, glomo.ErrNoSecret},
		{"no ExpectedOrder", func(o *glomo.ResultHandlerOptions) { o.ExpectedOrder = nil }, nil},
		{"no Fulfilment", func(o *glomo.ResultHandlerOptions) { o.Fulfilment = nil }, nil},
		{"negative MaxBodyBytes", func(o *glomo.ResultHandlerOptions) { o.MaxBodyBytes = -1 }, nil},
		{"relative RedirectURL", func(o *glomo.ResultHandlerOptions) { o.RedirectURL = "done" }, nil},
		{"unparsable RedirectURL", func(o *glomo.ResultHandlerOptions) { o.RedirectURL = "http://[::1" }, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			opts := good
			tc.mod(&opts)
			h, err := glomo.NewResultHandler(opts)
			require.Error(t, err)
			assert.Nil(t, h)
			if tc.is != nil {
				assert.ErrorIs(t, err, tc.is)
			}
			assert.NotContains(t, err.Error(), testSecret)
			assert.Panics(t, func() { glomo.MustNewResultHandler(opts) })
		})
	}
	h, err := glomo.NewResultHandler(good)
	require.NoError(t, err)
	require.NotNil(t, h)
	assert.NotPanics(t, func() { glomo.MustNewResultHandler(good) })
}

func TestNewResultHandlerCopiesSecrets(t *testing.T) {
	secrets := []string{testSecret}
	h := newHandler(t, func(o *glomo.ResultHandlerOptions) { o.Secrets = secrets })
	secrets[0] = "changed"
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, getReq(okQuery().Encode()))
	assert.Equal(t, http.StatusOK, rec.Code)
}
