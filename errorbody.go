package glomo

import (
	"encoding/json"
	"net/http"
)

// ErrorBody is the JSON body of every error response the handlers of this
// module write: {"error": code, "message": text}. Code is one of the Code
// constants, stable so that front ends and monitoring may switch on it;
// Message is for people and never contains a secret, a signature or the
// request body.
type ErrorBody struct {
	Code    string `json:"error"`
	Message string `json:"message"`
}

// Error codes of ErrorBody, shared by the result and the webhook handler.
const (
	CodeMethodNotAllowed     = "method_not_allowed"
	CodeBodyTooLarge         = "body_too_large"
	CodeBodyUnreadable       = "body_unreadable"
	CodeUnsupportedMediaType = "unsupported_media_type"
	CodeMalformedQuery       = "malformed_query"
	CodeMalformedJSON        = "malformed_json"
	CodeMalformedForm        = "malformed_form"
	CodeRepeatedParameter    = "repeated_parameter"
	CodeMissingParameter     = "missing_parameter"
	CodeInvalidParameter     = "invalid_parameter"
	CodeUnknownEvent         = "unknown_event"
	CodeUnknownOrder         = "unknown_order"
	CodeOrderMismatch        = "order_mismatch"
	CodeMissingSignature     = "missing_signature"
	CodeMalformedSignature   = "malformed_signature"
	CodeSignatureMismatch    = "signature_mismatch"
	CodeMalformedEvent       = "malformed_event"
	// CodeInProgress answers (409) a webhook whose work another delivery
	// is doing right now; Glomo retries it later.
	CodeInProgress = "in_progress"

	// The codes sent with a 5xx status. The message never says why; the
	// log does.

	// CodeInternalError: a hook (the merchant's code) failed.
	CodeInternalError = "internal_error"
	// CodeStoreUnavailable: the Store failed, so nothing was claimed.
	CodeStoreUnavailable = "store_unavailable"
)

// WriteError answers with status and body as JSON, with
// Cache-Control: no-store and X-Content-Type-Options: nosniff. When w has
// a method RespondError(status int, body ErrorBody), as the writers of
// framework adapters do to answer through their framework's own error
// path, it sets those headers (Content-Type included) and calls that
// method instead of writing the body itself; the method is looked for on
// w itself, not behind Unwrap.
func WriteError(w http.ResponseWriter, status int, body ErrorBody) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	if er, ok := w.(interface{ RespondError(int, ErrorBody) }); ok {
		er.RespondError(status, body)
		return
	}
	w.WriteHeader(status)
	// Encoding two strings cannot fail; a write error means the client left.
	_ = json.NewEncoder(w).Encode(body)
}
