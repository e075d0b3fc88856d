package glomo

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestWriterCombosGenerated checks that writer_combos.go is what
// writer_gen.go writes today.
func TestWriterCombosGenerated(t *testing.T) {
	gobin, err := exec.LookPath("go")
	require.NoError(t, err, "go test runs with the go command on PATH")
	dir := t.TempDir()
	src, err := os.ReadFile("writer_gen.go")
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "writer_gen.go"), src, 0o600))
	cmd := exec.Command(gobin, "run", "writer_gen.go")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, string(out))
	want, err := os.ReadFile(filepath.Join(dir, "writer_combos.go"))
	require.NoError(t, err)
	got, err := os.ReadFile("writer_combos.go")
	require.NoError(t, err)
	assert.Equal(t, string(want), string(got), "run go generate")
}

// fullWriter has every optional interface the wrapper knows.
type fullWriter struct {
	h       http.Header
	events  []string
	pushErr error
}

func (f *fullWriter) Header() http.Header { return f.h }
func (f *fullWriter) Write(b []byte) (int, error) {
	f.events = append(f.events, "write")
	return len(b), nil
}
func (f *fullWriter) WriteHeader(code int) { f.events = append(f.events, "status") }
func (f *fullWriter) Flush()               { f.events = append(f.events, "flush") }
func (f *fullWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	f.events = append(f.events, "hijack")
	return nil, nil, nil
}
func (f *fullWriter) ReadFrom(r io.Reader) (int64, error) {
	f.events = append(f.events, "readfrom")
	return io.Copy(io.Discard, r)
}
func (f *fullWriter) Push(target string, _ *http.PushOptions) error {
	f.events = append(f.events, "push "+target)
	return f.pushErr
}
func (f *fullWriter) CloseNotify() <-chan bool {
	f.events = append(f.events, "closenotify")
	return nil
}

func TestWriterVariantsForward(t *testing.T) {
	fix := &fixer{coop: true}
	tests := []struct {
		name      string
		use       func(w http.ResponseWriter)
		wantEvent string
		committed bool
	}{
		{"Flush", func(w http.ResponseWriter) { w.(http.Flusher).Flush() }, "flush", true},
		{"ReadFrom", func(w http.ResponseWriter) { _, _ = w.(io.ReaderFrom).ReadFrom(strings.NewReader("x")) }, "readfrom", true},
		{"Push", func(w http.ResponseWriter) { _ = w.(http.Pusher).Push("/app.js", nil) }, "push /app.js", false},
		{"Hijack", func(w http.ResponseWriter) { _, _, _ = w.(http.Hijacker).Hijack() }, "hijack", false},
		//lint:ignore SA1019 the wrapper keeps the wrapped writer's deprecated interfaces
		{"CloseNotify", func(w http.ResponseWriter) { _ = w.(http.CloseNotifier).CloseNotify() }, "closenotify", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fw := &fullWriter{h: http.Header{}}
			cw := &commitWriter{rw: fw, req: &http.Request{}, fix: fix}
			tt.use(cw.variant())
			assert.Equal(t, []string{tt.wantEvent}, fw.events)
			assert.Equal(t, tt.committed, fw.h.Get(headerCOOP) != "", "headers fixed")
			cw.finish()
			if tt.name == "Hijack" {
				assert.Empty(t, fw.h.Get(headerCOOP), "a hijacked response is the handler's")
			} else {
				assert.Equal(t, COOPAllowPopups, fw.h.Get(headerCOOP))
			}
		})
	}
}
