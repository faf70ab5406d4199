// Package config loads wismo's configuration from a file, the environment
// (WISMO_...) and flags, in increasing order of precedence, and checks it
// before anything connects.
package config

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/viper"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"
	"github.com/wismo/wismo/links"
	"github.com/wismo/wismo/names"
	"github.com/wismo/wismo/normalizers"
	"github.com/wismo/wismo/pipeline"
	"github.com/wismo/wismo/pipeline/normalize"
	"github.com/wismo/wismo/schemas/chschema"
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
	Pipeline       Pipeline       `yaml:"pipeline" mapstructure:"pipeline"`
	ClickHouse     ClickHouse     `yaml:"clickhouse" mapstructure:"clickhouse"`
	HTTP           HTTP           `yaml:"http" mapstructure:"http"`
	Ingest         Ingest         `yaml:"ingest" mapstructure:"ingest"`
	Links          Links          `yaml:"links" mapstructure:"links"`
	Serve          Serve          `yaml:"serve" mapstructure:"serve"`
	Log            Log            `yaml:"log" mapstructure:"log"`

	// warnings are what loading let through but an operator should hear.
	warnings []string
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
	// ConnectTimeout bounds the start-up check that each stage's client
	// reaches a broker: a wrong address, port or password then stops the
	// instance with the broker named instead of retrying in silence.
	ConnectTimeout time.Duration `yaml:"connect_timeout" mapstructure:"connect_timeout"`
}

// TLS for Kafka and ClickHouse. It is on when Enabled is set or when any
// of the files (or InsecureSkipVerify) is: a CA file given for a
// connection that then went out in clear would be a silent downgrade.
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
	// PasswordFile holds the password (a trailing newline is dropped), for
	// secrets mounted as files; it excludes Password.
	PasswordFile string `yaml:"password_file" mapstructure:"password_file"`
}

// Topics are the pipeline's own topics and how to create them.
type Topics struct {
	Events        string `yaml:"events" mapstructure:"events"`
	Notifications string `yaml:"notifications" mapstructure:"notifications"`
	State         string `yaml:"state" mapstructure:"state"`
	// LaneObservations and Lanes carry the lane model across instances:
	// what the detect stage learns, and the lane stage's models.
	LaneObservations string `yaml:"lane_observations" mapstructure:"lane_observations"`
	Lanes            string `yaml:"lanes" mapstructure:"lanes"`
	DeadLetter       string `yaml:"deadletter" mapstructure:"deadletter"`
	// Orders is the optional order context topic (orders.context.v1,
	// written by the retailer's order system, compacted, keyed and
	// partitioned like the events); "" reads none. The detect stage joins
	// it; the sink writes it to order_shipments for GET /v1/orders/{id}.
	Orders            string `yaml:"orders" mapstructure:"orders"`
	Create            bool   `yaml:"create" mapstructure:"create"`
	Partitions        int32  `yaml:"partitions" mapstructure:"partitions"`
	ReplicationFactor int16  `yaml:"replication_factor" mapstructure:"replication_factor"`

	// DeadLetterRetention is the retention.ms wismo gives the dead-letter
	// topic when it creates it: dead letters are whole raw payloads, with
	// the names and addresses carriers put in them.
	DeadLetterRetention time.Duration `yaml:"deadletter_retention" mapstructure:"deadletter_retention"`
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
	// PasswordFile: as kafka.sasl.password_file.
	PasswordFile string `yaml:"password_file" mapstructure:"password_file"`
}

// Normalize tunes the normalize stage.
type Normalize struct {
	MaxPayloadBytes int `yaml:"max_payload_bytes" mapstructure:"max_payload_bytes"`
	MaxPollRecords  int `yaml:"max_poll_records" mapstructure:"max_poll_records"`
	// RememberScans is how many event ids the stage remembers of what it
	// sent, so that the scans a poller resends with every poll go out once
	// (about 40 bytes each; 0 sends every scan of every payload).
	RememberScans int `yaml:"remember_scans" mapstructure:"remember_scans"`
	// UnmappedCodeLabels is how many distinct unmapped codes of one
	// carrier get their own series in wismo_unmapped_codes_total; later
	// ones count under code="_other" (ClickHouse's unmapped_codes has all).
	UnmappedCodeLabels int `yaml:"unmapped_code_labels" mapstructure:"unmapped_code_labels"`
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
	// LaneTableTimeout bounds the wait for the first whole read of the
	// lanes topic: until then /readyz says the stage is loading; past it
	// the stage is ready with the lanes read so far.
	LaneTableTimeout time.Duration `yaml:"lane_table_timeout" mapstructure:"lane_table_timeout"`
	// LaneDecisions: the lane model decides (stall thresholds, predicted
	// delivery, predicted_late). false keeps it learning and published
	// while the flat rules decide: a shadow run before trusting it.
	LaneDecisions bool `yaml:"lane_decisions" mapstructure:"lane_decisions"`
}

// Pipeline bounds the transactional stages' batches and their shutdown.
type Pipeline struct {
	// StuckBatchAfter: a batch running longer makes /healthz fail (a
	// processor looping on a poison record), so an orchestrator restarts
	// the instance. At least pipeline.MinStuckAfter, above the
	// transaction's own timeout.
	StuckBatchAfter time.Duration `yaml:"stuck_batch_after" mapstructure:"stuck_batch_after"`
	// ShutdownGrace: after SIGTERM (or a stage failing), how long the
	// stages may take to finish the batch in hand; then the process exits
	// with an error naming the stages that did not stop. Keep it below the
	// orchestrator's own (Kubernetes: 30 s).
	ShutdownGrace time.Duration `yaml:"shutdown_grace" mapstructure:"shutdown_grace"`
}

// DefaultShutdownGrace is pipeline.shutdown_grace's default: under the 30 s
// an orchestrator (Kubernetes) waits before it kills, so that wismo says
// itself which stage did not stop.
const DefaultShutdownGrace = 25 * time.Second

// ClickHouse is where the sink stage writes analytics rows.
type ClickHouse struct {
	// Addr is host:port of the native protocol, comma-separated for several.
	Addr     string `yaml:"addr" mapstructure:"addr"`
	Database string `yaml:"database" mapstructure:"database"`
	User     string `yaml:"user" mapstructure:"user"`
	Password string `yaml:"password" mapstructure:"password"`
	// PasswordFile: as kafka.sasl.password_file.
	PasswordFile string `yaml:"password_file" mapstructure:"password_file"`
	TLS          TLS    `yaml:"tls" mapstructure:"tls"`
	// Cluster, when set, makes the schema (wismo migrate, or migrate: true)
	// replicated ON CLUSTER.
	Cluster string `yaml:"cluster" mapstructure:"cluster"`
	// ConnectTimeout is how long the sink and `wismo migrate` keep trying
	// to reach ClickHouse at start before they give up; a refused password
	// stops them at once.
	ConnectTimeout time.Duration `yaml:"connect_timeout" mapstructure:"connect_timeout"`
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
	// PProf serves Go's profiling endpoints under /debug/pprof/ on a
	// listener of their own, PProfAddr (off by default: a CPU profile costs
	// the pipeline while it is taken, and the heap profile and cmdline show
	// payload bytes and arguments, so it listens on loopback unless told
	// otherwise and is never on the /metrics listener).
	PProf     bool   `yaml:"pprof" mapstructure:"pprof"`
	PProfAddr string `yaml:"pprof_addr" mapstructure:"pprof_addr"`
}

// Links configures the signed tracking links: the detect stage puts one in
// every command when BaseURL is set, and `wismo serve` checks them.
type Links struct {
	// BaseURL is the retailer's tracking page; a link is BaseURL + "/t/" +
	// token. "" puts no links in commands.
	BaseURL string `yaml:"base_url" mapstructure:"base_url"`
	// Keys are the HMAC keys, ID:BASE64SECRET separated by commas or new
	// lines: a secret, so from the environment or KeysFile, never a flag.
	Keys     string `yaml:"keys" mapstructure:"keys"`
	KeysFile string `yaml:"keys_file" mapstructure:"keys_file"`
	// SignKey is the id of the key new links are signed with; the others
	// only verify, until they are removed (retired).
	SignKey string `yaml:"sign_key" mapstructure:"sign_key"`
	// RevokedKeys are key ids whose links are refused (a leaked key).
	RevokedKeys []string `yaml:"revoked_keys" mapstructure:"revoked_keys"`
	// AfterEnd is how long a link lives after delivery or expiry; OpenTTL
	// how long a link of a shipment under way lives after it was made.
	AfterEnd time.Duration `yaml:"after_end" mapstructure:"after_end"`
	OpenTTL  time.Duration `yaml:"open_ttl" mapstructure:"open_ttl"`
}

// Serve configures `wismo serve` (and the serve stage of `wismo run`): the
// tracking page and the lookup API.
type Serve struct {
	Addr string `yaml:"addr" mapstructure:"addr"`
	// TemplatesDir holds templates that replace the embedded ones of the
	// same name (branding); "" uses the embedded ones.
	TemplatesDir string `yaml:"templates_dir" mapstructure:"templates_dir"`
	// APIKeys are the lookup API's keys, stored hashed: NAME:SHA256HEX
	// (`wismo serve hash-key` prints the hash of a key read on stdin).
	APIKeys []string `yaml:"api_keys" mapstructure:"api_keys"`
	// RevokedAPIKeys are key names refused although listed.
	RevokedAPIKeys []string `yaml:"revoked_api_keys" mapstructure:"revoked_api_keys"`
	// Requests per minute per client address and per token, and the
	// bursts allowed above that rate.
	RatePerIP    int `yaml:"rate_per_ip" mapstructure:"rate_per_ip"`
	RatePerToken int `yaml:"rate_per_token" mapstructure:"rate_per_token"`
	Burst        int `yaml:"burst" mapstructure:"burst"`
	// RequestTimeout bounds a request from its first byte to its answer.
	RequestTimeout time.Duration `yaml:"request_timeout" mapstructure:"request_timeout"`
	// TrustProxy takes the client address from X-Forwarded-For's last hop
	// (behind one reverse proxy) instead of the connection.
	TrustProxy bool `yaml:"trust_proxy" mapstructure:"trust_proxy"`
	// LookupWorkers is how many ClickHouse queries the lookups run at
	// once; LookupBatch the most shipments one query reads (concurrent
	// lookups share a query, see package serve/coalesce).
	LookupWorkers int `yaml:"lookup_workers" mapstructure:"lookup_workers"`
	LookupBatch   int `yaml:"lookup_batch" mapstructure:"lookup_batch"`
}

// Log configures zap.
type Log struct {
	Level  string `yaml:"level" mapstructure:"level"`   // debug, info, warn, error
	Format string `yaml:"format" mapstructure:"format"` // json or console
}

// KnownStages are the stages `wismo run` can run; DefaultStages those it
// runs unless told (the webhook gateway needs its routes and secrets, serve
// its link keys, so each is asked for by name).
var (
	KnownStages   = []string{"normalize", "detect", "lane", "sink", "ingest", "serve"}
	DefaultStages = []string{"normalize", "detect", "lane", "sink"}
)

// defaults sets every setting's default through the same parser as the
// environment, so a default is written as an operator would write it.
func defaults(v *viper.Viper) {
	host, _ := os.Hostname()
	if host == "" {
		host = "wismo"
	}
	v.SetDefault("instance_id", host)
	v.SetDefault("stages", DefaultStages)
	v.SetDefault("kafka.brokers", []string{"127.0.0.1:9092"})
	v.SetDefault("kafka.client_id", "wismo")
	v.SetDefault("kafka.group_prefix", names.GroupPrefix)
	v.SetDefault("topics.events", names.EventsTopic)
	v.SetDefault("topics.notifications", names.NotificationsTopic)
	v.SetDefault("topics.state", names.StateTopic)
	v.SetDefault("topics.deadletter", names.DeadLetterTopic)
	v.SetDefault("topics.lane_observations", names.LaneObservationsTopic)
	v.SetDefault("topics.lanes", names.LanesTopic)
	v.SetDefault("topics.orders", "")
	v.SetDefault("topics.create", true)
	v.SetDefault("topics.deadletter_retention", "168h")
	v.SetDefault("topics.partitions", 12)
	v.SetDefault("topics.replication_factor", -1)
	v.SetDefault("encoding", "avro")
	v.SetDefault("normalize.max_payload_bytes", normalizers.DefaultMaxPayload)
	v.SetDefault("normalize.max_poll_records", pipeline.DefaultMaxPollRecords)
	v.SetDefault("normalize.remember_scans", normalize.DefaultRememberScans)
	v.SetDefault("normalize.unmapped_code_labels", pipeline.DefaultCodeLabels)
	v.SetDefault("detect.clock", "wall")
	v.SetDefault("detect.lane_table_timeout", "30s")
	v.SetDefault("detect.lane_decisions", true)
	v.SetDefault("clickhouse.addr", DefaultClickHouseAddr)
	v.SetDefault("clickhouse.database", DefaultClickHouseDatabase)
	v.SetDefault("clickhouse.batch_rows", DefaultClickHouseBatchRows)
	v.SetDefault("clickhouse.batch_age", DefaultClickHouseBatchAge.String())
	v.SetDefault("clickhouse.migrate", true)
	v.SetDefault("clickhouse.connect_timeout", "30s")
	v.SetDefault("kafka.connect_timeout", "30s")
	v.SetDefault("http.pprof_addr", "127.0.0.1:6060")
	v.SetDefault("detect.max_poll_records", pipeline.DefaultMaxPollRecords)
	v.SetDefault("pipeline.stuck_batch_after", pipeline.DefaultStuckAfter.String())
	v.SetDefault("pipeline.shutdown_grace", DefaultShutdownGrace.String())
	v.SetDefault("http.addr", ":9464")
	v.SetDefault("links.revoked_keys", []string{})
	v.SetDefault("serve.api_keys", []string{})
	v.SetDefault("serve.revoked_api_keys", []string{})
	v.SetDefault("links.after_end", "2160h")
	v.SetDefault("links.open_ttl", "4320h")
	v.SetDefault("serve.addr", "127.0.0.1:8080")
	v.SetDefault("serve.rate_per_ip", 120)
	v.SetDefault("serve.rate_per_token", 60)
	v.SetDefault("serve.burst", 20)
	v.SetDefault("serve.request_timeout", "10s")
	v.SetDefault("serve.lookup_workers", 4)
	v.SetDefault("serve.lookup_batch", 64)
	v.SetDefault("log.level", "info")
	v.SetDefault("log.format", "json")
	v.SetDefault("ingest.addr", DefaultIngestAddr)
	v.SetDefault("ingest.max_body_bytes", DefaultIngestMaxBody)
	v.SetDefault("ingest.ack_timeout", DefaultIngestAckTimeout.String())
}

// The ClickHouse sink's defaults (sinks/chsink reads them from here).
const (
	DefaultClickHouseAddr      = "127.0.0.1:9000"
	DefaultClickHouseDatabase  = "wismo"
	DefaultClickHouseBatchRows = 10_000
	DefaultClickHouseBatchAge  = time.Second
)

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
	errs := []error{c.validateKafka()}
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if c.InstanceID == "" {
		bad("instance_id: must not be empty (it makes the transactional ids stable)")
	}
	if c.Kafka.GroupPrefix == "" {
		bad("kafka.group_prefix: must not be empty (it names the consumer groups)")
	}
	if len(c.Stages) == 0 {
		bad("stages: none given; name at least one of %s", strings.Join(KnownStages, ", "))
	}
	for _, s := range c.Stages {
		if !contains(KnownStages, s) {
			bad("stages: unknown stage %q (known: %s)", s, strings.Join(KnownStages, ", "))
		}
	}
	if c.Encoding != "avro" && c.Encoding != "json" {
		bad("encoding: %q, want avro or json", c.Encoding)
	}
	if sr := c.SchemaRegistry.URL; sr != "" {
		if u, err := url.Parse(sr); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("schema_registry.url: want http://host:port or https://host:port (with an optional path)")
		}
	}
	if contains(c.Stages, "sink") || contains(c.Stages, "serve") {
		errs = append(errs, c.ClickHouse.Validate())
	}
	if contains(c.Stages, "ingest") {
		errs = append(errs, c.Ingest.validate(c))
	}
	errs = append(errs, c.Links.validate(contains(c.Stages, "serve")))
	if contains(c.Stages, "serve") {
		errs = append(errs, c.Serve.Validate())
	}
	if d := c.Topics.DeadLetterRetention; d < time.Hour {
		bad("topics.deadletter_retention: %s, want 1h or more (the dead letters must outlive their investigation)", d)
	}
	if n := c.Normalize.UnmappedCodeLabels; n < 1 || n > 10_000 {
		bad("normalize.unmapped_code_labels: %d, want 1 to 10000 (each is a Prometheus series per carrier)", n)
	}
	if d := c.Detect.LaneTableTimeout; d < time.Second || d > time.Hour {
		bad("detect.lane_table_timeout: %s, want 1s to 1h", d)
	}
	if c.Detect.Clock != "wall" && c.Detect.Clock != "event" {
		bad("detect.clock: %q, want wall or event", c.Detect.Clock)
	}
	if contains(c.Stages, "normalize") && len(c.Raw) == 0 {
		bad("raw: the normalize stage needs at least one raw topic binding (raw: [{topic, carrier, format}] or --raw TOPIC=CARRIER[:FORMAT])")
	}
	seen := map[string]bool{}
	for i, r := range c.Raw {
		if err := topicName(r.Topic); err != nil {
			bad("raw[%d]: topic %v", i, err)
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
	for _, t := range []struct{ key, name string }{
		{"topics.events", c.Topics.Events}, {"topics.deadletter", c.Topics.DeadLetter},
		{"topics.notifications", c.Topics.Notifications}, {"topics.state", c.Topics.State},
		{"topics.lane_observations", c.Topics.LaneObservations}, {"topics.lanes", c.Topics.Lanes},
		{"topics.orders", c.Topics.Orders},
	} {
		if t.name == "" && t.key == "topics.orders" {
			continue // optional
		}
		if err := topicName(t.name); err != nil {
			bad("%s: %v", t.key, err)
		}
	}
	errs = append(errs,
		intRange("normalize.max_payload_bytes", int64(c.Normalize.MaxPayloadBytes), 1, 256<<20),
		intRange("normalize.max_poll_records", int64(c.Normalize.MaxPollRecords), 1, 1_000_000),
		intRange("normalize.remember_scans", int64(c.Normalize.RememberScans), 0, 100_000_000),
		intRange("detect.max_poll_records", int64(c.Detect.MaxPollRecords), 1, 1_000_000),
		c.HTTP.validate(),
	)
	if !contains([]string{"debug", "info", "warn", "error"}, c.Log.Level) {
		bad("log.level: %q, want debug, info, warn or error", c.Log.Level)
	}
	if c.Log.Format != "json" && c.Log.Format != "console" {
		bad("log.format: %q, want json or console", c.Log.Format)
	}
	return errors.Join(errs...)
}

// validateKafka checks what every command that talks to Kafka needs.
func (c *Config) validateKafka() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if len(c.Kafka.Brokers) == 0 {
		bad("kafka.brokers: at least one broker is needed")
	}
	for _, b := range c.Kafka.Brokers {
		if err := hostPort(b); err != nil {
			bad("kafka.brokers: %v", err)
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
	if c.Pipeline.StuckBatchAfter < pipeline.MinStuckAfter {
		bad("pipeline.stuck_batch_after: %v, want at least %v (above the transaction timeout, %v)", c.Pipeline.StuckBatchAfter, pipeline.MinStuckAfter, pipeline.BatchTimeout)
	}
	if c.Pipeline.ShutdownGrace < time.Second || c.Pipeline.ShutdownGrace > time.Hour {
		bad("pipeline.shutdown_grace: %v, want 1s to 1h", c.Pipeline.ShutdownGrace)
	}
	if c.Kafka.SASL.Mechanism != "" && c.Kafka.SASL.Password == "" {
		bad("kafka.sasl.password: needed with kafka.sasl.mechanism (set %s or %s)",
			EnvName("kafka.sasl.password"), EnvName("kafka.sasl.password_file"))
	}
	if c.Kafka.SASL.Mechanism == "" && (c.Kafka.SASL.Username != "" || c.Kafka.SASL.Password != "") {
		bad("kafka.sasl.mechanism: a user or password is set but no mechanism, so SASL would be off; set PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512")
	}
	errs = append(errs, durationRange("kafka.connect_timeout", c.Kafka.ConnectTimeout, time.Second, time.Hour))
	// replay and gen create topics too
	if c.Topics.ReplicationFactor == 0 || c.Topics.ReplicationFactor < -1 {
		bad("topics.replication_factor: %d, want -1 (the broker's default) or 1 and up", c.Topics.ReplicationFactor)
	}
	errs = append(errs, intRange("topics.partitions", int64(c.Topics.Partitions), 1, 100_000))
	return errors.Join(errs...)
}

// Validate checks the ClickHouse settings (the sink's and `wismo migrate`'s).
func (ch ClickHouse) Validate() error {
	var errs []error
	if strings.TrimSpace(ch.Addr) == "" {
		errs = append(errs, errors.New("clickhouse.addr: a ClickHouse address is needed (host:port of the native protocol)"))
	}
	for _, a := range strings.Split(ch.Addr, ",") {
		if a = strings.TrimSpace(a); a != "" {
			if err := hostPort(a); err != nil {
				errs = append(errs, fmt.Errorf("clickhouse.addr: %w", err))
			}
		}
	}
	if !chschema.ValidDatabase(ch.Database) {
		errs = append(errs, fmt.Errorf("clickhouse.database: %q, want letters, digits and underscores", ch.Database))
	}
	if ch.Cluster != "" && !chschema.ValidDatabase(ch.Cluster) {
		errs = append(errs, fmt.Errorf("clickhouse.cluster: %q, want letters, digits and underscores", ch.Cluster))
	}
	errs = append(errs,
		intRange("clickhouse.batch_rows", int64(ch.BatchRows), 1, 10_000_000),
		durationRange("clickhouse.batch_age", ch.BatchAge, time.Millisecond, time.Hour),
		durationRange("clickhouse.connect_timeout", ch.ConnectTimeout, time.Second, time.Hour),
	)
	return errors.Join(errs...)
}

// validate checks the link settings; serving needs the keys even without a
// base URL.
func (l Links) validate(serving bool) error {
	var errs []error
	if l.BaseURL != "" {
		if u, err := url.Parse(l.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
			errs = append(errs, fmt.Errorf("links.base_url: %q, want https://host[/path] (the retailer's tracking page, without query or fragment)", l.BaseURL))
		}
	}
	if l.BaseURL != "" || serving || l.Keys != "" {
		if _, err := l.Keyring(); err != nil {
			errs = append(errs, err)
		}
	}
	errs = append(errs,
		durationRange("links.after_end", l.AfterEnd, time.Hour, 10*365*24*time.Hour),
		durationRange("links.open_ttl", l.OpenTTL, time.Hour, 10*365*24*time.Hour))
	return errors.Join(errs...)
}

// Keyring builds the links' keyring, with errors naming the setting.
func (l Links) Keyring() (*links.Keyring, error) {
	if l.Keys == "" {
		return nil, fmt.Errorf("links.keys: no keys; set %s or %s (ID:BASE64SECRET, the secret from `head -c 32 /dev/urandom | base64`) and links.sign_key", EnvName("links.keys"), EnvName("links.keys_file"))
	}
	keys, err := links.ParseKeys("links.keys", l.Keys)
	if err != nil {
		return nil, err
	}
	k, err := links.NewKeyring(keys, l.SignKey, l.RevokedKeys)
	if err != nil {
		return nil, fmt.Errorf("links.sign_key: %w", err)
	}
	return k, nil
}

// Maker is what the detect stage puts links in commands with; nil when
// links.base_url is not set.
func (l Links) Maker() (*links.Maker, error) {
	if l.BaseURL == "" {
		return nil, nil
	}
	k, err := l.Keyring()
	if err != nil {
		return nil, err
	}
	return &links.Maker{Base: l.BaseURL, Ring: k, Policy: l.Policy()}, nil
}

// Policy is the links' expiry policy.
func (l Links) Policy() links.Policy {
	return links.Policy{AfterEnd: l.AfterEnd, Open: l.OpenTTL}
}

// Validate checks the serve settings.
func (s Serve) Validate() error {
	var errs []error
	if err := hostPort(s.Addr); err != nil {
		errs = append(errs, fmt.Errorf("serve.addr: %w", err))
	}
	errs = append(errs,
		intRange("serve.rate_per_ip", int64(s.RatePerIP), 1, 1_000_000),
		intRange("serve.rate_per_token", int64(s.RatePerToken), 1, 1_000_000),
		intRange("serve.burst", int64(s.Burst), 1, 100_000),
		intRange("serve.lookup_workers", int64(s.LookupWorkers), 1, 64),
		intRange("serve.lookup_batch", int64(s.LookupBatch), 1, 1_000),
		durationRange("serve.request_timeout", s.RequestTimeout, 100*time.Millisecond, 5*time.Minute))
	for i, k := range s.APIKeys {
		name, hash, ok := strings.Cut(k, ":")
		if b, err := hex.DecodeString(hash); !ok || name == "" || err != nil || len(b) != sha256.Size {
			errs = append(errs, fmt.Errorf("serve.api_keys[%d]: want NAME:SHA256HEX (the key's hash, from `wismo serve hash-key`), not the key itself", i))
		}
	}
	return errors.Join(errs...)
}

func (h HTTP) validate() error {
	var errs []error
	if h.Addr != "" && h.Addr != "off" {
		if err := hostPort(h.Addr); err != nil {
			errs = append(errs, fmt.Errorf("http.addr: %w (or off)", err))
		}
	}
	if h.PProf {
		if err := hostPort(h.PProfAddr); err != nil {
			errs = append(errs, fmt.Errorf("http.pprof_addr: %w", err))
		} else if h.PProfAddr == h.Addr {
			errs = append(errs, fmt.Errorf("http.pprof_addr: %s is http.addr too; the profiles need a listener of their own (default 127.0.0.1:6060)", h.PProfAddr))
		}
	}
	return errors.Join(errs...)
}

func intRange(key string, n, lo, hi int64) error {
	if n < lo || n > hi {
		return fmt.Errorf("%s: %d is out of range, want %d to %d", key, n, lo, hi)
	}
	return nil
}

func durationRange(key string, d, lo, hi time.Duration) error {
	if d < lo || d > hi {
		return fmt.Errorf("%s: %s is out of range, want %s to %s", key, d, lo, hi)
	}
	return nil
}

// hostPort checks a host:port address (the host may be empty: all
// interfaces).
func hostPort(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q is not host:port", addr)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("%q: port %q, want 0 to 65535", addr, port)
	}
	return nil
}

// topicName checks Kafka's rules for topic names, so a bad one is refused
// here rather than by the broker mid-run.
func topicName(t string) error {
	switch {
	case t == "":
		return errors.New("must not be empty")
	case len(t) > 249:
		return fmt.Errorf("%.40q... is %d characters long, Kafka allows 249", t, len(t))
	case t == "." || t == "..":
		return fmt.Errorf("%q is no topic name", t)
	}
	for _, r := range t {
		if !(r == '.' || r == '_' || r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return fmt.Errorf("%q: Kafka topic names have only letters, digits, '.', '_' and '-'", t)
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// On reports whether TLS is to be used: enabled, or implied by a CA,
// client certificate or skip-verify setting (which make no sense in clear).
func (t TLS) On() bool {
	return t.Enabled || t.CAFile != "" || t.CertFile != "" || t.KeyFile != "" || t.InsecureSkipVerify
}

// Config builds the TLS client configuration, or nil when TLS is off; key
// names the setting in errors ("kafka.tls").
func (t TLS) Config(key string) (*tls.Config, error) {
	if !t.On() {
		return nil, nil
	}
	tc := &tls.Config{InsecureSkipVerify: t.InsecureSkipVerify, MinVersion: tls.VersionTLS12} //nolint:gosec // the user's explicit choice, warned about
	if t.CAFile != "" {
		pem, err := os.ReadFile(t.CAFile)
		if err != nil {
			return nil, fmt.Errorf("%s.ca_file: %w", key, err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("%s.ca_file: no PEM certificate in %s", key, t.CAFile)
		}
		tc.RootCAs = pool
	}
	if t.CertFile != "" || t.KeyFile != "" {
		cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("%s.cert_file and key_file: %w", key, err)
		}
		tc.Certificates = []tls.Certificate{cert}
	}
	return tc, nil
}

// TLSProblem says which TLS setting (key: "kafka.tls") to fix when err is
// a TLS failure that retrying will not heal, else "".
func TLSProblem(key string, err error) string {
	var unknownCA x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	var verify *tls.CertificateVerificationError
	var header tls.RecordHeaderError
	switch {
	case errors.As(err, &unknownCA), errors.As(err, &hostname), errors.As(err, &invalid), errors.As(err, &verify):
		return "the server's certificate does not verify; check " + key + ".ca_file and the address's host name"
	case errors.As(err, &header):
		return "the server does not speak TLS on this port; use its TLS port or turn " + key + " off"
	}
	return ""
}

// KafkaOpts turns the Kafka settings into franz-go options.
func (c *Config) KafkaOpts() ([]kgo.Opt, error) {
	opts := []kgo.Opt{kgo.SeedBrokers(c.Kafka.Brokers...), kgo.ClientID(c.Kafka.ClientID)}
	tc, err := c.Kafka.TLS.Config("kafka.tls")
	if err != nil {
		return nil, err
	}
	if tc != nil {
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

// Warnings are the settings that work but are weak (a password in clear,
// a certificate not checked) and the unknown variables let through with
// WISMO_CONFIG_UNKNOWN_ENV=warn. `wismo run` logs them at start.
func (c *Config) Warnings() []string {
	w := slices.Clone(c.warnings)
	if strings.EqualFold(c.Kafka.SASL.Mechanism, "PLAIN") && !c.Kafka.TLS.On() {
		w = append(w, "kafka.sasl.mechanism PLAIN without kafka.tls: the password crosses the network in clear; turn on kafka.tls or use SCRAM-SHA-512")
	}
	for _, t := range []struct {
		key string
		tls TLS
	}{{"kafka.tls", c.Kafka.TLS}, {"clickhouse.tls", c.ClickHouse.TLS}} {
		if t.tls.InsecureSkipVerify {
			w = append(w, t.key+".insecure_skip_verify: the server's certificate is not checked, so anyone on the path can pose as it; give its CA in "+t.key+".ca_file instead")
		}
	}
	if c.ClickHouse.Password != "" && !c.ClickHouse.TLS.On() && !allLoopback(c.ClickHouse.Addr) {
		w = append(w, "clickhouse.password without clickhouse.tls: the password crosses the network in clear; turn on clickhouse.tls (ClickHouse's secure native port is usually 9440)")
	}
	if c.SchemaRegistry.Password != "" && strings.HasPrefix(strings.ToLower(c.SchemaRegistry.URL), "http://") && !allLoopback(hostOfURL(c.SchemaRegistry.URL)) {
		w = append(w, "schema_registry.password over http: the password crosses the network in clear; use an https:// schema_registry.url")
	}
	return w
}

// allLoopback reports whether every host:port of the comma-separated list
// is on this machine, where a password in clear does not leave it.
func allLoopback(addrs string) bool {
	for _, a := range strings.Split(addrs, ",") {
		host, _, err := net.SplitHostPort(strings.TrimSpace(a))
		if err != nil {
			host = strings.TrimSpace(a)
		}
		ip := net.ParseIP(host)
		if host != "localhost" && (ip == nil || !ip.IsLoopback()) {
			return false
		}
	}
	return true
}

func hostOfURL(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return s
	}
	return u.Host
}

// Print writes the effective configuration as YAML, with secrets masked
// (the passwords, and any password in the schema registry's URL).
func (c *Config) Print() ([]byte, error) {
	cp := *c
	cp.Ingest.Routes = slices.Clone(c.Ingest.Routes) // masked below, not the original's
	for _, s := range cp.secrets() {
		if *s.value != "" {
			*s.value = "***"
		}
	}
	if u, err := url.Parse(cp.SchemaRegistry.URL); err == nil && u.User != nil {
		u.User = url.User(u.User.Username())
		cp.SchemaRegistry.URL = u.String()
	}
	return yaml.Marshal(printable(reflect.ValueOf(cp)))
}

// printable is v as a YAML node in the file's own terms (durations as 30s,
// not nanoseconds), so printed output can be read back as a config file.
func printable(v reflect.Value) *yaml.Node {
	switch {
	case v.Type() == durationType:
		return &yaml.Node{Kind: yaml.ScalarNode, Value: time.Duration(v.Int()).String()}
	case v.Kind() == reflect.Struct:
		n := &yaml.Node{Kind: yaml.MappingNode}
		for i := 0; i < v.NumField(); i++ {
			name, _, _ := strings.Cut(v.Type().Field(i).Tag.Get("yaml"), ",")
			if name == "" || name == "-" {
				continue
			}
			n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: name}, printable(v.Field(i)))
		}
		return n
	case v.Kind() == reflect.Slice:
		n := &yaml.Node{Kind: yaml.SequenceNode}
		for i := 0; i < v.Len(); i++ {
			n.Content = append(n.Content, printable(v.Index(i)))
		}
		return n
	}
	var n yaml.Node
	_ = n.Encode(v.Interface())
	return &n
}
