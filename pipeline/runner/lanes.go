package runner

import (
	"context"
	"slices"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/wismo/wismo/pipeline"
	"github.com/wismo/wismo/pipeline/detectstage"
	"github.com/wismo/wismo/pipeline/lanestage"
	"github.com/wismo/wismo/rules"
	"go.uber.org/zap"
)

// Lane builds the lane stage: observations in, the compacted lanes topic
// out (package pipeline/lanestage).
func (r *Builder) Lane(kopts []kgo.Opt) (*pipeline.Stage, *lanestage.Processor, error) {
	rl, err := r.rules()
	if err != nil {
		return nil, nil, err
	}
	proc, err := lanestage.New(lanestage.Config{
		ObservationsTopic: r.cfg.Topics.LaneObservations, LanesTopic: r.cfg.Topics.Lanes, Model: rl.Lanes.Model,
		Restorer: detectstage.KafkaRestorer{Opts: append(r.limits().ClientOpts(), kopts...)},
		Metrics:  r.metrics, Logger: r.log.With(zap.String("stage", "lane")),
	})
	if err != nil {
		return nil, nil, err
	}
	st, err := pipeline.NewStage(r.stageConfig("lane", proc.Topics(), r.cfg.Detect.MaxPollRecords,
		append(slices.Clone(kopts), kgo.RecordPartitioner(proc.Partitioner()))), proc)
	return st, proc, err
}

// rules are the detect rules (detect.rules_dir over the defaults).
func (r *Builder) rules() (*rules.Rules, error) {
	if dir := r.cfg.Detect.RulesDir; dir != "" {
		return rules.Load(dir)
	}
	return rules.Default(), nil
}

// laneTable is the detect stage's copy of the lanes topic, when the rules
// have the lane model on (nil otherwise).
func (r *Builder) laneTable(rl *rules.Rules, kopts []kgo.Opt) (*lanestage.Table, error) {
	// A configuration not from config.Load (the demo's) names no lane
	// topics: the flat rules then decide alone.
	if !rl.Lanes.Enabled || r.cfg.Topics.Lanes == "" || r.cfg.Topics.LaneObservations == "" {
		return nil, nil
	}
	return lanestage.NewTable(lanestage.TableConfig{Topic: r.cfg.Topics.Lanes, Opts: append(r.limits().ClientOpts(), kopts...),
		LoadTimeout: r.cfg.Detect.LaneTableTimeout, Metrics: r.metrics, Logger: r.log.With(zap.String("stage", "detect"))})
}

// withTable is a stage that reads a lane table beside it: the table runs
// as long as the stage, and the stage is not ready while the table loads
// (for at most detect.lane_table_timeout).
type withTable struct {
	*pipeline.Stage
	table backgroundTable
}

// backgroundTable is lanestage.Table as the runner sees it.
type backgroundTable interface {
	Run(ctx context.Context) error
	Loading() string
}

func (s withTable) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = s.table.Run(ctx) }()
	err := s.Stage.Run(ctx)
	cancel()
	<-done
	return err
}

// Loading says why the stage is not ready although it has its partitions.
func (s withTable) Loading() string { return s.table.Loading() }
