package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/glomokit/glomo"
	"github.com/glomokit/glomo/webhook"
)

// Environment variables the secrets come from. Secrets are never taken
// from a flag: flags end up in shell history and process listings.
const (
	envSecretKey     = "GLOMO_SECRET_KEY"
	envWebhookSecret = "GLOMO_WEBHOOK_SECRET"
)

// maxWebhookBody bounds the body file sign and verify read.
const maxWebhookBody = 10 << 20

const signUsage = `Usage:
  glomo sign -order ID -payment ID -status STATUS [-secret-stdin]
  glomo sign -webhook -body FILE [-secret-stdin]

Prints a signature as Glomo computes it (lowercase hex HMAC-SHA256):
  - of a checkout result: the message order|payment|status, keyed with the
    API secret key from $GLOMO_SECRET_KEY;
  - with -webhook: of the raw bytes of FILE (the X-Glomopay-Signature of
    that body), keyed with the webhook secret from $GLOMO_WEBHOOK_SECRET.
Use it to build signed test results and webhook deliveries.

Secrets are read ONLY from the environment or, with -secret-stdin, from the
first line of stdin; never from a flag (shell history). The secret is never
printed.

Flags:
  -order ID        the order id your server created
  -payment ID      the payment id from the result
  -status STATUS   the status from the result (e.g. success)
  -webhook         sign a webhook body instead of a result
  -body FILE       the webhook body file, as sent (- for stdin)
  -secret-stdin    read the secret from the first line of stdin

Exit codes:
  0  the signature was printed
  2  usage error: a missing field or secret, an unreadable file

Examples:
  GLOMO_SECRET_KEY=sk_test_... glomo sign -order order_1 -payment payt_1 -status success
  GLOMO_WEBHOOK_SECRET=whsec_... glomo sign -webhook -body delivery.json
`

const verifyUsage = `Usage:
  glomo verify -order ID -payment ID -status STATUS -signature HEX [-secret-stdin]
  glomo verify -webhook -body FILE -signature HEX [-secret-stdin]

Checks a signature as the Go library does (glomo.Verify, webhook.Verify):
constant-time, hex of either case.
  - A checkout result: HMAC-SHA256 of order|payment|status keyed with
    $GLOMO_SECRET_KEY. Give the order id YOUR server created, not the one
    the browser sent back.
  - With -webhook: HMAC-SHA256 of the raw bytes of FILE keyed with
    $GLOMO_WEBHOOK_SECRET (the X-Glomopay-Signature header's value).

Secrets are read ONLY from the environment or, with -secret-stdin, from the
first line of stdin; never from a flag. The secret is never printed.

Flags:
  -order ID         the order id your server created
  -payment ID       the payment id from the result
  -status STATUS    the status from the result
  -signature HEX    the signature to check (64 hex characters)
  -webhook          check a webhook body instead of a result
  -body FILE        the webhook body file, exactly as received (- for stdin)
  -secret-stdin     read the secret from the first line of stdin

Exit codes:
  0  valid
  1  invalid (does not match, or not a well-formed signature)
  2  usage error: a missing field, signature or secret, an unreadable file

Examples:
  GLOMO_SECRET_KEY=sk_test_... glomo verify -order order_1 -payment payt_1 -status success -signature 3f1c...
  glomo verify -webhook -body delivery.json -signature "$SIG" -secret-stdin < webhook-secret.txt
`

// signFlags are the flags sign and verify share.
type signFlags struct {
	order, payment, status, signature, body string
	webhook, secretStdin                    bool
}

func (s *signFlags) register(fs *flag.FlagSet, verify bool) {
	fs.StringVar(&s.order, "order", "", "")
	fs.StringVar(&s.payment, "payment", "", "")
	fs.StringVar(&s.status, "status", "", "")
	fs.StringVar(&s.body, "body", "", "")
	fs.BoolVar(&s.webhook, "webhook", false, "")
	fs.BoolVar(&s.secretStdin, "secret-stdin", false, "")
	if verify {
		fs.StringVar(&s.signature, "signature", "", "")
	}
}

// input is what sign and verify work on, once checked.
type signInput struct {
	secret string
	body   []byte // webhook only
}

// load checks the flags and reads the secret and body.
func (s *signFlags) load(fs *flag.FlagSet, stdin io.Reader, getenv func(string) string) (signInput, error) {
	var in signInput
	if fs.NArg() > 0 {
		return in, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if s.webhook {
		if s.order != "" || s.payment != "" || s.status != "" {
			return in, errors.New("-webhook signs a body: -order, -payment and -status do not apply")
		}
		if s.body == "" {
			return in, errors.New("-webhook needs -body FILE")
		}
		if s.body == "-" && s.secretStdin {
			return in, errors.New("-body - and -secret-stdin cannot both read stdin")
		}
	} else {
		if s.body != "" {
			return in, errors.New("-body needs -webhook")
		}
		for _, f := range []struct{ name, v string }{{"-order", s.order}, {"-payment", s.payment}, {"-status", s.status}} {
			if f.v == "" {
				return in, fmt.Errorf("missing %s", f.name)
			}
			if strings.Contains(f.v, "|") {
				return in, fmt.Errorf("%s contains '|', the separator of the signed message", f.name)
			}
		}
	}
	env := envSecretKey
	if s.webhook {
		env = envWebhookSecret
	}
	if s.secretStdin {
		secret, err := readSecretLine(stdin)
		if err != nil {
			return in, err
		}
		in.secret = secret
	} else {
		in.secret = getenv(env)
		if in.secret == "" {
			return in, fmt.Errorf("no secret: set $%s or use -secret-stdin", env)
		}
	}
	if s.webhook {
		body, err := readBody(s.body, stdin)
		if err != nil {
			return in, err
		}
		in.body = body
	}
	return in, nil
}

// readSecretLine reads the secret from the first line of r.
func readSecretLine(r io.Reader) (string, error) {
	if r == nil {
		return "", errors.New("-secret-stdin: no stdin")
	}
	line, err := bufio.NewReader(io.LimitReader(r, 64<<10)).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("-secret-stdin: reading stdin: %v", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("-secret-stdin: the first line of stdin is empty")
	}
	return line, nil
}

// readBody reads a webhook body file (or stdin for "-"), as bytes, capped.
func readBody(name string, stdin io.Reader) ([]byte, error) {
	var r io.Reader
	if name == "-" {
		if stdin == nil {
			return nil, errors.New("-body -: no stdin")
		}
		r = stdin
	} else {
		f, err := os.Open(name)
		if err != nil {
			return nil, fmt.Errorf("-body: %v", err)
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, maxWebhookBody+1))
	if err != nil {
		return nil, fmt.Errorf("-body: %v", err)
	}
	if len(data) > maxWebhookBody {
		return nil, fmt.Errorf("-body: larger than %d bytes", maxWebhookBody)
	}
	return data, nil
}

func runSign(args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	const cmd = "glomo sign"
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	var s signFlags
	s.register(fs, false)
	if code := parseFlags(fs, args, stdout, stderr, signUsage); code >= 0 {
		return code
	}
	in, err := s.load(fs, stdin, getenv)
	if err != nil {
		return usageError(stderr, cmd, signUsage, "%v", err)
	}
	if s.webhook {
		fmt.Fprintln(stdout, webhook.Sign(in.body, webhook.Secret(in.secret)))
	} else {
		fmt.Fprintln(stdout, glomo.Sign(s.order, s.payment, s.status, in.secret))
	}
	return exitOK
}

func runVerify(args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	const cmd = "glomo verify"
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	var s signFlags
	s.register(fs, true)
	if code := parseFlags(fs, args, stdout, stderr, verifyUsage); code >= 0 {
		return code
	}
	if s.signature == "" {
		return usageError(stderr, cmd, verifyUsage, "missing -signature")
	}
	in, err := s.load(fs, stdin, getenv)
	if err != nil {
		return usageError(stderr, cmd, verifyUsage, "%v", err)
	}
	if s.webhook {
		err = webhook.Verify(in.body, s.signature, webhook.Secret(in.secret))
	} else {
		err = glomo.Verify(s.order, s.payment, s.status, s.signature, in.secret)
	}
	switch {
	case err == nil:
		fmt.Fprintln(stdout, "valid")
		return exitOK
	case errors.Is(err, glomo.ErrSignatureMismatch):
		fmt.Fprintln(stdout, "invalid: the signature does not match")
		return exitFail
	case errors.Is(err, glomo.ErrMalformedSignature):
		fmt.Fprintln(stdout, "invalid: not a signature (64 hex characters expected)")
		return exitFail
	default:
		return usageError(stderr, cmd, verifyUsage, "%v", err)
	}
}
