package runner_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/wismo/wismo/config"
	"github.com/wismo/wismo/internal/chtest"
	"github.com/wismo/wismo/internal/kafkatest"
	"github.com/wismo/wismo/pipeline/runner"
	"go.uber.org/zap"
)

// load is a detect-only instance's configuration that creates no topics,
// so that runner.New talks to the brokers only to check them.
func load(t *testing.T, env ...string) *config.Config {
	t.Helper()
	cfg, err := config.Load(nil, append([]string{"WISMO_STAGES=detect", "WISMO_TOPICS_CREATE=false",
		"WISMO_HTTP_ADDR=127.0.0.1:0", "WISMO_INSTANCE_ID=" + strings.ReplaceAll(t.Name(), "/", "-")}, env...))
	if err != nil {
		t.Fatal(err)
	}
	return cfg
}

func closedAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// A broker address where nothing listens stops the instance at start,
// naming the address and the setting that bounds the wait (it once logged
// "wismo running" and retried for ever).
func TestStartupClosedPort(t *testing.T) {
	addr := closedAddr(t)
	_, err := runner.New(t.Context(), load(t, "WISMO_KAFKA_BROKERS="+addr, "WISMO_KAFKA_CONNECT_TIMEOUT=2s"), zap.NewNop())
	if err == nil {
		t.Fatal("runner.New succeeded with no broker")
	}
	for _, want := range []string{"kafka.brokers " + addr, "kafka.connect_timeout", "connection refused"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

// A wrong SCRAM password, against a real broker with a SASL listener, is
// fatal at once, with the broker and the settings to check; the right one
// passes.
func TestStartupWrongSASLPassword(t *testing.T) {
	b := kafkatest.StartSASLBroker(t)
	env := []string{"WISMO_KAFKA_BROKERS=" + b.Addr, "WISMO_KAFKA_SASL_MECHANISM=SCRAM-SHA-512",
		"WISMO_KAFKA_SASL_USERNAME=" + b.User, "WISMO_KAFKA_CONNECT_TIMEOUT=10m"}
	_, err := runner.New(t.Context(), load(t, append(env, "WISMO_KAFKA_SASL_PASSWORD=wrong")...), zap.NewNop())
	if err == nil {
		t.Fatal("runner.New succeeded with a wrong password")
	}
	for _, want := range []string{b.Addr, "refused the SASL login", b.User, "kafka.sasl.password"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if _, err := runner.New(t.Context(), load(t, append(env, "WISMO_KAFKA_SASL_PASSWORD="+b.Password)...), zap.NewNop()); err != nil {
		t.Errorf("the right password: %v", err)
	}
}

// With clickhouse.migrate false the sink still checks ClickHouse at start:
// a wrong password against the real server is fatal at once.
func TestStartupClickHouseWrongPassword(t *testing.T) {
	srv := chtest.New(t)
	brokers := kafkatest.Brokers(t)
	cfg := load(t, "WISMO_KAFKA_BROKERS="+strings.Join(brokers, ","), "WISMO_STAGES=sink", "WISMO_CLICKHOUSE_MIGRATE=false",
		"WISMO_CLICKHOUSE_ADDR="+srv.Addr, "WISMO_CLICKHOUSE_USER=default", "WISMO_CLICKHOUSE_PASSWORD=wrong",
		"WISMO_CLICKHOUSE_CONNECT_TIMEOUT=10m")
	_, err := runner.New(t.Context(), cfg, zap.NewNop())
	if err == nil {
		t.Fatal("runner.New succeeded with a wrong ClickHouse password")
	}
	for _, want := range []string{srv.Addr, "login refused", "clickhouse.password"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

// /readyz turns false, naming the stage and the broker, while a stage's
// client cannot reach its broker.
func TestReadyzFalseWhileBrokerUnreachable(t *testing.T) {
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1))
	if err != nil {
		t.Fatal(err)
	}
	cfg := load(t, "WISMO_KAFKA_BROKERS="+strings.Join(cluster.ListenAddrs(), ","), "WISMO_TOPICS_CREATE=true",
		"WISMO_TOPICS_PARTITIONS=1", "WISMO_TOPICS_REPLICATION_FACTOR=1")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r, err := runner.New(ctx, cfg, zap.NewNop())
	if err != nil {
		t.Fatal(err)
	}
	addr, err := r.Serve()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- r.Run(ctx) }()
	kafkatest.WaitFor(t, "ready", 30*time.Second, func() bool { code, _ := runner.HTTPGet(t, "http://"+addr+"/readyz"); return code == http.StatusOK })
	brokerAddr := cluster.ListenAddrs()[0]
	cluster.Close()
	var body string
	kafkatest.WaitFor(t, "not ready after the broker went away", 60*time.Second, func() bool {
		var code int
		code, body = runner.HTTPGet(t, "http://"+addr+"/readyz")
		return code == http.StatusServiceUnavailable
	})
	if !strings.Contains(body, "cannot reach Kafka: detect") || !strings.Contains(body, brokerAddr) {
		t.Errorf("/readyz says %q, want the stage and the broker", body)
	}
	cancel()
	select { // the stage drains against a broker that is gone: do not wait long
	case <-done:
	case <-time.After(20 * time.Second):
	}
}

// A certificate that does not verify is fatal at once, with the TLS
// setting to check; TLS against a plaintext listener (the broker hangs up)
// fails within the timeout with a hint at the listener's protocol.
func TestStartupTLSRefusals(t *testing.T) {
	srv := httptest.NewTLSServer(http.NotFoundHandler()) // a certificate no system root signed
	defer srv.Close()
	tlsAddr := strings.TrimPrefix(srv.URL, "https://")
	for _, c := range []struct {
		brokers, timeout, want string
	}{
		{tlsAddr, "10m", "certificate does not verify; check kafka.tls.ca_file"},
		{strings.Join(kafkatest.Brokers(t), ","), "3s", "is TLS misconfigured"},
	} {
		_, err := runner.New(t.Context(), load(t, "WISMO_KAFKA_BROKERS="+c.brokers, "WISMO_KAFKA_TLS_ENABLED=true",
			"WISMO_KAFKA_CONNECT_TIMEOUT="+c.timeout), zap.NewNop())
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), c.brokers) {
			t.Errorf("%s: err = %v, want it to say %q", c.brokers, err, c.want)
		}
	}
}

// A ClickHouse that does not answer (rather than refusing) is the sink's
// ordinary outage when there is no schema to apply: the instance starts,
// the sink unready, and retries. With clickhouse.migrate it cannot start,
// and says so within clickhouse.connect_timeout, naming the address.
func TestStartupClickHouseDown(t *testing.T) {
	brokers := strings.Join(kafkatest.Brokers(t), ",")
	addr := closedAddr(t)
	env := []string{"WISMO_KAFKA_BROKERS=" + brokers, "WISMO_STAGES=sink", "WISMO_CLICKHOUSE_ADDR=" + addr, "WISMO_CLICKHOUSE_CONNECT_TIMEOUT=2s"}
	if _, err := runner.New(t.Context(), load(t, append(env, "WISMO_CLICKHOUSE_MIGRATE=false")...), zap.NewNop()); err != nil {
		t.Errorf("migrate false, ClickHouse down: %v; want the instance to start", err)
	}
	_, err := runner.New(t.Context(), load(t, append(env, "WISMO_CLICKHOUSE_MIGRATE=true")...), zap.NewNop())
	if err == nil || !strings.Contains(err.Error(), "clickhouse at "+addr+": no answer within 2s (clickhouse.connect_timeout)") {
		t.Errorf("migrate true, ClickHouse down: err = %v", err)
	}
}
