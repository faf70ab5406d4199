package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/wismo/wismo/config"
	"github.com/wismo/wismo/pipeline/runner"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

func runCmd() *cobra.Command {
	var printConfig bool
	cmd := &cobra.Command{
		Use:   "run",
		Short: "Run the stream processor's stages on Kafka",
		Long: `Runs the stages (all, or those given with --stages) on a Kafka cluster.
Configuration comes from a YAML file (--config), the environment (WISMO_...,
e.g. WISMO_KAFKA_BROKERS, WISMO_RAW="raw.ups=ups:json,raw.fedex=fedex") and
flags, flags winning. SIGTERM or SIGINT drains: the batch in hand is finished
and committed, then the instance leaves its groups and exits; a stage that
has not stopped within pipeline.shutdown_grace ends the process with status 1.`,
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runFromFlags(cmd, printConfig)
		},
	}
	config.Flags(cmd.Flags())
	cmd.Flags().BoolVar(&printConfig, "print-config", false, "print the effective configuration (secrets masked) and exit")
	return cmd
}

// runFromFlags loads the configuration of cmd's flags and the
// environment and runs its stages until SIGTERM or SIGINT (or prints it).
func runFromFlags(cmd *cobra.Command, printConfig bool) error {
	cfg, log, err := loadConfig(cmd, printConfig)
	if err != nil || cfg == nil {
		return err
	}
	defer func() { _ = log.Sync() }()
	ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	return run(ctx, cfg, log)
}

// loadConfig loads the configuration of `wismo run`, `wismo ingest` and `wismo serve`;
// with printConfig it prints it and returns no configuration. The logger
// has logged the configuration's warnings.
func loadConfig(cmd *cobra.Command, printConfig bool) (*config.Config, *zap.Logger, error) {
	cfg, err := config.Load(cmd.Flags(), os.Environ())
	if err != nil {
		return nil, nil, err
	}
	if printConfig {
		out, err := cfg.Print()
		if err == nil {
			_, err = cmd.OutOrStdout().Write(out)
		}
		return nil, nil, err
	}
	log, err := newLogger(cfg.Log)
	if err != nil {
		return nil, nil, err
	}
	for _, w := range cfg.Warnings() {
		log.Warn("weak or unknown setting", zap.String("setting", w))
	}
	return cfg, log, nil
}

func run(ctx context.Context, cfg *config.Config, log *zap.Logger) error {
	r, err := runner.New(ctx, cfg, log)
	if err != nil {
		return err
	}
	addr, err := r.Serve()
	if err != nil {
		return err
	}
	log.Info("wismo running", zap.Strings("stages", cfg.Stages), zap.String("instance", cfg.InstanceID),
		zap.Strings("brokers", cfg.Kafka.Brokers), zap.String("http", addr))
	if err := r.Run(ctx); err != nil {
		return err
	}
	log.Info("wismo stopped cleanly")
	return nil
}

func newLogger(c config.Log) (*zap.Logger, error) {
	var zc zap.Config
	if c.Format == "console" {
		zc = zap.NewDevelopmentConfig()
	} else {
		zc = zap.NewProductionConfig()
		zc.EncoderConfig.TimeKey = "time"
		zc.EncoderConfig.EncodeTime = zapcore.ISO8601TimeEncoder
	}
	lvl, err := zapcore.ParseLevel(c.Level)
	if err != nil {
		return nil, fmt.Errorf("log.level: %w", err)
	}
	zc.Level = zap.NewAtomicLevelAt(lvl)
	return zc.Build()
}
