package glomoapi_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"sync/atomic"

	"github.com/glomokit/glomo/glomoapi"
)

// The first answer is lost after Glomo created the order; the retry with
// the same RequestID is refused with a 400 that does not say whether it
// is the repeat, and does not return the order.
func ExampleClient_CreateOrder_retry() {
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if calls.Add(1) == 1 {
			w.WriteHeader(http.StatusBadGateway) // created, but the answer is lost
			return
		}
		w.WriteHeader(http.StatusBadRequest)
		fmt.Fprint(w, `{"error":"Bad Request","message":"request_id has already been used"}`)
	}))
	defer srv.Close()
	client, err := glomoapi.New("sk_test_example", glomoapi.WithBaseURL(srv.URL))
	if err != nil {
		log.Fatal(err)
	}

	// createOrder creates the shop's order at Glomo. The shop saved the
	// RequestID with its own order before calling, so that a retry, now or
	// after a crash, reuses it.
	createOrder := func(ctx context.Context, client *glomoapi.Client, shopOrderID, requestID string) (*glomoapi.Order, error) {
		req := glomoapi.CreateOrderRequest{
			CustomerID:      "cust_42",
			Amount:          4999, // minor units: $49.99
			Currency:        "USD",
			RequestID:       requestID, // Glomo refuses a second order with it
			ReferenceNumber: shopOrderID,
		}
		order, err := client.CreateOrder(ctx, req)
		var apiErr *glomoapi.APIError
		if errors.Is(err, glomoapi.ErrTransport) || (errors.As(err, &apiErr) && apiErr.Temporary()) {
			// The order may exist: retry with the same RequestID, never a new one.
			order, err = client.CreateOrder(ctx, req)
		}
		return order, err
	}

	mine := struct{ ID, RequestID string }{"shop-7781", "shop-7781-a"}
	order, err := createOrder(context.Background(), client, mine.ID, mine.RequestID)
	var apiErr *glomoapi.APIError
	switch {
	case err == nil:
		fmt.Println("created", order.ID)
	case errors.As(err, &apiErr) && apiErr.StatusCode == http.StatusBadRequest:
		// The repeat or an invalid request: Glomo does not say which and
		// returns no order id. Reconcile before trying a new RequestID.
		fmt.Println("unresolved, reconcile", mine.ID)
	default:
		// Still unknown: keep the order's RequestID for a later retry.
		fmt.Println("unknown, retry later:", err)
	}
	// Output: unresolved, reconcile shop-7781
}
