module github.com/glomokit/glomo

go 1.22

require (
	github.com/stretchr/testify v1.12.1
	github.com/unrolled/secure v1.17.0
)

require go.yaml.in/yaml/v3 v3.0.5 // indirect
