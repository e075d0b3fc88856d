package glomo_test

import (
	"fmt"
	"html/template"
	"net/http"
	"net/http/httptest"
	"os"

	"github.com/glomokit/glomo"
	"github.com/unrolled/secure"
)

// The quickstart: one wrapper around the whole site keeps the checkout
// popup connected and lets the SDK, the iframe and the API calls through
// whatever policy the pages set.
func Example() {
	mux := http.NewServeMux()
	mux.HandleFunc("/checkout", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "default-src 'self'")
		w.Header().Set("Cross-Origin-Opener-Policy", "same-origin")
		fmt.Fprint(w, "<!doctype html>…")
	})
	handler := glomo.Headers()(mux) // http.ListenAndServe("127.0.0.1:8080", handler)

	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/checkout", nil))
	fmt.Println(rec.Header().Get("Cross-Origin-Opener-Policy"))
	fmt.Println(rec.Header().Get("Content-Security-Policy"))
	// Output:
	// same-origin-allow-popups
	// default-src 'self'; script-src 'self' https://glomopay-checkout-sdk.web.app; frame-src 'self' https://glomopay-checkout-sdk.web.app https://*.glomopay.com; connect-src 'self' https://glomopay-checkout-sdk.web.app https://*.glomopay.com
}

func ExampleCOOP() {
	page := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cross-Origin-Opener-Policy", `same-origin; report-to="coop"`)
	})
	rec := httptest.NewRecorder()
	glomo.COOP()(page).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	fmt.Println(rec.Header().Get("Cross-Origin-Opener-Policy"))
	// Output: same-origin-allow-popups; report-to="coop"
}

// A nonce'd inline module script starts the checkout, as the integration
// guide shows; the policy is merged and carries the request's nonce.
func ExampleCSP() {
	tmpl := template.Must(template.New("checkout").Parse(
		`<script type="module" nonce="{{.Nonce}}">import { GlomoCheckoutApi } from "https://glomopay-checkout-sdk.web.app/index.js"; …</script>`))
	page := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", "script-src 'self'; object-src 'none'")
		_ = tmpl.Execute(w, struct{ Nonce string }{glomo.Nonce(r.Context())})
	})
	handler := glomo.CSP(glomo.WithNonce())(page)

	rec := httptest.NewRecorder()
	handler.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/checkout", nil))
	nonce := rec.Body.String()[len(`<script type="module" nonce="`):][:22]
	fmt.Println(rec.Header().Get("Content-Security-Policy") == "script-src 'self' https://glomopay-checkout-sdk.web.app 'nonce-"+nonce+"'; object-src 'none'")
	// Output: true
}

func ExampleMergeCSP() {
	merged, err := glomo.MergeCSP("default-src 'none'; img-src 'self'; frame-src 'none'")
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(merged)
	// Output: default-src 'none'; img-src 'self'; frame-src https://glomopay-checkout-sdk.web.app https://*.glomopay.com; script-src https://glomopay-checkout-sdk.web.app; connect-src https://glomopay-checkout-sdk.web.app https://*.glomopay.com
}

// Sandbox or test hosts replace or extend the defaults; a bad source is an
// error when the middleware is built, never a broken header.
func ExampleMergeCSP_options() {
	merged, _ := glomo.MergeCSP("script-src 'self'", glomo.WithScriptSources("https://sdk.sandbox.example"))
	fmt.Println(merged)
	_, err := glomo.MergeCSP("script-src 'self'", glomo.WithExtraSources("self"))
	fmt.Println(err)
	// Output:
	// script-src 'self' https://sdk.sandbox.example
	// glomo: invalid CSP source "self": a bare keyword is read as a host name; only host sources can be merged
}

// A site whose headers come from unrolled/secure alone fixes its options
// once at start-up.
func ExampleSecureOptions() {
	opts, err := glomo.SecureOptions(secure.Options{
		ContentSecurityPolicy:   "default-src 'self'; script-src 'self' $NONCE",
		CrossOriginOpenerPolicy: "same-origin",
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return
	}
	fmt.Println(opts.ContentSecurityPolicy)
	fmt.Println(opts.CrossOriginOpenerPolicy)
	_ = secure.New(opts) // its Handler wraps the site; glomo.Nonce reads its nonce
	// Output:
	// default-src 'self'; script-src 'self' $NONCE https://glomopay-checkout-sdk.web.app; frame-src 'self' https://glomopay-checkout-sdk.web.app https://*.glomopay.com; connect-src 'self' https://glomopay-checkout-sdk.web.app https://*.glomopay.com
	// same-origin-allow-popups
}
