package glomotest_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/glomokit/glomo"
	"github.com/glomokit/glomo/glomotest"
)

// A merchant's server creates an order through plain net/http, as it would
// against https://api.glomopay.com/api/v1.
func ExampleNewServer() {
	srv := glomotest.NewServer(glomotest.Options{SecretKey: "sk_test_example"})
	defer srv.Close()

	body := `{"customer_id": "cus_42", "amount": 4999, "currency": "USD"}`
	req, _ := http.NewRequest(http.MethodPost, srv.APIBaseURL()+"/orders", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer sk_test_example")
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resp.Body.Close()

	var order struct {
		ID       string `json:"id"`
		Status   string `json:"status"`
		Amount   int64  `json:"amount"`
		Currency string `json:"currency"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&order)
	fmt.Println(resp.StatusCode, strings.HasPrefix(order.ID, "order_"), order.Status, order.Amount, order.Currency)
	// Output: 200 true active 4999 USD
}

// A test drives a payment without a browser and checks the signature the
// SDK would hand to the merchant page.
func ExampleServer_Pay() {
	srv := glomotest.NewServer(glomotest.Options{SecretKey: "sk_test_example"})
	defer srv.Close()

	order, _ := srv.CreateOrder(map[string]any{"customer_id": "cus_42", "amount": 4999, "currency": "USD"})
	res, _ := srv.Pay(order.ID, glomotest.Success())
	fmt.Println(res.Event, res.Status)
	fmt.Println("signature valid:", res.Signature == glomo.Sign(order.ID, res.PaymentID, "success", "sk_test_example"))

	after, _ := srv.Order(order.ID)
	fmt.Println("order:", after.Status)
	// Output:
	// payment.success success
	// signature valid: true
	// order: paid
}

// Webhooks go to the merchant's endpoint, signed and retried.
func ExampleServer_WaitIdle() {
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	}))
	defer hook.Close()

	srv := glomotest.NewServer(glomotest.Options{WebhookURL: hook.URL})
	defer srv.Close()
	order, _ := srv.CreateOrder(map[string]any{"customer_id": "cus_42", "amount": 100, "currency": "INR"})
	_, _ = srv.Pay(order.ID, glomotest.Success())

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = srv.WaitIdle(ctx)
	for _, d := range srv.Deliveries() {
		fmt.Println(d.EntityType, d.EventType, d.StatusCode)
	}
	// Output:
	// payment success 204
	// orders paid 204
}

// A merchant's webhook handler is unit-tested with a signed request.
func ExampleNewWebhookRequest() {
	req := glomotest.NewWebhookRequest("/webhooks/glomo", "payment", "success",
		map[string]any{"id": "payt_1", "status": "success"}, "whsec_test")
	fmt.Println(req.Method, req.URL.Path, len(req.Header.Get(glomotest.SignatureHeader)))
	// Output: POST /webhooks/glomo 64
}

func ExampleCallbackURL() {
	fmt.Println(glomotest.CallbackURL("https://shop.example/payment-result?lang=en",
		"order_679a16457aP6K", "payment_679a16457aP6K", "success", "your_secret_key"))
	// Output: https://shop.example/payment-result?lang=en&orderId=order_679a16457aP6K&paymentId=payment_679a16457aP6K&signature=e1b643322f39bd51dcd5b9634f2496d6ea06ba23735be67d6ccc616fe30ffbea&status=success
}

func ExampleSignedSuccess() {
	p := glomotest.SignedSuccess("order_679a16457aP6K", "payment_679a16457aP6K", "your_secret_key")
	fmt.Println(p["status"], p["signature"])
	// Output: success e1b643322f39bd51dcd5b9634f2496d6ea06ba23735be67d6ccc616fe30ffbea
}
