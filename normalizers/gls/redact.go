package gls

import "github.com/wismo/wismo/normalizers"

// Personal data in GLS answers: the simple Track & Trace answer names no
// one in a field of its own; the text an event keeps, its description,
// passes the common markers and GLS's German ones ("Zugestellt an: ...",
// "Empfänger: ...").
var redactor = normalizers.NewRedactor(append([]string{"ZUGESTELLT AN:", "EMPFANGEN VON:", "UNTERSCHRIFT:"}, normalizers.NameMarkers...)...)
