package kafkatest

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl/scram"
)

// SASLBroker is a Kafka broker of the test's own with a SASL_PLAINTEXT
// listener that takes SCRAM-SHA-512 for User and Password.
type SASLBroker struct {
	Addr           string
	User, Password string
}

// StartSASLBroker starts a single-node KRaft broker of the test's own, on
// free loopback ports, from the jars scripts/services.sh downloaded (the
// shared broker has no SASL listener, and must not be restarted). It is
// stopped when the test ends. Without Java or the jars it skips the test,
// or fails it under CI=true.
func StartSASLBroker(t testing.TB) SASLBroker {
	t.Helper()
	missing := func(msg string) {
		msg += "; run scripts/services.sh up kafka once to download the Kafka jars"
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	dir := os.Getenv("WISMO_SERVICES_DIR")
	if dir == "" {
		home, _ := os.UserHomeDir()
		dir = filepath.Join(home, ".cache", "wismo-services")
	}
	jars, _ := filepath.Glob(filepath.Join(dir, "kafka-*", "libs", "kafka_2.13-*.jar"))
	if len(jars) == 0 {
		missing("no Kafka jars under " + dir)
	}
	java, err := exec.LookPath("java")
	if err != nil {
		missing("java not found")
	}
	classpath := filepath.Join(filepath.Dir(jars[0]), "*")
	ports := freePorts(t, 3)
	b := SASLBroker{Addr: fmt.Sprintf("127.0.0.1:%d", ports[0]), User: "wismo-test", Password: "wismo-test-secret"}
	work := t.TempDir()
	props := filepath.Join(work, "server.properties")
	// Clients on SASL_PLAINTEXT; the broker talks to itself on PLAINTEXT,
	// so that only the test user needs credentials.
	if err := os.WriteFile(props, []byte(fmt.Sprintf(`process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:%[3]d
listeners=SASL_PLAINTEXT://127.0.0.1:%[1]d,PLAINTEXT://127.0.0.1:%[2]d,CONTROLLER://127.0.0.1:%[3]d
advertised.listeners=SASL_PLAINTEXT://127.0.0.1:%[1]d,PLAINTEXT://127.0.0.1:%[2]d
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT
sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
log.dirs=%[4]s
num.partitions=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
`, ports[0], ports[1], ports[2], filepath.Join(work, "data"))), 0o600); err != nil {
		t.Fatal(err)
	}
	id := make([]byte, 16)
	_, _ = rand.Read(id)
	format := exec.Command(java, "-cp", classpath, "kafka.tools.StorageTool", "format", "-t", base64.RawURLEncoding.EncodeToString(id),
		"-c", props, "--add-scram", fmt.Sprintf("SCRAM-SHA-512=[name=%s,password=%s]", b.User, b.Password))
	if out, err := format.CombinedOutput(); err != nil {
		t.Fatalf("formatting the SASL broker's storage: %v\n%s", err, out)
	}
	logPath := filepath.Join(work, "broker.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(java, "-Xmx256m", "-Xms64m", "-cp", classpath, "kafka.Kafka", props)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); logFile.Close(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	cl, err := kgo.NewClient(kgo.SeedBrokers(b.Addr), kgo.SASL(scram.Auth{User: b.User, Pass: b.Password}.AsSha512Mechanism()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		_, err := kadm.NewClient(cl).BrokerMetadata(ctx)
		cancel()
		if err == nil {
			return b
		}
		select {
		case <-exited:
			log, _ := os.ReadFile(logPath)
			t.Fatalf("the SASL broker exited during start-up (log %s):\n%s", logPath, tail(log, 3000))
		default:
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(logPath)
			t.Fatalf("the SASL broker on %s did not answer in 2 minutes (%v):\n%s", b.Addr, err, tail(log, 3000))
		}
		time.Sleep(500 * time.Millisecond)
	}
}

func tail(b []byte, n int) string {
	if len(b) > n {
		b = b[len(b)-n:]
	}
	return strings.TrimSpace(string(b))
}

// freePorts finds n loopback ports nobody listens on now.
func freePorts(t testing.TB, n int) []int {
	t.Helper()
	var out []int
	var lns []net.Listener
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		lns = append(lns, ln)
		out = append(out, ln.Addr().(*net.TCPAddr).Port)
	}
	for _, ln := range lns {
		ln.Close()
	}
	return out
}
