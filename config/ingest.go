package config

import (
	"crypto/tls"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/wismo/wismo/ingest"
)

// Ingest configures the webhook gateway (`wismo ingest`, or the ingest
// stage of `wismo run`).
type Ingest struct {
	// Addr is the gateway's listener, separate from http.addr's metrics.
	Addr string `yaml:"addr" mapstructure:"addr"`
	// MaxBodyBytes: a larger webhook gets 413. At most
	// normalize.max_payload_bytes, which the normalize stage reads.
	MaxBodyBytes int `yaml:"max_body_bytes" mapstructure:"max_body_bytes"`
	// AckTimeout bounds a request's wait for the broker: past it the
	// request gets 503 and its sender retries.
	AckTimeout time.Duration `yaml:"ack_timeout" mapstructure:"ack_timeout"`
	// TLS serves HTTPS with this certificate and key (both PEM files).
	TLS IngestTLS `yaml:"tls" mapstructure:"tls"`
	// SecretsDir holds, for routes with neither secret nor secret_file, a
	// file per source named after it (and SOURCE.previous during a
	// rotation): a mounted secret volume serves every route.
	SecretsDir string  `yaml:"secrets_dir" mapstructure:"secrets_dir"`
	Routes     []Route `yaml:"routes" mapstructure:"routes"`
}

// IngestTLS is the gateway's own certificate.
type IngestTLS struct {
	CertFile string `yaml:"cert_file" mapstructure:"cert_file"`
	KeyFile  string `yaml:"key_file" mapstructure:"key_file"`
}

// Route binds a webhook source to a raw topic: POST /webhooks/SOURCE (and
// /webhooks/SOURCE/TOKEN for the token scheme) is written to Topic.
type Route struct {
	Source string `yaml:"source" mapstructure:"source"`
	Topic  string `yaml:"topic" mapstructure:"topic"`
	// Auth is the scheme (easypost, aftership, 17track, karrio, token);
	// "" takes the source's own, or token for a source that signs nothing.
	Auth string `yaml:"auth" mapstructure:"auth"`
	// Secret is the key; PreviousSecret, while rotating, the key being
	// retired: both are accepted. Each may come from a file instead.
	Secret             string `yaml:"secret" mapstructure:"secret"`
	SecretFile         string `yaml:"secret_file" mapstructure:"secret_file"`
	PreviousSecret     string `yaml:"previous_secret" mapstructure:"previous_secret"`
	PreviousSecretFile string `yaml:"previous_secret_file" mapstructure:"previous_secret_file"`
}

// The gateway's defaults.
const (
	DefaultIngestAddr       = ":8080"
	DefaultIngestMaxBody    = 1 << 20
	DefaultIngestAckTimeout = 5 * time.Second
	// minTokenLength: a path token is all that guards its route.
	minTokenLength = 16
)

// ParseRoutes parses routes written SOURCE=TOPIC[:AUTH] (the --route flag
// and WISMO_INGEST_ROUTES); their secrets come from ingest.secrets_dir.
func ParseRoutes(specs []string) ([]Route, error) {
	var out []Route
	for _, s := range specs {
		source, rest, ok := strings.Cut(s, "=")
		if !ok || source == "" || rest == "" {
			return nil, fmt.Errorf("route %q: want SOURCE=TOPIC[:AUTH]", s)
		}
		topic, auth, _ := strings.Cut(rest, ":")
		out = append(out, Route{Source: source, Topic: topic, Auth: auth})
	}
	return out, nil
}

// Scheme is the route's authentication scheme.
func (r Route) Scheme() ingest.Scheme {
	if r.Auth == "" {
		return ingest.DefaultScheme(r.Source)
	}
	return ingest.Scheme(r.Auth)
}

// Keys are the route's keys: the secret, then the previous one if set.
func (r Route) Keys() []string {
	keys := []string{r.Secret}
	if r.PreviousSecret != "" {
		keys = append(keys, r.PreviousSecret)
	}
	return keys
}

// routeSecrets are the routes' secrets, for readSecrets and Print; a
// route with neither a secret nor its file takes them from secrets_dir.
func (c *Config) routeSecrets() []secret {
	var out []secret
	for i := range c.Ingest.Routes {
		r := &c.Ingest.Routes[i]
		if dir := c.Ingest.SecretsDir; dir != "" && r.Secret == "" && r.SecretFile == "" {
			r.SecretFile = filepath.Join(dir, r.Source)
			if prev := r.SecretFile + ".previous"; r.PreviousSecret == "" && r.PreviousSecretFile == "" {
				if _, err := os.Stat(prev); err == nil {
					r.PreviousSecretFile = prev
				}
			}
		}
		key := fmt.Sprintf("ingest.routes[%d].", i)
		out = append(out, secret{key + "secret", &r.Secret, &r.SecretFile}, secret{key + "previous_secret", &r.PreviousSecret, &r.PreviousSecretFile})
	}
	return out
}

// validate checks the gateway's settings when the ingest stage runs.
func (in Ingest) validate(c *Config) error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if err := hostPort(in.Addr); err != nil {
		bad("ingest.addr: %v", err)
	} else if in.Addr == c.HTTP.Addr {
		bad("ingest.addr: %s is http.addr too; the gateway needs a listener of its own", in.Addr)
	}
	errs = append(errs,
		intRange("ingest.max_body_bytes", int64(in.MaxBodyBytes), 1, int64(c.Normalize.MaxPayloadBytes)),
		durationRange("ingest.ack_timeout", in.AckTimeout, 100*time.Millisecond, 2*time.Minute))
	if (in.TLS.CertFile == "") != (in.TLS.KeyFile == "") {
		bad("ingest.tls: set both cert_file and key_file, or neither")
	}
	if len(in.Routes) == 0 {
		bad("ingest.routes: the ingest stage needs at least one route (routes: [{source, topic, auth, secret_file}] or --route SOURCE=TOPIC[:AUTH])")
	}
	seen := map[string]bool{}
	for i, r := range in.Routes {
		at := fmt.Sprintf("ingest.routes[%d]", i)
		if !validSource(r.Source) {
			bad("%s: source %q, want lower-case letters, digits, '-' and '_' (it is the path /webhooks/SOURCE)", at, r.Source)
		} else if seen[r.Source] {
			bad("%s: source %q is routed twice", at, r.Source)
		}
		seen[r.Source] = true
		if err := topicName(r.Topic); err != nil {
			bad("%s (source %q): topic %v", at, r.Source, err)
		}
		if _, err := ingest.ParseScheme(string(r.Scheme())); err != nil {
			bad("%s (source %q): %v", at, r.Source, err)
			continue
		}
		if r.Secret == "" {
			bad("%s (source %q): no secret; set %s.secret_file, or put a file named %s in ingest.secrets_dir", at, r.Source, at, r.Source)
			continue
		}
		if r.Scheme() == ingest.Token {
			for _, k := range r.Keys() {
				if len(k) < minTokenLength || strings.ContainsAny(k, "/?#% ") {
					bad("%s (source %q): a path token must be at least %d characters and hold no '/', '?', '#', '%%' or space (it is all that guards the route)", at, r.Source, minTokenLength)
					break
				}
			}
		}
	}
	return errors.Join(errs...)
}

func validSource(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// Config is the gateway's TLS server configuration, or nil for plain HTTP.
func (t IngestTLS) Config() (*tls.Config, error) {
	if t.CertFile == "" && t.KeyFile == "" {
		return nil, nil
	}
	cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
	if err != nil {
		return nil, fmt.Errorf("ingest.tls.cert_file and key_file: %w", err)
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, nil
}
