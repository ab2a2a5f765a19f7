// Package shipping quotes delivery prices by weight and zone.
package shipping

import (
	"errors"
	"math"
)

// Zone is a delivery region with its own tariff.
type Zone string

const (
	Domestic Zone = "domestic"
	EU       Zone = "eu"
	World    Zone = "world"
)

var baseRate = map[Zone]float64{Domestic: 4.90, EU: 9.50, World: 19.00}

// ErrUnknownZone is returned for a zone without a tariff.
var ErrUnknownZone = errors.New("shipping: unknown zone")

// Quote returns the price for a parcel of weightKg to zone, rounded to cents.
func Quote(zone Zone, weightKg float64) (float64, error) {
	base, ok := baseRate[zone]
	if !ok {
		return 0, ErrUnknownZone
	}
	extra := 0.0
	if weightKg > 2 {
		extra = math.Ceil(weightKg-2) * 1.25
	}
	return math.Round((base+extra)*100) / 100, nil
}
