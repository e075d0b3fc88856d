package demotest_test

import (
	"net/http"
	"testing"

	"github.com/glomokit/glomo/examples/internal/demotest"
	"github.com/glomokit/glomo/examples/internal/shop"
)

// TestSmokeNetHTTP holds the check itself to the net/http version, which
// the framework demos must equal.
func TestSmokeNetHTTP(t *testing.T) {
	demotest.Smoke(t, func(s *shop.Shop) (http.Handler, error) { return s.Handler(), nil })
}
