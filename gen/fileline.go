package gen

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"time"
)

// FileLine is one line of the raw.<carrier>.ndjson files that `wismo gen
// --out` writes: a record's poll time, key and payload. A payload that is
// not JSON (a malformed record) is in ValueBase64 instead of Value.
type FileLine struct {
	Time        time.Time       `json:"time"`
	Key         string          `json:"key"`
	Value       json.RawMessage `json:"value"`
	ValueBase64 string          `json:"value_base64"`
}

// Payload is the record's value, bytes as they go to the raw topic.
func (l *FileLine) Payload() ([]byte, error) {
	if l.ValueBase64 == "" {
		return l.Value, nil
	}
	v, err := base64.StdEncoding.DecodeString(l.ValueBase64)
	if err != nil {
		return nil, fmt.Errorf("value_base64: %w", err)
	}
	return v, nil
}
