package glomogin_test

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/glomokit/glomo"
	"github.com/glomokit/glomo/adapter"
	glomogin "github.com/glomokit/glomo/adapters/gin"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func init() { gin.SetMode(gin.TestMode) }

const (
	headerCOOP = "Cross-Origin-Opener-Policy"
	headerCSP  = "Content-Security-Policy"
	sitePolicy = "default-src 'self'"
	// mergedPolicy is sitePolicy with Glomo's sources merged in.
	mergedPolicy = "default-src 'self'; script-src 'self' https://glomopay-checkout-sdk.web.app; frame-src 'self' https://glomopay-checkout-sdk.web.app https://*.glomopay.com; connect-src 'self' https://glomopay-checkout-sdk.web.app https://*.glomopay.com"
)

// isolate sets the headers a site that never heard of Glomo sends, through
// gin's own API, before the response is written.
func isolate(c *gin.Context) {
	c.Header(headerCOOP, "same-origin")
	c.Header(headerCSP, sitePolicy)
}

func TestHeadersFixesWhatLaterHandlersSet(t *testing.T) {
	tests := []struct {
		name       string
		handler    gin.HandlerFunc
		wantStatus int
		wantBody   string
	}{
		{"String", func(c *gin.Context) { isolate(c); c.String(http.StatusOK, "page") }, http.StatusOK, "page"},
		{"JSON", func(c *gin.Context) { isolate(c); c.JSON(http.StatusCreated, gin.H{"ok": true}) }, http.StatusCreated, `{"ok":true}`},
		{"Data", func(c *gin.Context) { isolate(c); c.Data(http.StatusOK, "text/html", []byte("<p>")) }, http.StatusOK, "<p>"},
		{"WriteString", func(c *gin.Context) { isolate(c); _, _ = c.Writer.WriteString("raw") }, http.StatusOK, "raw"},
		{"Writer.Header then Write", func(c *gin.Context) {
			c.Writer.Header().Set(headerCOOP, "same-origin")
			c.Writer.Header().Set(headerCSP, sitePolicy)
			c.Writer.WriteHeader(http.StatusAccepted)
			_, _ = c.Writer.Write([]byte("w"))
		}, http.StatusAccepted, "w"},
		{"AbortWithStatus", func(c *gin.Context) { isolate(c); c.AbortWithStatus(http.StatusNoContent) }, http.StatusNoContent, ""},
		{"Status without writing", func(c *gin.Context) { isolate(c); c.Status(http.StatusNoContent) }, http.StatusNoContent, ""},
		{"nothing written", isolate, http.StatusOK, ""},
		{"Redirect", func(c *gin.Context) { isolate(c); c.Redirect(http.StatusSeeOther, "/done") }, http.StatusSeeOther, `<a href="/done">See Other</a>.`},
		{"WriteHeaderNow", func(c *gin.Context) { isolate(c); c.Writer.WriteHeaderNow() }, http.StatusOK, ""},
		{"Flush", func(c *gin.Context) { isolate(c); c.Writer.Flush() }, http.StatusOK, ""},
		{"ResponseController Flush", func(c *gin.Context) {
			isolate(c)
			require.NoError(t, http.NewResponseController(c.Writer).Flush())
		}, http.StatusOK, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := gin.New()
			r.Use(glomogin.Headers())
			r.GET("/", tt.handler)
			rec := httptest.NewRecorder()
			r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))

			// Result's headers are the ones on the wire: recorded when the
			// status was written, whatever changed after.
			res := rec.Result()
			assert.Equal(t, tt.wantStatus, res.StatusCode)
			assert.Equal(t, glomo.COOPAllowPopups, res.Header.Get(headerCOOP))
			assert.Equal(t, mergedPolicy, res.Header.Get(headerCSP))
			assert.Equal(t, tt.wantBody, strings.TrimSpace(rec.Body.String()))
		})
	}
}

func TestHeadersSeesHeadersSetAroundIt(t *testing.T) {
	r := gin.New()
	r.Use(func(c *gin.Context) { // outer: sets the policy before
		c.Header(headerCSP, sitePolicy)
		c.Next()
		// An outer error renderer writes after the chain returned.
		if len(c.Errors) > 0 {
			c.Header(headerCOOP, "same-origin")
			c.JSON(http.StatusTeapot, gin.H{"error": c.Errors.Last().Error()})
		}
	})
	r.Use(glomogin.Headers())
	r.GET("/fail", func(c *gin.Context) { _ = c.Error(fmt.Errorf("no tea")) })

	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/fail", nil))
	res := rec.Result()
	assert.Equal(t, http.StatusTeapot, res.StatusCode)
	assert.Equal(t, glomo.COOPAllowPopups, res.Header.Get(headerCOOP))
	assert.Equal(t, mergedPolicy, res.Header.Get(headerCSP))
	assert.JSONEq(t, `{"error":"no tea"}`, rec.Body.String())
}

func TestCOOPAndCSPSeparately(t *testing.T) {
	tests := []struct {
		name             string
		mw               gin.HandlerFunc
		wantCOOP, wantCS string
	}{
		{"COOP", glomogin.COOP(), glomo.COOPAllowPopups, sitePolicy},
		{"CSP", glomogin.CSP(), "same-origin", mergedPolicy},
		{"Middleware(NewHeaders)", glomogin.Middleware(mustFixer(t, adapter.NewHeaders)), glomo.COOPAllowPopups, mergedPolicy},
		{"Middleware(NewCOOP)", glomogin.Middleware(mustFixer(t, adapter.NewCOOP)), glomo.COOPAllowPopups, sitePolicy},
		{"Middleware(NewCSP)", glomogin.Middleware(mustFixer(t, adapter.NewCSP)), "same-origin", mergedPolicy},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := gin.New()
			r.Use(tt.mw)
			r.GET("/", func(c *gin.Context) { isolate(c); c.String(http.StatusOK, "ok") })
			rec := httptest.NewRecorder()
			r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
			assert.Equal(t, tt.wantCOOP, rec.Result().Header.Get(headerCOOP))
			assert.Equal(t, tt.wantCS, rec.Result().Header.Get(headerCSP))
		})
	}
}

// mustFixer returns the Fixer that newFixer builds without options.
func mustFixer(t *testing.T, newFixer func(...glomo.Option) (*adapter.Fixer, error)) *adapter.Fixer {
	t.Helper()
	f, err := newFixer()
	require.NoError(t, err)
	return f
}

func TestSkip(t *testing.T) {
	skipIsolated := func(r *http.Request) bool { return strings.HasPrefix(r.URL.Path, "/isolated") }
	r := gin.New()
	r.Use(glomogin.COOP(glomo.WithSkip(skipIsolated)))
	r.Use(glomogin.CSP(glomo.WithSkip(skipIsolated)))
	r.GET("/*path", func(c *gin.Context) { isolate(c); c.String(http.StatusOK, "ok") })

	for path, want := range map[string]string{"/isolated/game": "same-origin", "/shop": glomo.COOPAllowPopups} {
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		assert.Equal(t, want, rec.Result().Header.Get(headerCOOP), path)
	}
}

func TestNonce(t *testing.T) {
	r := gin.New()
	r.Use(glomogin.Headers(glomo.WithNonce(), glomo.WithBaseline("script-src 'self'")))
	r.GET("/", func(c *gin.Context) { c.String(http.StatusOK, glomogin.Nonce(c)) })

	seen := map[string]bool{}
	for i := 0; i < 3; i++ {
		rec := httptest.NewRecorder()
		r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
		nonce := rec.Body.String()
		require.NotEmpty(t, nonce)
		assert.False(t, seen[nonce], "a fresh nonce per request")
		seen[nonce] = true
		assert.Contains(t, rec.Result().Header.Get(headerCSP), "'nonce-"+nonce+"'")
	}
}

func TestConstructorsPanicOnBadConfiguration(t *testing.T) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	tests := []struct {
		name      string
		build     func()
		wantPanic bool
		wantErr   error // what the panic matches, when not nil
	}{
		{"Middleware(nil)", func() { glomogin.Middleware(nil) }, true, nil},
		{"CSP with an empty baseline", func() { glomogin.CSP(glomo.WithBaseline("")) }, true, glomo.ErrInvalidBaseline},
		{"Headers with a zero cache", func() { glomogin.Headers(glomo.WithCacheSize(0)) }, true, nil},
		{"Headers with a nil Option", func() { glomogin.Headers(nil) }, true, nil},
		{"COOP with a CSP option", func() { glomogin.COOP(glomo.WithNonce()) }, true, glomo.ErrUnsupportedOption},
		{"COOP with WithSkip and WithLogger", func() {
			glomogin.COOP(glomo.WithSkip(func(*http.Request) bool { return false }), glomo.WithLogger(quiet))
		}, false, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !tt.wantPanic {
				assert.NotPanics(t, tt.build)
				return
			}
			if tt.wantErr == nil {
				assert.Panics(t, tt.build)
				return
			}
			defer func() {
				err, ok := recover().(error)
				require.True(t, ok, "panics with an error")
				assert.ErrorIs(t, err, tt.wantErr)
			}()
			tt.build()
		})
	}
}

func TestRecoveryResponseIsFixed(t *testing.T) {
	r := gin.New()
	r.Use(gin.CustomRecoveryWithWriter(io.Discard, func(c *gin.Context, _ any) {
		c.AbortWithStatus(http.StatusInternalServerError)
	}))
	r.Use(glomogin.Headers())
	r.GET("/", func(c *gin.Context) { isolate(c); panic("handler bug") })

	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	assert.Equal(t, http.StatusInternalServerError, rec.Code)
	assert.Equal(t, glomo.COOPAllowPopups, rec.Result().Header.Get(headerCOOP))
}

// TestStreaming checks on a real connection that the headers of a streamed
// response are fixed by the first flush, before the handler finishes.
func TestStreaming(t *testing.T) {
	release := make(chan struct{})
	r := gin.New()
	r.Use(glomogin.Headers())
	r.GET("/events", func(c *gin.Context) {
		isolate(c)
		c.Header("Content-Type", "text/event-stream")
		first := true
		c.Stream(func(w io.Writer) bool {
			if first {
				first = false
				_, _ = io.WriteString(w, "data: one\n\n")
				return true
			}
			<-release
			_, _ = io.WriteString(w, "data: two\n\n")
			return false
		})
	})
	srv := httptest.NewServer(r)
	defer srv.Close()

	res, err := srv.Client().Get(srv.URL + "/events")
	require.NoError(t, err)
	defer res.Body.Close()
	// The headers and the first event arrived while the handler waits.
	assert.Equal(t, glomo.COOPAllowPopups, res.Header.Get(headerCOOP))
	assert.Equal(t, mergedPolicy, res.Header.Get(headerCSP))
	br := bufio.NewReader(res.Body)
	line, err := br.ReadString('\n')
	require.NoError(t, err)
	assert.Equal(t, "data: one\n", line)
	close(release)
	rest, err := io.ReadAll(br)
	require.NoError(t, err)
	assert.Equal(t, "\ndata: two\n\n", string(rest))
}

// TestHijack checks on a real connection that a hijacked response is left
// to its handler.
func TestHijack(t *testing.T) {
	r := gin.New()
	r.Use(glomogin.Headers())
	r.GET("/raw", func(c *gin.Context) {
		c.Header(headerCOOP, "same-origin")
		conn, rw, err := c.Writer.Hijack()
		if !assert.NoError(t, err) {
			return
		}
		defer conn.Close()
		_, _ = rw.WriteString("HTTP/1.1 200 OK\r\nCross-Origin-Opener-Policy: same-origin\r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi")
		_ = rw.Flush()
	})
	srv := httptest.NewServer(r)
	defer srv.Close()

	res, err := srv.Client().Get(srv.URL + "/raw")
	require.NoError(t, err)
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	assert.Equal(t, "hi", string(body))
	assert.Equal(t, "same-origin", res.Header.Get(headerCOOP), "the handler owns a hijacked connection")
}

func TestWriterPassesThrough(t *testing.T) {
	r := gin.New()
	r.Use(glomogin.Headers())
	r.GET("/", func(c *gin.Context) {
		assert.False(t, c.Writer.Written())
		c.Status(http.StatusAccepted)
		assert.Equal(t, http.StatusAccepted, c.Writer.Status())
		_, _ = c.Writer.WriteString("abc")
		assert.True(t, c.Writer.Written())
		assert.Equal(t, 3, c.Writer.Size())
		assert.Nil(t, c.Writer.Pusher(), "httptest's recorder cannot push")
		_, isRecorder := c.Writer.(interface{ Unwrap() http.ResponseWriter })
		assert.True(t, isRecorder, "Unwrap for http.ResponseController")
	})
	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
	assert.Equal(t, http.StatusAccepted, rec.Code)
}

func TestExemptCOOP(t *testing.T) {
	writes := map[string]func(c *gin.Context){
		"String":          func(c *gin.Context) { c.String(http.StatusOK, "page") },
		"Flush":           func(c *gin.Context) { c.Writer.Flush() },
		"nothing written": func(*gin.Context) {},
	}
	for name, write := range writes {
		t.Run(name, func(t *testing.T) {
			r := gin.New()
			r.Use(glomogin.Headers())
			r.GET("/", func(c *gin.Context) {
				isolate(c)
				assert.True(t, glomo.ExemptCOOP(c.Writer), "the middleware's writer is found")
				write(c)
			})
			rec := httptest.NewRecorder()
			r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/", nil))
			res := rec.Result()
			assert.Equal(t, "same-origin", res.Header.Get(headerCOOP), "an exempt response keeps its COOP")
			assert.Equal(t, mergedPolicy, res.Header.Get(headerCSP), "its CSP is still merged")
		})
	}
	t.Run("without the middleware", func(t *testing.T) {
		found := true
		r := gin.New()
		r.GET("/", func(c *gin.Context) { found = glomo.ExemptCOOP(c.Writer) })
		r.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/", nil))
		assert.False(t, found)
	})
}
