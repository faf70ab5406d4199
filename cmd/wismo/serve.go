package main

import (
	"bufio"
	"fmt"
	"os/signal"
	"strings"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/wismo/wismo/config"
	"github.com/wismo/wismo/pipeline"
	"github.com/wismo/wismo/pipeline/runner"
	"github.com/wismo/wismo/serve"
	"go.uber.org/zap"
)

func serveCmd() *cobra.Command {
	var printConfig bool
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Serve the tracking page (/t/{token}) and the lookup API (/v1/shipments/{id}) from ClickHouse",
		Long: `Serves the retailer's tracking page for the signed links the detect stage puts
in its commands (links.base_url + /t/TOKEN), and the lookup API for support
bots and back-office callers (GET /v1/shipments/{shipment_id}, with an API key
of serve.api_keys as "Authorization: Bearer KEY"), from the sink's ClickHouse
tables. Needs links.keys (WISMO_LINKS_KEYS or links.keys_file) and the
clickhouse.* settings; listens on serve.addr (127.0.0.1:8080). Kafka is not
needed. "wismo serve hash-key" prints the hash of an API key read on stdin.`,
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !cmd.Flags().Changed("stages") {
				_ = cmd.Flags().Set("stages", "serve")
			}
			cfg, log, err := loadConfig(cmd, printConfig)
			if err != nil || cfg == nil {
				return err
			}
			defer func() { _ = log.Sync() }()
			ctx, stop := signal.NotifyContext(cmd.Context(), syscall.SIGINT, syscall.SIGTERM)
			defer stop()
			b, err := runner.NewBuilder(ctx, cfg, log, pipeline.NewMetrics())
			if err != nil {
				return err
			}
			st, err := b.Serve(ctx)
			if err != nil {
				return err
			}
			log.Info("wismo serve listening", zap.String("addr", cfg.Serve.Addr))
			return st.Run(ctx)
		},
	}
	config.Flags(cmd.Flags())
	cmd.Flags().BoolVar(&printConfig, "print-config", false, "print the effective configuration (secrets masked) and exit")
	cmd.AddCommand(&cobra.Command{
		Use:   "hash-key NAME",
		Short: "Read an API key on stdin and print its serve.api_keys entry (NAME:SHA256)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			line, err := bufio.NewReader(cmd.InOrStdin()).ReadString('\n')
			key := strings.TrimRight(line, "\r\n")
			if key == "" {
				return fmt.Errorf("hash-key: no key on stdin (the key is read from stdin so that it never shows in ps or the shell's history): %v", err)
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s:%s\n", args[0], serve.HashKey(key))
			return nil
		},
	})
	return cmd
}
