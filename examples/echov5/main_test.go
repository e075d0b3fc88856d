package main

import (
	"testing"

	"github.com/glomokit/glomo/examples/internal/demotest"
)

func TestShop(t *testing.T) { demotest.Smoke(t, router) }
