package laposte_test

import (
	"testing"

	"github.com/wismo/wismo/normalizers"
	"github.com/wismo/wismo/normalizers/laposte"
	"github.com/wismo/wismo/normalizers/normalizertest"
)

var n = laposte.New()

func FuzzLaPoste(f *testing.F) {
	normalizertest.Seeds(f, "laposte/*.json")
	for _, s := range []string{
		`[{"returnCode":404,"idShip":"6A1"},{"returnCode":200,"shipment":{"idShip":"6A2","event":[{"code":"XX9","label":"x","date":"2024-02-30T10:00:00+01:00"}]}}]`,
		`{"returnCode":400,"returnMessage":"Votre numéro est inconnu."}`,
		`[]`,
		`{"returnCode":200,"shipment":{"idShip":"6A2","estimDate":"2024-13-01","event":[]}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) { normalizertest.FuzzNormalizer(t, n, normalizers.JSON, data) })
}

// Codes decide, wording refines within the code's milestone in French and
// English, a code the table lacks is placed by its label, an unknown one
// with an unknown label is unknown.unmapped with its code kept, and an
// impossible date rejects that scan alone.
func TestCodesAndLabels(t *testing.T) {
	payload := `{"returnCode":200,"shipment":{"idShip":"6A3","event":[
	{"code":"DI1","label":"Votre colis a été livré chez votre gardien.","date":"2024-03-04T10:00:00+01:00"},
	{"code":"DI1","label":"Your parcel was delivered to your neighbour.","date":"2024-03-04T09:00:00+01:00"},
	{"code":"ZZ1","label":"Votre colis est retenu en douane : droits et taxes à payer.","date":"2024-03-03T09:00:00+01:00"},
	{"code":"ZZ2","label":"Rien de connu","date":"2024-03-02T09:00:00+01:00"},
	{"code":"DI1","label":"Votre colis est livré.","date":"2024-02-30T09:00:00+01:00"}]}}`
	b, err := normalizertest.Normalize(n, normalizers.JSON, []byte(payload), "")
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Events) != 4 || len(b.Rejected) != 1 {
		t.Fatalf("events %d, rejected %d: %v", len(b.Events), len(b.Rejected), b.Rejected)
	}
	want := []string{"unknown.unmapped", "exception.customs_payment_required", "delivered.to_neighbor", "delivered.to_agent"}
	for i, e := range b.Events {
		if e.Type.Name != want[i] {
			t.Errorf("%s %q: %s, want %s", e.Raw.Code, e.Raw.Description, e.Type.Name, want[i])
		}
	}
	if b.Events[0].Raw.Code != "ZZ2" {
		t.Errorf("raw code %q", b.Events[0].Raw.Code)
	}
}

// One number La Poste does not know among several does not reject the
// others; alone, with the record's number, it is pending.
func TestNotFound(t *testing.T) {
	b, err := normalizertest.Normalize(n, normalizers.JSON, []byte(`{"returnCode":404,"returnMessage":"Numéro non trouvé"}`), "6A4")
	if err != nil || len(b.Events) != 1 || b.Events[0].Type.Name != "pending.tracking_registered" {
		t.Fatalf("err %v, events %+v", err, b.Events)
	}
	_, err = normalizertest.Normalize(n, normalizers.JSON, []byte(`{"returnCode":400,"returnMessage":"Format invalide"}`), "")
	if normalizers.KindOf(err) != normalizers.KindInvalidTracking {
		t.Fatalf("400: %v", err)
	}
}
