package io.irisctl.oracle;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A small CSV reader: comma separated, optional double quotes ("" inside a
 * quoted field is a quote), no newlines inside fields. A trailing '\r' is
 * dropped. Blank lines are skipped.
 */
final class Csv {
    private Csv() {}

    /** The whole file: header plus data rows, each with its 1-based line number. */
    static final class Table {
        final String[] header;
        final List<String[]> rows = new ArrayList<>();
        final List<Integer> lines = new ArrayList<>();

        Table(String[] header) {
            this.header = header;
        }
    }

    static BufferedReader open(Path p) throws IOException {
        return new BufferedReader(new InputStreamReader(Files.newInputStream(p), StandardCharsets.UTF_8), 1 << 16);
    }

    static Table read(Path p) throws IOException {
        try (BufferedReader r = open(p)) {
            String line;
            int lineNo = 0;
            Table t = null;
            while ((line = r.readLine()) != null) {
                lineNo++;
                line = stripCR(line);
                if (line.isEmpty()) {
                    continue;
                }
                if (t == null) {
                    String[] h = split(line, -1, p, lineNo);
                    for (int i = 0; i < h.length; i++) {
                        h[i] = h[i].trim();
                    }
                    t = new Table(h);
                    continue;
                }
                t.rows.add(split(line, t.header.length, p, lineNo));
                t.lines.add(lineNo);
            }
            if (t == null) {
                throw new IOException(p + ": empty file, expected a header line");
            }
            return t;
        }
    }

    static String stripCR(String line) {
        int n = line.length();
        return n > 0 && line.charAt(n - 1) == '\r' ? line.substring(0, n - 1) : line;
    }

    /**
     * Splits one line. If want >= 0 the line must have exactly that many
     * fields.
     */
    static String[] split(String line, int want, Path p, int lineNo) throws IOException {
        List<String> out = new ArrayList<>(want > 0 ? want : 8);
        int n = line.length();
        int i = 0;
        while (true) {
            if (i < n && line.charAt(i) == '"') {
                StringBuilder sb = new StringBuilder();
                i++;
                while (true) {
                    if (i >= n) {
                        throw new IOException(p + ":" + lineNo + ": unterminated quoted field");
                    }
                    char c = line.charAt(i);
                    if (c == '"') {
                        if (i + 1 < n && line.charAt(i + 1) == '"') {
                            sb.append('"');
                            i += 2;
                            continue;
                        }
                        i++;
                        break;
                    }
                    sb.append(c);
                    i++;
                }
                out.add(sb.toString());
                if (i < n && line.charAt(i) != ',') {
                    throw new IOException(p + ":" + lineNo + ": text after closing quote in field " + out.size());
                }
            } else {
                int j = line.indexOf(',', i);
                if (j < 0) {
                    j = n;
                }
                out.add(line.substring(i, j));
                i = j;
            }
            if (i >= n) {
                break;
            }
            i++; // the comma
            if (i == n) {
                out.add("");
                break;
            }
        }
        if (want >= 0 && out.size() != want) {
            throw new IOException(p + ":" + lineNo + ": " + out.size() + " fields, the header has " + want);
        }
        return out.toArray(new String[0]);
    }

    /** Whether s reads as a number (as Double.parseDouble accepts, no hex). */
    static boolean isNumeric(String s) {
        String t = s.trim();
        if (t.isEmpty()) {
            return false;
        }
        char c = t.charAt(t.length() - 1);
        // Double.parseDouble accepts "1d" and "1f" suffixes; CSV numbers do not have them.
        if (c == 'd' || c == 'D' || c == 'f' || c == 'F' || t.contains("x") || t.contains("X")) {
            return false;
        }
        try {
            Double.parseDouble(t);
            return true;
        } catch (NumberFormatException e) {
            return false;
        }
    }
}
