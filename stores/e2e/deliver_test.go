package e2e

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"time"

	"github.com/glomokit/glomo/glomotest"
)

// proof is one proof of an order's payment as Glomo or the buyer's
// browser sends it.
type proof struct {
	name   string
	method string
	// target returns the URL on the replica at base.
	target func(base string) string
	body   []byte
	header http.Header
}

// newClient returns a client that keeps connections to the replicas
// alive, as Glomo's deliveries and browsers do.
func newClient() *http.Client {
	return &http.Client{
		Timeout:   30 * time.Second,
		Transport: &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 64, IdleConnTimeout: time.Minute},
		// The result handler answers a redirect with a page; nothing to
		// follow.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// paidProofs returns every proof of order's payment: the signed
// callbackUrl redirect, the signed post, and the webhooks — payment/success
// with its order_id twice (Glomo duplicates deliveries) and orders/paid.
func paidProofs(order string) []proof {
	payment := "payt_" + order
	post, _ := json.Marshal(glomotest.SignedSuccess(order, payment, apiSecret))
	paymentEvent := signedEvent("payment", "success", map[string]any{"id": payment, "order_id": order, "status": "success"})
	orderEvent := signedEvent("orders", "paid", map[string]any{"id": order, "status": "paid", "payment_id": payment})
	session := http.Header{orderHeader: {order}}
	return []proof{
		{name: "redirect", method: http.MethodGet, header: session,
			target: func(base string) string {
				return glomotest.CallbackURL(base+resultPath, order, payment, "success", apiSecret)
			}},
		{name: "post", method: http.MethodPost, body: post,
			header: http.Header{orderHeader: {order}, "Content-Type": {"application/json"}},
			target: func(base string) string { return base + resultPath }},
		paymentEvent, orderEvent, paymentEvent,
	}
}

// signedEvent returns a webhook delivery of the event, signed as Glomo
// signs it: the hex HMAC-SHA256 of the raw body.
func signedEvent(entity, event string, data any) proof {
	body, err := glomotest.WebhookBody(entity, event, data)
	if err != nil {
		panic(err)
	}
	mac := hmac.New(sha256.New, []byte(webhookSecret))
	mac.Write(body)
	return proof{
		name: "webhook " + entity + "/" + event, method: http.MethodPost, body: body,
		header: http.Header{"Content-Type": {"application/json"}, glomotest.SignatureHeader: {hex.EncodeToString(mac.Sum(nil))}},
		target: func(base string) string { return base + webhookPath },
	}
}

// isWebhook reports whether p is a webhook delivery, which Glomo retries.
func (p proof) isWebhook() bool { return p.header.Get(glomotest.SignatureHeader) != "" }

// send delivers p once to the replica at base.
func (p proof) send(client *http.Client, base string) (status int, body []byte, err error) {
	var rd io.Reader
	if p.body != nil {
		rd = bytes.NewReader(p.body)
	}
	req, err := http.NewRequest(p.method, p.target(base), rd)
	if err != nil {
		return 0, nil, err
	}
	for k, v := range p.header {
		req.Header[k] = v
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	body, err = io.ReadAll(resp.Body)
	return resp.StatusCode, body, err
}

// retry says how a 409 in_progress is retried.
type retry struct {
	attempts int
	pause    time.Duration
}

// deliver sends p to a random replica of rs and, as Glomo retries a 409,
// again to another replica after a pause, at most r.attempts times. It
// returns the last answer; any status but 200 and 409 is an error.
func deliver(client *http.Client, rs []*replica, p proof, r retry) (status int, body []byte, err error) {
	i := rand.IntN(len(rs))
	for attempt := 0; attempt < r.attempts; attempt++ {
		status, body, err = p.send(client, rs[i].url)
		if err != nil {
			return 0, nil, fmt.Errorf("%s to replica %s: %w", p.name, rs[i].name, err)
		}
		switch status {
		case http.StatusOK:
			return status, body, nil
		case http.StatusConflict:
			if len(rs) > 1 {
				i = (i + 1 + rand.IntN(len(rs)-1)) % len(rs)
			}
			time.Sleep(r.pause)
		default:
			return status, body, fmt.Errorf("%s to replica %s: %d %s", p.name, rs[i].name, status, body)
		}
	}
	return status, body, fmt.Errorf("%s: still 409 after %d attempts: %s", p.name, r.attempts, body)
}
