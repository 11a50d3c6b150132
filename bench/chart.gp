# bench/chart.gp — docs/benchmarks.png from the data bench/benchkit report
# writes. Called by bench/run.sh:
#   gnuplot -e "datafile='...'; outfile='...'; records='1,000,000'; rounds='3'" bench/chart.gp
# Columns: label throughput thr_min thr_max p50_ms p99_ms visible_p99_ms color
set terminal pngcairo size 1400,640 enhanced font "DejaVu Sans,11"
set output outfile
stats datafile using 2 nooutput
n = STATS_records

set multiplot layout 1,2 title sprintf("irisctl (blue) vs Kafka Streams + MLeap (orange): %s records per run, medians of %s rounds, one Kafka broker, 2 cores", records, rounds) font ",13"
set style fill solid 0.85 border -1
set grid ytics lc rgb "#dddddd"
set xtics rotate by 30 right scale 0 font ",10"
set xrange [-0.6:n - 0.4]
set yrange [0:*]
set offsets 0, 0, graph 0.12, 0
set format y "%.0f"

set title "throughput: records/s, process start → last output committed (bars: min–max)"
set ylabel "records/s"
set boxwidth 0.6
plot datafile using 0:2:8:xtic(1) with boxes lc rgb variable notitle, \
     '' using 0:2:3:4 with yerrorbars lc rgb "black" pt -1 lw 1.5 notitle

set title "end-to-end latency under a paced probe load (ms)"
set ylabel "ms"
set key top left vertical font ",10"
set boxwidth 0.24
plot datafile using ($0 - 0.26):5:xtic(1) with boxes lc rgb "#7fb77e" title "p50 (timestamps)", \
     '' using 0:6 with boxes lc rgb "#e0a030" title "p99 (timestamps)", \
     '' using ($0 + 0.26):7 with boxes lc rgb "#c8553d" title "p99 visible under read\\_committed"
unset multiplot
