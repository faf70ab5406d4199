package config

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/agnivade/levenshtein"
	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"
	"go.yaml.in/yaml/v3"
)

// Flags registers the command-line flags that override file and environment.
// No flag carries a secret: a password on the command line shows in ps.
func Flags(fs *pflag.FlagSet) {
	fs.String("config", "", "config file (YAML)")
	fs.StringSlice("brokers", nil, "Kafka seed brokers (kafka.brokers)")
	fs.StringSlice("stages", nil, "stages to run, of "+strings.Join(KnownStages, ", ")+" (stages)")
	fs.StringArray("raw", nil, "raw topic binding TOPIC=CARRIER[:FORMAT], repeatable (raw)")
	fs.StringArray("route", nil, "webhook route SOURCE=TOPIC[:AUTH], repeatable; its secret is the file SOURCE in ingest.secrets_dir (ingest.routes)")
	fs.String("instance-id", "", "stable id of this instance; its transactional ids derive from it (instance_id)")
	fs.String("encoding", "", "avro or json (encoding)")
	fs.String("http-addr", "", "address of /metrics, /healthz, /readyz (http.addr)")
	fs.String("log-level", "", "debug, info, warn or error (log.level)")
	fs.Bool(allowUnknownEnvFlag, false, "warn about unknown WISMO_* variables instead of refusing them (as "+UnknownEnvVar+"=warn)")
}

const allowUnknownEnvFlag = "allow-unknown-env"

var flagKeys = map[string]string{
	"brokers": "kafka.brokers", "stages": "stages", "instance-id": "instance_id", "raw": "raw",
	"encoding": "encoding", "http-addr": "http.addr", "log-level": "log.level", "route": "ingest.routes",
}

// UnknownEnvVar says what an unknown WISMO_* variable does: "error" (the
// default: a misspelt WISMO_KAFKA_SASL_PASWORD would otherwise run without
// its password) or "warn".
const UnknownEnvVar = "WISMO_CONFIG_UNKNOWN_ENV"

// NonConfigEnv are the WISMO_ variables that are not settings of wismo
// itself, with who reads them. They are the only ones besides the settings
// that loading accepts; a new one is added here.
var NonConfigEnv = map[string]string{
	"WISMO_SERVICES_DIR":    "scripts/services.sh: cache, data and logs of the development services",
	"WISMO_PYTHON":          "scripts/services.sh and the chdb tests: the Python interpreter with chdb",
	"WISMO_TEST_KAFKA":      "internal/kafkatest: the integration tests' broker",
	"WISMO_TEST_CLICKHOUSE": "internal/chtest: the integration tests' ClickHouse",
	"WISMO_CHROMIUM":        "scripts/services.sh and serve's browser test: the Chromium binary",
	UnknownEnvVar:           "config: error or warn on unknown WISMO_ variables",
}

// renamedEnv are variables that older releases of `wismo migrate` read,
// with the setting that replaced them, so that a deployment still setting
// them is told where they went.
var renamedEnv = map[string]string{
	"WISMO_CLICKHOUSE_TLS":             "WISMO_CLICKHOUSE_TLS_ENABLED",
	"WISMO_CLICKHOUSE_TLS_CA":          "WISMO_CLICKHOUSE_TLS_CA_FILE",
	"WISMO_CLICKHOUSE_TLS_SKIP_VERIFY": "WISMO_CLICKHOUSE_TLS_INSECURE_SKIP_VERIFY",
	"WISMO_CLICKHOUSE_WAIT":            "WISMO_CLICKHOUSE_CONNECT_TIMEOUT",
}

// LoadKafkaOnly is Load for commands that only talk to Kafka (replay, gen):
// only the Kafka settings are checked.
func LoadKafkaOnly(fs *pflag.FlagSet, env []string) (*Config, error) {
	c, err := load(fs, env, flagKeys)
	if err != nil {
		return nil, err
	}
	return c, c.validateKafka()
}

// LoadClickHouse is Load for `wismo migrate`: the flags named in flags
// (flag name -> key path) are read besides --config, and only the
// ClickHouse settings are checked.
func LoadClickHouse(fs *pflag.FlagSet, env []string, flags map[string]string) (*Config, error) {
	c, err := load(fs, env, flags)
	if err != nil {
		return nil, err
	}
	return c, c.ClickHouse.Validate()
}

// Load reads the configuration: defaults, then the file named by --config,
// then WISMO_* environment variables, then flags that were set; it then
// reads the *_file secrets and checks the result.
func Load(fs *pflag.FlagSet, env []string) (*Config, error) {
	c, err := load(fs, env, flagKeys)
	if err != nil {
		return nil, err
	}
	return c, c.Validate()
}

func load(fs *pflag.FlagSet, env []string, flags map[string]string) (*Config, error) {
	v := viper.New()
	defaults(v)
	c := &Config{}
	var file string
	var doc yaml.Node
	if fs != nil {
		if f := fs.Lookup("config"); f != nil && f.Value.String() != "" {
			file = f.Value.String()
			v.SetConfigFile(file)
			v.SetConfigType("yaml")
			if err := v.ReadInConfig(); err != nil {
				return nil, fmt.Errorf("config file %s: %w", file, err)
			}
			// viper keeps no positions: the node tree gives the line and
			// column of a bad key or value.
			if data, err := os.ReadFile(file); err == nil {
				_ = yaml.Unmarshal(data, &doc)
			}
			if err := caseExact(file, &doc); err != nil {
				return nil, err
			}
		}
	}
	envSet, err := c.loadEnv(v, fs, env)
	if err != nil {
		return nil, err
	}
	flagOf := map[string]string{}
	if fs != nil {
		for flag, key := range flags {
			if f := fs.Lookup(flag); f != nil {
				if err := v.BindPFlag(key, f); err != nil {
					return nil, fmt.Errorf("--%s: %w", flag, err)
				}
				if f.Changed {
					flagOf[key] = flag
				}
			}
		}
	}
	err = v.Unmarshal(c, viper.DecodeHook(strictHook), func(dc *mapstructure.DecoderConfig) {
		dc.ErrorUnused = true
		dc.WeaklyTypedInput = false
		dc.ZeroFields = true
	})
	if err != nil {
		src := source{file: file, doc: &doc, env: envSet, flags: flagOf}
		return nil, src.explain(err)
	}
	if len(c.Ingest.Routes) == 0 {
		c.Ingest.Routes = nil // "routes: []", as --print-config writes none, is no routes
	}
	if err := c.readSecrets(); err != nil {
		return nil, err
	}
	return c, nil
}

// loadEnv lays the WISMO_* variables over the file, as viper's config
// layer, and returns the variable of each key it set. They are given
// explicitly (viper's AutomaticEnv reads only the process's environment,
// and lets unknown names through), so that tests can pass their own.
func (c *Config) loadEnv(v *viper.Viper, fs *pflag.FlagSet, env []string) (map[string]string, error) {
	warn := false
	if fs != nil {
		if f := fs.Lookup(allowUnknownEnvFlag); f != nil && f.Value.String() == "true" {
			warn = true
		}
	}
	var errs []error
	for _, kv := range env {
		k, val, _ := strings.Cut(kv, "=")
		if k != UnknownEnvVar {
			continue
		}
		switch val {
		case "warn":
			warn = true
		case "error", "":
		default:
			errs = append(errs, fmt.Errorf("%s: %q, want error or warn", k, val))
		}
	}
	set := map[string]string{}
	layer := map[string]any{}
	for _, kv := range env {
		k, val, ok := strings.Cut(kv, "=")
		if !ok || !strings.HasPrefix(k, "WISMO_") {
			continue
		}
		if _, other := NonConfigEnv[k]; other {
			continue
		}
		key := envKey(strings.TrimPrefix(k, "WISMO_"))
		if key == "" {
			msg := k + ": no such setting" + envHint(k)
			if warn {
				c.warnings = append(c.warnings, msg+" (ignored)")
				continue
			}
			errs = append(errs, fmt.Errorf("%s; fix or unset it (or set %s=warn to run anyway)", msg, UnknownEnvVar))
			continue
		}
		set[key] = k
		m := layer
		parts := strings.Split(key, ".")
		for _, p := range parts[:len(parts)-1] {
			next, ok := m[p].(map[string]any)
			if !ok {
				next = map[string]any{}
				m[p] = next
			}
			m = next
		}
		m[parts[len(parts)-1]] = val
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return set, v.MergeConfigMap(layer)
}

// source says where a setting's value came from, for the message of a
// value that does not parse or a key that is no setting.
type source struct {
	file  string
	doc   *yaml.Node
	env   map[string]string // key -> WISMO_ variable
	flags map[string]string // key -> flag
}

// explain turns mapstructure's errors into one line each that names the
// flag, variable or file:line:column to fix.
func (s source) explain(err error) error {
	var out []error
	var walk func(error)
	walk = func(err error) {
		if j, ok := err.(interface{ Unwrap() []error }); ok {
			for _, e := range j.Unwrap() {
				walk(e)
			}
			return
		}
		de, ok := err.(*mapstructure.DecodeError)
		if !ok {
			if inner := errors.Unwrap(err); inner != nil {
				walk(inner) // mapstructure's heading over its joined errors
				return
			}
			out = append(out, fmt.Errorf("config: %w", err))
			return
		}
		name, inner := de.Name(), de.Unwrap()
		if keys, ok := strings.CutPrefix(inner.Error(), "has invalid keys: "); ok {
			for _, k := range strings.Split(keys, ", ") {
				out = append(out, s.unknown(name, k))
			}
			return
		}
		if var1, ok := s.flags[name]; ok {
			out = append(out, fmt.Errorf("--%s: %w", var1, inner))
		} else if env, ok := s.env[name]; ok {
			out = append(out, fmt.Errorf("%s: %w", env, inner))
		} else if n := s.node(name, false); n != nil {
			out = append(out, fmt.Errorf("%s:%d:%d: %s: %w", s.file, n.Line, n.Column, name, inner))
		} else {
			out = append(out, fmt.Errorf("%s: %w", name, inner))
		}
	}
	walk(err)
	return errors.Join(out...)
}

// unknown is the error of a key of the block parent that is no setting,
// with its place in the file and the name it probably meant.
func (s source) unknown(parent, key string) error {
	full := key
	if parent != "" {
		full = parent + "." + key
	}
	var names []string
	t := reflect.TypeOf(Config{})
	for _, p := range strings.Split(parent, ".") {
		p, _, _ = strings.Cut(p, "[")
		if i, ok := yamlFields(t)[p]; ok {
			t = t.Field(i).Type
			if t.Kind() == reflect.Slice {
				t = t.Elem()
			}
		}
	}
	if t.Kind() == reflect.Struct {
		for name := range yamlFields(t) {
			names = append(names, name)
		}
		slices.Sort(names)
	}
	msg := fmt.Sprintf("unknown setting %q", full)
	if parent != "" {
		msg += " in " + parent
	}
	msg += suggest(key, names)
	if n := s.node(full, true); n != nil {
		return fmt.Errorf("%s:%d:%d: %s", s.file, n.Line, n.Column, msg)
	}
	return fmt.Errorf("config file %s: %s", s.file, msg)
}

// node finds the file's node of a key path such as raw[0].carrier: its
// key node, or else its value node. Keys match regardless of case, as
// viper reads them.
func (s source) node(path string, keyNode bool) *yaml.Node {
	if s.doc == nil || len(s.doc.Content) == 0 {
		return nil
	}
	n := s.doc.Content[0]
	var k *yaml.Node
	for _, part := range strings.Split(path, ".") {
		name, idx, indexed := strings.Cut(part, "[")
		if n.Kind == yaml.AliasNode {
			n = n.Alias
		}
		if n.Kind != yaml.MappingNode {
			return nil
		}
		found := false
		for i := 0; i+1 < len(n.Content); i += 2 {
			if strings.EqualFold(n.Content[i].Value, name) {
				k, n, found = n.Content[i], n.Content[i+1], true
				break
			}
		}
		if !found {
			return nil
		}
		if indexed {
			i, err := strconv.Atoi(strings.TrimSuffix(idx, "]"))
			if n.Kind != yaml.SequenceNode || err != nil || i >= len(n.Content) {
				return nil
			}
			k, n = n.Content[i], n.Content[i]
		}
	}
	if keyNode {
		return k
	}
	return n
}

// caseExact refuses keys that are not lower case: viper folds case, so
// without this "Kafka:" would be read where the strict loader refused it.
func caseExact(file string, n *yaml.Node) error {
	var errs []error
	var walk func(*yaml.Node)
	walk = func(n *yaml.Node) {
		for i, c := range n.Content {
			if n.Kind == yaml.MappingNode && i%2 == 0 && c.Kind == yaml.ScalarNode && c.Value != strings.ToLower(c.Value) {
				errs = append(errs, fmt.Errorf("%s:%d:%d: unknown setting %q; settings are lower case: did you mean %q?", file, c.Line, c.Column, c.Value, strings.ToLower(c.Value)))
			}
			walk(c)
		}
	}
	walk(n)
	return errors.Join(errs...)
}

// strictHook is the one parser of every value, whichever layer it comes
// from: defaults, the file's scalars, WISMO_ variables and flags all reach
// a scalar setting as text and are parsed by parseInto.
func strictHook(from, to reflect.Value) (any, error) {
	if !from.IsValid() {
		return from, nil
	}
	in := from.Interface()
	switch to.Type() {
	case reflect.TypeOf([]Raw(nil)):
		switch x := in.(type) {
		case string:
			return ParseRaw(splitList(x))
		case []string:
			return ParseRaw(x)
		}
		return in, nil
	case reflect.TypeOf([]Route(nil)):
		switch x := in.(type) {
		case string:
			return ParseRoutes(splitList(x))
		case []string:
			return ParseRoutes(x)
		}
		return in, nil
	case reflect.TypeOf([]string(nil)):
		if x, ok := in.(string); ok {
			return splitList(x), nil
		}
		return in, nil
	}
	switch from.Kind() {
	case reflect.Map, reflect.Slice, reflect.Struct, reflect.Pointer, reflect.Interface:
		return in, nil
	}
	switch to.Kind() {
	case reflect.String, reflect.Bool, reflect.Int, reflect.Int16, reflect.Int32, reflect.Int64:
		out := reflect.New(to.Type()).Elem()
		if err := parseInto(out, fmt.Sprint(in)); err != nil {
			return nil, err
		}
		return out.Interface(), nil
	}
	return in, nil
}

// envHint says what an unknown variable probably meant.
func envHint(name string) string {
	if to, ok := renamedEnv[name]; ok {
		return "; it is now " + to
	}
	names := make([]string, 0, len(allKeys))
	for _, k := range allKeys {
		names = append(names, EnvName(k))
	}
	return suggest(name, names)
}

// EnvName is the environment variable of a key path (kafka.sasl.password
// -> WISMO_KAFKA_SASL_PASSWORD).
func EnvName(key string) string {
	return "WISMO_" + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
}

// readSecrets reads each *_file secret into its password.
func (c *Config) readSecrets() error {
	var errs []error
	for _, s := range c.secrets() {
		if *s.file == "" {
			continue
		}
		if *s.value != "" {
			errs = append(errs, fmt.Errorf("%s and %s_file are both set: keep one", s.key, s.key))
			continue
		}
		data, err := os.ReadFile(*s.file)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s_file: %w", s.key, err))
			continue
		}
		v := strings.TrimSuffix(strings.TrimSuffix(string(data), "\n"), "\r")
		if v == "" {
			errs = append(errs, fmt.Errorf("%s_file: %s is empty", s.key, *s.file))
			continue
		}
		*s.value = v
	}
	return errors.Join(errs...)
}

type secret struct {
	key         string
	value, file *string
}

// secrets are every password of the configuration; Print masks them.
func (c *Config) secrets() []secret {
	return append([]secret{
		{"kafka.sasl.password", &c.Kafka.SASL.Password, &c.Kafka.SASL.PasswordFile},
		{"schema_registry.password", &c.SchemaRegistry.Password, &c.SchemaRegistry.PasswordFile},
		{"clickhouse.password", &c.ClickHouse.Password, &c.ClickHouse.PasswordFile},
		{"links.keys", &c.Links.Keys, &c.Links.KeysFile},
	}, c.routeSecrets()...)
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

// allKeys are the key paths of every setting, read off Config's yaml tags
// so that a new setting is reachable from the environment without anyone
// remembering to list it here.
var allKeys = leafKeys(reflect.TypeOf(Config{}), "")

// leafKeys lists the dotted key paths of t's fields, descending into nested
// structs; slices (stages, raw) and durations are single values.
func leafKeys(t reflect.Type, prefix string) []string {
	var out []string
	for name, i := range yamlFields(t) {
		f := t.Field(i)
		if f.Type.Kind() == reflect.Struct && f.Type != durationType {
			out = append(out, leafKeys(f.Type, prefix+name+".")...)
			continue
		}
		out = append(out, prefix+name)
	}
	slices.Sort(out)
	return out
}

// yamlFields maps the yaml names of t's fields to their index.
func yamlFields(t reflect.Type) map[string]int {
	out := map[string]int{}
	for i := 0; i < t.NumField(); i++ {
		name, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		if name != "" && name != "-" {
			out[name] = i
		}
	}
	return out
}

var durationType = reflect.TypeOf(time.Duration(0))

// parseInto parses s strictly by the type of f: a boolean is true or false
// (yes, on and typos are refused, not read as false), a number must fit
// its type (70000 is no replication factor, not 4464), a duration has its
// unit.
func parseInto(f reflect.Value, s string) error {
	if f.Type() == durationType {
		d, err := time.ParseDuration(strings.TrimSpace(s))
		if err != nil {
			return fmt.Errorf("%q is not a duration; write it as 500ms, 30s or 5m", s)
		}
		f.SetInt(int64(d))
		return nil
	}
	switch f.Kind() {
	case reflect.String:
		f.SetString(s)
	case reflect.Bool:
		b, err := ParseBool(s)
		if err != nil {
			return err
		}
		f.SetBool(b)
	case reflect.Int, reflect.Int16, reflect.Int32, reflect.Int64:
		bits := f.Type().Bits()
		n, err := strconv.ParseInt(strings.ReplaceAll(strings.TrimSpace(s), "_", ""), 10, bits)
		if err != nil {
			if errors.Is(err, strconv.ErrRange) {
				return fmt.Errorf("%s is out of range (at most %d)", s, int64(1)<<(bits-1)-1)
			}
			return fmt.Errorf("%q is not a whole number", s)
		}
		f.SetInt(n)
	default:
		return fmt.Errorf("setting of type %s cannot be parsed", f.Type())
	}
	return nil
}

// ParseBool is the one boolean parser of every setting and command: true
// or 1, false or 0 (any case); anything else is an error rather than a
// silent false.
func ParseBool(s string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true", "1":
		return true, nil
	case "false", "0":
		return false, nil
	}
	return false, fmt.Errorf("%q is not a boolean; write true or false", s)
}

// suggest names the closest candidate when it is near enough to be the
// intended one.
func suggest(name string, candidates []string) string {
	best, dist := "", 0
	for _, c := range candidates {
		if d := levenshtein.ComputeDistance(strings.ToLower(name), strings.ToLower(c)); best == "" || d < dist {
			best, dist = c, d
		}
	}
	if best == "" || dist > max(2, len(name)/5) {
		return ""
	}
	return fmt.Sprintf("; did you mean %q?", best)
}

// splitList splits a list written on one line, by commas or spaces.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' }) {
		out = append(out, strings.TrimSpace(p))
	}
	return out
}
