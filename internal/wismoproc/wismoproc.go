// Package wismoproc holds what the tools that run wismo as a child process
// (wismo-bench, wismo-chaos) both need to start it.
package wismoproc

import (
	"net"
	"os"
	"strings"
)

// Env is this process's environment without its WISMO_ variables, which
// would override the child's settings, plus settings ("WISMO_KEY=value").
func Env(settings ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "WISMO_") {
			env = append(env, kv)
		}
	}
	return append(env, settings...)
}

// FreeAddr is a loopback address with a port nobody listens on now, for a
// child's HTTP endpoints.
func FreeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}
