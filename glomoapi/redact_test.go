package glomoapi

import (
	"context"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestClientFormattingHidesKey formats a Client every way fmt can reach
// it: as a value and a pointer, directly and inside exported and
// unexported fields (whose methods fmt cannot call), with every verb.
func TestClientFormattingHidesKey(t *testing.T) {
	c, err := New(testKey, WithBaseURL("https://api.example/api/v1"))
	require.NoError(t, err)
	type exported struct{ API Client }
	type unexported struct{ api Client }
	type unexportedPtr struct{ api *Client }
	type nested struct{ inner unexported }
	values := []struct {
		name string
		v    any
	}{
		{"Client", *c},
		{"*Client", c},
		{"exported Client field", exported{*c}},
		{"*struct with exported Client field", &exported{*c}},
		{"unexported Client field", unexported{*c}},
		{"*struct with unexported Client field", &unexported{*c}},
		{"unexported *Client field", unexportedPtr{c}},
		{"nested unexported Client field", nested{unexported{*c}}},
		{"slice of Clients", []Client{*c}},
		{"map of Clients", map[string]Client{"k": *c}},
		{"zero Client", Client{}},
		{"nil *Client", (*Client)(nil)},
	}
	for _, tt := range values {
		for _, verb := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x", "%d", "%t"} {
			t.Run(tt.name+" "+verb, func(t *testing.T) {
				s := fmt.Sprintf(verb, tt.v)
				assert.NotContains(t, s, testKey)
				assert.NotContains(t, s, fmt.Sprintf("%x", testKey), "not even hex-encoded")
			})
		}
	}
	assert.Equal(t, "glomoapi.Client{https://api.example/api/v1}", fmt.Sprint(*c))
	assert.Equal(t, fmt.Sprint(c), fmt.Sprint(*c), "a value formats as the pointer does")
}

func TestClientNotMadeByNew(t *testing.T) {
	ctx := context.Background()
	for name, c := range map[string]*Client{"zero Client": {}, "nil *Client": nil} {
		t.Run(name, func(t *testing.T) {
			_, err := c.GetOrder(ctx, "order_1")
			assert.ErrorIs(t, err, ErrInvalidRequest)
			_, err = c.GetPayment(ctx, "payt_1")
			assert.ErrorIs(t, err, ErrInvalidRequest)
			_, err = c.CreateOrder(ctx, CreateOrderRequest{CustomerID: "c", Amount: 1, Currency: "USD"})
			assert.ErrorIs(t, err, ErrInvalidRequest)
		})
	}
}
