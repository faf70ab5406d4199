package normalize

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// SchemaRegistry is the small part of the Confluent Schema Registry REST API
// the stage needs: register a schema under a subject and learn its id.
type SchemaRegistry struct {
	URL, Username, Password string
	Client                  *http.Client
}

// Register registers schema under subject (idempotent on the registry's
// side: the same schema returns the same id).
func (r *SchemaRegistry) Register(subject, schema string) (int32, error) {
	body, _ := json.Marshal(map[string]string{"schema": schema})
	u := strings.TrimRight(r.URL, "/") + "/subjects/" + url.PathEscape(subject) + "/versions"
	req, err := http.NewRequest(http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("schema registry: %w", err)
	}
	req.Header.Set("Content-Type", "application/vnd.schemaregistry.v1+json")
	if r.Username != "" {
		req.SetBasicAuth(r.Username, r.Password)
	}
	c := r.Client
	if c == nil {
		c = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, fmt.Errorf("schema registry: %w", err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		// The body is quoted only in part: a proxy's error page is no
		// error message.
		msg := bytes.TrimSpace(data)
		if len(msg) > 300 {
			msg = append(msg[:300:300], "..."...)
		}
		return 0, fmt.Errorf("schema registry: register %s at schema_registry.url: %s: %s", subject, resp.Status, msg)
	}
	var out struct {
		ID int32 `json:"id"`
	}
	if err := json.Unmarshal(data, &out); err != nil {
		return 0, fmt.Errorf("schema registry: register %s: %w", subject, err)
	}
	return out.ID, nil
}

// ConfluentPrefix is the Confluent wire format's header: magic byte 0 and
// the schema id, big-endian.
func ConfluentPrefix(id int32) []byte {
	return binary.BigEndian.AppendUint32([]byte{0}, uint32(id))
}
