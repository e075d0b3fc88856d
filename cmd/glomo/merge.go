package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/glomokit/glomo"
)

const cspUsage = `Usage: glomo csp merge [flags] [POLICY | -]

Prints POLICY (a Content-Security-Policy header value) with Glomo Checkout's
sources merged in, exactly as the Go middleware glomo.CSP sends it and
glomo.MergeCSP returns it: on one line, ready to paste into nginx's
add_header, Apache's Header set, or any framework's header setting. Without
POLICY, or with -, the policy is read from stdin (one line).

Glomo's sources go into script-src (and script-src-elem), frame-src and
connect-src, created from their fallback (child-src, default-src) instead
of widening default-src; nothing is added where that load type is
unrestricted. Every comma-separated policy is merged. Merging twice gives
the same policy.

Flags:
  -script-src SOURCE   replace the sources merged into the script directives
                       (default https://glomopay-checkout-sdk.web.app); repeatable
  -frame-src SOURCE    replace the sources merged into frame-src (default
                       https://glomopay-checkout-sdk.web.app https://*.glomopay.com); repeatable
  -connect-src SOURCE  replace the sources merged into connect-src (default as
                       -frame-src); repeatable
  -extra SOURCE        add a source to all three, on top; repeatable
  A SOURCE is one host-source with its scheme, such as https://pay.example.

Exit codes:
  0  the merged policy was printed
  2  usage error: no policy, several lines, an invalid source

Examples:
  glomo csp merge "default-src 'self'"
  glomo csp merge -extra https://sandbox.example.com "default-src 'self'; img-src *"
  curl -sI https://shop.example/ | sed -n 's/^content-security-policy: //Ip' | glomo csp merge
`

// maxPolicyInput bounds what csp merge reads from stdin.
const maxPolicyInput = 1 << 20

// runCSP runs "glomo csp ...".
func runCSP(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		return usageError(stderr, "glomo csp", cspUsage, "missing subcommand (merge)")
	}
	switch args[0] {
	case "merge":
		return runCSPMerge(args[1:], stdin, stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprint(stdout, cspUsage)
		return exitOK
	}
	return usageError(stderr, "glomo csp", cspUsage, "unknown subcommand %q", args[0])
}

// sourceFlags are the library's source options as flags.
type sourceFlags struct {
	script, frame, connect, extra multiFlag
}

func (s *sourceFlags) register(fs *flag.FlagSet) {
	fs.Var(&s.script, "script-src", "")
	fs.Var(&s.frame, "frame-src", "")
	fs.Var(&s.connect, "connect-src", "")
	fs.Var(&s.extra, "extra", "")
}

// options turns the flags into the library's options.
func (s *sourceFlags) options() []glomo.Option {
	return mergeOptions(s.script, s.frame, s.connect, s.extra)
}

// mergeOptions builds glomo.MergeCSP's options: a nil list keeps the
// library's default for that kind. It is the one place that names the
// option type.
func mergeOptions(script, frame, connect, extra []string) []glomo.Option {
	var opts []glomo.Option
	if script != nil {
		opts = append(opts, glomo.WithScriptSources(script...))
	}
	if frame != nil {
		opts = append(opts, glomo.WithFrameSources(frame...))
	}
	if connect != nil {
		opts = append(opts, glomo.WithConnectSources(connect...))
	}
	if extra != nil {
		opts = append(opts, glomo.WithExtraSources(extra...))
	}
	return opts
}

func runCSPMerge(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	const cmd = "glomo csp merge"
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	var src sourceFlags
	src.register(fs)
	if code := parseFlags(fs, args, stdout, stderr, cspUsage); code >= 0 {
		return code
	}
	var policy string
	switch {
	case fs.NArg() > 1:
		return usageError(stderr, cmd, cspUsage, "one policy expected, got %d arguments (quote the policy)", fs.NArg())
	case fs.NArg() == 1 && fs.Arg(0) != "-":
		policy = fs.Arg(0)
	default:
		p, err := readPolicyLine(stdin)
		if err != nil {
			return usageError(stderr, cmd, cspUsage, "%v", err)
		}
		policy = p
	}
	if strings.ContainsAny(policy, "\r\n") {
		return usageError(stderr, cmd, cspUsage, "the policy must be one line")
	}
	merged, err := glomo.MergeCSP(policy, src.options()...)
	if err != nil {
		return usageError(stderr, cmd, cspUsage, "%v", err)
	}
	fmt.Fprintln(stdout, merged)
	return exitOK
}

// readPolicyLine reads the one non-empty line of a policy from r.
func readPolicyLine(r io.Reader) (string, error) {
	if r == nil {
		return "", fmt.Errorf("no policy given and no stdin")
	}
	data, err := io.ReadAll(io.LimitReader(r, maxPolicyInput+1))
	if err != nil {
		return "", fmt.Errorf("reading stdin: %v", err)
	}
	if len(data) > maxPolicyInput {
		return "", fmt.Errorf("stdin holds more than %d bytes", maxPolicyInput)
	}
	var lines []string
	sc := bufio.NewScanner(strings.NewReader(string(data)))
	sc.Buffer(make([]byte, 0, 64*1024), maxPolicyInput+1)
	for sc.Scan() {
		if l := strings.TrimRight(sc.Text(), "\r"); strings.TrimSpace(l) != "" {
			lines = append(lines, l)
		}
	}
	switch len(lines) {
	case 0:
		return "", fmt.Errorf("no policy given (argument or stdin)")
	case 1:
		return lines[0], nil
	}
	return "", fmt.Errorf("stdin holds %d lines; give one policy (several header fields: merge each)", len(lines))
}
