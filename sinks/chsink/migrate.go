package chsink

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/wismo/wismo/schemas/chschema"
	"go.uber.org/zap"
)

// MigrationsTable records the applied migrations, in the target database.
const MigrationsTable = "wismo_schema_migrations"

// migrationsDDL is the bookkeeping table. One row per application of a
// migration; a migration applied again later (its skipped optional statements,
// once the server is new enough) gets a newer row, and the row with the
// highest seq is the one that counts.
const migrationsDDL = `CREATE TABLE IF NOT EXISTS {db}.` + MigrationsTable + `
(
    version        UInt32,
    name           String,
    checksum       String,
    skipped        Array(UInt16),
    server_version String,
    applied_at     DateTime('UTC'),
    seq            UInt64
)
ENGINE = ReplacingMergeTree(seq)
ORDER BY version`

// Applied is what Migrate did with one migration.
type Applied struct {
	Version int
	Name    string
	// Statements run now (0 when the migration was already fully applied).
	Statements int
	// Skipped are optional statements the server is too old for, still
	// pending.
	Skipped int
	// Already reports that the migration had been applied before this run.
	Already bool
}

// MigrateResult reports a Migrate run.
type MigrateResult struct {
	Server   chschema.Version
	Database string
	Cluster  string
	Applied  []Applied
}

type record struct {
	name, checksum string
	skipped        []uint16
	seq            uint64
}

// Migrate brings o.Database up to date with the embedded migrations: it
// creates the database and the bookkeeping table when missing, applies the
// migrations not yet recorded, in order, and records each. Optional
// statements (requires markers) run only when the server is new enough; the
// ones skipped are recorded and applied by a later run on an upgraded server.
// Running it again on a migrated database does nothing. A migration whose
// file changed after it was applied is an error: add a new migration
// instead. With o.Cluster set, every statement is the cluster variant.
//
// conn needs no default database (see Open).
func Migrate(ctx context.Context, conn Conn, o Options) (*MigrateResult, error) {
	o = o.withDefaults()
	if err := o.check(); err != nil {
		return nil, err
	}
	log := o.Logger.With(zap.String("database", o.Database))
	server, err := ServerVersion(conn)
	if err != nil {
		return nil, err
	}
	migrations, err := chschema.Migrations()
	if err != nil {
		return nil, err
	}
	res := &MigrateResult{Server: server, Database: o.Database, Cluster: o.Cluster}
	exec := func(sql string) error {
		stmt := chschema.ForCluster(chschema.Render(sql, o.Database), o.Database, o.Cluster)
		if err := conn.Exec(ctx, stmt); err != nil {
			return fmt.Errorf("%w\n-- statement:\n%s", err, stmt)
		}
		return nil
	}
	if err := exec("CREATE DATABASE IF NOT EXISTS {db}"); err != nil {
		return nil, fmt.Errorf("clickhouse: migrate: %w", err)
	}
	if err := exec(migrationsDDL); err != nil {
		return nil, fmt.Errorf("clickhouse: migrate: %w", err)
	}
	done, err := loadRecords(ctx, conn, o.Database)
	if err != nil {
		return nil, err
	}
	for _, m := range migrations {
		if o.UpTo > 0 && m.Version > o.UpTo {
			break
		}
		a := Applied{Version: m.Version, Name: m.Name}
		rec, already := done[m.Version]
		if already && rec.checksum != m.Checksum {
			return res, fmt.Errorf("clickhouse: migration %s was applied with checksum %.12s but the file now has %.12s: applied migrations must not change; add a new one", m.File, rec.checksum, m.Checksum)
		}
		a.Already = already
		var skipped []uint16
		for _, st := range m.Statements {
			if already && !slices.Contains(rec.skipped, uint16(st.Index)) {
				continue // applied before
			}
			if st.Optional() && !server.AtLeast(st.Requires) {
				skipped = append(skipped, uint16(st.Index))
				continue
			}
			if err := exec(st.SQL); err != nil {
				return res, fmt.Errorf("clickhouse: migration %s, statement %d: %w", m.File, st.Index+1, err)
			}
			a.Statements++
		}
		a.Skipped = len(skipped)
		if !already || a.Statements > 0 {
			if err := writeRecord(ctx, conn, o.Database, m, skipped, server); err != nil {
				return res, err
			}
			log.Info("migration applied", zap.Int("version", m.Version), zap.String("name", m.Name),
				zap.Int("statements", a.Statements), zap.Int("skipped_for_server", a.Skipped), zap.Stringer("server", server))
		}
		res.Applied = append(res.Applied, a)
	}
	return res, nil
}

func loadRecords(ctx context.Context, conn Conn, db string) (map[int]record, error) {
	rows, err := conn.Query(ctx, "SELECT version, name, checksum, skipped, seq FROM "+db+"."+MigrationsTable)
	if err != nil {
		return nil, fmt.Errorf("clickhouse: read %s: %w", MigrationsTable, err)
	}
	defer rows.Close()
	out := map[int]record{}
	for rows.Next() {
		var (
			version uint32
			r       record
		)
		if err := rows.Scan(&version, &r.name, &r.checksum, &r.skipped, &r.seq); err != nil {
			return nil, fmt.Errorf("clickhouse: read %s: %w", MigrationsTable, err)
		}
		if prev, ok := out[int(version)]; !ok || r.seq > prev.seq {
			out[int(version)] = r
		}
	}
	return out, rows.Err()
}

func writeRecord(ctx context.Context, conn Conn, db string, m chschema.Migration, skipped []uint16, server chschema.Version) error {
	b, err := conn.PrepareBatch(ctx, "INSERT INTO "+db+"."+MigrationsTable+" (version, name, checksum, skipped, server_version, applied_at, seq)")
	if err == nil {
		if skipped == nil {
			skipped = []uint16{}
		}
		now := time.Now().UTC()
		if err = b.Append(uint32(m.Version), m.Name, m.Checksum, skipped, server.String(), now, uint64(now.UnixNano())); err == nil {
			err = b.Send()
		} else {
			_ = b.Abort()
		}
	}
	if err != nil {
		return fmt.Errorf("clickhouse: record migration %s: %w", m.File, err)
	}
	return nil
}
