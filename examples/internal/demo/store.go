package demo

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/glomokit/glomo"
	glomopg "github.com/glomokit/glomo/stores/postgres"
	glomoredis "github.com/glomokit/glomo/stores/redis"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
)

// OpenStore returns the fulfilment store that spec names: "memory" (or
// ""), a redis:// or rediss:// URL, or a postgres:// or postgresql://
// URL, whose table it creates when missing. close releases the
// connections. Errors name the store by its URL with the password
// redacted, and never quote a driver's error that contains it.
func OpenStore(ctx context.Context, spec string) (store glomo.Store, name string, close func(), err error) {
	if spec == "" || spec == "memory" {
		return glomo.NewMemoryStore(0, 0), "memory", func() {}, nil
	}
	u, err := url.Parse(spec)
	if err != nil {
		return nil, "", nil, errors.New("the store must be memory, a redis:// URL or a postgres:// URL")
	}
	name = u.Redacted()
	password, _ := u.User.Password()
	fail := func(what string, err error) (glomo.Store, string, func(), error) {
		msg := err.Error()
		if password != "" {
			msg = strings.ReplaceAll(msg, password, "xxxxx")
		}
		return nil, "", nil, fmt.Errorf("store %s: %s: %s", name, what, msg)
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	switch u.Scheme {
	case "redis", "rediss":
		opts, err := redis.ParseURL(spec)
		if err != nil {
			return fail("parsing the URL", err)
		}
		opts.ContextTimeoutEnabled = true
		client := redis.NewClient(opts)
		if err := client.Ping(ctx).Err(); err != nil {
			_ = client.Close()
			return fail("connecting", err)
		}
		s, err := glomoredis.New(client, glomoredis.Options{})
		if err != nil {
			_ = client.Close()
			return fail("configuring", err)
		}
		return s, name, func() { _ = client.Close() }, nil
	case "postgres", "postgresql":
		pool, err := pgxpool.New(ctx, spec)
		if err != nil {
			return fail("parsing the URL", err)
		}
		s, err := glomopg.New(pool, glomopg.Options{})
		if err == nil {
			err = s.Migrate(ctx)
		}
		if err != nil {
			pool.Close()
			return fail("preparing the table", err)
		}
		return s, name, pool.Close, nil
	}
	return nil, "", nil, fmt.Errorf("store %s: the scheme must be redis, rediss, postgres or postgresql", name)
}
