package normalizers

import (
	"strings"
	"testing"
)

// scanAll reads a document and returns its tokens as "<a", ">a", "text", or
// the error.
func scanAll(doc string) (string, error) {
	s := NewXMLScanner([]byte(doc))
	var out []string
	for {
		k, err := s.Next()
		if err != nil {
			return strings.Join(out, " "), err
		}
		switch k {
		case XMLEOF:
			return strings.Join(out, " "), nil
		case XMLStart:
			out = append(out, "<"+string(s.Name()))
		case XMLEnd:
			out = append(out, ">"+string(s.Name()))
		case XMLText:
			out = append(out, string(s.Text()))
		}
	}
}

func TestXMLScannerReads(t *testing.T) {
	for doc, want := range map[string]string{
		`<?xml version="1.0" encoding="UTF-8"?><a x="1"><b>t&amp;&#233;&#x41;</b><c/></a>`: "<a <b t&éA >b <c >c >a",
		"\xef\xbb\xbf<s:E xmlns:s='u'> <!-- c --><d><![CDATA[<x>]]></d></s:E>":             "<E <d <x> >d >E",
		`<?xml version="1.0" encoding="ISO-8859-1"?><a>K` + "\xf6" + `ln</a>`:              "<a Köln >a",
		// The fast paths (plain text found with IndexByte, end tags compared in
		// place) read what the byte-by-byte ones do: white space before a
		// CDATA section is part of its text, an end tag may have a prefix or
		// space before its '>'.
		"<a>\n  <![CDATA[x]]>y</a>":               "<a \n  xy >a",
		"<s:a>\n   <b>t</b \t></s:a>":             "<a <b t >b >a",
		"<a>" + strings.Repeat("n", 256) + "</a>": "<a " + strings.Repeat("n", 256) + " >a",
		// Indentation skipped eight spaces at a time keeps the text after it.
		"<a>\n" + strings.Repeat(" ", 19) + "<b>x</b>\n\t </a>": "<a <b x >b >a",
		"<a>" + strings.Repeat(" ", 9) + "y z</a>":              "<a          y z >a",
		"<a>\r\n" + strings.Repeat(" ", 16) + "<b/>\n</a>":      "<a <b >b >a",
		"<a>\r\n  x\r\n</a>":                                    "<a \n  x\n >a",
		// One text however it is cut, line ends read as LF.
		"<a>x<!-- c -->y<?pi?>z<![CDATA[\r\n]]>1\r2\r\n3</a>": "<a xyz\n1\n2\n3 >a",
		"<a> \r\n <!-- c --> <b/>\r</a>":                      "<a <b >b >a",
	} {
		got, err := scanAll(doc)
		if err != nil || got != want {
			t.Errorf("%q: got %q, %v; want %q", doc, got, err, want)
		}
	}
}

func TestXMLScannerAttr(t *testing.T) {
	s := NewXMLScanner([]byte("<r><p:a xmlns:p='u' p:ID=\"x&amp;&#65;\r\ny\" plain='v'/><b/></r>"))
	for {
		k, err := s.Next()
		if err != nil || k == XMLEOF {
			t.Fatalf("no <a>: %v", err)
		}
		if k == XMLStart && string(s.Name()) == "a" {
			break
		}
	}
	if !s.Within("r") || s.Within("r", "x") || s.Within("x") || !s.Within() {
		t.Errorf("Within in r/a: %v %v %v", s.Within("r"), s.Within("r", "x"), s.Within("x"))
	}
	id, plain := s.Attr("ID"), s.Attr("plain")
	if string(id) != "x&A\ny" || string(plain) != "v" || s.Attr("none") != nil {
		t.Fatalf("ID %q plain %q none %q", id, plain, s.Attr("none"))
	}
	s.Next() // </a>
	s.Next() // <b>
	if s.Attr("plain") != nil || string(id) != "x&A\ny" {
		t.Errorf("<b> has the attributes of <a>, or the value of ID changed: %q", id)
	}
}

// A payload without any element is told apart from broken XML.
func TestXMLNoRoot(t *testing.T) {
	for doc, want := range map[string]bool{
		"": true, `<?xml version="1.0"?>`: true, "<!-- c -->\n": true, "Service Unavailable": true,
		"<a>": false, "<a/>x": false, "<a": false,
	} {
		_, err := scanAll(doc)
		if err == nil || XMLNoRoot(err) != want {
			t.Errorf("%q: error %v, XMLNoRoot %v, want %v", doc, err, XMLNoRoot(err), want)
		}
	}
}

// The scanner refuses what could blow up or hide input: declarations (hence
// entity definitions and external entities), unknown entities, too deep
// nesting, mismatched or missing end tags, and invalid UTF-8.
func TestXMLScannerRefuses(t *testing.T) {
	for doc, want := range map[string]string{
		`<!DOCTYPE a [<!ENTITY e SYSTEM "file:///etc/passwd">]><a>&e;</a>`: "DOCTYPE",
		`<a>&e;</a>`:                          "undefined entity",
		"<" + strings.Repeat("n", 257) + "/>": "longer than 256",
		"<a></ab>":                            "does not match",
		`<a>&#0;</a>`:                         "bad character reference",
		strings.Repeat("<a>", MaxXMLDepth+1):  "nested deeper",
		`<a><b></a>`:                          "does not match",
		"<a>\n<b>":                            "line 2: the document ends inside <b>",
		"<a>\xff</a>":                         "UTF-8",
		`<a></a><b></b>`:                      "second root",
		``:                                    "no root",
		`<a>` + strings.Repeat("x", MaxXMLText+1) + `</a>`: "longer than",
		`<?xml version="1.0" encoding="shift_jis"?><a/>`:   "unsupported charset",
		`<a b=c/>`:     "unquoted",
		`<a b="&e;"/>`: "undefined entity",
		`<a>&amp</a>`:  "unterminated or unknown entity",
		`<a><!-- </a>`: "unterminated comment",
	} {
		_, err := scanAll(doc)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%.60q: error %v, want one containing %q", doc, err, want)
		}
	}
}

// A text with entities stays valid after later tokens: decoders keep a
// record's texts until its end.
func TestXMLScannerTextsStayValid(t *testing.T) {
	s := NewXMLScanner([]byte(`<a><b>x&amp;1</b><c>y&amp;2</c></a>`))
	var texts [][]byte
	for {
		k, err := s.Next()
		if err != nil || k == XMLEOF {
			break
		}
		if k == XMLText {
			texts = append(texts, s.Text())
		}
	}
	if len(texts) != 2 || string(texts[0]) != "x&1" || string(texts[1]) != "y&2" {
		t.Fatalf("texts %q", texts)
	}
}

func FuzzXMLScanner(f *testing.F) {
	f.Add([]byte(`<a x="1"><b>t&amp;</b><c/></a>`))
	f.Add([]byte(`<!DOCTYPE a><a/>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s := NewXMLScanner(data)
		for i := 0; i <= len(data)+1; i++ { // every token consumes input: bounded
			k, err := s.Next()
			if err != nil || k == XMLEOF {
				return
			}
		}
		t.Fatalf("more tokens than bytes in %q", data)
	})
}

// Attr finds an attribute of the current start tag by its local name, with
// either quote and entities expanded, and nothing once the tag is left.
func TestXMLScannerAttrQuotes(t *testing.T) {
	s := NewXMLScanner([]byte(`<data name="piece-event" x:code='ZU' city="53113 Bonn &amp; K&#246;ln"><e/></data>`))
	if k, err := s.Next(); k != XMLStart || err != nil {
		t.Fatal(k, err)
	}
	for name, want := range map[string]string{"name": "piece-event", "code": "ZU", "city": "53113 Bonn & Köln", "nope": ""} {
		if got := string(s.Attr(name)); got != want {
			t.Errorf("Attr(%q) = %q, want %q", name, got, want)
		}
	}
	if k, err := s.Next(); k != XMLStart || err != nil || s.Attr("name") != nil {
		t.Fatalf("<e/>: %v %v %q", k, err, s.Attr("name"))
	}
	if k, err := s.Next(); k != XMLEnd || err != nil || s.Attr("name") != nil {
		t.Fatalf("</e>: %v %v", k, err)
	}
}
