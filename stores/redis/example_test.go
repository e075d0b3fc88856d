package glomoredis_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/glomokit/glomo"
	glomoredis "github.com/glomokit/glomo/stores/redis"
	"github.com/redis/go-redis/v9"
)

// Example shares one record of fulfilled orders between replicas through
// Redis: the second proof of the same order does not ship it again.
func Example() {
	// One address is a single node; several are a Cluster, and a
	// MasterName selects Sentinel.
	client := redis.NewUniversalClient(&redis.UniversalOptions{
		Addrs:                 []string{os.Getenv("REDIS_ADDR")},
		ContextTimeoutEnabled: true,
	})
	defer client.Close()

	store, err := glomoredis.New(client, glomoredis.Options{Prefix: "shop:"})
	if err != nil {
		log.Fatal(err)
	}
	fulfilment, err := glomo.NewFulfilment(func(ctx context.Context, o glomo.PaidOrder) error {
		fmt.Println("shipping the order, proved by", o.Proof)
		return nil
	}, glomo.FulfilmentOptions{Store: store})
	if err != nil {
		log.Fatal(err)
	}

	orderID := fmt.Sprintf("order_%d", time.Now().UnixNano()) // normally from your database
	for _, proof := range []glomo.Proof{glomo.ProofRedirect, glomo.ProofWebhook} {
		result, err := fulfilment.Fulfil(context.Background(), glomo.PaidOrder{OrderID: orderID, Proof: proof})
		if err != nil {
			log.Fatal(err) // errors.Is(err, glomo.ErrStore): answer 503, Glomo retries
		}
		fmt.Println(proof, result)
	}
	// Output:
	// shipping the order, proved by redirect
	// redirect ran
	// webhook already_ran
}
