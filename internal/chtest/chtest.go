// Package chtest gives integration tests the real ClickHouse server that
// scripts/services.sh runs on loopback, and a fresh database per test.
//
// Like kafkatest: outside CI a missing server skips the test, so `go test
// ./...` works on a laptop without ClickHouse; in CI (CI=true) it fails the
// test, because a test that needs the server must never pass by not running.
package chtest

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	ch "github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
)

// Server is a reachable ClickHouse and a database reserved for one test.
type Server struct {
	// Addr is host:port of the native protocol.
	Addr string
	// Database is a fresh name, unique to the test. It does not exist yet
	// (so a test can check that its code creates it); it is dropped when the
	// test ends.
	Database string
	// Conn is connected without a default database; it is closed when the
	// test ends.
	Conn driver.Conn
	// Version is the server's version string ("18.16.1").
	Version string
}

// Addr returns the server address: WISMO_TEST_CLICKHOUSE, default
// 127.0.0.1:9000.
func Addr() string {
	if a := os.Getenv("WISMO_TEST_CLICKHOUSE"); a != "" {
		return a
	}
	return "127.0.0.1:9000"
}

var seq atomic.Int64

var unsafe = regexp.MustCompile(`[^a-z0-9_]+`)

// New connects to the server (skipping or failing the test when it does not
// answer, see the package comment) and reserves a database for the test.
func New(t testing.TB) *Server {
	t.Helper()
	addr := Addr()
	conn, err := ch.Open(&ch.Options{Protocol: ch.Native, Addr: []string{addr}, DialTimeout: 3 * time.Second})
	var version string
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err = conn.Ping(ctx); err == nil {
			var sv *driver.ServerVersion
			if sv, err = conn.ServerVersion(); err == nil {
				version = fmt.Sprintf("%d.%d.%d", sv.Version.Major, sv.Version.Minor, sv.Version.Patch)
			}
		}
		if err != nil {
			_ = conn.Close()
		}
	}
	if err != nil {
		msg := fmt.Sprintf("no ClickHouse at %s (%v); start one with scripts/services.sh up clickhouse", addr, err)
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	name := unsafe.ReplaceAllString(strings.ToLower(t.Name()), "_")
	if len(name) > 40 {
		name = name[:40]
	}
	db := fmt.Sprintf("wismo_test_%s_%d_%d", strings.Trim(name, "_"), time.Now().UnixNano()%1_000_000_000, seq.Add(1))
	s := &Server{Addr: addr, Database: db, Conn: conn, Version: version}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+db); err != nil {
			t.Logf("chtest: drop database %s: %v", db, err)
		}
		_ = conn.Close()
	})
	return s
}

// Count returns the result of a query that yields one unsigned number, such
// as SELECT count() FROM db.t, failing the test on error.
func (s *Server) Count(t testing.TB, query string) uint64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var n uint64
	if err := s.Conn.QueryRow(ctx, query).Scan(&n); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	return n
}
