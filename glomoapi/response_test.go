package glomoapi

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestResponsesWithoutTheObject checks that a 2xx body that does not name
// the object asked for is an ErrResponse, never an empty object and nil.
func TestResponsesWithoutTheObject(t *testing.T) {
	calls := map[string]func(c *Client) (any, error){
		"CreateOrder": func(c *Client) (any, error) {
			return c.CreateOrder(context.Background(), CreateOrderRequest{CustomerID: "c", Amount: 1, Currency: "USD"})
		},
		"GetOrder":   func(c *Client) (any, error) { return c.GetOrder(context.Background(), "order_1") },
		"GetPayment": func(c *Client) (any, error) { return c.GetPayment(context.Background(), "payt_1") },
	}
	tests := []struct {
		call, body string
		wantErr    bool
	}{
		{"CreateOrder", `null`, true},
		{"CreateOrder", `{}`, true},
		{"CreateOrder", `{"status":"active","amount":1,"currency":"USD"}`, true},
		{"CreateOrder", `{"id":""}`, true},
		{"CreateOrder", `{"id":"order_new","status":"active"}`, false},
		{"GetOrder", `null`, true},
		{"GetOrder", `{}`, true},
		{"GetOrder", `{"status":"paid"}`, true},
		{"GetOrder", `{"id":"order_2","status":"paid"}`, true},
		{"GetOrder", `{"id":"order_1","status":"paid"}`, false},
		{"GetPayment", `null`, true},
		{"GetPayment", `{}`, true},
		{"GetPayment", `{"status":"success","order_id":"order_1"}`, true},
		{"GetPayment", `{"id":"payt_2","status":"success"}`, true},
		{"GetPayment", `{"id":"payt_1","status":"success"}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.call+" "+tt.body, func(t *testing.T) {
			c := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprint(w, tt.body)
			})
			got, err := calls[tt.call](c)
			if !tt.wantErr {
				require.NoError(t, err)
				assert.NotNil(t, got)
				return
			}
			require.ErrorIs(t, err, ErrResponse)
			assert.Nil(t, got)
			assert.NotContains(t, err.Error(), testKey)
		})
	}
}

// TestAPIErrorFields checks what an error body's members become: strings
// and numbers as sent, on one line and bounded; objects, arrays, booleans
// and empty strings as nothing, with the status text as the code.
func TestAPIErrorFields(t *testing.T) {
	long := strings.Repeat("é", 600) // 1200 bytes
	tests := []struct {
		status                        int
		name, body                    string
		wantCode, wantMsg, wantDetail string
	}{
		{400, "strings", `{"error":"Bad Request","message":"amount is missing","code":"E_AMOUNT"}`,
			"Bad Request", "amount is missing", "E_AMOUNT"},
		{400, "numbers as written", `{"error":4001,"message":-2.50,"code":1e3}`, "4001", "-2.50", "1e3"},
		{400, "object, array and boolean", `{"error":{"type":"x"},"message":["a"],"code":true}`, "Bad Request", "", ""},
		{400, "null and empty", `{"error":null,"message":"","code":null}`, "Bad Request", "", ""},
		{400, "empty error, a message", `{"error":"","message":"m"}`, "Bad Request", "m", ""},
		{400, "control characters", `{"error":"Bad\tRequest","message":"a\nb\r\nc\u001b[31md\u0085e"}`,
			"Bad Request", "a b  c [31md e", ""},
		{400, "Unicode line and paragraph separators", `{"error":"x","message":"a\u2028b\u2029c"}`, "x", "a b c", ""},
		{400, "invalid UTF-8", "{\"error\":\"x\",\"message\":\"a\xffb\"}", "x", "a\uFFFDb", ""},
		{400, "exactly the limit", `{"error":"x","message":"` + strings.Repeat("m", MaxErrorFieldBytes) + `"}`,
			"x", strings.Repeat("m", MaxErrorFieldBytes), ""},
		{400, "one byte over", `{"error":"x","message":"` + strings.Repeat("m", MaxErrorFieldBytes+1) + `"}`,
			"x", strings.Repeat("m", MaxErrorFieldBytes-len("…")) + "…", ""},
		// 509 bytes would split the 255th é: the cut moves back to 508.
		{400, "cut at a character boundary", `{"error":"x","message":"` + long + `"}`,
			"x", strings.Repeat("é", 254) + "…", ""},
		{400, "not JSON", `<html><h1>400</h1></html>`, "Bad Request", "", ""},
		{503, "a message only", `{"message":"down for maintenance"}`, "Service Unavailable", "down for maintenance", ""},
		{599, "a status without a name", `<html></html>`, "status 599", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				w.WriteHeader(tt.status)
				fmt.Fprint(w, tt.body)
			})
			_, err := c.GetOrder(context.Background(), "order_1")
			var ae *APIError
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, tt.wantCode, ae.Code)
			assert.Equal(t, tt.wantMsg, ae.Message)
			assert.Equal(t, tt.wantDetail, ae.Detail)
			assert.NotContains(t, err.Error(), "\n")
		})
	}
}
