package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
	"github.com/wismo/wismo/normalizers"
	_ "github.com/wismo/wismo/normalizers/all"
)

func flags(t *testing.T, args ...string) *pflag.FlagSet {
	t.Helper()
	fs := pflag.NewFlagSet("test", pflag.ContinueOnError)
	Flags(fs)
	if err := fs.Parse(args); err != nil {
		t.Fatal(err)
	}
	return fs
}

// Flags win over the environment, which wins over the file.
func TestPrecedence(t *testing.T) {
	file := filepath.Join(t.TempDir(), "wismo.yaml")
	if err := os.WriteFile(file, []byte(`
instance_id: from-file
encoding: json
kafka:
  brokers: [file:9092]
  sasl: {mechanism: SCRAM-SHA-512, username: u, password: secret}
raw:
  - {topic: raw.ups, carrier: ups, format: json}
topics:
  partitions: 6
`), 0o644); err != nil {
		t.Fatal(err)
	}
	env := []string{"WISMO_KAFKA_BROKERS=env1:9092,env2:9092", "WISMO_INSTANCE_ID=from-env", "WISMO_TOPICS_PARTITIONS=3", "HOME=/root"}
	c, err := Load(flags(t, "--config", file, "--instance-id", "from-flag"), env)
	if err != nil {
		t.Fatal(err)
	}
	if c.InstanceID != "from-flag" {
		t.Errorf("instance_id = %q, want the flag's", c.InstanceID)
	}
	if strings.Join(c.Kafka.Brokers, ",") != "env1:9092,env2:9092" {
		t.Errorf("brokers = %v, want the environment's", c.Kafka.Brokers)
	}
	if c.Topics.Partitions != 3 || c.Encoding != "json" || c.Kafka.SASL.Mechanism != "SCRAM-SHA-512" {
		t.Errorf("partitions=%d encoding=%s sasl=%s", c.Topics.Partitions, c.Encoding, c.Kafka.SASL.Mechanism)
	}
	if len(c.Raw) != 1 || c.Raw[0].Carrier != "ups" {
		t.Errorf("raw = %+v", c.Raw)
	}
	out, err := c.Print()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), ": secret\n") || !strings.Contains(string(out), "***") {
		t.Errorf("printed config leaks the password:\n%s", out)
	}
	if _, err := c.KafkaOpts(); err != nil {
		t.Error(err)
	}
}

func TestRawFromFlagsAndEnv(t *testing.T) {
	c, err := Load(flags(t, "--raw", "raw.a=ups:json", "--raw", "raw.b=generic:avro"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Raw) != 2 || c.Raw[1].Format != "avro" {
		t.Errorf("raw = %+v", c.Raw)
	}
	c, err = Load(flags(t), []string{"WISMO_RAW=raw.a=ups, raw.c=ups:json"})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Raw) != 2 || c.Raw[1].Topic != "raw.c" {
		t.Errorf("raw = %+v", c.Raw)
	}
}

// "registered" binds every registered source to its own topic, so that a
// deployment taking every carrier (docker-compose.yml) lists none.
func TestRawRegistered(t *testing.T) {
	c, err := Load(flags(t), []string{"WISMO_RAW=registered,raw.x=ups:json", "WISMO_STAGES=normalize,detect"})
	if err != nil {
		t.Fatal(err)
	}
	sources := normalizers.Sources()
	if len(c.Raw) != len(sources)+1 || c.Raw[len(c.Raw)-1].Topic != "raw.x" {
		t.Fatalf("raw = %+v, want one binding per source (%d) and raw.x", c.Raw, len(sources))
	}
	for i, src := range sources {
		if r := c.Raw[i]; r.Topic != src.Topic || r.Carrier != src.Carrier || r.Format != string(src.Format) {
			t.Errorf("raw[%d] = %+v, want %s=%s:%s", i, r, src.Topic, src.Carrier, src.Format)
		}
	}
	if err := c.Validate(); err != nil {
		t.Errorf("the registered bindings do not validate: %v", err)
	}
}

// Errors name the setting and what would be right.
func TestValidation(t *testing.T) {
	for _, c := range []struct {
		args []string
		env  []string
		want []string
	}{
		{[]string{"--raw", "raw.x=pony"}, nil, []string{`raw[0] (topic "raw.x")`, `unknown carrier "pony"`, "known:", "ups"}},
		{[]string{"--raw", "raw.x=ups:csv"}, nil, []string{`raw[0] (topic "raw.x")`, "csv"}},
		{[]string{"--raw", "nope"}, nil, []string{"TOPIC=CARRIER"}},
		{nil, nil, []string{"raw: the normalize stage needs"}},
		{[]string{"--raw", "raw.x=ups", "--stages", "detect2"}, nil, []string{`unknown stage "detect2"`}},
		{[]string{"--raw", "raw.x=ups", "--encoding", "xml"}, nil, []string{"encoding"}},
		{[]string{"--raw", "raw.x=ups"}, []string{"WISMO_KAFKA_SASL_MECHANISM=GSSAPI"}, []string{"kafka.sasl.mechanism"}},
		{[]string{"--raw", "raw.x=ups", "--raw", "raw.x=ups"}, nil, []string{"bound twice"}},
		{[]string{"--raw", "raw.x=ups"}, []string{"WISMO_KAFKA_GROUP_PREFIX="}, []string{"kafka.group_prefix"}},
		{[]string{"--raw", "raw.x=ups"}, []string{"WISMO_PIPELINE_STUCK_BATCH_AFTER=90s"}, []string{"pipeline.stuck_batch_after: 1m30s, want at least 2m30s"}},
		{[]string{"--raw", "raw.x=ups"}, []string{"WISMO_PIPELINE_SHUTDOWN_GRACE=0s"}, []string{"pipeline.shutdown_grace: 0s, want 1s to 1h"}},
		{[]string{"--raw", "raw.x=ups"}, []string{"WISMO_NORMALIZE_UNMAPPED_CODE_LABELS=0"}, []string{"normalize.unmapped_code_labels"}},
		{[]string{"--raw", "raw.x=ups"}, []string{"WISMO_TOPICS_DEADLETTER_RETENTION=1m"}, []string{"topics.deadletter_retention"}},
	} {
		_, err := Load(flags(t, c.args...), c.env)
		if err == nil {
			t.Errorf("%v %v: accepted", c.args, c.env)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%v: error %q does not say %q", c.args, err, w)
			}
		}
	}
}

// Every setting can come from the environment, nested ones included (the
// ClickHouse and detect settings once could not: docker-compose's
// WISMO_CLICKHOUSE_ADDR was silently ignored).
func TestEveryKeyFromEnv(t *testing.T) {
	env := []string{
		"WISMO_RAW=raw.ups=ups",
		"WISMO_CLICKHOUSE_ADDR=ch1:9000,ch2:9000", "WISMO_CLICKHOUSE_DATABASE=analytics",
		"WISMO_CLICKHOUSE_USER=u", "WISMO_CLICKHOUSE_PASSWORD=p", "WISMO_CLICKHOUSE_TLS_ENABLED=true",
		"WISMO_CLICKHOUSE_BATCH_ROWS=77", "WISMO_CLICKHOUSE_BATCH_AGE=250ms", "WISMO_CLICKHOUSE_MIGRATE=false",
		"WISMO_DETECT_CLOCK=event", "WISMO_DETECT_RULES_DIR=/etc/wismo/rules", "WISMO_DETECT_MAX_POLL_RECORDS=9",
		"WISMO_HTTP_PPROF=true", "WISMO_KAFKA_BROKERS=k:9092",
		"WISMO_PIPELINE_STUCK_BATCH_AFTER=10m", "WISMO_PIPELINE_SHUTDOWN_GRACE=50s",
	}
	c, err := Load(flags(t), env)
	if err != nil {
		t.Fatal(err)
	}
	ch := c.ClickHouse
	if ch.Addr != "ch1:9000,ch2:9000" || ch.Database != "analytics" || ch.User != "u" || ch.Password != "p" ||
		!ch.TLS.Enabled || ch.BatchRows != 77 || ch.BatchAge != 250*time.Millisecond || ch.Migrate {
		t.Errorf("clickhouse from env: %+v", ch)
	}
	if d := c.Detect; d.Clock != "event" || d.RulesDir != "/etc/wismo/rules" || d.MaxPollRecords != 9 {
		t.Errorf("detect from env: %+v", d)
	}
	if !c.HTTP.PProf {
		t.Error("http.pprof from env: false")
	}
	if p := c.Pipeline; p.StuckBatchAfter != 10*time.Minute || p.ShutdownGrace != 50*time.Second {
		t.Errorf("pipeline from env: %+v", p)
	}
	// and every key path has its variable
	for _, k := range []string{"clickhouse.tls.ca_file", "kafka.sasl.mechanism", "normalize.max_payload_bytes", "topics.replication_factor"} {
		if got := envKey(strings.ToUpper(strings.ReplaceAll(k, ".", "_"))); got != k {
			t.Errorf("envKey for %s = %q", k, got)
		}
	}
}
