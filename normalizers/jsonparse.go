package normalizers

import "github.com/valyala/fastjson"

// ParseObject parses a JSON payload whose top level must be an object, as
// every JSON carrier API answers, with p from the carrier's parser pool. The
// errors are decode errors that say what was expected: what names the
// answer ("a GLS Track & Trace answer").
func ParseObject(p *fastjson.Parser, payload []byte, carrier, what string) (*fastjson.Value, error) {
	root, err := p.ParseBytes(payload)
	if err != nil {
		return nil, Errorf(KindDecode, carrier, "malformed JSON: %v", err)
	}
	if root.Type() != fastjson.TypeObject {
		return nil, Errorf(KindDecode, carrier, "not %s: the payload is a JSON %s, not an object", what, root.Type())
	}
	return root, nil
}
