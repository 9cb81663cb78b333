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
        return smallest(scores, count, 1);
    }

    /**
     * As {@link #smallest(double[], int)}, taking in ranking order only channels whose block (of
     * scores.length / blocks contiguous channels) has fewer than count / blocks taken: the count / blocks
     * smallest of each block, ascending.
     */
    static int[] smallest(double[] scores, int count, int blocks) {
        if (blocks > 1) {
            return sortedCopy(Balanced.fill(order(scores), scores.length, blocks, count));
        }
        int[] order = order(scores);
        int[] out = Arrays.copyOf(order, count);
        Arrays.sort(out);
        return out;
    }

    private static int[] sortedCopy(int[] a) {
        int[] out = a.clone();
        Arrays.sort(out);
        return out;
    }

    /** All indices by ascending score, ties by the lower index. */
    private static int[] order(double[] scores) {
        Integer[] order = new Integer[scores.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> {
            double x = scores[a];
            double y = scores[b];
            return x < y ? -1 : x > y ? 1 : Integer.compare(a, b);
        });
        int[] out = new int[order.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = order[i];
        }
        return out;
    }
}
