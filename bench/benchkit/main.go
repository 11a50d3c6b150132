// Command benchkit is the measuring side of bench/run.sh, the side-by-side
// benchmark of irisctl stream against the JVM reference (Kafka Streams +
// MLeap). It is not part of irisctl.
//
//	benchkit topics create|delete --brokers B [--partitions 3] [--log-append-time] TOPIC...
//	benchkit groups delete --brokers B GROUP...
//	benchkit run --brokers B --input IN --output OUT --count N --result FILE [flags] -- COMMAND...
//	benchkit report --results DIR --meta FILE --out FILE.md --chart-data FILE.dat
//
// run starts COMMAND (a stream processor reading IN and writing OUT), polls
// OUT's last stable offsets under read_committed until N records are
// committed, measures end-to-end latency with a paced probe load, reads
// the process's peak RSS and CPU time, stops it with SIGTERM and writes a
// JSON result. report turns the results into docs/benchmarks.md.
package main

import (
	"fmt"
	"os"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "topics":
		err = topicsCmd(os.Args[2:])
	case "groups":
		err = groupsCmd(os.Args[2:])
	case "run":
		err = runCmd(os.Args[2:])
	case "report":
		err = reportCmd(os.Args[2:])
	case "-h", "--help", "help":
		usage()
	default:
		fmt.Fprintf(os.Stderr, "benchkit: unknown command %q\n", os.Args[1])
		usage()
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "benchkit %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}
}

func usage() {
	fmt.Fprint(os.Stderr, `usage:
  benchkit topics create|delete --brokers B [--partitions 3] [--log-append-time] TOPIC...
  benchkit groups delete --brokers B GROUP...
  benchkit run --brokers B --input IN --output OUT --count N --result FILE [flags] -- COMMAND...
  benchkit report --results DIR --meta FILE --out FILE.md --chart-data FILE.dat
`)
	os.Exit(2)
}
