package compose

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/wismo/wismo/config"
	"github.com/wismo/wismo/normalizers"
	_ "github.com/wismo/wismo/normalizers/all"
	"go.yaml.in/yaml/v3"
)

type healthcheck struct {
	Test     []string `yaml:"test"`
	Interval string   `yaml:"interval"`
	Retries  int      `yaml:"retries"`
}

type service struct {
	Image       string            `yaml:"image"`
	Build       any               `yaml:"build"`
	Command     []string          `yaml:"command"`
	Ports       []string          `yaml:"ports"`
	Environment map[string]string `yaml:"environment"`
	DependsOn   map[string]struct {
		Condition string `yaml:"condition"`
	} `yaml:"depends_on"`
	Healthcheck *healthcheck `yaml:"healthcheck"`
	Restart     string       `yaml:"restart"`
}

type composeFile struct {
	Services map[string]service `yaml:"services"`
}

func root(t *testing.T, name string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", name))
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func load(t *testing.T) composeFile {
	t.Helper()
	var c composeFile
	if err := yaml.Unmarshal(root(t, "docker-compose.yml"), &c); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	return c
}

func TestServices(t *testing.T) {
	c := load(t)
	for _, name := range []string{"kafka", "clickhouse", "migrate", "wismo"} {
		if _, ok := c.Services[name]; !ok {
			t.Errorf("no %s service", name)
		}
	}
	if img := c.Services["kafka"].Image; !strings.HasPrefix(img, "apache/kafka:") {
		t.Errorf("kafka image %q, want apache/kafka", img)
	}
	// Current ClickHouse: the schema's optional parts (TTL, codecs) apply there.
	img := c.Services["clickhouse"].Image
	m := regexp.MustCompile(`^clickhouse/clickhouse-server:(\d+)\.`).FindStringSubmatch(img)
	if m == nil {
		t.Errorf("clickhouse image %q, want clickhouse/clickhouse-server:<major>.<minor>", img)
	} else if major, _ := strconv.Atoi(m[1]); major < 24 {
		t.Errorf("clickhouse image %q, want a current release", img)
	}
	for _, name := range []string{"migrate", "wismo"} {
		if c.Services[name].Build == nil {
			t.Errorf("%s is not built from the Dockerfile", name)
		}
	}
}

func TestPorts(t *testing.T) {
	c := load(t)
	for name, ports := range map[string][]string{
		"kafka":      {"19092:19092"},
		"clickhouse": {"8123:8123", "9000:9000"},
		"wismo":      {"9464:9464"},
	} {
		for _, p := range ports {
			found := false
			for _, got := range c.Services[name].Ports {
				found = found || got == p
			}
			if !found {
				t.Errorf("%s does not publish %s (has %v)", name, p, c.Services[name].Ports)
			}
		}
	}
	kafka := c.Services["kafka"].Environment
	if adv := kafka["KAFKA_ADVERTISED_LISTENERS"]; !strings.Contains(adv, "kafka:9092") || !strings.Contains(adv, "localhost:19092") {
		t.Errorf("kafka advertises %q: containers need kafka:9092, the host localhost:19092", adv)
	}
}

func TestHealthchecks(t *testing.T) {
	c := load(t)
	for _, name := range []string{"kafka", "clickhouse"} {
		h := c.Services[name].Healthcheck
		if h == nil || len(h.Test) < 2 || h.Test[0] != "CMD-SHELL" && h.Test[0] != "CMD" || h.Retries == 0 {
			t.Errorf("%s: healthcheck %+v", name, h)
		}
	}
	if h := c.Services["kafka"].Healthcheck; h != nil && !strings.Contains(strings.Join(h.Test, " "), "localhost:9092") {
		t.Errorf("kafka healthcheck does not ask the broker: %v", h.Test)
	}
	if h := c.Services["clickhouse"].Healthcheck; h != nil && !strings.Contains(strings.Join(h.Test, " "), "8123/ping") {
		t.Errorf("clickhouse healthcheck does not ask the server: %v", h.Test)
	}
}

func TestMigrateRunsFirst(t *testing.T) {
	c := load(t)
	m := c.Services["migrate"]
	if len(m.Command) == 0 || m.Command[0] != "migrate" {
		t.Errorf("migrate runs %v", m.Command)
	}
	if m.Restart != "no" {
		t.Errorf("migrate restart %q: it is a one-shot job", m.Restart)
	}
	if d, ok := m.DependsOn["clickhouse"]; !ok || d.Condition != "service_healthy" {
		t.Errorf("migrate does not wait for a healthy clickhouse: %+v", m.DependsOn)
	}
	if addr := m.Environment["WISMO_CLICKHOUSE_ADDR"]; !strings.Contains(addr, "clickhouse:9000") {
		t.Errorf("migrate talks to %q, want the clickhouse service's native port", addr)
	}
	w := c.Services["wismo"]
	for dep, cond := range map[string]string{"migrate": "service_completed_successfully", "kafka": "service_healthy", "clickhouse": "service_healthy"} {
		if d, ok := w.DependsOn[dep]; !ok || d.Condition != cond {
			t.Errorf("wismo depends on %s with %q, want %s", dep, d.Condition, cond)
		}
	}
	if len(w.Command) == 0 || w.Command[0] != "run" {
		t.Errorf("wismo runs %v", w.Command)
	}
	for _, k := range []string{"WISMO_KAFKA_BROKERS", "WISMO_RAW", "WISMO_CLICKHOUSE_ADDR", "WISMO_INSTANCE_ID"} {
		if w.Environment[k] == "" {
			t.Errorf("wismo has no %s", k)
		}
	}
	// Overridable, to point at a real cluster's carrier topics.
	for _, k := range []string{"WISMO_KAFKA_BROKERS", "WISMO_RAW"} {
		if !strings.HasPrefix(w.Environment[k], "${"+k+":-") {
			t.Errorf("%s = %q cannot be overridden from the environment", k, w.Environment[k])
		}
	}
}

func TestDockerfile(t *testing.T) {
	d := string(root(t, "Dockerfile"))
	for _, want := range []string{"go build", "./cmd/wismo", "CGO_ENABLED=0", "ENTRYPOINT", "EXPOSE 9464"} {
		if !strings.Contains(d, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
}

// composeDefault expands ${VAR:-default} to its default, as compose does
// with nothing set.
var composeDefault = regexp.MustCompile(`\$\{[A-Z_]+:-([^}]*)\}`)

// The settings compose passes reach wismo's configuration: each variable
// is one wismo reads, and the defaults arrive where they are meant to (the
// ClickHouse variables once went nowhere, and the sink dialled localhost).
func TestEnvironmentReachesConfig(t *testing.T) {
	c := load(t)
	for _, name := range []string{"wismo", "migrate"} {
		for k := range c.Services[name].Environment {
			if strings.HasPrefix(k, "WISMO_") && !config.KnownEnv(k) {
				t.Errorf("%s: %s is no wismo setting", name, k)
			}
		}
	}
	var env []string
	for k, v := range c.Services["wismo"].Environment {
		env = append(env, k+"="+composeDefault.ReplaceAllString(v, "$1"))
	}
	cfg, err := config.Load(nil, env)
	if err != nil {
		t.Fatalf("wismo's compose environment does not load: %v", err)
	}
	ch := cfg.ClickHouse
	if ch.Addr != "clickhouse:9000" || ch.Database != "wismo" || ch.User != "wismo" || ch.Password != "wismo" {
		t.Errorf("clickhouse settings from compose: %+v", ch)
	}
	if len(cfg.Kafka.Brokers) != 1 || cfg.Kafka.Brokers[0] != "kafka:9092" || cfg.InstanceID != "wismo-1" ||
		cfg.HTTP.Addr != ":9464" || len(cfg.Raw) != len(normalizers.Sources()) {
		t.Errorf("kafka, instance, http or raw settings from compose: %v %q %q %v", cfg.Kafka.Brokers, cfg.InstanceID, cfg.HTTP.Addr, cfg.Raw)
	}
}
