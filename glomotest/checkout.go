package glomotest

import (
	"crypto/subtle"
	"embed"
	"encoding/json"
	"errors"
	"net/http"
)

//go:embed static/index.js static/frame.html static/pay.html
var static embed.FS

// handleSDK serves the checkout SDK module. Module scripts imported from
// another origin are fetched in CORS mode, hence the permissive header.
func (s *Server) handleSDK(w http.ResponseWriter, r *http.Request) {
	serveStatic(w, "static/index.js", "text/javascript; charset=utf-8", true)
}

// handlePage serves one of the checkout's HTML pages (the iframe or the
// popup). They carry no CSP and no COOP: a COOP on the popup would sever
// it from the merchant page just as the merchant's own COOP does.
func (s *Server) handlePage(name string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		serveStatic(w, name, "text/html; charset=utf-8", false)
	}
}

func serveStatic(w http.ResponseWriter, name, contentType string, cors bool) {
	b, err := static.ReadFile(name)
	if err != nil {
		// The names are fixed at compile time; this cannot happen.
		http.Error(w, "missing asset", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	if cors {
		h.Set("Access-Control-Allow-Origin", "*")
	}
	_, _ = w.Write(b)
}

func setCORS(h http.Header) {
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Allow-Methods", "GET, OPTIONS")
	h.Set("Access-Control-Allow-Headers", "Content-Type")
	h.Set("Access-Control-Max-Age", "600")
}

func handlePreflight(w http.ResponseWriter, r *http.Request) {
	setCORS(w.Header())
	w.WriteHeader(http.StatusNoContent)
}

// checkoutSummary is what the SDK's connect load and the checkout pages
// learn about an order.
type checkoutSummary struct {
	OrderID  string   `json:"orderId"`
	Status   string   `json:"status"`
	Amount   int64    `json:"amount"`
	Currency string   `json:"currency"`
	Product  *Product `json:"product,omitempty"`
	Mode     string   `json:"mode"`
}

func (s *Server) publicKeyOK(key string) bool {
	return subtle.ConstantTimeCompare([]byte(key), []byte(s.opts.PublicKey)) == 1
}

// handleCheckoutSummary is the SDK's connect load,
// GET /sdk/v1/checkout/{orderID}?publicKey=..., and the checkout pages'
// own GET /checkout/summary/{orderID}?publicKey=...
func (s *Server) handleCheckoutSummary(w http.ResponseWriter, r *http.Request) {
	setCORS(w.Header())
	if !s.publicKeyOK(r.URL.Query().Get("publicKey")) {
		writeError(w, http.StatusUnauthorized, "invalid public key")
		return
	}
	o, ok := s.Order(r.PathValue("orderID"))
	if !ok {
		writeError(w, http.StatusNotFound, "order not found")
		return
	}
	writeJSON(w, http.StatusOK, checkoutSummary{
		OrderID: o.ID, Status: o.Status, Amount: o.Amount, Currency: o.Currency,
		Product: o.Product, Mode: "test",
	})
}

// payRequest is the body the popup's buttons POST to /checkout/pay.
type payRequest struct {
	OrderID              string `json:"orderId"`
	PublicKey            string `json:"publicKey"`
	Outcome              string `json:"outcome"` // success, failure, bank_transfer
	ErrorCode            string `json:"errorCode"`
	SenderAccountNumber  string `json:"senderAccountNumber"`
	TransactionReference string `json:"transactionReference"`
}

// payResponse tells the popup what to post to the SDK in its opener.
type payResponse struct {
	Event    string            `json:"event"`
	Payload  CheckoutResult    `json:"payload"`
	Callback map[string]string `json:"callback,omitempty"`
}

// handlePay records the buyer's choice in the popup: POST /checkout/pay.
func (s *Server) handlePay(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(w, r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	var req payRequest
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, http.StatusBadRequest, "invalid JSON body")
		return
	}
	if !s.publicKeyOK(req.PublicKey) {
		writeError(w, http.StatusUnauthorized, "invalid public key")
		return
	}
	var outcome Outcome
	switch req.Outcome {
	case "success":
		outcome = Success()
	case "failure":
		outcome = Failure(req.ErrorCode)
	case "bank_transfer":
		outcome = BankTransfer(req.SenderAccountNumber, req.TransactionReference)
	default:
		writeError(w, http.StatusBadRequest, "outcome must be success, failure or bank_transfer")
		return
	}
	res, err := s.Pay(req.OrderID, outcome)
	switch {
	case errors.Is(err, ErrUnknownOrder):
		writeError(w, http.StatusNotFound, "order not found")
		return
	case err != nil:
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	resp := payResponse{Event: res.Event, Payload: res}
	if q := res.callbackQuery(); q != nil {
		resp.Callback = make(map[string]string, len(q))
		for k := range q {
			resp.Callback[k] = q.Get(k)
		}
	}
	writeJSON(w, http.StatusOK, resp)
}
