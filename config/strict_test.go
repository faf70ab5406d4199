package config

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wismo/wismo/internal/testpki"
)

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func wantErr(t *testing.T, err error, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("accepted; want an error saying %q", want)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not say %q", err, w)
		}
	}
}

// A misspelt key in the file is refused with its file, line and the name
// it probably meant (a typo in the SASL block once ran without SASL).
func TestUnknownFileKey(t *testing.T) {
	file := writeFile(t, "wismo.yaml", "raw: [{topic: raw.ups, carrier: ups}]\nkafka:\n  sasl:\n    mechanism: SCRAM-SHA-512\n    username: u\n    pasword: secret\n")
	_, err := Load(flags(t, "--config", file), nil)
	wantErr(t, err, file+":6:5", `unknown setting "kafka.sasl.pasword"`, `did you mean "password"?`)
	file = writeFile(t, "wismo.yaml", "raw: [{topic: raw.ups, carier: ups}]\n")
	_, err = Load(flags(t, "--config", file), nil)
	wantErr(t, err, ":1:24", `unknown setting "raw[0].carier"`, `did you mean "carrier"?`)
}

// A misspelt WISMO_ variable is refused and named, unless asked to warn;
// the variables of the scripts and test helpers are not settings and pass.
func TestUnknownEnv(t *testing.T) {
	env := []string{"WISMO_RAW=raw.ups=ups", "WISMO_KAFKA_SASL_PASWORD=x"}
	_, err := Load(flags(t), env)
	wantErr(t, err, "WISMO_KAFKA_SASL_PASWORD: no such setting", `did you mean "WISMO_KAFKA_SASL_PASSWORD"?`, UnknownEnvVar+"=warn")
	for _, allow := range [][]string{{"--" + allowUnknownEnvFlag}, nil} {
		e := env
		if allow == nil {
			e = append(e, UnknownEnvVar+"=warn")
		}
		c, err := Load(flags(t, allow...), e)
		if err != nil {
			t.Fatalf("%v: %v", allow, err)
		}
		if w := strings.Join(c.Warnings(), "\n"); !strings.Contains(w, "WISMO_KAFKA_SASL_PASWORD") {
			t.Errorf("%v: no warning about the unknown variable: %q", allow, w)
		}
	}
	_, err = Load(flags(t), []string{"WISMO_RAW=raw.ups=ups", "WISMO_CLICKHOUSE_TLS=true"})
	wantErr(t, err, "WISMO_CLICKHOUSE_TLS: no such setting; it is now WISMO_CLICKHOUSE_TLS_ENABLED")
	_, err = Load(flags(t), []string{"WISMO_RAW=raw.ups=ups", UnknownEnvVar + "=maybe"})
	wantErr(t, err, UnknownEnvVar, "want error or warn")
	ok := []string{"WISMO_RAW=raw.ups=ups"}
	for k := range NonConfigEnv {
		if k != UnknownEnvVar {
			ok = append(ok, k+"=x")
		}
	}
	ok = append(ok, UnknownEnvVar+"=error")
	if _, err := Load(flags(t), ok); err != nil {
		t.Errorf("non-config variables refused: %v", err)
	}
}

// Every WISMO_ variable that the repository's scripts, compose file and
// tools set is a setting or listed in NonConfigEnv, so that the strict
// check does not break them.
func TestRepositoryEnvKnown(t *testing.T) {
	re := regexp.MustCompile(`WISMO_[A-Z0-9_]+`)
	placeholders := map[string]bool{"WISMO_KEY": true} // wismo-bench's -set help text
	var files []string
	for _, glob := range []string{"../scripts/*", "../Makefile", "../docker-compose.yml", "../Dockerfile",
		"../cmd/wismo-bench/*.go", "../cmd/wismo-chaos/*.go", "../internal/*/*.go", "../.ci/*"} {
		m, _ := filepath.Glob(glob)
		files = append(files, m...)
	}
	if len(files) < 5 {
		t.Fatalf("found only %v", files)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, name := range re.FindAllString(string(data), -1) {
			_, other := NonConfigEnv[name]
			if strings.HasSuffix(name, "_") { // a prefix named in prose: WISMO_CLICKHOUSE_*
				continue
			}
			if !other && !KnownEnv(name) && !placeholders[name] {
				t.Errorf("%s uses %s, which is no setting and not in NonConfigEnv", f, name)
			}
		}
	}
}

// Values are parsed strictly, by one parser, wherever they come from: a
// number that does not fit is refused (70000 once became a replication
// factor of 4464), a boolean is true or false (yes once read as false).
func TestStrictValues(t *testing.T) {
	file := writeFile(t, "wismo.yaml", "raw: [{topic: raw.ups, carrier: ups}]\ntopics:\n  replication_factor: 70000\n")
	_, err := Load(flags(t, "--config", file), nil)
	wantErr(t, err, file+":3:23", "topics.replication_factor", "70000 is out of range")
	for _, c := range []struct {
		env  string
		want []string
	}{
		{"WISMO_TOPICS_REPLICATION_FACTOR=70000", []string{"WISMO_TOPICS_REPLICATION_FACTOR", "out of range"}},
		{"WISMO_TOPICS_REPLICATION_FACTOR=0", []string{"topics.replication_factor: 0"}},
		{"WISMO_CLICKHOUSE_TLS_ENABLED=yes", []string{"WISMO_CLICKHOUSE_TLS_ENABLED", `"yes" is not a boolean`}},
		{"WISMO_HTTP_PPROF=on", []string{"WISMO_HTTP_PPROF", `"on" is not a boolean`}},
		{"WISMO_TOPICS_PARTITIONS=0", []string{"topics.partitions: 0 is out of range"}},
		{"WISMO_TOPICS_PARTITIONS=twelve", []string{"WISMO_TOPICS_PARTITIONS", `"twelve" is not a whole number`}},
		{"WISMO_NORMALIZE_MAX_PAYLOAD_BYTES=-1", []string{"normalize.max_payload_bytes: -1 is out of range"}},
		{"WISMO_NORMALIZE_MAX_POLL_RECORDS=0", []string{"normalize.max_poll_records"}},
		{"WISMO_DETECT_MAX_POLL_RECORDS=-5", []string{"detect.max_poll_records"}},
		{"WISMO_NORMALIZE_REMEMBER_SCANS=-1", []string{"normalize.remember_scans"}},
		{"WISMO_CLICKHOUSE_BATCH_ROWS=0", []string{"clickhouse.batch_rows"}},
		{"WISMO_CLICKHOUSE_BATCH_AGE=-1s", []string{"clickhouse.batch_age"}},
		{"WISMO_CLICKHOUSE_BATCH_AGE=5", []string{"WISMO_CLICKHOUSE_BATCH_AGE", "not a duration"}},
		{"WISMO_KAFKA_CONNECT_TIMEOUT=0s", []string{"kafka.connect_timeout"}},
		{"WISMO_CLICKHOUSE_CONNECT_TIMEOUT=2h", []string{"clickhouse.connect_timeout"}},
		{"WISMO_KAFKA_BROKERS=localhost", []string{"kafka.brokers", "not host:port"}},
		{"WISMO_CLICKHOUSE_ADDR=ch:99999", []string{"clickhouse.addr", "port"}},
		{"WISMO_HTTP_ADDR=9464", []string{"http.addr"}},
		{"WISMO_TOPICS_EVENTS=events v1", []string{"topics.events"}},
		{"WISMO_LOG_LEVEL=verbose", []string{"log.level"}},
		{"WISMO_CLICKHOUSE_DATABASE=a-b", []string{"clickhouse.database"}},
		{"WISMO_SCHEMA_REGISTRY_URL=registry:8081", []string{"schema_registry.url"}},
		{"WISMO_STAGES=", []string{"stages: none given"}},
	} {
		_, err := Load(flags(t), []string{"WISMO_RAW=raw.ups=ups", c.env})
		if err == nil {
			t.Errorf("%s: accepted", c.env)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not say %q", c.env, err, w)
			}
		}
		if strings.Contains(err.Error(), "\n\n") {
			t.Errorf("%s: error has a blank line: %q", c.env, err)
		}
	}
}

// Every secret can come from a file (as mounted by an orchestrator), with
// its trailing newline dropped; it never shows in --print-config.
func TestSecretFiles(t *testing.T) {
	pw := writeFile(t, "pw", "s3cret-kafka\n")
	chpw := writeFile(t, "chpw", "s3cret-ch\r\n")
	srpw := writeFile(t, "srpw", "s3cret-sr")
	c, err := Load(flags(t), []string{"WISMO_RAW=raw.ups=ups",
		"WISMO_KAFKA_SASL_MECHANISM=SCRAM-SHA-512", "WISMO_KAFKA_SASL_USERNAME=u", "WISMO_KAFKA_SASL_PASSWORD_FILE=" + pw,
		"WISMO_CLICKHOUSE_PASSWORD_FILE=" + chpw, "WISMO_SCHEMA_REGISTRY_PASSWORD_FILE=" + srpw,
		"WISMO_SCHEMA_REGISTRY_URL=https://reg:s3cret-url@registry:8081"})
	if err != nil {
		t.Fatal(err)
	}
	if c.Kafka.SASL.Password != "s3cret-kafka" || c.ClickHouse.Password != "s3cret-ch" || c.SchemaRegistry.Password != "s3cret-sr" {
		t.Errorf("passwords from files: %q %q %q", c.Kafka.SASL.Password, c.ClickHouse.Password, c.SchemaRegistry.Password)
	}
	out, err := c.Print()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "s3cret") {
		t.Errorf("--print-config shows a secret:\n%s", out)
	}
	_, err = Load(flags(t), []string{"WISMO_RAW=raw.ups=ups", "WISMO_CLICKHOUSE_PASSWORD=x", "WISMO_CLICKHOUSE_PASSWORD_FILE=" + chpw})
	wantErr(t, err, "clickhouse.password and clickhouse.password_file are both set")
	_, err = Load(flags(t), []string{"WISMO_RAW=raw.ups=ups", "WISMO_CLICKHOUSE_PASSWORD_FILE=/nonexistent/pw"})
	wantErr(t, err, "clickhouse.password_file", "/nonexistent/pw")
	// a misspelt password variable leaves SASL without a password: refused
	_, err = Load(flags(t), []string{"WISMO_RAW=raw.ups=ups", "WISMO_KAFKA_SASL_MECHANISM=PLAIN", "WISMO_KAFKA_SASL_USERNAME=u"})
	wantErr(t, err, "kafka.sasl.password: needed", "WISMO_KAFKA_SASL_PASSWORD_FILE")
}

// A CA (or client certificate) file turns TLS on, for Kafka and ClickHouse
// alike; it once left TLS off and the password went in clear.
func TestTLSFilesTurnTLSOn(t *testing.T) {
	ca := testpki.CAFile(t)
	c, err := Load(flags(t), []string{"WISMO_RAW=raw.ups=ups", "WISMO_CLICKHOUSE_TLS_CA_FILE=" + ca, "WISMO_KAFKA_TLS_CA_FILE=" + ca})
	if err != nil {
		t.Fatal(err)
	}
	for key, tl := range map[string]TLS{"kafka.tls": c.Kafka.TLS, "clickhouse.tls": c.ClickHouse.TLS} {
		tc, err := tl.Config(key)
		if err != nil || tc == nil || tc.RootCAs == nil {
			t.Errorf("%s with ca_file only: TLS config %v, %v", key, tc, err)
		}
	}
	if tc, err := (TLS{}).Config("kafka.tls"); tc != nil || err != nil {
		t.Errorf("no TLS settings: %v %v, want TLS off", tc, err)
	}
}

// Weak settings are let through with a warning.
func TestWeakSettingsWarn(t *testing.T) {
	c, err := Load(flags(t), []string{"WISMO_RAW=raw.ups=ups", "WISMO_KAFKA_SASL_MECHANISM=PLAIN", "WISMO_KAFKA_SASL_USERNAME=u",
		"WISMO_KAFKA_SASL_PASSWORD=p", "WISMO_CLICKHOUSE_TLS_INSECURE_SKIP_VERIFY=true",
		"WISMO_CLICKHOUSE_ADDR=ch.example:9000", "WISMO_CLICKHOUSE_PASSWORD=p"})
	if err != nil {
		t.Fatal(err)
	}
	w := strings.Join(c.Warnings(), "\n")
	for _, want := range []string{"kafka.sasl.mechanism PLAIN without kafka.tls", "clickhouse.tls.insecure_skip_verify"} {
		if !strings.Contains(w, want) {
			t.Errorf("warnings %q lack %q", w, want)
		}
	}
	c, err = Load(flags(t), []string{"WISMO_RAW=raw.ups=ups", "WISMO_CLICKHOUSE_ADDR=ch.example:9000", "WISMO_CLICKHOUSE_PASSWORD=p"})
	if err != nil {
		t.Fatal(err)
	}
	if w := strings.Join(c.Warnings(), "\n"); !strings.Contains(w, "clickhouse.password without clickhouse.tls") {
		t.Errorf("no warning for a ClickHouse password in clear: %q", w)
	}
}

// --print-config's output is a config file that loads back to the same
// configuration (durations included).
func TestPrintLoadsBack(t *testing.T) {
	c, err := Load(flags(t), []string{"WISMO_RAW=raw.ups=ups:json", "WISMO_CLICKHOUSE_BATCH_AGE=250ms"})
	if err != nil {
		t.Fatal(err)
	}
	out, err := c.Print()
	if err != nil {
		t.Fatal(err)
	}
	back, err := Load(flags(t, "--config", writeFile(t, "printed.yaml", string(out))), nil)
	if err != nil {
		t.Fatalf("printed config does not load: %v\n%s", err, out)
	}
	if !reflect.DeepEqual(c, back) {
		t.Errorf("printed and loaded back differ:\n%+v\n%+v", c, back)
	}
	if back.ClickHouse.BatchAge != 250*time.Millisecond {
		t.Errorf("batch_age %s", back.ClickHouse.BatchAge)
	}
}
