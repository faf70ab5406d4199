package chsink

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ClickHouse/clickhouse-go/v2/lib/driver"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/wismo/wismo/codec"
	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/internal/chtest"
	"github.com/wismo/wismo/internal/kafkatest"
	"go.uber.org/zap/zaptest"
)

// proxy forwards TCP connections to target while up; down, it cuts every
// open connection and refuses new ones, which is what a ClickHouse outage
// looks like to the client.
type proxy struct {
	ln     net.Listener
	target string
	up     atomic.Bool
	mu     sync.Mutex
	conns  map[net.Conn]bool
}

func newProxy(t *testing.T, target string) *proxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	t.Cleanup(func() { _ = ln.Close(); p.setUp(false) })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			if !p.up.Load() {
				_ = c.Close()
				continue
			}
			go p.forward(c)
		}
	}()
	return p
}

func (p *proxy) addr() string { return p.ln.Addr().String() }

func (p *proxy) track(cs ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range cs {
		p.conns[c] = true
	}
}

func (p *proxy) forward(c net.Conn) {
	s, err := net.Dial("tcp", p.target)
	if err != nil {
		_ = c.Close()
		return
	}
	p.track(c, s)
	go func() { _, _ = io.Copy(s, c); _ = s.Close() }()
	_, _ = io.Copy(c, s)
	_ = c.Close()
}

func (p *proxy) setUp(up bool) {
	p.up.Store(up)
	if up {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		_ = c.Close()
		delete(p.conns, c)
	}
}

// produceFixture writes the fixture's events (Avro and JSON alternately) and
// commands (Avro and JSON), keyed by shipment, plus one undecodable record
// per topic. It returns how many records went to each topic.
func produceFixture(t *testing.T, brokers []string, eventsTopic, notesTopic string, f *fixture, from, to int, cmds, junk bool) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	avroCmds, err := codec.NewCommandEncoder(context.Background(), notesTopic, codec.Options{})
	if err != nil {
		t.Fatal(err)
	}
	jsonCmds, err := codec.NewCommandEncoder(context.Background(), notesTopic, codec.Options{Encoding: codec.JSON})
	if err != nil {
		t.Fatal(err)
	}
	var enc event.AvroEncoder
	var recs []*kgo.Record
	for i := from; i < to; i++ {
		e := &f.events[i]
		var v []byte
		if i%2 == 0 {
			v = enc.Append(nil, e)
		} else {
			v = event.AppendJSON(nil, e)
		}
		recs = append(recs, &kgo.Record{Topic: eventsTopic, Key: []byte(e.ShipmentID()), Value: v})
	}
	if cmds {
		for i := range f.cmds {
			cc := avroCmds
			if i%2 == 1 {
				cc = jsonCmds
			}
			r, err := cc.Record(&f.cmds[i], time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			recs = append(recs, r)
		}
	}
	if junk {
		recs = append(recs,
			&kgo.Record{Topic: eventsTopic, Key: []byte("ups:BAD1"), Value: []byte{0, 1}},
			&kgo.Record{Topic: notesTopic, Key: []byte("fedex:BAD2"), Value: []byte("{not json")})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := cl.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		t.Fatal(err)
	}
}

// committedAll reports whether group has committed the end offset of every
// partition of topics.
func committedAll(t *testing.T, adm *kadm.Client, group string, topics ...string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ends, err := adm.ListEndOffsets(ctx, topics...)
	if err != nil {
		return false
	}
	committed, err := adm.FetchOffsets(ctx, group)
	if err != nil {
		return false
	}
	ok := true
	ends.Each(func(o kadm.ListedOffset) {
		c, found := committed.Lookup(o.Topic, o.Partition)
		if o.Offset > 0 && (!found || c.At != o.Offset) {
			ok = false
		}
	})
	return ok
}

func committedAny(t *testing.T, adm *kadm.Client, group string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	committed, err := adm.FetchOffsets(ctx, group)
	if err != nil {
		t.Fatal(err)
	}
	seen := false
	committed.Each(func(o kadm.OffsetResponse) {
		if o.At >= 0 {
			seen = true
		}
	})
	return seen
}

// The sink stage end to end: records through the real broker into the real
// ClickHouse, with ClickHouse unreachable at first. While it is down the
// stage retries the same batch and commits nothing; once it is back the
// batch goes in, the offsets are committed, the undecodable records are in
// the dead-letter topic with the contract's headers, and the analyst queries
// give the hand-computed numbers. A second instance in the same group then
// reads only what came after (a replay of some events), which changes no
// number.
func TestStageEndToEnd(t *testing.T) {
	brokers, srv, ctx := stageSetup(t)
	topics := kafkatest.Topics(t, brokers, 3, "events", "notifications", "deadletter")
	f := newFixture(time.Now())
	produceFixture(t, brokers, topics[0], topics[1], f, 0, len(f.events), true, true)

	px := newProxy(t, srv.Addr) // down
	group := fmt.Sprintf("wismo-sink-test-%d", time.Now().UnixNano())
	reg := prometheus.NewRegistry()
	cfg := StageConfig{
		ClickHouse: Options{Addrs: []string{px.addr()}, Database: srv.Database, BatchAge: 100 * time.Millisecond, DialTimeout: time.Second},
		Brokers:    brokers, Group: group,
		EventsTopic: topics[0], NotificationsTopic: topics[1], DeadLetterTopic: topics[2],
		Logger: zaptest.NewLogger(t), Registerer: reg,
		MinBackoff: 50 * time.Millisecond, MaxBackoff: 300 * time.Millisecond,
	}
	st, err := NewStage(cfg)
	if err != nil {
		t.Fatal(err)
	}
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- st.Run(runCtx) }()

	m := st.Metrics()
	kafkatest.WaitFor(t, "inserts to fail while ClickHouse is down", 30*time.Second, func() bool {
		return testutil.ToFloat64(m.InsertErrors.WithLabelValues(EventsTable)) >= 3
	})
	admCl, err := kgo.NewClient(kgo.SeedBrokers(brokers...))
	if err != nil {
		t.Fatal(err)
	}
	defer admCl.Close()
	adm := kadm.NewClient(admCl)
	if committedAny(t, adm, group) {
		t.Fatal("offsets were committed while no insert had succeeded")
	}
	if st.Ready() {
		t.Error("Ready while ClickHouse is down")
	}
	if n := srv.Count(t, "SELECT count() FROM "+srv.Database+".shipment_events"); n != 0 {
		t.Fatalf("%d rows while ClickHouse was unreachable", n)
	}

	px.setUp(true)
	kafkatest.WaitFor(t, "every offset committed", 60*time.Second, func() bool {
		return committedAll(t, adm, group, topics[0], topics[1])
	})
	if n := srv.Count(t, "SELECT uniqExact(event_id) FROM "+srv.Database+".shipment_events"); n != uint64(len(f.events)) {
		t.Errorf("%d distinct events stored, want %d", n, len(f.events))
	}
	if n := srv.Count(t, "SELECT uniqExact(command_id) FROM "+srv.Database+".notifications"); n != uint64(len(f.cmds)) {
		t.Errorf("%d distinct commands stored, want %d", n, len(f.cmds))
	}
	kafkatest.WaitFor(t, "Ready", 10*time.Second, st.Ready)
	dead := kafkatest.ReadCommitted(t, brokers, topics[2], 2, 20*time.Second)
	for _, r := range dead {
		h := map[string]string{}
		for _, kv := range r.Headers {
			h[kv.Key] = string(kv.Value)
		}
		wantCarrier := map[string]string{"ups:BAD1": "ups", "fedex:BAD2": "fedex"}[string(r.Key)]
		if h["error"] == "" || h["error_kind"] != "decode" || h["source_partition"] == "" || h["source_offset"] == "" ||
			(h["source_topic"] != topics[0] && h["source_topic"] != topics[1]) || h["carrier"] != wantCarrier || wantCarrier == "" {
			t.Errorf("dead letter %q: headers %v", r.Key, h)
		}
	}
	for topic, want := range map[string][2]float64{topics[0]: {float64(len(f.events)), 1}, topics[1]: {float64(len(f.cmds)), 1}} {
		in := testutil.ToFloat64(m.Records.WithLabelValues(topic, "inserted"))
		dl := testutil.ToFloat64(m.Records.WithLabelValues(topic, "dead_lettered"))
		if in != want[0] || dl != want[1] {
			t.Errorf("%s: %v inserted, %v dead-lettered; want %v", topic, in, dl, want)
		}
	}
	stop()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}

	// A second instance of the group: only the new records (a replay of the
	// first ten events) are read; the numbers do not move.
	produceFixture(t, brokers, topics[0], topics[1], f, 0, 10, false, false)
	cfg.ClickHouse.Addrs = []string{srv.Addr}
	cfg.Registerer = prometheus.NewRegistry()
	st2, err := NewStage(cfg)
	if err != nil {
		t.Fatal(err)
	}
	runCtx2, stop2 := context.WithCancel(ctx)
	done2 := make(chan error, 1)
	go func() { done2 <- st2.Run(runCtx2) }()
	kafkatest.WaitFor(t, "the replay committed", 60*time.Second, func() bool {
		return committedAll(t, adm, group, topics[0], topics[1])
	})
	stop2()
	if err := <-done2; err != nil {
		t.Fatalf("second Run: %v", err)
	}
	if got := testutil.ToFloat64(st2.Metrics().Records.WithLabelValues(topics[0], "inserted")); got != 10 {
		t.Errorf("the second instance inserted %v events, want the 10 new records", got)
	}
	checkCases(t, queryConn(t, srv), f, "through the sink")
}

// failingConn fails PrepareBatch while fail is set.
type failingConn struct {
	Conn
	fail atomic.Bool
}

var errDown = errors.New("clickhouse is down (test)")

func (c *failingConn) PrepareBatch(ctx context.Context, query string, opts ...driver.PrepareBatchOption) (driver.Batch, error) {
	if c.fail.Load() {
		return nil, errDown
	}
	return c.Conn.PrepareBatch(ctx, query, opts...)
}

// A failed flush keeps the rows for the retry; tables already inserted are
// not inserted again.
func TestWriterRetriesWhatFailed(t *testing.T) {
	srv := chtest.New(t)
	ctx := testCtx(t)
	o := optionsFor(srv)
	if _, err := Migrate(ctx, srv.Conn, o); err != nil {
		t.Fatal(err)
	}
	fc := &failingConn{Conn: srv.Conn}
	w := NewWriter(fc, Options{Database: srv.Database, BatchRows: 5, BatchAge: time.Hour})
	f := newFixture(time.Now())
	for i := 0; i < 4; i++ {
		w.AddEvent(&f.events[i])
	}
	if w.Due(time.Now()) {
		t.Error("due with 4 of 5 rows and a young batch")
	}
	w.AddCommand(&f.cmds[0])
	w.AddEvent(&f.events[4])
	if !w.Due(time.Now()) || !w.Due(time.Now().Add(2*time.Hour)) {
		t.Error("not due with a full table")
	}
	fc.fail.Store(true)
	if err := w.Flush(ctx); !errors.Is(err, errDown) {
		t.Fatalf("Flush = %v", err)
	}
	if w.Len() != 6 {
		t.Fatalf("%d rows kept after a failed flush, want 6", w.Len())
	}
	fc.fail.Store(false)
	if err := w.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if w.Len() != 0 || w.Due(time.Now().Add(time.Hour)) {
		t.Errorf("after the flush: %d rows, due %v", w.Len(), w.Due(time.Now()))
	}
	if n := srv.Count(t, "SELECT count() FROM "+srv.Database+".shipment_events"); n != 5 {
		t.Errorf("%d event rows, want 5", n)
	}
	if n := srv.Count(t, "SELECT count() FROM "+srv.Database+".notifications"); n != 1 {
		t.Errorf("%d notification rows, want 1", n)
	}
}
