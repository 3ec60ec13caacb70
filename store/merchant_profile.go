package store

import (
	"context"
	"database/sql"
	"errors"

	"github.com/paybridge/paybridge"
)

// MerchantProfile returns a merchant's copied Clover profile.
func (db *DB) MerchantProfile(ctx context.Context, merchantID string) (*paybridge.MerchantProfile, error) {
	p := paybridge.MerchantProfile{MerchantID: merchantID}
	var updated int64
	err := db.r.QueryRowContext(ctx, `SELECT name, address1, address2, city, region, postal_code, country, phone, updated_at
		FROM merchant_profiles WHERE merchant_id = $1`, merchantID).
		Scan(&p.Name, &p.Address1, &p.Address2, &p.City, &p.Region, &p.PostalCode, &p.Country, &p.Phone, &updated)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil, paybridge.Errorf(paybridge.ENOTFOUND, "", "merchant %s has no profile yet", merchantID)
	case err != nil:
		return nil, db.mapErr("get merchant profile", err)
	}
	p.UpdatedAt = fromMicros(updated)
	return &p, nil
}

// SetMerchantProfile creates or replaces a merchant's profile.
func (db *DB) SetMerchantProfile(ctx context.Context, p *paybridge.MerchantProfile) error {
	p.UpdatedAt = db.stamp(p.UpdatedAt)
	_, err := db.exec(ctx, `INSERT INTO merchant_profiles (merchant_id, name, address1, address2, city, region, postal_code, country, phone, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (merchant_id) DO UPDATE
		SET name = excluded.name, address1 = excluded.address1, address2 = excluded.address2, city = excluded.city,
		    region = excluded.region, postal_code = excluded.postal_code, country = excluded.country, phone = excluded.phone,
		    updated_at = excluded.updated_at`,
		p.MerchantID, p.Name, p.Address1, p.Address2, p.City, p.Region, p.PostalCode, p.Country, p.Phone, micros(p.UpdatedAt))
	if isForeignKey(err) {
		return notFound("merchant")
	}
	return db.mapErr("set merchant profile", err)
}
