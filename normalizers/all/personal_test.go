package all_test

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/normalizers"
	"github.com/wismo/wismo/normalizers/normalizertest"
)

// nameFields are the payload fields (JSON keys, XML elements) in which the
// carriers name a person: signers, receivers, contacts. "name" counts
// inside a person (DHL's details.receiver, .sender, proofOfDelivery.signed).
var nameFields = map[string]bool{
	"personname": true, "receivedbyname": true, "signedbyname": true, "signaturename": true,
	"deliverysignaturename": true, "signedforbyname": true, "receivedby": true, "signedby": true,
	"signatory": true, "givenname": true, "familyname": true, "attentionname": true,
	"recipientname": true,                   // Royal Mail
	"firstname":     true, "lastname": true, // PostNL addresses
	"consigneename":     true,                     // DHL Express XML-PI
	"deliverysignature": true,                     // Purolator
	"signature":         true, "signature2": true, // LaserShip (Royal Mail's signature is an object)
	"signed_by": true, "customer_name": true, // EasyPost, karrio
}

var personParents = map[string]bool{"receiver": true, "sender": true, "signed": true, "contact": true, "recipient": true}

// notNames are values carriers put in those fields that name nobody.
var notNames = map[string]bool{"DELIVERED": true, "SIGNATURE NOT REQUIRED": true, "DRIVER RELEASE": true,
	"CONSIGNEE NAME": true} // the placeholder of an anonymized XML-PI capture

// freeTextNames are the names that fixtures hold outside any name field:
// DHL Express puts the signatory in a delivery's description.
var freeTextNames = map[string][]string{
	"unified-express-example.json": {"JESSICA"},
}

// payloadNames lists the person names a payload holds in its name fields.
func payloadNames(t *testing.T, data []byte) []string {
	var out []string
	add := func(v string) {
		v = strings.ToUpper(strings.TrimSpace(v))
		if v != "" && !notNames[v] {
			out = append(out, v)
		}
	}
	if d := bytes.TrimSpace(data); len(d) > 0 && d[0] == '<' {
		dec := xml.NewDecoder(bytes.NewReader(data))
		dec.Strict = false
		var open string
		for {
			tok, err := dec.Token()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("XML: %v", err)
			}
			switch tok := tok.(type) {
			case xml.StartElement:
				open = strings.ToLower(tok.Name.Local)
			case xml.CharData:
				if nameFields[open] {
					add(string(tok))
				}
			case xml.EndElement:
				open = ""
			}
		}
		return out
	}
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return nil // Avro: its schema has no field for a person
	}
	var walk func(v any, parent string)
	walk = func(v any, parent string) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				lk := strings.ToLower(k)
				if s, ok := x.(string); ok && (nameFields[lk] || lk == "name" && personParents[parent]) {
					add(s)
				}
				walk(x, lk)
			}
		case []any:
			for _, x := range v {
				walk(x, parent)
			}
		}
	}
	walk(v, "")
	return out
}

// containsWord reports whether upper-cased text holds w as a whole word.
func containsWord(text, w string) bool {
	for i := 0; ; {
		j := strings.Index(text[i:], w)
		if j < 0 {
			return false
		}
		j += i
		before, after := j == 0 || !isLetter(text[j-1]), j+len(w) == len(text) || !isLetter(text[j+len(w)])
		if before && after {
			return true
		}
		i = j + 1
	}
}

func isLetter(c byte) bool { return c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= 0x80 }

// Events carry no personal data: across every carrier fixture (the
// repository's and the shared ones), no event names a person the payload
// names, neither the whole name nor any word of it of three letters or more.
func TestNoPersonalNamesInEvents(t *testing.T) {
	type set struct {
		carrier string
		format  normalizers.Format
		pattern string
	}
	var sets []set
	for _, src := range normalizers.Sources() {
		dir := strings.TrimPrefix(src.Dir, normalizers.SamplesRoot+"/")
		sets = append(sets, set{src.Carrier, src.Format, dir + "/*" + src.Ext()})
	}
	checked, names := 0, 0
	for _, set := range sets {
		n, err := normalizers.Lookup(set.carrier, set.format)
		if err != nil {
			t.Fatal(err)
		}
		files := normalizertest.Fixtures(t, set.pattern)
		// The shared fixture folder, when there is one beside the
		// repository, holds the captures the repository's came from.
		if shared, _ := filepath.Glob(filepath.Join(normalizertest.Root(t), "..", "shared", "fixtures", "carriers", set.pattern)); len(shared) > 0 {
			files = append(files, shared...)
		}
		for _, file := range files {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			want := append(payloadNames(t, data), freeTextNames[filepath.Base(file)]...)
			b, _ := normalizertest.Normalize(n, set.format, data, "")
			checked++
			names += len(want)
			for i := range b.Events {
				line := strings.ToUpper(string(event.AppendJSON(nil, &b.Events[i])))
				for _, name := range want {
					for _, w := range append(strings.Fields(name), name) {
						if len(strings.Trim(w, ".-'")) >= 3 && containsWord(line, w) {
							t.Errorf("%s: an event names %q (of %q): %s", file, w, name, line)
						}
					}
				}
			}
		}
	}
	t.Logf("%d fixtures, %d names looked for", checked, names)
	if names < 8 {
		t.Errorf("only %d names found in the fixtures: the name fields are not read", names)
	}
}

// Each carrier passes the texts it keeps through its redactor: a name put
// in them, the way carriers and resellers write one, is withheld, and the
// scan still maps as before.
func TestNamesInCarrierTextsAreWithheld(t *testing.T) {
	for _, c := range []struct {
		carrier  string
		format   normalizers.Format
		fixture  string
		old, new string
	}{
		{"ups", normalizers.JSON, "ups/track-v1-ground-delivered-photo.json", `"description": "DELIVERED "`, `"description": "DELIVERED - SIGNED BY: HELEN SMITH"`},
		{"ups", normalizers.XML, "ups/xml-track-delivered-sandbox.xml", `<Code>D</Code><Description>DELIVERED</Description>`, `<Code>D</Code><Description>DELIVERED. LEFT WITH: HELEN SMITH</Description>`},
		{"fedex", normalizers.JSON, "fedex/track-v1-ground-delivered-left-at-front-door.json", `"eventDescription": "Delivered"`, `"eventDescription": "Delivered - Signed for by: J.DOE"`},
		{"fedex", normalizers.XML, "fedex/ws-track-v5-priority-overnight-delivered.xml", `<EventDescription>Delivered</EventDescription>`, `<EventDescription>Delivered, signed for by HELEN SMITH</EventDescription>`},
		{"usps", normalizers.JSON, "usps/tracking-v3-parcel-select-delivered-mailbox.json", `"eventType": "Delivered, In/At Mailbox"`, `"eventType": "Delivered, In/At Mailbox, Received by: HELEN SMITH"`},
		{"usps", normalizers.XML, "usps/webtools-first-class-delivered.xml", `<Event>Delivered</Event>`, `<Event>Delivered, Left with: HELEN SMITH</Event>`},
		{"dhl", normalizers.JSON, "dhl/unified-parcel-de-delivered-de.json", `"description": "Die Sendung wurde zugestellt."`, `"description": "Die Sendung wurde zugestellt. Signed by: HELEN SMITH"`},
		{"dhl", normalizers.JSON, "dhl/unified-express-example.json", `"description": "JESSICA"`, `"description": "Helen Smith"`},
		{"gls", normalizers.JSON, "gls/track-in-transit.json", `"description": "The parcel was handed over to GLS."`, `"description": "The parcel was handed over to GLS. Signature: HELEN SMITH"`},
		{"postnl", normalizers.JSON, "postnl/shippingstatus-v2-completestatus-delivered.json", `"Description": "Zending is bezorgd"`, `"Description": "Zending is bezorgd. Ontvangen door: HELEN SMITH"`},
		{"dhl", normalizers.XML, "dhl/xmlpi-delivered-lhr-to-us.xml", `<Description>Delivered - Signed for by</Description>`, `<Description>Delivered - Signed for by: HELEN SMITH</Description>`},
		{"dhl", normalizers.XML, "dhl/piece-detail-delivered-example.xml", `event-text="The shipment has been successfully delivered"`, `event-text="Die Sendung wurde zugestellt. Zugestellt an: HELEN SMITH"`},
		{"dhl", normalizers.JSON, "dhl/mydhl-shipments-tracking-doc-example.json", `"description": "Shipment picked up"`, `"description": "Shipment picked up. Received by: HELEN SMITH"`},
		{"dpd", normalizers.XML, "dpd/plc-parcelshop-delivery-failure-returning.xml", `<content>Delivered by driver to Pickup parcelshop</content>`, `<content>Delivered by driver to Pickup parcelshop. Zugestellt an: HELEN SMITH</content>`},
		{"purolator", normalizers.XML, "purolator/trackpackagesbypin-soap-doc-example.xml", `<Description>New Tracking Number Assigned -</Description>`, `<Description>New Tracking Number Assigned - Received by: HELEN SMITH</Description>`},
		{"royalmail", normalizers.JSON, "royalmail/mailpieces-v2-events-redirected-doc-example.json", `"eventName": "Forwarded - Mis-sort"`, `"eventName": "Forwarded - Mis-sort; received by: HELEN SMITH"`},
		{"lasership", normalizers.JSON, "lasership/lasership-enroute.json", `"EventShortText": "Origin Scan"`, `"EventShortText": "Origin Scan. Received by: HELEN SMITH"`},
		{"laposte", normalizers.JSON, "laposte/suivi-v2-colissimo-fr-br-delivered.json", `"label": "Votre colis est livré."`, `"label": "Votre colis est livré. Signataire : HELEN SMITH"`},
		{"australiapost", normalizers.JSON, "australiapost/track-items-multi-article-unverified.json", `"description": "Delivered - Left in a safe place"`, `"description": "Delivered - Signed for by: HELEN SMITH"`},
	} {
		n, err := normalizers.Lookup(c.carrier, c.format)
		if err != nil {
			t.Fatal(err)
		}
		file := normalizertest.Fixtures(t, c.fixture)[0]
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		hint := normalizertest.Hint(t, file)
		before, _ := normalizertest.Normalize(n, c.format, data, hint)
		types := map[event.ID]string{}
		for _, e := range before.Events {
			types[e.ID] = e.Type.Name
		}
		if !bytes.Contains(data, []byte(c.old)) {
			t.Fatalf("%s: %q is not in the fixture", c.fixture, c.old)
		}
		b, err := normalizertest.Normalize(n, c.format, bytes.ReplaceAll(data, []byte(c.old), []byte(c.new)), hint)
		if err != nil {
			t.Fatalf("%s: %v", c.fixture, err)
		}
		withheld := 0
		for i := range b.Events {
			e := &b.Events[i]
			line := strings.ToUpper(string(event.AppendJSON(nil, e)))
			if containsWord(line, "HELEN") || containsWord(line, "SMITH") || containsWord(line, "DOE") {
				t.Errorf("%s: %s", c.fixture, line)
			}
			if strings.Contains(e.Raw.Description, normalizers.Redacted) {
				withheld++
			}
			if typ, ok := types[e.ID]; ok && typ != e.Type.Name {
				t.Errorf("%s: the name changed the type: %s, was %s", c.fixture, e.Type.Name, typ)
			}
		}
		if withheld == 0 {
			t.Errorf("%s: no description says %s", c.fixture, normalizers.Redacted)
		}
	}
}
