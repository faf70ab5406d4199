package feeds

import (
	"github.com/valyala/fastjson"
	"github.com/valyala/fastjson/fastfloat"
	"github.com/wismo/wismo/event"
	"github.com/wismo/wismo/normalizers"
)

// Text returns a JSON field as bytes, whatever scalar the feed put there:
// a string's contents, a number's digits ("numbers as strings" and the
// reverse both occur), nil for null, an object or an array.
func Text(v *fastjson.Value, keys ...string) []byte {
	v = v.Get(keys...)
	if v == nil {
		return nil
	}
	switch v.Type() {
	case fastjson.TypeString:
		s, _ := v.StringBytes()
		return s
	case fastjson.TypeNumber:
		return v.MarshalTo(nil)
	}
	return nil
}

// Date returns the "YYYY-MM-DD" that starts v (a date or a date-time), or
// "" for anything else: a bad estimate is dropped, not the scan.
func Date(b *normalizers.Batch, v []byte) string {
	if len(v) < 10 || (len(v) > 10 && v[10] != 'T' && v[10] != ' ') {
		return ""
	}
	for i, c := range v[:10] {
		if (i == 4 || i == 7) != (c == '-') || c != '-' && (c < '0' || c > '9') {
			return ""
		}
	}
	return b.Str(v[:10])
}

// homeCountry is the country of a carrier whose feeds give a place's state
// without its country (EasyPost's USPS scans): a domestic carrier's scans
// are at home unless they say otherwise.
var homeCountry = map[string]string{"usps": "US", "canadapost": "CA"}

// FillCountry gives a place that names its region but no country the
// country of the shipment's end in the same region's country, else the
// carrier's home, so that its time zone can be found.
func FillCountry(l *event.Location, carrier string, ends ...*event.Location) {
	if l.Country != "" || l.Region == "" {
		return
	}
	for _, e := range ends {
		if e.Country != "" {
			l.Country = e.Country
			return
		}
	}
	l.Country = homeCountry[carrier]
}

// Absent reports whether a field is missing, null or an empty string: a
// feed's way of saying it has no value, unlike a value it cannot read.
func Absent(v *fastjson.Value, key string) bool { return absent(v.Get(key)) }

func absent(f *fastjson.Value) bool {
	if f == nil || f.Type() == fastjson.TypeNull {
		return true
	}
	s, err := f.StringBytes()
	return err == nil && len(s) == 0
}

// Shown is a field's JSON text for an error message, quoted and cut to a
// bounded length; "null" when absent.
func Shown(v *fastjson.Value, key string) string { return shown(v.Get(key)) }

func shown(f *fastjson.Value) string {
	if f == nil {
		return "null"
	}
	return normalizers.Quote(string(f.MarshalTo(nil)))
}

// NotString reports whether a field holds something other than a string
// or null: a status is a word of the feed's vocabulary, and a tracker whose
// status is a number or an object is not one the feed sent.
func NotString(v *fastjson.Value, keys ...string) bool {
	f := v.Get(keys...)
	return f != nil && f.Type() != fastjson.TypeString && f.Type() != fastjson.TypeNull
}

// First is the value a decoder keeps of a key while it visits an object's
// fields (Object.Visit, a switch on the key): the first value of a key an
// object repeats, as Get finds it. had is what it kept so far.
func First(had, x *fastjson.Value) *fastjson.Value {
	if had != nil {
		return had
	}
	return x
}

// Int reads the next value of sc as fastjson's GetInt did, for a decoder
// that reads with a JSONScanner: a number that is an integer, else 0.
func Int(sc *normalizers.JSONScanner) int64 {
	if sc.Kind() != normalizers.JSONNumber {
		sc.Skip()
		return 0
	}
	d := sc.Raw()
	if len(d) > 18 { // fastfloat's own fallback, for the rare long one
		n, err := fastfloat.ParseInt64(string(d))
		if err != nil {
			return 0
		}
		return n
	}
	i := 0
	if len(d) > 0 && d[0] == '-' {
		i++
	}
	n, j := int64(0), i
	for ; i < len(d) && d[i] >= '0' && d[i] <= '9'; i++ {
		n = n*10 + int64(d[i]-'0')
	}
	if i <= j || i < len(d) {
		return 0
	}
	if d[0] == '-' {
		n = -n
	}
	return n
}
