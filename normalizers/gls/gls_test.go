package gls_test

import (
	"testing"

	"github.com/wismo/wismo/normalizers"
	"github.com/wismo/wismo/normalizers/gls"
	"github.com/wismo/wismo/normalizers/normalizertest"
)

var n = gls.New()

func FuzzGLS(f *testing.F) {
	normalizertest.Seeds(f, "gls/*.json")
	for _, s := range []string{
		`{"parcels":[{"unitno":"1","status":"INDELIVERY","statusDateTime":"2024-10-07T10:46:14+0200"}]}`,
		`{"parcels":[{"requested":"1","errorCode":"E_400_01","errorMessage":"Bad"},{"unitno":"2","events":[{"code":"X.Y","eventDateTime":"2024-02-30T10:46:14+0200"}]}]}`,
		`{"parcels":[]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) { normalizertest.FuzzNormalizer(t, n, normalizers.JSON, data) })
}

// A code GLS did not document is placed by its wording; one nobody knows is
// unknown.unmapped with its code kept; an impossible date rejects that scan
// alone; an unknown number among known ones does not reject the others.
func TestCodesWordingAndErrors(t *testing.T) {
	payload := `{"parcels":[{"requested":"9","errorCode":"E_404_01","errorMessage":"Resource Not Found"},
	{"unitno":"1","events":[
	{"code":"NEWCODE.X","description":"The parcel has been delivered to the neighbour.","eventDateTime":"2024-10-07T10:46:14+0200","country":"DE"},
	{"code":"OTHER.Y","description":"Something new","eventDateTime":"2024-10-06T10:46:14+0200"},
	{"code":"DELIVERED.NORMAL","description":"Delivered","eventDateTime":"2024-02-30T10:46:14+0200"}]}]}`
	b, err := normalizertest.Normalize(n, normalizers.JSON, []byte(payload), "")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, e := range b.Events {
		got[e.TrackingNumber+" "+e.Raw.Code] = e.Type.Name
	}
	want := map[string]string{"9 E_404_01": "pending.tracking_registered", "1 NEWCODE.X": "delivered.to_neighbor", "1 OTHER.Y": "unknown.unmapped"}
	if len(got) != len(want) || len(b.Rejected) != 1 {
		t.Fatalf("events %v, rejected %v", got, b.Rejected)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %s, want %s", k, got[k], v)
		}
	}
}
