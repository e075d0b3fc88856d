package glomogin

import (
	"bufio"
	"net"
	"net/http"

	"github.com/gin-gonic/gin"
	"github.com/glomokit/glomo/adapter"
)

// commitWriter is the gin.ResponseWriter Middleware puts in c.Writer. gin
// commits headers in WriteHeaderNow (WriteHeader only records the status),
// and its Write, WriteString and Flush call their own WriteHeaderNow, which
// this wrapper cannot see; so each of these runs the fix-up first, once.
// Everything else (Status, Size, Written, CloseNotify, Pusher) is the
// wrapped writer's.
type commitWriter struct {
	gin.ResponseWriter
	fix               *adapter.Fixer
	req               *http.Request
	committed         bool
	adapter.Exemption // set by glomo.ExemptCOOP
}

var (
	_ gin.ResponseWriter        = (*commitWriter)(nil)
	_ http.Flusher              = (*commitWriter)(nil)
	_ http.Hijacker             = (*commitWriter)(nil)
	_ interface{ ExemptCOOP() } = (*commitWriter)(nil)
)

// commit fixes the headers unless they are fixed or already sent.
func (w *commitWriter) commit() {
	if !w.committed {
		w.committed = true
		if !w.ResponseWriter.Written() {
			w.fixHeaders()
		}
	}
}

// fixHeaders applies the fix-ups to the headers now.
func (w *commitWriter) fixHeaders() {
	w.fix.Fix(w.ResponseWriter.Header(), w.req, &w.Exemption)
}

// WriteHeaderNow fixes the headers and sends them.
func (w *commitWriter) WriteHeaderNow() {
	w.commit()
	w.ResponseWriter.WriteHeaderNow()
}

// Write fixes the headers and writes b.
func (w *commitWriter) Write(b []byte) (int, error) {
	w.commit()
	return w.ResponseWriter.Write(b)
}

// WriteString fixes the headers and writes s.
func (w *commitWriter) WriteString(s string) (int, error) {
	w.commit()
	return w.ResponseWriter.WriteString(s)
}

// Flush fixes the headers and flushes: gin sends the headers on a flush.
func (w *commitWriter) Flush() {
	w.commit()
	w.ResponseWriter.Flush()
}

// Hijack hands the connection over; the headers are the caller's to write
// from then on, so nothing is fixed.
func (w *commitWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, rw, err := w.ResponseWriter.Hijack()
	if err == nil {
		w.committed = true
	}
	return c, rw, err
}

// Unwrap returns the wrapped writer, for http.ResponseController.
func (w *commitWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
