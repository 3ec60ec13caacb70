package store

import (
	"context"
	"strings"

	"github.com/paybridge/paybridge"
)

const customerCols = `id, merchant_id, email, name, phone, metadata, clover_customer_id, created_at, updated_at`

func scanCustomer(s scanner) (*paybridge.Customer, error) {
	var c paybridge.Customer
	var meta string
	var created, updated int64
	if err := s.Scan(&c.ID, &c.MerchantID, &c.Email, &c.Name, &c.Phone, &meta, &c.CloverCustomerID,
		&created, &updated); err != nil {
		return nil, err
	}
	var err error
	c.Metadata, err = decodeMeta(meta)
	c.CreatedAt, c.UpdatedAt = fromMicros(created), fromMicros(updated)
	return &c, err
}

// CreateCustomer stores c, assigning ID and CreatedAt when empty.
func (db *DB) CreateCustomer(ctx context.Context, c *paybridge.Customer) error {
	if c.ID == "" {
		c.ID = paybridge.NewID(paybridge.PrefixCustomer)
	}
	c.CreatedAt = db.stamp(c.CreatedAt)
	c.UpdatedAt = c.CreatedAt
	_, err := db.exec(ctx, `INSERT INTO customers (`+customerCols+`, email_lower)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		c.ID, c.MerchantID, c.Email, c.Name, c.Phone, encodeMeta(c.Metadata), c.CloverCustomerID,
		micros(c.CreatedAt), micros(c.UpdatedAt), strings.ToLower(c.Email))
	if isForeignKey(err) {
		return notFound("merchant")
	}
	return db.mapErr("create customer", err)
}

// GetCustomer returns merchantID's customer id.
func (db *DB) GetCustomer(ctx context.Context, merchantID, id string) (*paybridge.Customer, error) {
	c, err := scanCustomer(db.r.QueryRowContext(ctx,
		`SELECT `+customerCols+` FROM customers WHERE id = $1 AND merchant_id = $2`, id, merchantID))
	return c, db.getErr("customer", err)
}

// UpdateCustomer writes c's email, name, phone, metadata and Clover id.
func (db *DB) UpdateCustomer(ctx context.Context, c *paybridge.Customer) error {
	c.UpdatedAt = db.now()
	res, err := db.exec(ctx, `UPDATE customers SET email = $1, email_lower = $2, name = $3,
		phone = $4, metadata = $5, clover_customer_id = $6, updated_at = $7
		WHERE id = $8 AND merchant_id = $9`,
		c.Email, strings.ToLower(c.Email), c.Name, c.Phone, encodeMeta(c.Metadata), c.CloverCustomerID,
		micros(c.UpdatedAt), c.ID, c.MerchantID)
	return db.oneRow("customer", res, err)
}

// ListCustomers returns a page of merchantID's customers (oldest first by
// default);
// f.Email matches exactly, ignoring case.
func (db *DB) ListCustomers(ctx context.Context, merchantID string, f paybridge.CustomerFilter) ([]*paybridge.Customer, string, error) {
	q := query{sql: `SELECT seq, ` + customerCols + ` FROM customers WHERE merchant_id = $1`, args: []any{merchantID}}
	if f.Email != "" {
		q.where("email_lower = %s", strings.ToLower(f.Email))
	}
	q.created(f.Created)
	return list(ctx, db, db.r, q, f.Cursor, f.Limit, f.Order.Newest(false), scanCustomer)
}
