package glomo_test

import (
	"bytes"
	"errors"
	"fmt"
	"html/template"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"

	"github.com/glomokit/glomo"
)

// The guide's step 2 in an html/template page: the buy button and the
// module script, with the request's nonce, posting the SDK's events to the
// ResultHandler at /payment/verify and then showing the order.
func ExampleCheckout() {
	page := template.Must(template.New("checkout").Parse(`<!doctype html>
<button id="buy-button" class="buy-button">Buy Now</button>
{{.Checkout.Script .Nonce}}`))

	mux := http.NewServeMux()
	mux.HandleFunc("/checkout", func(w http.ResponseWriter, r *http.Request) {
		orderID := "order_679a16457aP6K" // created in step 1, from the buyer's session
		var buf bytes.Buffer
		err := page.Execute(&buf, map[string]any{
			"Nonce": glomo.Nonce(r.Context()),
			"Checkout": glomo.Checkout{
				OrderID:   orderID,
				PublicKey: "live_687b0151Bid24PAI",
				ResultURL: "/payment/verify", // your glomo.ResultHandler
				NextURL:   "/order?id=" + url.QueryEscape(orderID),
			},
		})
		if err != nil { // an invalid Checkout: no half-made page
			http.Error(w, "checkout unavailable", http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", "default-src 'self'") // the site's own
		_, _ = buf.WriteTo(w)
	})
	handler := glomo.Headers(glomo.WithNonce())(mux)

	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/checkout", nil))
	body, _ := io.ReadAll(rec.Body)
	nonce := glomoNonceOf(string(body))
	fmt.Println("nonce in the CSP:", strings.Contains(rec.Header().Get("Content-Security-Policy"), "'nonce-"+nonce+"'"))
	for _, line := range strings.Split(string(body), "\n") {
		if strings.HasPrefix(line, "import") || strings.HasPrefix(line, "mountCheckout") {
			fmt.Println(line)
		}
	}
	// Output:
	// nonce in the CSP: true
	// import { GlomoCheckoutApi } from "https://glomopay-checkout-sdk.web.app/index.js";
	// mountCheckout(GlomoCheckoutApi, {"orderId":"order_679a16457aP6K","publicKey":"live_687b0151Bid24PAI","resultUrl":"/payment/verify","nextUrl":"/order?id=order_679a16457aP6K","buttonId":"buy-button"});
}

// glomoNonceOf returns the nonce attribute of the page's module script.
func glomoNonceOf(page string) string {
	const attr = `<script type="module" nonce="`
	i := strings.Index(page, attr)
	if i < 0 {
		return ""
	}
	rest := page[i+len(attr):]
	return rest[:strings.IndexByte(rest, '"')]
}

// With a callbackUrl, Glomo redirects the buyer to the ResultHandler with
// the result in the query, and the SDK fires no success or failure event:
// no result endpoint is needed.
func ExampleCheckout_callbackURL() {
	script, err := glomo.Checkout{
		OrderID:     "order_679a16457aP6K",
		PublicKey:   "live_687b0151Bid24PAI",
		CallbackURL: "https://yourwebsite.com/payment-result",
	}.Script("")
	if err != nil {
		fmt.Println(err)
		return
	}
	lines := strings.Split(string(script), "\n")
	fmt.Println(lines[0])
	fmt.Println(lines[len(lines)-2])
	// Output:
	// <script type="module">
	// mountCheckout(GlomoCheckoutApi, {"orderId":"order_679a16457aP6K","publicKey":"live_687b0151Bid24PAI","callbackUrl":"https://yourwebsite.com/payment-result","buttonId":"buy-button"});
}

// Validate (and Script, and so the template) refuses what would make a
// broken or unsafe page.
func ExampleCheckout_Validate() {
	err := glomo.Checkout{OrderID: "order_1", PublicKey: "live_1", ResultURL: "javascript:alert(1)"}.Validate()
	fmt.Println(errors.Is(err, glomo.ErrInvalidCheckout))
	fmt.Println(err)
	// Output:
	// true
	// glomo: invalid checkout: Checkout.ResultURL must be an absolute path or an https URL
}
