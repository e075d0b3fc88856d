package glomo_test

import (
	"context"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"

	"github.com/glomokit/glomo"
	"github.com/glomokit/glomo/glomoapi"
	"github.com/glomokit/glomo/glomotest"
	"github.com/glomokit/glomo/webhook"
)

// One Fulfilment serves the result handler and the webhook handler: the
// order ships once, whichever proof of payment arrives first.
func Example_fulfilment() {
	// The fulfilment hook runs once per paid order, whichever proof comes first.
	fulfilment, err := glomo.NewFulfilment(func(ctx context.Context, o glomo.PaidOrder) error {
		fmt.Println("shipping", o.OrderID, "after the", o.Proof)
		return nil // an error releases the order: the next proof tries again
	}, glomo.FulfilmentOptions{}) // in memory; replicas share a Redis or PostgreSQL store
	if err != nil {
		panic(err) // a configuration error, caught at start-up
	}

	// The browser's result: the order id comes from your own session.
	results, err := glomo.NewResultHandler(glomo.ResultHandlerOptions{
		Secrets: []string{"sk_test_current"}, // the API secret key signs results
		ExpectedOrder: func(r *http.Request) (string, error) {
			if c, err := r.Cookie("order"); err == nil {
				return c.Value, nil
			}
			return "", glomo.ErrNoExpectedOrder
		},
		Fulfilment: fulfilment,
	})
	if err != nil {
		panic(err)
	}

	// Glomo's webhooks: paid orders go to the same Fulfilment, every other
	// event to Handle, once each.
	webhooks, err := webhook.NewHandler(webhook.Options{
		Secrets:    []webhook.Secret{"whsec_current"}, // from Glomo's dashboard
		Fulfilment: fulfilment,
		Handle: func(ctx context.Context, e webhook.Event) error {
			fmt.Println("event", e.EntityType+"/"+e.EventType)
			return nil // acknowledge the types you do not handle
		},
	})
	if err != nil {
		panic(err)
	}

	mux := http.NewServeMux()
	mux.Handle("/payment-result", results) // GET: callbackUrl; POST: the page's SDK event
	mux.Handle("/webhooks/glomo", webhooks)

	// The checkout page posts the signed payment.success event...
	signed := glomotest.SignedSuccess("order_1", "payt_1", "sk_test_current")
	post := httptest.NewRequest(http.MethodPost, "/payment-result", strings.NewReader(
		`{"orderId":"order_1","paymentId":"payt_1","status":"success","signature":"`+signed["signature"]+`"}`))
	post.Header.Set("Content-Type", "application/json")
	post.AddCookie(&http.Cookie{Name: "order", Value: "order_1"})
	mux.ServeHTTP(httptest.NewRecorder(), post)
	// ...and Glomo's webhooks say the same, and more.
	for _, e := range []struct{ entity, event string }{{"payment", "success"}, {"orders", "paid"}, {"payment", "funds_available"}} {
		data := map[string]string{"id": "payt_1", "order_id": "order_1", "status": e.event}
		if e.entity == "orders" {
			data = map[string]string{"id": "order_1", "status": "paid"}
		}
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, glomotest.NewWebhookRequest("/webhooks/glomo", e.entity, e.event, data, "whsec_current"))
		fmt.Println(rec.Code, strings.TrimSpace(rec.Body.String()))
	}
	// Output:
	// shipping order_1 after the post
	// 200 {"status":"duplicate"}
	// 200 {"status":"duplicate"}
	// event payment/funds_available
	// 200 {"status":"processed"}
}

// A periodic job fulfils the paid orders whose proofs never arrived.
func ExampleFulfilment_Reconcile() {
	// Run every few minutes with the orders still unpaid a while after
	// checkout, from your own database.
	reconcile := func(ctx context.Context, fulfilment *glomo.Fulfilment, client *glomoapi.Client, unpaid []string) {
		for _, r := range fulfilment.Reconcile(ctx, unpaid, client.Confirm) {
			if r.Err != nil {
				log.Println("look-up failed; the next run retries:", r.Err)
				continue
			}
			log.Println(r.OrderID, r.Outcome, r.Fulfilled) // success ran: fulfilled now
		}
	}

	sim := glomotest.NewServer(glomotest.Options{}) // stands in for Glomo
	defer sim.Close()
	order, _ := sim.CreateOrder(map[string]any{"customer_id": "cust_1", "amount": 4999, "currency": "USD"})
	_, _ = sim.Pay(order.ID, glomotest.Success()) // paid, but the webhook is lost
	fulfilment := glomo.MustNewFulfilment(func(ctx context.Context, o glomo.PaidOrder) error {
		fmt.Println("shipping after the", o.Proof)
		return nil
	}, glomo.FulfilmentOptions{})
	client, err := glomoapi.New(sim.SecretKey(), glomoapi.WithBaseURL(sim.APIBaseURL()))
	if err != nil {
		panic(err)
	}
	log.SetOutput(io.Discard)
	defer log.SetOutput(os.Stderr)
	reconcile(context.Background(), fulfilment, client, []string{order.ID})
	reconcile(context.Background(), fulfilment, client, []string{order.ID}) // already_ran
	// Output: shipping after the confirmation
}
