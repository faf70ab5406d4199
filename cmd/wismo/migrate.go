package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	schema "github.com/wismo/wismo/schemas/clickhouse"
	chsink "github.com/wismo/wismo/sinks/clickhouse"
)

// migrateFlags are `wismo migrate`'s settings. Each flag's default comes
// from its environment variable when set, so containers configure it with
// WISMO_CLICKHOUSE_* alone.
type migrateFlags struct {
	addr, database, user, password, cluster string
	tls, tlsSkipVerify                      bool
	tlsCA                                   string
	wait                                    time.Duration
	upTo                                    int
	print                                   bool
}

func envOr(key, def string) string {
	if v, ok := os.LookupEnv(key); ok && v != "" {
		return v
	}
	return def
}

func envBool(key string) bool {
	b, _ := strconv.ParseBool(os.Getenv(key))
	return b
}

func envDuration(key string) time.Duration {
	d, _ := time.ParseDuration(os.Getenv(key))
	return d
}

func migrateCmd() *cobra.Command {
	var f migrateFlags
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Create or update wismo's ClickHouse schema",
		Long: `Applies the ClickHouse migrations embedded in this binary (schemas/clickhouse)
to the database, in order, and records them in wismo_schema_migrations, so a
second run does nothing. It creates the database when missing. Statements that
need a newer server (TTL, codecs) are skipped on older ones and applied by a
later run once the server is upgraded. With --cluster every statement runs
ON CLUSTER with Replicated engines.

Works with ClickHouse 18.16 and current releases, over the native protocol.
Environment: WISMO_CLICKHOUSE_ADDR, _DATABASE, _USER, _PASSWORD, _TLS,
_TLS_CA, _TLS_SKIP_VERIFY, _CLUSTER, _WAIT set the defaults of the flags.`,
		Args:         cobra.NoArgs,
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if f.print {
				return printMigrations(cmd.OutOrStdout(), f)
			}
			return runMigrate(cmd.Context(), cmd.OutOrStdout(), f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.addr, "clickhouse", envOr("WISMO_CLICKHOUSE_ADDR", chsink.DefaultAddr), "ClickHouse native-protocol address(es), host:port, comma-separated")
	fl.StringVar(&f.database, "database", envOr("WISMO_CLICKHOUSE_DATABASE", chsink.DefaultDatabase), "database for wismo's tables")
	fl.StringVar(&f.user, "user", envOr("WISMO_CLICKHOUSE_USER", ""), "user (default: ClickHouse's default user)")
	fl.StringVar(&f.password, "password", envOr("WISMO_CLICKHOUSE_PASSWORD", ""), "password")
	fl.BoolVar(&f.tls, "tls", envBool("WISMO_CLICKHOUSE_TLS"), "connect with TLS (ClickHouse's secure native port, usually 9440)")
	fl.StringVar(&f.tlsCA, "tls-ca", envOr("WISMO_CLICKHOUSE_TLS_CA", ""), "PEM file of the CA that signed the server's certificate (implies --tls)")
	fl.BoolVar(&f.tlsSkipVerify, "tls-skip-verify", envBool("WISMO_CLICKHOUSE_TLS_SKIP_VERIFY"), "do not verify the server's certificate (testing only)")
	fl.StringVar(&f.cluster, "cluster", envOr("WISMO_CLICKHOUSE_CLUSTER", ""), "cluster name: create the replicated schema ON CLUSTER")
	fl.DurationVar(&f.wait, "wait", envDuration("WISMO_CLICKHOUSE_WAIT"), "keep trying to reach ClickHouse this long before giving up (e.g. 60s in a container that starts with the server)")
	fl.IntVar(&f.upTo, "up-to", 0, "apply migrations up to this version only (0: all)")
	fl.BoolVar(&f.print, "print", false, "print the statements (with --database and --cluster applied) instead of running them")
	return cmd
}

func (f migrateFlags) options() (chsink.Options, error) {
	o := chsink.Options{
		Database: f.database, Username: f.user, Password: f.password, Cluster: f.cluster, UpTo: f.upTo,
	}
	o.Addrs = chsink.SplitAddrs(f.addr)
	if len(o.Addrs) == 0 {
		return o, errors.New("--clickhouse: no address")
	}
	if !schema.ValidDatabase(f.database) {
		return o, fmt.Errorf("--database %q: want letters, digits and underscores", f.database)
	}
	if f.tls || f.tlsCA != "" || f.tlsSkipVerify {
		cfg := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: f.tlsSkipVerify}
		if f.tlsCA != "" {
			pem, err := os.ReadFile(f.tlsCA)
			if err != nil {
				return o, fmt.Errorf("--tls-ca: %w", err)
			}
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(pem) {
				return o, fmt.Errorf("--tls-ca: no certificate in %s", f.tlsCA)
			}
			cfg.RootCAs = pool
		}
		o.TLS = cfg
	}
	return o, nil
}

func runMigrate(ctx context.Context, out io.Writer, f migrateFlags) error {
	o, err := f.options()
	if err != nil {
		return err
	}
	conn, err := chsink.Open(o)
	if err != nil {
		return err
	}
	defer conn.Close()
	deadline := time.Now().Add(f.wait)
	for {
		pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err = conn.Ping(pctx)
		cancel()
		if err == nil {
			break
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("ClickHouse at %s: %w", strings.Join(o.Addrs, ","), err)
		}
		fmt.Fprintf(out, "waiting for ClickHouse at %s: %v\n", strings.Join(o.Addrs, ","), err)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(2 * time.Second):
		}
	}
	res, err := chsink.Migrate(ctx, conn, o)
	if res != nil {
		where := "database " + res.Database
		if res.Cluster != "" {
			where += " on cluster " + res.Cluster
		}
		fmt.Fprintf(out, "ClickHouse %s, %s\n", res.Server, where)
		for _, a := range res.Applied {
			state := fmt.Sprintf("applied (%d statements)", a.Statements)
			if a.Already {
				state = "already applied"
				if a.Statements > 0 {
					state = fmt.Sprintf("already applied; %d statements for the upgraded server applied now", a.Statements)
				}
			}
			if a.Skipped > 0 {
				state += fmt.Sprintf("; %d skipped until the server is upgraded", a.Skipped)
			}
			fmt.Fprintf(out, "  %04d %-20s %s\n", a.Version, a.Name, state)
		}
	}
	return err
}

func printMigrations(out io.Writer, f migrateFlags) error {
	if !schema.ValidDatabase(f.database) {
		return fmt.Errorf("--database %q: want letters, digits and underscores", f.database)
	}
	ms, err := schema.Migrations()
	if err != nil {
		return err
	}
	for _, m := range ms {
		if f.upTo > 0 && m.Version > f.upTo {
			break
		}
		fmt.Fprintf(out, "-- %s\n", m.File)
		for _, st := range m.Statements {
			if st.Optional() {
				fmt.Fprintf(out, "-- requires: %s\n", st.Requires)
			}
			fmt.Fprintf(out, "%s;\n\n", schema.ForCluster(schema.Render(st.SQL, f.database), f.database, f.cluster))
		}
	}
	return nil
}
