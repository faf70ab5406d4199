package wismoproc

import (
	"net"
	"slices"
	"testing"
)

func TestEnv(t *testing.T) {
	t.Setenv("WISMO_KAFKA_BROKERS", "parent:9092")
	t.Setenv("WISMOPROC_KEEP", "yes")
	env := Env("WISMO_STAGES=detect")
	if slices.Contains(env, "WISMO_KAFKA_BROKERS=parent:9092") {
		t.Error("the parent's WISMO_ setting is passed on")
	}
	if !slices.Contains(env, "WISMOPROC_KEEP=yes") || env[len(env)-1] != "WISMO_STAGES=detect" {
		t.Errorf("other variables or the settings are missing: %v", env[max(0, len(env)-3):])
	}
}

func TestFreeAddr(t *testing.T) {
	addr, err := FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("%s is not free: %v", addr, err)
	}
	ln.Close()
}
