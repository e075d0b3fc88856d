package glomofiber

import (
	"net/http"

	"github.com/glomokit/glomo"
	"github.com/gofiber/fiber/v3"
)

// responseWriter is the http.ResponseWriter of the net/http handlers that
// serve runs: it collects their header map and puts status, headers and
// body into c's fasthttp response. Error responses of glomo's handlers go
// through RespondError, that is c.Status(status).JSON(body).
type responseWriter struct {
	c              fiber.Ctx
	header         http.Header
	requestScratch // of the request, allocated with the writer
	// wrote is set once the status and headers are in c's response;
	// handedOver once OnResult gave the response to its render.
	wrote, handedOver bool
	// sniff is set when the headers went out without Content-Type: the
	// first bytes written choose it, as in net/http.
	sniff bool
	err   error // render's, from OnResult
}

var (
	_ http.ResponseWriter = (*responseWriter)(nil)
	// glomo.WriteError and glomo.ExemptCOOP look for these methods
	// structurally; keep them in step.
	_ interface{ RespondError(int, glomo.ErrorBody) } = (*responseWriter)(nil)
	_ interface{ ExemptCOOP() }                       = (*responseWriter)(nil)
)

// Header returns the header map the handler sets; it is copied into c's
// response when the handler writes.
func (w *responseWriter) Header() http.Header {
	if w.header == nil {
		w.header = make(http.Header)
	}
	return w.header
}

// WriteHeader puts status and the headers into c's response, once.
// Informational statuses are ignored: fasthttp cannot send them here.
func (w *responseWriter) WriteHeader(status int) {
	if w.wrote || w.handedOver || status < 200 {
		return
	}
	w.wrote = true
	_, typed := w.header["Content-Type"]
	w.sniff = !typed
	w.copyHeaders()
	w.c.Status(status)
}

// Write appends b to c's response body, writing the headers first. As
// net/http does, a response without Content-Type gets the one
// http.DetectContentType gives b.
func (w *responseWriter) Write(b []byte) (int, error) {
	if w.handedOver {
		return 0, http.ErrBodyNotAllowed
	}
	if !w.wrote {
		w.WriteHeader(http.StatusOK)
	}
	if w.sniff && len(b) > 0 {
		w.sniff = false
		w.c.Response().Header.SetContentType(http.DetectContentType(b))
	}
	w.c.Response().AppendBody(b)
	return len(b), nil
}

// RespondError answers with c.Status(status).JSON(body), the headers set
// so far included; glomo.WriteError calls it for every error response.
func (w *responseWriter) RespondError(status int, body glomo.ErrorBody) {
	if w.wrote || w.handedOver {
		return
	}
	w.wrote = true
	w.copyHeaders()
	if err := w.c.Status(status).JSON(body); err != nil {
		// Only a broken app JSONEncoder fails on two strings.
		w.err = err
	}
}

// ExemptCOOP exempts c's response from the COOP fix-up of the middleware;
// glomo.ExemptCOOP(w) calls it.
func (w *responseWriter) ExemptCOOP() { ExemptCOOP(w.c) }

// handOver copies the headers set so far into c's response and leaves the
// response to code using c directly (OnResult's render).
func (w *responseWriter) handOver() {
	if !w.wrote {
		w.copyHeaders()
	}
	w.handedOver = true
}

// finish completes a response the handler never wrote: a 200 with its
// headers, as net/http sends it.
func (w *responseWriter) finish() {
	if !w.wrote && !w.handedOver {
		w.WriteHeader(http.StatusOK)
	}
}

// copyHeaders replaces the fields of c's response header that the
// handler set with the handler's values. Set-Cookie is added to, not
// replaced (fasthttp keeps cookies apart), and Content-Length and
// Transfer-Encoding are fasthttp's to set from the body.
func (w *responseWriter) copyHeaders() {
	h := &w.c.Response().Header
	for k, vs := range w.header {
		switch k {
		case "Content-Length", "Transfer-Encoding":
			continue
		case "Set-Cookie":
		default:
			h.Del(k)
		}
		for _, v := range vs {
			h.Add(k, v)
		}
	}
}
