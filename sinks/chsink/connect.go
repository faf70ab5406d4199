package chsink

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/wismo/wismo/config"
)

// OptionsFrom turns the clickhouse.* settings into connection and batching
// options; `wismo run` and `wismo migrate` share it.
func OptionsFrom(c config.ClickHouse) (Options, error) {
	o := Options{Addrs: SplitAddrs(c.Addr), Database: c.Database, Username: c.User, Password: c.Password,
		Cluster: c.Cluster, BatchRows: c.BatchRows, BatchAge: c.BatchAge}
	tc, err := c.TLS.Config("clickhouse.tls")
	if err != nil {
		return o, err
	}
	o.TLS = tc
	return o, nil
}

// ClickHouse's error codes that waiting does not heal: the credentials or
// the client's address are refused.
var refusedCodes = map[int32]bool{
	192: true, // UNKNOWN_USER
	193: true, // WRONG_PASSWORD
	194: true, // REQUIRED_PASSWORD
	195: true, // IP_ADDRESS_NOT_ALLOWED
	497: true, // ACCESS_DENIED
	516: true, // AUTHENTICATION_FAILED
}

// ErrNoAnswer is wrapped by WaitReachable's error when ClickHouse did not
// answer in time (rather than refusing the login).
var ErrNoAnswer = errors.New("no answer")

// WaitReachable pings ClickHouse until it answers, for at most timeout.
// A refused login or a certificate that does not verify ends the wait at
// once with an error that says which setting to fix; an unreachable server
// is retried, each failure passed to waiting (which may be nil), and named
// with its address when the time is up.
func WaitReachable(ctx context.Context, conn Conn, addrs []string, timeout time.Duration, waiting func(error)) error {
	where := strings.Join(addrs, ",")
	deadline := time.Now().Add(timeout)
	for {
		pctx, cancel := context.WithTimeout(ctx, min(5*time.Second, max(time.Until(deadline), time.Millisecond)))
		err := conn.Ping(pctx)
		cancel()
		if err == nil {
			return nil
		}
		if fatal := refused(err); fatal != "" {
			return fmt.Errorf("clickhouse at %s: %s: %w", where, fatal, err)
		}
		if ctx.Err() != nil {
			return fmt.Errorf("clickhouse at %s: %w", where, ctx.Err())
		}
		if !time.Now().Before(deadline) {
			return fmt.Errorf("clickhouse at %s: %w within %s (clickhouse.connect_timeout); check clickhouse.addr and that the server runs: %w", where, ErrNoAnswer, timeout, err)
		}
		if waiting != nil {
			waiting(err)
		}
		select {
		case <-ctx.Done():
		case <-time.After(min(time.Second, max(time.Until(deadline), time.Millisecond))):
		}
	}
}

// refused says what to fix when err will not heal by retrying, else "".
func refused(err error) string {
	var ex *ch.Exception
	if errors.As(err, &ex) && refusedCodes[ex.Code] {
		return "login refused; check clickhouse.user and clickhouse.password (or clickhouse.password_file)"
	}
	return config.TLSProblem("clickhouse.tls", err)
}
