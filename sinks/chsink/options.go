// Package clickhouse stores wismo's canonical events and notification
// commands in ClickHouse for analysts: the schema migrator, the row mapping,
// a batching writer, the Kafka-to-ClickHouse sink stage, and NDJSON and
// one-shot loading for the demo.
//
// It speaks ClickHouse's native protocol (clickhouse-go v2), which works with
// ClickHouse 18.16 as well as current releases; the HTTP protocol of
// clickhouse-go does not work with 18.16. The schema itself is in
// schemas/chschema.
package chsink

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"github.com/wismo/wismo/config"
	"strings"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/wismo/wismo/schemas/chschema"
	"go.uber.org/zap"
)

// Defaults, for Options built without config.Load; config owns them (chsink
// reads config, so the constants live there and not here).
const (
	DefaultAddr      = config.DefaultClickHouseAddr
	DefaultDatabase  = config.DefaultClickHouseDatabase
	DefaultBatchRows = config.DefaultClickHouseBatchRows
	DefaultBatchAge  = config.DefaultClickHouseBatchAge
)

// Options say how to reach ClickHouse and how to batch.
type Options struct {
	// Addrs are host:port of the native protocol (default 127.0.0.1:9000).
	// Several addresses are tried in order.
	Addrs []string
	// Database holds wismo's tables (default "wismo"); an identifier.
	Database string
	// Username and Password; an empty user is ClickHouse's "default".
	Username string
	Password string
	// TLS, when set, encrypts the connection (ClickHouse's secure native
	// port, usually 9440).
	TLS *tls.Config
	// Cluster, when set, makes Migrate create the cluster variant of the
	// schema (ON CLUSTER, Replicated engines). Writing and reading do not
	// depend on it.
	Cluster string
	// UpTo stops Migrate after this migration version; 0 applies all.
	UpTo int
	// BatchRows flushes a table's buffer when it holds this many rows
	// (default 10,000).
	BatchRows int
	// BatchAge flushes when the oldest buffered row is this old (default 1 s).
	BatchAge time.Duration
	// DialTimeout bounds connecting (default 5 s).
	DialTimeout time.Duration
	// Logger receives what Migrate and the writer have to say; nil is silent.
	Logger *zap.Logger
}

func (o Options) withDefaults() Options {
	if len(o.Addrs) == 0 {
		o.Addrs = []string{DefaultAddr}
	}
	if o.Database == "" {
		o.Database = DefaultDatabase
	}
	if o.BatchRows <= 0 {
		o.BatchRows = DefaultBatchRows
	}
	if o.BatchAge <= 0 {
		o.BatchAge = DefaultBatchAge
	}
	if o.DialTimeout <= 0 {
		o.DialTimeout = 5 * time.Second
	}
	if o.Logger == nil {
		o.Logger = zap.NewNop()
	}
	return o
}

func (o Options) check() error {
	if !chschema.ValidDatabase(o.Database) {
		return fmt.Errorf("clickhouse: database %q: want letters, digits and underscores", o.Database)
	}
	return nil
}

// SplitAddrs reads a comma-separated list of host:port addresses, as the
// config file, the environment and the flags give them.
func SplitAddrs(s string) []string {
	var out []string
	for _, a := range strings.Split(s, ",") {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, a)
		}
	}
	return out
}

// Conn is what this package needs of a ClickHouse connection;
// clickhouse-go's driver.Conn has it. Tests wrap it to inject failures.
type Conn interface {
	Exec(ctx context.Context, query string, args ...any) error
	Query(ctx context.Context, query string, args ...any) (driver.Rows, error)
	PrepareBatch(ctx context.Context, query string, opts ...driver.PrepareBatchOption) (driver.Batch, error)
	ServerVersion() (*driver.ServerVersion, error)
	Ping(ctx context.Context) error
	Close() error
}

// Open connects to ClickHouse without a default database: wismo's statements
// name their database, so this works before Migrate has created it.
func Open(o Options) (driver.Conn, error) { return open(o, false) }

// OpenDatabase connects with o.Database as the default database, which the
// analyst queries (unqualified table names) need. The database must exist.
func OpenDatabase(o Options) (driver.Conn, error) { return open(o, true) }

func open(o Options, withDB bool) (driver.Conn, error) {
	o = o.withDefaults()
	if err := o.check(); err != nil {
		return nil, err
	}
	opts := &ch.Options{
		Protocol:    ch.Native,
		Addr:        o.Addrs,
		Auth:        ch.Auth{Username: o.Username, Password: o.Password},
		TLS:         o.TLS,
		DialTimeout: o.DialTimeout,
		ClientInfo:  ch.ClientInfo{Products: []struct{ Name, Version string }{{Name: "wismo", Version: "1"}}},
	}
	if withDB {
		opts.Auth.Database = o.Database
	}
	conn, err := ch.Open(opts)
	if err != nil {
		return nil, fmt.Errorf("clickhouse: open %v: %w", o.Addrs, err)
	}
	return conn, nil
}

// ServerVersion returns the server's major.minor.
func ServerVersion(conn Conn) (chschema.Version, error) {
	sv, err := conn.ServerVersion()
	if err != nil {
		return chschema.Version{}, fmt.Errorf("clickhouse: server version: %w", err)
	}
	if sv == nil || sv.Version.Major == 0 {
		return chschema.Version{}, errors.New("clickhouse: server did not say its version")
	}
	return chschema.Version{Major: int(sv.Version.Major), Minor: int(sv.Version.Minor)}, nil
}
