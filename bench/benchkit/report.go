package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/irisctl/irisctl/pkg/stream"
)

// contender describes one line of the stream tables, in table order.
type contender struct {
	key, label, stack, guarantee string
}

var contenders = []contender{
	{"irisctl-eos", "irisctl stream, exactly-once", "irisctl", "exactly-once"},
	{"jvm-eos", "Kafka Streams + MLeap, exactly_once_v2", "jvm", "exactly-once"},
	{"irisctl-alo", "irisctl stream, at-least-once", "irisctl", "at-least-once"},
	{"jvm-alo", "Kafka Streams + MLeap, at_least_once", "jvm", "at-least-once"},
	{"irisctl-pass", "irisctl stream --pass-through (no model), exactly-once", "irisctl", "exactly-once"},
	{"jvm-pass", "Kafka Streams, no model, exactly_once_v2", "jvm", "exactly-once"},
	{"jvm-frame", "Kafka Streams + MLeap, seed's LeapFrame per record, exactly_once_v2", "jvm", "exactly-once"},
}

// summary is the medians of one contender's successful rounds.
type summary struct {
	c                                   contender
	runs, failed                        int
	thr, thrMin, thrMax, steady, first  float64
	p50, p99, vis50, vis99, rssMiB, cpu float64
	extra                               int64
	probeN, probeLost                   int
}

func reportCmd(args []string) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	dir := fs.String("results", "", "directory of run results (*.json)")
	metaFile := fs.String("meta", "", "key=value file describing the run and the machine")
	out := fs.String("out", "docs/benchmarks.md", "markdown file to write")
	chartData := fs.String("chart-data", "", "write gnuplot data here")
	chartRel := fs.String("chart", "benchmarks.png", "the chart's path as linked from --out")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" || *metaFile == "" {
		return errors.New("--results and --meta are required")
	}
	meta, err := readMeta(*metaFile)
	if err != nil {
		return err
	}
	results, err := readResults(*dir)
	if err != nil {
		return err
	}
	if len(results) == 0 {
		return fmt.Errorf("no results in %s", *dir)
	}
	sums := map[string]*summary{}
	for _, c := range contenders {
		sums[c.key] = summarize(c, results)
	}
	md := render(meta, results, sums, *chartRel)
	if err := os.WriteFile(*out, []byte(md), 0o644); err != nil {
		return err
	}
	if *chartData != "" {
		var b strings.Builder
		b.WriteString("# label throughput thr_min thr_max p50_ms p99_ms visible_p99_ms color\n")
		for _, c := range contenders {
			s := sums[c.key]
			if s.runs == 0 {
				continue
			}
			color := 0x3b7dd8 // irisctl
			if c.stack == "jvm" {
				color = 0xe08a30
			}
			fmt.Fprintf(&b, "%q %.0f %.0f %.0f %.2f %.2f %.2f %d\n", chartLabel(c), s.thr, s.thrMin, s.thrMax, s.p50, s.p99, s.vis99, color)
		}
		if err := os.WriteFile(*chartData, []byte(b.String()), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func chartLabel(c contender) string {
	switch c.key {
	case "irisctl-eos":
		return "irisctl EOS"
	case "jvm-eos":
		return "JVM EOS"
	case "irisctl-alo":
		return "irisctl ALO"
	case "jvm-alo":
		return "JVM ALO"
	case "irisctl-pass":
		return "irisctl no-model EOS"
	case "jvm-pass":
		return "JVM no-model EOS"
	case "jvm-frame":
		return "JVM LeapFrame EOS"
	}
	return c.key
}

func readMeta(path string) (map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	m := map[string]string{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if ok {
			m[strings.TrimSpace(k)] = strings.TrimSpace(v)
		}
	}
	return m, sc.Err()
}

func readResults(dir string) ([]Result, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, err
	}
	var rs []Result
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var r Result
		if err := json.Unmarshal(b, &r); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		rs = append(rs, r)
	}
	sort.Slice(rs, func(i, j int) bool {
		if rs[i].Round != rs[j].Round {
			return rs[i].Round < rs[j].Round
		}
		return order(rs[i].Name) < order(rs[j].Name)
	})
	return rs, nil
}

func order(name string) int {
	for i, c := range contenders {
		if c.key == name {
			return i
		}
	}
	return len(contenders)
}

func summarize(c contender, rs []Result) *summary {
	s := &summary{c: c}
	var thr, steady, first, p50, p99, v50, v99, rss, cpu []float64
	for _, r := range rs {
		if r.Name != c.key {
			continue
		}
		if r.Error != "" {
			s.failed++
			continue
		}
		s.runs++
		thr = append(thr, r.Throughput)
		steady = append(steady, r.SteadyThroughput)
		first = append(first, r.StartToFirstS)
		p50 = append(p50, r.Append.P50Ms)
		p99 = append(p99, r.Append.P99Ms)
		v50 = append(v50, r.Visible.P50Ms)
		v99 = append(v99, r.Visible.P99Ms)
		rss = append(rss, float64(r.PeakRSSKiB)/1024)
		cpu = append(cpu, r.CPUAtCompleteS/float64(r.Records)*1e6)
		s.extra += r.Extra
		s.probeN += r.Append.N
		s.probeLost += r.Append.Lost
	}
	if s.runs == 0 {
		return s
	}
	s.thr, s.steady, s.first = median(thr), median(steady), median(first)
	s.thrMin, s.thrMax = minmax(thr)
	s.p50, s.p99, s.vis50, s.vis99 = median(p50), median(p99), median(v50), median(v99)
	s.rssMiB, s.cpu = median(rss), median(cpu)
	return s
}

func median(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	w := append([]float64(nil), v...)
	sort.Float64s(w)
	if len(w)%2 == 1 {
		return w[len(w)/2]
	}
	return (w[len(w)/2-1] + w[len(w)/2]) / 2
}

func minmax(v []float64) (float64, float64) {
	lo, hi := v[0], v[0]
	for _, x := range v {
		if x < lo {
			lo = x
		}
		if x > hi {
			hi = x
		}
	}
	return lo, hi
}

// thousands formats 123456.7 as "123,457".
func thousands(x float64) string {
	s := strconv.FormatInt(int64(x+0.5), 10)
	var b strings.Builder
	for i, ch := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(ch)
	}
	return b.String()
}

func ratio(a, b float64) string {
	if a == 0 || b == 0 {
		return "–"
	}
	return fmt.Sprintf("%.2f×", a/b)
}

func render(meta map[string]string, rs []Result, sums map[string]*summary, chart string) string {
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	get := func(k string) string {
		if v, ok := meta[k]; ok && v != "" {
			return v
		}
		return "?"
	}

	w("# Benchmarks: irisctl against the seed's JVM stack\n\n")
	w("Written by `%s` (`bench/run.sh`) on %s; this file and the chart `%s` beside it are its output, not edited by hand.\n", get("command"), get("date"), chart)
	w("The whole command took %s (streams, batch, report), on one real Apache Kafka broker from `scripts/kafka.sh`.\n\n", get("duration"))

	w("![throughput and latency per contender](%s)\n\n", chart)

	w("## What is compared\n\n")
	w("The same job as the article's `IrisStreamClassifier`: read `5.1,3.5,1.4,0.2` from an input topic, score it with the\n")
	w("random forest in `bundles/iris-rf` (Spark 2.4 / MLeap bundle), write `5.1,3.5,1.4,0.2,Iris-setosa` to an output topic, key kept.\n\n")
	w("| contender | what runs |\n|---|---|\n")
	w("| irisctl stream, exactly-once | `irisctl stream --guarantee exactly-once` (one transactional producer per input partition, commit every 100 ms or %s records per partition) |\n", thousands(float64(stream.DefaultCommitRecords)))
	w("| irisctl stream, at-least-once | `irisctl stream --guarantee at-least-once` (idempotent producer, offsets committed after the outputs are acknowledged) |\n")
	w("| irisctl stream --pass-through | exactly-once, values copied unchanged: no parsing, no model; the cost of the Kafka loop alone |\n")
	w("| Kafka Streams, no model | the JVM app with `--mleap none` (`mapValues(v -> v)`), exactly_once_v2: Kafka Streams' own cost |\n")
	w("| Kafka Streams + MLeap, seed's LeapFrame | the JVM app with `--mleap frame`: a one-row `DefaultLeapFrame` per record, transformed, then `select(\"predictedLabel\")`, as the seed's `IrisModel.score`; exactly_once_v2 |\n")
	w("| Kafka Streams + MLeap, exactly_once_v2 / at_least_once | `bench/jvm-streams` (Java): Kafka Streams %s, `mapValues(v -> v + \",\" + label)`, MLeap runtime %s (Scala 2.12) with a `RowTransformer` built once from the bundle (MLeap's fast path for one record at a time; the seed built a one-row `DefaultLeapFrame` per record, available as `--mleap frame`); `processing.guarantee` by flag, `commit.interval.ms=100`, 1 stream thread (the seed's default), JVM defaults (%s) |\n\n",
		get("kafka_streams"), get("mleap"), get("jvm_opts"))

	w("Each run: a fresh input topic (%s partitions) holding %s records (`irisctl produce --loop --count %s`, produced before the contender starts),\n", get("partitions"), thousands(atof(get("records"))), get("records"))
	w("a fresh output topic (%s partitions, `message.timestamp.type=LogAppendTime`), a fresh consumer group; the contender starts at the beginning of the input.\n", get("partitions"))
	w("%s rounds; each round runs every contender once, one at a time, in a rotated order. Numbers are medians over the rounds.\n", get("rounds"))
	if rep := atof(meta["repeated"]); rep > 0 {
		w("%.0f run(s) were discarded and repeated because the shared broker was restarted (by another engineer's test) while they ran.\n", rep)
	}
	w("\n")
	w("- **Throughput**: records ÷ seconds from the process start (JVM start-up, bundle loading and group join included) until the last output record is committed,\n")
	w("  i.e. readable under `read_committed`. `bench/benchkit` polls the output's last stable offsets every 20 ms and, once they could hold all records,\n")
	w("  counts the records under read_committed (transaction markers take offsets, so offsets alone would overcount) and takes the first poll at which every\n")
	w("  partition's last stable offset was past its last record. *Steady* is records ÷ (last committed output − first committed output), without start-up.\n")
	w("- **Latency**: once the backlog is done, %s probe records/s for %s s are produced to the input (timestamp = send time) and read back from the output.\n", get("lat_rate"), get("lat_seconds"))
	w("  *Timestamps*: output record timestamp (LogAppendTime: both contenders copy the input timestamp into the output record, as Kafka Streams does, so the\n")
	w("  output topic lets the broker stamp the append time) − input timestamp. *Visible*: when a read_committed consumer received the output − input timestamp,\n")
	w("  i.e. what a downstream reader waits, commit included. Backlog records are not used for latency: they waited in the input by design.\n")
	w("- **Peak RSS**: `VmHWM` of the process from `/proc` before it is stopped. **CPU**: user+system CPU seconds of the process until the last output was\n")
	w("  committed, per million records. The broker (a separate JVM, %s heap) and the measuring tool share the same 2 cores and are not counted.\n\n", get("broker_heap"))

	w("## Streaming results (medians)\n\n")
	w("| contender | runs | throughput rec/s (min–max) | steady rec/s | first output s | latency p50 / p99 ms (timestamps) | visible p50 / p99 ms | peak RSS MiB | CPU s / 1M rec |\n")
	w("|---|---|---|---|---|---|---|---|---|\n")
	for _, c := range contenders {
		s := sums[c.key]
		if s.runs == 0 {
			if s.failed > 0 {
				w("| %s | 0 of %d | failed | | | | | | |\n", c.label, s.failed)
			}
			continue
		}
		runs := strconv.Itoa(s.runs)
		if s.failed > 0 {
			runs = fmt.Sprintf("%d (+%d failed)", s.runs, s.failed)
		}
		w("| %s | %s | **%s** (%s–%s) | %s | %.2f | %.1f / %.1f | %.1f / %.1f | %.0f | %.1f |\n",
			c.label, runs, thousands(s.thr), thousands(s.thrMin), thousands(s.thrMax), thousands(s.steady), s.first,
			s.p50, s.p99, s.vis50, s.vis99, s.rssMiB, s.cpu)
	}
	w("\n")

	ie, je, ia, ja, ip, jp, jf := sums["irisctl-eos"], sums["jvm-eos"], sums["irisctl-alo"], sums["jvm-alo"], sums["irisctl-pass"], sums["jvm-pass"], sums["jvm-frame"]
	w("## Ratios (of the medians)\n\n")
	w("| comparison | throughput | steady throughput | first output | p99 latency (timestamps) | p99 visible | peak RSS | CPU / record |\n|---|---|---|---|---|---|---|---|\n")
	row := func(name string, a, bb *summary) {
		if a.runs == 0 || bb.runs == 0 {
			return
		}
		w("| %s | %s | %s | %s | %s | %s | %s | %s |\n", name, ratio(a.thr, bb.thr), ratio(a.steady, bb.steady), ratio(a.first, bb.first),
			ratio(a.p99, bb.p99), ratio(a.vis99, bb.vis99), ratio(a.rssMiB, bb.rssMiB), ratio(a.cpu, bb.cpu))
	}
	row("irisctl ÷ JVM, exactly-once", ie, je)
	row("irisctl ÷ JVM, at-least-once", ia, ja)
	row("irisctl exactly-once ÷ at-least-once", ie, ia)
	row("JVM exactly_once_v2 ÷ at_least_once", je, ja)
	row("irisctl no model ÷ JVM no model, exactly-once", ip, jp)
	row("irisctl with model ÷ without (both exactly-once)", ie, ip)
	row("JVM with model ÷ without (both exactly_once_v2)", je, jp)
	row("irisctl ÷ JVM with the seed's LeapFrame path, exactly-once", ie, jf)
	row("JVM RowTransformer ÷ LeapFrame path (both exactly_once_v2)", je, jf)
	w("\nThroughput above 1× favours the first; first output, latency, RSS and CPU below 1× favour the first.\n\n")

	w("## Notes on the setup\n\n")
	w("- The JVM app keeps Kafka Streams' defaults apart from the guarantee and `commit.interval.ms=100`: one stream thread, `max.poll.records=1000`\n")
	w("  and producer `linger.ms=100` (Kafka Streams' own default, not the producer's), which accounts for much of its latency even at-least-once.\n")
	w("  The seed ran at Kafka Streams' defaults too (at_least_once, a 30 s commit interval) and replaced every key with \"\"; here keys are kept\n")
	w("  and both stacks commit every 100 ms, so that exactly-once costs the same number of transactions per second on both sides.\n")
	w("- irisctl exactly-once runs one transactional producer per input partition (three transactions per commit interval here); Kafka Streams\n")
	w("  exactly_once_v2 one per stream thread (one). irisctl also commits after %s records per partition (`--commit-records`).\n", thousands(float64(stream.DefaultCommitRecords)))
	w("- irisctl's scored outputs carry two headers naming the model (`irisctl.model.name`, `irisctl.model.uid`); the pass-through and JVM outputs have none.\n")
	w("- Throughput counts from the process start, so the JVM's start-up (class loading, MLeap's bundle loading, JIT warm-up) is in it;\n")
	w("  *steady* and *first output* separate the two. The JVM figures are for a JVM that has just started, as a restarted stream would be.\n")
	w("- The latency probe runs right after the backlog, in the same process, so the JVM is warm by then.\n\n")

	if bf := meta["batch_file"]; bf != "" {
		renderBatch(&b, bf, meta)
	}

	w("## Machine and versions\n\n")
	w("| | |\n|---|---|\n")
	w("| CPU | %s, %s logical CPUs (`nproc`) |\n", get("cpu_model"), get("nproc"))
	w("| memory | %s |\n", get("mem_total"))
	w("| OS | %s, kernel %s |\n", get("os"), get("kernel"))
	w("| Go | %s |\n", get("go"))
	w("| Java | %s |\n", get("java"))
	w("| Kafka broker | Apache Kafka %s (`scripts/kafka.sh`, KRaft, one node, heap %s), 127.0.0.1 |\n", get("kafka_broker"), get("broker_heap"))
	w("| Kafka Streams / MLeap | %s / mleap-runtime_2.12 %s, Scala %s |\n", get("kafka_streams"), get("mleap"), get("scala"))
	w("| irisctl | commit %s |\n", get("irisctl_commit"))
	w("| load average (1 min) | before %s; during the run min %s, median %s, max %s (sampled every 5 s); after %s |\n\n",
		get("load_before"), get("load_min"), get("load_median"), get("load_max"), get("load_after"))
	w("This is a shared 2-core machine: other work (other engineers' builds and tests, on the same broker too) ran during the benchmark, which is what the\n")
	w("load average records. The rounds alternate the contenders so that such load falls on all of them; the min–max spread shows how much it moved the numbers.\n\n")

	w("## Every run\n\n")
	w("| round | contender | s to first output | s to last committed | rec/s | p50 / p99 ms | visible p50 / p99 ms | probes lost | wrong | duplicates | peak RSS MiB | CPU s | load1 start→end |\n")
	w("|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, r := range rs {
		if r.Error != "" {
			w("| %d | %s | failed: %s | | | | | | | | | | %.2f→%.2f |\n", r.Round, r.Name, strings.ReplaceAll(r.Error, "|", "/"), r.Load1Start, r.Load1End)
			continue
		}
		w("| %d | %s | %.2f | %.2f | %s | %.1f / %.1f | %.1f / %.1f | %d | %d | %d | %.0f | %.1f | %.2f→%.2f |\n",
			r.Round, r.Name, r.StartToFirstS, r.StartToCompleteS, thousands(r.Throughput), r.Append.P50Ms, r.Append.P99Ms,
			r.Visible.P50Ms, r.Visible.P99Ms, r.Append.Lost, r.Wrong, r.Extra, float64(r.PeakRSSKiB)/1024, r.CPUTotalS, r.Load1Start, r.Load1End)
	}
	w("\nReproduce: `make bench` (or `bench/run.sh`); `BENCH_RECORDS`, `BENCH_ROUNDS`, `BENCH_PARTITIONS`, `BENCH_LAT_RATE`, `BENCH_LAT_SECONDS` and\n")
	w("`BENCH_BATCH_ROWS` change the sizes (see the header of `bench/run.sh`).\n")
	return b.String()
}

func atof(s string) float64 {
	v, _ := strconv.ParseFloat(s, 64)
	return v
}

// renderBatch writes the batch section from scripts/bench-score.sh's output.
func renderBatch(b *strings.Builder, file string, meta map[string]string) {
	w := func(format string, a ...any) { fmt.Fprintf(b, format, a...) }
	raw, err := os.ReadFile(file)
	w("## Batch scoring (medians)\n\n")
	if err != nil || len(strings.TrimSpace(string(raw))) == 0 {
		w("Not run (%s).\n\n", meta["batch_note"])
		return
	}
	var med []string
	for _, line := range strings.Split(string(raw), "\n") {
		f := strings.Fields(line)
		if len(f) >= 4 && f[0] == "median" {
			med = f[1:]
		}
	}
	w("`scripts/bench-score.sh --rows %s --rounds %s`: a %s-row iris CSV (class column included) scored to `/dev/null`.\n",
		meta["batch_rows"], meta["batch_rounds"], thousands(atof(meta["batch_rows"])))
	w("irisctl is timed from process start to exit (bundle loading included); the MLeap figure is `scripts/mleap-oracle.sh bench`'s\n")
	w("own rows/s for one pass after warm-up passes in the same JVM (`RowTransformer` built once; JVM start-up, loading and warm-up not counted).\n\n")
	if len(med) >= 3 {
		p1, p2, j := atof(strings.ReplaceAll(med[0], ",", "")), atof(strings.ReplaceAll(med[1], ",", "")), atof(strings.ReplaceAll(med[2], ",", ""))
		w("| scorer | rows/s | ÷ MLeap JVM |\n|---|---|---|\n")
		w("| `irisctl score --parallel 1` | %s | %s |\n", thousands(p1), ratio(p1, j))
		w("| `irisctl score --parallel 2` (default) | %s | %s |\n", thousands(p2), ratio(p2, j))
		w("| MLeap %s JVM (`RowTransformer`, one thread) | %s | 1.00× |\n\n", meta["mleap"], thousands(j))
	}
	w("Its output:\n\n```\n%s\n```\n\n", strings.TrimRight(string(raw), "\n"))
}
