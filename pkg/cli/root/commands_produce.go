package root

import (
	"github.com/spf13/cobra"

	"github.com/irisctl/irisctl/pkg/cli/iostreams"
	"github.com/irisctl/irisctl/pkg/cli/produce"
)

func init() {
	subcommands = append(subcommands, func(io *iostreams.IOStreams) *cobra.Command { return produce.NewCmdProduce(io, nil) })
}
