// Package root assembles the irisctl command tree and runs it. Each
// subcommand lives in its own package under pkg/cli; this package only wires
// them together and turns errors into exit codes.
package root

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/irisctl/irisctl/pkg/buildinfo"
	"github.com/irisctl/irisctl/pkg/cli/cmdutil"
	"github.com/irisctl/irisctl/pkg/cli/iostreams"
)

// subcommands are registered by the command packages (see commands.go).
var subcommands []func(*iostreams.IOStreams) *cobra.Command

// NewCmdRoot builds the whole command tree on the given streams.
func NewCmdRoot(io *iostreams.IOStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "irisctl <command> [flags]",
		Short: "Score records with an MLeap bundle, in batch or as an exactly-once Kafka stream",
		Long: `irisctl runs Spark ML pipelines saved as MLeap bundles without a JVM.

It scores CSV in batch (irisctl score), inspects bundles (irisctl bundle
inspect) and runs an exactly-once Kafka streaming classifier (irisctl stream).
Every flag can also be set by an IRISCTL_* environment variable
(--brokers → IRISCTL_BROKERS); a flag on the command line wins.`,
		Example: `  irisctl score < data.csv
  irisctl bundle inspect model.zip
  irisctl stream --brokers localhost:29092`,
		Version:       buildinfo.String(),
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(c *cobra.Command, _ []string) error {
			return cmdutil.ApplyEnv(c, nil)
		},
	}
	cmd.SetIn(io.In)
	cmd.SetOut(io.Out)
	cmd.SetErr(io.ErrOut)
	cmd.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &cmdutil.FlagError{Err: err} })
	cmd.SetVersionTemplate("irisctl {{.Version}}\n")
	for _, sub := range subcommands {
		cmd.AddCommand(sub(io))
	}
	return cmd
}

// Run executes args on io and returns the exit code.
func Run(ctx context.Context, io *iostreams.IOStreams, args []string) int {
	cmd := NewCmdRoot(io)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(ctx)
	if err != nil && !errors.Is(err, cmdutil.ErrSilent) {
		var ee *cmdutil.ExitCodeError
		if !(errors.As(err, &ee) && ee.Err == nil) {
			fmt.Fprintln(io.ErrOut, "irisctl:", err)
		}
		var fe *cmdutil.FlagError
		if errors.As(err, &fe) {
			fmt.Fprintln(io.ErrOut, "Run 'irisctl --help' for usage.")
		}
	}
	return cmdutil.ExitCode(err)
}

// Main runs irisctl on the process's streams; SIGINT/SIGTERM cancel the context.
func Main(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return Run(ctx, iostreams.System(), args)
}
