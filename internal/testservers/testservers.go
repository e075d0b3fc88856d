// Package testservers starts real redis-server and PostgreSQL processes for
// the tests of the store modules and of the end-to-end module: each on a
// free loopback port, in a temporary directory of its own, stoppable and
// restartable on the same port and directory. It is test support, not a
// production component, and uses the standard library only: driver-specific
// steps (creating a database, a client's PING) stay in the tests.
//
// The servers come from the installed binaries. When one is missing, a test
// skips with a message naming the Debian package to install, unless
// GLOMO_E2E=1 demands the end-to-end tests run; a binary that exists but
// whose server will not start is always a failure. [Require] makes that
// decision.
package testservers

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"testing"
	"time"
)

// E2EEnv names the environment variable that, set to "1", makes a missing
// server binary a failure instead of a skip.
const E2EEnv = "GLOMO_E2E"

// E2E reports whether the environment demands the end-to-end tests run.
func E2E() bool { return os.Getenv(E2EEnv) == "1" }

// MissingBinaryError says a server binary is not installed, and which Debian
// package installs it.
type MissingBinaryError struct {
	// Binary is the program looked for, such as "redis-server".
	Binary string
	// Where says where it was looked for.
	Where string
	// Package is the Debian package that installs it.
	Package string
}

func (e *MissingBinaryError) Error() string {
	return fmt.Sprintf("%s is not %s: install Debian's %s package (apt-get install %s)", e.Binary, e.Where, e.Package, e.Package)
}

// Require skips or fails tb when err says a server is unavailable, and
// returns when err is nil. A *MissingBinaryError skips, unless GLOMO_E2E=1;
// any other error (the binary exists but the server would not start) fails.
func Require(tb testing.TB, err error) {
	tb.Helper()
	if err == nil {
		return
	}
	var missing *MissingBinaryError
	if errors.As(err, &missing) && !E2E() {
		tb.Skipf("%v; or set %s=1 to make this a failure", err, E2EEnv)
	}
	tb.Fatalf("no test server: %v", err)
}

// IsMissingBinary reports whether err says a server binary is not
// installed, for a TestMain deciding whether to announce skipped tests.
func IsMissingBinary(err error) bool {
	var missing *MissingBinaryError
	return errors.As(err, &missing)
}

// FreePort returns a loopback TCP port nothing listened on a moment ago.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// process is one run of a server binary.
type process struct {
	cmd    *exec.Cmd
	exited chan struct{}
}

// startProcess starts cmd and watches for its exit.
func startProcess(cmd *exec.Cmd) (*process, error) {
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", cmd.Path, err)
	}
	p := &process{cmd: cmd, exited: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

// hasExited reports whether the process has ended.
func (p *process) hasExited() bool {
	select {
	case <-p.exited:
		return true
	default:
		return false
	}
}

// stop sends sig and waits up to wait for the process to exit; then it
// kills the process, waits for that, and says so in an error.
func (p *process) stop(sig os.Signal, wait time.Duration) error {
	if p.hasExited() {
		return nil
	}
	if err := p.cmd.Process.Signal(sig); err != nil && !p.hasExited() {
		return fmt.Errorf("signalling %s: %w", p.cmd.Path, err)
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	select {
	case <-p.exited:
		return nil
	case <-timer.C:
		_ = p.cmd.Process.Kill()
		<-p.exited
		return fmt.Errorf("%s did not stop within %v of %v and was killed", p.cmd.Path, wait, sig)
	}
}

// waitUntil calls ready every interval until it returns nil, the process
// exits, or timeout passes, whichever comes first. describe names the
// server and returns the end of its log, for the error.
func waitUntil(p *process, timeout, interval time.Duration, ready func() error, describe func() string) error {
	deadline := time.Now().Add(timeout)
	attempts := int(timeout/interval) + 1
	var err error
	for range attempts {
		if err = ready(); err == nil {
			return nil
		}
		if p.hasExited() {
			return fmt.Errorf("%s exited at start: %s", p.cmd.Path, describe())
		}
		if time.Now().After(deadline) {
			break
		}
		time.Sleep(interval)
	}
	return fmt.Errorf("%s was not ready within %v: %v\n%s", p.cmd.Path, timeout, err, describe())
}

// tail returns the last 2000 bytes of the file at path, for a failure
// message.
func tail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "(no log)"
	}
	if len(b) > 2000 {
		b = b[len(b)-2000:]
	}
	return string(b)
}
