package glomoapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/glomokit/glomo"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const testKey = "sk_test_very_secret"

// newServer returns a client talking to an httptest server that checks the
// auth header and answers with h.
func newServer(t *testing.T, h http.HandlerFunc) *Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+testKey {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	c, err := New(testKey, WithBaseURL(srv.URL+"/api/v1"))
	require.NoError(t, err)
	return c
}

// answeringTransport answers every request in memory with one status and
// body, so that fuzz targets and benchmarks spend their time in the
// client's own work rather than on sockets.
type answeringTransport struct {
	status int
	body   []byte
}

func (a answeringTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Body != nil {
		_, _ = io.Copy(io.Discard, r.Body)
		_ = r.Body.Close()
	}
	return &http.Response{
		StatusCode: a.status, Header: http.Header{"Content-Type": {"application/json"}},
		Body: io.NopCloser(bytes.NewReader(a.body)), Request: r,
	}, nil
}

// newAnsweringClient returns a client whose every call gets status and body.
func newAnsweringClient(tb testing.TB, status int, body []byte) *Client {
	tb.Helper()
	c, err := New(testKey, WithHTTPClient(&http.Client{Transport: answeringTransport{status, body}}))
	require.NoError(tb, err)
	return c
}

func TestCreateOrder(t *testing.T) {
	c := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, http.MethodPost, r.Method)
		assert.Equal(t, "/api/v1/orders", r.URL.Path)
		assert.Equal(t, "application/json", r.Header.Get("Content-Type"))
		b, _ := io.ReadAll(r.Body)
		assert.JSONEq(t, `{"customer_id":"cust_1","amount":1999,"currency":"USD","request_id":"req-1",
			"product":{"name":"Mug"},"payment_methods":["card"]}`, string(b))
		fmt.Fprint(w, `{"id":"order_abc","status":"active","amount":1999,"currency":"USD","customer_id":"cust_1"}`)
	})
	o, err := c.CreateOrder(context.Background(), CreateOrderRequest{
		CustomerID: "cust_1", Amount: 1999, Currency: "USD", RequestID: "req-1",
		Product: &Product{Name: "Mug"}, PaymentMethods: []string{"card"},
	})
	require.NoError(t, err)
	assert.Equal(t, "order_abc", o.ID)
	assert.Equal(t, OrderActive, o.Status)
	assert.Equal(t, int64(1999), o.Amount)
}

func TestCreateOrderValidates(t *testing.T) {
	c := newServer(t, func(w http.ResponseWriter, r *http.Request) { t.Error("no request expected") })
	for name, req := range map[string]CreateOrderRequest{
		"no customer": {Amount: 1, Currency: "USD"},
		"no amount":   {CustomerID: "c", Currency: "USD"},
		"no currency": {CustomerID: "c", Amount: 1},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := c.CreateOrder(context.Background(), req)
			assert.ErrorIs(t, err, ErrInvalidRequest)
		})
	}
}

func TestGetOrderAndPaymentPaths(t *testing.T) {
	c := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, http.MethodGet, r.Method)
		switch r.URL.EscapedPath() {
		case "/api/v1/orders/order_1":
			fmt.Fprint(w, `{"id":"order_1","status":"paid","amount":5,"currency":"USD"}`)
		case "/api/v1/payment/payt_1":
			fmt.Fprint(w, `{"id":"payt_1","payin_id":"payin_1","status":"success","funds_available":true,"amount":5,"currency":"USD"}`)
		case "/api/v1/orders/a%2Fb":
			fmt.Fprint(w, `{"id":"a/b","status":"active"}`)
		default:
			t.Errorf("unexpected path %s", r.URL.EscapedPath())
			w.WriteHeader(http.StatusNotFound)
		}
	})
	ctx := context.Background()
	o, err := c.GetOrder(ctx, "order_1")
	require.NoError(t, err)
	assert.Equal(t, "paid", o.Status)
	p, err := c.GetPayment(ctx, "payt_1")
	require.NoError(t, err)
	assert.Equal(t, "payin_1", p.PayinID)
	assert.Equal(t, "true", string(p.FundsAvailable))
	o, err = c.GetOrder(ctx, "a/b")
	require.NoError(t, err, "ids are path-escaped")
	assert.Equal(t, "a/b", o.ID)
	for _, id := range []string{"", " ", "..", "."} {
		_, err := c.GetOrder(ctx, id)
		assert.ErrorIs(t, err, ErrInvalidRequest, "id %q", id)
		_, err = c.GetPayment(ctx, id)
		assert.ErrorIs(t, err, ErrInvalidRequest, "id %q", id)
	}
}

func TestErrors(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
		check   func(t *testing.T, err error)
	}{
		{"flat JSON error", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"error":"Bad Request","message":"request_id already used","code":"DUPLICATE"}`)
		}, func(t *testing.T, err error) {
			var ae *APIError
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, 400, ae.StatusCode)
			assert.Equal(t, "Bad Request", ae.Code)
			assert.Equal(t, "request_id already used", ae.Message)
			assert.Equal(t, "DUPLICATE", ae.Detail)
			assert.False(t, ae.Temporary())
		}},
		{"HTML 502", func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusBadGateway)
			fmt.Fprint(w, `<html>bad gateway</html>`)
		}, func(t *testing.T, err error) {
			var ae *APIError
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, "Bad Gateway", ae.Code)
			assert.True(t, ae.Temporary())
		}},
		{"non-JSON 200", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, `<html>ok</html>`)
		}, func(t *testing.T, err error) { assert.ErrorIs(t, err, ErrResponse) }},
		{"one byte over the limit", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, orderOfSize(MaxResponseBytes+1))
		}, func(t *testing.T, err error) { assert.ErrorIs(t, err, ErrResponse) }},
		{"timeout", func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(2 * time.Second):
			}
		}, func(t *testing.T, err error) { assert.ErrorIs(t, err, ErrTransport) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newServer(t, tt.handler)
			// Only the timeout case should hit the deadline; the others
			// get room for a slow machine under -race.
			limit := 10 * time.Second
			if tt.name == "timeout" {
				limit = 200 * time.Millisecond
			}
			ctx, cancel := context.WithTimeout(context.Background(), limit)
			defer cancel()
			_, err := c.GetOrder(ctx, "order_1")
			require.Error(t, err)
			assert.NotContains(t, err.Error(), testKey)
			tt.check(t, err)
		})
	}
}

func TestKeyNeverPrinted(t *testing.T) {
	c, err := New(testKey)
	require.NoError(t, err)
	for _, s := range []string{fmt.Sprint(c), fmt.Sprintf("%v %+v %#v", c, c, c)} {
		assert.NotContains(t, s, testKey)
	}
	_, err = New("")
	assert.ErrorIs(t, err, ErrInvalidRequest)
	_, err = New(testKey, WithBaseURL("not a url"))
	assert.ErrorIs(t, err, ErrInvalidRequest)
	_, err = New(testKey, WithHTTPClient(nil))
	assert.ErrorIs(t, err, ErrInvalidRequest)
}

func TestConfirm(t *testing.T) {
	const paidOrder = `{"id":"order_1","status":"paid"}`
	const openOrder = `{"id":"order_1","status":"active"}`
	tests := []struct {
		name, paymentID, payment, order string
		want                            glomo.Outcome
		wantPayment, wantStatus         string
		wantPaths                       []string
		wantErr                         error
	}{
		{"payment of this order, success", "payt_1", `{"id":"payt_1","status":"success","order_id":"order_1"}`, "",
			glomo.OutcomeSuccess, "payt_1", "success", []string{"/payment/payt_1"}, nil},
		{"payment of this order, failed", "payt_1", `{"id":"payt_1","status":"failed","order_id":"order_1","error_code":"PAYMENT_DECLINED"}`, "",
			glomo.OutcomeFailure, "payt_1", "failed", []string{"/payment/payt_1"}, nil},
		{"payment of this order, in progress", "payt_1", `{"id":"payt_1","status":"in_progress","order_id":"order_1"}`, "",
			glomo.OutcomePending, "payt_1", "in_progress", []string{"/payment/payt_1"}, nil},
		{"payment of this order, under review", "payt_1", `{"id":"payt_1","status":"under_review","order_id":"order_1"}`, "",
			glomo.OutcomePending, "payt_1", "under_review", []string{"/payment/payt_1"}, nil},
		{"payment of another order", "payt_1", `{"id":"payt_1","status":"success","order_id":"order_other"}`, "",
			0, "", "", []string{"/payment/payt_1"}, ErrPaymentOrderMismatch},
		// A payment that names no order proves nothing: the order decides.
		{"successful payment without order, order open", "payt_1", `{"id":"payt_1","status":"success"}`, openOrder,
			glomo.OutcomePending, "", "active", []string{"/payment/payt_1", "/orders/order_1"}, nil},
		{"successful payment without order, order paid", "payt_1", `{"id":"payt_1","status":"success"}`, paidOrder,
			glomo.OutcomeSuccess, "", "paid", []string{"/payment/payt_1", "/orders/order_1"}, nil},
		{"failed payment without order, order open", "payt_1", `{"id":"payt_1","status":"failed"}`, openOrder,
			glomo.OutcomePending, "", "active", []string{"/payment/payt_1", "/orders/order_1"}, nil},
		{"order paid", "", "", paidOrder, glomo.OutcomeSuccess, "", "paid", []string{"/orders/order_1"}, nil},
		{"order expired", "", "", `{"id":"order_1","status":"expired"}`, glomo.OutcomeFailure, "", "expired", []string{"/orders/order_1"}, nil},
		{"order cancelled", "", "", `{"id":"order_1","status":"cancelled"}`, glomo.OutcomeFailure, "", "cancelled", []string{"/orders/order_1"}, nil},
		{"order failed", "", "", `{"id":"order_1","status":"failed"}`, glomo.OutcomeFailure, "", "failed", []string{"/orders/order_1"}, nil},
		{"order active", "", "", openOrder, glomo.OutcomePending, "", "active", []string{"/orders/order_1"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var paths []string
			c := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				path := strings.TrimPrefix(r.URL.Path, "/api/v1")
				paths = append(paths, path)
				switch path {
				case "/payment/" + tt.paymentID:
					fmt.Fprint(w, tt.payment)
				case "/orders/order_1":
					fmt.Fprint(w, tt.order)
				default:
					http.NotFound(w, r)
				}
			})
			var confirm glomo.ConfirmFunc = c.Confirm
			got, err := confirm(context.Background(), "order_1", tt.paymentID)
			assert.Equal(t, tt.wantPaths, paths)
			if tt.wantErr != nil {
				assert.ErrorIs(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, glomo.Confirmation{Outcome: tt.want, PaymentID: tt.wantPayment, Status: tt.wantStatus}, got)
		})
	}
	c := newServer(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(500) })
	_, err := c.Confirm(context.Background(), "order_1", "")
	var ae *APIError
	assert.True(t, errors.As(err, &ae))
	_, err = c.Confirm(context.Background(), "", "")
	assert.ErrorIs(t, err, ErrInvalidRequest)
}

// recordingTransport passes requests to the default transport and counts
// them, as a tracing transport would.
type recordingTransport struct{ paths []string }

func (rt *recordingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rt.paths = append(rt.paths, r.URL.Path)
	return http.DefaultTransport.RoundTrip(r)
}

func TestWithHTTPClientIsUsed(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, "Bearer "+testKey, r.Header.Get("Authorization"))
		fmt.Fprint(w, `{"id":"order_1","status":"paid"}`)
	}))
	t.Cleanup(srv.Close)
	rt := &recordingTransport{}
	c, err := New(testKey, WithBaseURL(srv.URL+"/api/v1"), WithHTTPClient(&http.Client{Transport: rt}))
	require.NoError(t, err)

	o, err := c.GetOrder(context.Background(), "order_1")
	require.NoError(t, err)
	assert.Equal(t, "paid", o.Status)
	assert.Equal(t, []string{"/api/v1/orders/order_1"}, rt.paths)
}

func TestRawValueRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name, in, out string
	}{
		{"bool", `{"id":"payt_1","funds_available":true}`, `true`},
		{"object", `{"id":"payt_1","funds_available":{"at":"2026-01-01"}}`, `{"at":"2026-01-01"}`},
		{"absent", `{"id":"payt_1"}`, ``},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var p Payment
			require.NoError(t, json.Unmarshal([]byte(tc.in), &p))
			assert.Equal(t, tc.out, string(p.FundsAvailable))

			again, err := json.Marshal(p)
			require.NoError(t, err)
			var back map[string]json.RawMessage
			require.NoError(t, json.Unmarshal(again, &back))
			assert.Equal(t, tc.out, string(back["funds_available"]), "written back as read")
		})
	}
	null, err := json.Marshal(RawValue(nil))
	require.NoError(t, err)
	assert.Equal(t, "null", string(null), "an empty RawValue on its own is null")
}

// orderOfSize returns the JSON of order_1, paid, padded with an unknown member to
// exactly n bytes.
func orderOfSize(n int) string {
	const head, tail = `{"id":"order_1","status":"paid","padding":"`, `"}`
	return head + strings.Repeat("n", n-len(head)-len(tail)) + tail
}

func TestResponseAtTheLimit(t *testing.T) {
	c := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, orderOfSize(MaxResponseBytes))
	})
	o, err := c.GetOrder(context.Background(), "order_1")
	require.NoError(t, err, "a response of exactly MaxResponseBytes is read")
	assert.Equal(t, "paid", o.Status)
}

func TestAPIError(t *testing.T) {
	for _, tc := range []struct {
		err       APIError
		text      string
		temporary bool
	}{
		{APIError{StatusCode: 400, Code: "Bad Request", Message: "amount is missing", Method: "POST", Path: "/orders"},
			"glomoapi: POST /orders: 400 Bad Request: amount is missing", false},
		{APIError{StatusCode: 404, Code: "Not Found", Method: "GET", Path: "/orders/order_1"},
			"glomoapi: GET /orders/order_1: 404 Not Found", false},
		{APIError{StatusCode: 429, Code: "Too Many Requests", Method: "GET", Path: "/payment/payt_1"},
			"glomoapi: GET /payment/payt_1: 429 Too Many Requests", true},
		{APIError{StatusCode: 499, Code: "Client Closed Request", Method: "GET", Path: "/payment/payt_1"},
			"glomoapi: GET /payment/payt_1: 499 Client Closed Request", false},
		{APIError{StatusCode: 500, Code: "Internal Server Error", Method: "GET", Path: "/payment/payt_1"},
			"glomoapi: GET /payment/payt_1: 500 Internal Server Error", true},
		{APIError{StatusCode: 503, Code: "Service Unavailable", Method: "GET", Path: "/payment/payt_1"},
			"glomoapi: GET /payment/payt_1: 503 Service Unavailable", true},
	} {
		t.Run(fmt.Sprint(tc.err.StatusCode), func(t *testing.T) {
			assert.Equal(t, tc.text, tc.err.Error())
			assert.Equal(t, tc.temporary, tc.err.Temporary())
		})
	}
}

func TestWithBaseURL(t *testing.T) {
	for _, tc := range []struct {
		base string
		ok   bool
	}{
		{"https://api.glomopay.com/api/v1", true},
		{"http://127.0.0.1:8080/api/v1/", true},
		{"ftp://api.glomopay.com/api/v1", false},
		{"https://", false},
		{"//api.glomopay.com/api/v1", false},
		{"/api/v1", false},
		{"not a url", false},
		{"http://[::1", false},
	} {
		t.Run(tc.base, func(t *testing.T) {
			_, err := New(testKey, WithBaseURL(tc.base))
			if tc.ok {
				assert.NoError(t, err)
			} else {
				assert.ErrorIs(t, err, ErrInvalidRequest)
			}
		})
	}
}
