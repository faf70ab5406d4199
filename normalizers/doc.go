// Package normalizers turns raw carrier tracking payloads into canonical
// shipment events.
//
// Each carrier lives in its own sub-package (normalizers/ups, ...), with its
// code table as an embedded TSV file, and registers itself here in init.
// Import normalizers/all to get every carrier.
//
// The hot path is Normalize: one call per raw record. A Batch is reused from
// record to record; the events it returns share one arena of immutable
// strings, so a steady-state call allocates (almost) nothing per event.
// Events may be kept after the next call: the arena is never overwritten,
// only replaced.
//
// A carrier decodes its format and describes each scan as a Scan; Batch.Add
// does the rest the same way for every carrier: time zone resolution
// (carrier offset, then location, then assumed UTC), the sanity check on
// time stamps, the deterministic event id, and dropping a payload's
// duplicate scans.
package normalizers
