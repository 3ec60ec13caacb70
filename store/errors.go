package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"

	"github.com/paybridge/paybridge"
)

// SQLite extended result codes and PostgreSQL SQLSTATEs the store maps.
const (
	sqliteConstraintPrimaryKey = 1555
	sqliteConstraintUnique     = 2067
	sqliteConstraintForeignKey = 787
	sqliteBusy                 = 5
	pgUniqueViolation          = "23505"
	pgForeignKeyViolation      = "23503"
)

// errInternal is what callers see of an unexpected database failure: the
// SQL details stay in the log.
var errInternal = &paybridge.Error{Kind: paybridge.EINTERNAL, Message: "A database error occurred."}

// notFound is the ENOTFOUND of a missing (or another merchant's) object.
func notFound(what string) *paybridge.Error {
	return paybridge.Errorf(paybridge.ENOTFOUND, "", "%s not found", what)
}

// isUnique reports a unique or primary-key violation, on either engine.
func isUnique(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqliteConstraintUnique || se.Code() == sqliteConstraintPrimaryKey
	}
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == pgUniqueViolation
}

// isBusy reports SQLite's SQLITE_BUSY (any extended code).
func isBusy(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code()&0xff == sqliteBusy
}

// isForeignKey reports a foreign-key violation, on either engine.
func isForeignKey(err error) bool {
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqliteConstraintForeignKey
	}
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == pgForeignKeyViolation
}

// mapErr turns err into what a Store method returns: *paybridge.Error and
// context errors as they are, sql.ErrNoRows as ENOTFOUND, a unique
// violation as ECONFLICT, anything else as a logged internal error.
func (db *DB) mapErr(op string, err error) error {
	var pe *paybridge.Error
	switch {
	case err == nil:
		return nil
	case errors.As(err, &pe):
		return pe
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	case errors.Is(err, sql.ErrNoRows):
		return notFound("object")
	case isUnique(err):
		return paybridge.Errorf(paybridge.ECONFLICT, "", "the object already exists")
	}
	return db.internal(op, err)
}

// internal logs err with its operation and returns the opaque internal error.
func (db *DB) internal(op string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	db.Logger.Error("store: database error", "op", op, "engine", db.engine, "err", err)
	return errInternal
}

// uniqueOn reports a unique violation of one index: by constraint name on
// PostgreSQL, by the "table.column" SQLite names in its message.
func uniqueOn(err error, index, sqliteColumn string) bool {
	if !isUnique(err) {
		return false
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.ConstraintName == index
	}
	return strings.Contains(err.Error(), sqliteColumn)
}

// kindIs reports whether err is a *paybridge.Error of kind.
func kindIs(err error, kind string) bool {
	var pe *paybridge.Error
	return errors.As(err, &pe) && pe.Kind == kind
}
