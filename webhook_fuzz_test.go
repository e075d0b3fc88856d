package glomo

import (
	"encoding/json"
	"testing"
)

// FuzzParseWebhookEvent checks the scanner never panics and agrees with
// encoding/json on every body encoding/json accepts.
func FuzzParseWebhookEvent(f *testing.F) {
	for _, s := range []string{
		`{"entity_type":"payment","event_type":"success","data":{"id":"payt_1","status":"success"}}`,
		`{"entity_type":"orders","event_type":"paid","data":{"id":"order_\u0031","status":"paid","n":[1,-2.5e3,true,null,{}]}}`,
		`{"entity_type":"webhook_test","event_type":"test"}`,
		`{"entity_type":"a","event_type":"b","data":"x\"y\\"}`,
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
			var id string
			if raw := d["id"]; len(raw) > 0 && raw[0] == '"' {
				_ = json.Unmarshal(raw, &id)
			}
			if e.ID() != id {
				t.Fatalf("id %q, encoding/json says %q", e.ID(), id)
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
