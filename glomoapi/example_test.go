package glomoapi_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"os"

	"github.com/glomokit/glomo/glomoapi"
)

func ExampleClient_CreateOrder() {
	// A stand-in for Glomo's API; point WithBaseURL at the real one's
	// default by leaving it out.
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"id":"order_3fA9","status":"active","amount":4999,"currency":"USD"}`)
	}))
	defer srv.Close()

	client, err := glomoapi.New("sk_test_example", glomoapi.WithBaseURL(srv.URL))
	if err != nil {
		log.Fatal(err)
	}
	order, err := client.CreateOrder(context.Background(), glomoapi.CreateOrderRequest{
		CustomerID: "cust_42",
		Amount:     4999, // minor units: $49.99
		Currency:   "USD",
		RequestID:  "checkout-7781", // Glomo refuses a second order with the same id
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(order.ID, order.Status, order.Amount)
	// Output: order_3fA9 active 4999
}

// The client for Glomo's API; one base URL serves sandbox and live keys.
func ExampleNew() {
	client, err := glomoapi.New(os.Getenv("GLOMO_SECRET_KEY")) // glomoapi.DefaultBaseURL
	if err != nil {
		log.Fatal(err) // no key
	}
	_ = client // client.CreateOrder, client.GetOrder, client.GetPayment, client.Confirm
}
