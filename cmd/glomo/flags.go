package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
)

// multiFlag is a repeatable string flag.
type multiFlag []string

func (m *multiFlag) String() string { return strings.Join(*m, ", ") }

func (m *multiFlag) Set(v string) error {
	*m = append(*m, v)
	return nil
}

// parseFlags parses args into fs. It returns the exit code to stop with, or
// -1 to go on: -h prints usage to stdout and exits 0; a bad flag prints the
// error and usage to stderr and exits 2.
func parseFlags(fs *flag.FlagSet, args []string, stdout, stderr io.Writer, usage string) int {
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	if err != nil {
		fmt.Fprintf(stderr, "%s: %v\n\n%s", fs.Name(), err, usage)
		return exitUsage
	}
	return -1
}

// usageError prints a usage error for the command and returns exit code 2.
func usageError(stderr io.Writer, cmd, usage, format string, args ...any) int {
	fmt.Fprintf(stderr, "%s: %s\n\n%s", cmd, fmt.Sprintf(format, args...), usage)
	return exitUsage
}
