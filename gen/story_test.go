package gen

import (
	"math/rand/v2"
	"testing"
)

// A carrier with no scan for any problem a lost parcel can have (no delay
// scan and no customs scans) gets no problem: pickExc once drew forever,
// and wismo gen hung on the first such shipment.
func TestPickExcEndsWithoutFittingScans(t *testing.T) {
	noDelay := *upsVariants
	noDelay[kDelay], noDelay[kCustomsHold], noDelay[kCustomsPay] = nil, nil, nil
	b := &builder{r: rand.New(rand.NewPCG(1, 2)), p: &plan{intl: true}, vs: &noDelay}
	if e := b.pickExc(stallLost); e != excNone {
		t.Errorf("a lost parcel of a carrier without delay scans got problem %v", excNames[e])
	}
	b.vs = upsVariants
	if e := b.pickExc(stallLost); e != excDelay && e != excCustomsHold && e != excCustomsPay {
		t.Errorf("a lost UPS parcel got problem %v, want a delay or customs", excNames[e])
	}
}
