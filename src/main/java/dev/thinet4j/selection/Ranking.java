package dev.thinet4j.selection;

import java.util.Arrays;

/** Shared helper of the score-based criteria. */
final class Ranking {
    private Ranking() {
    }

    /**
     * The indices of the {@code count} smallest scores, ties broken by the lower index (compared
     * numerically, so −0.0 equals 0.0), returned ascending.
     *
     * @param scores finite values. Not modified.
     */
    static int[] smallest(double[] scores, int count) {
        Integer[] order = new Integer[scores.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> {
            double x = scores[a];
            double y = scores[b];
            return x < y ? -1 : x > y ? 1 : Integer.compare(a, b);
        });
        int[] out = new int[count];
        for (int i = 0; i < count; i++) {
            out[i] = order[i];
        }
        Arrays.sort(out);
        return out;
    }
}
