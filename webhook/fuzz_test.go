package webhook_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"testing/iotest"

	"github.com/glomokit/glomo"
	"github.com/glomokit/glomo/webhook"
)

// fuzzBodies seed the fuzz targets: Glomo's own shapes, the known-answer
// vector, and the corner cases of JSON that a hand-written reader once
// got wrong.
func fuzzBodies(f *testing.F) [][]byte {
	vector, err := os.ReadFile("testdata/webhook-payout-success.body")
	if err != nil {
		f.Fatal(err)
	}
	bodies := [][]byte{
		vector,
		paymentBody("payt_1", "success"),
		paymentSuccessBody("payt_1", "order_1"),
		orderPaidBody("order_1", "payt_1"),
		[]byte(`{"entity_type":"order","event_type":"paid","data":{"id":"order_1"}}`),
		[]byte(`{"entity_type":"payment","event_type":"success","data":{"id":"payt_1","status":"success"}}`),
		[]byte(`{"entity_type":"orders","event_type":"paid","data":{"id":"order_\u0031","status":"paid","n":[1,-2.5e3,true,null,{}]}}`),
		[]byte(`{"entity_type":"webhook_test","event_type":"test"}`),
		[]byte(`{"entity_type":"webhook_test","event_type":"test","data":{}}`),
		[]byte(`{"entity_type":"balance","event_type":"credited","data":{"payment_id":"payt_1","timestamp":1767225600}}`),
		[]byte(`{"entity_type":"balance","event_type":"credited","data":{"payment_id":"payt_1","timestamp":"2026-09-09T07:00:09Z"}}`),
		[]byte(`{"entity_type":"a","event_type":"b","data":"x\"y\\"}`),
		[]byte(`{"entity_type":"payment","event_type":"in_progress","data":{"status":"in_progress","id":"p"}}`),
		[]byte(`{"entity_type":"a","event_type":"b","data":{"id":"x","status":"s","id":1,"status":[]}}`),
		[]byte(`{"entity\u005ftype":"payment","\u0065vent_type":"success","d\u0061ta":{"\u0069d":"payt_1"}}`),
		[]byte(`{"Entity_Type":"payment","EVENT_TYPE":"success","DATA":{"ID":"payt_1","Order_ID":"order_1"}}`),
		[]byte(`{"entity_type":"payment","event_type":"success","entity_type":"orders"}`),
		[]byte(`{"entity_type":"payment","event_type":"success","data":{"id":"a"},"data":{"id":"b"}}`),
		[]byte(`{"entity_type":"payment","event_type":"success","data":null}`),
		[]byte(`{"entity_type":"payment","event_type":"success","entity_type":1}`),
		[]byte(`{"entity_type":"payment","event_type":"success"} {}`),
		[]byte(`{"entity_type":"payment","event_type":"success"}x`),
		[]byte("{\"entity_type\":\"pay\x80\",\"event_type\":\"s\xff\"}"),
		[]byte(`{"entity_type":"a","event_type":"b","n":[0,10,-0,-0.5,1.05,1e10,1E+2,2e-03]}`),
		[]byte(`{"entity_type":"a","event_type":"b","n":01}`),
		[]byte(`{"entity_type":"a","event_type":"b","data":` + strings.Repeat("[", 64) + strings.Repeat("]", 64) + `}`),
		[]byte(`{"entity_type":1}`), []byte(`{"entity_type":null,"event_type":"x"}`),
		[]byte(`[]`), []byte(`{`), []byte(``), []byte(`"s"`), []byte(`null`), []byte(`1`),
		[]byte("\ufeff{}"), []byte(`"json:\"entity_type\""`),
	}
	return bodies
}

// parseTemplates are the messages Parse fails with whatever the body: a
// message among them cannot quote it.
func parseTemplates() map[string]bool {
	m := map[string]bool{}
	for _, b := range []string{`{`, `[]`, `{}`, `{"entity_type":1}`, `{"event_type":1}`, `{"entity_type":"a","event_type":{}}`} {
		if _, err := webhook.Parse([]byte(b)); err != nil {
			m[err.Error()] = true
		}
	}
	return m
}

// FuzzParse checks that Parse never panics, accepts exactly the bodies
// encoding/json reads as an event, reads them as encoding/json does, and
// fails with ErrMalformedEvent without quoting the body.
func FuzzParse(f *testing.F) {
	for _, b := range fuzzBodies(f) {
		f.Add(b)
	}
	templates := parseTemplates()
	f.Fuzz(func(t *testing.T, body []byte) {
		orig := bytes.Clone(body)
		e, err := webhook.Parse(body)
		if !bytes.Equal(orig, body) {
			t.Fatal("Parse changed the body")
		}
		ref, ok := reference(body)
		if err != nil {
			if ok {
				t.Fatalf("rejected an event encoding/json reads as %+v: %v", ref, err)
			}
			if !errors.Is(err, webhook.ErrMalformedEvent) {
				t.Fatalf("error %v does not match ErrMalformedEvent", err)
			}
			if msg := err.Error(); !templates[msg] && len(body) >= 4 && strings.Contains(msg, string(body)) {
				t.Fatalf("the error %q quotes the body", msg)
			}
			if e.EntityType != "" || e.EventType != "" || e.Data() != nil || e.Raw != nil {
				t.Fatalf("a failed Parse returned %+v", e)
			}
			return
		}
		if !ok {
			t.Fatalf("accepted a body encoding/json does not read as an event: %+v", e)
		}
		if e.EntityType != ref.EntityType || e.EventType != ref.EventType {
			t.Fatalf("types %q/%q, encoding/json says %q/%q", e.EntityType, e.EventType, ref.EntityType, ref.EventType)
		}
		if !bytes.Equal(e.Data(), ref.Data) || (e.Data() == nil) != (ref.Data == nil) {
			t.Fatalf("data %q, encoding/json says %q", e.Data(), ref.Data)
		}
		if e.Data() != nil && !json.Valid(e.Data()) {
			t.Fatalf("data %q is not JSON", e.Data())
		}
		if !bytes.Equal(e.Raw, body) {
			t.Fatal("Raw is not the body")
		}
		// What Parse read of data's identity is what data holds.
		hand := webhook.Event{EntityType: e.EntityType, EventType: e.EventType, Raw: e.Raw}
		if e.ID() != hand.ID() || e.Status() != hand.Status() || e.DedupKey() != hand.DedupKey() {
			t.Fatalf("identity %q/%q/%q, from Data %q/%q/%q", e.ID(), e.Status(), e.DedupKey(), hand.ID(), hand.Status(), hand.DedupKey())
		}
		o1, p1, ok1 := e.PaidOrder()
		o2, p2, ok2 := hand.PaidOrder()
		if o1 != o2 || p1 != p2 || ok1 != ok2 {
			t.Fatalf("PaidOrder %q/%q/%v, from Data %q/%q/%v", o1, p1, ok1, o2, p2, ok2)
		}
		if ok1 && o1 == "" {
			t.Fatal("a paid order without an id")
		}
		var d struct {
			ID string `json:"id"`
		}
		if e.Data() != nil && json.Unmarshal(e.Data(), &d) == nil && d.ID != e.ID() {
			t.Fatalf("ID %q, encoding/json says %q", e.ID(), d.ID)
		}
		if k := e.DedupKey(); k != "" && !strings.HasPrefix(k, e.EntityType+"|") {
			t.Fatalf("dedupe key %q does not start with the entity type", k)
		}
		if _, err := e.Payment(); err != nil && !errors.Is(err, webhook.ErrEntityType) && !errors.Is(err, webhook.ErrMalformedEvent) {
			t.Fatalf("Payment: %v", err)
		}
		if _, err := e.Order(); err != nil && !errors.Is(err, webhook.ErrEntityType) && !errors.Is(err, webhook.ErrMalformedEvent) {
			t.Fatalf("Order: %v", err)
		}
	})
}

// lowerASCII lowercases ASCII letters only.
func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// FuzzVerify checks that only the exact signature (in either hex case)
// verifies, and that errors never quote the secret or the signature.
func FuzzVerify(f *testing.F) {
	vector, err := os.ReadFile("testdata/webhook-payout-success.body")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(vector, vectorSignature, string(vectorSecret), uint8(0))
	f.Add(vector, strings.ToUpper(vectorSignature), string(vectorSecret), uint8(63))
	f.Add(vector, "sha256="+vectorSignature, string(vectorSecret), uint8(7))
	f.Add([]byte(`{"entity_type":"payment"}`), strings.Repeat("0", 64), "whsec_x", uint8(1))
	f.Add([]byte{}, "", "", uint8(0))
	f.Add([]byte{}, webhook.Sign(nil, "k"), "k", uint8(200))
	f.Add([]byte("body"), strings.Repeat("g", 64), "glomo", uint8(3))
	f.Add([]byte("body"), "signature", "signature", uint8(3))
	for _, b := range fuzzBodies(f)[:8] {
		f.Add(b, webhook.Sign(b, testSecret), string(testSecret), uint8(len(b)))
	}
	zeros := strings.Repeat("0", 64)
	f.Fuzz(func(t *testing.T, body []byte, sig, secret string, pos uint8) {
		s := webhook.Secret(secret)
		if secret == "" {
			if err := webhook.Verify(body, sig, s); !errors.Is(err, glomo.ErrNoSecret) {
				t.Fatalf("an empty secret: %v", err)
			}
			return
		}
		right := webhook.Sign(body, s)
		if len(right) != 64 || lowerASCII(right) != right {
			t.Fatalf("Sign returned %q", right)
		}
		for _, good := range []string{right, strings.ToUpper(right)} {
			if err := webhook.Verify(body, good, s); err != nil {
				t.Fatalf("the right signature: %v", err)
			}
			if err := webhook.Verify(body, good, s+"x", s); err != nil {
				t.Fatalf("the right signature, second secret: %v", err)
			}
		}
		// One hex digit changed never verifies.
		i := int(pos) % 64
		mutated := []byte(right)
		mutated[i] = "0123456789abcdef"[(strings.IndexByte("0123456789abcdef", mutated[i])+1+int(pos)%15)%16]
		if err := webhook.Verify(body, string(mutated), s); !errors.Is(err, glomo.ErrSignatureMismatch) {
			t.Fatalf("a changed digit at %d: %v", i, err)
		}

		err := webhook.Verify(body, sig, s)
		exact := len(sig) == 64 && lowerASCII(sig) == right
		if exact != (err == nil) {
			t.Fatalf("signature %q for %q: %v", sig, right, err)
		}
		if err == nil {
			return
		}
		var matched []error
		for _, sentinel := range []error{glomo.ErrNoSecret, glomo.ErrMissingSignature, glomo.ErrMalformedSignature, glomo.ErrSignatureMismatch} {
			if errors.Is(err, sentinel) {
				matched = append(matched, sentinel)
			}
		}
		if len(matched) != 1 || matched[0] == glomo.ErrNoSecret {
			t.Fatalf("error %v matches %v", err, matched)
		}
		// The error a fixed secret and signature get for the same reason
		// cannot quote these; any other must not.
		var template error
		switch matched[0] {
		case glomo.ErrMissingSignature:
			template = webhook.Verify(body, "", "k")
		case glomo.ErrMalformedSignature:
			template = webhook.Verify(body, "x", "k")
		default:
			template = webhook.Verify(body, zeros, "k")
		}
		if msg := err.Error(); template == nil || msg != template.Error() {
			if len(secret) >= 4 && strings.Contains(msg, secret) {
				t.Fatalf("the error %q quotes the secret", msg)
			}
			if len(sig) >= 4 && strings.Contains(msg, sig) {
				t.Fatalf("the error %q quotes the signature", msg)
			}
		}
	})
}

// FuzzHandler sends arbitrary bodies and signature headers through the
// handler: it never panics and never answers 5xx, and only a correctly
// signed event reaches Handle or the fulfilment hook, once.
func FuzzHandler(f *testing.F) {
	for i, b := range fuzzBodies(f) {
		f.Add(b, "", true, i%2 == 0, i%3 == 0)
		f.Add(b, webhook.Sign(b, "whsec_wrong"), false, false, i%2 == 1)
	}
	f.Add([]byte(`{"entity_type":"payment","event_type":"success"}`), "sha256=", false, false, false)
	f.Add([]byte(`{}`), strings.Repeat("A", 64), false, true, true)
	f.Add([]byte(`{}`), "\x00\r\n", false, false, false)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	const otherSecret webhook.Secret = "whsec_previous"
	f.Fuzz(func(t *testing.T, body []byte, sig string, signRight, upper, chunked bool) {
		var handled, hooked atomic.Int32
		fl := glomo.MustNewFulfilment(func(context.Context, glomo.PaidOrder) error {
			hooked.Add(1)
			return nil
		}, glomo.FulfilmentOptions{Logger: logger})
		h := webhook.MustNewHandler(webhook.Options{
			Secrets:      []webhook.Secret{otherSecret, testSecret},
			Fulfilment:   fl,
			Handle:       func(context.Context, webhook.Event) error { handled.Add(1); return nil },
			MaxBodyBytes: 64 << 10,
			Logger:       logger,
		})
		if signRight {
			sig = webhook.Sign(body, testSecret)
		}
		if upper {
			sig = strings.ToUpper(sig)
		}
		exact := len(sig) == 64 && (lowerASCII(sig) == webhook.Sign(body, testSecret) || lowerASCII(sig) == webhook.Sign(body, otherSecret))
		r := httptest.NewRequest(http.MethodPost, "/", iotest.HalfReader(bytes.NewReader(body)))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set(webhook.SignatureHeader, sig)
		if chunked {
			r.ContentLength = -1
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		calls := handled.Load() + hooked.Load()
		if w.Code >= 500 {
			t.Fatalf("answered %d: %s", w.Code, w.Body)
		}
		if !exact {
			if calls != 0 {
				t.Fatalf("a wrong signature %q reached Handle or the hook (status %d)", sig, w.Code)
			}
			switch w.Code {
			case http.StatusBadRequest, http.StatusUnauthorized, http.StatusRequestEntityTooLarge:
			default:
				t.Fatalf("a wrong signature %q got %d", sig, w.Code)
			}
			return
		}
		if len(body) > 64<<10 {
			if w.Code != http.StatusRequestEntityTooLarge || calls != 0 {
				t.Fatalf("an oversize body got %d, %d calls", w.Code, calls)
			}
			return
		}
		ref, ok := reference(body)
		switch {
		case !ok:
			if w.Code != http.StatusBadRequest || calls != 0 {
				t.Fatalf("a signed non-event got %d, %d calls", w.Code, calls)
			}
		case ref.EntityType == webhook.EntityWebhookTest:
			if w.Code != http.StatusOK || calls != 0 {
				t.Fatalf("the test event got %d, %d calls", w.Code, calls)
			}
		default:
			if w.Code != http.StatusOK || calls != 1 {
				t.Fatalf("a signed event got %d, %d Handle and %d hook calls: %s", w.Code, handled.Load(), hooked.Load(), w.Body)
			}
		}
	})
}
