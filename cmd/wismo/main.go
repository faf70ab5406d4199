// Command wismo is the WISMO stream processor: it normalizes carrier scans
// into canonical shipment events and decides what customers should be told.
//
// See README.md for the tour; `wismo help` lists the subcommands.
package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"
)

// errRejected makes the process exit with status 1 after the command has
// already reported what it rejected.
var errRejected = errors.New("some input was rejected")

func main() {
	root := &cobra.Command{
		Use:           "wismo",
		Short:         "Turn raw carrier scans into canonical shipment events and customer notifications",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(normalizeCmd(), demoCmd(), runCmd(), ingestCmd(), replayCmd(), backtestCmd(), genCmd(), migrateCmd(), serveCmd(), evaluateCmd())
	if err := root.Execute(); err != nil {
		if !errors.Is(err, errRejected) {
			fmt.Fprintln(os.Stderr, "wismo:", clipError(err.Error()))
		}
		os.Exit(1)
	}
}
