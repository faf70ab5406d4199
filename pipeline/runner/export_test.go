package runner

import (
	"github.com/wismo/wismo/config"
	"github.com/wismo/wismo/pipeline"
	"go.uber.org/zap"
)

// WithStages is a Runner of the given stages, for tests that need a stage
// New would not build (a processor that never returns).
func WithStages(cfg *config.Config, log *zap.Logger, stages ...*pipeline.Stage) *Runner {
	r := &Runner{cfg: cfg, log: log, metrics: pipeline.NewMetrics(), stages: stages}
	for _, s := range stages {
		r.all = append(r.all, s)
	}
	return r
}
