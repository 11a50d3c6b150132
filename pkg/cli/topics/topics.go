// Package topics holds `irisctl topics`: the Kafka topics the iris
// classifier reads and writes.
package topics

import (
	"github.com/spf13/cobra"

	"github.com/irisctl/irisctl/pkg/cli/cmdutil"
	"github.com/irisctl/irisctl/pkg/cli/iostreams"
)

// The topics of the iris classifier stream.
const (
	InputTopic  = "iris-classifier-input"  // measurements, e.g. 5.1,3.5,1.4,0.2
	OutputTopic = "iris-classifier-output" // measurements and class, e.g. 5.1,3.5,1.4,0.2,Iris-setosa
	DLQTopic    = "iris-classifier-dlq"    // records the stream could not score
)

// Default lists the topics `irisctl topics create` makes when none are named.
var Default = []string{InputTopic, OutputTopic, DLQTopic}

// NewCmdTopics is the `topics` noun.
func NewCmdTopics(io *iostreams.IOStreams) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "topics <command>",
		Short: "Manage the Kafka topics of the iris classifier",
		Long: `Manage the Kafka topics the iris classifier stream reads and writes:
` + InputTopic + ` (input), ` + OutputTopic + ` (output) and ` + DLQTopic + ` (dead letters).`,
		Example: `  irisctl topics create --brokers 127.0.0.1:29092`,
		Args:    cmdutil.NoArgs,
	}
	cmd.AddCommand(NewCmdCreate(io, nil))
	return cmd
}
