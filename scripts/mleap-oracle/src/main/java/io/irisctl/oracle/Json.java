package io.irisctl.oracle;

/** Minimal JSON text helpers. */
final class Json {
    private Json() {}

    /**
     * A double as JSON. Finite values use Double.toString, which round-trips
     * exactly. NaN and the infinities are not JSON numbers; they are written as
     * the strings "NaN", "Infinity", "-Infinity".
     */
    static void number(StringBuilder sb, double d) {
        if (Double.isNaN(d) || Double.isInfinite(d)) {
            sb.append('"').append(Double.toString(d)).append('"');
        } else {
            sb.append(Double.toString(d));
        }
    }

    static void string(StringBuilder sb, String s) {
        if (s == null) {
            sb.append("null");
            return;
        }
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"':
                    sb.append("\\\"");
                    break;
                case '\\':
                    sb.append("\\\\");
                    break;
                case '\n':
                    sb.append("\\n");
                    break;
                case '\r':
                    sb.append("\\r");
                    break;
                case '\t':
                    sb.append("\\t");
                    break;
                default:
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
            }
        }
        sb.append('"');
    }
}
