package io.irisctl.oracle;

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import ml.combust.mleap.core.types.StructType;
import ml.combust.mleap.runtime.frame.ArrayRow;
import ml.combust.mleap.runtime.frame.Row;
import ml.combust.mleap.runtime.frame.RowTransformer;
import ml.combust.mleap.runtime.frame.Transformer;
import ml.combust.mleap.runtime.javadsl.RowTransformerSupport;
import scala.collection.mutable.WrappedArray;

/**
 * bench: the streaming path MLeap recommends for low latency. A RowTransformer
 * is built once from the input schema; each round then reads the whole CSV
 * file, parses every line into a row, transforms it, and writes
 * "input-line,label" to a buffered writer over a null output stream. The
 * first --warmup rounds (default 1) are not reported.
 */
final class Bench {
    private Bench() {}

    static void run(String bundlePath, String input, int rounds, int warmup) throws Exception {
        Path in = Paths.get(input);
        Schema schema = schemaFromHead(in);
        Transformer root = Bundles.load(bundlePath);
        RowTransformer rt = root.transform(new RowTransformerSupport().createRowTransformer(schema.struct)).get();
        StructType os = rt.outputSchema();
        String labelCol = os.hasField("predictedLabel") ? "predictedLabel" : "prediction";
        if (!os.hasField(labelCol)) {
            throw new IllegalStateException("the pipeline outputs neither predictedLabel nor prediction");
        }
        int labelIdx = (Integer) os.indexOf(labelCol).get();
        System.err.println("mleap-oracle bench: schema " + schema.describe() + "; label column " + labelCol
                + "; " + warmup + " warm-up round(s) + " + rounds + " rounds");

        long checksum = 0;
        for (int r = 0; r < warmup + rounds; r++) {
            long t0 = System.nanoTime();
            long[] res = round(in, schema, rt, labelIdx);
            long t1 = System.nanoTime();
            checksum += res[1];
            double secs = (t1 - t0) / 1e9;
            String line = String.format(Locale.ROOT, "{\"rows\":%d,\"seconds\":%.6f,\"rows_per_sec\":%.1f}",
                    res[0], secs, res[0] / secs);
            if (r < warmup) {
                System.err.println("mleap-oracle bench: warm-up " + line);
            } else {
                System.out.println(line);
                System.out.flush();
            }
        }
        // Keeps the sink's work observable so it cannot be optimised away.
        System.err.println("mleap-oracle bench: output bytes (all rounds) " + checksum);
    }

    /** Infers the schema from the header and the first data line. */
    private static Schema schemaFromHead(Path in) throws IOException {
        try (BufferedReader r = Csv.open(in)) {
            String line;
            int lineNo = 0;
            String[] header = null;
            while ((line = r.readLine()) != null) {
                lineNo++;
                line = Csv.stripCR(line);
                if (line.isEmpty()) {
                    continue;
                }
                if (header == null) {
                    header = Csv.split(line, -1, in, lineNo);
                    for (int i = 0; i < header.length; i++) {
                        header[i] = header[i].trim();
                    }
                    continue;
                }
                List<String[]> first = new ArrayList<>(1);
                first.add(Csv.split(line, header.length, in, lineNo));
                return Schema.infer(header, first);
            }
            throw new IOException(in + ": needs a header line and at least one data line");
        }
    }

    /** One pass over the file. Returns {rows, bytes written}. */
    private static long[] round(Path in, Schema schema, RowTransformer rt, int labelIdx) throws IOException {
        CountingNullStream sink = new CountingNullStream();
        long rows = 0;
        try (BufferedReader r = Csv.open(in);
             Writer w = new BufferedWriter(new OutputStreamWriter(sink, StandardCharsets.UTF_8), 1 << 16)) {
            String line;
            int lineNo = 0;
            boolean header = true;
            int nf = schema.names.length;
            while ((line = r.readLine()) != null) {
                lineNo++;
                line = Csv.stripCR(line);
                if (line.isEmpty()) {
                    continue;
                }
                if (header) {
                    header = false;
                    continue;
                }
                Object[] values;
                try {
                    values = schema.values(Csv.split(line, nf, in, lineNo));
                } catch (NumberFormatException e) {
                    throw new IOException(in + ":" + lineNo + ": " + e.getMessage(), e);
                }
                Row out = rt.transform(new ArrayRow(WrappedArray.make(values)));
                w.write(line);
                w.write(',');
                if (out != null) {
                    Object label = out.getRaw(labelIdx);
                    w.write(String.valueOf(label));
                }
                w.write('\n');
                rows++;
            }
        }
        return new long[] {rows, sink.count};
    }

    /** Discards bytes, counting them. */
    private static final class CountingNullStream extends OutputStream {
        long count;

        @Override
        public void write(int b) {
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            count += len;
        }
    }
}
