package paybridge

import "time"

// Order is the direction of a list, by creation.
type Order string

// List orders. The zero Order is the list's default: oldest first for
// resources and events (a CRM syncing walks forward, and rows created
// while it pages still reach it), newest first for the audit log.
const (
	OrderAsc  Order = "asc"  // oldest first
	OrderDesc Order = "desc" // newest first
)

// Newest reports whether o lists newest first, given the list's default.
func (o Order) Newest(byDefault bool) bool {
	switch o {
	case OrderAsc:
		return false
	case OrderDesc:
		return true
	}
	return byDefault
}

// TimeRange bounds a list by creation time: From inclusive, Until
// exclusive; a zero end is open. (The API's gt/lte forms become these by
// adding a microsecond, the stores' resolution.)
type TimeRange struct {
	From, Until time.Time
}
