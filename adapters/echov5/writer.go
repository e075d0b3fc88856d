package glomoechov5

import (
	"bufio"
	"net"
	"net/http"

	"github.com/glomokit/glomo/adapter"
)

// commitWriter is the writer Middleware puts beneath echo's *echo.Response.
// Echo's Response runs its Before hooks and then calls WriteHeader here,
// writes here, and flushes and hijacks through http.ResponseController,
// which finds this writer's FlushError and Hijack; so the fix-up runs once,
// at the first of these, after every Before hook.
type commitWriter struct {
	http.ResponseWriter
	fix               *adapter.Fixer
	req               *http.Request
	committed         bool
	adapter.Exemption // set by glomo.ExemptCOOP
}

var (
	_ http.Flusher              = (*commitWriter)(nil)
	_ http.Hijacker             = (*commitWriter)(nil)
	_ interface{ ExemptCOOP() } = (*commitWriter)(nil)
)

// commit fixes the headers unless they are fixed already.
func (w *commitWriter) commit() {
	if !w.committed {
		w.committed = true
		w.fixHeaders()
	}
}

// fixHeaders applies the fix-ups to the headers now.
func (w *commitWriter) fixHeaders() {
	w.fix.Fix(w.ResponseWriter.Header(), w.req, &w.Exemption)
}

// WriteHeader fixes the headers, unless for a 1xx informational status
// (which leaves them open for the final one), and sends them.
func (w *commitWriter) WriteHeader(code int) {
	if code < 100 || code > 199 || code == http.StatusSwitchingProtocols {
		w.commit()
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write fixes the headers and writes b.
func (w *commitWriter) Write(b []byte) (int, error) {
	w.commit()
	return w.ResponseWriter.Write(b)
}

// FlushError fixes the headers and flushes: echo's Response.Flush calls it
// through http.ResponseController. Headers are fixed only when a writer
// beneath can flush, so that a failed flush does not freeze them.
func (w *commitWriter) FlushError() error {
	if !canFlush(w.ResponseWriter) {
		return http.ErrNotSupported
	}
	w.commit()
	return http.NewResponseController(w.ResponseWriter).Flush()
}

// Flush is FlushError for callers that look for http.Flusher; it does
// nothing when no writer beneath can flush.
func (w *commitWriter) Flush() { _ = w.FlushError() }

// Hijack hands the connection over; the headers are the caller's to write
// from then on, so nothing is fixed.
func (w *commitWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, rw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err == nil {
		w.committed = true
	}
	return c, rw, err
}

// Unwrap returns the wrapped writer, for http.ResponseController.
func (w *commitWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// canFlush reports whether rw, or a writer it unwraps to, can flush.
func canFlush(rw http.ResponseWriter) bool {
	for {
		switch t := rw.(type) {
		case http.Flusher, interface{ FlushError() error }:
			return true
		case interface{ Unwrap() http.ResponseWriter }:
			rw = t.Unwrap()
		default:
			return false
		}
	}
}
