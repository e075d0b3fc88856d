module github.com/glomokit/glomo/adapters/chi

go 1.22

replace github.com/glomokit/glomo => ../..

require (
	github.com/glomokit/glomo v0.0.0-00010101000000-000000000000
	github.com/go-chi/chi/v5 v5.2.2
	github.com/stretchr/testify v1.12.1
)

require (
	github.com/unrolled/secure v1.17.0 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
)
