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
import ml.combust.mleap.tensor.SparseTensor;
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
        run(bundlePath, input, output, null);
    }

    /**
     * With columns == null, writes the five COLUMNS that the frame has, tensors
     * as dense arrays (the original format). With a list of columns, writes
     * exactly those (each must be in the output frame), in that order, and a
     * tensor as a dense array if it is a DenseTensor or as
     * {"size":n,"indices":[...],"values":[...]} if it is a SparseTensor, so the
     * representation MLeap chose is recorded.
     */
    static void run(String bundlePath, String input, String output, String[] columns) throws Exception {
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
        String[] cols = columns != null ? columns : COLUMNS;
        boolean keepSparse = columns != null;
        int[] idx = new int[cols.length];
        for (int c = 0; c < cols.length; c++) {
            idx[c] = os.hasField(cols[c]) ? (Integer) os.indexOf(cols[c]).get() : -1;
            if (idx[c] < 0 && columns != null) {
                throw new IllegalStateException("the output frame has no column " + cols[c]);
            }
        }

        Path outPath = Paths.get(output);
        Path tmp = outPath.resolveSibling(outPath.getFileName() + ".tmp");
        try (BufferedWriter w = new BufferedWriter(new OutputStreamWriter(Files.newOutputStream(tmp), StandardCharsets.UTF_8))) {
            StringBuilder sb = new StringBuilder(256);
            for (int r = 0; r < result.size(); r++) {
                Row row = result.get(r);
                sb.setLength(0);
                sb.append("{\"row\":").append(r);
                for (int c = 0; c < cols.length; c++) {
                    if (idx[c] < 0) {
                        continue;
                    }
                    sb.append(",\"").append(cols[c]).append("\":");
                    value(sb, row.getRaw(idx[c]), keepSparse);
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
        value(sb, v, false);
    }

    /** Like value, but a sparse tensor is written as an object when keepSparse. */
    static void value(StringBuilder sb, Object v, boolean keepSparse) {
        if (keepSparse && v instanceof SparseTensor) {
            sparse(sb, (SparseTensor<?>) v);
            return;
        }
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

    /** {"size":n,"indices":[...],"values":[...]} for a one-dimensional sparse tensor. */
    static void sparse(StringBuilder sb, SparseTensor<?> t) {
        scala.collection.Seq<Object> dims = t.dimensions();
        if (dims.length() != 1) {
            throw new IllegalStateException("sparse tensor of " + dims.length() + " dimensions, expected 1");
        }
        Object arr = t.rawValues();
        if (!(arr instanceof double[])) {
            throw new IllegalStateException("tensor of " + arr.getClass().getSimpleName() + ", expected double[]");
        }
        double[] d = (double[]) arr;
        scala.collection.Seq<scala.collection.Seq<Object>> ix = t.indices();
        if (ix.length() != d.length) {
            throw new IllegalStateException("sparse tensor with " + ix.length() + " indices for " + d.length + " values");
        }
        sb.append("{\"size\":").append(dims.apply(0)).append(",\"indices\":[");
        for (int i = 0; i < d.length; i++) {
            if (i > 0) {
                sb.append(',');
            }
            sb.append(ix.apply(i).apply(0));
        }
        sb.append("],\"values\":[");
        for (int i = 0; i < d.length; i++) {
            if (i > 0) {
                sb.append(',');
            }
            Json.number(sb, d[i]);
        }
        sb.append("]}");
    }
}
