package kafkatest

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// OwnBroker is a single-node KRaft broker of the test's own, on free
// loopback ports, from the jars scripts/services.sh downloaded: for tests
// that stop or restart a broker, or need listeners the shared one lacks
// (which must never be restarted). It is stopped when the test ends.
type OwnBroker struct {
	// Addr is the clients' listener.
	Addr string

	t                      testing.TB
	java, classpath, props string
	logPath                string
	probe                  []kgo.Opt
	cmd                    *exec.Cmd
	exited                 chan struct{}
}

// StartBroker starts a broker of the test's own with one PLAINTEXT
// listener. Without Java or the jars it skips the test, or fails it under
// CI=true.
func StartBroker(t testing.TB) *OwnBroker {
	t.Helper()
	ports := freePorts(t, 2)
	listeners := fmt.Sprintf(`listeners=PLAINTEXT://127.0.0.1:%[1]d,CONTROLLER://127.0.0.1:%[2]d
advertised.listeners=PLAINTEXT://127.0.0.1:%[1]d
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT
`, ports[0], ports[1])
	return startOwn(t, fmt.Sprintf("127.0.0.1:%d", ports[0]), ports[1], listeners, nil, nil)
}

// startOwn formats the storage of a broker whose clients' listener is
// addr and whose controller listens on controller, with the listener
// lines given, then starts it and waits until a metadata request made with
// probe answers.
func startOwn(t testing.TB, addr string, controller int, listeners string, formatArgs []string, probe []kgo.Opt) *OwnBroker {
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
	work := t.TempDir()
	b := &OwnBroker{Addr: addr, t: t, java: java, classpath: filepath.Join(filepath.Dir(jars[0]), "*"),
		props: filepath.Join(work, "server.properties"), logPath: filepath.Join(work, "broker.log"), probe: probe}
	if err := os.WriteFile(b.props, []byte(fmt.Sprintf(`process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:%[1]d
controller.listener.names=CONTROLLER
%[2]slog.dirs=%[3]s
num.partitions=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
`, controller, listeners, filepath.Join(work, "data"))), 0o600); err != nil {
		t.Fatal(err)
	}
	id := make([]byte, 16)
	_, _ = rand.Read(id)
	args := append([]string{"-cp", b.classpath, "kafka.tools.StorageTool", "format", "-t", base64.RawURLEncoding.EncodeToString(id), "-c", b.props}, formatArgs...)
	if out, err := exec.Command(java, args...).CombinedOutput(); err != nil {
		t.Fatalf("formatting the test broker's storage: %v\n%s", err, out)
	}
	t.Cleanup(b.Stop)
	b.Start()
	return b
}

// Start starts the broker (again, after Stop, on the same ports and
// data) and waits, at most 2 minutes, until it answers.
func (b *OwnBroker) Start() {
	b.t.Helper()
	logFile, err := os.OpenFile(b.logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		b.t.Fatal(err)
	}
	// The quick compiler alone and the serial collector: a test broker
	// starts in about half the time, and its load is light.
	cmd := exec.Command(b.java, "-Xmx256m", "-Xms64m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto", "-cp", b.classpath, "kafka.Kafka", b.props)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		logFile.Close()
		b.t.Fatal(err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); logFile.Close(); close(exited) }()
	b.cmd, b.exited = cmd, exited
	cl, err := kgo.NewClient(append([]kgo.Opt{kgo.SeedBrokers(b.Addr)}, b.probe...)...)
	if err != nil {
		b.t.Fatal(err)
	}
	defer cl.Close()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		_, err := kadm.NewClient(cl).BrokerMetadata(ctx)
		cancel()
		if err == nil {
			return
		}
		select {
		case <-exited:
			log, _ := os.ReadFile(b.logPath)
			b.t.Fatalf("the test broker exited during start-up (log %s):\n%s", b.logPath, tail(log, 3000))
		default:
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(b.logPath)
			b.t.Fatalf("the test broker on %s did not answer in 2 minutes (%v):\n%s", b.Addr, err, tail(log, 3000))
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// Stop kills the broker, as a crash would, and waits for it to exit.
func (b *OwnBroker) Stop() {
	if b.cmd == nil {
		return
	}
	_ = b.cmd.Process.Kill()
	<-b.exited
	b.cmd = nil
}
