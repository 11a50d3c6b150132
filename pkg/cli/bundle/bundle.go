// Package bundle holds `irisctl bundle`: looking inside MLeap bundles.
package bundle

import (
	"github.com/spf13/cobra"

	"github.com/irisctl/irisctl/bundles"
	"github.com/irisctl/irisctl/pkg/bundle"
	"github.com/irisctl/irisctl/pkg/cli/cmdutil"
	"github.com/irisctl/irisctl/pkg/cli/iostreams"
	"github.com/irisctl/irisctl/pkg/mleap"
)

// NewCmdBundle is the `bundle` noun.
func NewCmdBundle(io *iostreams.IOStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "bundle <command>",
		Short: "Look inside MLeap bundles",
		Long: `Look inside an MLeap bundle (a directory or a .zip): its metadata, its
stages and the columns a caller must supply (inspect), or its pipeline and
trees as Graphviz pictures (graph). --builtin stands for the iris model
built into irisctl.`,
		Example: `  irisctl bundle inspect model.zip
  irisctl bundle inspect --builtin -o json
  irisctl bundle graph --builtin --tree 0 | dot -Tsvg > tree0.svg`,
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) > 0 {
				return cmdutil.FlagErrorf("unknown command %q for %q", args[0], c.CommandPath())
			}
			return c.Help()
		},
	}
	cmd.AddCommand(NewCmdInspect(io, nil))
	cmd.AddCommand(NewCmdGraph(io, nil))
	return cmd
}

// source names the bundle a command reads: PATH or --builtin.
type source struct {
	Path    string
	Builtin bool
}

func (s *source) addFlag(cmd *cobra.Command) {
	cmd.Flags().BoolVar(&s.Builtin, "builtin", false, "read the iris bundle built into irisctl instead of PATH")
	cmd.ValidArgsFunction = func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{"zip"}, cobra.ShellCompDirectiveFilterFileExt
	}
}

// take checks the arguments: exactly one of PATH and --builtin.
func (s *source) take(args []string) error {
	switch {
	case len(args) > 1:
		return cmdutil.FlagErrorf("one bundle at a time (got %d paths)", len(args))
	case len(args) == 1 && s.Builtin:
		return cmdutil.FlagErrorf("give a bundle PATH or --builtin, not both")
	case len(args) == 0 && !s.Builtin:
		return cmdutil.FlagErrorf("which bundle? give its PATH (a directory or .zip), or --builtin")
	case len(args) == 1:
		s.Path = args[0]
	}
	return nil
}

// open reads the bundle and loads its model.
func (s *source) open() (*bundle.Bundle, *mleap.Model, error) {
	var b *bundle.Bundle
	var err error
	if s.Builtin {
		b, err = bundle.OpenZipBytes(bundles.DefaultName, bundles.DefaultZip)
	} else {
		b, err = bundle.Open(s.Path)
	}
	if err != nil {
		return nil, nil, err
	}
	m, err := mleap.FromBundle(b)
	if err != nil {
		return nil, nil, err
	}
	return b, m, nil
}
