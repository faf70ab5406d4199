// Package config loads wismo's configuration from a file, the environment
// (WISMO_...) and flags, in increasing order of precedence, and checks it
// before anything connects.
package config

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"time"

	"github.com/spf13/pflag"
	"github.com/spf13/viper"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
	"github.com/wismo/wismo/normalizers"
	"go.yaml.in/yaml/v3"
)

// Config is the whole configuration. Its yaml names are the file's keys; the
// environment variable of a key is WISMO_ plus the key path in capitals with
// dots as underscores (kafka.brokers -> WISMO_KAFKA_BROKERS).
type Config struct {
	InstanceID string   `yaml:"instance_id" mapstructure:"instance_id"`
	Stages     []string `yaml:"stages" mapstructure:"stages"`
	Kafka      Kafka    `yaml:"kafka" mapstructure:"kafka"`
	Topics     Topics   `yaml:"topics" mapstructure:"topics"`
	Raw        []Raw    `yaml:"raw" mapstructure:"raw"`
	// Encoding of the pipeline's own topics: avro (default) or json.
	Encoding       string         `yaml:"encoding" mapstructure:"encoding"`
	SchemaRegistry SchemaRegistry `yaml:"schema_registry" mapstructure:"schema_registry"`
	Normalize      Normalize      `yaml:"normalize" mapstructure:"normalize"`
	Detect         Detect         `yaml:"detect" mapstructure:"detect"`
	ClickHouse     ClickHouse     `yaml:"clickhouse" mapstructure:"clickhouse"`
	HTTP           HTTP           `yaml:"http" mapstructure:"http"`
	Log            Log            `yaml:"log" mapstructure:"log"`
}

// Kafka is how to reach the brokers.
type Kafka struct {
	Brokers  []string `yaml:"brokers" mapstructure:"brokers"`
	ClientID string   `yaml:"client_id" mapstructure:"client_id"`
	// GroupPrefix names the stages' consumer groups (PREFIX-normalize,
	// PREFIX-detect, PREFIX-sink) and transactional ids
	// (PREFIX-normalize-INSTANCE_ID): two deployments on one cluster need
	// different prefixes, or they rebalance together and fence each
	// other's transactions.
	GroupPrefix string `yaml:"group_prefix" mapstructure:"group_prefix"`
	TLS         TLS    `yaml:"tls" mapstructure:"tls"`
	SASL        SASL   `yaml:"sasl" mapstructure:"sasl"`
}

// TLS for Kafka.
type TLS struct {
	Enabled            bool   `yaml:"enabled" mapstructure:"enabled"`
	CAFile             string `yaml:"ca_file" mapstructure:"ca_file"`
	CertFile           string `yaml:"cert_file" mapstructure:"cert_file"`
	KeyFile            string `yaml:"key_file" mapstructure:"key_file"`
	InsecureSkipVerify bool   `yaml:"insecure_skip_verify" mapstructure:"insecure_skip_verify"`
}

// SASL for Kafka.
type SASL struct {
	Mechanism string `yaml:"mechanism" mapstructure:"mechanism"` // PLAIN, SCRAM-SHA-256, SCRAM-SHA-512
	Username  string `yaml:"username" mapstructure:"username"`
	Password  string `yaml:"password" mapstructure:"password"`
}

// Topics are the pipeline's own topics and how to create them.
type Topics struct {
	Events            string `yaml:"events" mapstructure:"events"`
	Notifications     string `yaml:"notifications" mapstructure:"notifications"`
	State             string `yaml:"state" mapstructure:"state"`
	DeadLetter        string `yaml:"deadletter" mapstructure:"deadletter"`
	Create            bool   `yaml:"create" mapstructure:"create"`
	Partitions        int32  `yaml:"partitions" mapstructure:"partitions"`
	ReplicationFactor int16  `yaml:"replication_factor" mapstructure:"replication_factor"`
}

// Raw binds a raw topic to the carrier and format of its payloads.
type Raw struct {
	Topic   string `yaml:"topic" mapstructure:"topic"`
	Carrier string `yaml:"carrier" mapstructure:"carrier"`
	Format  string `yaml:"format" mapstructure:"format"`
}

// SchemaRegistry, when URL is set, switches Avro records to the Confluent
// wire format with registered schema ids.
type SchemaRegistry struct {
	URL      string `yaml:"url" mapstructure:"url"`
	Username string `yaml:"username" mapstructure:"username"`
	Password string `yaml:"password" mapstructure:"password"`
}

// Normalize tunes the normalize stage.
type Normalize struct {
	MaxPayloadBytes int `yaml:"max_payload_bytes" mapstructure:"max_payload_bytes"`
	MaxPollRecords  int `yaml:"max_poll_records" mapstructure:"max_poll_records"`
	// RememberScans is how many event ids the stage remembers of what it
	// sent, so that the scans a poller resends with every poll go out once
	// (about 40 bytes each; 0 sends every scan of every payload).
	RememberScans int `yaml:"remember_scans" mapstructure:"remember_scans"`
}

// Detect tunes the detect stage.
type Detect struct {
	// RulesDir holds the user's rule files, laid over the embedded
	// defaults; "" means the defaults alone.
	RulesDir string `yaml:"rules_dir" mapstructure:"rules_dir"`
	// Clock is "wall" (deadlines fire on time) or "event" (the event-time
	// clock of `wismo backtest`, for reproducible runs).
	Clock          string `yaml:"clock" mapstructure:"clock"`
	MaxPollRecords int    `yaml:"max_poll_records" mapstructure:"max_poll_records"`
}

// ClickHouse is where the sink stage writes analytics rows.
type ClickHouse struct {
	// Addr is host:port of the native protocol, comma-separated for several.
	Addr     string `yaml:"addr" mapstructure:"addr"`
	Database string `yaml:"database" mapstructure:"database"`
	User     string `yaml:"user" mapstructure:"user"`
	Password string `yaml:"password" mapstructure:"password"`
	TLS      TLS    `yaml:"tls" mapstructure:"tls"`
	// BatchRows and BatchAge: a batch is inserted when it has this many
	// rows or is this old, whichever comes first.
	BatchRows int           `yaml:"batch_rows" mapstructure:"batch_rows"`
	BatchAge  time.Duration `yaml:"batch_age" mapstructure:"batch_age"`
	// Migrate applies the schema (as `wismo migrate` does) before the sink
	// starts.
	Migrate bool `yaml:"migrate" mapstructure:"migrate"`
}

// HTTP serves /metrics, /healthz and /readyz.
type HTTP struct {
	Addr string `yaml:"addr" mapstructure:"addr"`
	// PProf adds Go's profiling endpoints under /debug/pprof/ (off by
	// default: a CPU profile costs the pipeline while it is taken, and the
	// heap profile shows payload bytes).
	PProf bool `yaml:"pprof" mapstructure:"pprof"`
}

// Log configures zap.
type Log struct {
	Level  string `yaml:"level" mapstructure:"level"`   // debug, info, warn, error
	Format string `yaml:"format" mapstructure:"format"` // json or console
}

// KnownStages are the stages `wismo run` can run.
var KnownStages = []string{"normalize", "detect", "sink"}

func defaults(v *viper.Viper) {
	host, _ := os.Hostname()
	if host == "" {
		host = "wismo"
	}
	v.SetDefault("instance_id", host)
	v.SetDefault("stages", KnownStages)
	v.SetDefault("kafka.brokers", []string{"127.0.0.1:9092"})
	v.SetDefault("kafka.client_id", "wismo")
	v.SetDefault("kafka.group_prefix", "wismo")
	v.SetDefault("topics.events", "shipments.events.v1")
	v.SetDefault("topics.notifications", "shipments.notifications.v1")
	v.SetDefault("topics.state", "shipments.state.v1")
	v.SetDefault("topics.deadletter", "shipments.deadletter.v1")
	v.SetDefault("topics.create", true)
	v.SetDefault("topics.partitions", 12)
	v.SetDefault("topics.replication_factor", -1)
	v.SetDefault("encoding", "avro")
	v.SetDefault("normalize.max_payload_bytes", normalizers.DefaultMaxPayload)
	v.SetDefault("normalize.max_poll_records", 5000)
	v.SetDefault("normalize.remember_scans", 1_000_000)
	v.SetDefault("detect.clock", "wall")
	v.SetDefault("clickhouse.addr", "127.0.0.1:9000")
	v.SetDefault("clickhouse.database", "wismo")
	v.SetDefault("clickhouse.batch_rows", 10000)
	v.SetDefault("clickhouse.batch_age", "1s")
	v.SetDefault("clickhouse.migrate", true)
	v.SetDefault("detect.max_poll_records", 5000)
	v.SetDefault("http.addr", ":9464")
	v.SetDefault("log.level", "info")
	v.SetDefault("log.format", "json")
}

// Flags registers the command-line flags that override file and environment.
func Flags(fs *pflag.FlagSet) {
	fs.String("config", "", "config file (YAML)")
	fs.StringSlice("brokers", nil, "Kafka seed brokers (kafka.brokers)")
	fs.StringSlice("stages", nil, "stages to run, of "+strings.Join(KnownStages, ", ")+" (stages)")
	fs.StringArray("raw", nil, "raw topic binding TOPIC=CARRIER[:FORMAT], repeatable (raw)")
	fs.String("instance-id", "", "stable id of this instance; its transactional ids derive from it (instance_id)")
	fs.String("encoding", "", "avro or json (encoding)")
	fs.String("http-addr", "", "address of /metrics, /healthz, /readyz (http.addr)")
	fs.String("log-level", "", "debug, info, warn or error (log.level)")
}

var flagKeys = map[string]string{
	"brokers": "kafka.brokers", "stages": "stages", "instance-id": "instance_id",
	"encoding": "encoding", "http-addr": "http.addr", "log-level": "log.level",
}

// LoadKafkaOnly is Load for commands that only talk to Kafka (replay): the
// stage settings are not checked.
func LoadKafkaOnly(fs *pflag.FlagSet, env []string) (*Config, error) {
	c, err := load(fs, env)
	if err != nil {
		return nil, err
	}
	if len(c.Kafka.Brokers) == 0 {
		return nil, errors.New("kafka.brokers: at least one broker is needed")
	}
	return c, nil
}

// Load reads the configuration: defaults, then the file named by --config,
// then WISMO_* environment variables, then flags that were set.
func Load(fs *pflag.FlagSet, env []string) (*Config, error) {
	c, err := load(fs, env)
	if err != nil {
		return nil, err
	}
	return c, c.Validate()
}

func load(fs *pflag.FlagSet, env []string) (*Config, error) {
	v := viper.New()
	defaults(v)
	if fs != nil {
		if f := fs.Lookup("config"); f != nil && f.Value.String() != "" {
			v.SetConfigFile(f.Value.String())
			if err := v.ReadInConfig(); err != nil {
				return nil, fmt.Errorf("config: %w", err)
			}
		}
	}
	// Environment: explicit so that tests can pass their own, and so that a
	// comma-separated list works for list keys.
	for _, kv := range env {
		k, val, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(k, "WISMO_") {
			continue
		}
		key := envKey(strings.TrimPrefix(k, "WISMO_"))
		if key == "" {
			continue
		}
		switch key {
		case "kafka.brokers", "stages":
			v.Set(key, splitList(val))
		case "raw":
			raws, err := ParseRaw(splitList(val))
			if err != nil {
				return nil, fmt.Errorf("config: WISMO_RAW: %w", err)
			}
			v.Set("raw", raws)
		default:
			v.Set(key, val)
		}
	}
	if fs != nil {
		for flag, key := range flagKeys {
			if f := fs.Lookup(flag); f != nil && f.Changed {
				if sv, ok := f.Value.(pflag.SliceValue); ok {
					v.Set(key, sv.GetSlice())
				} else {
					v.Set(key, f.Value.String())
				}
			}
		}
		if f := fs.Lookup("raw"); f != nil && f.Changed {
			raws, err := ParseRaw(f.Value.(pflag.SliceValue).GetSlice())
			if err != nil {
				return nil, fmt.Errorf("config: --raw: %w", err)
			}
			v.Set("raw", raws)
		}
	}
	var c Config
	if err := v.Unmarshal(&c); err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return &c, nil
}

// KnownEnv reports whether the environment variable name (WISMO_...) is
// one of wismo's settings.
func KnownEnv(name string) bool {
	rest, ok := strings.CutPrefix(name, "WISMO_")
	return ok && envKey(rest) != ""
}

// envKey maps KAFKA_SASL_MECHANISM to kafka.sasl.mechanism using the known
// key paths, since key names themselves contain underscores.
func envKey(s string) string {
	s = strings.ToLower(s)
	for _, k := range allKeys {
		if strings.ReplaceAll(k, ".", "_") == s {
			return k
		}
	}
	return ""
}

// allKeys are the key paths of every setting, read off Config's
// mapstructure tags so that a new setting is reachable from the environment
// without anyone remembering to list it here.
var allKeys = leafKeys(reflect.TypeOf(Config{}), "")

// leafKeys lists the dotted key paths of t's fields, descending into nested
// structs; slices (stages, raw) and durations are single values.
func leafKeys(t reflect.Type, prefix string) []string {
	var out []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("mapstructure"), ",")
		if name == "" {
			continue
		}
		if f.Type.Kind() == reflect.Struct {
			out = append(out, leafKeys(f.Type, prefix+name+".")...)
			continue
		}
		out = append(out, prefix+name)
	}
	return out
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		out = append(out, strings.TrimSpace(p))
	}
	return out
}

// RegisteredRaw, in place of a binding, binds every registered carrier in
// every format it reads, and every generic feed, each to its own raw topic
// (normalizers.Sources): raw.<carrier>, raw.<carrier>.<format>,
// raw.scans.avro. A deployment that takes every carrier need not list them.
const RegisteredRaw = "registered"

// ParseRaw parses bindings written TOPIC=CARRIER[:FORMAT], or RegisteredRaw.
func ParseRaw(specs []string) ([]Raw, error) {
	var out []Raw
	for _, s := range specs {
		if s == RegisteredRaw {
			for _, src := range normalizers.Sources() {
				out = append(out, Raw{Topic: src.Topic, Carrier: src.Carrier, Format: string(src.Format)})
			}
			continue
		}
		topic, rest, ok := strings.Cut(s, "=")
		if !ok || topic == "" || rest == "" {
			return nil, fmt.Errorf("binding %q: want TOPIC=CARRIER[:FORMAT], or %s", s, RegisteredRaw)
		}
		carrier, format, _ := strings.Cut(rest, ":")
		out = append(out, Raw{Topic: topic, Carrier: carrier, Format: format})
	}
	return out, nil
}

// Validate checks everything that can be checked without a network, with
// errors that say which setting is wrong and what would be right.
func (c *Config) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if len(c.Kafka.Brokers) == 0 {
		bad("kafka.brokers: at least one broker is needed")
	}
	if c.InstanceID == "" {
		bad("instance_id: must not be empty (it makes the transactional ids stable)")
	}
	if c.Kafka.GroupPrefix == "" {
		bad("kafka.group_prefix: must not be empty (it names the consumer groups)")
	}
	for _, s := range c.Stages {
		if !contains(KnownStages, s) {
			bad("stages: unknown stage %q (known: %s)", s, strings.Join(KnownStages, ", "))
		}
	}
	if c.Encoding != "avro" && c.Encoding != "json" {
		bad("encoding: %q, want avro or json", c.Encoding)
	}
	if contains(c.Stages, "sink") && strings.TrimSpace(c.ClickHouse.Addr) == "" {
		bad("clickhouse.addr: the sink stage needs a ClickHouse address")
	}
	if c.Detect.Clock != "wall" && c.Detect.Clock != "event" {
		bad("detect.clock: %q, want wall or event", c.Detect.Clock)
	}
	if contains(c.Stages, "normalize") && len(c.Raw) == 0 {
		bad("raw: the normalize stage needs at least one raw topic binding (raw: [{topic, carrier, format}] or --raw TOPIC=CARRIER[:FORMAT])")
	}
	seen := map[string]bool{}
	for i, r := range c.Raw {
		if r.Topic == "" {
			bad("raw[%d]: topic is empty", i)
			continue
		}
		if seen[r.Topic] {
			bad("raw[%d]: topic %q is bound twice", i, r.Topic)
		}
		seen[r.Topic] = true
		var f normalizers.Format
		if r.Format != "" {
			var err error
			if f, err = normalizers.ParseFormat(r.Format); err != nil {
				bad("raw[%d] (topic %q): %v", i, r.Topic, err)
				continue
			}
		}
		if _, err := normalizers.Lookup(r.Carrier, f); err != nil {
			var ne *normalizers.Error
			if errors.As(err, &ne) {
				err = errors.New(ne.Msg)
			}
			bad("raw[%d] (topic %q): %v", i, r.Topic, err)
		}
	}
	switch strings.ToUpper(c.Kafka.SASL.Mechanism) {
	case "", "PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512":
	default:
		bad("kafka.sasl.mechanism: %q, want PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", c.Kafka.SASL.Mechanism)
	}
	if c.Kafka.SASL.Mechanism != "" && c.Kafka.SASL.Username == "" {
		bad("kafka.sasl.username: needed with kafka.sasl.mechanism")
	}
	if c.Topics.Partitions < 1 {
		bad("topics.partitions: %d, want at least 1", c.Topics.Partitions)
	}
	for name, t := range map[string]string{"events": c.Topics.Events, "deadletter": c.Topics.DeadLetter} {
		if t == "" {
			bad("topics.%s: must not be empty", name)
		}
	}
	return errors.Join(errs...)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Config builds the TLS client configuration; key names the setting in
// errors ("kafka.tls").
func (t TLS) Config(key string) (*tls.Config, error) {
	tc := &tls.Config{InsecureSkipVerify: t.InsecureSkipVerify, MinVersion: tls.VersionTLS12} //nolint:gosec // the user's explicit choice
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("%s.ca_file: %w", key, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s.ca_file: no certificate in %s", key, t.CAFile)
		}
		tc.RootCAs = pool
	}
	if t.CertFile != "" || t.KeyFile != "" {
		cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("%s cert_file/key_file: %w", key, err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}

// KafkaOpts turns the Kafka settings into franz-go options.
func (c *Config) KafkaOpts() ([]kgo.Opt, error) {
	opts := []kgo.Opt{kgo.SeedBrokers(c.Kafka.Brokers...), kgo.ClientID(c.Kafka.ClientID)}
	if c.Kafka.TLS.Enabled {
		tc, err := c.Kafka.TLS.Config("kafka.tls")
		if err != nil {
			return nil, err
		}
		opts = append(opts, kgo.DialTLSConfig(tc))
	}
	s := c.Kafka.SASL
	switch strings.ToUpper(s.Mechanism) {
	case "PLAIN":
		opts = append(opts, kgo.SASL(plain.Auth{User: s.Username, Pass: s.Password}.AsMechanism()))
	case "SCRAM-SHA-256":
		opts = append(opts, kgo.SASL(scram.Auth{User: s.Username, Pass: s.Password}.AsSha256Mechanism()))
	case "SCRAM-SHA-512":
		opts = append(opts, kgo.SASL(scram.Auth{User: s.Username, Pass: s.Password}.AsSha512Mechanism()))
	}
	return opts, nil
}

// Print writes the effective configuration as YAML, with secrets masked.
func (c *Config) Print() ([]byte, error) {
	cp := *c
	if cp.Kafka.SASL.Password != "" {
		cp.Kafka.SASL.Password = "***"
	}
	if cp.SchemaRegistry.Password != "" {
		cp.SchemaRegistry.Password = "***"
	}
	if cp.ClickHouse.Password != "" {
		cp.ClickHouse.Password = "***"
	}
	return yaml.Marshal(&cp)
}
