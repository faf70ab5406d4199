package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/wismo/wismo/config"
)

// reach follows, from franz-go's connect hooks, whether a stage's clients
// reach their brokers: the last attempt to each broker failed or not. A
// failure nobody retried for staleAfter is dropped, so that a broker gone
// from the cluster for good does not keep the stage unready.
type reach struct {
	mu      sync.Mutex
	failing map[string]failure
}

type failure struct {
	err error
	at  time.Time
}

const staleAfter = 30 * time.Second

func (r *reach) OnBrokerConnect(meta kgo.BrokerMetadata, _ time.Duration, _ net.Conn, err error) {
	addr := net.JoinHostPort(meta.Host, strconv.Itoa(int(meta.Port)))
	r.mu.Lock()
	defer r.mu.Unlock()
	if err == nil {
		delete(r.failing, addr)
		return
	}
	if r.failing == nil {
		r.failing = map[string]failure{}
	}
	// A dial cut short by the caller's deadline says less than the refusal
	// before it.
	if prev, ok := r.failing[addr]; ok && isTimeout(err) && !isTimeout(prev.err) {
		err = prev.err
	}
	r.failing[addr] = failure{err, time.Now()}
}

// problem names the brokers whose last connection failed, or "".
func (r *reach) problem() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	for addr, f := range r.failing {
		if time.Since(f.at) < staleAfter {
			out = append(out, addr+": "+f.err.Error())
		}
	}
	slices.Sort(out)
	return strings.Join(out, "; ")
}

// CheckBrokers asks the brokers for their metadata with the stages' client
// options, so that a wrong address, port, certificate or password stops
// the instance at start with the broker named, instead of the stages
// retrying in silence. A refused login or certificate fails at once; no
// answer fails after kafka.connect_timeout.
func CheckBrokers(ctx context.Context, kopts []kgo.Opt, k config.Kafka) error {
	seen := &reach{}
	cl, err := kgo.NewClient(append(slices.Clone(kopts), kgo.WithHooks(seen))...)
	if err != nil {
		return fmt.Errorf("kafka: %w", err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(ctx, k.ConnectTimeout)
	defer cancel()
	seeds := strings.Join(k.Brokers, ",")
	for {
		_, err := kadm.NewClient(cl).BrokerMetadata(ctx)
		if err == nil {
			return nil
		}
		if fatal := kafkaRefused(err, k); fatal != "" {
			return fmt.Errorf("kafka.brokers %s: %s: %w", seeds, fatal, err)
		}
		if errors.Is(ctx.Err(), context.Canceled) {
			return fmt.Errorf("kafka.brokers %s: stopped before a broker answered: %w", seeds, ctx.Err())
		}
		if ctx.Err() != nil {
			why := seen.problem()
			if why == "" {
				why = err.Error()
			}
			return fmt.Errorf("kafka.brokers %s: no broker answered within %s (kafka.connect_timeout): %s; check the addresses, that the brokers run%s",
				seeds, k.ConnectTimeout, why, listenerHint(why))
		}
		select {
		case <-ctx.Done():
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// kafkaRefused says what to fix when err will not heal by retrying, else "".
func kafkaRefused(err error, k config.Kafka) string {
	switch {
	case errors.Is(err, kerr.SaslAuthenticationFailed), errors.Is(err, kerr.IllegalSaslState):
		return fmt.Sprintf("the brokers refused the SASL login of user %q (%s); check kafka.sasl.username and kafka.sasl.password", k.SASL.Username, k.SASL.Mechanism)
	case errors.Is(err, kerr.UnsupportedSaslMechanism):
		return fmt.Sprintf("the brokers do not offer SASL mechanism %s; set kafka.sasl.mechanism to one they do", k.SASL.Mechanism)
	case errors.Is(err, kerr.ClusterAuthorizationFailed), errors.Is(err, kerr.TopicAuthorizationFailed):
		return "the brokers deny this user; grant it access (ACLs) or use another kafka.sasl.username"
	}
	return config.TLSProblem("kafka.tls", err)
}

// listenerHint: a broker that hangs up at once usually has TLS or SASL on
// that listener and the client not (or the other way round).
func listenerHint(why string) string {
	if strings.Contains(why, io.EOF.Error()) || strings.Contains(why, syscall.ECONNRESET.Error()) {
		return ", and that kafka.tls and kafka.sasl match the listener"
	}
	return ""
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()
}
