// Package avroscan normalizes the generic Avro scan feed of 3PLs and
// aggregators (schemas/scan.avsc): one record is one carrier scan, already
// split into fields, whose code is mapped with that carrier's own table.
//
// A payload is one of:
//
//   - a Confluent wire-format record: byte 0, a 4-byte schema id, then one
//     datum. The registry is not consulted; the writer schema must have
//     scan.avsc's binary layout.
//   - an Avro object container ("Obj\x01"): any number of records, under a
//     writer schema whose fields match scan.avsc's by name (see schema.go).
//   - one plain Avro binary datum of scan.avsc.
//
// The feed is bound to a carrier (the topic's) or to "generic", in which
// case every record must name its carrier.
package avroscan

import (
	"encoding/binary"
	"fmt"

	"github.com/linkedin/goavro/v2"
	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/normalizers"
	"github.com/wismo/wismo/schemas"
)

// scanCodec decodes single datums, which carry no schema of their own.
var scanCodec = func() *goavro.Codec {
	c, err := goavro.NewCodec(schemas.Scan)
	if err != nil {
		panic("avroscan: scan.avsc: " + err.Error())
	}
	return c
}()

// feedName is the feed field of the events this feed makes.
const feedName = "avro"

func init() {
	// The feed's samples are in testdata/carriers/avro; the benchmark
	// measures the object containers, as it always has.
	feed := normalizers.Feed{Format: normalizers.Avro, Topic: "raw.scans.avro", Dir: "avro", Bench: []string{"ocf-*.avro"}}
	normalizers.RegisterGeneric(feed, func(carrier string) normalizers.Normalizer { return New(carrier) })
}

// Normalizer reads the scan feed for one bound carrier.
type Normalizer struct {
	carrier string
}

// New returns the normalizer of a feed bound to carrier, or to
// normalizers.GenericCarrier when each record names its own.
func New(carrier string) *Normalizer { return &Normalizer{carrier: carrier} }

func (n *Normalizer) Carrier() string             { return n.carrier }
func (n *Normalizer) DisplayName() string         { return event.DisplayName(n.carrier) }
func (*Normalizer) Formats() []normalizers.Format { return []normalizers.Format{normalizers.Avro} }

// Feed implements normalizers.Feeder: the events came through the generic
// Avro scan feed, whichever carrier each names.
func (*Normalizer) Feed() string { return feedName }

// Normalize implements normalizers.Normalizer.
func (n *Normalizer) Normalize(in *normalizers.Input, b *normalizers.Batch) error {
	p := in.Payload
	d := decoder{n: n, b: b}
	switch {
	case len(p) >= len(ocfMagic) && string(p[:len(ocfMagic)]) == ocfMagic:
		return d.container(p)
	case len(p) >= 5 && p[0] == 0:
		// Byte 0 also starts a plain datum whose carrier is empty, so a
		// frame that does not decode is tried as a plain datum too.
		v, rest, err := scanCodec.NativeFromBinary(p[5:])
		if err == nil && len(rest) == 0 {
			return d.datum(v)
		}
		if v, rest, err2 := scanCodec.NativeFromBinary(p); err2 == nil && len(rest) == 0 {
			return d.datum(v)
		}
		if err == nil {
			err = fmt.Errorf("%d bytes after the datum", len(rest))
		}
		return normalizers.Errorf(normalizers.KindDecode, n.carrier,
			"Confluent frame (schema id %d) does not hold a scan.avsc datum: %v", binary.BigEndian.Uint32(p[1:5]), err)
	}
	v, rest, err := scanCodec.NativeFromBinary(p)
	if err != nil {
		if len(p) > 0 && (p[0] == '{' || p[0] == '[') {
			return normalizers.Errorf(normalizers.KindDecode, n.carrier, "payload looks like JSON, not Avro")
		}
		return normalizers.Errorf(normalizers.KindDecode, n.carrier, "not a scan.avsc Avro datum: %v", err)
	}
	if len(rest) != 0 {
		return normalizers.Errorf(normalizers.KindDecode, n.carrier,
			"%d bytes after the scan.avsc datum (a newer writer schema, or not this feed)", len(rest))
	}
	return d.datum(v)
}

func (d *decoder) datum(v any) error {
	m, ok := v.(map[string]any)
	if !ok {
		return normalizers.Errorf(normalizers.KindDecode, d.n.carrier, "datum is not a record")
	}
	d.record(m, 0)
	return nil
}

func (d *decoder) container(p []byte) error {
	c, err := openContainer(p)
	if err != nil {
		return normalizers.Errorf(normalizers.KindDecode, d.n.carrier, "Avro container: %v", err)
	}
	records := 0
	for {
		count, data, err := c.next()
		if err != nil {
			return normalizers.Errorf(normalizers.KindDecode, d.n.carrier, "Avro container: %v", err)
		}
		if data == nil {
			return nil
		}
		for ; count > 0; count-- {
			v, rest, err := c.codec.NativeFromBinary(data)
			if err != nil {
				return normalizers.Errorf(normalizers.KindDecode, d.n.carrier,
					"Avro container: block %d, record %d: %v", c.blocks, records+1, err)
			}
			data = rest
			records++
			m, ok := v.(map[string]any)
			if !ok {
				return normalizers.Errorf(normalizers.KindDecode, d.n.carrier, "Avro container: record %d is not a record", records)
			}
			d.record(m, records)
		}
		if len(data) != 0 {
			return normalizers.Errorf(normalizers.KindDecode, d.n.carrier,
				"Avro container: block %d has %d bytes after its last record", c.blocks, len(data))
		}
	}
}
