module github.com/glomokit/glomo/stores/e2e

go 1.23.0

replace (
	github.com/glomokit/glomo => ../..
	github.com/glomokit/glomo/stores/postgres => ../postgres
	github.com/glomokit/glomo/stores/redis => ../redis
)

require (
	github.com/glomokit/glomo v0.0.0-00010101000000-000000000000
	github.com/glomokit/glomo/stores/postgres v0.0.0-00010101000000-000000000000
	github.com/glomokit/glomo/stores/redis v0.0.0-00010101000000-000000000000
	github.com/jackc/pgx/v5 v5.7.6
	github.com/redis/go-redis/v9 v9.18.0
	github.com/stretchr/testify v1.12.1
)

require (
	github.com/cespare/xxhash/v2 v2.3.0 // indirect
	github.com/dgryski/go-rendezvous v0.0.0-20200823014737-9f7001d12a5f // indirect
	github.com/jackc/pgpassfile v1.0.0 // indirect
	github.com/jackc/pgservicefile v0.0.0-20240606120523-5a60cdf6a761 // indirect
	github.com/jackc/puddle/v2 v2.2.2 // indirect
	github.com/unrolled/secure v1.17.0 // indirect
	go.uber.org/atomic v1.11.0 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/crypto v0.37.0 // indirect
	golang.org/x/sync v0.13.0 // indirect
	golang.org/x/text v0.24.0 // indirect
)
