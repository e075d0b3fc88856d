package webhook_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"

	"github.com/glomokit/glomo"
	"github.com/glomokit/glomo/glomotest"
	"github.com/glomokit/glomo/webhook"
)

// Wire the fulfilment hook and the webhook handler, and deliver what
// Glomo sends when an order is paid: payment/success and orders/paid. The
// order is fulfilled once; the second proof is a duplicate. Other events
// go to Handle.
func Example() {
	const secret webhook.Secret = "whsec_example" // from Glomo's dashboard

	// One Fulfilment, shared with the ResultHandler in a real server.
	fulfilment, err := glomo.NewFulfilment(func(ctx context.Context, o glomo.PaidOrder) error {
		fmt.Println("fulfil", o.OrderID, "paid by", o.PaymentID, "proven by", o.Proof)
		return nil
	}, glomo.FulfilmentOptions{})
	if err != nil {
		log.Fatal(err)
	}
	h, err := webhook.NewHandler(webhook.Options{
		Secrets:    []webhook.Secret{secret},
		Fulfilment: fulfilment,
		Handle: func(ctx context.Context, e webhook.Event) error {
			fmt.Println("event", e.EntityType, e.EventType, e.ID())
			return nil // acknowledge every type, known or not
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/webhooks/glomo", h)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	// Deliveries signed the way Glomo signs them.
	deliver := func(body string) {
		req, err := http.NewRequest(http.MethodPost, srv.URL+"/webhooks/glomo", bytes.NewReader([]byte(body)))
		if err != nil {
			log.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(webhook.SignatureHeader, webhook.Sign([]byte(body), secret))
		resp, err := srv.Client().Do(req)
		if err != nil {
			log.Fatal(err)
		}
		defer resp.Body.Close()
		answer, _ := io.ReadAll(resp.Body)
		fmt.Printf("%d %s", resp.StatusCode, answer)
	}
	deliver(`{"data":{"id":"payt_1","order_id":"order_1","status":"success"},"entity_type":"payment","event_type":"success"}`)
	deliver(`{"data":{"id":"order_1","payment_id":"payt_1","status":"paid"},"entity_type":"orders","event_type":"paid"}`)
	deliver(`{"data":{"id":"rfnd_1","status":"pending"},"entity_type":"refund","event_type":"created"}`)
	// Output:
	// fulfil order_1 paid by payt_1 proven by webhook
	// 200 {"status":"processed"}
	// 200 {"status":"duplicate"}
	// event refund created rfnd_1
	// 200 {"status":"processed"}
}

// A handler in a unit test, with a delivery built by glomotest; a wrong
// secret is refused before anything is parsed.
func ExampleNewHandler() {
	const secret = "whsec_example"
	h := webhook.MustNewHandler(webhook.Options{
		Secrets: []webhook.Secret{secret},
		Fulfilment: glomo.MustNewFulfilment(func(context.Context, glomo.PaidOrder) error {
			return nil
		}, glomo.FulfilmentOptions{}),
		Handle: func(ctx context.Context, e webhook.Event) error {
			p, err := e.Payment()
			if err != nil {
				return nil // not a payment: acknowledge it
			}
			// Apply p.Status only if webhook.ShouldApplyStatus allows it.
			fmt.Println("payment", p.ID, p.Status, p.Amount, p.Currency)
			return nil
		},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	data := map[string]any{"id": "payt_1", "status": "in_progress", "amount": 4999, "currency": "USD"}
	for _, s := range []string{secret, "whsec_wrong"} {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, glomotest.NewWebhookRequest("/webhooks/glomo", "payment", "in_progress", data, s))
		fmt.Printf("%d %s", w.Code, w.Body)
	}
	// Output:
	// payment payt_1 in_progress 4999 USD
	// 200 {"status":"processed"}
	// 401 {"error":"signature_mismatch","message":"the signature does not match the body"}
}

func ExampleVerify() {
	body := []byte(`{"data":{"id":"order_1","status":"paid"},"entity_type":"orders","event_type":"paid"}`)
	oldSecret, newSecret := webhook.Secret("whsec_old"), webhook.Secret("whsec_new")
	sig := webhook.Sign(body, oldSecret)

	// During a rotation both secrets verify.
	fmt.Println(webhook.Verify(body, sig, newSecret, oldSecret))
	err := webhook.Verify(body, sig, newSecret)
	fmt.Println(errors.Is(err, glomo.ErrSignatureMismatch))
	// The exact bytes are signed: re-encoded JSON does not verify.
	err = webhook.Verify(append(body, '\n'), sig, oldSecret)
	fmt.Println(errors.Is(err, glomo.ErrSignatureMismatch))
	// Output:
	// <nil>
	// true
	// true
}

func ExampleEvent_Payment() {
	body := []byte(`{"data":{"amount":1999,"currency":"USD","id":"payt_1","order_id":"order_1","payin_id":"payin_1","status":"success"},"entity_type":"payment","event_type":"success"}`)
	// Parse only what Verify accepted.
	e, err := webhook.Parse(body)
	if err != nil {
		log.Fatal(err)
	}
	p, err := e.Payment()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(p.ID, p.OrderID, p.Status, p.Amount, p.Currency)
	_, err = e.Order()
	fmt.Println(errors.Is(err, webhook.ErrEntityType))
	fmt.Println(e.DedupKey())
	// Output:
	// payt_1 order_1 success 1999 USD
	// true
	// payment|payt_1|success|success
}

func ExampleShouldApplyStatus() {
	// A late in_progress arrives after success: keep success.
	fmt.Println(webhook.ShouldApplyStatus(webhook.EntityPayment, "success", "in_progress"))
	fmt.Println(webhook.ShouldApplyStatus(webhook.EntityPayment, "in_progress", "success"))
	// Output:
	// false
	// true
}
