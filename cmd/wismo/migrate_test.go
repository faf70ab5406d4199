package main

import (
	"bytes"
	"strings"
	"testing"

	"github.com/wismo/wismo/internal/chtest"
	"github.com/wismo/wismo/internal/testpki"
)

func runMigrateCmd(t *testing.T, env map[string]string, args ...string) (string, error) {
	t.Helper()
	for k, v := range env {
		t.Setenv(k, v)
	}
	cmd := migrateCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String(), err
}

// A secret in the environment never shows in --help (it once was a flag's
// default), and no flag takes a password (it would show in ps).
func TestMigrateSecretsStayOffTheCommandLine(t *testing.T) {
	out, err := runMigrateCmd(t, map[string]string{"WISMO_CLICKHOUSE_PASSWORD": "hunter2-secret"}, "--help")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, "hunter2") {
		t.Errorf("--help shows the password:\n%s", out)
	}
	_, err = runMigrateCmd(t, nil, "--password", "x", "--print")
	if err == nil || !strings.Contains(err.Error(), "WISMO_CLICKHOUSE_PASSWORD_FILE") {
		t.Errorf("--password: err = %v, want a refusal naming the variables to use", err)
	}
}

// migrate reads the same settings as run, with the same strict parser: the
// names it once had alone are refused with the new name, and TLS=yes is an
// error instead of a silent connection in clear.
func TestMigrateSharesRunsSettings(t *testing.T) {
	for _, c := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"WISMO_CLICKHOUSE_TLS": "on"}, "it is now WISMO_CLICKHOUSE_TLS_ENABLED"},
		{map[string]string{"WISMO_CLICKHOUSE_TLS_ENABLED": "yes"}, `"yes" is not a boolean`},
		{map[string]string{"WISMO_CLICKHOUSE_DATABASE": "no-dashes"}, "clickhouse.database"},
	} {
		t.Run(c.want, func(t *testing.T) {
			_, err := runMigrateCmd(t, c.env, "--print")
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("%v: err = %v, want it to say %q", c.env, err, c.want)
			}
		})
	}
	out, err := runMigrateCmd(t, map[string]string{"WISMO_CLICKHOUSE_DATABASE": "analytics"}, "--print", "--cluster", "main")
	if err != nil || !strings.Contains(out, "analytics.") || !strings.Contains(out, "ON CLUSTER `main`") {
		t.Errorf("--print with the database from the environment: %v\n%.300s", err, out)
	}
}

// Against the real server: a CA file alone turns TLS on (the plaintext port
// then refuses the handshake, instead of the password going in clear), and
// a wrong password fails at once, however long --wait is.
func TestMigrateRealServerRefusals(t *testing.T) {
	srv := chtest.New(t)
	ca := testpki.CAFile(t)
	_, err := runMigrateCmd(t, map[string]string{"WISMO_CLICKHOUSE_ADDR": srv.Addr, "WISMO_CLICKHOUSE_DATABASE": srv.Database,
		"WISMO_CLICKHOUSE_TLS_CA_FILE": ca}, "--wait", "2s")
	if err == nil || !strings.Contains(err.Error(), "TLS") {
		t.Errorf("ca_file against the plaintext port: err = %v, want a TLS failure", err)
	}
	_, err = runMigrateCmd(t, map[string]string{"WISMO_CLICKHOUSE_ADDR": srv.Addr, "WISMO_CLICKHOUSE_DATABASE": srv.Database,
		"WISMO_CLICKHOUSE_TLS_CA_FILE": "", "WISMO_CLICKHOUSE_USER": "default", "WISMO_CLICKHOUSE_PASSWORD": "wrong"}, "--wait", "10m")
	if err == nil || !strings.Contains(err.Error(), "login refused") || !strings.Contains(err.Error(), srv.Addr) {
		t.Errorf("wrong password: err = %v, want a refused login naming %s", err, srv.Addr)
	}
}
