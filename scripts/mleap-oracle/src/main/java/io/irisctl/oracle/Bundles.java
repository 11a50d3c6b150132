package io.irisctl.oracle;

import java.io.File;
import java.io.FileNotFoundException;

import ml.combust.bundle.BundleFile;
import ml.combust.bundle.dsl.Bundle;
import ml.combust.mleap.runtime.MleapContext;
import ml.combust.mleap.runtime.MleapSupport$;
import ml.combust.mleap.runtime.frame.Transformer;
import ml.combust.mleap.runtime.javadsl.ContextBuilder;

/** Loading bundles with MLeap's own reader. */
final class Bundles {
    private Bundles() {}

    private static MleapContext context;

    /** The default MLeap context: the op registry from MLeap's reference.conf. */
    static synchronized MleapContext context() {
        if (context == null) {
            context = new ContextBuilder().createMleapContext();
        }
        return context;
    }

    /**
     * Loads a bundle from a directory or a .zip file. MLeap's BundleFile(File)
     * opens a path ending in ".zip" as a zip file system and anything else as
     * a directory.
     */
    static Transformer load(String path) throws Exception {
        File f = new File(path);
        if (!f.exists()) {
            throw new FileNotFoundException("bundle " + path + ": no such file or directory");
        }
        if (f.isDirectory() && !new File(f, "bundle.json").isFile()) {
            throw new FileNotFoundException("bundle " + path + ": no bundle.json in this directory");
        }
        if (f.isFile() && !f.getName().endsWith(".zip")) {
            throw new IllegalArgumentException("bundle " + path + ": a file bundle must end in .zip");
        }
        BundleFile bf = BundleFile.apply(f.getAbsoluteFile());
        try {
            Bundle<Transformer> bundle = MleapSupport$.MODULE$.MleapBundleFileOps(bf).loadMleapBundle(context()).get();
            return bundle.root();
        } finally {
            bf.close();
        }
    }
}
