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

// ErrorResponder is implemented by a ResponseWriter that sends the error
// responses of ResultHandler and WebhookHandler its own way, as framework
// adapters do (gin's AbortWithStatusJSON, echo's HTTPError). When the
// writer a handler is given implements it, the handler sets the headers of
// the error response (Content-Type, Cache-Control, X-Content-Type-Options,
// and Allow for a 405) and calls RespondError instead of writing the status
// and the JSON body itself. It is not looked for behind Unwrap.
type ErrorResponder interface {
	RespondError(status int, body ErrorBody)
}

// writeJSONError writes an ErrorBody with the given status.
func writeJSONError(w http.ResponseWriter, status int, code, message string) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	if er, ok := w.(ErrorResponder); ok {
		er.RespondError(status, ErrorBody{Code: code, Message: message})
		return
	}
	w.WriteHeader(status)
	// Encoding two strings cannot fail; a write error means the client left.
	_ = json.NewEncoder(w).Encode(ErrorBody{Code: code, Message: message})
}
