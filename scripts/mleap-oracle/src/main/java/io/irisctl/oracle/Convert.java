package io.irisctl.oracle;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import ml.combust.bundle.BundleFile;
import ml.combust.bundle.serializer.SerializationFormat;
import ml.combust.mleap.runtime.MleapSupport$;
import ml.combust.mleap.runtime.frame.Transformer;

/**
 * convert: loads a bundle and writes it again with MLeap's own serializer, in
 * the chosen format, as a directory bundle.
 *
 * <p>MLeap runtime 0.16.0 (and 0.14.0) has a known bug (fixed upstream in 0.23.0, combust/mleap
 * PR #843): its decision-tree ops store a tree's nodes in a file named
 * {@code nodes.json}/{@code nodes.pb} but every reader (runtime and Spark)
 * loads {@code tree.json}/{@code tree.pb}, so a bundle re-saved by the runtime
 * cannot be loaded again. Unless {@code --raw} is given, convert renames
 * those files to {@code tree.*} after MLeap has written them; the bytes are
 * MLeap's own.
 */
final class Convert {
    private Convert() {}

    static void run(String bundlePath, String format, String out, boolean raw) throws Exception {
        SerializationFormat fmt;
        switch (format) {
            case "protobuf":
            case "pb":
                fmt = SerializationFormat.Protobuf$.MODULE$;
                break;
            case "json":
                fmt = SerializationFormat.Json$.MODULE$;
                break;
            default:
                throw new Main.UsageException("--format must be protobuf or json, not " + format);
        }
        File dst = new File(out).getAbsoluteFile();
        if (dst.getName().endsWith(".zip")) {
            throw new Main.UsageException("--out must be a directory, not a .zip");
        }
        if (dst.exists()) {
            String[] entries = dst.list();
            if (entries == null || entries.length > 0) {
                throw new IOException(out + ": already exists and is not an empty directory; remove it first");
            }
        }
        Transformer root = Bundles.load(bundlePath);
        BundleFile bf = BundleFile.apply(dst);
        try {
            MleapSupport$.MODULE$.MleapTransformerOps(root).writeBundle().format(fmt).save(bf, Bundles.context()).get();
        } finally {
            bf.close();
        }
        if (!raw) {
            fixTreeFileNames(dst.toPath());
        }
        System.err.println("mleap-oracle convert: wrote " + format + " bundle " + out);
    }

    /** Renames nodes.{json,pb} to tree.{json,pb} next to a model file (see the class comment). */
    static void fixTreeFileNames(Path root) throws IOException {
        List<Path> found = new ArrayList<>();
        try (Stream<Path> s = Files.walk(root)) {
            s.filter(p -> {
                String n = p.getFileName().toString();
                return Files.isRegularFile(p) && (n.equals("nodes.json") || n.equals("nodes.pb"));
            }).forEach(found::add);
        }
        int renamed = 0;
        for (Path p : found) {
            String ext = p.getFileName().toString().substring("nodes.".length());
            Path dir = p.getParent();
            Path tree = dir.resolve("tree." + ext);
            if (Files.exists(dir.resolve("model." + ext)) && !Files.exists(tree)) {
                Files.move(p, tree);
                renamed++;
            }
        }
        if (renamed > 0) {
            System.err.println("mleap-oracle convert: renamed " + renamed
                    + " decision-tree files nodes.* -> tree.* (MLeap runtime < 0.23 writer bug, combust/mleap#843)");
        }
    }
}
