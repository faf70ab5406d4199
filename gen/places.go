package gen

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/wismo/wismo/tz"
)

// place is where a scan happens, or a shipment's end.
type place struct {
	city, region, country, postal string
	countryName                   string // as FedEx spells it; DHL's locality suffix
	facility                      string // UPS SLIC, FedEx location id, DHL service point
	zone                          *time.Location
}

func mk(city, region, country, postal, facility string) *place {
	z := tz.ForLocation(country, region)
	if z == nil {
		panic(fmt.Sprintf("gen: no time zone for %s-%s", country, region))
	}
	return &place{city: city, region: region, country: country, postal: postal, facility: facility,
		countryName: countryNames[country], zone: z}
}

var countryNames = map[string]string{
	"US": "United States", "CA": "Canada", "GB": "United Kingdom", "DE": "Germany", "CN": "China",
	"HK": "Hong Kong", "NL": "Netherlands", "FR": "France", "JP": "Japan", "CU": "Cuba",
}

// dhlCountry is the country name DHL puts after a locality ("LEIPZIG -
// GERMANY").
var dhlCountry = map[string]string{
	"US": "USA", "CA": "CANADA", "GB": "UNITED KINGDOM", "DE": "GERMANY", "CN": "CHINA MAINLAND",
	"HK": "HONG KONG SAR, CHINA", "NL": "NETHERLANDS", "FR": "FRANCE", "JP": "JAPAN",
}

// US addresses: where parcels go and come from.
var usCities = []*place{
	mk("NEW YORK", "NY", "US", "10001", ""), mk("BROOKLYN", "NY", "US", "11201", ""),
	mk("LOS ANGELES", "CA", "US", "90012", ""), mk("SAN JOSE", "CA", "US", "95112", ""),
	mk("SAN DIEGO", "CA", "US", "92101", ""), mk("CHICAGO", "IL", "US", "60607", ""),
	mk("HOUSTON", "TX", "US", "77002", ""), mk("AUSTIN", "TX", "US", "78701", ""),
	mk("PHOENIX", "AZ", "US", "85004", ""), mk("PHILADELPHIA", "PA", "US", "19103", ""),
	mk("JACKSONVILLE", "FL", "US", "32202", ""), mk("MIAMI", "FL", "US", "33130", ""),
	mk("COLUMBUS", "OH", "US", "43215", ""), mk("CHARLOTTE", "NC", "US", "28202", ""),
	mk("RALEIGH", "NC", "US", "27601", ""), mk("INDIANAPOLIS", "IN", "US", "46204", ""),
	mk("SEATTLE", "WA", "US", "98101", ""), mk("PORTLAND", "OR", "US", "97204", ""),
	mk("DENVER", "CO", "US", "80202", ""), mk("BOSTON", "MA", "US", "02108", ""),
	mk("NASHVILLE", "TN", "US", "37203", ""), mk("LAS VEGAS", "NV", "US", "89101", ""),
	mk("DETROIT", "MI", "US", "48226", ""), mk("BALTIMORE", "MD", "US", "21202", ""),
	mk("MILWAUKEE", "WI", "US", "53202", ""), mk("ALBUQUERQUE", "NM", "US", "87102", ""),
	mk("ATLANTA", "GA", "US", "30303", ""), mk("MINNEAPOLIS", "MN", "US", "55401", ""),
	mk("SALT LAKE CITY", "UT", "US", "84101", ""), mk("BOISE", "ID", "US", "83702", ""),
	mk("OMAHA", "NE", "US", "68102", ""), mk("KANSAS CITY", "MO", "US", "64106", ""),
	mk("NEWARK", "NJ", "US", "07102", ""), mk("RICHMOND", "VA", "US", "23219", ""),
	mk("HONOLULU", "HI", "US", "96813", ""), mk("ANCHORAGE", "AK", "US", "99501", ""),
	mk("NEW ORLEANS", "LA", "US", "70112", ""), mk("BIRMINGHAM", "AL", "US", "35203", ""),
	mk("SAN JUAN", "PR", "US", "00901", ""), mk("PROVIDENCE", "RI", "US", "02903", ""),
}

// Hubs by carrier (US network).
var (
	upsHubs = []*place{
		mk("Louisville", "KY", "US", "40209", "4029"), mk("Hodgkins", "IL", "US", "60525", "6041"),
		mk("Atlanta", "GA", "US", "30336", "3031"), mk("Mesquite", "TX", "US", "75149", "7516"),
		mk("Ontario", "CA", "US", "91761", "9176"), mk("Secaucus", "NJ", "US", "07094", "0709"),
		mk("Maumee", "OH", "US", "43537", "4353"), mk("Commerce City", "CO", "US", "80022", "8002"),
	}
	fedexHubs = []*place{
		mk("MEMPHIS", "TN", "US", "38118", "MEMH"), mk("INDIANAPOLIS", "IN", "US", "46241", "INDH"),
		mk("FORT WORTH", "TX", "US", "76177", "AFWH"), mk("OAKLAND", "CA", "US", "94621", "OAKH"),
		mk("NEWARK", "NJ", "US", "07114", "EWRH"), mk("HOLLISTER", "PA", "US", "19061", "0191"),
		mk("WEST JORDAN", "UT", "US", "84081", "0840"),
	}
	uspsHubs = []*place{
		// USPS names its plants "CITY ST DISTRIBUTION CENTER" in the city
		// field and leaves the state empty (see splitFacility).
		{city: "CHICAGO IL NETWORK DISTRIBUTION CENTER", region: "", country: "US"},
		{city: "ATLANTA GA NETWORK DISTRIBUTION CENTER", region: "", country: "US"},
		{city: "DALLAS TX NETWORK DISTRIBUTION CENTER", region: "", country: "US"},
		{city: "LOS ANGELES CA NETWORK DISTRIBUTION CENTER", region: "", country: "US"},
		{city: "PHILADELPHIA PA NETWORK DISTRIBUTION CENTER", region: "", country: "US"},
		{city: "DENVER CO NETWORK DISTRIBUTION CENTER", region: "", country: "US"},
		{city: "SEATTLE WA NETWORK DISTRIBUTION CENTER", region: "", country: "US"},
	}
	uspsHubStates = []string{"IL", "GA", "TX", "CA", "PA", "CO", "WA"}
)

func init() {
	for i, p := range uspsHubs {
		p.zone = tz.ForLocation("US", uspsHubStates[i])
		p.countryName = "United States"
	}
}

// Germany, for DHL Paket.
var (
	deCities = []*place{
		mk("Bremen", "", "DE", "28195", ""), mk("Berlin", "", "DE", "10115", ""),
		mk("Hamburg", "", "DE", "20095", ""), mk("München", "", "DE", "80331", ""),
		mk("Köln", "", "DE", "50667", ""), mk("Frankfurt am Main", "", "DE", "60311", ""),
		mk("Stuttgart", "", "DE", "70173", ""), mk("Leipzig", "", "DE", "04109", ""),
		mk("Dresden", "", "DE", "01067", ""), mk("Bonn", "", "DE", "53113", ""),
		mk("Hannover", "", "DE", "30159", ""), mk("Nürnberg", "", "DE", "90402", ""),
	}
	deHubs = []*place{
		mk("Obertshausen", "", "DE", "63179", ""), mk("Hannover", "", "DE", "30855", ""),
		mk("Aschheim", "", "DE", "85609", ""), mk("Bochum", "", "DE", "44807", ""),
		mk("Börnicke", "", "DE", "14641", ""), mk("Neumark", "", "DE", "08496", ""),
	}
)

// Great Britain, for Royal Mail: its events name an office, not a town
// ("Leeds DO", "Birmingham Mail Centre").
var (
	rmEnds = []*place{
		mk("Leeds", "", "GB", "LS1 1UR", "Leeds DO"), mk("Bristol", "", "GB", "BS1 4DJ", "Bristol DO"),
		mk("Glasgow", "", "GB", "G1 1AA", "Glasgow DO"), mk("Cardiff", "", "GB", "CF10 1AA", "Cardiff DO"),
		mk("Norwich", "", "GB", "NR1 1AA", "Norwich DO"), mk("Brighton", "", "GB", "BN1 1AA", "Brighton DO"),
		mk("York", "", "GB", "YO1 7HH", "York DO"), mk("Exeter", "", "GB", "EX1 1AA", "Exeter DO"),
	}
	rmHubs = []*place{
		mk("Birmingham", "", "GB", "B1 1AA", "Birmingham Mail Centre"), mk("Warrington", "", "GB", "WA5 7AA", "Warrington Mail Centre"),
		mk("Chelmsford", "", "GB", "CM1 1AA", "Chelmsford Mail Centre"), mk("Swindon", "", "GB", "SN5 8AA", "Swindon Mail Centre"),
		mk("Peterborough", "", "GB", "PE1 1AA", "Peterborough Mail Centre"),
	}
)

// The Netherlands, for PostNL: events name a PostNL location by its code.
var (
	nlCities = []*place{
		mk("Amsterdam", "", "NL", "1012AB", "157081"), mk("Rotterdam", "", "NL", "3011AA", "157101"),
		mk("Utrecht", "", "NL", "3511AA", "157121"), mk("Groningen", "", "NL", "9711AA", "157141"),
		mk("Eindhoven", "", "NL", "5611AA", "157161"), mk("Stadskanaal", "", "NL", "9501AB", "157181"),
		mk("Maastricht", "", "NL", "6211AA", "157201"), mk("Zwolle", "", "NL", "8011AA", "157221"),
	}
	nlHubs = []*place{
		mk("Nieuwegein", "", "NL", "3439LM", "101"), mk("Den Haag", "", "NL", "2491AA", "102"),
		mk("Amsterdam", "", "NL", "1047HB", "103"), mk("Waddinxveen", "", "NL", "2741AA", "104"),
	}
)

// Canada, for Canada Post: its scans name a site and a province, and a
// Post Office where a parcel waits.
var (
	caEnds = []*place{
		mk("TORONTO", "ON", "CA", "M5H2N2", "TORONTO PO 12"), mk("OTTAWA", "ON", "CA", "K1P1J1", "OTTAWA PO 3"),
		mk("MONTREAL", "QC", "CA", "H3B1A7", "MONTREAL PO 9"), mk("QUEBEC", "QC", "CA", "G1R4P5", "QUEBEC PO 2"),
		mk("HALIFAX", "NS", "CA", "B3J1S9", "HALIFAX PO 1"), mk("WINNIPEG", "MB", "CA", "R3C0N9", "WINNIPEG PO 4"),
		mk("REGINA", "SK", "CA", "S4P3Y2", "REGINA PO 1"), mk("CALGARY", "AB", "CA", "T3Z3J7", "CALGARY PO 7"),
		mk("EDMONTON", "AB", "CA", "T5J0N3", "EDMONTON PO 5"), mk("VANCOUVER", "BC", "CA", "V6B1A1", "VANCOUVER PO 8"),
		mk("VICTORIA", "BC", "CA", "V8W1P6", "VICTORIA PO 2"), mk("ST. JOHN'S", "NL", "CA", "A1C5M2", "ST JOHNS PO 1"),
	}
	caHubs = []*place{
		mk("MISSISSAUGA", "ON", "CA", "L5T2T1", ""), mk("MONTREAL", "QC", "CA", "H4S1A1", ""),
		mk("RICHMOND", "BC", "CA", "V6X3T8", ""), mk("CALGARY", "AB", "CA", "T2E7H7", ""),
		mk("WINNIPEG", "MB", "CA", "R3H0B8", ""), mk("DARTMOUTH", "NS", "CA", "B3B1X1", ""),
	}
)

// Germany, for DPD: its depots.
var dpdHubs = []*place{
	mk("Aschaffenburg", "", "DE", "63741", ""), mk("Hagen", "", "DE", "58099", ""),
	mk("Unna", "", "DE", "59423", ""), mk("Raunheim", "", "DE", "65479", ""),
	mk("Ottendorf-Okrilla", "", "DE", "01458", ""), mk("Augsburg", "", "DE", "86169", ""),
}

// International ends and gateways.
var (
	caCities = []*place{
		mk("TORONTO", "ON", "CA", "M5H 2N2", ""), mk("VANCOUVER", "BC", "CA", "V6B 1A1", ""),
		mk("MONTREAL", "QC", "CA", "H3B 1A7", ""), mk("CALGARY", "AB", "CA", "T2P 1J9", ""),
	}
	gbCities = []*place{
		mk("LONDON", "", "GB", "EC1A 1BB", ""), mk("MANCHESTER", "", "GB", "M1 1AE", ""),
		mk("BIRMINGHAM", "", "GB", "B1 1AA", ""), mk("EDINBURGH", "", "GB", "EH1 1YZ", ""),
	}
	cnCities = []*place{mk("SHENZHEN", "", "CN", "518000", ""), mk("SHANGHAI", "", "CN", "200000", "")}
	hkCities = []*place{mk("HONG KONG", "", "HK", "", "")}
	// Cuba's clocks skip midnight on the second Sunday of March: its
	// shipments keep a midnight-gap zone in every load.
	cuCities = []*place{mk("LA HABANA", "", "CU", "10400", ""), mk("SANTIAGO DE CUBA", "", "CU", "90100", "")}
	deOrigin = []*place{mk("BERLIN", "", "DE", "10115", ""), mk("MUENCHEN", "", "DE", "80331", ""), mk("HAMBURG", "", "DE", "20095", "")}

	gwKoeln      = mk("Koeln", "", "DE", "51147", "KOE")
	gwLeipzig    = mk("LEIPZIG", "", "DE", "04435", "LEJ")
	gwCincinnati = mk("CINCINNATI HUB", "OH", "US", "41048", "CVG")
	gwNewYork    = mk("NEW YORK CITY GATEWAY", "NY", "US", "11430", "JFK")
	gwLosAngeles = mk("LOS ANGELES GATEWAY", "CA", "US", "90045", "LAX")
	gwEastMid    = mk("EAST MIDLANDS", "", "GB", "DE74 2TR", "EMA")
	gwHongKong   = mk("HONG KONG", "", "HK", "", "HKG")
	gwShenzhen   = mk("SHENZHEN", "", "CN", "518000", "SZX")
	gwGuangzhou  = mk("GUANGZHOU", "", "CN", "510000", "CAN")
	gwAnchorage  = mk("ANCHORAGE", "AK", "US", "99502", "ANCH")
	gwMississa   = mk("MISSISSAUGA", "ON", "CA", "L5T 2T7", "YYZ")
	gwTamworth   = mk("Tamworth", "", "GB", "B78 3HU", "TAM")
	gwPhila      = mk("Philadelphia", "PA", "US", "19153", "PHL")
	gwMemphis    = mk("MEMPHIS", "TN", "US", "38118", "MEMH")
	gwLouisville = mk("Louisville", "KY", "US", "40209", "4029")
	gwMiami      = mk("Miami", "FL", "US", "33126", "3312")
)

// lane is how an international shipment travels: where it may start and
// end, and the gateways it leaves and enters through.
type lane struct {
	from, to []*place
	out, in  []*place // gateways of the origin country, of the destination country
}

func pick(r *rand.Rand, ps []*place) *place { return ps[r.IntN(len(ps))] }

// pickOther picks a place of ps other than not, when ps has another.
func pickOther(r *rand.Rand, ps []*place, not *place) *place {
	for range 8 {
		if p := pick(r, ps); p != not {
			return p
		}
	}
	return pick(r, ps)
}
