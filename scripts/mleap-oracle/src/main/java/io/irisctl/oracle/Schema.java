package io.irisctl.oracle;

import java.util.ArrayList;
import java.util.List;

import ml.combust.mleap.core.types.StructField;
import ml.combust.mleap.core.types.StructType;
import ml.combust.mleap.runtime.javadsl.LeapFrameBuilder;

/**
 * The input schema of a CSV file: a column is DOUBLE when it is not named
 * "class" and every non-empty value in it reads as a number (and there is at
 * least one); otherwise it is STRING. Both are nullable scalars; an empty
 * field in a DOUBLE column is a null.
 */
final class Schema {
    final String[] names;
    final boolean[] isDouble;
    final StructType struct;

    private Schema(String[] names, boolean[] isDouble) {
        this.names = names;
        this.isDouble = isDouble;
        LeapFrameBuilder b = new LeapFrameBuilder();
        List<StructField> fields = new ArrayList<>(names.length);
        for (int i = 0; i < names.length; i++) {
            fields.add(b.createField(names[i], isDouble[i] ? b.createDouble() : b.createString()));
        }
        this.struct = b.createSchema(fields);
    }

    static Schema infer(String[] header, List<String[]> rows) {
        boolean[] dbl = new boolean[header.length];
        for (int c = 0; c < header.length; c++) {
            if (header[c].equals("class")) {
                continue;
            }
            boolean any = false;
            boolean all = true;
            for (String[] r : rows) {
                String v = r[c];
                if (v.trim().isEmpty()) {
                    continue;
                }
                any = true;
                if (!Csv.isNumeric(v)) {
                    all = false;
                    break;
                }
            }
            dbl[c] = any && all;
        }
        return new Schema(header, dbl);
    }

    /** Converts one CSV record to row values (Double or String, or null). */
    Object[] values(String[] rec) {
        Object[] out = new Object[rec.length];
        for (int c = 0; c < rec.length; c++) {
            String v = rec[c];
            if (isDouble[c]) {
                String t = v.trim();
                out[c] = t.isEmpty() ? null : Double.valueOf(Double.parseDouble(t));
            } else {
                out[c] = v;
            }
        }
        return out;
    }

    String describe() {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < names.length; i++) {
            if (i > 0) {
                sb.append(", ");
            }
            sb.append(names[i]).append(':').append(isDouble[i] ? "double" : "string");
        }
        return sb.toString();
    }
}
