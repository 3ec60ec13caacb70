package store

import (
	"context"
	"time"
)

// HoldLease takes or renews db.Instance's lease until now+ttl. A process
// that dies stops renewing it, and once it has expired every Idempotency-Key
// and payment that process left in flight is orphaned: any instance may
// finish them (OrphanedIdempotent, DuePayments). The lease only decides
// when to recover, never whether money moves: the recovering side repeats
// Clover calls with their own idempotency keys and settles by
// compare-and-set, and a request whose key was taken over cannot commit
// under it (claim), so a process only thought dead does no harm.
//
// takeOver names the slot this instance fills (a host and data directory)
// when it starts: leases of earlier processes of that slot are dropped,
// those processes being gone, so what they left is recovered at once
// instead of when their lease runs out. Leases are wall-clock times.
func (db *DB) HoldLease(ctx context.Context, name string, ttl time.Duration, takeOver bool) error {
	now := time.Now()
	if takeOver && name != "" {
		if _, err := db.exec(ctx, `DELETE FROM instance_leases WHERE (name = $1 AND id <> $2) OR expires_at < $3`,
			name, db.Instance, now.Add(-time.Hour).UnixMicro()); err != nil {
			return db.mapErr("take over leases", err)
		}
	}
	_, err := db.exec(ctx, `INSERT INTO instance_leases (id, name, expires_at) VALUES ($1, $2, $3)
		ON CONFLICT (id) DO UPDATE SET expires_at = excluded.expires_at`, db.Instance, name, now.Add(ttl).UnixMicro())
	return db.mapErr("hold lease", err)
}

// DropLease ends db.Instance's lease (a clean shutdown, once no request is
// left running): anything still in flight is recovered at once.
func (db *DB) DropLease(ctx context.Context) error {
	_, err := db.exec(ctx, `DELETE FROM instance_leases WHERE id = $1`, db.Instance)
	return db.mapErr("drop lease", err)
}

// orphaned is the SQL condition "the row's owner holds no live lease" for
// a table aliased t, with the current time in microseconds as $n.
func orphaned(t, n string) string {
	return t + `.owner <> '' AND NOT EXISTS (SELECT 1 FROM instance_leases l WHERE l.id = ` + t +
		`.owner AND l.expires_at > ` + n + `)`
}

// RescueJobs makes the River jobs that processes without a live lease were
// running available again, and returns how many. River's client id is the
// lease id (jobs.Runner), so a job whose last attempt belongs to a dead
// process is known to be abandoned, and is run again at once instead of
// after River's stuck-job rescue (minutes): a webhook delivery or fan-out
// cut short by a kill -9, and the periodic reconcile job itself, which
// stays unique while "running" and would otherwise stop recovery. Jobs
// are at least once: running one again is what River's rescue does too.
func (db *DB) RescueJobs(ctx context.Context) (int, error) {
	last := `json_extract(j.attempted_by, '$[#-1]')`
	if db.engine == EnginePostgres {
		last = `j.attempted_by[array_length(j.attempted_by, 1)]`
	}
	res, err := db.exec(ctx, `UPDATE river_job SET state = 'available'
		WHERE id IN (SELECT j.id FROM river_job j WHERE j.state = 'running' AND j.attempted_by IS NOT NULL
		AND NOT EXISTS (SELECT 1 FROM instance_leases l WHERE l.id = `+last+` AND l.expires_at > $1))`,
		time.Now().UnixMicro())
	if err != nil {
		return 0, db.mapErr("rescue jobs", err)
	}
	n, err := res.RowsAffected()
	return int(n), db.mapErr("rescue jobs", err)
}
