package glomo_test

import (
	"bytes"
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"

	"github.com/glomokit/glomo"
)

func ExampleNewWebhookHandler() {
	const secret glomo.WebhookSecret = "whsec_example" // from Glomo's dashboard
	h, err := glomo.NewWebhookHandler(glomo.WebhookOptions{
		Secrets: []glomo.WebhookSecret{secret},
		Handle: func(ctx context.Context, e glomo.WebhookEvent) error {
			switch e.EntityType {
			case glomo.EntityPayment:
				p, err := e.Payment()
				if err != nil {
					return err
				}
				// Load the stored status and apply p.Status only if
				// glomo.ShouldApplyStatus allows it.
				fmt.Println("payment", p.ID, p.Status, p.Amount, p.Currency)
			}
			return nil // acknowledge every other type
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle("/webhooks/glomo", h)

	// A simulated delivery, signed the way Glomo signs it.
	body := []byte(`{"entity_type":"payment","event_type":"success","data":{"id":"payt_1","status":"success","amount":4999,"currency":"USD"}}`)
	req := httptest.NewRequest(http.MethodPost, "/webhooks/glomo", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(glomo.WebhookSignatureHeader, glomo.SignWebhook(body, secret))
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, req)
	fmt.Println(w.Code)
	// Output:
	// payment payt_1 success 4999 USD
	// 200
}

func ExampleVerifyWebhook() {
	body := []byte(`{"entity_type":"orders","event_type":"paid","data":{"id":"order_1","status":"paid"}}`)
	oldSecret, newSecret := glomo.WebhookSecret("whsec_old"), glomo.WebhookSecret("whsec_new")
	sig := glomo.SignWebhook(body, oldSecret)

	// During a rotation both secrets verify.
	fmt.Println(glomo.VerifyWebhook(body, sig, newSecret, oldSecret))
	fmt.Println(glomo.VerifyWebhook(body, sig, newSecret))
	// Output:
	// <nil>
	// glomo: webhook signature does not match
}
