package glomotest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
)

// PathSettleBankTransfer is the simulator's own endpoint (Glomo has no
// such thing: its bank tells it) that settles a bank transfer in progress,
// as SettleBankTransfer does, for a demo's human or a script:
//
//	POST /simulator/bank-transfers/{paymentID}
//	Authorization: Bearer <secret key>
//	Content-Type: application/json
//
//	{"received": true}
//
// It answers 200 with the payment (then "success" or "failed") and sends
// the webhooks; 401 without the secret key, 415 for another content type,
// 400 for a body other than one object with a boolean "received", 404 for
// an unknown payment, 409 for a payment that is not a bank transfer in
// progress (a settled one included, so a repeated click changes nothing).
const PathSettleBankTransfer = "/simulator/bank-transfers/"

// settleRequest is the body of PathSettleBankTransfer.
type settleRequest struct {
	Received *bool `json:"received"`
}

// handleSettle serves POST PathSettleBankTransfer{paymentID}, behind
// requireKey.
func (s *Server) handleSettle(w http.ResponseWriter, r *http.Request) {
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		writeError(w, http.StatusUnsupportedMediaType, "send the body as application/json")
		return
	}
	body, err := readBody(w, r)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	var req settleRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil || req.Received == nil {
		writeError(w, http.StatusBadRequest, `the body must be {"received": true} or {"received": false}`)
		return
	}
	if _, err := dec.Token(); err != io.EOF {
		writeError(w, http.StatusBadRequest, "invalid JSON body: data after the object")
		return
	}
	p, err := s.SettleBankTransfer(r.PathValue("paymentID"), *req.Received)
	switch {
	case errors.Is(err, ErrUnknownPayment):
		writeError(w, http.StatusNotFound, "payment not found")
	case errors.Is(err, ErrNotSettleable):
		writeError(w, http.StatusConflict, "the payment is not a bank transfer in progress")
	case err != nil:
		writeError(w, http.StatusBadRequest, err.Error())
	default:
		writeJSON(w, http.StatusOK, p)
	}
}
