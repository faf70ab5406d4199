package avroscan

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"

	"github.com/golang/snappy"
	"github.com/linkedin/goavro/v2"
)

// The object container is walked here rather than by goavro.NewOCFReader,
// which is not safe on hostile input: its header reader preallocates a map
// as large as the metadata count claims (up to 2^31 entries: a fatal
// out-of-memory, which recover cannot catch) and it inflates deflate blocks
// without any limit (a 4 MiB payload can expand a thousandfold). The framing
// is small (Avro spec, "Object Container Files"); goavro still compiles the
// writer schema and decodes every record.

const (
	ocfMagic = "Obj\x01"
	syncLen  = 16
	// maxMetadata bounds the header's key/value pairs; writers put in two
	// or three (avro.schema, avro.codec, maybe a creator tag).
	maxMetadata = 64
	// maxInflated bounds what a payload's compressed blocks may expand to.
	maxInflated = 64 << 20
)

var errTruncated = errors.New("truncated")

// container is an object container being read block by block.
type container struct {
	rest        []byte
	codec       *goavro.Codec
	compression string
	sync        []byte
	blocks      int
	inflated    int
	buf         []byte
	inflate     io.ReadCloser
}

// openContainer reads the header of an object container.
func openContainer(p []byte) (*container, error) {
	b := p[len(ocfMagic):]
	var schema []byte
	c := &container{compression: "null"}
	entries := 0
	for {
		count, rest, err := readLong(b)
		if err != nil {
			return nil, fmt.Errorf("header metadata: %v", err)
		}
		b = rest
		if count == 0 {
			break
		}
		if count < 0 {
			// A negative count is followed by the block's size in bytes.
			if _, b, err = readLong(b); err != nil {
				return nil, fmt.Errorf("header metadata: %v", err)
			}
			count = -count
		}
		if count < 0 || count > maxMetadata-int64(entries) {
			return nil, fmt.Errorf("header metadata claims %d entries", count)
		}
		entries += int(count)
		for ; count > 0; count-- {
			var key, val []byte
			if key, b, err = readBytes(b); err != nil {
				return nil, fmt.Errorf("header metadata key: %v", err)
			}
			if val, b, err = readBytes(b); err != nil {
				return nil, fmt.Errorf("header metadata value of %q: %v", key, err)
			}
			switch string(key) {
			case "avro.schema":
				schema = val
			case "avro.codec":
				c.compression = string(val)
			}
		}
	}
	if len(b) < syncLen {
		return nil, fmt.Errorf("header has no sync marker")
	}
	c.sync, c.rest = b[:syncLen], b[syncLen:]
	switch c.compression {
	case "null", "deflate", "snappy":
	default:
		return nil, fmt.Errorf("compression codec %q is not supported (null, deflate, snappy)", c.compression)
	}
	if schema == nil {
		return nil, fmt.Errorf("header has no avro.schema")
	}
	codec, err := writerCodec(schema)
	if err != nil {
		return nil, fmt.Errorf("writer schema is not compatible with scan.avsc: %v", err)
	}
	c.codec = codec
	return c, nil
}

// next returns the next block's record count and decompressed data; data
// is nil at the end of the container. The data is only valid until the next
// call.
func (c *container) next() (count int64, data []byte, err error) {
	if len(c.rest) == 0 {
		return 0, nil, nil
	}
	c.blocks++
	b := c.rest
	count, b, err = readLong(b)
	if err != nil {
		return 0, nil, fmt.Errorf("block %d: count: %v", c.blocks, err)
	}
	size, b, err := readLong(b)
	if err != nil {
		return 0, nil, fmt.Errorf("block %d: size: %v", c.blocks, err)
	}
	if size < 0 || size > int64(len(b)) {
		return 0, nil, fmt.Errorf("block %d: size %d, but %d bytes remain", c.blocks, size, len(b))
	}
	raw := b[:size]
	b = b[size:]
	if len(b) < syncLen || !bytes.Equal(b[:syncLen], c.sync) {
		return 0, nil, fmt.Errorf("block %d: sync marker missing or wrong", c.blocks)
	}
	c.rest = b[syncLen:]
	if data, err = c.decompress(raw); err != nil {
		return 0, nil, fmt.Errorf("block %d: %v", c.blocks, err)
	}
	// Every record holds at least the tracking number's length byte, so a
	// count above the block's size is a corrupt block.
	if count <= 0 || count > int64(len(data)) {
		return 0, nil, fmt.Errorf("block %d: count %d does not fit its %d bytes", c.blocks, count, len(data))
	}
	return count, data, nil
}

func (c *container) decompress(raw []byte) ([]byte, error) {
	budget := maxInflated - c.inflated
	switch c.compression {
	case "deflate":
		if c.inflate == nil {
			c.inflate = flate.NewReader(bytes.NewReader(raw))
		} else if err := c.inflate.(flate.Resetter).Reset(bytes.NewReader(raw), nil); err != nil {
			return nil, err
		}
		w := bytes.NewBuffer(c.buf[:0])
		n, err := w.ReadFrom(io.LimitReader(c.inflate, int64(budget)+1))
		c.buf = w.Bytes()
		if err != nil {
			return nil, fmt.Errorf("deflate: %v", err)
		}
		if n > int64(budget) {
			return nil, fmt.Errorf("inflates to more than %d bytes", maxInflated)
		}
		c.inflated += int(n)
		return c.buf, nil
	case "snappy":
		// The block is a snappy block followed by the CRC-32 of the
		// uncompressed data, big-endian.
		if len(raw) < 4 {
			return nil, fmt.Errorf("snappy block without checksum")
		}
		body := raw[:len(raw)-4]
		n, err := snappy.DecodedLen(body)
		if err != nil {
			return nil, fmt.Errorf("snappy: %v", err)
		}
		if n > budget {
			return nil, fmt.Errorf("inflates to more than %d bytes", maxInflated)
		}
		if cap(c.buf) < n {
			c.buf = make([]byte, n)
		}
		out, err := snappy.Decode(c.buf[:cap(c.buf)], body)
		if err != nil {
			return nil, fmt.Errorf("snappy: %v", err)
		}
		if crc32.ChecksumIEEE(out) != binary.BigEndian.Uint32(raw[len(raw)-4:]) {
			return nil, fmt.Errorf("snappy checksum mismatch")
		}
		c.inflated += len(out)
		return out, nil
	}
	return raw, nil
}

// readLong reads a zig-zag varint long.
func readLong(b []byte) (int64, []byte, error) {
	var u uint64
	for i := 0; i < 10; i++ {
		if i >= len(b) {
			return 0, nil, errTruncated
		}
		c := b[i]
		u |= uint64(c&0x7f) << (7 * i)
		if c&0x80 == 0 {
			return int64(u>>1) ^ -int64(u&1), b[i+1:], nil
		}
	}
	return 0, nil, errors.New("varint longer than 10 bytes")
}

// readBytes reads a length-prefixed byte string.
func readBytes(b []byte) ([]byte, []byte, error) {
	n, b, err := readLong(b)
	if err != nil {
		return nil, nil, err
	}
	if n < 0 || n > int64(len(b)) {
		return nil, nil, fmt.Errorf("length %d, but %d bytes remain", n, len(b))
	}
	return b[:n], b[n:], nil
}
