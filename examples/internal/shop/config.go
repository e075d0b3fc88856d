package shop

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"

	"github.com/glomokit/glomo"
	"github.com/glomokit/glomo/glomotest"
)

// DefaultSDKURL is the checkout SDK module the guide imports.
const DefaultSDKURL = "https://glomopay-checkout-sdk.web.app/index.js"

// Environment variables read by ConfigFromEnv and Setup.
const (
	EnvSecretKey     = "GLOMO_SECRET_KEY"     // API secret key; with EnvPublicKey selects real Glomo
	EnvPublicKey     = "GLOMO_PUBLIC_KEY"     // publishable key (test_... or live_...)
	EnvWebhookSecret = "GLOMO_WEBHOOK_SECRET" // webhook signing secret; optional
	EnvAPIBaseURL    = "GLOMO_API_BASE_URL"   // optional API root, default glomoapi.DefaultBaseURL
)

// Config says which Glomo the shop talks to and how its pages load the SDK.
type Config struct {
	// SecretKey is the API secret key: it creates orders and keys the
	// checkout signatures. Required.
	SecretKey string
	// PublicKey is the publishable key passed to GlomoCheckoutApi. Required.
	PublicKey string
	// WebhookSecret verifies webhook deliveries. Empty disables the webhook
	// endpoint (it answers 503 webhooks_disabled).
	WebhookSecret string
	// APIBaseURL is the server API root. Default glomoapi.DefaultBaseURL.
	APIBaseURL string
	// HTTPClient makes the API calls. Default: glomoapi's client.
	HTTPClient *http.Client
	// SDKURL is the ES module the checkout page imports. Default DefaultSDKURL.
	SDKURL string
	// CSPSources are merged into script-src, frame-src and connect-src on
	// top of Glomo's own hosts (glomo.WithExtraSources): the simulator's
	// origin when the SDK comes from it. Default none.
	CSPSources []string
	// PublicURL is the shop's address as buyers reach it, such as
	// https://shop.example, for the callbackUrl. Default: the scheme and
	// host of each request.
	PublicURL string
	// Simulated marks the pages as running against the local simulator.
	Simulated bool
	// SimulatorURL is the simulator's root URL when the shop runs against
	// a glomotest.Server: the order page of an order awaiting a bank
	// transfer then offers to settle it (PathSettleTransfer), which the
	// shop asks of the simulator with the secret key. Default none: that
	// route answers 404.
	SimulatorURL string
	// Store records the fulfilment's claims and done marks. Default: a
	// glomo.MemoryStore; replicas share a Redis or PostgreSQL store.
	Store glomo.Store
	// Logger receives the shop's and the handlers' log lines. Default
	// slog.Default().
	Logger *slog.Logger
}

// ErrHalfConfigured is returned when only one of EnvSecretKey and
// EnvPublicKey is set: the shop would otherwise silently fall back to the
// simulator.
var ErrHalfConfigured = errors.New("shop: set both " + EnvSecretKey + " and " + EnvPublicKey + ", or neither to use the embedded simulator")

// ConfigFromEnv returns the configuration for real Glomo when both
// EnvSecretKey and EnvPublicKey are set, and ok false when neither is.
func ConfigFromEnv(getenv func(string) string) (cfg Config, ok bool, err error) {
	secret, public := strings.TrimSpace(getenv(EnvSecretKey)), strings.TrimSpace(getenv(EnvPublicKey))
	switch {
	case secret == "" && public == "":
		return Config{}, false, nil
	case secret == "" || public == "":
		return Config{}, false, ErrHalfConfigured
	}
	return Config{
		SecretKey:     secret,
		PublicKey:     public,
		WebhookSecret: strings.TrimSpace(getenv(EnvWebhookSecret)),
		APIBaseURL:    strings.TrimSpace(getenv(EnvAPIBaseURL)),
	}, true, nil
}

// SimulatorConfig returns the configuration for a shop that uses sim for
// everything: its API, its SDK (imported from sim's own URL, which is
// therefore added to the CSP sources) and its keys. Pass it a plain HTTP
// glomotest.NewServer for a human's browser, which would refuse the TLS
// server's self-signed certificate.
func SimulatorConfig(sim *glomotest.Server) Config {
	return Config{
		SecretKey:     sim.SecretKey(),
		PublicKey:     sim.PublicKey(),
		WebhookSecret: sim.WebhookSecret(),
		APIBaseURL:    sim.APIBaseURL(),
		HTTPClient:    sim.Client(),
		SDKURL:        sim.SDKURL(),
		CSPSources:    []string{sim.URL()},
		Simulated:     true,
		SimulatorURL:  sim.URL(),
	}
}

// Setup returns the configuration a demo starts with: real Glomo when the
// environment has both keys, else an embedded simulator started here
// (non-nil sim; the caller closes it and points its webhooks at the shop
// with sim.SetWebhookURL once it listens).
func Setup(getenv func(string) string, logger *slog.Logger) (cfg Config, sim *glomotest.Server, err error) {
	cfg, ok, err := ConfigFromEnv(getenv)
	if err != nil {
		return Config{}, nil, err
	}
	if !ok {
		sim = glomotest.NewServer(glomotest.Options{Logger: logger})
		cfg = SimulatorConfig(sim)
	}
	cfg.Logger = logger
	return cfg, sim, nil
}

func (c *Config) validate() error {
	var errs []error
	if c.SecretKey == "" {
		errs = append(errs, errors.New("shop: Config.SecretKey is required"))
	}
	if c.PublicKey == "" {
		errs = append(errs, errors.New("shop: Config.PublicKey is required"))
	}
	if c.SimulatorURL != "" && !strings.HasPrefix(c.SimulatorURL, "http://") && !strings.HasPrefix(c.SimulatorURL, "https://") {
		errs = append(errs, fmt.Errorf("shop: Config.SimulatorURL %q must be an absolute http(s) URL", c.SimulatorURL))
	}
	if c.PublicURL != "" && !strings.HasPrefix(c.PublicURL, "http://") && !strings.HasPrefix(c.PublicURL, "https://") {
		errs = append(errs, fmt.Errorf("shop: Config.PublicURL %q must be an absolute http(s) URL", c.PublicURL))
	}
	return errors.Join(errs...)
}
