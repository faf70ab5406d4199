package main

import (
	"errors"

	"github.com/spf13/cobra"
	"github.com/wismo/wismo/config"
)

// ingestCmd is `wismo run --stages ingest`: the webhook gateway alone.
func ingestCmd() *cobra.Command {
	var printConfig bool
	cmd := &cobra.Command{
		Use:   "ingest",
		Short: "Receive webhooks over HTTP and write each to the raw topic of its source",
		Long: `Runs the webhook gateway (the ingest stage of wismo run) on its own.
POST /webhooks/SOURCE (or /webhooks/SOURCE/TOKEN for sources that sign
nothing) is checked the way its source signs it and written, unchanged, to the
raw topic bound to it (ingest.routes, or --route SOURCE=TOPIC[:AUTH] with the
secrets in ingest.secrets_dir). A request is answered 200 only once the broker
has acknowledged its record; 401 for a bad signature or token, 413 over
ingest.max_body_bytes, 400 for a body that is not JSON, 503 while Kafka does not
acknowledge within ingest.ack_timeout. SIGTERM drains the requests in flight.`,
		SilenceUsage: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fs := cmd.Flags()
			if fs.Changed("stages") {
				return errors.New("--stages: wismo ingest runs the ingest stage alone; use wismo run --stages ingest,... to run it with others")
			}
			if err := fs.Set("stages", "ingest"); err != nil {
				return err
			}
			return runFromFlags(cmd, printConfig)
		},
	}
	config.Flags(cmd.Flags())
	cmd.Flags().BoolVar(&printConfig, "print-config", false, "print the effective configuration (secrets masked) and exit")
	return cmd
}
