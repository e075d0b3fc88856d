package glomo

import (
	"bufio"
	"io"
	"net"
	"net/http"
)

//go:generate go run writer_gen.go

// Short names for the types in http.Hijacker's signature, so the generated
// variants in writer_combos.go stay readable.
type (
	netConn         = net.Conn
	bufioReadWriter = bufio.ReadWriter
)

// commitWriter wraps a ResponseWriter so that a fixer sees the final
// header map exactly once, just before it goes on the wire: at the first
// WriteHeader (other than 1xx informational), Write, WriteString, ReadFrom or
// Flush, or when the handler returns without writing (see finish).
//
// It never adds an optional interface that the wrapped writer lacks: the
// variants in writer_combos.go expose exactly the wrapped writer's
// http.Flusher, http.Hijacker, io.ReaderFrom, http.Pusher and the deprecated
// http.CloseNotifier, and Unwrap lets http.ResponseController reach
// everything else.
type commitWriter struct {
	rw        http.ResponseWriter
	req       *http.Request
	fix       *fixer
	committed bool
	// keepCOOP is set by ExemptCOOP: the response keeps the COOP headers
	// the application wrote. Every variant has the method.
	keepCOOP bool
}

// ExemptCOOP marks the response exempt from the COOP fix-up.
func (w *commitWriter) ExemptCOOP() { w.keepCOOP = true }

func (w *commitWriter) commitOnce() {
	if !w.committed {
		w.committed = true
		w.fix.Fix(w.rw.Header(), w.req, w.keepCOOP)
	}
}

// Header returns the wrapped writer's header map.
func (w *commitWriter) Header() http.Header { return w.rw.Header() }

// WriteHeader commits the headers, except for 1xx informational responses
// (such as 103 Early Hints), which pass through and leave the final
// response still to come. 101 Switching Protocols is final.
func (w *commitWriter) WriteHeader(code int) {
	if code >= 100 && code <= 199 && code != http.StatusSwitchingProtocols {
		w.rw.WriteHeader(code)
		return
	}
	w.commitOnce()
	w.rw.WriteHeader(code)
}

// Write commits the headers and writes b.
func (w *commitWriter) Write(b []byte) (int, error) {
	w.commitOnce()
	return w.rw.Write(b)
}

// WriteString commits the headers and writes s without copying it when the
// wrapped writer is an io.StringWriter, as net/http's is.
func (w *commitWriter) WriteString(s string) (int, error) {
	w.commitOnce()
	return io.WriteString(w.rw, s)
}

// FlushError is what http.ResponseController.Flush calls. It commits the
// headers only when something beneath can flush, so a failed flush does not
// freeze headers the handler may still change.
func (w *commitWriter) FlushError() error {
	if !canFlush(w.rw) {
		return http.ErrNotSupported
	}
	w.commitOnce()
	return http.NewResponseController(w.rw).Flush()
}

// Unwrap returns the wrapped writer, for http.ResponseController.
func (w *commitWriter) Unwrap() http.ResponseWriter { return w.rw }

func (w *commitWriter) flush() {
	w.commitOnce()
	w.rw.(http.Flusher).Flush()
}

func (w *commitWriter) readFrom(r io.Reader) (int64, error) {
	w.commitOnce()
	return w.rw.(io.ReaderFrom).ReadFrom(r)
}

// hijack hands the connection over; the headers are the handler's to write
// from then on, so nothing is committed.
func (w *commitWriter) hijack() (c netConn, rw *bufioReadWriter, err error) {
	c, rw, err = w.rw.(http.Hijacker).Hijack()
	if err == nil {
		w.committed = true
	}
	return c, rw, err
}

// push starts an HTTP/2 server push; it does not commit the response.
func (w *commitWriter) push(target string, opts *http.PushOptions) error {
	return w.rw.(http.Pusher).Push(target, opts)
}

// closeNotify forwards the deprecated http.CloseNotifier; it does not
// commit the response.
func (w *commitWriter) closeNotify() <-chan bool {
	//lint:ignore SA1019 the wrapper keeps the wrapped writer's deprecated interfaces
	return w.rw.(http.CloseNotifier).CloseNotify()
}

// finish commits the headers of a handler that returned without writing:
// net/http then sends the header map as it is.
func (w *commitWriter) finish() { w.commitOnce() }

// canFlush reports whether rw, or a writer it unwraps to, can flush.
func canFlush(rw http.ResponseWriter) bool {
	for rw != nil {
		switch t := rw.(type) {
		case http.Flusher, interface{ FlushError() error }:
			return true
		case interface{ Unwrap() http.ResponseWriter }:
			rw = t.Unwrap()
		default:
			return false
		}
	}
	return false
}

// serveCommitted runs next with w wrapped so that fix sees the headers when
// they are committed. finish is deferred so that when next panics, a
// recoverer outside (chi's Recoverer, say) writes its 500 with fixed headers.
func serveCommitted(fix *fixer, w http.ResponseWriter, r *http.Request, next http.Handler) {
	cw := &commitWriter{rw: w, req: r, fix: fix}
	defer cw.finish()
	next.ServeHTTP(cw.variant(), r)
}
