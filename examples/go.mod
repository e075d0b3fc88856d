module github.com/glomokit/glomo/examples

go 1.25

replace github.com/glomokit/glomo => ../

require github.com/glomokit/glomo v0.0.0-00010101000000-000000000000

require (
	github.com/unrolled/secure v1.17.0 // indirect
	go.yaml.in/yaml/v3 v3.0.6 // indirect
)
