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
	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"
)

// Flags registers the command-line flags that override file and environment.
// No flag carries a secret: a password on the command line shows in ps.
func Flags(fs *pflag.FlagSet) {
	fs.String("config", "", "config file (YAML)")
	fs.StringSlice("brokers", nil, "Kafka seed brokers (kafka.brokers)")
	fs.StringSlice("stages", nil, "stages to run, of "+strings.Join(KnownStages, ", ")+" (stages)")
	fs.StringArray("raw", nil, "raw topic binding TOPIC=CARRIER[:FORMAT], repeatable (raw)")
	fs.String("instance-id", "", "stable id of this instance; its transactional ids derive from it (instance_id)")
	fs.String("encoding", "", "avro or json (encoding)")
	fs.String("http-addr", "", "address of /metrics, /healthz, /readyz (http.addr)")
	fs.String("log-level", "", "debug, info, warn or error (log.level)")
	fs.Bool(allowUnknownEnvFlag, false, "warn about unknown WISMO_* variables instead of refusing them (as "+UnknownEnvVar+"=warn)")
}

const allowUnknownEnvFlag = "allow-unknown-env"

var flagKeys = map[string]string{
	"brokers": "kafka.brokers", "stages": "stages", "instance-id": "instance_id", "raw": "raw",
	"encoding": "encoding", "http-addr": "http.addr", "log-level": "log.level",
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
	c := &Config{}
	d := &setter{c: c}
	defaults(d)
	if d.err != nil {
		return nil, d.err
	}
	if fs != nil {
		if f := fs.Lookup("config"); f != nil && f.Value.String() != "" {
			if err := loadFile(c, f.Value.String()); err != nil {
				return nil, err
			}
		}
	}
	if err := c.loadEnv(fs, env); err != nil {
		return nil, err
	}
	if err := c.loadFlags(fs, flags); err != nil {
		return nil, err
	}
	if err := c.readSecrets(); err != nil {
		return nil, err
	}
	return c, nil
}

// loadEnv applies the WISMO_* variables. They are given explicitly, so
// that tests can pass their own.
func (c *Config) loadEnv(fs *pflag.FlagSet, env []string) error {
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
		if err := c.set(key, val); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", k, err))
		}
	}
	return errors.Join(errs...)
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

func (c *Config) loadFlags(fs *pflag.FlagSet, flags map[string]string) error {
	if fs == nil {
		return nil
	}
	var errs []error
	for flag, key := range flags {
		f := fs.Lookup(flag)
		if f == nil || !f.Changed {
			continue
		}
		var err error
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			err = c.setList(key, sv.GetSlice())
		} else {
			err = c.set(key, f.Value.String())
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("--%s: %w", flag, err))
		}
	}
	return errors.Join(errs...)
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
	return []secret{
		{"kafka.sasl.password", &c.Kafka.SASL.Password, &c.Kafka.SASL.PasswordFile},
		{"schema_registry.password", &c.SchemaRegistry.Password, &c.SchemaRegistry.PasswordFile},
		{"clickhouse.password", &c.ClickHouse.Password, &c.ClickHouse.PasswordFile},
	}
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

// field is the settable field of a key path, or an invalid Value.
func (c *Config) field(key string) reflect.Value {
	v := reflect.ValueOf(c).Elem()
	for _, name := range strings.Split(key, ".") {
		if v.Kind() != reflect.Struct || v.Type() == durationType {
			return reflect.Value{}
		}
		i, ok := yamlFields(v.Type())[name]
		if !ok {
			return reflect.Value{}
		}
		v = v.Field(i)
	}
	return v
}

// set parses s into the setting key: the one parser of the environment,
// the file's values, flags and defaults.
func (c *Config) set(key, s string) error {
	f := c.field(key)
	if !f.IsValid() {
		return fmt.Errorf("no setting %s", key)
	}
	return parseInto(f, s)
}

func (c *Config) setList(key string, items []string) error {
	f := c.field(key)
	if !f.IsValid() {
		return fmt.Errorf("no setting %s", key)
	}
	return setList(f, items)
}

func setList(f reflect.Value, items []string) error {
	switch f.Interface().(type) {
	case []string:
		f.Set(reflect.ValueOf(slices.Clone(items)))
	case []Raw:
		raws, err := ParseRaw(items)
		if err != nil {
			return err
		}
		f.Set(reflect.ValueOf(raws))
	default:
		return fmt.Errorf("a list is given, but the setting is a single %s", f.Type())
	}
	return nil
}

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
	case reflect.Slice:
		return setList(f, splitList(s))
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

// setter gives defaults SetDefault(key, value); a value is written as the
// environment would write it.
type setter struct {
	c   *Config
	err error
}

func (s *setter) SetDefault(key string, v any) {
	var err error
	if list, ok := v.([]string); ok {
		err = s.c.setList(key, list)
	} else {
		err = s.c.set(key, fmt.Sprint(v))
	}
	if err != nil && s.err == nil {
		s.err = fmt.Errorf("config: default of %s: %w", key, err)
	}
}

// loadFile lays the YAML file over the defaults. Every key must be a
// setting: a misspelt key is an error with its line and the likely name,
// not a setting silently left at its default.
func loadFile(c *Config, path string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("config file: %w", err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return fmt.Errorf("config file %s: %w", path, err)
	}
	if len(doc.Content) == 0 {
		return nil
	}
	d := fileDecoder{file: path}
	d.decode(doc.Content[0], reflect.ValueOf(c).Elem(), "")
	return errors.Join(d.errs...)
}

type fileDecoder struct {
	file string
	errs []error
}

func (d *fileDecoder) fail(n *yaml.Node, format string, args ...any) {
	d.errs = append(d.errs, fmt.Errorf("%s:%d:%d: %s", d.file, n.Line, n.Column, fmt.Sprintf(format, args...)))
}

func (d *fileDecoder) decode(n *yaml.Node, v reflect.Value, key string) {
	if n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	t := v.Type()
	switch {
	case t.Kind() == reflect.Struct && t != durationType:
		if n.Kind != yaml.MappingNode {
			d.fail(n, "%s: want a block of settings, not %q", orTop(key), n.Value)
			return
		}
		fields := yamlFields(t)
		names := make([]string, 0, len(fields))
		for name := range fields {
			names = append(names, name)
		}
		slices.Sort(names)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, val := n.Content[i], n.Content[i+1]
			idx, ok := fields[k.Value]
			if !ok {
				d.fail(k, "unknown setting %q%s%s", join(key, k.Value), where(key), suggest(k.Value, names))
				continue
			}
			d.decode(val, v.Field(idx), join(key, k.Value))
		}
	case t.Kind() == reflect.Slice && n.Kind == yaml.SequenceNode:
		out := reflect.MakeSlice(t, len(n.Content), len(n.Content))
		for i, item := range n.Content {
			if t.Elem().Kind() != reflect.Struct && item.Kind != yaml.ScalarNode {
				d.fail(item, "%s[%d]: want a single value", key, i)
				continue
			}
			if item.Kind == yaml.ScalarNode && t.Elem().Kind() == reflect.String {
				out.Index(i).SetString(item.Value)
				continue
			}
			d.decode(item, out.Index(i), fmt.Sprintf("%s[%d]", key, i))
		}
		v.Set(out)
	case n.Kind != yaml.ScalarNode:
		d.fail(n, "%s: want a single value", key)
	case n.Tag == "!!null":
		v.Set(reflect.Zero(t))
	default:
		if err := parseInto(v, n.Value); err != nil {
			d.fail(n, "%s: %v", key, err)
		}
	}
}

func join(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

func orTop(key string) string {
	if key == "" {
		return "the file"
	}
	return key
}

func where(key string) string {
	if key == "" {
		return ""
	}
	return " in " + key
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
