package glomo

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/url"
)

// Event names of the SDK, accepted in the optional "event" field of a post.
const (
	EventPaymentSuccess        = "payment.success"
	EventPaymentFailure        = "payment.failure"
	EventBankTransferSubmitted = "payment.bank_transfer_submitted"
)

// maxFieldLen bounds every field: Glomo's ids are short, and a bound keeps
// log lines and the fulfilment store small whatever a client sends.
const maxFieldLen = 256

// requestError is a refusal caused by the client: a 4xx and an ErrorBody.
type requestError struct {
	status        int
	code, message string
}

func (e *requestError) Error() string { return e.code + ": " + e.message }

func badRequest(code, message string) *requestError {
	return &requestError{status: http.StatusBadRequest, code: code, message: message}
}

type field int

const (
	fieldEvent field = iota
	fieldOrder
	fieldPayment
	fieldStatus
	fieldSignature
	fieldError
	fieldErrorCode
	fieldErrorMessage
	fieldSender
	fieldReference
	numFields
)

// redirectFields are the query parameters of the callbackUrl redirect.
// Glomo has not documented the payment id's name, so both spellings count.
var redirectFields = map[string]field{
	"orderId": fieldOrder, "order_id": fieldOrder,
	"paymentId": fieldPayment, "payment_id": fieldPayment,
	"status":    fieldStatus,
	"signature": fieldSignature,
}

// postFields are the keys of a posted SDK event, in camelCase (the SDK's
// own) or snake_case (the guide's and Glomo's samples).
var postFields = map[string]field{
	"event":   fieldEvent,
	"orderId": fieldOrder, "order_id": fieldOrder,
	"paymentId": fieldPayment, "payment_id": fieldPayment,
	"status":    fieldStatus,
	"signature": fieldSignature,
	"error":     fieldError,
	"errorCode": fieldErrorCode, "error_code": fieldErrorCode,
	"errorMessage": fieldErrorMessage, "error_message": fieldErrorMessage,
	"senderAccountNumber": fieldSender, "sender_account_number": fieldSender,
	"transactionReference": fieldReference, "transaction_reference": fieldReference,
}

// rawResult is what the browser sent, before anything is trusted.
type rawResult struct {
	source  Source
	present [numFields]bool
	values  [numFields]string
}

func (r *rawResult) get(f field) string { return r.values[f] }

// set records one occurrence of a field; a second one, under either
// spelling, is refused because the two could disagree.
func (r *rawResult) set(f field, name, value string) *requestError {
	if r.present[f] {
		return badRequest(CodeRepeatedParameter, "parameter "+name+" is given more than once")
	}
	if len(value) > maxFieldLen {
		return badRequest(CodeInvalidParameter, "parameter "+name+" is too long")
	}
	r.present[f] = true
	r.values[f] = value
	return nil
}

// parseValues fills r from query or form values, ignoring keys it does not
// know (a redirect may carry the merchant's own or tracking parameters).
func (r *rawResult) parseValues(vals url.Values, known map[string]field) *requestError {
	for name, vs := range vals {
		f, ok := known[name]
		if !ok {
			continue
		}
		if f == fieldError {
			return badRequest(CodeInvalidParameter, "parameter error must be an object; use errorCode and errorMessage in a form")
		}
		for _, v := range vs {
			if err := r.set(f, name, v); err != nil {
				return err
			}
		}
	}
	return nil
}

// parseRedirect reads the callbackUrl redirect's query string.
func parseRedirect(rawQuery string) (*rawResult, *requestError) {
	vals, err := url.ParseQuery(rawQuery)
	if err != nil {
		return nil, badRequest(CodeMalformedQuery, "the query string is not valid URL encoding")
	}
	r := &rawResult{source: SourceRedirect}
	if e := r.parseValues(vals, redirectFields); e != nil {
		return nil, e
	}
	return r, nil
}

// readBody reads at most limit bytes of the request body.
func readBody(w http.ResponseWriter, req *http.Request, limit int64) ([]byte, *requestError) {
	body, err := io.ReadAll(http.MaxBytesReader(w, req.Body, limit))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			return nil, &requestError{status: http.StatusRequestEntityTooLarge, code: CodeBodyTooLarge,
				message: "the request body is larger than the handler accepts"}
		}
		return nil, badRequest(CodeMalformedForm, "the request body could not be read")
	}
	return body, nil
}

// parsePost reads a posted SDK event, JSON or form encoded.
func parsePost(w http.ResponseWriter, req *http.Request, limit int64) (*rawResult, *requestError) {
	mediaType, _, err := mime.ParseMediaType(req.Header.Get("Content-Type"))
	if err != nil || (mediaType != "application/json" && mediaType != "application/x-www-form-urlencoded") {
		return nil, &requestError{status: http.StatusUnsupportedMediaType, code: CodeUnsupportedMediaType,
			message: "send application/json or application/x-www-form-urlencoded"}
	}
	body, rerr := readBody(w, req, limit)
	if rerr != nil {
		return nil, rerr
	}
	if mediaType == "application/json" {
		return parseJSON(body)
	}
	return parseForm(body)
}

// parseForm reads an application/x-www-form-urlencoded body.
func parseForm(body []byte) (*rawResult, *requestError) {
	vals, err := url.ParseQuery(string(body))
	if err != nil {
		return nil, badRequest(CodeMalformedForm, "the form body is not valid URL encoding")
	}
	r := &rawResult{source: SourcePost}
	if e := r.parseValues(vals, postFields); e != nil {
		return nil, e
	}
	return r, nil
}

// parseJSON reads a JSON object token by token rather than into a struct:
// encoding/json silently keeps the last of two equal keys, and the handler
// must refuse a payload that says two different things.
func parseJSON(body []byte) (*rawResult, *requestError) {
	malformed := badRequest(CodeMalformedJSON, "the body is not a JSON object")
	dec := json.NewDecoder(bytes.NewReader(body))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, malformed
	}
	r := &rawResult{source: SourcePost}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, malformed
		}
		name, _ := tok.(string) // object keys are always strings
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return nil, malformed
		}
		f, known := postFields[name]
		if !known || string(raw) == "null" {
			continue
		}
		if f == fieldError {
			if e := r.setErrorObject(raw); e != nil {
				return nil, e
			}
			continue
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, badRequest(CodeInvalidParameter, "parameter "+name+" must be a string")
		}
		if e := r.set(f, name, s); e != nil {
			return nil, e
		}
	}
	if tok, err := dec.Token(); err != nil || tok != json.Delim('}') {
		return nil, malformed
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, badRequest(CodeMalformedJSON, "the body has data after the JSON object")
	}
	return r, nil
}

// setErrorObject reads payment.failure's {"code": ..., "message": ...}.
func (r *rawResult) setErrorObject(raw json.RawMessage) *requestError {
	var e struct {
		Code    *string `json:"code"`
		Message *string `json:"message"`
	}
	if err := json.Unmarshal(raw, &e); err != nil {
		return badRequest(CodeInvalidParameter, "parameter error must be an object with string code and message")
	}
	if r.present[fieldError] {
		return badRequest(CodeRepeatedParameter, "parameter error is given more than once")
	}
	r.present[fieldError] = true
	if e.Code != nil {
		if err := r.set(fieldErrorCode, "error.code", *e.Code); err != nil {
			return err
		}
	}
	if e.Message != nil {
		if err := r.set(fieldErrorMessage, "error.message", *e.Message); err != nil {
			return err
		}
	}
	return nil
}
