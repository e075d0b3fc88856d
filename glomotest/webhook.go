package glomotest

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"time"
)

// SignatureHeader is the header that carries a webhook's signature: the
// lowercase hex HMAC-SHA256 of the raw body keyed with the webhook secret.
const SignatureHeader = "X-Glomopay-Signature"

// Delivery records one webhook delivery attempt.
type Delivery struct {
	// Event numbers the events in the order they fired, from 1. Retries and
	// duplicates of an event share its number.
	Event int
	// Attempt counts the attempts for one copy of the event, from 1.
	Attempt    int
	EntityType string // "payment" or "orders"
	EventType  string // e.g. "success", "failed", "paid"
	URL        string
	Body       []byte // the raw body, exactly as signed and sent
	Signature  string // the X-Glomopay-Signature value sent
	StatusCode int    // 0 when the attempt got no response
	Err        error  // transport error or timeout, if any
	Time       time.Time
	Duration   time.Duration
}

// OK reports whether the receiver acknowledged the attempt with a 2xx.
func (d Delivery) OK() bool { return d.Err == nil && d.StatusCode >= 200 && d.StatusCode < 300 }

type webhookEvent struct {
	seq        int
	entityType string
	eventType  string
	body       []byte
}

type webhookJob struct {
	ev  webhookEvent
	url string
}

// paymentEvent snapshots p into a payment/<status> event.
func paymentEvent(p *Payment) webhookEvent {
	return newEvent("payment", p.Status, *p)
}

// orderEvent snapshots o into an orders/<status> event.
func orderEvent(o *Order) webhookEvent {
	return newEvent("orders", o.Status, o.clone())
}

func newEvent(entityType, eventType string, data any) webhookEvent {
	body, err := WebhookBody(entityType, eventType, data)
	if err != nil {
		// Order and Payment always marshal.
		panic("glomotest: " + err.Error())
	}
	return webhookEvent{entityType: entityType, eventType: eventType, body: body}
}

// enqueueLocked queues events for delivery, applying the duplicate and
// reorder options. s.mu must be held.
func (s *Server) enqueueLocked(events []webhookEvent) {
	if s.webhookURL == "" || s.closed {
		return
	}
	for i := range events {
		s.eventSeq++
		events[i].seq = s.eventSeq
	}
	if s.opts.ReverseWebhookOrder {
		for i, j := 0, len(events)-1; i < j; i, j = i+1, j-1 {
			events[i], events[j] = events[j], events[i]
		}
	}
	for _, ev := range events {
		s.queue = append(s.queue, &webhookJob{ev: ev, url: s.webhookURL})
		if s.opts.DuplicateWebhooks {
			s.queue = append(s.queue, &webhookJob{ev: ev, url: s.webhookURL})
		}
	}
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// deliverLoop delivers queued events one at a time, in order, each with
// its retries, until the server closes. Serial delivery keeps the order of
// attempts deterministic for tests; ReverseWebhookOrder and
// DuplicateWebhooks produce the disorder Glomo may cause.
func (s *Server) deliverLoop() {
	defer s.wg.Done()
	for {
		s.mu.Lock()
		if len(s.queue) == 0 {
			if s.inFlight {
				s.inFlight = false
				s.notifyLocked()
			}
			s.mu.Unlock()
			select {
			case <-s.wake:
				continue
			case <-s.ctx.Done():
				return
			}
		}
		job := s.queue[0]
		s.queue[0] = nil
		s.queue = s.queue[1:]
		s.inFlight = true
		s.mu.Unlock()

		s.deliver(job)
		if s.ctx.Err() != nil {
			return
		}
	}
}

// deliver makes the first attempt and the scheduled retries for one job.
func (s *Server) deliver(job *webhookJob) {
	sig := webhookSignature(job.ev.body, s.opts.WebhookSecret)
	for attempt := 1; ; attempt++ {
		d := s.attempt(job, sig, attempt)
		s.mu.Lock()
		s.deliveries = append(s.deliveries, d)
		s.notifyLocked()
		s.mu.Unlock()
		s.log.Info("glomotest webhook", "event", d.Event, "attempt", attempt,
			"entity_type", d.EntityType, "event_type", d.EventType, "status", d.StatusCode, "error", d.Err)
		if d.OK() || attempt > len(s.opts.RetrySchedule) {
			return
		}
		t := time.NewTimer(s.opts.RetrySchedule[attempt-1])
		select {
		case <-t.C:
		case <-s.ctx.Done():
			t.Stop()
			return
		}
	}
}

func (s *Server) attempt(job *webhookJob, sig string, attempt int) Delivery {
	d := Delivery{
		Event: job.ev.seq, Attempt: attempt, EntityType: job.ev.entityType, EventType: job.ev.eventType,
		URL: job.url, Body: job.ev.body, Signature: sig, Time: time.Now(),
	}
	ctx, cancel := context.WithTimeout(s.ctx, s.opts.WebhookTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, job.url, bytes.NewReader(job.ev.body))
	if err != nil {
		d.Err = err
		return d
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "glomotest-webhooks")
	req.Header.Set(SignatureHeader, sig)
	resp, err := s.client.Do(req)
	d.Duration = time.Since(d.Time)
	if err != nil {
		d.Err = err
		return d
	}
	// Drain a little so the connection can be reused.
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	d.StatusCode = resp.StatusCode
	return d
}

// Deliveries returns every webhook delivery attempt so far, oldest first.
func (s *Server) Deliveries() []Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Delivery(nil), s.deliveries...)
}

// WaitForDeliveries blocks until at least n delivery attempts have been
// recorded, then returns them all; or returns ctx's error.
func (s *Server) WaitForDeliveries(ctx context.Context, n int) ([]Delivery, error) {
	var out []Delivery
	err := s.waitFor(ctx, func() bool {
		if len(s.deliveries) < n {
			return false
		}
		out = append([]Delivery(nil), s.deliveries...)
		return true
	})
	return out, err
}

// WaitIdle blocks until no webhook is queued, in flight or waiting for a
// retry, or ctx is done. Use it to wait for "all webhooks settled".
func (s *Server) WaitIdle(ctx context.Context) error {
	return s.waitFor(ctx, func() bool { return len(s.queue) == 0 && !s.inFlight })
}

// webhookSignature is the X-Glomopay-Signature value for body: lowercase
// hex HMAC-SHA256 keyed with the webhook secret.
func webhookSignature(body []byte, secret string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}

// WebhookBody returns the JSON body of a webhook event:
// {"entity_type": ..., "event_type": ..., "data": data}.
func WebhookBody(entityType, eventType string, data any) ([]byte, error) {
	return json.Marshal(struct {
		EntityType string `json:"entity_type"`
		EventType  string `json:"event_type"`
		Data       any    `json:"data"`
	}{entityType, eventType, data})
}

// NewWebhookRequest returns an incoming webhook request for target, signed
// with secret, to pass to a merchant's handler's ServeHTTP in unit tests.
// Like httptest.NewRequest it is a server request (it cannot be sent with
// an http.Client; use WebhookBody for that) and it panics on bad input:
// a data value that does not marshal to JSON, or a bad target.
func NewWebhookRequest(target, entityType, eventType string, data any, secret string) *http.Request {
	body, err := WebhookBody(entityType, eventType, data)
	if err != nil {
		panic(fmt.Sprintf("glomotest: NewWebhookRequest: %v", err))
	}
	return NewRawWebhookRequest(target, body, secret)
}

// NewRawWebhookRequest is NewWebhookRequest for a body given byte for
// byte, such as a recorded delivery or a deliberately malformed body.
func NewRawWebhookRequest(target string, body []byte, secret string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, target, bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set(SignatureHeader, webhookSignature(body, secret))
	return r
}
