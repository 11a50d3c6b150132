package io.irisctl.oracle;

import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Entry point of the MLeap oracle. Sub-commands:
 *
 * <pre>
 *   score   --bundle PATH --input FILE.csv --output FILE.jsonl [--columns a,b,...]
 *   convert --bundle PATH --format protobuf|json --out DIR [--raw true]
 *   bench   --bundle PATH --input FILE.csv [--rounds N] [--warmup N]
 * </pre>
 *
 * Data goes to stdout or the named files; messages go to stderr. Exit codes:
 * 0 ok, 1 failure, 2 usage error.
 */
public final class Main {
    private Main() {}

    static final class UsageException extends Exception {
        UsageException(String msg) {
            super(msg);
        }
    }

    private static final String USAGE = String.join("\n",
            "usage: mleap-oracle <command> [flags]",
            "  score   --bundle PATH --input FILE.csv --output FILE.jsonl [--columns a,b,...]",
            "  convert --bundle PATH --format protobuf|json --out DIR [--raw true]",
            "  bench   --bundle PATH --input FILE.csv [--rounds N] [--warmup N]",
            "PATH is a bundle directory or a .zip file.");

    public static void main(String[] args) {
        PrintStream err = System.err;
        if (args.length == 0 || args[0].equals("-h") || args[0].equals("--help") || args[0].equals("help")) {
            err.println(USAGE);
            System.exit(args.length == 0 ? 2 : 0);
        }
        String cmd = args[0];
        try {
            Map<String, String> flags = parseFlags(args);
            switch (cmd) {
                case "score":
                    onlyKnown(flags, "bundle", "input", "output", "columns");
                    String[] cols = null;
                    if (flags.containsKey("columns")) {
                        cols = required(flags, "columns").split(",", -1);
                        for (String c : cols) {
                            if (c.isEmpty()) {
                                throw new UsageException("--columns: empty column name");
                            }
                        }
                    }
                    Score.run(required(flags, "bundle"), required(flags, "input"), required(flags, "output"), cols);
                    break;
                case "convert": {
                    onlyKnown(flags, "bundle", "format", "out", "raw");
                    boolean raw = false;
                    if (flags.containsKey("raw")) {
                        String v = flags.get("raw");
                        if (!v.equals("true") && !v.equals("false")) {
                            throw new UsageException("--raw takes true or false");
                        }
                        raw = v.equals("true");
                    }
                    Convert.run(required(flags, "bundle"), required(flags, "format"), required(flags, "out"), raw);
                    break;
                }
                case "bench": {
                    onlyKnown(flags, "bundle", "input", "rounds", "warmup");
                    int rounds = intFlag(flags, "rounds", 5, 1);
                    int warmup = intFlag(flags, "warmup", 1, 0);
                    Bench.run(required(flags, "bundle"), required(flags, "input"), rounds, warmup);
                    break;
                }
                default:
                    throw new UsageException("unknown command: " + cmd);
            }
        } catch (UsageException e) {
            err.println("mleap-oracle: " + e.getMessage());
            err.println(USAGE);
            System.exit(2);
        } catch (Throwable t) {
            err.println("mleap-oracle " + cmd + ": " + describe(t));
            if (System.getenv("MLEAP_ORACLE_DEBUG") != null) {
                t.printStackTrace(err);
            }
            System.exit(1);
        }
        System.exit(0);
    }

    private static String describe(Throwable t) {
        StringBuilder sb = new StringBuilder(String.valueOf(t));
        Throwable c = t.getCause();
        while (c != null && c != t) {
            sb.append(": caused by ").append(c);
            t = c;
            c = c.getCause();
        }
        return sb.toString();
    }

    private static Map<String, String> parseFlags(String[] args) throws UsageException {
        Map<String, String> flags = new LinkedHashMap<>();
        for (int i = 1; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--") || a.length() < 3) {
                throw new UsageException("unexpected argument: " + a);
            }
            String name = a.substring(2);
            String value;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            } else {
                if (i + 1 >= args.length) {
                    throw new UsageException("flag --" + name + " needs a value");
                }
                value = args[++i];
            }
            if (flags.put(name, value) != null) {
                throw new UsageException("flag --" + name + " given twice");
            }
        }
        return flags;
    }

    private static int intFlag(Map<String, String> flags, String name, int def, int min) throws UsageException {
        String v = flags.get(name);
        if (v == null) {
            return def;
        }
        int n;
        try {
            n = Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new UsageException("--" + name + ": not an integer: " + v);
        }
        if (n < min) {
            throw new UsageException("--" + name + " must be at least " + min);
        }
        return n;
    }

    private static String required(Map<String, String> flags, String name) throws UsageException {
        String v = flags.get(name);
        if (v == null || v.isEmpty()) {
            throw new UsageException("missing required flag --" + name);
        }
        return v;
    }

    private static void onlyKnown(Map<String, String> flags, String... known) throws UsageException {
        outer:
        for (String k : flags.keySet()) {
            for (String n : known) {
                if (n.equals(k)) {
                    continue outer;
                }
            }
            throw new UsageException("unknown flag --" + k);
        }
    }
}
