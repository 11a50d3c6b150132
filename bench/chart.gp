# bench/chart.gp — docs/benchmarks.png from the data bench/benchkit report
# writes. Called by bench/run.sh:
#   gnuplot -e "datafile='...'; outfile='...'; records='N'; rounds='R'" bench/chart.gp
# Columns: label throughput thr_min thr_max p50_ms p99_ms visible_p99_ms
set terminal pngcairo size 1400,620 enhanced font "DejaVu Sans,11"
set output outfile
set multiplot layout 1,2 title sprintf("irisctl vs Kafka Streams + MLeap — %s records, median of %s rounds, one Kafka broker, 2 cores", records, rounds) font ",13"

set style data histogram
set style fill solid 0.85 border -1
set boxwidth 0.8
set grid ytics lc rgb "#dddddd"
set xtics rotate by -25 scale 0 font ",10"
set key top right
set yrange [0:*]
set format y "%.0f"

set title "throughput (records/s, start → last committed output; bars: min–max)"
set ylabel "records/s"
set style histogram errorbars gap 2 lw 1.5
plot datafile using 2:3:4:xtic(1) title "" lc rgb "#3b7dd8"

set title "end-to-end latency under a paced probe load (ms)"
set ylabel "ms"
set format y "%.0f"
set style histogram clustered gap 1.5
plot datafile using 5:xtic(1) title "p50 (timestamps)" lc rgb "#7fb77e", \
     '' using 6 title "p99 (timestamps)" lc rgb "#e0a030", \
     '' using 7 title "p99 visible (read\\_committed)" lc rgb "#c8553d"
unset multiplot
