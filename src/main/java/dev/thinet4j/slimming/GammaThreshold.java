package dev.thinet4j.slimming;

import java.util.Arrays;
import java.util.Comparator;
import java.util.stream.IntStream;

/** The two selection rules of network slimming: the global |γ| threshold and the per-layer floor. */
public final class GammaThreshold {
    private GammaThreshold() {
    }

    /**
     * The global threshold t = v<sub>k</sub>, k = ⌊percent·n⌋ (computed with a 1e-9 tolerance), of the
     * values sorted ascending v<sub>0</sub> ≤ … ≤ v<sub>n−1</sub>. Values strictly below t are removable:
     * exactly k of them when there are no ties; none for percent 0.
     *
     * @param values  the pooled |γ| values, n ≥ 1, all finite. Not modified.
     * @param percent in [0, 1)
     * @throws IllegalArgumentException for no values, a non-finite value or a percent out of range
     */
    public static double threshold(double[] values, double percent) {
        if (values.length == 0) {
            throw new IllegalArgumentException("no BN scale values to threshold");
        }
        if (!(percent >= 0 && percent < 1)) {
            throw new IllegalArgumentException("percent must be in [0, 1), got " + percent);
        }
        double[] sorted = values.clone();
        for (double v : sorted) {
            if (!Double.isFinite(v)) {
                throw new IllegalArgumentException("BN scale value " + v + " is not finite");
            }
        }
        Arrays.sort(sorted);
        int k = (int) Math.floor(percent * sorted.length + 1e-9);
        return sorted[Math.min(k, sorted.length - 1)];
    }

    /**
     * Channels one BN keeps: kept<sub>c</sub> = (score<sub>c</sub> ≥ t), then, if fewer than
     * {@code minKeep} are kept, the {@code minKeep} largest scores (ties to the lower index) are kept.
     *
     * @param scores    per-channel |γ|. Not modified.
     * @param threshold t
     * @param minKeep   in [1, scores.length]
     * @return a new mask, true = kept
     */
    public static boolean[] kept(double[] scores, double threshold, int minKeep) {
        if (minKeep < 1 || minKeep > scores.length) {
            throw new IllegalArgumentException("minimum kept " + minKeep + " outside [1, " + scores.length + "]");
        }
        boolean[] keep = new boolean[scores.length];
        int count = 0;
        for (int c = 0; c < scores.length; c++) {
            keep[c] = scores[c] >= threshold;
            count += keep[c] ? 1 : 0;
        }
        if (count < minKeep) {
            topUp(keep, scores, minKeep);
        }
        return keep;
    }

    /**
     * Adds channels to {@code keep} in order of decreasing score (ties to the lower index) until
     * {@code minKeep} are kept. Modifies {@code keep}; {@code scores} is not modified.
     */
    static void topUp(boolean[] keep, double[] scores, int minKeep) {
        int count = 0;
        for (boolean k : keep) {
            count += k ? 1 : 0;
        }
        Integer[] order = IntStream.range(0, scores.length).boxed().toArray(Integer[]::new);
        Arrays.sort(order, Comparator.comparingDouble((Integer c) -> -scores[c]).thenComparingInt(c -> c));
        for (int i = 0; i < order.length && count < minKeep; i++) {
            if (!keep[order[i]]) {
                keep[order[i]] = true;
                count++;
            }
        }
    }
}
