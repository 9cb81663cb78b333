package dev.thinet4j.report;

import java.util.Locale;

/** Escaping and number formats shared by the HTML report and its charts. */
final class Html {
    private Html() {
    }

    /**
     * {@code s} safe as HTML/SVG text or a quoted attribute value: {@code & < > " '} become character
     * references, and characters XML does not allow (control characters, lone surrogates) become U+FFFD.
     */
    static String escape(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> sb.append("&amp;");
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&#39;");
                default -> {
                    if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                        sb.append(c).append(s.charAt(++i));
                    } else if (c < 0x20 && c != '\t' && c != '\n' && c != '\r' || Character.isSurrogate(c)
                            || c == '\uFFFE' || c == '\uFFFF') {
                        sb.append('\uFFFD');
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.toString();
    }

    /** An integer with thousands separators: {@code 1,234,567}. */
    static String grouped(long v) {
        return String.format(Locale.ROOT, "%,d", v);
    }

    /** A short form with three significant digits: {@code 950}, {@code 12.5k}, {@code 1.23M}, {@code 4.1G}. */
    static String compact(double v) {
        double a = Math.abs(v);
        if (a < 1000) {
            return a == Math.rint(a) ? Long.toString((long) v) : trim(String.format(Locale.ROOT, "%.2f", v));
        }
        String[] units = {"k", "M", "G", "T"};
        int u = 0;
        double x = v / 1000;
        while (Math.abs(x) >= 999.5 && u < units.length - 1) {
            x /= 1000;
            u++;
        }
        double ax = Math.abs(x);
        String digits = String.format(Locale.ROOT, ax < 9.995 ? "%.2f" : ax < 99.95 ? "%.1f" : "%.0f", x);
        return trim(digits) + units[u];
    }

    /** A fixed number of decimals, or an em dash for NaN. */
    static String fixed(double v, int decimals) {
        return Double.isNaN(v) ? "\u2014" : String.format(Locale.ROOT, "%." + decimals + "f", v);
    }

    /** A percentage of {@code of} with one decimal: {@code 49.6%}. */
    static String percent(double part, double of) {
        return of == 0 ? "\u2014" : String.format(Locale.ROOT, "%.1f%%", 100.0 * part / of);
    }

    /** A coordinate with at most two decimals. */
    static String coord(double v) {
        return trim(String.format(Locale.ROOT, "%.2f", v));
    }

    private static String trim(String s) {
        if (s.indexOf('.') < 0) {
            return s;
        }
        int end = s.length();
        while (s.charAt(end - 1) == '0') {
            end--;
        }
        if (s.charAt(end - 1) == '.') {
            end--;
        }
        return s.substring(0, end);
    }
}
