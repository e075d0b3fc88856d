module github.com/glomokit/glomo/adapters/echov5

go 1.25.0

replace github.com/glomokit/glomo => ../..

require (
	github.com/glomokit/glomo v0.0.0-00010101000000-000000000000
	github.com/labstack/echo/v5 v5.3.1
	github.com/stretchr/testify v1.12.1
)

require (
	github.com/unrolled/secure v1.17.0 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/time v0.15.0 // indirect
)
