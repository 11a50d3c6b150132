package io.irisctl.oracle;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

import ml.combust.mleap.core.types.StructType;
import ml.combust.mleap.runtime.frame.DefaultLeapFrame;
import ml.combust.mleap.runtime.frame.Row;
import ml.combust.mleap.runtime.frame.Transformer;
import ml.combust.mleap.runtime.javadsl.LeapFrameBuilder;
import ml.combust.mleap.runtime.javadsl.LeapFrameSupport;
import ml.combust.mleap.tensor.Tensor;

/**
 * score: the whole CSV as one DefaultLeapFrame, transformed by the bundle's
 * root transformer; one JSON line per input row, in input order.
 */
final class Score {
    private Score() {}

    /** Output columns, in this order, each written only if the frame has it. */
    static final String[] COLUMNS = {"indexedLabel", "rawPrediction", "probability", "prediction", "predictedLabel"};

    static void run(String bundlePath, String input, String output) throws Exception {
        Path in = Paths.get(input);
        Csv.Table table = Csv.read(in);
        Schema schema = Schema.infer(table.header, table.rows);
        System.err.println("mleap-oracle score: " + table.rows.size() + " rows; schema " + schema.describe());

        Transformer root = Bundles.load(bundlePath);

        LeapFrameBuilder b = new LeapFrameBuilder();
        List<Row> rows = new ArrayList<>(table.rows.size());
        for (int i = 0; i < table.rows.size(); i++) {
            try {
                rows.add(b.createRowFromIterable(java.util.Arrays.asList(schema.values(table.rows.get(i)))));
            } catch (NumberFormatException e) {
                throw new IOException(in + ":" + table.lines.get(i) + ": " + e.getMessage(), e);
            }
        }
        DefaultLeapFrame frame = b.createFrame(schema.struct, rows);
        DefaultLeapFrame out = root.transform(frame).get();

        StructType os = out.schema();
        List<Row> result = new LeapFrameSupport().collect(out);
        if (result.size() != rows.size()) {
            throw new IllegalStateException("the pipeline returned " + result.size() + " rows for " + rows.size()
                    + " input rows (rows were dropped); cannot number them");
        }
        int[] idx = new int[COLUMNS.length];
        for (int c = 0; c < COLUMNS.length; c++) {
            idx[c] = os.hasField(COLUMNS[c]) ? (Integer) os.indexOf(COLUMNS[c]).get() : -1;
        }

        Path outPath = Paths.get(output);
        Path tmp = outPath.resolveSibling(outPath.getFileName() + ".tmp");
        try (BufferedWriter w = new BufferedWriter(new OutputStreamWriter(Files.newOutputStream(tmp), StandardCharsets.UTF_8))) {
            StringBuilder sb = new StringBuilder(256);
            for (int r = 0; r < result.size(); r++) {
                Row row = result.get(r);
                sb.setLength(0);
                sb.append("{\"row\":").append(r);
                for (int c = 0; c < COLUMNS.length; c++) {
                    if (idx[c] < 0) {
                        continue;
                    }
                    sb.append(",\"").append(COLUMNS[c]).append("\":");
                    value(sb, row.getRaw(idx[c]));
                }
                sb.append("}\n");
                w.write(sb.toString());
            }
        }
        Files.move(tmp, outPath, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        System.err.println("mleap-oracle score: wrote " + result.size() + " lines to " + output);
    }

    /** Writes a column value: double, string, tensor (as a dense array), or null. */
    static void value(StringBuilder sb, Object v) {
        if (v == null) {
            sb.append("null");
        } else if (v instanceof Double) {
            Json.number(sb, (Double) v);
        } else if (v instanceof Number) {
            Json.number(sb, ((Number) v).doubleValue());
        } else if (v instanceof String) {
            Json.string(sb, (String) v);
        } else if (v instanceof Tensor) {
            Object arr = ((Tensor<?>) v).toDense().rawValues();
            if (!(arr instanceof double[])) {
                throw new IllegalStateException("tensor of " + arr.getClass().getSimpleName() + ", expected double[]");
            }
            double[] d = (double[]) arr;
            sb.append('[');
            for (int i = 0; i < d.length; i++) {
                if (i > 0) {
                    sb.append(',');
                }
                Json.number(sb, d[i]);
            }
            sb.append(']');
        } else {
            throw new IllegalStateException("unsupported column value type " + v.getClass().getName());
        }
    }
}
