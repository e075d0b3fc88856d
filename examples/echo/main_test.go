package main

import (
	"testing"

	"github.com/glomokit/glomo/examples/internal/demotest"
	"github.com/glomokit/glomo/examples/internal/routers"
)

func TestShop(t *testing.T) { demotest.Smoke(t, routers.Echo) }
