//go:build !unix

package testservers

import "os/exec"

// apply does nothing: only Unix systems run the tests as root.
func (c *credential) apply(*exec.Cmd) {}
