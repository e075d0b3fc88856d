package glomoechov5

import (
	"encoding/json"
	"fmt"

	"github.com/glomokit/glomo"
	"github.com/labstack/echo/v5"
)

// Error is what [Result] and [Webhook] return where glomo's net/http
// handlers would write an error response: a refusal of bad client input
// (4xx) or a failure (5xx), with the status and the body those handlers
// send. It is echo v5's way for an error to carry its own response: it
// implements echo.HTTPStatusCoder (echo.StatusCode reports Status) and
// json.Marshaler (Body), so echo's default error handler answers with
// Status and the JSON glomo.ErrorBody {"error": code, "message": text}.
// A custom error handler reads it with errors.As; errors.As to an
// *echo.HTTPError finds one with the same status whose Message is
// Body.Message, for handlers that only know echo's own error.
//
// When it is returned, glomo has already set the response's
// Content-Type (application/json; charset=utf-8), X-Content-Type-Options
// (nosniff) and Cache-Control (no-store) headers. Echo's renderers keep a
// Content-Type that is set, so an error handler that answers with
// something other than JSON sets its own.
type Error struct {
	// Status is the HTTP status of the answer.
	Status int
	// Body is glomo's error body; Body.Code is one of the glomo.Code
	// constants.
	Body glomo.ErrorBody
}

var (
	_ echo.HTTPStatusCoder = (*Error)(nil)
	_ json.Marshaler       = (*Error)(nil)
)

// Error returns the status and the body's code and message.
func (e *Error) Error() string {
	return fmt.Sprintf("glomoechov5: %d %s: %s", e.Status, e.Body.Code, e.Body.Message)
}

// StatusCode returns Status, for echo.StatusCode and echo's error handler.
func (e *Error) StatusCode() int { return e.Status }

// MarshalJSON encodes Body, which echo's default error handler sends.
func (e *Error) MarshalJSON() ([]byte, error) { return json.Marshal(e.Body) }

// Unwrap returns the *echo.HTTPError equivalent of e: the same status,
// with Body.Message as its Message.
func (e *Error) Unwrap() error { return echo.NewHTTPError(e.Status, e.Body.Message) }
