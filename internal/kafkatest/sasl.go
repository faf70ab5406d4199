package kafkatest

import (
	"fmt"
	"net"
	"strings"
	"testing"

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
	ports := freePorts(t, 3)
	b := SASLBroker{Addr: fmt.Sprintf("127.0.0.1:%d", ports[0]), User: "wismo-test", Password: "wismo-test-secret"}
	// Clients on SASL_PLAINTEXT; the broker talks to itself on PLAINTEXT,
	// so that only the test user needs credentials.
	listeners := fmt.Sprintf(`listeners=SASL_PLAINTEXT://127.0.0.1:%[1]d,PLAINTEXT://127.0.0.1:%[2]d,CONTROLLER://127.0.0.1:%[3]d
advertised.listeners=SASL_PLAINTEXT://127.0.0.1:%[1]d,PLAINTEXT://127.0.0.1:%[2]d
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT
sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
`, ports[0], ports[1], ports[2])
	startOwn(t, b.Addr, ports[2], listeners,
		[]string{"--add-scram", fmt.Sprintf("SCRAM-SHA-512=[name=%s,password=%s]", b.User, b.Password)},
		[]kgo.Opt{kgo.SASL(scram.Auth{User: b.User, Pass: b.Password}.AsSha512Mechanism())})
	return b
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
