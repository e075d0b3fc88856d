module github.com/glomokit/glomo

go 1.22

require (
	github.com/stretchr/testify v1.12.1 // indirect
	github.com/unrolled/secure v1.17.0 // indirect
)
