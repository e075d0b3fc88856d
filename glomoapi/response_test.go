package glomoapi

import (
	"context"
	"fmt"
	"net/http"
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
