package main

// -mode serve: the lookup API (GET /v1/shipments/{id}) and the tracking page
// (GET /t/{token}) of `wismo serve` over the ClickHouse lookup, against a
// database holding -shipments shipments. The loader fills it once with
// INSERT ... SELECT FROM numbers(N) (six events and two commands a
// shipment, through the sink's own tables and views); the load generator
// then sends at most -lookups requests, for at most -duration, from
// -concurrency keep-alive connections on loopback, each for a random
// shipment, and reports the rate and the latency percentiles.

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"maps"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2"
	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"

	"github.com/wismo/wismo/links"
	"github.com/wismo/wismo/serve"
	"github.com/wismo/wismo/serve/chlookup"
	"github.com/wismo/wismo/sinks/chsink"
	"go.uber.org/zap"
)

type serveFlags struct {
	clickhouse, database, write string
	cpuProfile                  string
	shipments, lookups          int
	concurrency, workers, batch int
	chPID                       int
	duration                    time.Duration
}

// The bench's shipments: six events each, a day apart from their label, in
// the last weeks (so their links are within their life), and two commands.
const loadEvents = `INSERT INTO {db}.shipment_events (event_id, shipment_id, carrier, tracking_number, service, milestone, event_type, class,
	reason, occurred_at, local_offset, local_date, tz_source, source, location_city, location_region, location_postal_code, location_country,
	location_facility, raw_code, raw_type, raw_description, estimated_delivery, origin_city, origin_region, origin_postal_code, origin_country,
	destination_city, destination_region, destination_postal_code, destination_country, lineage_topic, lineage_partition, lineage_offset)
SELECT
	lower(hex(MD5(toString(number)))),
	concat('ups:1ZBENCH', toString(intDiv(number, 6))),
	'ups',
	concat('1ZBENCH', toString(intDiv(number, 6))),
	'ground',
	arrayElement(['info_received', 'in_transit', 'in_transit', 'in_transit', 'out_for_delivery', 'delivered'], (number % 6) + 1),
	arrayElement(['info_received.label_created', 'in_transit.picked_up', 'in_transit.departed_facility', 'in_transit.arrived_at_delivery_facility', 'out_for_delivery.out_for_delivery', 'delivered.delivered'], (number % 6) + 1),
	CAST(arrayElement(['informational', 'informational', 'noise', 'informational', 'informational', 'informational'], (number % 6) + 1) AS Enum8('noise' = 0, 'informational' = 1, 'actionable' = 2)),
	'',
	toDateTime({start}) + intDiv(number, 6) % 1209600 + (number % 6) * 21600,
	-18000,
	toDate(toDateTime({start}) + intDiv(number, 6) % 1209600 + (number % 6) * 21600 - 18000),
	CAST('location' AS Enum8('assumed_utc' = 0, 'carrier_offset' = 1, 'location' = 2)),
	CAST('carrier' AS Enum8('carrier' = 0, 'pipeline' = 1)),
	arrayElement(['Louisville', 'Chicago', 'Denver', 'Atlanta'], (intDiv(number, 6) % 4) + 1),
	arrayElement(['KY', 'IL', 'CO', 'GA'], (intDiv(number, 6) % 4) + 1),
	'', 'US', '', 'X', '', '', toDate(0), '', '', '', '', '', '', '', '', 'bench', 0, toInt64(number)
FROM numbers({rows})`

const loadCommands = `INSERT INTO {db}.notifications (command_id, shipment_id, carrier, tracking_number, trigger, event_type, event_id, priority,
	message, next_step, occurred_at, decided_at, not_before, supersedes, episode)
SELECT
	lower(hex(MD5(concat('c', toString(number))))),
	concat('ups:1ZBENCH', toString(intDiv(number, 2))),
	'ups',
	concat('1ZBENCH', toString(intDiv(number, 2))),
	arrayElement(['shipped', 'delivered'], (number % 2) + 1),
	arrayElement(['in_transit.picked_up', 'delivered.delivered'], (number % 2) + 1),
	'', 'normal',
	arrayElement(['UPS picked up your parcel.', 'Your parcel was delivered.'], (number % 2) + 1),
	'',
	toDateTime({start}) + intDiv(number, 2) % 1209600 + (number % 2) * 108000,
	toDateTime({start}) + intDiv(number, 2) % 1209600 + (number % 2) * 108000,
	toDateTime({start}) + intDiv(number, 2) % 1209600 + (number % 2) * 108000,
	'', 0
FROM numbers({rows})`

func runServe(f serveFlags) error {
	ctx := context.Background()
	o := chsink.Options{Addrs: []string{f.clickhouse}, Database: f.database}
	conn, err := chsink.Open(o)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := chsink.Migrate(ctx, conn, o); err != nil {
		return err
	}
	var have uint64
	if err := conn.QueryRow(ctx, "SELECT uniqExact(shipment_id) FROM "+f.database+".shipment_events").Scan(&have); err != nil {
		return err
	}
	start := time.Now().UTC().Add(-21 * 24 * time.Hour).Truncate(time.Hour)
	if int(have) != f.shipments {
		fmt.Printf("serve: loading %d shipments into %s (it held %d)\n", f.shipments, f.database, have)
		for _, t := range []string{"shipment_events", "notifications", "shipments_agg", "daily_stats_agg", "unmapped_codes_agg", "shipment_lookup_v2", "shipment_lookup_v3"} {
			_ = conn.Exec(ctx, "TRUNCATE TABLE IF EXISTS "+f.database+"."+t)
		}
		t0 := time.Now()
		r := strings.NewReplacer("{db}", f.database, "{start}", fmt.Sprint(start.Unix()))
		if err := conn.Exec(ctx, r.Replace(strings.ReplaceAll(loadEvents, "{rows}", fmt.Sprint(f.shipments*6)))); err != nil {
			return fmt.Errorf("load events: %w", err)
		}
		if err := conn.Exec(ctx, r.Replace(strings.ReplaceAll(loadCommands, "{rows}", fmt.Sprint(f.shipments*2)))); err != nil {
			return fmt.Errorf("load commands: %w", err)
		}
		fmt.Printf("serve: loaded %d events and %d commands in %s\n", f.shipments*6, f.shipments*2, time.Since(t0).Round(time.Second))
		_ = conn.Exec(ctx, "OPTIMIZE TABLE "+f.database+".shipment_lookup_v3 FINAL")
	}
	qconn, err := chsink.OpenDatabase(o)
	if err != nil {
		return err
	}
	defer qconn.Close()
	secret := make([]byte, 32)
	_, _ = rand.Read(secret)
	ring, err := links.NewKeyring([]links.Key{{ID: "bench", Secret: secret}}, "bench", nil)
	if err != nil {
		return err
	}
	apiKey := base64.RawURLEncoding.EncodeToString(secret[:16])
	keys, _ := serve.ParseAPIKeys([]string{"bench:" + serve.HashKey(apiKey)}, nil)
	lk := chlookup.New(loggedConn{qconn}, chlookup.Options{Workers: f.workers, MaxBatch: f.batch})
	defer lk.Close()
	srv, err := serve.New(serve.Config{Lookup: lk, Ring: ring, APIKeys: keys,
		RatePerIP: 100_000_000, RatePerToken: 100_000_000, Burst: 100_000, Logger: benchLog()})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() { _ = srv.Run(sctx, ln) }()
	base := "http://" + ln.Addr().String()

	if f.cpuProfile != "" {
		pf, err := os.Create(f.cpuProfile)
		if err != nil {
			return err
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	var rows []string
	for _, kind := range []string{"api", "page"} {
		if _, err := os.Stat(fmt.Sprintf("/proc/%d/stat", f.chPID)); f.chPID != 0 && err != nil {
			return fmt.Errorf("-clickhouse-pid %d: %w (was the server restarted?)", f.chPID, err)
		}
		q0, k0 := lk.Stats()
		ch0 := procCPU(f.chPID) // 0 for pid 0
		res, err := loadRun(base, kind, apiKey, ring, f)
		if err != nil {
			return err
		}
		chCPU := (procCPU(f.chPID) - ch0) * 1e6 / float64(res.n)
		q1, k1 := lk.Stats()
		queryCPU, err := queryCPU(conn, res.from, int(q1-q0))
		if err != nil {
			fmt.Fprintf(os.Stderr, "serve: ClickHouse CPU per query: %v\n", err)
		}
		if f.chPID == 0 { // from system.query_log instead: the queries alone
			chCPU = queryCPU * float64(q1-q0) / float64(res.n)
		}
		line := fmt.Sprintf("| %s | %d | %d | %.0f | %.1f | %.1f | %.1f | %d | %.1f | %.0f | %.0f | %.0f | %.0f |", res.what, f.shipments, res.n, res.rate,
			ms(res.p50), ms(res.p99), ms(res.max), res.errors, float64(k1-k0)/float64(max(1, q1-q0)), queryCPU, chCPU, res.selfCPU, 2e6/(chCPU+res.selfCPU))
		fmt.Println(line)
		rows = append(rows, line)
	}
	if f.write != "" {
		var b bytes.Buffer
		fmt.Fprintf(&b, "\n### wismo serve lookups, %s (wismo-bench -mode serve)\n\n", time.Now().UTC().Format("2006-01-02 15:04 UTC"))
		fmt.Fprintf(&b, "ClickHouse %s on loopback, database %s holding %d shipments (%d events, %d commands); %d keep-alive clients on loopback, at most %d requests or %s per run; GOMAXPROCS %d. The machine (2 cores) was shared with other work while this ran, so the figures are a floor.\n\n",
			serverVersion(conn), f.database, f.shipments, f.shipments*6, f.shipments*2, f.concurrency, f.lookups, f.duration, runtime.GOMAXPROCS(0))
		b.WriteString("| request | shipments | requests | per second | p50 ms | p99 ms | max ms | errors | shipments per query | ClickHouse CPU µs/query | ClickHouse CPU µs/request | wismo serve + load generator CPU µs/request | 2 cores / CPU per request |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
		for _, r := range rows {
			b.WriteString(r + "\n")
		}
		fh, err := os.OpenFile(f.write, os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			return err
		}
		defer fh.Close()
		if _, err := fh.Write(b.Bytes()); err != nil {
			return err
		}
	}
	return nil
}

func serverVersion(conn chsink.Conn) string {
	v, err := conn.ServerVersion()
	if err != nil {
		return "?"
	}
	return fmt.Sprintf("%d.%d.%d", v.Version.Major, v.Version.Minor, v.Version.Patch)
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

type loadResult struct {
	what          string
	n, errors     int
	rate          float64
	p50, p99, max time.Duration
	from          time.Time
	// selfCPU is this process's CPU time (server and load generator) per
	// request, in microseconds.
	selfCPU float64
}

// loggedConn runs the lookup's queries with log_queries on, so the run's
// ClickHouse CPU per query can be read from system.query_log: on a shared
// machine the CPU a lookup costs is a steadier figure than its latency.
type loggedConn struct{ chsink.Conn }

func (c loggedConn) Query(ctx context.Context, q string, args ...any) (driver.Rows, error) {
	set := maps.Clone(chlookup.Settings)
	set["log_queries"] = 1
	return c.Conn.Query(clickhouse.Context(ctx, clickhouse.WithSettings(set)), q, args...)
}

// queryCPU is the mean user+system CPU, in microseconds, of the lookup
// queries that finished since from (n of them were sent).
func queryCPU(conn driver.Conn, from time.Time, n int) (float64, error) {
	ctx := context.Background()
	if err := conn.Exec(ctx, "SYSTEM FLUSH LOGS"); err != nil {
		return 0, err
	}
	var cpu float64
	var q uint64
	err := conn.QueryRow(ctx, `SELECT
		avg(arraySum(arrayMap((n, v) -> if(n IN ('UserTimeMicroseconds', 'SystemTimeMicroseconds'), v, 0), ProfileEvents.Names, ProfileEvents.Values))),
		count()
	FROM system.query_log
	WHERE type = 2 AND event_time >= toDateTime(?) AND query LIKE 'SELECT shipment_id, packed%'`, from.Unix()).Scan(&cpu, &q)
	if err != nil {
		return 0, err
	}
	if int(q) < n/2 {
		return cpu, fmt.Errorf("only %d of %d queries in system.query_log", q, n)
	}
	return cpu, nil
}

func cpuNow() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// loadRun sends the requests of one kind: bounded by f.lookups and
// f.duration, every latency kept (f.lookups of them at most). The requests
// (each for a random shipment; a page's token signed for it) are written
// out before the clock and the CPU count start, and each client writes
// them on its own keep-alive connection and reads the answers with
// http.ReadResponse: the load generator shares the two cores with the
// server and ClickHouse, so it does as little as it can per request. A
// client sends its next request once its last one is answered, so a
// request is due when it is sent and its latency is counted from then.
func loadRun(base, kind, apiKey string, ring *links.Keyring, f serveFlags) (loadResult, error) {
	addr := strings.TrimPrefix(base, "http://")
	reqs := make([][]byte, f.lookups)
	rng := mrand.New(mrand.NewPCG(uint64(len(kind)), 7))
	for i := range reqs {
		id := "ups:1ZBENCH" + strconv.Itoa(rng.IntN(f.shipments))
		var b []byte
		if kind == "api" {
			b = fmt.Appendf(nil, "GET /v1/shipments/%s HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\n\r\n", id, addr, apiKey)
		} else {
			tok, err := ring.Sign(id, time.Now().Add(time.Hour))
			if err != nil {
				return loadResult{}, err
			}
			b = fmt.Appendf(nil, "GET /t/%s HTTP/1.1\r\nHost: %s\r\n\r\n", tok, addr)
		}
		reqs[i] = b
	}
	var (
		next    atomic.Int64
		errs    atomic.Int64
		mu      sync.Mutex
		lat     = make([]time.Duration, 0, f.lookups)
		wg      sync.WaitGroup
		stop    = time.Now().Add(f.duration)
		firstEr atomic.Pointer[string]
	)
	fail := func(err error) {
		errs.Add(1)
		msg := err.Error()
		firstEr.CompareAndSwap(nil, &msg)
	}
	t0, c0 := time.Now(), cpuNow()
	for w := 0; w < f.concurrency; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine := make([]time.Duration, 0, f.lookups/f.concurrency+1)
			defer func() { mu.Lock(); lat = append(lat, mine...); mu.Unlock() }()
			var c *benchConn
			defer func() { c.close() }()
			for i := next.Add(1) - 1; i < int64(len(reqs)) && time.Now().Before(stop); i = next.Add(1) - 1 {
				s := time.Now()
				if c == nil {
					var err error
					if c, err = dialBench(addr); err != nil {
						mine = append(mine, time.Since(s))
						fail(err)
						continue
					}
				}
				keep, err := c.do(reqs[i])
				mine = append(mine, time.Since(s))
				if err != nil {
					fail(err)
				}
				if !keep {
					c.close()
					c = nil
				}
			}
		}()
	}
	wg.Wait()
	el, cpu := time.Since(t0), cpuNow()-c0
	if p := firstEr.Load(); p != nil {
		fmt.Fprintf(os.Stderr, "serve: %s: first error: %s\n", kind, *p)
	}
	if len(lat) == 0 {
		return loadResult{}, fmt.Errorf("serve: no requests sent")
	}
	slices.Sort(lat)
	pct := func(p float64) time.Duration { return lat[min(len(lat)-1, int(p*float64(len(lat))))] }
	what := "GET /v1/shipments/{id} (API)"
	if kind == "page" {
		what = "GET /t/{token} (page)"
	}
	return loadResult{what: what, n: len(lat), errors: int(errs.Load()), rate: float64(len(lat)) / el.Seconds(),
		p50: pct(0.50), p99: pct(0.99), max: lat[len(lat)-1], from: t0.Add(-time.Second),
		selfCPU: float64(cpu.Microseconds()) / float64(len(lat))}, nil
}

// benchConn is one client's keep-alive connection to the server on
// loopback.
type benchConn struct {
	nc net.Conn
	br *bufio.Reader
}

func dialBench(addr string) (*benchConn, error) {
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	return &benchConn{nc: nc, br: bufio.NewReaderSize(nc, 16<<10)}, nil
}

// do sends one request and reads its answer whole: an error for a status
// other than 200 or a failed connection, and whether the connection can
// take the next request.
func (c *benchConn) do(req []byte) (keep bool, err error) {
	_ = c.nc.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.nc.Write(req); err != nil {
		return false, err
	}
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		return false, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	switch {
	case err != nil:
		return false, err
	case resp.StatusCode != http.StatusOK:
		return !resp.Close, fmt.Errorf("%.60s: status %d", req, resp.StatusCode)
	}
	return !resp.Close, nil
}

func (c *benchConn) close() {
	if c != nil {
		_ = c.nc.Close()
	}
}

// benchLog logs the server's errors (a failed lookup) to stderr, nothing
// else.
func benchLog() *zap.Logger {
	c := zap.NewProductionConfig()
	c.Level = zap.NewAtomicLevelAt(zap.ErrorLevel)
	l, err := c.Build()
	if err != nil {
		return zap.NewNop()
	}
	return l
}
