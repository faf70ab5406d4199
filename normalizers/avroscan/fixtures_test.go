package avroscan_test

import (
	"bytes"
	"compress/flate"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/linkedin/goavro/v2"
	"github.com/wismo/wismo/normalizers/normalizertest"
	"github.com/wismo/wismo/schemas"
)

// The golden fixtures in testdata/carriers/avro are made here, since no
// carrier publishes sample files of this feed. ensureFixtures writes a file
// only when it is missing, so the committed bytes (and their goldens) stay
// put; to change one, edit it below, delete the file and run
//
//	go test ./normalizers/avroscan/ -run Golden -update
//
// then review the new golden. The framing is written by rawOCF with a fixed
// sync marker, so a regenerated file is byte for byte the same.
var fixtures = map[string]func(testing.TB) []byte{
	// A 3PL's nightly file: a UPS journey with every kind of time, carriers
	// without a table, a resent scan, and three records to refuse.
	"ocf-3pl-mixed-carriers.avro": func(tb testing.TB) []byte {
		ups := func(code, sub, desc, at string, off *int32, city, region, postal, facility string) scan {
			return scan{Carrier: "ups", Tracking: "1Z999AA10123456784", Service: "UPS Ground", Code: code, Subcode: sub, Desc: desc,
				At: at, Offset: off, City: city, Region: region, Postal: postal, Country: "US", Facility: facility, ETA: "2026-11-20"}
		}
		recs := []scan{
			ups("MP", "M", "Shipper created a label, UPS has not received the package yet.", "2026-11-18T14:12:00-05:00", nil, "Atlanta", "GA", "30301", ""),
			ups("PU", "P", "Pickup Scan", "2026-11-18T17:40:00", minutes(-300), "Atlanta", "GA", "30301", ""),
			ups("AR", "I", "Arrived at Facility", "2026-11-19T02:15:00", nil, "Louisville", "KY", "40209", "KYLOU"),
			ups("DP", "I", "Departed from Facility", "2026-11-19T04:50:00-05:00", nil, "Louisville", "KY", "40209", "KYLOU"),
			ups("DP", "I", "DEPARTURE SCAN", "2026-11-19T04:50:00-05:00", nil, "Louisville", "KY", "40209", "KYLOU"),
			ups("OT", "I", "Out For Delivery Today", "2026-11-20T08:02:00-06:00", nil, "Dallas", "TX", "75201", ""),
			{Carrier: "gls", Tracking: "ZA4T6KQ1", Code: "INDELIVERY", Desc: "The parcel is expected to be delivered during the day.",
				EventType: "out_for_delivery.out_for_delivery", At: "2026-11-20T07:45:00+01:00", City: "Hamburg", Postal: "20095", Country: "DE"},
			{Carrier: "dpd", Tracking: "01234567890123", Code: "13", Desc: "Delivered", At: "2026-11-20T11:03:00",
				City: "Berlin", Postal: "10115", Country: "DE"},
			ups("FS", "D", "DELIVERED", "2026-11-31T10:00:00", nil, "Dallas", "TX", "75201", ""),
			{Carrier: "ups", Tracking: "", Code: "DP", Subcode: "I", At: "2026-11-19T04:50:00-05:00"},
			{Carrier: "", Tracking: "1Z999AA10123456784", Code: "AR", Subcode: "I", At: "2026-11-19T02:15:00-05:00"},
		}
		var data []byte
		for _, r := range recs {
			data = append(data, datum(tb, r)...)
		}
		return rawOCF(schemas.Scan, "null", [][]byte{data}, int64(len(recs)))
	},

	// An aggregator's deflated container under its own schema (see
	// aggregatorSchema), in two blocks. Its first record is the UPS
	// departure of the 3PL file, reworded, with the offset apart: the same
	// event id.
	"ocf-deflate-aggregator-schema.avro": func(tb testing.TB) []byte {
		codec, err := goavro.NewCodec(aggregatorSchema)
		if err != nil {
			tb.Fatal(err)
		}
		off := func(m int64) *int64 { return &m }
		blocks := [][]map[string]any{{
			aggregatorRecord("cp-1001", "1Z999AA10123456784", "ups", "DP", "I", "DEPARTURE SCAN", "", "2026-11-19T04:50:00", off(-300), "Louisville", "KY", "40209", "US"),
			aggregatorRecord("cp-1002", "1Z4V81W80397412345", "ups", "ZZ", "X", "Weather delay reported by 3PL", "exception.delayed_weather", "2026-11-19T18:00:00", off(-360), "Chicago", "IL", "60607", "US"),
		}, {
			aggregatorRecord("cp-1003", "RM123456785GB", "royalmail", "EVKSP", "", "We've got it", "", "2026-11-18T16:20:00Z", nil, "Swindon", "", "SN5 8AA", "GB"),
			aggregatorRecord("cp-1004", "RM123456785GB", "royalmail", "EVKOP", "", "Delivered", "delivered.delivered", "2026-11-20T10:31:00", nil, "", "", "", ""),
		}}
		var framed [][]byte
		var counts []int64
		for _, blk := range blocks {
			var data []byte
			for _, r := range blk {
				if data, err = codec.BinaryFromNative(data, r); err != nil {
					tb.Fatal(err)
				}
			}
			var z bytes.Buffer
			w, _ := flate.NewWriter(&z, flate.DefaultCompression)
			w.Write(data)
			w.Close()
			framed = append(framed, z.Bytes())
			counts = append(counts, int64(len(blk)))
		}
		return rawOCF(aggregatorSchema, "deflate", framed, counts...)
	},

	// One Kafka record from a producer with a schema registry.
	"confluent-ups-delivered.avro": func(tb testing.TB) []byte {
		return confluent(tb, 42, scan{Carrier: "ups", Tracking: "1Z999AA10123456784", Service: "UPS Ground",
			Code: "FS", Subcode: "D", Desc: "DELIVERED", At: "2026-11-20T14:31:07-06:00",
			City: "Dallas", Region: "TX", Postal: "75201", Country: "US", ETA: "2026-11-20"})
	},
}

func ensureFixtures(tb testing.TB) {
	tb.Helper()
	dir := filepath.Join(normalizertest.Root(tb), "testdata", "carriers", "avro")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		tb.Fatal(err)
	}
	for name, build := range fixtures {
		path := filepath.Join(dir, name)
		if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err := os.WriteFile(path, build(tb), 0o644); err != nil {
			tb.Fatal(err)
		}
	}
}
