package dev.thinet4j.report;

import java.util.List;
import java.util.function.LongFunction;

/**
 * An inline SVG chart of two series as grouped vertical bars, one group per category, with a y axis
 * of round ticks, a legend, value labels above the bars and the category names below (turned 45°
 * when they do not fit). The width grows with the number of categories, so 50 layers stay readable
 * (the page scrolls the chart sideways).
 *
 * <p>Each bar is a {@code <rect class="bar s0|s1">} with {@code data-category} and {@code data-value}
 * attributes and a {@code <title>} tooltip; heights are proportional to the values from a zero baseline.
 */
final class BarChart {
    /** One series: its legend name, CSS class suffix and colour, and one value per category. */
    record Series(String name, String cssClass, String color, long[] values) {
    }

    static final double PLOT_HEIGHT = 220;
    private static final double TARGET_PLOT_WIDTH = 900;
    private static final double MIN_GROUP = 34;
    private static final double MAX_GROUP = 200;
    private static final double MAX_BAR = 46;
    private static final double LABEL_FONT = 11;
    private static final double VALUE_FONT = 10;
    /** Rough advance of one character as a fraction of the font size (sans-serif digits and letters). */
    private static final double CHAR = 0.6;
    private static final int MAX_LABEL_CHARS = 28;
    private static final double SIN45 = Math.sqrt(0.5);

    private final String id;
    private final String description;
    private final List<String> categories;
    private final Series first;
    private final Series second;
    private final LongFunction<String> valueFormat;

    BarChart(String id, String description, List<String> categories, Series first, Series second,
             LongFunction<String> valueFormat) {
        if (first.values().length != categories.size() || second.values().length != categories.size()) {
            throw new IllegalArgumentException("each series needs one value per category");
        }
        this.id = id;
        this.description = description;
        this.categories = List.copyOf(categories);
        this.first = first;
        this.second = second;
        this.valueFormat = valueFormat;
    }

    /** Round tick values (steps of 1, 2 or 5 times a power of ten) from 0 to at or above {@code max}. */
    static double[] ticks(long max) {
        if (max <= 0) {
            return new double[]{0, 1};
        }
        double rough = max / 5.0;
        double mag = Math.pow(10, Math.floor(Math.log10(rough)));
        double norm = rough / mag;
        double step = (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
        step = Math.max(1, step);
        int count = (int) Math.ceil(max / step - 1e-9);
        double[] t = new double[count + 1];
        for (int i = 0; i <= count; i++) {
            t[i] = i * step;
        }
        return t;
    }

    /** A name cut to {@value #MAX_LABEL_CHARS} characters, keeping its end (the most specific part). */
    static String shorten(String name) {
        return name.length() <= MAX_LABEL_CHARS ? name
                : "\u2026" + name.substring(name.length() - (MAX_LABEL_CHARS - 1));
    }

    String svg() {
        int n = categories.size();
        long max = 0;
        int valueChars = 1;
        int labelChars = 1;
        for (int i = 0; i < n; i++) {
            for (Series s : List.of(first, second)) {
                max = Math.max(max, s.values()[i]);
                valueChars = Math.max(valueChars, valueFormat.apply(s.values()[i]).length());
            }
            labelChars = Math.max(labelChars, shorten(categories.get(i)).length());
        }
        double[] ticks = ticks(max);
        double top = ticks[ticks.length - 1];
        int tickChars = 1;
        for (double t : ticks) {
            tickChars = Math.max(tickChars, valueFormat.apply((long) t).length());
        }

        double group = Math.max(MIN_GROUP, Math.min(MAX_GROUP, TARGET_PLOT_WIDTH / Math.max(1, n)));
        double bar = Math.min(MAX_BAR, (group * 0.72 - 2) / 2);
        double groupPad = (group - 2 * bar - 2) / 2;
        boolean verticalValues = valueChars * VALUE_FONT * CHAR > bar + 6;
        double labelWidth = labelChars * LABEL_FONT * CHAR;
        boolean turnLabels = labelWidth > group - 6;

        double legendHeight = 26;
        double marginTop = legendHeight + (verticalValues ? valueChars * VALUE_FONT * CHAR + 6 : VALUE_FONT + 6);
        double marginLeft = Math.max(tickChars * LABEL_FONT * CHAR + 14, 48);
        if (turnLabels) {
            marginLeft = Math.max(marginLeft, labelWidth * SIN45 - group / 2 + 8);
        }
        double marginBottom = turnLabels ? 16 + labelWidth * SIN45 + 8 : 28;
        double plotWidth = n * group;
        double width = Math.ceil(marginLeft + plotWidth + 16);
        double height = Math.ceil(marginTop + PLOT_HEIGHT + marginBottom);
        double baseline = marginTop + PLOT_HEIGHT;

        StringBuilder sb = new StringBuilder(4096 + n * 900);
        sb.append("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" id=\"").append(Html.escape(id))
                .append("\" width=\"").append(Html.coord(width)).append("\" height=\"").append(Html.coord(height))
                .append("\" viewBox=\"0 0 ").append(Html.coord(width)).append(' ').append(Html.coord(height))
                .append("\" role=\"img\" aria-label=\"").append(Html.escape(description))
                .append("\" data-top=\"").append(Html.coord(top)).append("\" data-plot-height=\"")
                .append(Html.coord(PLOT_HEIGHT)).append("\" font-family=\"sans-serif\">\n");
        sb.append("<title>").append(Html.escape(description)).append("</title>\n");

        // legend
        double lx = marginLeft;
        for (Series s : List.of(first, second)) {
            sb.append("<g class=\"legend\"><rect class=\"swatch ").append(s.cssClass()).append("\" x=\"")
                    .append(Html.coord(lx)).append("\" y=\"6\" width=\"12\" height=\"12\" fill=\"").append(s.color())
                    .append("\"/><text x=\"").append(Html.coord(lx + 17)).append("\" y=\"16\" font-size=\"12\">")
                    .append(Html.escape(s.name())).append("</text></g>\n");
            lx += 17 + s.name().length() * 12 * CHAR + 22;
        }

        // y axis: grid lines and tick labels
        sb.append("<g class=\"axis y\">\n");
        for (double t : ticks) {
            double y = baseline - t / top * PLOT_HEIGHT;
            sb.append("<line x1=\"").append(Html.coord(marginLeft)).append("\" x2=\"")
                    .append(Html.coord(marginLeft + plotWidth)).append("\" y1=\"").append(Html.coord(y))
                    .append("\" y2=\"").append(Html.coord(y)).append("\" stroke=\"")
                    .append(t == 0 ? "#555" : "#e3e6eb").append("\" stroke-width=\"1\"/>");
            sb.append("<text class=\"tick\" x=\"").append(Html.coord(marginLeft - 6)).append("\" y=\"")
                    .append(Html.coord(y + 4)).append("\" text-anchor=\"end\" font-size=\"")
                    .append(Html.coord(LABEL_FONT)).append("\" data-value=\"").append((long) t).append("\">")
                    .append(Html.escape(valueFormat.apply((long) t))).append("</text>\n");
        }
        sb.append("<line x1=\"").append(Html.coord(marginLeft)).append("\" x2=\"").append(Html.coord(marginLeft))
                .append("\" y1=\"").append(Html.coord(marginTop)).append("\" y2=\"").append(Html.coord(baseline))
                .append("\" stroke=\"#555\" stroke-width=\"1\"/>\n</g>\n");

        // bars, value labels, category labels
        for (int i = 0; i < n; i++) {
            String category = categories.get(i);
            double gx = marginLeft + i * group;
            sb.append("<g class=\"group\" data-category=\"").append(Html.escape(category)).append("\"><title>")
                    .append(Html.escape(category)).append("</title>\n");
            Series[] both = {first, second};
            for (int k = 0; k < 2; k++) {
                Series s = both[k];
                long v = s.values()[i];
                double h = v / top * PLOT_HEIGHT;
                double x = gx + groupPad + k * (bar + 2);
                double y = baseline - h;
                String label = valueFormat.apply(v);
                sb.append("<rect class=\"bar ").append(s.cssClass()).append("\" x=\"").append(Html.coord(x))
                        .append("\" y=\"").append(Html.coord(y)).append("\" width=\"").append(Html.coord(bar))
                        .append("\" height=\"").append(Html.coord(h)).append("\" fill=\"").append(s.color())
                        .append("\" data-category=\"").append(Html.escape(category)).append("\" data-value=\"")
                        .append(v).append("\"><title>").append(Html.escape(category + " \u2014 " + s.name() + ": "
                                + Html.grouped(v))).append("</title></rect>\n");
                double cx = x + bar / 2;
                sb.append("<text class=\"value ").append(s.cssClass()).append("\" font-size=\"")
                        .append(Html.coord(VALUE_FONT)).append("\" fill=\"#333\" ");
                if (verticalValues) {
                    double tx = cx + VALUE_FONT * 0.35;
                    double ty = y - 3;
                    sb.append("x=\"").append(Html.coord(tx)).append("\" y=\"").append(Html.coord(ty))
                            .append("\" transform=\"rotate(-90 ").append(Html.coord(tx)).append(' ')
                            .append(Html.coord(ty)).append(")\" text-anchor=\"start\"");
                } else {
                    sb.append("x=\"").append(Html.coord(cx)).append("\" y=\"").append(Html.coord(y - 3))
                            .append("\" text-anchor=\"middle\"");
                }
                sb.append('>').append(Html.escape(label)).append("</text>\n");
            }
            double cx = gx + group / 2;
            double ty = baseline + 15;
            sb.append("<text class=\"category\" font-size=\"").append(Html.coord(LABEL_FONT)).append("\" ");
            if (turnLabels) {
                sb.append("x=\"").append(Html.coord(cx + 4)).append("\" y=\"").append(Html.coord(ty))
                        .append("\" transform=\"rotate(-45 ").append(Html.coord(cx + 4)).append(' ')
                        .append(Html.coord(ty)).append(")\" text-anchor=\"end\"");
            } else {
                sb.append("x=\"").append(Html.coord(cx)).append("\" y=\"").append(Html.coord(ty))
                        .append("\" text-anchor=\"middle\"");
            }
            sb.append('>').append(Html.escape(shorten(category))).append("</text>\n</g>\n");
        }
        sb.append("</svg>\n");
        return sb.toString();
    }
}
