package normalizers

import (
	"errors"
	"fmt"
)

// Kind classifies a rejection. It is what the dead-letter topic's error_kind
// header carries, so the values are part of the contract.
type Kind string

const (
	// KindDecode: the payload is not well-formed JSON, XML or Avro, or not
	// the carrier's shape.
	KindDecode Kind = "decode"
	// KindValidate: well-formed but unusable (a required field missing).
	KindValidate Kind = "validate"
	// KindTimestamp: a scan's time is absurd (before 2000, or in the future).
	KindTimestamp Kind = "timestamp"
	// KindUnsupportedCarrier: no normalizer for the carrier, or not in this format.
	KindUnsupportedCarrier Kind = "unsupported_carrier"
	// KindTooLarge: the payload is larger than the configured limit.
	KindTooLarge Kind = "too_large"
	// KindInvalidTracking: the carrier says the tracking number is invalid.
	KindInvalidTracking Kind = "invalid_tracking_number"
	// KindCarrierError: the carrier answered with an error other than "not found".
	KindCarrierError Kind = "carrier_error"
	// KindNotFound: the carrier has no data yet and the payload does not say
	// for which tracking number, so no pending event can be made.
	KindNotFound Kind = "not_found"
	// KindEmpty: the payload holds no scans and no carrier answer at all.
	KindEmpty Kind = "empty"
)

// Error is a rejection of a payload, or of one scan in it.
type Error struct {
	Kind     Kind
	Carrier  string
	Tracking string // when known
	Msg      string
}

func (e *Error) Error() string {
	if e.Tracking != "" {
		t := e.Tracking
		if !ValidTracking(t) { // a decoder's, from the payload: bounded and escaped
			t = Quote(t)
		}
		return fmt.Sprintf("%s %s: %s: %s", e.Carrier, t, e.Kind, e.Msg)
	}
	return fmt.Sprintf("%s: %s: %s", e.Carrier, e.Kind, e.Msg)
}

// Errorf makes an *Error.
func Errorf(kind Kind, carrier, format string, args ...any) *Error {
	return &Error{Kind: kind, Carrier: carrier, Msg: fmt.Sprintf(format, args...)}
}

// KindOf returns the kind of err, or KindDecode for errors that are not an
// *Error (a decoder's own error is a decode problem).
func KindOf(err error) Kind {
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	return KindDecode
}
