package glomo

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"testing/iotest"
)

// FuzzParseWebhookEvent checks the scanner never panics and agrees with
// encoding/json on every body encoding/json accepts.
func FuzzParseWebhookEvent(f *testing.F) {
	for _, s := range []string{
		`{"entity_type":"payment","event_type":"success","data":{"id":"payt_1","status":"success"}}`,
		`{"entity_type":"orders","event_type":"paid","data":{"id":"order_\u0031","status":"paid","n":[1,-2.5e3,true,null,{}]}}`,
		`{"entity_type":"webhook_test","event_type":"test"}`,
		`{"entity_type":"a","event_type":"b","data":"x\"y\\"}`,
		`{"entity_type":"payment","event_type":"in_progress","data":{"status":"in_progress","id":"p"}}`,
		`{"entity_type":"a","event_type":"b","data":{"id":"x","status":"s","id":1,"status":[]}}`,
		`{"entity_type":1}`, `[]`, `{`, ``, `"s"`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		e, err := ParseWebhookEvent(body)
		if !json.Valid(body) {
			return // only must not panic
		}
		var m map[string]json.RawMessage
		if json.Unmarshal(body, &m) != nil {
			if err == nil {
				t.Fatalf("parsed a non-object %q", body)
			}
			return
		}
		var entity, event string
		eOK := json.Unmarshal(m["entity_type"], &entity) == nil && m["entity_type"] != nil && m["entity_type"][0] == '"'
		vOK := json.Unmarshal(m["event_type"], &event) == nil && m["event_type"] != nil && m["event_type"][0] == '"'
		if err != nil {
			if eOK && vOK && entity != "" && event != "" {
				t.Fatalf("rejected a valid event %q: %v", body, err)
			}
			return
		}
		if e.EntityType != entity || e.EventType != event {
			t.Fatalf("types %q/%q, encoding/json says %q/%q", e.EntityType, e.EventType, entity, event)
		}
		if string(e.Data) != string(m["data"]) && !(e.Data == nil && m["data"] == nil) {
			t.Fatalf("data %q, encoding/json says %q", e.Data, m["data"])
		}
		var d map[string]json.RawMessage
		if json.Unmarshal(m["data"], &d) == nil {
			var id, status string
			if raw := d["id"]; len(raw) > 0 && raw[0] == '"' {
				_ = json.Unmarshal(raw, &id)
			}
			if raw := d["status"]; len(raw) > 0 && raw[0] == '"' {
				_ = json.Unmarshal(raw, &status)
			}
			if e.ID() != id || e.Status() != status {
				t.Fatalf("id %q, status %q; encoding/json says %q, %q", e.ID(), e.Status(), id, status)
			}
		}
	})
}

// FuzzVerifyWebhook checks that no signature other than the right one (in
// either hex case) verifies.
func FuzzVerifyWebhook(f *testing.F) {
	f.Add([]byte(`{"entity_type":"payment"}`), 0, byte(1))
	f.Add([]byte{}, 63, byte(0x20))
	f.Fuzz(func(t *testing.T, body []byte, pos int, flip byte) {
		sig := SignWebhook(body, testSecret)
		if err := VerifyWebhook(body, sig, testSecret); err != nil {
			t.Fatal(err)
		}
		if pos < 0 {
			pos = -pos
		}
		b := []byte(sig)
		i := pos % len(b)
		b[i] ^= flip
		mutated := string(b)
		if flip == 0 || (flip == 0x20 && b[i] >= 'A' && b[i] <= 'F') {
			return // unchanged, or only the hex case changed
		}
		if VerifyWebhook(body, mutated, testSecret) == nil {
			t.Fatalf("accepted mutated signature %q for %q", mutated, sig)
		}
	})
}

// FuzzWebhookHandlerSignature checks the handler's own read-and-hash path:
// whatever the body and however it arrives, only its exact signature (in
// either hex case) reaches Handle.
func FuzzWebhookHandlerSignature(f *testing.F) {
	f.Add([]byte(`{"entity_type":"payment","event_type":"success","data":{"id":"payt_1","status":"success"}}`), 5, byte(1), false)
	f.Add([]byte(`{"entity_type":"orders","event_type":"paid","data":{"id":"order_1"}}`), 0, byte(0), true)
	f.Fuzz(func(t *testing.T, body []byte, pos int, flip byte, chunked bool) {
		var calls int
		h, err := NewWebhookHandler(WebhookOptions{
			Secrets: []WebhookSecret{"whsec_other", testSecret},
			Handle:  func(context.Context, WebhookEvent) error { calls++; return nil },
			Logger:  slog.New(slog.NewTextHandler(io.Discard, nil)),
		})
		if err != nil {
			t.Fatal(err)
		}
		sig := []byte(SignWebhook(body, testSecret))
		if pos < 0 {
			pos = -pos
		}
		i := pos % len(sig)
		sig[i] ^= flip
		exact := flip == 0 || (flip == 0x20 && sig[i] >= 'A' && sig[i] <= 'F')
		r := httptest.NewRequest(http.MethodPost, "/", iotest.HalfReader(bytes.NewReader(body)))
		r.Header.Set(WebhookSignatureHeader, string(sig))
		if chunked {
			r.ContentLength = -1
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		switch {
		case !exact && calls > 0:
			t.Fatalf("a mutated signature reached Handle (status %d)", w.Code)
		case !exact && w.Code != http.StatusUnauthorized && w.Code != http.StatusBadRequest:
			t.Fatalf("a mutated signature got %d", w.Code)
		case exact && w.Code == http.StatusUnauthorized:
			t.Fatalf("the right signature was refused: %s", w.Body)
		}
	})
}
