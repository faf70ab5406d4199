package gen

import (
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"github.com/wismo/wismo/normalizers"
)

// service is one service of a carrier, with the scans it uses and, when
// international, its lanes.
type service struct {
	raw   string // as the payload names it: UPS service.description, FedEx serviceDetail.type, USPS mailClass, DHL service
	desc  string // UPS service.code, FedEx serviceDetail.description
	key   string // the service key the normalizer derives from raw (rules key on it)
	tn    string // tracking number part: UPS service digits, USPS prefix, DHL prefix
	speed int    // 0 overnight, 1 two-day or express, 2 ground
	// wallOnly: the payload gives local times without their UTC offset.
	wallOnly bool
	weight   float64
	vs       *variants
	lanes    []lane
}

// carrierSpec is what wismo gen knows about a carrier: its network,
// services and payload writer. The carrier itself (id, name, formats) is
// its normalizers.Spec; gen only holds what it needs to write payloads the
// carrier's normalizer reads, keyed by the same id. A registered carrier
// without a writer here is rejected by ParseCarriers by name.
type carrierSpec struct {
	name, topic string
	// weight is the carrier's share of the default mix (DefaultCarriers).
	weight float64
	// intlShare, when set, is the share of the carrier's shipments on
	// international lanes, instead of Options.International.
	intlShare *float64
	minutes   bool // the carrier's times have no seconds
	// format is the payload format the writer writes (the zero value is
	// JSON); the carrier's raw topic is bound to its normalizer for it.
	format         normalizers.Format
	hubs, ends     []*place
	domestic, intl []*service
	encode         func(dst []byte, p *plan, list []*scan, numericTimes bool, seed uint64) []byte
	wrong          func(dst []byte, p *plan) []byte
	track          func(seed, i uint64, s *service) string
}

var carrierSpecs = []*carrierSpec{
	{
		name: "ups", topic: Topic("ups"), weight: 0.3, hubs: upsHubs, ends: usCities,
		domestic: []*service{
			{raw: "UPS Ground", desc: "003", key: "ground", tn: "03", speed: 2, weight: 0.6, vs: upsVariants},
			{raw: "UPS 2nd Day Air", desc: "002", key: "2nd_day_air", tn: "02", speed: 1, weight: 0.25, vs: upsVariants},
			{raw: "UPS Next Day Air", desc: "001", key: "next_day_air", tn: "01", speed: 0, weight: 0.15, vs: upsVariants},
		},
		intl: []*service{
			{raw: "UPS Worldwide Express", desc: "007", key: "worldwide_express", tn: "66", speed: 1, weight: 0.5, vs: upsVariants,
				lanes: []lane{
					{from: usCities, to: gbCities, out: []*place{gwLouisville}, in: []*place{gwTamworth}},
					{from: deOrigin, to: usCities, out: []*place{gwKoeln}, in: []*place{gwPhila, gwLouisville}},
					{from: usCities, to: cuCities, out: []*place{gwMiami}, in: []*place{gwMiami}},
				}},
			{raw: "UPS Standard", desc: "011", key: "standard", tn: "11", speed: 2, weight: 0.5, vs: upsVariants,
				lanes: []lane{{from: usCities, to: caCities, out: []*place{gwLouisville}, in: []*place{gwMississa}}}},
		},
		encode: encodeUPS, wrong: wrongUPS,
		track: func(seed, i uint64, s *service) string {
			shippers := [...]string{"V8A61W", "81WV38", "999AA1", "4E1Y76", "X2883F", "A5R930"}
			return "1Z" + shippers[mix(seed+i)%uint64(len(shippers))] + s.tn + digits(seed, i, 8)
		},
	},
	{
		name: "fedex", topic: Topic("fedex"), weight: 0.3, hubs: fedexHubs, ends: usCities,
		domestic: []*service{
			{raw: "FEDEX_GROUND", desc: "FedEx Ground", key: "ground", tn: "FDXG", speed: 2, weight: 0.45, vs: fedexVariants},
			{raw: "GROUND_HOME_DELIVERY", desc: "FedEx Home Delivery", key: "ground_home_delivery", tn: "FDXG", speed: 2, weight: 0.2, vs: fedexVariants},
			{raw: "FEDEX_2_DAY", desc: "FedEx 2Day", key: "2_day", tn: "FDXE", speed: 1, weight: 0.2, vs: fedexVariants},
			{raw: "PRIORITY_OVERNIGHT", desc: "FedEx Priority Overnight", key: "priority_overnight", tn: "FDXE", speed: 0, weight: 0.15, vs: fedexVariants},
		},
		intl: []*service{
			{raw: "INTERNATIONAL_PRIORITY", desc: "FedEx International Priority", key: "international_priority", tn: "FDXE", speed: 1, weight: 1, vs: fedexVariants,
				lanes: []lane{
					{from: usCities, to: caCities, out: []*place{gwMemphis}, in: []*place{gwMississa}},
					{from: cnCities, to: usCities, out: []*place{gwGuangzhou}, in: []*place{gwAnchorage}},
				}},
		},
		encode: encodeFedEx, wrong: wrongFedEx,
		track: func(seed, i uint64, _ *service) string { return digits(seed, i, 12) },
	},
	{
		name: "usps", topic: Topic("usps"), weight: 0.2, minutes: true, hubs: uspsHubs, ends: usCities,
		domestic: []*service{
			{raw: "USPS Ground Advantage<SUP>&#153;</SUP>", key: "ground_advantage", tn: "9400", speed: 2, weight: 0.55, vs: uspsVariants},
			{raw: "Priority Mail<SUP>&#174;</SUP>", key: "priority_mail", tn: "9405", speed: 1, weight: 0.35, vs: uspsVariants},
			{raw: "Priority Mail Express<SUP>&#174;</SUP>", key: "priority_mail_express", tn: "9470", speed: 0, weight: 0.1, vs: uspsVariants},
		},
		encode: encodeUSPS, wrong: wrongUSPS,
		track: func(seed, i uint64, s *service) string { return s.tn + digits(seed, i, 18) },
	},
	{
		// Half of DHL's shipments are DHL Express international, the other
		// half DHL Paket within Germany.
		name: "dhl", topic: Topic("dhl"), weight: 0.2, intlShare: &half, minutes: true, hubs: deHubs, ends: deCities,
		domestic: []*service{
			{raw: "parcel-de", key: "parcel_de", tn: "00340434", speed: 2, weight: 1, vs: dhlParcelVariants},
		},
		intl: []*service{
			{raw: "express", key: "express", speed: 1, weight: 1, vs: dhlExpressVariants, wallOnly: true,
				lanes: []lane{
					{from: deOrigin, to: usCities, out: []*place{gwLeipzig}, in: []*place{gwCincinnati, gwNewYork}},
					{from: gbCities, to: usCities, out: []*place{gwEastMid}, in: []*place{gwCincinnati, gwNewYork}},
					{from: cnCities, to: usCities, out: []*place{gwShenzhen}, in: []*place{gwLosAngeles, gwCincinnati}},
					{from: hkCities, to: usCities, out: []*place{gwHongKong}, in: []*place{gwLosAngeles}},
					{from: deOrigin, to: gbCities, out: []*place{gwLeipzig}, in: []*place{gwEastMid}},
				}},
		},
		encode: encodeDHL, wrong: wrongDHL,
		track: func(seed, i uint64, s *service) string {
			if s.tn != "" {
				return s.tn + digits(seed, i, 12)
			}
			return digits(seed, i, 10)
		},
	},
	{
		// Royal Mail within Great Britain.
		name: "royalmail", topic: Topic("royalmail"), weight: 0.1, minutes: true, hubs: rmHubs, ends: rmEnds,
		domestic: []*service{
			{raw: "Royal Mail Tracked 48", key: "tracked_48", tn: "TT", speed: 2, weight: 0.6, vs: royalMailVariants},
			{raw: "Royal Mail Tracked 24", key: "tracked_24", tn: "TR", speed: 1, weight: 0.3, vs: royalMailVariants},
			{raw: "Royal Mail Special Delivery Guaranteed", key: "special_delivery_guaranteed", tn: "SD", speed: 0, weight: 0.1, vs: royalMailVariants},
		},
		encode: encodeRoyalMail, wrong: wrongRoyalMail,
		track: func(seed, i uint64, s *service) string { return s.tn + digits(seed, i, 9) + "GB" },
	},
	{
		// PostNL within the Netherlands.
		name: "postnl", topic: Topic("postnl"), weight: 0.1, hubs: nlHubs, ends: nlCities,
		domestic: []*service{
			{raw: "Standaard zending", key: "standaard_zending", tn: "3SABCD", speed: 1, weight: 0.8, vs: postNLVariants, wallOnly: true},
			{raw: "Aangetekend", key: "aangetekend", tn: "3SEFGH", speed: 1, weight: 0.2, vs: postNLVariants, wallOnly: true},
		},
		encode: encodePostNL, wrong: wrongPostNL,
		track: func(seed, i uint64, s *service) string { return s.tn + digits(seed, i, 9) },
	},
	{
		// Canada Post within Canada, across its time zones.
		name: "canadapost", topic: Topic("canadapost"), weight: 0.1, format: normalizers.XML, hubs: caHubs, ends: caEnds,
		domestic: []*service{
			{raw: "Expedited Parcels", key: "expedited_parcels", speed: 2, weight: 0.5, vs: canadaPostVariants, wallOnly: true},
			{raw: "Xpresspost", key: "xpresspost", speed: 1, weight: 0.3, vs: canadaPostVariants, wallOnly: true},
			{raw: "Priority", key: "priority", speed: 0, weight: 0.2, vs: canadaPostVariants, wallOnly: true},
		},
		encode: encodeCanadaPost, wrong: wrongCanadaPost,
		track: func(seed, i uint64, _ *service) string { return digits(seed, i, 16) },
	},
	{
		// DPD within Germany, its answers in German.
		name: "dpd", topic: Topic("dpd"), weight: 0.1, format: normalizers.XML, hubs: dpdHubs, ends: deCities,
		domestic: []*service{
			{raw: "DPD Classic", key: "classic", speed: 2, weight: 0.7, vs: dpdVariants, wallOnly: true},
			{raw: "DPD Express", key: "express", speed: 1, weight: 0.3, vs: dpdVariants, wallOnly: true},
		},
		encode: encodeDPD, wrong: wrongDPD,
		track: func(seed, i uint64, _ *service) string { return "0" + digits(seed, i, 13) },
	},
}

var half = 0.5

var carrierByName = func() map[string]*carrierSpec {
	m := map[string]*carrierSpec{}
	for _, c := range carrierSpecs {
		m[c.name] = c
	}
	return m
}()

// digits is a number of n digits, different for every i below 10^n: i
// times a multiplier prime to 10, plus a seed-dependent offset, modulo 10^n.
func digits(seed, i uint64, n int) string {
	mod := uint64(1)
	for range n {
		mod *= 10
	}
	v := (mix(seed^0xd1b54a32d192ed03)%mod + (i%mod)*104729%mod) % mod
	s := strconv.FormatUint(v, 10)
	return strings.Repeat("0", n-len(s)) + s
}

// newest is the latest scan of a list.
func newest(list []*scan) *scan {
	var n *scan
	for _, s := range list {
		if n == nil || s.at > n.at {
			n = s
		}
	}
	return n
}

func delivered(s *scan) bool { return s != nil && (s.v.k == kDelivered || s.v.k == kCollected) }

// ---- UPS Track API v1 ----

func encodeUPS(dst []byte, p *plan, list []*scan, numeric bool, _ uint64) []byte {
	dst = append(dst, `{"trackResponse":{"shipment":[{"inquiryNumber":`...)
	dst = appendStr(dst, p.tracking)
	dst = append(dst, `,"package":[{"trackingNumber":`...)
	dst = appendStr(dst, p.tracking)
	last := newest(list)
	dst = append(dst, `,"deliveryDate":[`...)
	if delivered(last) {
		lt, _ := local(last.at, p.zone())
		dst = append(dst, `{"type":"DEL","date":"`...)
		dst = append(lt.AppendFormat(dst, "20060102"), `"}`...)
	} else if p.edd != "" {
		dst = append(dst, `{"type":"SDD","date":"`...)
		dst = append(dst, p.edd[0:4]+p.edd[5:7]+p.edd[8:10]...)
		dst = append(dst, `"}`...)
	}
	dst = append(dst, `],"packageAddress":[{"type":"ORIGIN","address":`...)
	dst = upsAddress(dst, p.origin, false)
	dst = append(dst, `},{"type":"DESTINATION","address":`...)
	dst = upsAddress(dst, p.dest, false)
	dst = append(dst, `}],"service":{"code":`...)
	dst = appendStr(dst, p.svc.desc)
	dst = field(dst, false, "description", p.svc.raw)
	dst = append(dst, `},"activity":[`...)
	for i, s := range list {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, `{"location":{"address":`...)
		dst = upsAddress(dst, s.pl, s.v.k == kLabel)
		if s.pl.facility != "" && s.v.k != kLabel {
			dst = field(dst, false, "slic", s.pl.facility)
		}
		dst = append(dst, `},"status":{"type":`...)
		dst = appendStr(dst, s.v.sub)
		dst = field(dst, false, "description", s.v.desc)
		if s.v.code != "" {
			dst = field(dst, false, "code", s.v.code)
		}
		if s.v.aux != "" {
			dst = field(dst, false, "statusCode", s.v.aux)
		}
		dst = append(dst, '}')
		lt, off := local(s.at, s.pl.zone)
		if numeric {
			dst = append(dst, `,"date":`...)
			dst = lt.AppendFormat(dst, "20060102")
			dst = append(dst, `,"time":`...)
			dst = appendInt(dst, int64(lt.Hour()*10000+lt.Minute()*100+lt.Second()))
		} else {
			ut := time.Unix(s.at, 0).UTC()
			dst = append(dst, `,"date":"`...)
			dst = lt.AppendFormat(dst, "20060102")
			dst = append(dst, `","time":"`...)
			dst = lt.AppendFormat(dst, "150405")
			dst = append(dst, `","gmtDate":"`...)
			dst = ut.AppendFormat(dst, "20060102")
			dst = append(dst, `","gmtOffset":"`...)
			dst = appendOffset(dst, off)
			dst = append(dst, `","gmtTime":"`...)
			dst = ut.AppendFormat(dst, "15:04:05")
			dst = append(dst, '"')
		}
		dst = append(dst, '}')
	}
	return append(dst, `],"packageCount":1}]}]}}`...)
}

func upsAddress(dst []byte, pl *place, countryOnly bool) []byte {
	dst = append(dst, '{')
	first := true
	if !countryOnly {
		dst = field(dst, true, "city", pl.city)
		first = false
		if pl.region != "" {
			dst = field(dst, false, "stateProvince", pl.region)
		}
		if pl.postal != "" {
			dst = field(dst, false, "postalCode", pl.postal)
		}
	}
	dst = field(dst, first, "countryCode", pl.country)
	dst = field(dst, false, "country", pl.country)
	return append(dst, '}')
}

func wrongUPS(dst []byte, p *plan) []byte {
	dst = append(dst, `{"trackResponse":{"shipment":{"inquiryNumber":`...)
	dst = appendStr(dst, p.tracking)
	return append(dst, `,"package":[]}}}`...)
}

// ---- FedEx Track API v1 ----

var fedexDerived = map[string]string{"IN": "Initiated", "PU": "Picked up", "IT": "In transit", "DL": "Delivered",
	"DE": "Delivery exception", "HP": "Ready for pickup", "DY": "Delay", "CD": "Clearance delay",
	"SE": "Shipment exception", "RS": "Return to shipper"}

func encodeFedEx(dst []byte, p *plan, list []*scan, numeric bool, seed uint64) []byte {
	carrierCode := p.svc.tn
	dst = append(dst, `{"transactionId":"`...)
	dst = appendUUID(dst, seed)
	dst = append(dst, `","output":{"completeTrackResults":[{"trackingNumber":`...)
	dst = appendStr(dst, p.tracking)
	dst = append(dst, `,"trackResults":[{"trackingNumberInfo":{"trackingNumber":`...)
	dst = appendStr(dst, p.tracking)
	dst = field(dst, false, "trackingNumberUniqueId", "12027~"+p.tracking+"~"+carrierCode)
	dst = field(dst, false, "carrierCode", carrierCode)
	dst = append(dst, `},"shipperInformation":{"contact":{},"address":`...)
	dst = fedexAddress(dst, p.origin, false)
	dst = append(dst, `},"recipientInformation":{"contact":{},"address":`...)
	dst = fedexAddress(dst, p.dest, false)
	dst = append(dst, '}')
	if last := newest(list); last != nil {
		dst = append(dst, `,"latestStatusDetail":{"code":`...)
		dst = appendStr(dst, last.v.code)
		dst = field(dst, false, "derivedCode", last.v.aux)
		dst = field(dst, false, "statusByLocale", fedexDerived[last.v.aux])
		dst = field(dst, false, "description", last.v.desc)
		dst = append(dst, `,"scanLocation":`...)
		dst = fedexAddress(dst, last.pl, false)
		dst = append(dst, '}')
		dst = append(dst, `,"dateAndTimes":[`...)
		if delivered(last) {
			lt, off := local(last.at, last.pl.zone)
			dst = append(dst, `{"type":"ACTUAL_DELIVERY","dateTime":"`...)
			dst = appendOffset(appendISO(dst, lt), off)
			dst = append(dst, `"}`...)
		} else if p.edd != "" {
			dst = append(dst, `{"type":"ESTIMATED_DELIVERY","dateTime":"`...)
			dst = append(dst, p.edd...)
			dst = append(dst, `T00:00:00"}`...)
		}
		dst = append(dst, ']')
	}
	dst = append(dst, `,"serviceDetail":{"type":`...)
	dst = appendStr(dst, p.svc.raw)
	dst = field(dst, false, "description", p.svc.desc)
	dst = append(dst, `},"scanEvents":[`...)
	for i, s := range list {
		if i > 0 {
			dst = append(dst, ',')
		}
		lt, off := local(s.at, s.pl.zone)
		dst = append(dst, `{"date":`...)
		if numeric {
			dst = appendInt(dst, s.at)
		} else {
			dst = append(dst, '"')
			dst = appendOffset(appendISO(dst, lt), off)
			dst = append(dst, '"')
		}
		dst = field(dst, false, "eventType", s.v.code)
		dst = field(dst, false, "eventDescription", s.v.desc)
		dst = field(dst, false, "exceptionCode", s.v.sub)
		dst = field(dst, false, "exceptionDescription", s.v.exc)
		dst = append(dst, `,"scanLocation":`...)
		dst = fedexAddress(dst, s.pl, true)
		if s.pl.facility != "" {
			dst = field(dst, false, "locationId", s.pl.facility)
		}
		dst = field(dst, false, "locationType", "FEDEX_FACILITY")
		dst = field(dst, false, "derivedStatusCode", s.v.aux)
		dst = field(dst, false, "derivedStatus", fedexDerived[s.v.aux])
		dst = append(dst, '}')
	}
	return append(dst, `]}]}]}}`...)
}

func fedexAddress(dst []byte, pl *place, streetLines bool) []byte {
	dst = append(dst, '{')
	first := true
	if streetLines {
		dst = append(dst, `"streetLines":[""]`...)
		first = false
	}
	dst = field(dst, first, "city", pl.city)
	if pl.region != "" {
		dst = field(dst, false, "stateOrProvinceCode", pl.region)
	}
	if pl.postal != "" {
		dst = field(dst, false, "postalCode", pl.postal)
	}
	dst = field(dst, false, "countryCode", pl.country)
	dst = append(dst, `,"residential":false`...)
	dst = field(dst, false, "countryName", pl.countryName)
	return append(dst, '}')
}

// appendUUID writes a version-4-shaped UUID from a seed.
func appendUUID(dst []byte, seed uint64) []byte {
	a, b := mix(seed), mix(seed+1)
	var raw [16]byte
	for i := range 8 {
		raw[i], raw[8+i] = byte(a>>(8*i)), byte(b>>(8*i))
	}
	raw[6] = raw[6]&0x0f | 0x40
	raw[8] = raw[8]&0x3f | 0x80
	for i := range raw {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			dst = append(dst, '-')
		}
		dst = hex.AppendEncode(dst, raw[i:i+1])
	}
	return dst
}

func wrongFedEx(dst []byte, p *plan) []byte {
	dst = append(dst, `{"transactionId":"`...)
	dst = appendUUID(dst, uint64(p.idx))
	dst = append(dst, `","output":{"completeTrackResults":`...)
	dst = appendStr(dst, p.tracking)
	return append(dst, `}}`...)
}

// ---- USPS Tracking API v3 ----

func encodeUSPS(dst []byte, p *plan, list []*scan, numeric bool, _ uint64) []byte {
	last := newest(list)
	dst = append(dst, '{')
	dst = field(dst, true, "destinationCity", p.dest.city)
	dst = field(dst, false, "destinationState", p.dest.region)
	dst = field(dst, false, "destinationZIP", p.dest.postal)
	dst = append(dst, `,"emailEnabled":"true"`...)
	if !delivered(last) && p.edd != "" {
		dst = append(dst, `,"expectedDeliveryTimeStamp":"`...)
		dst = append(dst, p.edd...)
		dst = append(dst, `T00:00:00"`...)
	}
	dst = field(dst, false, "mailClass", p.svc.raw)
	dst = append(dst, `,"mailType":"DM"`...)
	dst = field(dst, false, "originCity", p.origin.city)
	dst = field(dst, false, "originState", p.origin.region)
	dst = field(dst, false, "originZIP", p.origin.postal)
	if last != nil {
		dst = field(dst, false, "status", last.v.desc)
		dst = field(dst, false, "statusCategory", uspsCategory(last.v.k))
	}
	dst = append(dst, `,"trackingEvents":[`...)
	for i, s := range list {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = append(dst, '{')
		dst = field(dst, true, "eventType", s.v.desc)
		lt, off := local(s.at, s.pl.zone)
		if numeric {
			dst = append(dst, `,"eventTimestamp":`...)
			dst = appendInt(dst, s.at)
		} else {
			dst = append(dst, `,"eventTimestamp":"`...)
			dst = appendISO(dst, lt)
			dst = append(dst, `","GMTTimestamp":"`...)
			dst = time.Unix(s.at, 0).UTC().AppendFormat(dst, "2006-01-02T15:04:05Z")
			dst = append(dst, `","GMTOffset":"`...)
			dst = appendOffset(dst, off)
			dst = append(dst, '"')
		}
		dst = append(dst, `,"eventCountry":null`...)
		if s.v.k == kLabel {
			dst = append(dst, `,"eventCity":null,"eventState":null,"eventZIP":null`...)
		} else {
			dst = fieldOrNull(dst, false, "eventCity", s.pl.city)
			dst = fieldOrNull(dst, false, "eventState", s.pl.region)
			dst = fieldOrNull(dst, false, "eventZIP", s.pl.postal)
		}
		dst = append(dst, `,"firm":null,"name":null,"authorizedAgent":"false"`...)
		dst = field(dst, false, "eventCode", s.v.code)
		if s.v.sub != "" {
			dst = field(dst, false, "deliveryAttributeCode", s.v.sub)
		}
		dst = append(dst, '}')
	}
	dst = append(dst, ']')
	dst = field(dst, false, "trackingNumber", p.tracking)
	return append(dst, '}')
}

func uspsCategory(k kind) string {
	switch k {
	case kLabel:
		return "Pre-Shipment"
	case kOFD:
		return "Out for Delivery"
	case kDelivered, kCollected, kReturned:
		return "Delivered"
	case kAttempt, kAddress, kDelay:
		return "Alert"
	case kHeld:
		return "Available for Pickup"
	}
	return "Moving Through Network"
}

func wrongUSPS(dst []byte, p *plan) []byte {
	dst = field(append(dst, '{'), true, "trackingNumber", p.tracking)
	return append(dst, `,"trackingEvents":{"eventType":"Delivered","eventCode":"01"}}`...)
}

// ---- DHL Shipment Tracking - Unified API ----

func encodeDHL(dst []byte, p *plan, list []*scan, numeric bool, _ uint64) []byte {
	express := p.svc.wallOnly
	dst = append(dst, `{"shipments":[{"id":`...)
	dst = appendStr(dst, p.tracking)
	dst = field(dst, false, "service", p.svc.raw)
	dst = append(dst, `,"origin":{"address":`...)
	dst = dhlAddress(dst, p.origin, express)
	dst = append(dst, `},"destination":{"address":`...)
	dst = dhlAddress(dst, p.dest, express)
	dst = append(dst, '}')
	last := newest(list)
	if last != nil {
		dst = append(dst, `,"status":`...)
		dst = dhlEvent(dst, last, express, numeric)
	}
	if !delivered(last) && p.edd != "" {
		dst = field(dst, false, "estimatedTimeOfDelivery", p.edd+"T00:00:00")
	}
	product := "DHL PAKET"
	if express {
		product = "EXPRESS WORLDWIDE"
	}
	dst = append(dst, `,"details":{"product":{"productName":`...)
	dst = appendStr(dst, product)
	dst = append(dst, `},"totalNumberOfPieces":1,"pieceIds":[`...)
	dst = appendStr(dst, p.tracking)
	dst = append(dst, `]},"events":[`...)
	for i, s := range list {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = dhlEvent(dst, s, express, numeric)
	}
	return append(dst, `]}]}`...)
}

func dhlEvent(dst []byte, s *scan, express, numeric bool) []byte {
	lt, off := local(s.at, s.pl.zone)
	dst = append(dst, `{"timestamp":`...)
	switch {
	case numeric:
		dst = appendInt(dst, s.at)
	case express:
		dst = append(dst, '"')
		dst = append(appendISO(dst, lt), '"')
	default:
		dst = append(dst, '"')
		dst = append(appendOffset(appendISO(dst, lt), off), '"')
	}
	if s.v.k != kLabel && s.v.k != kManifest {
		dst = append(dst, `,"location":{"address":`...)
		dst = dhlAddress(dst, s.pl, express)
		dst = append(dst, '}')
	}
	dst = field(dst, false, "statusCode", s.v.aux)
	desc := s.v.desc
	if express && (strings.HasSuffix(desc, " at") || strings.HasSuffix(desc, " in")) {
		desc += " " + dhlLocality(s.pl)
	}
	switch {
	case s.v.code != "":
		dst = field(dst, false, "status", s.v.code)
	default:
		dst = field(dst, false, "status", desc)
	}
	if s.v.sub != "" {
		dst = field(dst, false, "statusDetailed", s.v.sub)
	}
	dst = field(dst, false, "description", desc)
	return append(dst, '}')
}

func dhlLocality(pl *place) string {
	if pl.region != "" {
		return pl.city + ", " + pl.region + " - " + dhlCountry[pl.country]
	}
	return strings.ToUpper(pl.city) + " - " + dhlCountry[pl.country]
}

func dhlAddress(dst []byte, pl *place, express bool) []byte {
	dst = field(append(dst, '{'), true, "countryCode", pl.country)
	if pl.postal != "" {
		dst = field(dst, false, "postalCode", pl.postal)
	}
	if express {
		dst = field(dst, false, "addressLocality", dhlLocality(pl))
	} else {
		dst = field(dst, false, "addressLocality", pl.city)
	}
	return append(dst, '}')
}

func wrongDHL(dst []byte, p *plan) []byte {
	dst = append(dst, `{"shipments":{"id":`...)
	dst = appendStr(dst, p.tracking)
	return append(dst, `,"service":"parcel-de"}}`...)
}

// ---- Royal Mail Tracking API v2 (mailpieces, events answer) ----

func encodeRoyalMail(dst []byte, p *plan, list []*scan, numeric bool, _ uint64) []byte {
	dst = append(dst, `{"mailPieces":{"mailPieceId":`...)
	dst = appendStr(dst, "0903675740"+p.tracking)
	dst = append(dst, `,"carrierShortName":"RM","carrierFullName":"Royal Mail Group Ltd","summary":{"oneDBarcode":`...)
	dst = appendStr(dst, p.tracking)
	dst = field(dst, false, "productName", p.svc.raw)
	dst = append(dst, `,"productCategory":"NON-INTERNATIONAL","destinationCountryCode":"GBR","originCountryCode":"GBR"`...)
	if last := newest(list); last != nil {
		dst = field(dst, false, "lastEventCode", last.v.code)
		dst = field(dst, false, "lastEventName", last.v.desc)
	}
	dst = append(dst, '}')
	if p.edd != "" {
		dst = append(dst, `,"estimatedDelivery":{"date":`...)
		dst = appendStr(dst, p.edd)
		dst = append(dst, '}')
	}
	dst = append(dst, `,"events":[`...)
	for i, s := range list {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = field(append(dst, '{'), true, "eventCode", s.v.code)
		dst = field(dst, false, "eventName", s.v.desc)
		lt, off := local(s.at, s.pl.zone)
		dst = append(dst, `,"eventDateTime":`...)
		if numeric {
			dst = appendInt(dst, s.at)
		} else {
			dst = append(dst, '"')
			dst = append(appendOffset(appendISO(dst, lt), off), '"')
		}
		office := s.pl.facility
		if s.v.k == kManifest || office == "" {
			office = ""
		}
		dst = field(dst, false, "locationName", office)
		dst = append(dst, '}')
	}
	return append(dst, `]}}`...)
}

func wrongRoyalMail(dst []byte, p *plan) []byte {
	dst = append(dst, `{"mailPieces":`...)
	return append(appendStr(dst, p.tracking), '}')
}

// ---- PostNL shipping status v2 (CompleteStatus) ----

func encodePostNL(dst []byte, p *plan, list []*scan, numeric bool, _ uint64) []byte {
	dst = append(dst, `{"CompleteStatus":{"Shipment":{"MainBarcode":`...)
	dst = appendStr(dst, p.tracking)
	dst = field(dst, false, "Barcode", p.tracking)
	dst = field(dst, false, "ProductDescription", p.svc.raw)
	dst = append(dst, `,"Address":[`...)
	dst = postNLAddress(dst, "01", p.dest)
	dst = append(dst, ',')
	dst = postNLAddress(dst, "02", p.origin)
	dst = append(dst, ']')
	if p.edd != "" {
		dst = append(appendKey(dst, false, "Expectation"), `{"ETAFrom":`...)
		dst = appendStr(dst, p.edd+"T09:00:00")
		dst = field(dst, false, "ETATo", p.edd+"T21:00:00")
		dst = append(dst, '}')
	}
	dst = append(dst, `,"Event":[`...)
	for i, s := range list {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = field(append(dst, '{'), true, "Code", s.v.code)
		dst = field(dst, false, "Description", s.v.desc)
		if s.v.k != kManifest {
			dst = field(dst, false, "LocationCode", s.pl.facility)
		}
		dst = append(dst, `,"TimeStamp":`...)
		if numeric {
			dst = appendInt(dst, s.at)
		} else {
			lt, _ := local(s.at, s.pl.zone)
			dst = append(dst, '"')
			dst = append(lt.AppendFormat(dst, "02-01-2006 15:04:05"), '"')
		}
		dst = append(dst, '}')
	}
	return append(dst, `]}}}`...)
}

func postNLAddress(dst []byte, typ string, pl *place) []byte {
	dst = field(append(dst, '{'), true, "AddressType", typ)
	dst = field(dst, false, "City", pl.city)
	dst = field(dst, false, "CountryCode", pl.country)
	dst = field(dst, false, "Zipcode", pl.postal)
	return append(dst, '}')
}

func wrongPostNL(dst []byte, p *plan) []byte {
	dst = append(dst, `{"CompleteStatus":{"Shipment":`...)
	return append(appendStr(dst, p.tracking), `}}`...)
}

// appendXMLText writes v as XML text: the three characters that markup
// could take for its own escaped.
func appendXMLText(dst []byte, v string) []byte {
	for i := 0; i < len(v); i++ {
		switch c := v[i]; c {
		case '&':
			dst = append(dst, "&amp;"...)
		case '<':
			dst = append(dst, "&lt;"...)
		case '>':
			dst = append(dst, "&gt;"...)
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

// appendElem writes <name>v</name>, or <name/> for an empty v.
func appendElem(dst []byte, name, v string) []byte {
	dst = append(append(append(dst, '<'), name...), '>')
	if v == "" {
		dst = dst[:len(dst)-1]
		return append(dst, "/>"...)
	}
	dst = appendXMLText(dst, v)
	return append(append(append(dst, "</"...), name...), '>')
}

// ---- Canada Post tracking web service (tracking-detail XML) ----

// canadaPostZones is the zone name Canada Post writes in event-time-zone
// for a province: the standard-time name all year, as it does.
var canadaPostZones = map[string]string{"NL": "NST", "NS": "AST", "NB": "AST", "PE": "AST", "QC": "EST", "ON": "EST",
	"MB": "CST", "SK": "CSTNO", "AB": "MST", "BC": "PST"}

func encodeCanadaPost(dst []byte, p *plan, list []*scan, numeric bool, _ uint64) []byte {
	dst = append(dst, `<?xml version="1.0" encoding="UTF-8"?>`+"\n"+`<tracking-detail xmlns="http://www.canadapost.ca/ws/track">`...)
	dst = appendElem(dst, "pin", p.tracking)
	dst = append(dst, "<active-exists>1</active-exists><archive-exists/><changed-expected-date/>"...)
	dst = appendElem(dst, "destination-postal-id", strings.ReplaceAll(p.dest.postal, " ", ""))
	edd := p.edd
	if delivered(newest(list)) {
		edd = ""
	}
	dst = appendElem(dst, "expected-delivery-date", edd)
	dst = append(dst, "<changed-expected-delivery-reason/><mailed-by-customer-number>0002001698</mailed-by-customer-number><original-pin/>"...)
	dst = appendElem(dst, "service-name", p.svc.raw)
	dst = append(dst, "<customer-ref-1/><return-pin/><signature-image-exists>false</signature-image-exists><delivery-options/><significant-events>"...)
	for _, s := range list {
		dst = append(dst, "<occurrence>"...)
		dst = appendElem(dst, "event-identifier", s.v.code)
		if numeric {
			dst = append(strconv.AppendInt(append(dst, "<event-date>"...), s.at, 10), "</event-date><event-time/><event-time-zone/>"...)
		} else {
			lt, _ := local(s.at, s.pl.zone)
			dst = append(lt.AppendFormat(append(dst, "<event-date>"...), "2006-01-02"), "</event-date><event-time>"...)
			dst = append(lt.AppendFormat(dst, "15:04:05"), "</event-time>"...)
			dst = appendElem(dst, "event-time-zone", canadaPostZones[s.pl.region])
		}
		dst = appendElem(dst, "event-description", s.v.desc)
		dst = append(dst, "<signatory-name/>"...)
		dst = appendElem(dst, "event-site", s.pl.city)
		dst = appendElem(dst, "event-province", s.pl.region)
		dst = append(dst, "<event-retail-location-id/>"...)
		retail := ""
		if s.v.k == kHeld || s.v.k == kCollected {
			retail = s.pl.facility
		}
		dst = appendElem(dst, "event-retail-name", retail)
		dst = append(dst, "</occurrence>"...)
	}
	return append(dst, "</significant-events></tracking-detail>"...)
}

func wrongCanadaPost(dst []byte, p *plan) []byte {
	dst = append(dst, `<?xml version="1.0" encoding="UTF-8"?><tracking-summary xmlns="http://www.canadapost.ca/ws/track"><pin-summary>`...)
	dst = appendElem(dst, "pin", p.tracking)
	return append(dst, "</pin-summary></tracking-summary>"...)
}

// ---- DPD ParcelLifeCycleService 2.0 (getTrackingDataResponse SOAP XML) ----

// dpdContent writes <name><content>v</content>...</name>, DPD's way of
// giving a text with its layout; nested wraps it once more, as DPD does
// for descriptions.
func dpdContent(dst []byte, name, v string, nested bool) []byte {
	dst = append(append(append(dst, '<'), name...), '>')
	if nested {
		dst = append(dst, "<content>"...)
	}
	dst = appendElem(dst, "content", v)
	dst = append(dst, "<bold>false</bold><paragraph>false</paragraph>"...)
	if nested {
		dst = append(dst, "</content>"...)
	}
	return append(append(append(dst, "</"...), name...), '>')
}

func encodeDPD(dst []byte, p *plan, list []*scan, numeric bool, _ uint64) []byte {
	dst = append(dst, `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>`+
		`<getTrackingDataResponse xmlns="http://dpd.com/common/service/types/ParcelLifeCycleService/2.0"><trackingresult><shipmentInfo>`+
		`<serviceDescription>`...)
	dst = dpdContent(dst, "label", "Ihr DPD Service:", false)
	dst = dpdContent(dst, "content", p.svc.raw, false)
	dst = append(dst, "</serviceDescription><status>SHIPMENT</status><statusHasBeenReached>false</statusHasBeenReached></shipmentInfo>"...)
	// DPD lists the statuses oldest first.
	for i := len(list) - 1; i >= 0; i-- {
		s := list[i]
		dst = append(dst, "<statusInfo>"...)
		dst = appendElem(dst, "status", s.v.code)
		dst = dpdContent(dst, "label", s.v.sub, false)
		dst = dpdContent(dst, "description", s.v.desc, true)
		dst = append(dst, "<statusHasBeenReached>true</statusHasBeenReached>"...)
		dst = appendElem(dst, "isCurrentStatus", strconv.FormatBool(i == 0))
		dst = dpdContent(dst, "location", s.pl.city+" ("+s.pl.country+")", false)
		if numeric {
			dst = dpdContent(dst, "date", strconv.FormatInt(s.at, 10), false)
		} else {
			lt, _ := local(s.at, s.pl.zone)
			dst = dpdContent(dst, "date", lt.Format("02.01.2006 15:04:05"), false)
		}
		dst = append(dst, "</statusInfo>"...)
	}
	if !delivered(newest(list)) {
		// The step still to come, which DPD lists as not reached.
		dst = append(dst, "<statusInfo><status>Delivered</status>"...)
		dst = dpdContent(dst, "label", "Zugestellt", false)
		dst = append(dst, "<statusHasBeenReached>false</statusHasBeenReached><isCurrentStatus>false</isCurrentStatus></statusInfo>"...)
	}
	return append(dst, "</trackingresult></getTrackingDataResponse></soap:Body></soap:Envelope>"...)
}

func wrongDPD(dst []byte, p *plan) []byte {
	dst = append(dst, `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>`+
		`<getParcelLabelNumberForWebNumberResponse xmlns="http://dpd.com/common/service/types/ParcelLifeCycleService/2.0">`...)
	dst = appendElem(dst, "parcelLabelNumber", p.tracking)
	return append(dst, "</getParcelLabelNumberForWebNumberResponse></soap:Body></soap:Envelope>"...)
}
