package normalizers

import "testing"

func TestParseNumeric(t *testing.T) {
	for in, want := range map[string]string{
		"8/17/2021 7:11:26 PM": "2021-08-17T19:11:26", "8/18/2021 12:09:55 AM": "2021-08-18T00:09:55",
		"17.08.2021 19:11:26": "2021-08-17T19:11:26", "17.08.2021, 19:11": "2021-08-17T19:11:00",
		"2021-08-17T19:11:26": "2021-08-17T19:11:26", "13/17/2021 7:11:26 PM": "", "8/17/2021 13:11:26 PM": "",
		"31.04.2021 10:00": "", "8/17/2021": "", "": "", "8/17/2021 7:11:26 PMX": "",
	} {
		got := ""
		if t, ok := ParseNumeric([]byte(in)); ok {
			got = t.Format("2006-01-02T15:04:05")
		}
		if got != want {
			t.Errorf("%q: %q, want %q", in, got, want)
		}
	}
}
