package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/wismo/wismo/config"
	"github.com/wismo/wismo/schemas/chschema"
	"github.com/wismo/wismo/sinks/chsink"
)

// migrateFlags are `wismo migrate`'s own flags; the connection settings
// are the clickhouse.* settings of `wismo run` (file, WISMO_CLICKHOUSE_*
// variables, the flags below), read by the same loader.
type migrateFlags struct {
	upTo  int
	print bool
}

// migrateFlagKeys are the flags that set clickhouse.* settings.
var migrateFlagKeys = map[string]string{
	"clickhouse": "clickhouse.addr", "database": "clickhouse.database", "user": "clickhouse.user",
	"tls": "clickhouse.tls.enabled", "tls-ca": "clickhouse.tls.ca_file", "tls-skip-verify": "clickhouse.tls.insecure_skip_verify",
	"cluster": "clickhouse.cluster", "wait": "clickhouse.connect_timeout",
}

func migrateCmd() *cobra.Command {
	var f migrateFlags
	cmd := &cobra.Command{
		Use:   "migrate",
		Short: "Create or update wismo's ClickHouse schema",
		Long: `Applies the ClickHouse migrations embedded in this binary (schemas/chschema)
to the database, in order, and records them in wismo_schema_migrations, so a
second run does nothing. It creates the database when missing. Statements that
need a newer server (TTL, codecs) are skipped on older ones and applied by a
later run once the server is upgraded. With --cluster every statement runs
ON CLUSTER with Replicated engines.

Works with ClickHouse 18.16 and current releases, over the native protocol.
The connection settings are wismo run's clickhouse.* settings: a config file
(--config), the environment (WISMO_CLICKHOUSE_ADDR, _DATABASE, _USER,
_PASSWORD or _PASSWORD_FILE, _TLS_ENABLED, _TLS_CA_FILE,
_TLS_INSECURE_SKIP_VERIFY, _CLUSTER, _CONNECT_TIMEOUT) and the flags, flags
winning. The password has no flag: on a command line it shows in ps.`,
		Args:         cobra.NoArgs,
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if cmd.Flags().Changed("password") {
				return errors.New("--password is not accepted: a password on the command line shows in ps; set WISMO_CLICKHOUSE_PASSWORD or WISMO_CLICKHOUSE_PASSWORD_FILE")
			}
			cfg, err := config.LoadClickHouse(cmd.Flags(), os.Environ(), migrateFlagKeys)
			if err != nil {
				return err
			}
			for _, w := range cfg.Warnings() {
				fmt.Fprintln(cmd.ErrOrStderr(), "wismo migrate: warning:", w)
			}
			o, err := chsink.OptionsFrom(cfg.ClickHouse)
			if err != nil {
				return err
			}
			o.UpTo = f.upTo
			if f.print {
				return printMigrations(cmd.OutOrStdout(), o)
			}
			return runMigrate(cmd.Context(), cmd.OutOrStdout(), o, cfg.ClickHouse.ConnectTimeout)
		},
	}
	fl := cmd.Flags()
	fl.String("config", "", "config file (YAML); its clickhouse block is used")
	fl.String("clickhouse", "", "ClickHouse native-protocol address(es), host:port, comma-separated (clickhouse.addr, default "+chsink.DefaultAddr+")")
	fl.String("database", "", "database for wismo's tables (clickhouse.database, default "+chsink.DefaultDatabase+")")
	fl.String("user", "", "user (clickhouse.user; default: ClickHouse's default user)")
	fl.Bool("tls", false, "connect with TLS, ClickHouse's secure native port, usually 9440 (clickhouse.tls.enabled)")
	fl.String("tls-ca", "", "PEM file of the CA that signed the server's certificate; turns TLS on (clickhouse.tls.ca_file)")
	fl.Bool("tls-skip-verify", false, "do not verify the server's certificate, testing only; turns TLS on (clickhouse.tls.insecure_skip_verify)")
	fl.String("cluster", "", "cluster name: create the replicated schema ON CLUSTER (clickhouse.cluster)")
	fl.Duration("wait", 0, "keep trying to reach ClickHouse this long before giving up, e.g. 60s in a container that starts with the server (clickhouse.connect_timeout, default 30s)")
	fl.Bool("allow-unknown-env", false, "warn about unknown WISMO_* variables instead of refusing them")
	fl.String("password", "", "not accepted: use WISMO_CLICKHOUSE_PASSWORD or WISMO_CLICKHOUSE_PASSWORD_FILE")
	_ = fl.MarkHidden("password")
	fl.IntVar(&f.upTo, "up-to", 0, "apply migrations up to this version only (0: all)")
	fl.BoolVar(&f.print, "print", false, "print the statements (with --database and --cluster applied) instead of running them")
	return cmd
}

func runMigrate(ctx context.Context, out io.Writer, o chsink.Options, wait time.Duration) error {
	conn, err := chsink.Open(o)
	if err != nil {
		return err
	}
	defer conn.Close()
	if err := chsink.WaitReachable(ctx, conn, o.Addrs, wait, func(err error) {
		fmt.Fprintf(out, "waiting for ClickHouse at %s: %v\n", strings.Join(o.Addrs, ","), err)
	}); err != nil {
		return err
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

func printMigrations(out io.Writer, o chsink.Options) error {
	ms, err := chschema.Migrations()
	if err != nil {
		return err
	}
	for _, m := range ms {
		if o.UpTo > 0 && m.Version > o.UpTo {
			break
		}
		fmt.Fprintf(out, "-- %s\n", m.File)
		for _, st := range m.Statements {
			if st.Optional() {
				fmt.Fprintf(out, "-- requires: %s\n", st.Requires)
			}
			fmt.Fprintf(out, "%s;\n\n", chschema.ForCluster(chschema.Render(st.SQL, o.Database), o.Database, o.Cluster))
		}
	}
	return nil
}
