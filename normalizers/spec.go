package normalizers

import (
	"path"
	"sort"
)

// Spec is everything wismo knows about one carrier, declared once in the
// carrier's package and registered with it. The demo, the conformance
// suite, the fuzz target, the benchmark and the bad-input tests loop over
// the registered specs, so a new carrier gets all of them by registering.
type Spec struct {
	// ID is the carrier's key, used in shipment ids and topic names ("ups").
	ID string
	// Name is how customers know the carrier ("UPS").
	Name string
	// Reads lists the formats the decoder reads natively; the first is the
	// default.
	Reads []Format
	// Table is the carrier's code table (codes.tsv).
	Table *Table
	// Topics names the raw topic a format arrives on where it is not the
	// default: "raw.<id>" for the first format, "raw.<id>.<format>" for
	// the others.
	Topics map[Format]string
	// Bench, when set, narrows BenchmarkNormalize to the samples matching
	// these patterns (inside the sample folder), so that its figures stay
	// comparable across commits; by default every sample that the decoder
	// does not reject as a whole is measured.
	Bench []string
}

// Carrier, DisplayName and Formats make a decoder that embeds its Spec
// implement those methods of Normalizer.
func (s *Spec) Carrier() string     { return s.ID }
func (s *Spec) DisplayName() string { return s.Name }
func (s *Spec) Formats() []Format   { return s.Reads }

// CarrierSpec returns the spec itself: Register finds a decoder's spec
// through it.
func (s *Spec) CarrierSpec() *Spec { return s }

// Samples is the folder of the carrier's sample payloads, relative to the
// repository root.
func (s *Spec) Samples() string { return path.Join(SamplesRoot, s.ID) }

// SamplesRoot holds one folder of sample payloads per carrier, and one per
// generic feed, relative to the repository root.
const SamplesRoot = "testdata/carriers"

// Feed describes a carrier-independent format, such as the generic Avro
// scan feed, for RegisterGeneric.
type Feed struct {
	Format Format
	// Topic is the raw topic the demo binds the feed to.
	Topic string
	// Dir is the feed's folder of sample payloads under SamplesRoot.
	Dir string
	// Bench is as Spec.Bench.
	Bench []string
}

// Source is one way payloads reach the normalize stage: a carrier in one of
// its formats, or a generic feed.
type Source struct {
	Carrier string // GenericCarrier for a generic feed
	Format  Format
	Topic   string   // the raw topic the demo binds it to
	Dir     string   // its sample payloads, relative to the repository root
	Bench   []string // see Spec.Bench
	// Spec is the carrier's spec; nil for a generic feed.
	Spec *Spec
}

// Name is the source's name in benchmarks and test names: the carrier, with
// "_<format>" when it is not the carrier's default format ("usps_xml",
// "generic_avro").
func (s Source) Name() string {
	if s.Spec != nil && len(s.Spec.Reads) > 0 && s.Spec.Reads[0] == s.Format {
		return s.Carrier
	}
	return s.Carrier + "_" + string(s.Format)
}

// Ext is the file extension of sample payloads in the source's format.
func (s Source) Ext() string { return "." + string(s.Format) }

// Specs returns the registered carriers' specs, sorted by ID.
func Specs() []*Spec {
	mu.RLock()
	defer mu.RUnlock()
	out := make([]*Spec, 0, len(specs))
	for _, s := range specs {
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Sources lists every carrier in every format it reads, then the generic
// feeds, in a stable order.
func Sources() []Source {
	var out []Source
	for _, s := range Specs() {
		for i, f := range s.Reads {
			topic := s.Topics[f]
			switch {
			case topic != "":
			case i == 0:
				topic = "raw." + s.ID
			default:
				topic = "raw." + s.ID + "." + string(f)
			}
			out = append(out, Source{Carrier: s.ID, Format: f, Topic: topic, Dir: s.Samples(), Bench: s.Bench, Spec: s})
		}
	}
	mu.RLock()
	feeds := make([]Feed, 0, len(generic))
	for _, g := range generic {
		feeds = append(feeds, g.feed)
	}
	mu.RUnlock()
	sort.Slice(feeds, func(i, j int) bool { return feeds[i].Format < feeds[j].Format })
	for _, f := range feeds {
		out = append(out, Source{Carrier: GenericCarrier, Format: f.Format, Topic: f.Topic,
			Dir: path.Join(SamplesRoot, f.Dir), Bench: f.Bench})
	}
	return out
}
