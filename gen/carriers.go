package gen

import (
	"github.com/wismo/wismo/taxonomy"
)

// kind is what a scan means in a shipment's story; each carrier says it
// with its own codes (variants).
type kind uint8

const (
	kLabel        kind = iota // label created (info_received.label_created)
	kManifest                 // shipment data sent (info_received.manifest_received)
	kPickup                   // carrier has the parcel
	kOrigin                   // first facility scan
	kDepart                   // left a facility (noise)
	kArrive                   // reached a facility (noise)
	kProcess                  // sorted, processed, moving (noise)
	kExport                   // left the origin country
	kImport                   // reached the destination country / customs started
	kCleared                  // released by customs
	kDestFacility             // at the facility that delivers
	kLoaded                   // loaded on the delivery vehicle (noise)
	kOFD                      // out for delivery
	kDelivered                // delivered
	kAttempt                  // delivery attempt failed
	kHeld                     // waiting at a pickup point
	kCollected                // collected from the pickup point
	kDelay                    // carrier delay (weather, operations)
	kCustomsHold              // held by customs
	kCustomsPay               // duties to pay
	kAddress                  // address problem before delivery
	kNoise                    // missort / internal scan that must not notify
	kReturn                   // going back to the sender
	kReturned                 // back at the sender
	kETA                      // estimate updated (informational, not movement)
	nKinds
)

var kindNames = [nKinds]string{"label", "manifest", "pickup", "origin", "depart", "arrive", "process",
	"export", "import", "cleared", "dest_facility", "loaded", "ofd", "delivered", "attempt", "held",
	"collected", "delay", "customs_hold", "customs_pay", "address", "noise", "return", "returned", "eta"}

func (k kind) String() string { return kindNames[k] }

// variant is one way a carrier says a kind of scan. Field use by carrier:
//
//	      code                 sub                     aux                 desc              exc
//	UPS   status.code          status.type             status.statusCode   description       -
//	FedEx eventType            exceptionCode           derivedStatusCode   eventDescription  exceptionDescription
//	USPS  eventCode            deliveryAttributeCode   -                   eventType         -
//	DHL   status (short code)  statusDetailed          statusCode          description       -
type variant struct {
	k                         kind
	code, sub, aux, desc, exc string
	typ                       *taxonomy.Type // what the carrier's table maps it to
	movement, noise           bool
}

type variants [nKinds][]*variant

func (vs *variants) add(k kind, typ, code, sub, aux, desc, exc string) {
	t := taxonomy.MustLookup(typ)
	vs[k] = append(vs[k], &variant{k: k, code: code, sub: sub, aux: aux, desc: desc, exc: exc, typ: t,
		movement: t.Movement, noise: t.Class == taxonomy.Noise})
}

func (vs *variants) has(k kind) bool { return len(vs[k]) > 0 }

// UPS Track API v1: status.code, status.type, status.statusCode. Exceptions
// UPS words without a code of their own carry only the three-digit status
// code and are classified by their description.
var upsVariants = func() *variants {
	v := &variants{}
	v.add(kLabel, "info_received.label_created", "MP", "M", "003", "Shipper created a label, UPS has not received the package yet.", "")
	v.add(kPickup, "in_transit.picked_up", "PU", "P", "038", "Pickup Scan", "")
	v.add(kOrigin, "in_transit.accepted_at_origin_facility", "OR", "I", "005", "Origin Scan", "")
	v.add(kOrigin, "in_transit.accepted_at_origin_facility", "OC", "I", "005", "We have your package", "")
	v.add(kDepart, "in_transit.departed_facility", "DP", "I", "005", "Departed from Facility", "")
	v.add(kArrive, "in_transit.arrived_at_facility", "AR", "I", "005", "Arrived at Facility", "")
	v.add(kProcess, "in_transit.processing_at_facility", "YP", "I", "071", "Processing at UPS Facility", "")
	v.add(kExport, "in_transit.departed_origin_country", "EP", "I", "005", "Export Scan", "")
	v.add(kImport, "in_transit.arrived_destination_country", "IP", "I", "005", "Import Scan", "")
	v.add(kCleared, "in_transit.customs_cleared", "RZ", "X", "014", "Your package has been released by the government agency.", "")
	v.add(kDestFacility, "in_transit.arrived_at_delivery_facility", "DS", "I", "005", "Destination Scan", "")
	v.add(kLoaded, "out_for_delivery.loaded_on_vehicle", "OF", "I", "072", "Loaded on Delivery Vehicle", "")
	v.add(kOFD, "out_for_delivery.out_for_delivery", "OT", "I", "021", "Out For Delivery Today", "")
	v.add(kDelivered, "delivered.delivered", "FS", "D", "011", "DELIVERED", "")
	v.add(kDelivered, "delivered.signed", "KM", "D", "011", "DELIVERED", "")
	v.add(kAttempt, "attempt_failed.business_closed", "L1", "X", "", "The receiver's location was closed on the 1st delivery attempt. A 2nd delivery attempt will be made.", "")
	v.add(kAttempt, "attempt_failed.recipient_unavailable", "", "X", "014", "The receiver was not available for delivery. We'll make a second attempt the next business day.", "")
	v.add(kHeld, "available_for_pickup.at_pickup_point", "2Q", "I", "", "Delivered to UPS Access Point. Awaiting customer pickup.", "")
	v.add(kHeld, "available_for_pickup.at_pickup_point", "ZP", "X", "", "The package will be held at a UPS Access Point location for pickup.", "")
	v.add(kCollected, "delivered.delivered", "FS", "D", "011", "Picked up at UPS Access Point location", "")
	v.add(kDelay, "exception.delayed_weather", "DJ", "X", "", "Severe weather conditions have delayed delivery.", "")
	v.add(kDelay, "exception.delayed_carrier_operations", "", "X", "014", "A mechanical failure has caused a delay. We will update the delivery date as soon as possible.", "")
	v.add(kCustomsHold, "exception.customs_hold", "RZ", "X", "012", "Your package is pending release from a Government Agency. Once they release it, your package will be on its way.", "")
	v.add(kCustomsPay, "exception.customs_payment_required", "", "X", "014", "The package is being held for payment of duties and taxes by the receiver.", "")
	v.add(kAddress, "exception.address_incorrect", "", "X", "014", "The address is incorrect. UPS is attempting to update the address.", "")
	v.add(kNoise, "in_transit.processing_at_facility", "KB", "X", "", "UPS internal activity code", "")
	v.add(kNoise, "in_transit.in_transit", "DA", "X", "014", "Your package is on the way", "")
	v.add(kReturn, "returned.return_initiated", "", "RS", "033", "Returning to Sender: The receiver was not available for delivery.", "")
	v.add(kReturned, "returned.returned_to_sender", "", "RS", "034", "Returned to Sender", "")
	v.add(kETA, "in_transit.eta_updated", "", "U", "", "Your delivery date has been updated.", "")
	return v
}()

// FedEx Track API v1: eventType, exceptionCode, derivedStatusCode,
// eventDescription, exceptionDescription.
var fedexVariants = func() *variants {
	v := &variants{}
	v.add(kLabel, "info_received.label_created", "OC", "", "IN", "Shipment information sent to FedEx", "")
	v.add(kPickup, "in_transit.picked_up", "PU", "", "PU", "Picked up", "")
	v.add(kOrigin, "in_transit.accepted_at_origin_facility", "OF", "", "IT", "At FedEx origin facility", "")
	v.add(kDepart, "in_transit.departed_facility", "DP", "", "IT", "Departed FedEx location", "")
	v.add(kDepart, "in_transit.departed_facility", "DP", "", "IT", "Left FedEx origin facility", "")
	v.add(kArrive, "in_transit.arrived_at_facility", "AR", "", "IT", "Arrived at FedEx location", "")
	v.add(kArrive, "in_transit.arrived_at_facility", "AR", "", "IT", "Arrived at FedEx hub", "")
	v.add(kProcess, "in_transit.in_transit", "IT", "", "IT", "In transit", "")
	v.add(kExport, "in_transit.customs_clearance_started", "CP", "", "IT", "Clearance in progress", "")
	v.add(kImport, "in_transit.customs_clearance_started", "CP", "", "IT", "Clearance in progress", "")
	v.add(kCleared, "in_transit.customs_cleared", "CC", "", "IT", "International shipment release - Import", "")
	v.add(kDestFacility, "in_transit.arrived_at_delivery_facility", "AR", "", "IT", "At local FedEx facility", "")
	v.add(kOFD, "out_for_delivery.out_for_delivery", "OD", "", "IT", "On FedEx vehicle for delivery", "")
	v.add(kDelivered, "delivered.delivered", "DL", "", "DL", "Delivered", "")
	v.add(kDelivered, "delivered.left_at_safe_place", "DL", "014", "DL", "Delivered", "Left at front door. Signature Service not requested.")
	v.add(kAttempt, "attempt_failed.recipient_unavailable", "DE", "08", "DE", "Delivery exception", "Customer not available or business closed")
	v.add(kAttempt, "attempt_failed.recipient_unavailable", "DE", "007", "DE", "Delivery exception", "Customer not available or business closed")
	v.add(kHeld, "available_for_pickup.at_pickup_point", "HP", "", "HP", "Ready for recipient pickup", "Package available for pickup at FedEx Office")
	v.add(kCollected, "delivered.collected_by_recipient", "DL", "", "DL", "Delivered", "Package picked up at FedEx location")
	v.add(kDelay, "exception.delayed_carrier_operations", "DY", "A52", "DY", "Delay", "Package delayed")
	v.add(kDelay, "exception.delayed_weather", "DY", "", "DY", "Delay", "Severe weather delayed delivery")
	v.add(kCustomsHold, "exception.customs_hold", "CD", "", "CD", "Clearance delay", "Package held by customs")
	v.add(kCustomsPay, "exception.customs_payment_required", "CD", "", "CD", "Clearance delay", "Import duties and taxes due")
	v.add(kAddress, "exception.address_incorrect", "DE", "03", "DE", "Delivery exception", "Incorrect address")
	v.add(kNoise, "exception.missorted", "SE", "", "SE", "Shipment exception", "Package missorted, sent on to the correct facility")
	v.add(kNoise, "in_transit.processing_at_facility", "SE", "", "SE", "Shipment exception", "Label unreadable, label replaced")
	v.add(kReturn, "returned.return_initiated", "RS", "", "RS", "Return to shipper", "")
	v.add(kReturned, "returned.returned_to_sender", "DL", "", "DL", "Delivered", "Returned to shipper")
	v.add(kETA, "in_transit.eta_updated", "AO", "", "IT", "Shipment arriving On-Time", "")
	return v
}()

// USPS Tracking API v3: eventCode, deliveryAttributeCode, eventType.
var uspsVariants = func() *variants {
	v := &variants{}
	v.add(kLabel, "info_received.label_created", "GX", "", "", "Shipping Label Created, USPS Awaiting Item", "")
	v.add(kPickup, "in_transit.picked_up", "03", "", "", "USPS in possession of item", "")
	v.add(kOrigin, "in_transit.accepted_at_origin_facility", "10", "", "", "Accepted at USPS Origin Facility", "")
	v.add(kDepart, "in_transit.departed_facility", "T1", "", "", "Departed USPS Regional Facility", "")
	v.add(kArrive, "in_transit.arrived_at_facility", "A1", "", "", "Arrived at USPS Regional Facility", "")
	v.add(kArrive, "in_transit.arrived_at_facility", "10", "", "", "Arrived at USPS Regional Destination Facility", "")
	v.add(kProcess, "in_transit.processing_at_facility", "PC", "", "", "Processing at USPS Facility", "")
	v.add(kProcess, "in_transit.in_transit", "TL", "", "", "In Transit to Next Facility", "")
	v.add(kDestFacility, "in_transit.arrived_at_delivery_facility", "07", "", "", "Arrived at Post Office", "")
	v.add(kOFD, "out_for_delivery.out_for_delivery", "OF", "", "", "Out for Delivery", "")
	v.add(kDelivered, "delivered.to_mailbox_or_locker", "01", "01", "", "Delivered, In/At Mailbox", "")
	v.add(kDelivered, "delivered.left_at_safe_place", "01", "02", "", "Delivered, Front Door/Porch", "")
	v.add(kDelivered, "delivered.delivered", "01", "04", "", "Delivered, Left with Individual", "")
	v.add(kAttempt, "attempt_failed.id_or_signature_required", "02", "", "", "Notice Left (No Authorized Recipient Available)", "")
	v.add(kAttempt, "attempt_failed.no_secure_location", "53", "", "", "Receptacle Blocked", "")
	v.add(kAttempt, "attempt_failed.business_closed", "51", "", "", "Business Closed", "")
	v.add(kHeld, "available_for_pickup.at_pickup_point", "16", "", "", "Available for Pickup", "")
	v.add(kCollected, "delivered.collected_by_recipient", "01", "", "", "Delivered, Individual Picked Up at Post Office", "")
	v.add(kDelay, "exception.delayed_carrier_operations", "DX", "", "", "Delivery Delayed", "")
	v.add(kAddress, "exception.address_incorrect", "22", "", "", "Insufficient Address", "")
	v.add(kNoise, "in_transit.misrouted_corrected", "08", "", "", "Missent", "")
	v.add(kNoise, "in_transit.processing_at_facility", "41", "", "", "Processed Through Facility", "")
	v.add(kReturn, "returned.return_initiated", "09", "", "", "Return to Sender Processed", "")
	v.add(kReturn, "returned.undeliverable_returning", "21", "", "", "No Such Number", "")
	v.add(kReturned, "returned.returned_to_sender", "01", "", "", "Delivered, To Original Sender", "")
	return v
}()

// DHL Paket (parcel-de): statusDetailed "ICE_RIC_STD" codes where the table
// has them, German texts otherwise.
var dhlParcelVariants = func() *variants {
	v := &variants{}
	v.add(kLabel, "info_received.label_created", "", "", "pre-transit", "Versandmarke erstellt. DHL hat die Sendung noch nicht erhalten.", "")
	v.add(kManifest, "info_received.manifest_received", "", "", "pre-transit", "Die Auftragsdaten zu dieser Sendung wurden vom Absender elektronisch an DHL übermittelt.", "")
	v.add(kPickup, "in_transit.picked_up", "AE", "PCKDU_PUBCR_AE", "transit", "Die Sendung wurde abgeholt.", "")
	v.add(kOrigin, "in_transit.accepted_at_origin_facility", "", "", "transit", "Die Sendung wurde im Start-Paketzentrum bearbeitet.", "")
	v.add(kDepart, "in_transit.departed_facility", "AA", "LDTMV_MVMTV_AA", "transit", "Die Sendung wurde vom Paketzentrum abgeschickt.", "")
	v.add(kArrive, "in_transit.arrived_at_facility", "EE", "ULFMV_UNLDD_EE", "transit", "Die Sendung ist im Paketzentrum eingetroffen.", "")
	v.add(kProcess, "in_transit.processing_at_facility", "", "", "transit", "Die Sendung wurde im Paketzentrum bearbeitet.", "")
	v.add(kDestFacility, "in_transit.arrived_at_delivery_facility", "", "", "transit", "Die Sendung ist in der Zustellbasis angekommen.", "")
	v.add(kOFD, "out_for_delivery.out_for_delivery", "PO", "SRTED_NRQRD_PO", "transit", "Die Sendung wurde in das Zustellfahrzeug geladen.", "")
	v.add(kDelivered, "delivered.delivered", "ZU", "DLVRD_DD_ZU", "delivered", "Die Sendung wurde zugestellt.", "")
	v.add(kDelivered, "delivered.to_neighbor", "ZU", "DLVRD_NGHBR_ZU", "delivered", "Die Sendung wurde an einen Nachbarn zugestellt.", "")
	v.add(kDelivered, "delivered.left_at_safe_place", "ZU", "DLVRD_SECPL_ZU", "delivered", "Die Sendung wurde am gewünschten Ablageort zugestellt.", "")
	v.add(kAttempt, "attempt_failed.notice_left", "", "", "failure", "Die Sendung konnte nicht zugestellt werden. Der Empfänger wurde benachrichtigt.", "")
	v.add(kHeld, "available_for_pickup.at_pickup_point", "LA", "HLDCC_RETAI_LA", "transit", "Die Sendung liegt in der Filiale zur Abholung bereit.", "")
	v.add(kHeld, "available_for_pickup.at_locker", "LA", "HLDCC_PCKST_LA", "transit", "Die Sendung liegt in der Packstation zur Abholung bereit.", "")
	v.add(kCollected, "delivered.collected_by_recipient", "ZU", "DLVRD_ACCPK_ZU", "delivered", "Die Sendung wurde vom Empfänger abgeholt.", "")
	v.add(kDelay, "exception.delayed_weather", "", "", "transit", "Die Sendung verzögert sich aufgrund der Wetterlage.", "")
	v.add(kAddress, "exception.address_incorrect", "", "", "failure", "Die Sendung konnte wegen fehlerhafter Empfängerangaben nicht zugestellt werden.", "")
	v.add(kNoise, "in_transit.misrouted_corrected", "", "", "transit", "Die Sendung wurde fehlgeleitet und wird an das richtige Paketzentrum weitergeleitet.", "")
	v.add(kReturn, "returned.undeliverable_returning", "", "", "transit", "Die Sendung wird an den Absender zurückgesendet.", "")
	v.add(kReturned, "returned.returned_to_sender", "", "", "delivered", "Die Sendung wurde an den Absender zugestellt.", "")
	return v
}()

// DHL Express through the unified API: a checkpoint code in status, English
// text in description.
var dhlExpressVariants = func() *variants {
	v := &variants{}
	v.add(kManifest, "info_received.manifest_received", "", "", "pre-transit", "Shipment information received", "")
	v.add(kLabel, "info_received.label_created", "", "", "pre-transit", "Label created; DHL has not received the shipment yet", "")
	v.add(kPickup, "in_transit.picked_up", "PU", "", "transit", "Shipment picked up", "")
	v.add(kOrigin, "in_transit.processing_at_facility", "PL", "", "transit", "Processed at", "")
	v.add(kDepart, "in_transit.departed_facility", "DF", "", "transit", "Departed Facility in", "")
	v.add(kArrive, "in_transit.arrived_at_facility", "AF", "", "transit", "Arrived at Sort Facility", "")
	v.add(kProcess, "in_transit.processing_at_facility", "PL", "", "transit", "Processed at", "")
	v.add(kImport, "in_transit.customs_clearance_started", "RR", "", "transit", "Customs status updated", "")
	v.add(kCleared, "in_transit.customs_cleared", "CR", "", "transit", "Clearance processing complete at", "")
	v.add(kDestFacility, "in_transit.arrived_at_delivery_facility", "AR", "", "transit", "Arrived at Delivery Facility in", "")
	v.add(kOFD, "out_for_delivery.out_for_delivery", "WC", "", "transit", "With delivery courier", "")
	v.add(kDelivered, "delivered.delivered", "OK", "", "delivered", "Delivered", "")
	v.add(kAttempt, "attempt_failed.recipient_unavailable", "NH", "", "failure", "Delivery attempted; recipient not home", "")
	v.add(kHeld, "available_for_pickup.at_pickup_point", "CC", "", "transit", "Awaiting collection by recipient as requested", "")
	v.add(kCollected, "delivered.collected_by_recipient", "OK", "", "delivered", "Shipment collected by the recipient", "")
	v.add(kDelay, "exception.delayed_late_flight", "MD", "", "transit", "Delayed due to a missed flight connection", "")
	v.add(kDelay, "exception.delayed_weather", "TD", "", "transit", "Shipment delayed due to weather conditions", "")
	v.add(kCustomsHold, "exception.customs_hold", "CD", "", "transit", "Shipment on hold: held by customs", "")
	v.add(kCustomsPay, "exception.customs_payment_required", "HP", "", "transit", "Payment of duties and taxes required", "")
	v.add(kAddress, "exception.address_incorrect", "BA", "", "failure", "Bad address: the address is incomplete", "")
	v.add(kNoise, "in_transit.misrouted_corrected", "MS", "", "transit", "Shipment misrouted, being sent on", "")
	v.add(kReturn, "returned.return_initiated", "RT", "", "transit", "Return initiated: shipment is being returned to the shipper", "")
	v.add(kReturned, "returned.returned_to_sender", "OK", "", "delivered", "Shipment delivered to the sender", "")
	return v
}()

// Royal Mail mailpieces v2: eventCode and eventName, as its table
// (normalizers/royalmail/codes.tsv) maps them. Royal Mail has no codes for
// a label, an address problem or a return that the table lists, so its
// stories have none of those.
var royalMailVariants = func() *variants {
	v := &variants{}
	v.add(kManifest, "info_received.manifest_received", "EVAIP", "", "", "Sender despatching item", "")
	v.add(kManifest, "info_received.manifest_received", "EVAIE", "", "", "Sender preparing item", "")
	v.add(kPickup, "in_transit.dropped_off", "EVPPA", "", "", "Accepted at Parcelshop", "")
	v.add(kOrigin, "in_transit.accepted_at_origin_facility", "EVDAV", "", "", "Item Received", "")
	v.add(kOrigin, "in_transit.accepted_at_origin_facility", "EVIMC", "", "", "Item Received", "")
	v.add(kDepart, "in_transit.departed_facility", "EVODO", "", "", "Item Despatched to MC", "")
	v.add(kArrive, "in_transit.arrived_at_facility", "EVOAC", "", "", "Item received at", "")
	v.add(kProcess, "in_transit.processing_at_facility", "EVOCO", "", "", "We've received your item and it's now being processed for delivery.", "")
	v.add(kDestFacility, "in_transit.arrived_at_facility", "EVORI", "", "", "Arrived at", "")
	v.add(kOFD, "out_for_delivery.out_for_delivery", "EVGPD", "", "", "Due to be delivered today", "")
	v.add(kDelivered, "delivered.signed", "EVKSP", "", "", "Delivered and Signed", "")
	v.add(kDelivered, "delivered.left_at_safe_place", "EVKSF", "", "", "Delivered to Safeplace", "")
	v.add(kDelivered, "delivered.delivered", "EVKOP", "", "", "Delivered by", "")
	v.add(kAttempt, "attempt_failed.recipient_unavailable", "EVKNA", "", "", "Delivery Attempted - No Answer", "")
	v.add(kAttempt, "attempt_failed.notice_left", "EVKNR", "", "", "Delivery Attempted", "")
	v.add(kHeld, "available_for_pickup.held_after_attempt", "EVNDA", "", "", "Available for Redelivery or Collection", "")
	v.add(kCollected, "delivered.delivered", "EVKOP", "", "", "Delivered by", "")
	v.add(kDelay, "exception.held_by_carrier", "EVNRT", "", "", "Item Retention", "")
	v.add(kNoise, "in_transit.misrouted_corrected", "EVNMI", "", "", "Forwarded - Mis-sort", "")
	return v
}()

// PostNL shipping status v2 (CompleteStatus events): the event codes its
// table lists (A01, B01, J01, J05, 01B) where they say the step, and for
// the steps without a code there (a failed attempt, a pickup point, a
// return, a delay) no code at all and the Dutch description, which the
// table's wording places. Times are Dutch wall clocks without an offset.
var postNLVariants = func() *variants {
	v := &variants{}
	v.add(kManifest, "info_received.manifest_received", "A01", "", "", "Zending is voorgemeld, maar nog niet door PostNL ontvangen", "")
	v.add(kPickup, "in_transit.accepted_at_origin_facility", "B01", "", "", "Zending is ontvangen door PostNL", "")
	v.add(kDepart, "in_transit.sorted", "J01", "", "", "Zending is gesorteerd", "")
	v.add(kArrive, "in_transit.sorted", "J01", "", "", "Zending is gesorteerd", "")
	v.add(kDestFacility, "in_transit.sorted", "J01", "", "", "Zending is gesorteerd", "")
	v.add(kProcess, "in_transit.sorted", "J01", "", "", "Zending is gesorteerd", "")
	v.add(kOFD, "out_for_delivery.out_for_delivery", "J05", "", "", "Bezorger is onderweg", "")
	v.add(kDelivered, "delivered.delivered", "01B", "", "", "Zending is bezorgd", "")
	v.add(kDelivered, "delivered.to_neighbor", "01B", "", "", "Zending is bezorgd bij de buren", "")
	v.add(kDelivered, "delivered.to_mailbox_or_locker", "01B", "", "", "Zending is bezorgd in de brievenbus", "")
	v.add(kAttempt, "attempt_failed.notice_left", "", "", "", "Zending niet bezorgd: geadresseerde niet thuis", "")
	v.add(kHeld, "available_for_pickup.at_pickup_point", "", "", "", "Zending ligt klaar op het PostNL-punt", "")
	v.add(kCollected, "delivered.collected_by_recipient", "", "", "", "Zending is afgehaald op het PostNL-punt", "")
	v.add(kDelay, "exception.delayed_carrier_operations", "", "", "", "Zending is vertraagd", "")
	v.add(kAddress, "exception.address_incorrect", "", "", "", "Adres onbekend", "")
	v.add(kNoise, "in_transit.sorted", "J01", "", "", "Zending is opnieuw gesorteerd", "")
	v.add(kReturn, "returned.return_initiated", "", "", "", "Zending gaat retour naar de afzender", "")
	v.add(kReturned, "returned.returned_to_sender", "", "", "", "Zending is retour afgeleverd bij de afzender", "")
	return v
}()

// Canada Post tracking-detail: event-identifier codes of its table
// (normalizers/canadapost/codes.tsv), with the English descriptions Canada
// Post writes. The table has no code for a delay, an address problem or a
// return, so its stories have none.
var canadaPostVariants = func() *variants {
	v := &variants{}
	v.add(kManifest, "info_received.manifest_received", "3000", "", "", "Electronic information submitted by shipper", "")
	v.add(kPickup, "in_transit.picked_up", "2300", "", "", "Item picked up by Canada Post", "")
	v.add(kPickup, "in_transit.dropped_off", "1302", "", "", "Item accepted at the Post Office", "")
	v.add(kDepart, "in_transit.departed_facility", "0410", "", "", "Item departed", "")
	v.add(kArrive, "in_transit.arrived_at_facility", "0405", "", "", "Item arrived", "")
	v.add(kProcess, "in_transit.processing_at_facility", "0170", "", "", "Item processed", "")
	v.add(kDestFacility, "in_transit.processing_at_facility", "0100", "", "", "Item processed", "")
	v.add(kOFD, "out_for_delivery.out_for_delivery", "0174", "", "", "Item out for delivery", "")
	v.add(kDelivered, "delivered.delivered", "1496", "", "", "Item successfully delivered", "")
	v.add(kAttempt, "attempt_failed.notice_left", "1479", "", "", "Attempted delivery; notice card left", "")
	v.add(kHeld, "available_for_pickup.at_pickup_point", "1701", "", "", "Item available for pickup at Post Office", "")
	v.add(kCollected, "delivered.delivered", "1498", "", "", "Item picked up at Post Office", "")
	v.add(kNoise, "in_transit.in_transit", "0175", "", "", "Item in transit", "")
	return v
}()

// DPD ParcelLifeCycle: status codes of its table (normalizers/dpd/codes.tsv)
// with a German label (sub) and description, as DPD answers with
// messageLanguage de_DE. DPD's statuses have no delay, customs, address or
// return step, so its stories have none.
var dpdVariants = func() *variants {
	v := &variants{}
	v.add(kManifest, "info_received.manifest_received", "SHIPMENT", "Paketdaten", "", "Die Paketdaten wurden an DPD übermittelt.", "")
	v.add(kPickup, "in_transit.picked_up", "PickedUp", "Übernommen", "", "DPD hat Ihr Paket übernommen.", "")
	v.add(kOrigin, "in_transit.arrived_at_facility", "AtSendingDepot", "Im Depot", "", "Ihr Paket ist im Versanddepot eingetroffen.", "")
	v.add(kDepart, "in_transit.in_transit", "OnTheRoad", "Unterwegs", "", "Ihr Paket ist auf dem Weg zum Paketzentrum.", "")
	v.add(kArrive, "in_transit.in_transit", "BetweenDepots", "Unterwegs", "", "Ihr Paket ist im Paketzentrum.", "")
	v.add(kProcess, "in_transit.in_transit", "BetweenDepots", "Unterwegs", "", "Ihr Paket wurde im Paketzentrum bearbeitet.", "")
	v.add(kDestFacility, "in_transit.arrived_at_delivery_facility", "AtDeliveryDepot", "Im Zustelldepot", "", "Ihr Paket ist im Zustelldepot eingetroffen.", "")
	v.add(kOFD, "out_for_delivery.out_for_delivery", "Courier", "In Zustellung", "", "Ihr Paket ist in Zustellung.", "")
	v.add(kDelivered, "delivered.delivered", "Delivered", "Zugestellt", "", "Ihr Paket wurde zugestellt.", "")
	v.add(kAttempt, "attempt_failed.recipient_unavailable", "DeliveryFailure", "Nicht zugestellt", "", "Wir konnten Ihr Paket leider nicht zustellen.", "")
	v.add(kHeld, "available_for_pickup.at_pickup_point", "ParcelShop", "Im Pickup Paketshop", "", "Ihr Paket liegt im DPD Pickup Paketshop zur Abholung bereit.", "")
	v.add(kCollected, "delivered.collected_by_recipient", "PickupByConsignee", "Abgeholt", "", "Ihr Paket wurde im Pickup Paketshop abgeholt.", "")
	v.add(kNoise, "in_transit.in_transit", "BetweenDepots", "Unterwegs", "", "Ihr Paket wurde umgeleitet.", "")
	return v
}()
