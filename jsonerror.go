package glomo

import (
	"encoding/json"
	"net/http"
)

// ErrorBody is the JSON body of every error response the handlers in this
// package write for bad client input: {"error": code, "message": text}.
// Code is a stable machine-readable word; Message is for people and never
// contains a secret, a signature or the request body.
type ErrorBody struct {
	Code    string `json:"error"`
	Message string `json:"message"`
}

// writeJSONError writes an ErrorBody with the given status.
func writeJSONError(w http.ResponseWriter, status int, code, message string) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	// Encoding two strings cannot fail; a write error means the client left.
	_ = json.NewEncoder(w).Encode(ErrorBody{Code: code, Message: message})
}
