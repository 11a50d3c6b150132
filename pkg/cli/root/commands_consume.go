package root

import (
	"github.com/spf13/cobra"

	"github.com/irisctl/irisctl/pkg/cli/consume"
	"github.com/irisctl/irisctl/pkg/cli/iostreams"
)

func init() {
	subcommands = append(subcommands, func(io *iostreams.IOStreams) *cobra.Command { return consume.NewCmdConsume(io, nil) })
}
