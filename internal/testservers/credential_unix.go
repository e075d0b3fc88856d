//go:build unix

package testservers

import (
	"os/exec"
	"syscall"
)

// apply makes cmd run as the credential's user.
func (c *credential) apply(cmd *exec.Cmd) {
	if c == nil {
		return
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: c.uid, Gid: c.gid}}
}
