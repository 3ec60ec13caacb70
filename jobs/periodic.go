package jobs

import (
	"context"
	"fmt"
	"time"

	"github.com/riverqueue/river"
)

// PeriodicArgs runs the Periodic of that name once.
type PeriodicArgs struct {
	Name string `json:"name"`
}

// Kind is River's job kind.
func (PeriodicArgs) Kind() string { return "periodic" }

type periodicWorker struct {
	river.WorkerDefaults[PeriodicArgs]
	r      *Runner
	byName map[string]Periodic
}

func (w *periodicWorker) Timeout(*river.Job[PeriodicArgs]) time.Duration { return 10 * time.Minute }

func (w *periodicWorker) Work(ctx context.Context, job *river.Job[PeriodicArgs]) error {
	p, ok := w.byName[job.Args.Name]
	if !ok {
		return river.JobCancel(fmt.Errorf("no periodic job %q", job.Args.Name))
	}
	if err := p.Run(ctx); err != nil {
		w.r.Logger.Error("periodic job", "job", p.Name, "err", err)
		return err
	}
	return nil
}
