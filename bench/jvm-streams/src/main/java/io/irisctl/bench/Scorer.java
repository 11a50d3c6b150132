package io.irisctl.bench;

import java.io.File;
import java.io.FileNotFoundException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

import ml.combust.bundle.BundleFile;
import ml.combust.bundle.dsl.Bundle;
import ml.combust.mleap.core.types.StructField;
import ml.combust.mleap.core.types.StructType;
import ml.combust.mleap.runtime.MleapSupport$;
import ml.combust.mleap.runtime.frame.ArrayRow;
import ml.combust.mleap.runtime.frame.DefaultLeapFrame;
import ml.combust.mleap.runtime.frame.Row;
import ml.combust.mleap.runtime.frame.RowTransformer;
import ml.combust.mleap.runtime.frame.Transformer;
import ml.combust.mleap.runtime.javadsl.ContextBuilder;
import ml.combust.mleap.runtime.javadsl.LeapFrameBuilder;
import ml.combust.mleap.runtime.javadsl.LeapFrameSupport;
import ml.combust.mleap.runtime.javadsl.RowTransformerSupport;
import scala.collection.mutable.WrappedArray;

/**
 * Scores one CSV value ("5.1,3.5,1.4,0.2") with an MLeap bundle and returns
 * its predictedLabel.
 *
 * The input schema is the seed's: the four measurements as doubles plus the
 * training label column "class" as a string, because the pipeline's first
 * stage (StringIndexer on class) is part of the saved model and MLeap runs
 * every stage. Like the seed, each record gets the constant class value
 * "Iris-setosa" there; it does not influence the prediction.
 */
abstract class Scorer {
    static final String[] MEASUREMENTS = {"sepal_length_cm", "sepal_width_cm", "petal_length_cm", "petal_width_cm"};
    static final String LABEL_INPUT = "class";
    static final String DUMMY_LABEL = "Iris-setosa";
    static final String OUTPUT = "predictedLabel";

    final Transformer root;
    final StructType schema;

    private Scorer(String bundlePath) throws Exception {
        this.root = load(bundlePath);
        LeapFrameBuilder b = new LeapFrameBuilder();
        List<StructField> fields = new ArrayList<>();
        for (String m : MEASUREMENTS) {
            fields.add(b.createField(m, b.createDouble()));
        }
        fields.add(b.createField(LABEL_INPUT, b.createString()));
        this.schema = b.createSchema(fields);
        // Every column the model reads must be one we supply.
        for (StructField f : new LeapFrameSupport().getFields(root.inputSchema())) {
            if (schema.getField(f.name()).isEmpty()) {
                throw new IllegalStateException("the bundle reads column " + f.name()
                        + ", which this app does not supply (it supplies " + schema + ")");
            }
        }
    }

    /** The predicted label of one CSV value. */
    abstract String label(String csv);

    /** MLeap's recommended low-latency path: a RowTransformer built once, one row per record. */
    static Scorer row(String bundlePath) throws Exception {
        return new Scorer(bundlePath) {
            final ThreadLocal<RowTransformer> rt = ThreadLocal.withInitial(
                    () -> root.transform(new RowTransformerSupport().createRowTransformer(schema)).get());
            final int idx = (Integer) rt.get().outputSchema().indexOf(OUTPUT).get();

            @Override
            String label(String csv) {
                Row out = rt.get().transform(new ArrayRow(WrappedArray.make(values(csv))));
                if (out == null) {
                    throw new IllegalStateException("the model dropped the record " + csv);
                }
                return String.valueOf(out.getRaw(idx));
            }
        };
    }

    /** The seed's path: a one-row DefaultLeapFrame per record, transformed, then select(predictedLabel). */
    static Scorer frame(String bundlePath) throws Exception {
        return new Scorer(bundlePath) {
            final LeapFrameBuilder builder = new LeapFrameBuilder();
            final LeapFrameSupport support = new LeapFrameSupport();
            final List<String> select = Collections.singletonList(OUTPUT);

            @Override
            String label(String csv) {
                Row row = new ArrayRow(WrappedArray.make(values(csv)));
                DefaultLeapFrame in = builder.createFrame(schema, Collections.singletonList(row));
                DefaultLeapFrame out = support.select(root.transform(in).get(), select);
                return String.valueOf(support.collect(out).get(0).getRaw(0));
            }
        };
    }

    /** "5.1,3.5,1.4,0.2" → {5.1, 3.5, 1.4, 0.2, "Iris-setosa"}. */
    static Object[] values(String csv) {
        Object[] v = new Object[MEASUREMENTS.length + 1];
        int start = 0;
        for (int i = 0; i < MEASUREMENTS.length; i++) {
            int end = csv.indexOf(',', start);
            if (i == MEASUREMENTS.length - 1) {
                if (end >= 0) {
                    throw new IllegalArgumentException("more than " + MEASUREMENTS.length + " fields: " + csv);
                }
                end = csv.length();
            } else if (end < 0) {
                throw new IllegalArgumentException("fewer than " + MEASUREMENTS.length + " fields: " + csv);
            }
            v[i] = Double.parseDouble(csv.substring(start, end).trim());
            start = end + 1;
        }
        v[MEASUREMENTS.length] = DUMMY_LABEL;
        return v;
    }

    /** Loads a bundle directory (with bundle.json) or a .zip bundle with MLeap's default context. */
    static Transformer load(String path) throws Exception {
        File f = new File(path);
        if (!f.exists()) {
            throw new FileNotFoundException("bundle " + path + ": no such file or directory");
        }
        BundleFile bf = BundleFile.apply(f.getAbsoluteFile());
        try {
            Bundle<Transformer> bundle = MleapSupport$.MODULE$.MleapBundleFileOps(bf)
                    .loadMleapBundle(new ContextBuilder().createMleapContext()).get();
            return bundle.root();
        } finally {
            bf.close();
        }
    }
}
