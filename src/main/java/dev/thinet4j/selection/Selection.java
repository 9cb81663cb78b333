package dev.thinet4j.selection;

import java.util.Arrays;

/**
 * The outcome of a channel selection for one layer of C channels.
 *
 * @param kept      the kept channels, strictly ascending
 * @param removed   the removed channels: in the order a greedy criterion chose them, ascending for
 *                  score-based and random criteria. kept and removed together are exactly 0 … C−1.
 * @param scores    one score per channel (criterion-specific: norm, |γ|, APoZ), or null when the
 *                  criterion has no per-channel score
 * @param objective a criterion-specific objective value (for ThiNet: a mean squared reconstruction error
 *                  per sample), NaN when the criterion has none
 */
public record Selection(int[] kept, int[] removed, double[] scores, double objective) {

    /**
     * Checks the partition and copies the arrays.
     *
     * @param kept see the record description
     * @param removed see the record description
     * @param scores see the record description
     * @param objective see the record description
     * @throws IllegalArgumentException when kept is not strictly ascending, kept and removed do not
     *                                  partition 0 … C−1, or scores does not have C values
     */
    public Selection {
        kept = kept.clone();
        removed = removed.clone();
        scores = scores == null ? null : scores.clone();
        int c = kept.length + removed.length;
        boolean[] seen = new boolean[c];
        for (int i = 0; i < kept.length; i++) {
            if (i > 0 && kept[i] <= kept[i - 1]) {
                throw new IllegalArgumentException("kept channels must be strictly ascending: " + Arrays.toString(kept));
            }
            mark(seen, kept[i], kept, removed);
        }
        for (int r : removed) {
            mark(seen, r, kept, removed);
        }
        if (scores != null && scores.length != c) {
            throw new IllegalArgumentException("scores has " + scores.length + " values for " + c + " channels");
        }
    }

    private static void mark(boolean[] seen, int ch, int[] kept, int[] removed) {
        if (ch < 0 || ch >= seen.length || seen[ch]) {
            throw new IllegalArgumentException("kept " + Arrays.toString(kept) + " and removed "
                    + Arrays.toString(removed) + " do not partition 0.." + (seen.length - 1));
        }
        seen[ch] = true;
    }

    /**
     * Builds a selection from the removed channels; kept is their complement in 0 … C−1.
     *
     * @param channels C
     * @param removed  the removed channels, in the order to report. Not modified.
     * @param scores    one score per channel, or null
     * @param objective the criterion's objective, or NaN
     * @return the selection
     * @throws IllegalArgumentException when a removed channel is out of range or repeated
     */
    public static Selection ofRemoved(int channels, int[] removed, double[] scores, double objective) {
        boolean[] gone = new boolean[channels];
        for (int r : removed) {
            if (r < 0 || r >= channels || gone[r]) {
                throw new IllegalArgumentException("invalid removed channels " + Arrays.toString(removed) + " for "
                        + channels + " channels");
            }
            gone[r] = true;
        }
        int[] kept = new int[channels - removed.length];
        for (int c = 0, i = 0; c < channels; c++) {
            if (!gone[c]) {
                kept[i++] = c;
            }
        }
        return new Selection(kept, removed, scores, objective);
    }

    /** @return the number of channels C */
    public int channels() {
        return kept.length + removed.length;
    }

    /** @return a copy of the kept channels */
    @Override
    public int[] kept() {
        return kept.clone();
    }

    /** @return a copy of the removed channels */
    @Override
    public int[] removed() {
        return removed.clone();
    }

    /** @return a copy of the scores, or null */
    @Override
    public double[] scores() {
        return scores == null ? null : scores.clone();
    }

    /**
     * How many of C channels to remove for a pruning ratio r: ⌊C·r⌋ capped at C − 1, so at least one
     * channel always stays. A slack of 1e-9 is added before flooring so that decimal ratios such as
     * 0.29 of 100 give 29, not 28.
     *
     * @param channels C ≥ 1
     * @param ratio    r in [0, 1)
     * @return the number of channels to remove, in [0, C − 1]
     * @throws IllegalArgumentException when C &lt; 1 or r is outside [0, 1) or NaN
     */
    public static int numToRemove(int channels, double ratio) {
        if (channels < 1) {
            throw new IllegalArgumentException("a layer needs at least one channel, got " + channels);
        }
        if (!(ratio >= 0 && ratio < 1)) {
            throw new IllegalArgumentException("pruning ratio must be in [0, 1), got " + ratio);
        }
        long r = (long) Math.floor(channels * ratio + 1e-9);
        return (int) Math.min(r, channels - 1L);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Selection s && Arrays.equals(kept, s.kept) && Arrays.equals(removed, s.removed)
                && Arrays.equals(scores, s.scores) && Double.compare(objective, s.objective) == 0;
    }

    @Override
    public int hashCode() {
        return 31 * (31 * (31 * Arrays.hashCode(kept) + Arrays.hashCode(removed)) + Arrays.hashCode(scores))
                + Double.hashCode(objective);
    }

    @Override
    public String toString() {
        return "Selection[kept=" + Arrays.toString(kept) + ", removed=" + Arrays.toString(removed)
                + ", objective=" + objective + "]";
    }
}
