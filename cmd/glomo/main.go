// Command glomo checks and fixes a merchant site for Glomo Checkout without
// writing Go: glomo doctor inspects a live page's COOP and CSP (and, with
// -browser, asks headless Chromium), glomo csp merge prints the policy to
// send, and glomo sign / glomo verify compute and check Glomo's signatures.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
)

// Exit codes shared by every subcommand.
const (
	exitOK    = 0 // Glomo Checkout would work / the signature is valid / done
	exitFail  = 1 // it would not work / the signature is invalid
	exitUsage = 2 // the check could not be made: bad usage, network, browser
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}

const mainUsage = `Usage: glomo <command> [flags] [arguments]

Commands:
  doctor URL          check whether Glomo Checkout works on a page (COOP, CSP,
                      inline snippet; -browser asks headless Chromium too)
  csp merge [POLICY]  print a Content-Security-Policy with Glomo's sources
                      merged in (policy from the argument or stdin)
  sign                compute a checkout result or webhook signature
  verify              check a checkout result or webhook signature

Run "glomo <command> -h" for a command's flags, exit codes and examples.

Exit codes: 0 ok, 1 the check failed (checkout would not work, signature
invalid), 2 the check could not be made (usage, network, browser).
`

// run is the whole program behind main, with its environment passed in so
// tests can drive it.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, mainUsage)
		return exitUsage
	}
	switch args[0] {
	case "doctor":
		return runDoctor(ctx, args[1:], stdout, stderr, getenv)
	case "csp":
		return runCSP(args[1:], stdin, stdout, stderr)
	case "sign":
		return runSign(args[1:], stdin, stdout, stderr, getenv)
	case "verify":
		return runVerify(args[1:], stdin, stdout, stderr, getenv)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, mainUsage)
		return exitOK
	default:
		fmt.Fprintf(stderr, "glomo: unknown command %q\n\n%s", args[0], mainUsage)
		return exitUsage
	}
}
