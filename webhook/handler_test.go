package webhook_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/iotest"
	"time"

	"github.com/glomokit/glomo"
	"github.com/glomokit/glomo/glomotest"
	"github.com/glomokit/glomo/webhook"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// countingReader counts the bytes a handler reads from a body.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// endless is a body that never ends.
type endless struct{}

func (endless) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = 'x'
	}
	return len(p), nil
}

func TestHandlerKnownAnswerVector(t *testing.T) {
	hs := newHarness(t, func(c *config) { c.opts.Secrets = []webhook.Secret{vectorSecret} })
	body := vectorBody(t)
	requireStatus(t, deliver(hs.h, body, vectorSignature), "processed")
	events := hs.recordedEvents()
	require.Len(t, events, 1)
	e := events[0]
	assert.Equal(t, "payout", e.EntityType)
	assert.Equal(t, "success", e.EventType)
	assert.Equal(t, "payout_6a8fd80eo6coZ", e.ID())
	assert.Equal(t, "success", e.Status())
	assert.Equal(t, "payout|payout_6a8fd80eo6coZ|success|success", e.DedupKey())
	assert.Equal(t, body, e.Raw)
	assert.Zero(t, hs.hooked.Load())

	// glomotest signs the same way.
	w := httptest.NewRecorder()
	hs.h.ServeHTTP(w, glomotest.NewRawWebhookRequest("/webhooks/glomo", body, string(vectorSecret)))
	requireStatus(t, w, "duplicate")
	assert.EqualValues(t, 1, hs.handled.Load())
}

func TestHandlerRefuses(t *testing.T) {
	good := paymentBody("payt_1", "in_progress")
	goodSig := webhook.Sign(good, testSecret)
	signed := func(body string) ([]byte, string) {
		return []byte(body), webhook.Sign([]byte(body), testSecret)
	}
	garbage := []byte("this is not json at all")
	huge := bodyOfSize(webhook.DefaultMaxBodyBytes+1, 1)
	setMethod := func(m string) func(*http.Request) { return func(r *http.Request) { r.Method = m } }
	setType := func(ct string) func(*http.Request) {
		return func(r *http.Request) { r.Header.Set("Content-Type", ct) }
	}
	type tcase struct {
		name   string
		body   []byte
		sig    string
		mutate func(*http.Request)
		status int
		code   string
	}
	tests := []tcase{}
	for _, m := range []string{http.MethodGet, http.MethodHead, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions, "PROPFIND"} {
		tests = append(tests, tcase{"method " + m, good, goodSig, setMethod(m), 405, glomo.CodeMethodNotAllowed})
	}
	for _, ct := range []string{
		"text/plain", "text/json", "application/xml", "application/x-www-form-urlencoded",
		"multipart/form-data; boundary=x", "application/merge-patch+json", "application",
		// Malformed media types.
		"application/json; charset", "application/json garbage", "/json", "application/json; a=b; a=c",
		";", "application/json;;",
	} {
		tests = append(tests, tcase{"content type " + ct, good, goodSig, setType(ct), 415, glomo.CodeUnsupportedMediaType})
	}
	tests = append(tests, []tcase{
		{"no signature", good, "", nil, 401, glomo.CodeMissingSignature},
		{"empty signature header", good, "", func(r *http.Request) { r.Header.Set(webhook.SignatureHeader, "") }, 401, glomo.CodeMissingSignature},
		{"truncated signature", good, goodSig[:63], nil, 400, glomo.CodeMalformedSignature},
		{"signature a digit long", good, goodSig + "0", nil, 400, glomo.CodeMalformedSignature},
		{"non-hex signature", good, strings.Repeat("g", 64), nil, 400, glomo.CodeMalformedSignature},
		{"sha256= prefix", good, "sha256=" + goodSig, nil, 400, glomo.CodeMalformedSignature},
		{"sha256= prefix, 64 bytes", good, "sha256=" + goodSig[:57], nil, 400, glomo.CodeMalformedSignature},
		{"signature with spaces", good, " " + goodSig[1:63] + " ", nil, 400, glomo.CodeMalformedSignature},
		{"two signatures", good, goodSig, func(r *http.Request) { r.Header.Add(webhook.SignatureHeader, goodSig) }, 400, glomo.CodeMalformedSignature},
		{"a signature and an empty one", good, goodSig, func(r *http.Request) { r.Header.Add(webhook.SignatureHeader, "") }, 400, glomo.CodeMalformedSignature},
		{"two signatures in one header", good, goodSig + "," + goodSig, nil, 400, glomo.CodeMalformedSignature},
		{"signature of another body", good, webhook.Sign(paymentBody("payt_2", "in_progress"), testSecret), nil, 401, glomo.CodeSignatureMismatch},
		{"signed with another secret", good, webhook.Sign(good, "whsec_other"), nil, 401, glomo.CodeSignatureMismatch},
		{"signed with the API key", good, webhook.Sign(good, "sk_test_api_key"), nil, 401, glomo.CodeSignatureMismatch},
		{"body changed after signing", append(bytes.Clone(good), ' '), goodSig, nil, 401, glomo.CodeSignatureMismatch},
		{"unsigned garbage", garbage, goodSig, nil, 401, glomo.CodeSignatureMismatch},
		{"huge declared body", good, goodSig, func(r *http.Request) { r.ContentLength = 10 << 20 }, 413, glomo.CodeBodyTooLarge},
		{"declared a byte over the cap", good, goodSig, func(r *http.Request) { r.ContentLength = webhook.DefaultMaxBodyBytes + 1 }, 413, glomo.CodeBodyTooLarge},
		{"chunked body a byte over the cap", huge, webhook.Sign(huge, testSecret), func(r *http.Request) { r.ContentLength = -1 }, 413, glomo.CodeBodyTooLarge},
		{"endless chunked body", nil, goodSig, func(r *http.Request) { r.Body = io.NopCloser(endless{}); r.ContentLength = -1 }, 413, glomo.CodeBodyTooLarge},
		{"unreadable body", good, goodSig, func(r *http.Request) {
			r.Body = io.NopCloser(iotest.ErrReader(errors.New("connection reset by peer")))
		}, 400, glomo.CodeBodyUnreadable},
		{"body failing half way", good, goodSig, func(r *http.Request) {
			r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(good[:20]), iotest.ErrReader(io.ErrUnexpectedEOF)))
		}, 400, glomo.CodeBodyUnreadable},
		{"body timing out", good, goodSig, func(r *http.Request) {
			r.Body = io.NopCloser(iotest.TimeoutReader(bytes.NewReader(good)))
		}, 400, glomo.CodeBodyUnreadable},
	}...)
	for _, m := range []struct{ name, body string }{
		{"signed garbage", string(garbage)},
		{"signed empty body", ``},
		{"signed truncated JSON", string(good[:50])},
		{"signed JSON array", `[{"entity_type":"payment","event_type":"success"}]`},
		{"signed JSON string", `"payment"`},
		{"signed JSON null", `null`},
		{"signed JSON number", `42`},
		{"signed JSON without types", `{"data":{}}`},
		{"no entity_type", `{"event_type":"success","data":{"id":"payt_1"}}`},
		{"no event_type", `{"entity_type":"payment","data":{"id":"payt_1"}}`},
		{"empty entity_type", `{"entity_type":"","event_type":"success"}`},
		{"empty event_type", `{"entity_type":"payment","event_type":""}`},
		{"numeric entity_type", `{"entity_type":7,"event_type":"success"}`},
		{"object event_type", `{"entity_type":"payment","event_type":{"v":"success"}}`},
		{"null event_type", `{"entity_type":"payment","event_type":null}`},
		{"repeated entity_type, the last a number", `{"entity_type":"payment","event_type":"success","entity_type":1}`},
		{"trailing object", `{"entity_type":"payment","event_type":"success"}{}`},
		{"trailing byte", `{"entity_type":"payment","event_type":"success"}x`},
		{"nested too deep", `{"entity_type":"a","event_type":"b","data":` + strings.Repeat("[", maxJSONDepth) + strings.Repeat("]", maxJSONDepth) + `}`},
	} {
		body, sig := signed(m.body)
		tests = append(tests, tcase{m.name, body, sig, nil, 400, glomo.CodeMalformedEvent})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hs := newHarness(t)
			w := deliver(hs.h, tt.body, tt.sig, tt.mutate)
			eb := requireError(t, w, tt.status, tt.code)
			if tt.status == http.StatusMethodNotAllowed {
				assert.Equal(t, http.MethodPost, w.Header().Get("Allow"))
			} else {
				assert.Empty(t, w.Header().Get("Allow"))
			}
			if tt.status == http.StatusRequestEntityTooLarge {
				assert.Contains(t, eb.Message, strconv.Itoa(webhook.DefaultMaxBodyBytes))
			}
			assert.Zero(t, hs.handled.Load(), "Handle must not run")
			assert.Zero(t, hs.hooked.Load(), "the fulfilment hook must not run")
			logs := hs.logs.String()
			assert.Equal(t, 1, strings.Count(logs, "\n"), "one record per refusal: %s", logs)
			assert.Contains(t, logs, "reason="+tt.code)
			assert.Contains(t, logs, "status="+strconv.Itoa(tt.status))
			assertCleanLogs(t, logs, tt.body, tt.sig)
			assert.NotContains(t, eb.Message, string(testSecret))
			if len(tt.body) >= 8 {
				assert.NotContains(t, w.Body.String(), string(tt.body[:8]), "the answer quotes the body")
			}
		})
	}
}

// A request that cannot verify costs no read: the method, the media
// type, the signature's shape and a declared length are checked first.
func TestHandlerRefusesBeforeReading(t *testing.T) {
	good := paymentBody("payt_1", "in_progress")
	goodSig := webhook.Sign(good, testSecret)
	for _, tc := range []struct {
		name   string
		sig    string
		mutate func(*http.Request)
		status int
	}{
		{"method", goodSig, func(r *http.Request) { r.Method = http.MethodGet }, 405},
		{"media type", goodSig, func(r *http.Request) { r.Header.Set("Content-Type", "text/plain") }, 415},
		{"no signature", "", nil, 401},
		{"malformed signature", "sha256=" + goodSig[:57], nil, 400},
		{"declared too large", goodSig, func(r *http.Request) { r.ContentLength = webhook.DefaultMaxBodyBytes + 1 }, 413},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hs := newHarness(t)
			cr := &countingReader{r: bytes.NewReader(good)}
			w := deliver(hs.h, nil, tc.sig, func(r *http.Request) {
				r.Body = io.NopCloser(cr)
				r.ContentLength = int64(len(good))
			}, tc.mutate)
			assert.Equal(t, tc.status, w.Code)
			assert.Zero(t, cr.n.Load(), "bytes read")
		})
	}
	t.Run("chunked body over the cap reads at most a byte more", func(t *testing.T) {
		hs := newHarness(t, func(c *config) { c.opts.MaxBodyBytes = 4096 })
		cr := &countingReader{r: endless{}}
		w := deliver(hs.h, nil, goodSig, func(r *http.Request) {
			r.Body = io.NopCloser(cr)
			r.ContentLength = -1
		})
		requireError(t, w, 413, glomo.CodeBodyTooLarge)
		assert.LessOrEqual(t, cr.n.Load(), int64(4097))
	})
}

func TestHandlerAccepts(t *testing.T) {
	body := paymentBody("payt_ok", "in_progress")
	sig := webhook.Sign(body, testSecret)
	setType := func(ct string) func(*http.Request) {
		return func(r *http.Request) { r.Header.Set("Content-Type", ct) }
	}
	wrap := func(f func(io.Reader) io.Reader, chunked bool) func(*http.Request) {
		return func(r *http.Request) {
			r.Body = io.NopCloser(f(bytes.NewReader(body)))
			if chunked {
				r.ContentLength = -1
			}
		}
	}
	for _, tc := range []struct {
		name   string
		sig    string
		mutate func(*http.Request)
	}{
		{"application/json", sig, nil},
		{"charset utf-8", sig, setType("application/json; charset=utf-8")},
		{"charset UTF-8 without a space", sig, setType("application/json;charset=UTF-8")},
		{"media type of another case", sig, setType("Application/JSON")},
		{"a trailing semicolon", sig, setType("application/json;")},
		{"no content type", sig, func(r *http.Request) { r.Header.Del("Content-Type") }},
		{"uppercase hex", strings.ToUpper(sig), nil},
		{"mixed-case hex", strings.ToUpper(sig[:7]) + sig[7:], nil},
		{"chunked", sig, wrap(func(r io.Reader) io.Reader { return r }, true)},
		{"one byte at a time", sig, wrap(iotest.OneByteReader, false)},
		{"half reads, chunked", sig, wrap(iotest.HalfReader, true)},
		{"the last bytes with io.EOF", sig, wrap(iotest.DataErrReader, false)},
		{"a non-canonical header name", "", func(r *http.Request) { r.Header.Set("x-glomopay-signature", sig) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hs := newHarness(t)
			requireStatus(t, deliver(hs.h, body, tc.sig, tc.mutate), "processed")
			events := hs.recordedEvents()
			require.Len(t, events, 1)
			assert.Equal(t, body, events[0].Raw)
			assert.Equal(t, "payt_ok", events[0].ID())
			assert.Empty(t, hs.logs.String(), "nothing to log about a processed event")
		})
	}
}

func TestHandlerRotation(t *testing.T) {
	hs := newHarness(t, func(c *config) { c.opts.Secrets = []webhook.Secret{"whsec_new", "whsec_old"} })
	for _, tc := range []struct {
		secret webhook.Secret
		ok     bool
	}{
		{"whsec_new", true},
		{"whsec_old", true},
		{"whsec_other", false},
		{"whsec_ne", false},
		{"whsec_new" + "whsec_old", false},
	} {
		t.Run(string(tc.secret), func(t *testing.T) {
			body := paymentBody("payt_rot_"+string(tc.secret), "in_progress")
			w := deliver(hs.h, body, webhook.Sign(body, tc.secret))
			if tc.ok {
				requireStatus(t, w, "processed")
			} else {
				requireError(t, w, 401, glomo.CodeSignatureMismatch)
			}
		})
	}
	assert.EqualValues(t, 2, hs.handled.Load())
	assertCleanLogs(t, hs.logs.String(), nil, "", "whsec_new", "whsec_old")
}

// NewHandler keeps its own copy of the secrets.
func TestHandlerCopiesSecrets(t *testing.T) {
	secrets := []webhook.Secret{testSecret}
	hs := newHarness(t, func(c *config) { c.opts.Secrets = secrets })
	secrets[0] = "whsec_changed"
	body := paymentBody("payt_copy", "in_progress")
	requireStatus(t, hs.send(body), "processed")
	requireError(t, deliver(hs.h, body, webhook.Sign(body, "whsec_changed")), 401, glomo.CodeSignatureMismatch)
}

func TestHandlerBodyCap(t *testing.T) {
	assert.EqualValues(t, 1<<20, webhook.DefaultMaxBodyBytes)
	for _, tc := range []struct {
		name  string
		max   int64 // Options.MaxBodyBytes
		limit int   // the cap in force
	}{
		{"default", 0, webhook.DefaultMaxBodyBytes},
		{"custom", 4096, 4096},
		{"custom, small", 300, 300},
	} {
		for _, chunked := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/chunked=%v", tc.name, chunked), func(t *testing.T) {
				hs := newHarness(t, func(c *config) { c.opts.MaxBodyBytes = tc.max })
				length := func(r *http.Request) {
					if chunked {
						r.ContentLength = -1
					}
				}
				exact := bodyOfSize(tc.limit, 1)
				require.Len(t, exact, tc.limit)
				requireStatus(t, hs.send(exact, length), "processed")

				over := bodyOfSize(tc.limit+1, 2)
				eb := requireError(t, hs.send(over, length), 413, glomo.CodeBodyTooLarge)
				assert.Contains(t, eb.Message, strconv.Itoa(tc.limit))
				assert.EqualValues(t, 1, hs.handled.Load())

				under := bodyOfSize(tc.limit-1, 3)
				requireStatus(t, hs.send(under, length), "processed")
				assert.EqualValues(t, 2, hs.handled.Load())
				events := hs.recordedEvents()
				assert.Equal(t, exact, events[0].Raw)
				assert.Equal(t, under, events[1].Raw)
			})
		}
	}
	t.Run("the largest cap", func(t *testing.T) {
		hs := newHarness(t, func(c *config) { c.opts.MaxBodyBytes = math.MaxInt64 })
		for i, chunked := range []bool{false, true} {
			body := paymentBody(fmt.Sprintf("payt_cap_%d", i), "in_progress")
			requireStatus(t, hs.send(body, func(r *http.Request) {
				if chunked {
					r.ContentLength = -1
				}
			}), "processed")
		}
		assert.EqualValues(t, 2, hs.handled.Load())
	})
}

func TestNewHandlerConfig(t *testing.T) {
	f := glomo.MustNewFulfilment(func(context.Context, glomo.PaidOrder) error { return nil }, glomo.FulfilmentOptions{})
	noop := func(context.Context, webhook.Event) error { return nil }
	for _, tc := range []struct {
		name   string
		opts   webhook.Options
		noSecr bool // the error matches glomo.ErrNoSecret
	}{
		{"no secrets", webhook.Options{Fulfilment: f, Handle: noop}, true},
		{"an empty list of secrets", webhook.Options{Secrets: []webhook.Secret{}, Fulfilment: f}, true},
		{"an empty secret", webhook.Options{Secrets: []webhook.Secret{""}, Fulfilment: f}, true},
		{"an empty secret after a good one", webhook.Options{Secrets: []webhook.Secret{testSecret, ""}, Fulfilment: f}, true},
		{"no Fulfilment", webhook.Options{Secrets: []webhook.Secret{testSecret}, Handle: noop}, false},
		{"negative MaxBodyBytes", webhook.Options{Secrets: []webhook.Secret{testSecret}, Fulfilment: f, MaxBodyBytes: -1}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := webhook.NewHandler(tc.opts)
			require.Error(t, err)
			assert.Nil(t, h)
			if tc.noSecr {
				assert.ErrorIs(t, err, glomo.ErrNoSecret)
			} else {
				assert.NotErrorIs(t, err, glomo.ErrNoSecret)
			}
			assert.NotContains(t, err.Error(), string(testSecret))
			assert.Panics(t, func() { webhook.MustNewHandler(tc.opts) })
		})
	}
	t.Run("the least that works", func(t *testing.T) {
		opts := webhook.Options{Secrets: []webhook.Secret{testSecret}, Fulfilment: f}
		h, err := webhook.NewHandler(opts)
		require.NoError(t, err)
		require.NotNil(t, h)
		assert.NotPanics(t, func() { webhook.MustNewHandler(opts) })
	})
}

// Without Handle, events that are not payments are acknowledged
// unprocessed; paid orders are still fulfilled.
func TestHandlerWithoutHandle(t *testing.T) {
	hs := newHarness(t, func(c *config) { c.noHandle = true })
	body := paymentBody("payt_nh", "in_progress")
	requireStatus(t, hs.send(body), "processed")
	requireStatus(t, hs.send(body), "processed")
	requireStatus(t, hs.send(orderPaidBody("order_nh", "payt_nh")), "processed")
	requireStatus(t, hs.send(orderPaidBody("order_nh", "payt_nh")), "duplicate")
	assert.EqualValues(t, 1, hs.hooked.Load())
	assert.Zero(t, hs.handled.Load())
}

// With no Logger the handler logs to slog.Default.
func TestHandlerDefaultLogger(t *testing.T) {
	var buf lockedBuffer
	old := slog.Default()
	slog.SetDefault(slog.New(slog.NewTextHandler(&buf, nil)))
	t.Cleanup(func() { slog.SetDefault(old) })
	f := glomo.MustNewFulfilment(func(context.Context, glomo.PaidOrder) error { return nil }, glomo.FulfilmentOptions{})
	h := webhook.MustNewHandler(webhook.Options{Secrets: []webhook.Secret{testSecret}, Fulfilment: f})
	requireError(t, deliver(h, []byte(`{}`), ""), 401, glomo.CodeMissingSignature)
	assert.Contains(t, buf.String(), "reason="+glomo.CodeMissingSignature)
}

func TestHandlerUnknownTypesAreAcknowledged(t *testing.T) {
	for _, body := range []string{
		`{"entity_type":"subscription","event_type":"renewed","data":{"id":"sub_1","status":"active","new":[1,2,{"x":null}]}}`,
		`{"entity_type":"refund","event_type":"created","data":{"id":"rfnd_1","status":"pending"}}`,
		`{"entity_type":"payment_link","event_type":"paid","data":{"id":"plink_1"}}`,
		`{"entity_type":"payment","event_type":"compliance_approved","data":{"id":"payt_1","order_id":"order_1"}}`,
		`{"entity_type":"payment","event_type":"failed","data":{"id":"payt_1","order_id":"order_1","status":"failed"}}`,
		`{"entity_type":"orders","event_type":"expired","data":{"id":"order_1","status":"expired"}}`,
		`{"entity_type":"brand_new_entity","event_type":"something_happened"}`,
		`{"entity_type":"x","event_type":"y","data":"not an object"}`,
	} {
		t.Run(body, func(t *testing.T) {
			hs := newHarness(t)
			requireStatus(t, hs.send([]byte(body)), "processed")
			events := hs.recordedEvents()
			require.Len(t, events, 1, "unknown types reach Handle, which may ignore them")
			want := mustParse(t, body)
			assert.Equal(t, want.EntityType, events[0].EntityType)
			assert.Equal(t, want.EventType, events[0].EventType)
			assert.Equal(t, want.Data(), events[0].Data())
			assert.Equal(t, []byte(body), events[0].Raw)
			assert.Zero(t, hs.hooked.Load())
		})
	}
}

func TestHandlerTestEvent(t *testing.T) {
	hs := newHarness(t)
	for _, body := range []string{
		`{"entity_type":"webhook_test","event_type":"test","data":{}}`,
		`{"entity_type":"webhook_test","event_type":"test"}`,
		`{"entity_type":"webhook_test","event_type":"test","data":{"id":"order_1","order_id":"order_1"}}`,
		`{"entity_type":"webhook_test","event_type":"paid","data":{"id":"order_1"}}`,
	} {
		for i := 0; i < 2; i++ {
			requireStatus(t, hs.send([]byte(body)), "test")
		}
	}
	assert.Zero(t, hs.handled.Load(), "the dashboard's test event is acknowledged without Handle")
	assert.Zero(t, hs.hooked.Load())
	// It is verified like any other.
	test := []byte(`{"entity_type":"webhook_test","event_type":"test"}`)
	requireError(t, deliver(hs.h, test, webhook.Sign(test, "whsec_other")), 401, glomo.CodeSignatureMismatch)
}

func TestHandlerDedup(t *testing.T) {
	hs := newHarness(t)
	success := paymentBody("payt_1", "success")
	progress := paymentBody("payt_1", "in_progress")
	failed := []byte(`{"entity_type":"payment","event_type":"in_progress","data":{"id":"payt_1","status":"failed"}}`)
	otherPayment := paymentBody("payt_2", "success")
	refund := []byte(`{"entity_type":"refund","event_type":"success","data":{"id":"payt_1","status":"success"}}`)

	// Out of order: success first, then a late in_progress; then
	// duplicates, and events that differ in one part of the key only.
	for i, step := range []struct {
		body  []byte
		want  string
		calls int32
	}{
		{success, "processed", 1},
		{progress, "processed", 2},
		{success, "duplicate", 2},
		{progress, "duplicate", 2},
		{failed, "processed", 3},       // same id and event type, another status
		{otherPayment, "processed", 4}, // another id
		{refund, "processed", 5},       // another entity type
		{failed, "duplicate", 5},
		{refund, "duplicate", 5},
	} {
		w := hs.send(step.body)
		requireStatus(t, w, step.want)
		assert.Equal(t, step.calls, hs.handled.Load(), "step %d", i)
	}
	// A re-encoded copy of an event (new bytes, new signature) has the
	// same identity.
	reencoded := []byte(`{ "data" : {"status":"success","id":"payt_1"}, "event_type":"success", "entity_type":"payment" }`)
	requireStatus(t, hs.send(reencoded), "duplicate")
	assert.EqualValues(t, 5, hs.handled.Load())
}

// An event without an identity cannot be deduplicated: Handle runs for
// every delivery.
func TestHandlerEventsWithoutIdentityRunEachTime(t *testing.T) {
	for _, body := range []string{
		`{"entity_type":"payout","event_type":"created","data":{"status":"pending"}}`,
		`{"entity_type":"payout","event_type":"created","data":{"id":""}}`,
		`{"entity_type":"payout","event_type":"created","data":{"id":12}}`,
		`{"entity_type":"payout","event_type":"created"}`,
		`{"entity_type":"balance","event_type":"credited","data":{"id":"bal_1","amount":5}}`,
		`{"entity_type":"balance","event_type":"credited","data":{"payment_id":"payt_1"}}`,
	} {
		t.Run(body, func(t *testing.T) {
			require.Empty(t, mustParse(t, body).DedupKey())
			hs := newHarness(t)
			for i := 1; i <= 3; i++ {
				requireStatus(t, hs.send([]byte(body)), "processed")
				assert.EqualValues(t, i, hs.handled.Load())
			}
		})
	}
}

func TestHandlerBalanceEvents(t *testing.T) {
	hs := newHarness(t)
	balance := func(paymentID, ts string) []byte {
		return []byte(`{"entity_type":"balance","event_type":"credited","data":{"payment_id":"` + paymentID + `","timestamp":` + ts + `,"amount":100}}`)
	}
	for i, step := range []struct {
		body  []byte
		want  string
		calls int32
	}{
		{balance("payt_1", `"2026-09-09T07:00:09Z"`), "processed", 1},
		{balance("payt_1", `"2026-09-09T07:00:09Z"`), "duplicate", 1},
		{balance("payt_1", `"2026-09-09T07:00:10Z"`), "processed", 2},
		{balance("payt_2", `"2026-09-09T07:00:09Z"`), "processed", 3},
		{balance("payt_1", `1767225600`), "processed", 4},
		{balance("payt_1", `1767225600`), "duplicate", 4},
	} {
		requireStatus(t, hs.send(step.body), step.want)
		assert.Equal(t, step.calls, hs.handled.Load(), "step %d", i)
	}
}

func TestHandlerHandleErrorIsRetried(t *testing.T) {
	hs := newHarness(t)
	body := paymentBody("payt_9", "in_progress")
	sig := webhook.Sign(body, testSecret)
	hs.setHandleErr(errors.New("database down"))
	w := hs.send(body)
	requireError(t, w, http.StatusInternalServerError, glomo.CodeInternalError)
	assert.NotContains(t, w.Body.String(), "database down", "Handle's error stays in the log")
	logs := hs.logs.String()
	assert.Contains(t, logs, "database down")
	assert.Contains(t, logs, "reason="+glomo.CodeInternalError)
	assert.Contains(t, logs, "level=ERROR")
	assertCleanLogs(t, logs, body, sig)

	hs.setHandleErr(nil)
	requireStatus(t, hs.send(body), "processed") // Glomo's retry
	requireStatus(t, hs.send(body), "duplicate")
	assert.EqualValues(t, 2, hs.handled.Load())
}

// Handle past the Fulfilment's Timeout fails the delivery and releases
// the claim.
func TestHandlerHandleTimeout(t *testing.T) {
	var slow atomic.Bool
	slow.Store(true)
	hs := newHarness(t, func(c *config) {
		c.fopts.Timeout = 50 * time.Millisecond
		c.handle = func(ctx context.Context, _ webhook.Event) error {
			if !slow.Load() {
				return nil
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(10 * time.Second):
				return errors.New("the deadline never came")
			}
		}
	})
	body := paymentBody("payt_slow", "in_progress")
	start := time.Now()
	requireError(t, hs.send(body), 500, glomo.CodeInternalError)
	assert.Less(t, time.Since(start), 5*time.Second)
	assert.Contains(t, hs.logs.String(), "deadline exceeded")
	slow.Store(false)
	requireStatus(t, hs.send(body), "processed")
}

func TestHandlerConcurrentDuplicates(t *testing.T) {
	release := make(chan struct{})
	hs := newHarness(t, func(c *config) {
		c.handle = func(context.Context, webhook.Event) error {
			<-release
			return nil
		}
	})
	body := paymentBody("payt_c", "in_progress")
	const n = 16
	codes := make(chan *httptest.ResponseRecorder, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes <- hs.send(body)
		}()
	}
	// The others are answered while the first is held in Handle.
	ok := assert.Eventually(t, func() bool { return len(codes) == n-1 }, 10*time.Second, time.Millisecond)
	close(release)
	wg.Wait()
	close(codes)
	require.True(t, ok, "%d of %d answered while Handle ran", len(codes), n-1)
	count := map[string]int{}
	for w := range codes {
		switch w.Code {
		case http.StatusOK:
			count[strings.TrimSpace(w.Body.String())]++
		case http.StatusConflict:
			requireError(t, w, http.StatusConflict, glomo.CodeInProgress)
			count["409"]++
		default:
			t.Errorf("status %d: %s", w.Code, w.Body)
		}
	}
	assert.EqualValues(t, 1, hs.handled.Load())
	assert.Equal(t, map[string]int{`{"status":"processed"}`: 1, "409": n - 1}, count)
	requireStatus(t, hs.send(body), "duplicate")
	assert.EqualValues(t, 1, hs.handled.Load())
}

// Concurrent duplicates without holding Handle: whatever the
// interleaving, Handle runs once and every answer is 200 or 409.
func TestHandlerConcurrentDuplicatesUnheld(t *testing.T) {
	hs := newHarness(t)
	srv := httptest.NewServer(hs.h)
	defer srv.Close()
	body := paymentBody("payt_race", "in_progress")
	sig := webhook.Sign(body, testSecret)
	const n = 40
	var wg sync.WaitGroup
	statuses := make(chan int, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, err := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(body))
			if !assert.NoError(t, err) {
				return
			}
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set(webhook.SignatureHeader, sig)
			resp, err := srv.Client().Do(req)
			if !assert.NoError(t, err) {
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			statuses <- resp.StatusCode
		}()
	}
	wg.Wait()
	close(statuses)
	for s := range statuses {
		assert.Contains(t, []int{http.StatusOK, http.StatusConflict}, s)
	}
	assert.EqualValues(t, 1, hs.handled.Load())
}

func TestHandlerStoreFailure(t *testing.T) {
	for _, tc := range []struct {
		name string
		body []byte
	}{
		{"an event for Handle", paymentBody("payt_s", "in_progress")},
		{"a paid order", orderPaidBody("order_s", "payt_s")},
		{"a payment naming its order", paymentSuccessBody("payt_s", "order_s")},
	} {
		t.Run("claim fails/"+tc.name, func(t *testing.T) {
			store := newFailingStore()
			store.claimErr = errStoreDown
			hs := newHarness(t, func(c *config) { c.fopts.Store = store })
			w := hs.send(tc.body)
			requireError(t, w, http.StatusServiceUnavailable, glomo.CodeStoreUnavailable)
			assert.NotContains(t, w.Body.String(), "10.0.0.7", "the store's error stays in the log")
			assert.Zero(t, hs.handled.Load(), "nothing was claimed, so nothing runs")
			assert.Zero(t, hs.hooked.Load())
			assert.EqualValues(t, 1, store.claims.Load())
			logs := hs.logs.String()
			assert.Contains(t, logs, "reason="+glomo.CodeStoreUnavailable)
			assert.Contains(t, logs, "connection refused")
			assertCleanLogs(t, logs, tc.body, webhook.Sign(tc.body, testSecret))

			// The store is back: Glomo's retry is processed.
			store.claimErr = nil
			requireStatus(t, hs.send(tc.body), "processed")
			assert.EqualValues(t, 1, hs.handled.Load()+hs.hooked.Load())
		})
	}
	t.Run("release fails after Handle failed", func(t *testing.T) {
		store := newFailingStore()
		store.releaseErr = errStoreDown
		hs := newHarness(t, func(c *config) { c.fopts.Store = store })
		hs.setHandleErr(errors.New("handle failed"))
		body := paymentBody("payt_r", "in_progress")
		// Handle's error decides the answer.
		requireError(t, hs.send(body), http.StatusInternalServerError, glomo.CodeInternalError)
		assert.EqualValues(t, 1, store.releases.Load())
		logs := hs.logs.String()
		assert.Contains(t, logs, "handle failed")
		assert.Contains(t, logs, "connection refused")
		// The claim lapses with its lease only: until then a retry waits.
		hs.setHandleErr(nil)
		requireError(t, hs.send(body), http.StatusConflict, glomo.CodeInProgress)
		assert.EqualValues(t, 1, hs.handled.Load())
	})
	t.Run("done fails after Handle succeeded", func(t *testing.T) {
		store := newFailingStore()
		store.doneErr = errStoreDown
		hs := newHarness(t, func(c *config) { c.fopts.Store = store })
		body := paymentBody("payt_d", "in_progress")
		// The work is done: a retry would only run it again.
		requireStatus(t, hs.send(body), "processed")
		assert.EqualValues(t, 1, store.dones.Load())
		assert.Contains(t, hs.logs.String(), "could not be marked done")
		assertCleanLogs(t, hs.logs.String(), body, webhook.Sign(body, testSecret))
	})
}

func TestHandlerPanicReleasesClaim(t *testing.T) {
	for _, tc := range []struct {
		name string
		body []byte
	}{
		{"Handle", paymentBody("payt_p", "in_progress")},
		{"fulfilment hook", orderPaidBody("order_p", "payt_p")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var panicking atomic.Bool
			panicking.Store(true)
			boom := func() {
				if panicking.Load() {
					panic("merchant code panicked")
				}
			}
			hs := newHarness(t, func(c *config) {
				c.handle = func(context.Context, webhook.Event) error { boom(); return nil }
				c.hook = func(context.Context, glomo.PaidOrder) error { boom(); return nil }
			})
			assert.PanicsWithValue(t, "merchant code panicked", func() { hs.send(tc.body) })
			panicking.Store(false)
			// Glomo's retry is not locked out for a lease.
			requireStatus(t, hs.send(tc.body), "processed")
			requireStatus(t, hs.send(tc.body), "duplicate")
			assert.EqualValues(t, 2, hs.handled.Load()+hs.hooked.Load())
		})
	}
	t.Run("behind net/http's recovery", func(t *testing.T) {
		var panicking atomic.Bool
		panicking.Store(true)
		hs := newHarness(t, func(c *config) {
			c.handle = func(context.Context, webhook.Event) error {
				if panicking.Load() {
					panic(http.ErrAbortHandler) // net/http recovers it silently
				}
				return nil
			}
		})
		srv := httptest.NewServer(hs.h)
		defer srv.Close()
		body := paymentBody("payt_srv", "in_progress")
		post := func() (*http.Response, error) {
			req, err := http.NewRequest(http.MethodPost, srv.URL, bytes.NewReader(body))
			require.NoError(t, err)
			req.Header.Set(webhook.SignatureHeader, webhook.Sign(body, testSecret))
			return srv.Client().Do(req)
		}
		resp, err := post()
		if err == nil {
			resp.Body.Close()
			t.Fatalf("a panicking Handle answered %d", resp.StatusCode)
		}
		panicking.Store(false)
		resp, err = post()
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode)
		assert.EqualValues(t, 2, hs.handled.Load())
	})
}

// Nothing of the body, the signature or the secrets reaches the log, even
// when the merchant's code fails with an error that quotes a secret.
func TestHandlerLogsNoSecrets(t *testing.T) {
	const (
		oldSecret webhook.Secret = "whsec_old_rotating_value"
		newSecret webhook.Secret = "whsec_new_rotating_value"
	)
	hs := newHarness(t, func(c *config) {
		c.opts.Secrets = []webhook.Secret{newSecret, oldSecret, testSecret}
		c.handle = func(_ context.Context, e webhook.Event) error {
			return fmt.Errorf("handler misconfigured: secret %s, old %s, event %s", string(newSecret), string(oldSecret), e.ID())
		}
		c.hook = func(context.Context, glomo.PaidOrder) error {
			return errors.New("fulfilment rejected key " + string(testSecret) + " twice: " + string(testSecret))
		}
	})
	bodies := [][]byte{
		paymentBody("payt_log", "in_progress"),
		orderPaidBody("order_log", "payt_log"),
		[]byte(`{"entity_type":"payment","event_type":"success","data":{"id":"payt_x","order_id":"order_x","notes":"secret-ish-notes"}}`),
	}
	for _, body := range bodies {
		requireError(t, hs.send(body), 500, glomo.CodeInternalError)
	}
	// And every kind of refusal.
	good := bodies[0]
	sig := webhook.Sign(good, testSecret)
	deliver(hs.h, good, sig, func(r *http.Request) { r.Method = http.MethodGet })
	deliver(hs.h, good, sig, func(r *http.Request) { r.Header.Set("Content-Type", "text/plain") })
	deliver(hs.h, good, "")
	deliver(hs.h, good, "sha256="+sig)
	deliver(hs.h, good, webhook.Sign(good, "whsec_other"))
	deliver(hs.h, good, sig, func(r *http.Request) { r.ContentLength = 2 << 20 })
	notJSON := []byte("definitely not json, signed")
	deliver(hs.h, notJSON, webhook.Sign(notJSON, testSecret))

	logs := hs.logs.String()
	assert.Equal(t, len(bodies)+7, strings.Count(logs, "\n"), logs)
	assert.Contains(t, logs, "handler misconfigured")
	assert.Contains(t, logs, "fulfilment rejected key")
	assert.Equal(t, 2*2+2, strings.Count(logs, "[redacted]"), "every copy of a secret is redacted: %s", logs)
	for _, body := range append(bodies, notJSON) {
		assertCleanLogs(t, logs, body, webhook.Sign(body, testSecret), oldSecret, newSecret)
		assertCleanLogs(t, logs, body, webhook.Sign(body, oldSecret), oldSecret, newSecret)
	}
	assert.NotContains(t, logs, "secret-ish-notes")
	assert.NotContains(t, logs, "n0t35-l34k-ch3ck", "a data value")
	assert.NotContains(t, logs, sig)
	assert.NotContains(t, logs, "definitely")
}

func TestHandlerHandleContext(t *testing.T) {
	type ctxKey struct{}
	t.Run("the request's end does not cancel Handle", func(t *testing.T) {
		reqCtx, endRequest := context.WithCancel(context.WithValue(context.Background(), ctxKey{}, "request-id"))
		defer endRequest()
		var sawValue any
		var errAfterEnd error
		var finished atomic.Bool
		hs := newHarness(t, func(c *config) {
			c.handle = func(ctx context.Context, _ webhook.Event) error {
				sawValue = ctx.Value(ctxKey{})
				endRequest() // the client goes away while Handle runs
				<-reqCtx.Done()
				select {
				case <-ctx.Done():
				case <-time.After(50 * time.Millisecond):
				}
				errAfterEnd = ctx.Err()
				finished.Store(true)
				return ctx.Err()
			}
		})
		body := paymentBody("payt_ctx", "in_progress")
		w := hs.send(body, func(r *http.Request) { *r = *r.WithContext(reqCtx) })
		requireStatus(t, w, "processed")
		assert.True(t, finished.Load(), "the work completed")
		assert.NoError(t, errAfterEnd)
		assert.Equal(t, "request-id", sawValue, "Handle's context keeps the request's values")
	})
	t.Run("a request already cancelled is processed", func(t *testing.T) {
		hs := newHarness(t)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		requireStatus(t, hs.send(paymentBody("payt_gone", "in_progress"), func(r *http.Request) { *r = *r.WithContext(ctx) }), "processed")
		assert.EqualValues(t, 1, hs.handled.Load())
	})
	for _, tc := range []struct {
		name    string
		timeout time.Duration
		want    time.Duration
	}{
		{"the Fulfilment's Timeout is Handle's deadline", 7 * time.Second, 7 * time.Second},
		{"the default Timeout", 0, glomo.DefaultFulfilTimeout},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var deadline time.Time
			var ok bool
			hs := newHarness(t, func(c *config) {
				c.fopts.Timeout = tc.timeout
				c.handle = func(ctx context.Context, _ webhook.Event) error {
					deadline, ok = ctx.Deadline()
					return nil
				}
			})
			// A request deadline shorter than the Timeout does not bind
			// Handle either.
			reqCtx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			defer cancel()
			start := time.Now()
			requireStatus(t, hs.send(paymentBody("payt_dl", "in_progress"), func(r *http.Request) { *r = *r.WithContext(reqCtx) }), "processed")
			require.True(t, ok, "Handle's context has a deadline")
			assert.WithinDuration(t, start.Add(tc.want), deadline, time.Second)
		})
	}
	t.Run("an event without identity has the same context", func(t *testing.T) {
		var deadline time.Time
		var ok bool
		var errAfterEnd error
		reqCtx, endRequest := context.WithCancel(context.Background())
		defer endRequest()
		hs := newHarness(t, func(c *config) {
			c.fopts.Timeout = 3 * time.Second
			c.handle = func(ctx context.Context, _ webhook.Event) error {
				deadline, ok = ctx.Deadline()
				endRequest()
				errAfterEnd = ctx.Err()
				return nil
			}
		})
		start := time.Now()
		requireStatus(t, hs.send([]byte(`{"entity_type":"payout","event_type":"created"}`), func(r *http.Request) { *r = *r.WithContext(reqCtx) }), "processed")
		require.True(t, ok)
		assert.WithinDuration(t, start.Add(3*time.Second), deadline, time.Second)
		assert.NoError(t, errAfterEnd)
	})
	t.Run("the context ends once Handle returns", func(t *testing.T) {
		var kept context.Context
		hs := newHarness(t, func(c *config) {
			c.handle = func(ctx context.Context, _ webhook.Event) error { kept = ctx; return nil }
		})
		requireStatus(t, hs.send(paymentBody("payt_kept", "in_progress")), "processed")
		require.NotNil(t, kept)
		select {
		case <-kept.Done():
			assert.ErrorIs(t, kept.Err(), context.Canceled)
		case <-time.After(time.Second):
			t.Fatal("Handle's context outlived the delivery")
		}
	})
}

// Handle may keep the event: a later delivery does not overwrite it.
func TestHandlerEventOwnsItsBytes(t *testing.T) {
	hs := newHarness(t)
	first := paymentBody("payt_own1", "in_progress")
	second := paymentBody("payt_own2", "failed")
	requireStatus(t, hs.send(first), "processed")
	requireStatus(t, hs.send(second), "processed")
	events := hs.recordedEvents()
	require.Len(t, events, 2)
	assert.Equal(t, first, events[0].Raw)
	p, err := events[0].Payment()
	require.NoError(t, err)
	assert.Equal(t, "payt_own1", p.ID)
	assert.Equal(t, "in_progress", p.Status)
}

// The requests glomotest builds are accepted.
func TestHandlerGlomotestRequests(t *testing.T) {
	hs := newHarness(t)
	w := httptest.NewRecorder()
	hs.h.ServeHTTP(w, glomotest.NewWebhookRequest("/webhooks/glomo", "refund", "created",
		map[string]any{"id": "rfnd_1", "status": "pending", "amount": 100}, string(testSecret)))
	requireStatus(t, w, "processed")
	events := hs.recordedEvents()
	require.Len(t, events, 1)
	assert.Equal(t, "refund|rfnd_1|created|pending", events[0].DedupKey())

	w = httptest.NewRecorder()
	hs.h.ServeHTTP(w, glomotest.NewWebhookRequest("/webhooks/glomo", "refund", "created",
		map[string]any{"id": "rfnd_1"}, "whsec_wrong"))
	requireError(t, w, 401, glomo.CodeSignatureMismatch)
}

// Over a real loopback connection: a body shorter than its declared
// length is unreadable, and a chunked body over the cap is refused.
func TestHandlerOverLoopback(t *testing.T) {
	hs := newHarness(t, func(c *config) { c.opts.MaxBodyBytes = 64 << 10 })
	srv := httptest.NewServer(hs.h)
	defer srv.Close()

	t.Run("chunked over the cap", func(t *testing.T) {
		big := bodyOfSize(128<<10, 1)
		req, err := http.NewRequest(http.MethodPost, srv.URL, io.MultiReader(bytes.NewReader(big)))
		require.NoError(t, err)
		require.EqualValues(t, 0, req.ContentLength, "sent chunked")
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set(webhook.SignatureHeader, webhook.Sign(big, testSecret))
		resp, err := srv.Client().Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		assert.Equal(t, http.StatusRequestEntityTooLarge, resp.StatusCode)
	})
	t.Run("chunked under the cap", func(t *testing.T) {
		body := bodyOfSize(32<<10, 2)
		req, err := http.NewRequest(http.MethodPost, srv.URL, io.MultiReader(bytes.NewReader(body)))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json; charset=utf-8")
		req.Header.Set(webhook.SignatureHeader, strings.ToUpper(webhook.Sign(body, testSecret)))
		resp, err := srv.Client().Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode)
	})
	t.Run("body shorter than its Content-Length", func(t *testing.T) {
		body := paymentBody("payt_short", "in_progress")
		sig := webhook.Sign(body, testSecret)
		// Declare more than is sent: http.Transport refuses to send such a
		// request, so write it by hand.
		var raw bytes.Buffer
		fmt.Fprintf(&raw, "POST / HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n%s: %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n",
			srv.Listener.Addr(), webhook.SignatureHeader, sig, len(body)+10)
		raw.Write(body)
		resp := rawExchange(t, srv, raw.Bytes())
		requireErrorResponse(t, resp, http.StatusBadRequest, glomo.CodeBodyUnreadable)
	})
	assert.EqualValues(t, 1, hs.handled.Load())
}

// rawExchange writes raw to a new connection to srv, closes the writing
// half and reads the response.
func rawExchange(t *testing.T, srv *httptest.Server, raw []byte) *http.Response {
	t.Helper()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	require.NoError(t, conn.SetDeadline(time.Now().Add(10*time.Second)))
	_, err = conn.Write(raw)
	require.NoError(t, err)
	require.NoError(t, conn.(*net.TCPConn).CloseWrite())
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

// requireErrorResponse checks that resp is an error answer with status
// and code.
func requireErrorResponse(t *testing.T, resp *http.Response, status int, code string) {
	t.Helper()
	require.Equal(t, status, resp.StatusCode)
	var eb glomo.ErrorBody
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&eb))
	assert.Equal(t, code, eb.Code)
}

// readSizes is a body that records the size of every read asked of it.
type readSizes struct {
	r     io.Reader
	sizes []int
}

func (b *readSizes) Read(p []byte) (int, error) {
	b.sizes = append(b.sizes, len(p))
	return b.r.Read(p)
}

func (b *readSizes) Close() error { return nil }

// A client that declares a large body but sends little makes the handler
// hold at most 32 KiB; a body that does arrive is read into one buffer.
func TestHandlerBufferFollowsTheBytesThatArrive(t *testing.T) {
	hs := newHarness(t)
	body := bodyOfSize(1<<20, 1)
	for _, tc := range []struct {
		name    string
		sent    []byte
		status  int
		maxRead int
	}{
		{"declares 1 MiB, sends 100 bytes", body[:100], http.StatusBadRequest, 32 << 10},
		{"declares 1 MiB, sends it", body, http.StatusOK, 1<<20 - 32<<10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/webhooks/glomo", nil)
			rec := &readSizes{r: bytes.NewReader(tc.sent)}
			r.Body, r.ContentLength = rec, int64(len(body))
			r.Header.Set("Content-Type", "application/json")
			r.Header.Set(webhook.SignatureHeader, webhook.Sign(body, testSecret))
			w := httptest.NewRecorder()
			hs.h.ServeHTTP(w, r)
			assert.Equal(t, tc.status, w.Code, w.Body.String())
			largest := 0
			for _, n := range rec.sizes {
				largest = max(largest, n)
			}
			assert.Equal(t, tc.maxRead, largest, "reads asked of the body: %v", rec.sizes)
		})
	}
}
