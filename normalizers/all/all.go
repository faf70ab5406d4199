// Package all registers every carrier normalizer. Import it for its side
// effect.
package all

import (
	_ "github.com/wismo/wismo/normalizers/aftership"
	_ "github.com/wismo/wismo/normalizers/amazon"
	_ "github.com/wismo/wismo/normalizers/australiapost"
	_ "github.com/wismo/wismo/normalizers/avroscan"
	_ "github.com/wismo/wismo/normalizers/canadapost"
	_ "github.com/wismo/wismo/normalizers/dhl"
	_ "github.com/wismo/wismo/normalizers/dpd"
	_ "github.com/wismo/wismo/normalizers/easypost"
	_ "github.com/wismo/wismo/normalizers/fedex"
	_ "github.com/wismo/wismo/normalizers/gls"
	_ "github.com/wismo/wismo/normalizers/karrio"
	_ "github.com/wismo/wismo/normalizers/laposte"
	_ "github.com/wismo/wismo/normalizers/lasership"
	_ "github.com/wismo/wismo/normalizers/postnl"
	_ "github.com/wismo/wismo/normalizers/purolator"
	_ "github.com/wismo/wismo/normalizers/royalmail"
	_ "github.com/wismo/wismo/normalizers/seventeentrack"
	_ "github.com/wismo/wismo/normalizers/ship24"
	_ "github.com/wismo/wismo/normalizers/shippo"
	_ "github.com/wismo/wismo/normalizers/trackingmore"
	_ "github.com/wismo/wismo/normalizers/ups"
	_ "github.com/wismo/wismo/normalizers/usps"
)
