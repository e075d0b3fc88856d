package glomo_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/glomokit/glomo"
	"github.com/glomokit/glomo/glomotest"
)

func ExampleVerify() {
	// The order id comes from the merchant's own database, never from the
	// browser; payment id, status and signature come from the result.
	orderID := "order_679a16457aP6K"
	err := glomo.Verify(orderID, "payment_679a16457aP6K", "success",
		"e1b643322f39bd51dcd5b9634f2496d6ea06ba23735be67d6ccc616fe30ffbea",
		"sk_new_after_rotation", "your_secret_key") // any active key may match
	fmt.Println(err)

	err = glomo.Verify(orderID, "payment_679a16457aP6K", "failed",
		"e1b643322f39bd51dcd5b9634f2496d6ea06ba23735be67d6ccc616fe30ffbea", "your_secret_key")
	fmt.Println(errors.Is(err, glomo.ErrSignatureMismatch))
	// Output:
	// <nil>
	// true
}

func ExampleNewResultHandler() {
	// sessionOrder stands in for the merchant's session store: the order
	// this visitor is paying for.
	sessionOrder := func(r *http.Request) (string, error) {
		if c, err := r.Cookie("order"); err == nil {
			return c.Value, nil
		}
		return "", glomo.ErrNoExpectedOrder
	}
	fulfilment := glomo.MustNewFulfilment(func(ctx context.Context, o glomo.PaidOrder) error {
		fmt.Println("fulfilling", o.OrderID, o.PaymentID, "after the", o.Proof)
		return nil
	}, glomo.FulfilmentOptions{})
	h, err := glomo.NewResultHandler(glomo.ResultHandlerOptions{
		Secrets:       []string{"sk_test_current"},
		ExpectedOrder: sessionOrder,
		Fulfilment:    fulfilment,
		Logger:        slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		panic(err) // a configuration error, caught at start-up
	}
	mux := http.NewServeMux()
	mux.Handle("/payment-result", h)

	// The checkout page posts the payment.success event twice (a reload).
	body := `{"orderId":"order_1","paymentId":"payt_1","status":"success","signature":"` +
		glomotest.SignedSuccess("order_1", "payt_1", "sk_test_current")["signature"] + `"}`
	for i := 0; i < 2; i++ {
		req := httptest.NewRequest(http.MethodPost, "/payment-result", strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.AddCookie(&http.Cookie{Name: "order", Value: "order_1"})
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)
		fmt.Print(rec.Code, " ", rec.Body.String())
	}
	// Output:
	// fulfilling order_1 payt_1 after the post
	// 200 {"outcome":"success","orderId":"order_1","paymentId":"payt_1","status":"success","source":"post"}
	// 200 {"outcome":"success","orderId":"order_1","paymentId":"payt_1","status":"success","source":"post","duplicate":true}
}

func ExamplePaymentFromContext() {
	fulfilment := glomo.MustNewFulfilment(func(context.Context, glomo.PaidOrder) error { return nil }, glomo.FulfilmentOptions{})
	h := glomo.MustNewResultHandler(glomo.ResultHandlerOptions{
		Secrets:       []string{"sk_test_current"},
		ExpectedOrder: func(*http.Request) (string, error) { return "order_1", nil },
		Fulfilment:    fulfilment,
		Logger:        slog.New(slog.NewTextHandler(io.Discard, nil)),
		// OnResult may hand over to any handler; it finds the result in
		// the request context.
		OnResult: func(w http.ResponseWriter, r *http.Request, _ glomo.Payment) {
			p, _ := glomo.PaymentFromContext(r.Context())
			fmt.Fprintf(w, "outcome=%s confirmed=%t", p.Outcome, p.ConfirmedServerSide)
		},
	})
	// A redirect without a payment id cannot be verified, and no Confirm
	// hook is configured, so the result is pending until the webhook.
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/payment-result?status=success&orderId=order_1", nil))
	fmt.Println(rec.Body.String())
	// Output: outcome=pending confirmed=false
}

func ExampleNewMemoryStore() {
	store := glomo.NewMemoryStore(1000, 0) // the default retention
	ctx := context.Background()
	key := glomo.StoreKey("order", "order_1")
	first, _ := store.Claim(ctx, key, time.Minute)
	second, _ := store.Claim(ctx, key, time.Minute)
	fmt.Println(first.State, second.State)
	_ = store.Done(ctx, key, first.Token)
	third, _ := store.Claim(ctx, key, time.Minute)
	fmt.Println(third.State)
	// Output:
	// acquired in_progress
	// done
}
