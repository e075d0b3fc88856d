package adapter

import (
	"bufio"
	"net"
	"net/http"
)

// Writer is an http.ResponseWriter that applies a Fixer's fix-ups to the
// writer it wraps once, when the headers are committed: at the first
// WriteHeader (other than 1xx informational), Write or flush. Frameworks
// whose response object writes to an http.ResponseWriter it lets an
// adapter replace (echo) put one beneath it. Hijacking commits nothing:
// the headers are the caller's from then on. glomo.ExemptCOOP finds its
// Exemption through Unwrap chains.
type Writer struct {
	http.ResponseWriter
	Exemption // set by glomo.ExemptCOOP
	fix       *Fixer
	req       *http.Request
	committed bool
}

var (
	_ http.Flusher              = (*Writer)(nil)
	_ http.Hijacker             = (*Writer)(nil)
	_ interface{ ExemptCOOP() } = (*Writer)(nil)
)

// NewWriter returns a Writer applying f's fix-ups to w, the response to r
// (the request Prepare returned).
func (f *Fixer) NewWriter(w http.ResponseWriter, r *http.Request) *Writer {
	return &Writer{ResponseWriter: w, fix: f, req: r}
}

// Committed reports whether the headers were committed (or the connection
// hijacked) through w.
func (w *Writer) Committed() bool { return w.committed }

// Fix applies the fix-ups to the headers now, without committing them:
// for a response the handler returned from without writing, which
// net/http or the framework's error handler then sends. It is idempotent.
func (w *Writer) Fix() { w.fix.Fix(w.ResponseWriter.Header(), w.req, &w.Exemption) }

func (w *Writer) commit() {
	if !w.committed {
		w.committed = true
		w.Fix()
	}
}

// WriteHeader fixes the headers, unless for a 1xx informational status
// (which leaves them open for the final one), and sends them.
func (w *Writer) WriteHeader(code int) {
	if code < 100 || code > 199 || code == http.StatusSwitchingProtocols {
		w.commit()
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write fixes the headers and writes b.
func (w *Writer) Write(b []byte) (int, error) {
	w.commit()
	return w.ResponseWriter.Write(b)
}

// FlushError fixes the headers and flushes, as http.ResponseController
// asks. Headers are fixed only when a writer beneath can flush, so that a
// failed flush does not freeze them.
func (w *Writer) FlushError() error {
	if !canFlush(w.ResponseWriter) {
		return http.ErrNotSupported
	}
	w.commit()
	return http.NewResponseController(w.ResponseWriter).Flush()
}

// Flush is FlushError for callers that look for http.Flusher; it does
// nothing when no writer beneath can flush.
func (w *Writer) Flush() { _ = w.FlushError() }

// Hijack hands the connection over; nothing is fixed.
func (w *Writer) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, rw, err := http.NewResponseController(w.ResponseWriter).Hijack()
	if err == nil {
		w.committed = true
	}
	return c, rw, err
}

// Unwrap returns the wrapped writer, for http.ResponseController.
func (w *Writer) Unwrap() http.ResponseWriter { return w.ResponseWriter }

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
