package amazon

// Personal data in Amazon Shipping tracking answers: none in a field of its
// own, and Amazon sends no event text, so an event keeps only Amazon's
// enum codes and the place (city, state, postcode, country). There is
// nothing to redact; this file says so, as every carrier's redact.go says
// what it withholds.
