package main

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/wismo/wismo/pipeline"
)

// Poison records: one of each kind of input that once broke a promise of
// the pipeline (issue 11). They ride along with the generated load, and the
// check requires each to end the way the pipeline promises: the run fails
// if one is lost, loops an engine or ends with the wrong reason.
//
//   - oversized: a payload over normalize.max_payload_bytes, whose dead
//     letter is itself over franz-go's default batch limit (it was counted
//     as dead-lettered and committed, yet never written);
//   - bomb: a few KB of zstd that decompress beyond the fetch bound (the
//     partition would stall for good, or the instance would balloon);
//   - midnight gap: a normal shipment to Cuba picked up on the Friday before
//     Havana's spring change, which skips local midnight (detection hung on
//     its weekend arithmetic, on every instance that took the partition).
type poison struct {
	name string
	rec  rawRecord
	// want is what must become of the record: "events" (it normalizes),
	// or the error_kind of its dead letter.
	want string
	// header, when set, must be "true" on the dead letter.
	header string
}

// poisonCarrier names the generated load's raw topic that the poison
// records go to, keyed like any parcel of that carrier.
const poisonCarrier = "ups"

func (r *runner) poisonRecords(recs []rawRecord) ([]poison, error) {
	topic := ""
	for _, rc := range recs {
		if strings.HasSuffix(rc.topic, "raw."+poisonCarrier) {
			topic = rc.topic
			break
		}
	}
	if topic == "" {
		return nil, fmt.Errorf("the generated load has no %s raw topic for the poison records", poisonCarrier)
	}
	lim := pipeline.Limits{}
	at := time.Date(2026, 3, 6, 23, 0, 0, 0, time.UTC) // 18:00 in Havana, Friday 6 March 2026
	// Over the payload limit, and JSON all the way, so only its size is
	// wrong; it compresses to a few KB, so it reaches the raw topic.
	big := []byte(`{"trackResponse":{"shipment":[{"package":[{"trackingNumber":"1ZCHAOSOVERSIZED1","activity":[]}]}]},"pad":"` +
		strings.Repeat("x", lim.Payload()+(1<<20)) + `"}`)
	return []poison{
		{name: "oversized", want: "too_large", header: "truncated",
			rec: rawRecord{topic: topic, key: []byte("1ZCHAOSOVERSIZED1"), value: big, time: at}},
		{name: "bomb", want: "too_large", header: "value_unavailable",
			rec: rawRecord{topic: topic, key: []byte("1ZCHAOSBOMB00001"), value: make([]byte, lim.DecompressMax()+(1<<20)), time: at}},
		{name: "midnight_gap", want: "events",
			rec: rawRecord{topic: topic, key: []byte("1ZCHAOSHAVANA0001"), value: havanaUPS("1ZCHAOSHAVANA0001", at), time: at}},
	}, nil
}

// havanaUPS is a UPS Track API answer with one departure scan in Havana,
// in local time with no offset, so the zone comes from the place.
func havanaUPS(tracking string, at time.Time) []byte {
	loc, err := time.LoadLocation("America/Havana")
	if err != nil {
		loc = time.FixedZone("CST", -5*3600)
	}
	l := at.In(loc)
	return []byte(fmt.Sprintf(`{"trackResponse":{"shipment":[{"inquiryNumber":%[1]q,"package":[{"trackingNumber":%[1]q,`+
		`"service":{"code":"003","description":"UPS Ground"},"activity":[{"location":{"address":{"city":"HAVANA","countryCode":"CU","country":"CU"}},`+
		`"status":{"type":"I","description":"Departed from Facility","code":"DP"},"date":%[2]q,"time":%[3]q}]}]}]}}`,
		tracking, l.Format("20060102"), l.Format("150405")))
}

// producePoison writes the poison records with a client of its own: zstd,
// and a batch limit that lets the oversized payload out (the broker checks
// the compressed size), one record a batch.
func (r *runner) producePoison(ctx context.Context, list []poison) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(r.o.brokers...), kgo.ProducerBatchCompression(kgo.ZstdCompression()),
		kgo.ProducerBatchMaxBytes(96<<20), kgo.MaxBufferedBytes(256<<20), kgo.RecordPartitioner(kgo.StickyKeyPartitioner(nil)))
	if err != nil {
		return err
	}
	defer cl.Close()
	for _, p := range list {
		pctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		rec := &kgo.Record{Topic: p.rec.topic, Key: p.rec.key, Value: p.rec.value,
			Headers: []kgo.RecordHeader{{Key: "wismo-gen-time", Value: []byte(p.rec.time.Format(time.RFC3339))}}}
		err := cl.ProduceSync(pctx, rec).FirstErr()
		cancel()
		if err != nil {
			return fmt.Errorf("poison record %s (%d bytes) to %s: %w", p.name, len(p.rec.value), p.rec.topic, err)
		}
	}
	logf("produced %d poison records: %s", len(list), poisonNames(list))
	return nil
}

func poisonNames(list []poison) string {
	var names []string
	for _, p := range list {
		names = append(names, p.name)
	}
	return strings.Join(names, ", ")
}

// poisonOutcome is what the check saw of one raw record's key.
type poisonOutcome struct {
	events int
	dead   []map[string]string // headers of each dead letter
}

// checkPoison compares what became of each poison record with what must.
func checkPoison(list []poison, seen map[string]*poisonOutcome) (bad []string) {
	for _, p := range list {
		o := seen[string(p.rec.key)]
		switch {
		case o == nil:
			bad = append(bad, fmt.Sprintf("poison %s: the record was not found in its raw topic", p.name))
		case p.want == "events":
			if o.events == 0 || len(o.dead) > 0 {
				bad = append(bad, fmt.Sprintf("poison %s: %d events and %d dead letters, want events only", p.name, o.events, len(o.dead)))
			}
		case len(o.dead) != 1 || o.events > 0:
			bad = append(bad, fmt.Sprintf("poison %s: %d events and %d dead letters, want one dead letter", p.name, o.events, len(o.dead)))
		default:
			h := o.dead[0]
			if h["error_kind"] != p.want || (p.header != "" && h[p.header] != "true") {
				bad = append(bad, fmt.Sprintf("poison %s: dead letter with error_kind %q and %s=%q, want %q and true (error: %s)",
					p.name, h["error_kind"], p.header, h[p.header], p.want, h["error"]))
			}
		}
	}
	sort.Strings(bad)
	return bad
}
