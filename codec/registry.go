package codec

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Registry is the small part of the Confluent Schema Registry REST API that
// wismo needs: register a schema under a subject and learn its id.
type Registry struct {
	URL, Username, Password string
	// Client defaults to one with a 10 s timeout.
	Client *http.Client
}

// Subject is the registry subject of a topic's values (Confluent's default
// TopicNameStrategy), the name consumers look the schema up by.
func Subject(topic string) string { return topic + "-value" }

// Register registers schema under subject and returns its id. Registering
// the same schema again is harmless: the registry answers with the id it
// already has.
func (r *Registry) Register(ctx context.Context, subject, schema string) (int32, error) {
	where := "schema_registry.url " + redacted(r.URL)
	body, err := json.Marshal(map[string]string{"schema": schema})
	if err != nil {
		return 0, err
	}
	u := strings.TrimRight(r.URL, "/") + "/subjects/" + url.PathEscape(subject) + "/versions"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("%s: %w", where, err)
	}
	req.Header.Set("Content-Type", "application/vnd.schemaregistry.v1+json")
	req.Header.Set("Accept", "application/vnd.schemaregistry.v1+json")
	if r.Username != "" {
		req.SetBasicAuth(r.Username, r.Password)
	}
	c := r.Client
	if c == nil {
		c = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := c.Do(req)
	if err != nil {
		return 0, fmt.Errorf("%s: registering subject %s: %w (is the registry up at that address?)", where, subject, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return 0, fmt.Errorf("%s: registering subject %s: %s: check schema_registry.username and schema_registry.password", where, subject, resp.Status)
	case resp.StatusCode != http.StatusOK:
		// The body is quoted only in part: a proxy's error page is no
		// error message.
		return 0, fmt.Errorf("%s: registering subject %s: %s: %.300q", where, subject, resp.Status, bytes.TrimSpace(data))
	}
	var out struct {
		ID *int32 `json:"id"`
	}
	if err := json.Unmarshal(data, &out); err != nil || out.ID == nil {
		return 0, fmt.Errorf("%s: registering subject %s: the answer has no schema id: %.200q", where, subject, data)
	}
	return *out.ID, nil
}

// redacted hides a password written into the URL itself.
func redacted(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}
