package io.irisctl.bench;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Produced;

/**
 * The benchmark's JVM reference for irisctl stream: the shape of the seed
 * article's IrisStreamClassifier (a Kafka Streams topology with the MLeap
 * runtime inside), written in Java with every setting the benchmark varies
 * on the command line.
 *
 * Each input value "5.1,3.5,1.4,0.2" becomes "5.1,3.5,1.4,0.2,Iris-setosa" on
 * the output topic; the key is kept, and so is the record timestamp (Kafka
 * Streams' default: the output carries the input's timestamp).
 */
public final class IrisStreamClassifier {
    private IrisStreamClassifier() {}

    static final String USAGE = String.join("\n",
            "usage: IrisStreamClassifier [flags]",
            "  --bootstrap-servers HOST:PORT   (default 127.0.0.1:29092)",
            "  --application-id ID             Kafka Streams application.id = consumer group (default iris-classifier)",
            "  --input-topic T                 (default iris-classifier-input)",
            "  --output-topic T                (default iris-classifier-output)",
            "  --guarantee exactly-once|at-least-once   processing.guarantee exactly_once_v2 or at_least_once (default exactly-once)",
            "  --commit-interval-ms N          commit.interval.ms (default 100)",
            "  --threads N                     num.stream.threads (default 1, as the seed)",
            "  --bundle PATH                   MLeap bundle directory or .zip (default bundles/iris-rf)",
            "  --mleap row|frame|none          row: a RowTransformer built once (default);",
            "                                  frame: a one-row LeapFrame per record, as the seed does;",
            "                                  none: no model, values copied unchanged (a baseline)",
            "  --state-dir DIR                 state.dir (default: a new temporary directory)",
            "  --log-level LEVEL               slf4j-simple level (default warn)");

    public static void main(String[] args) throws Exception {
        Options o;
        try {
            o = Options.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("jvm-streams: " + e.getMessage());
            System.err.println(USAGE);
            System.exit(2);
            return;
        }
        if (o == null) {
            System.out.println(USAGE);
            return;
        }

        Topology topology;
        if (o.mleap.equals("none")) {
            topology = copyTopology(o.inputTopic, o.outputTopic);
            log("no model: values are copied unchanged");
        } else {
            long t0 = System.nanoTime();
            Scorer scorer = o.mleap.equals("frame") ? Scorer.frame(o.bundle) : Scorer.row(o.bundle);
            // A sanity check with the seed's first vector before any record is read.
            String probe = scorer.label("5.1,3.5,1.4,0.2");
            log(String.format(Locale.ROOT, "bundle %s loaded in %.2f s (MLeap %s path); 5.1,3.5,1.4,0.2 -> %s",
                    o.bundle, (System.nanoTime() - t0) / 1e9, o.mleap, probe));
            topology = topology(o.inputTopic, o.outputTopic, scorer);
        }
        Path stateDir = o.stateDir != null ? Path.of(o.stateDir) : Files.createTempDirectory("jvm-streams-");
        KafkaStreams streams = new KafkaStreams(topology, config(o, stateDir.toString()));

        CountDownLatch done = new CountDownLatch(1);
        streams.setStateListener((now, before) -> {
            log("state " + before + " -> " + now);
            if (now == KafkaStreams.State.ERROR || now == KafkaStreams.State.NOT_RUNNING) {
                done.countDown();
            }
        });
        streams.setUncaughtExceptionHandler(e -> {
            log("stream thread failed: " + e);
            return org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse
                    .SHUTDOWN_CLIENT;
        });
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            // SIGTERM/SIGINT: commit what is processed, leave the group.
            streams.close(Duration.ofSeconds(20));
            done.countDown();
            if (o.stateDir == null) {
                deleteTree(stateDir.toFile());
            }
        }, "jvm-streams-shutdown"));

        streams.start();
        done.await();
        boolean failed = streams.state() == KafkaStreams.State.ERROR;
        streams.close(Duration.ofSeconds(20));
        if (failed) {
            System.exit(1);
        }
    }

    /** input → mapValues(value + "," + label) → output; String serdes; keys kept. */
    static Topology topology(String in, String out, Scorer scorer) {
        StreamsBuilder b = new StreamsBuilder();
        b.stream(in, Consumed.with(Serdes.String(), Serdes.String()))
                .mapValues(v -> v + "," + scorer.label(v))
                .to(out, Produced.with(Serdes.String(), Serdes.String()));
        return b.build();
    }

    /** The no-model baseline: input → mapValues(identity) → output, same serdes. */
    static Topology copyTopology(String in, String out) {
        StreamsBuilder b = new StreamsBuilder();
        b.stream(in, Consumed.with(Serdes.String(), Serdes.String()))
                .mapValues(v -> v)
                .to(out, Produced.with(Serdes.String(), Serdes.String()));
        return b.build();
    }

    static Properties config(Options o, String stateDir) {
        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, o.applicationId);
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, o.bootstrapServers);
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG,
                o.guarantee.equals("exactly-once") ? StreamsConfig.EXACTLY_ONCE_V2 : StreamsConfig.AT_LEAST_ONCE);
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, o.commitIntervalMs);
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, o.threads);
        p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir);
        p.put(StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG, Serdes.StringSerde.class);
        p.put(StreamsConfig.DEFAULT_VALUE_SERDE_CLASS_CONFIG, Serdes.StringSerde.class);
        // A new application id starts at the beginning of the input (also Kafka Streams' default).
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
        p.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, 1);
        return p;
    }

    static void log(String msg) {
        System.err.println("jvm-streams: " + msg);
    }

    private static void deleteTree(File f) {
        File[] kids = f.listFiles();
        if (kids != null) {
            for (File k : kids) {
                deleteTree(k);
            }
        }
        f.delete();
    }

    /** Command-line options. */
    static final class Options {
        String bootstrapServers = "127.0.0.1:29092";
        String applicationId = "iris-classifier";
        String inputTopic = "iris-classifier-input";
        String outputTopic = "iris-classifier-output";
        String guarantee = "exactly-once";
        long commitIntervalMs = 100;
        int threads = 1;
        String bundle = "bundles/iris-rf";
        String mleap = "row";
        String stateDir;
        String logLevel = "warn";

        /** Parses flags (--name value or --name=value); null for --help. */
        static Options parse(String[] args) {
            Options o = new Options();
            List<String> a = new ArrayList<>();
            for (String s : args) {
                int eq = s.indexOf('=');
                if (s.startsWith("--") && eq > 0) {
                    a.add(s.substring(0, eq));
                    a.add(s.substring(eq + 1));
                } else {
                    a.add(s);
                }
            }
            for (int i = 0; i < a.size(); i++) {
                String flag = a.get(i);
                if (flag.equals("-h") || flag.equals("--help")) {
                    return null;
                }
                if (i + 1 >= a.size()) {
                    throw new IllegalArgumentException(flag + " needs a value");
                }
                String v = a.get(++i);
                switch (flag) {
                    case "--bootstrap-servers": o.bootstrapServers = v; break;
                    case "--application-id": o.applicationId = v; break;
                    case "--input-topic": o.inputTopic = v; break;
                    case "--output-topic": o.outputTopic = v; break;
                    case "--guarantee":
                        if (!v.equals("exactly-once") && !v.equals("at-least-once")) {
                            throw new IllegalArgumentException("--guarantee must be exactly-once or at-least-once, not " + v);
                        }
                        o.guarantee = v;
                        break;
                    case "--commit-interval-ms": o.commitIntervalMs = positive(flag, v); break;
                    case "--threads": o.threads = (int) positive(flag, v); break;
                    case "--bundle": o.bundle = v; break;
                    case "--mleap":
                        if (!v.equals("row") && !v.equals("frame") && !v.equals("none")) {
                            throw new IllegalArgumentException("--mleap must be row, frame or none, not " + v);
                        }
                        o.mleap = v;
                        break;
                    case "--state-dir": o.stateDir = v; break;
                    case "--log-level": o.logLevel = v; break;
                    default: throw new IllegalArgumentException("unknown flag " + flag);
                }
            }
            // Must be set before the first logger is made (slf4j-simple reads it once).
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", o.logLevel);
            System.setProperty("org.slf4j.simpleLogger.logFile", "System.err");
            return o;
        }

        private static long positive(String flag, String v) {
            try {
                long n = Long.parseLong(v);
                if (n > 0) {
                    return n;
                }
            } catch (NumberFormatException e) {
                // fall through
            }
            throw new IllegalArgumentException(flag + " must be a positive integer, not " + v);
        }
    }

    static {
        // Quiet until parse() picks the level; Kafka's loggers are created later.
        if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
            System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
        }
    }
}
