package glomoapi

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

const (
	benchPayment = `{"id":"payt_1","payin_id":"payin_1","order_id":"order_1","status":"success","compliance_status":"approved",` +
		`"funds_available":true,"amount":1999,"currency":"USD","settlement_amount":1999,"settlement_currency":"USD","created_at":"2026-11-26T00:00:00Z"}`
	benchOrder = `{"id":"order_1","status":"active","customer_id":"cust_1","amount":1999,"currency":"USD","request_id":"req_1",` +
		`"payment_methods":["card"],"product":{"name":"Mug"},"created_at":"2026-11-26T00:00:00Z"}`
)

// BenchmarkClient measures the client's own work per call (building the
// request, reading and decoding the answer) over an in-memory transport,
// and one GetPayment over loopback HTTP for scale.
func BenchmarkClient(b *testing.B) {
	ctx := context.Background()
	order := CreateOrderRequest{CustomerID: "cust_1", Amount: 1999, Currency: "USD", RequestID: "req_1",
		PaymentMethods: []string{"card"}, Product: &Product{Name: "Mug"}}

	b.Run("GetPayment", func(b *testing.B) {
		c := newAnsweringClient(b, http.StatusOK, []byte(benchPayment))
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := c.GetPayment(ctx, "payt_1"); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("CreateOrder", func(b *testing.B) {
		c := newAnsweringClient(b, http.StatusOK, []byte(benchOrder))
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := c.CreateOrder(ctx, order); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("GetPayment/loopback", func(b *testing.B) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.WriteString(w, benchPayment)
		}))
		defer srv.Close()
		c, err := New(testKey, WithBaseURL(srv.URL))
		if err != nil {
			b.Fatal(err)
		}
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			if _, err := c.GetPayment(ctx, "payt_1"); err != nil {
				b.Fatal(err)
			}
		}
	})
}
