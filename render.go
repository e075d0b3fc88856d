package glomo

import (
	"encoding/json"
	"net/http"
)

// render is the default OnResult: JSON for a post, which the checkout
// page's script reads; for a redirect, a 303 to RedirectURL or a small
// page, because the buyer's browser is looking at the answer.
func (h *ResultHandler) render(w http.ResponseWriter, r *http.Request, p Payment) {
	hdr := w.Header()
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("X-Content-Type-Options", "nosniff")
	if p.Source == SourcePost {
		hdr.Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(http.StatusOK)
		_ = json.NewEncoder(w).Encode(p) // a write error means the client left
		return
	}
	// The redirect's URL carries the signature; keep it out of the
	// Referer of whatever the buyer opens next.
	hdr.Set("Referrer-Policy", "no-referrer")
	if h.redirectURL != nil {
		u := *h.redirectURL
		q := u.Query()
		q.Set("outcome", p.Outcome.String())
		u.RawQuery = q.Encode()
		http.Redirect(w, r, u.String(), http.StatusSeeOther)
		return
	}
	hdr.Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write([]byte(resultPage(p.Outcome)))
}

// resultPage is a page with no request data in it, so nothing needs
// escaping. Merchants wanting their own design set OnResult or RedirectURL.
func resultPage(o Outcome) string {
	var title, text string
	switch o {
	case OutcomeSuccess:
		title, text = "Payment received", "Thank you: your payment was received."
	case OutcomeFailure, OutcomeFailureHint:
		title, text = "Payment failed", "Your payment did not go through. Please try again."
	case OutcomeBankTransferSubmitted:
		title, text = "Bank transfer submitted", "Thank you: we will confirm your order once the transfer arrives."
	default:
		title, text = "Payment processing", "Your payment is being processed. We will confirm your order shortly."
	}
	return "<!doctype html>\n<html lang=\"en\"><meta charset=\"utf-8\"><title>" + title +
		"</title><h1>" + title + "</h1><p>" + text + "</p></html>\n"
}
