package root

import (
	"github.com/spf13/cobra"

	"github.com/irisctl/irisctl/pkg/cli/demo"
	"github.com/irisctl/irisctl/pkg/cli/iostreams"
)

func init() {
	subcommands = append(subcommands, func(io *iostreams.IOStreams) *cobra.Command { return demo.NewCmdDemo(io, nil) })
}
