package root

import (
	"github.com/spf13/cobra"

	"github.com/irisctl/irisctl/pkg/cli/iostreams"
	"github.com/irisctl/irisctl/pkg/cli/score"
)

func init() {
	subcommands = append(subcommands, func(io *iostreams.IOStreams) *cobra.Command { return score.NewCmdScore(io, nil) })
}
