# Writes ocf-fastavro-deflate-intl.avro with fastavro (an Avro implementation
# independent of goavro, as a 3PL's Python exporter would use): deflate, three
# blocks, an extra metadata key. Made once and committed; rerun with
#   pip install fastavro && python3 ocf-fastavro-deflate-intl.py ocf-fastavro-deflate-intl.avro
# from this folder (the schema path below assumes the repository layout).
import json, sys, fastavro
schema = fastavro.parse_schema(json.load(open('../../../schemas/scan.avsc')))
def ups(code, sub, desc, at, off=None, city=None, region=None, postal=None, country=None, facility=None):
    return {"carrier": "ups", "tracking_number": "1Z5R89390357567127", "service": "UPS Worldwide Express",
            "code": code, "subcode": sub, "description": desc, "event_type": None, "occurred_at_local": at,
            "utc_offset_minutes": off, "city": city, "region": region, "postal_code": postal, "country": country,
            "facility": facility, "estimated_delivery": "2026-11-19"}
recs = [
    ups("OR", "I", "Origin Scan", "2026-11-17T19:05:00", -300, "Atlanta", "GA", "30349", "US", "GAATL"),
    ups("EP", "I", "Export Scan", "2026-11-18T01:30:00-05:00", None, "Louisville", "KY", "40209", "US", "KYSDF"),
    ups("IP", "I", "Import Scan", "2026-11-18T17:10:00", None, "Köln", None, "51147", "DE", "DECGN"),
    ups("RZ", "X", "Your package was released by the clearing agency.", "2026-11-18T19:45:00+01:00", None, "Köln", None, "51147", "DE", "DECGN"),
    ups("OT", "I", "Out For Delivery Today", "2026-11-19T08:20:00+01:00", None, "München", None, "80331", "DE", None),
    ups("KB", "D", "Delivered", "2026-11-19T13:02:00.000+01:00", None, "München", None, "80331", "DE", None),
]
with open(sys.argv[1], 'wb') as f:
    fastavro.writer(f, schema, recs, codec='deflate', sync_interval=200,
                    metadata={"writer": "acme-3pl-export 2.4"}, sync_marker=b'acme3plsyncmark!')
