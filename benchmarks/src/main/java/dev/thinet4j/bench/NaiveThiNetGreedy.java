package dev.thinet4j.bench;

/**
 * Two baselines for ThiNet's greedy channel selection that work on the raw sampled contributions
 * instead of the Gram matrix G = X̂ᵀX̂; the yardsticks of {@link SelectionBenchmark}.
 *
 * <p>Both grow the removed set T one channel per step, adding the j ∉ T that minimises
 * f(T ∪ {j}) = Σ<sub>samples</sub> (Σ<sub>i∈T∪{j}</sub> x̂<sub>i</sub>)², lower index on ties, exactly the rule of
 * {@link dev.thinet4j.selection.ThiNetGreedy#removalOrder}; they differ only in how a candidate is scored:
 * <ul>
 *   <li>{@link #maskedSum}: as Algorithm 1 of the paper reads — for every candidate the masked sum
 *       Σ<sub>i∈T∪{j}</sub> x̂<sub>i</sub> is rebuilt from the columns of the chosen channels, then squared and
 *       summed: t + 2 passes over m values per candidate at step t (copy, t adds, one reduction), so
 *       the whole selection of R channels costs Θ(m · Σ<sub>t&lt;R</sub> (C − t)(t + 2)) = Θ(m·C³) for R = C/2;</li>
 *   <li>{@link #runningSum}: the vectorised form — a running sum r = Σ<sub>i∈T</sub> x̂<sub>i</sub> is kept, and a
 *       candidate costs one fused pass ‖r + x̂<sub>j</sub>‖²; plus one pass per step to update r:
 *       Θ(m · Σ<sub>t&lt;R</sub> (C − t + 1)) = Θ(m·C²).</li>
 * </ul>
 * Values are float32 columns ({@code columns[c][s]}), arithmetic is in double. Reductions use four
 * independent partial sums so the baselines are not held back by one floating-point add chain.
 *
 * <p>{@link #extrapolate} scales the time of the first k steps to the whole selection with the pass
 * counts above.
 */
final class NaiveThiNetGreedy {
    private NaiveThiNetGreedy() {
    }

    /** Which candidate-scoring scheme; each knows its per-step cost in passes over the m samples. */
    enum Variant {
        /** {@link #maskedSum}: (C − t)(t + 2) passes at step t. */
        MASKED {
            @Override
            double passes(int channels, int step) {
                return (double) (channels - step) * (step + 2);
            }
        },
        /** {@link #runningSum}: (C − t) + 1 passes at step t. */
        RUNNING {
            @Override
            double passes(int channels, int step) {
                return channels - step + 1.0;
            }
        };

        /** Passes over the m samples that step t (0-based) of a C-channel selection makes. */
        abstract double passes(int channels, int step);
    }

    /**
     * The first {@code steps} channels of the greedy removal order, every candidate scored by rebuilding
     * its masked sum from the columns.
     *
     * @param columns C columns of m contributions each, {@code columns[c][s]}. Not modified.
     * @param steps   how many channels to choose, in [0, C]
     * @return the chosen channels, in order
     */
    static int[] maskedSum(float[][] columns, int steps) {
        int c = checkSteps(columns, steps);
        int m = columns[0].length;
        boolean[] inT = new boolean[c];
        int[] order = new int[steps];
        double[] tmp = new double[m];
        for (int step = 0; step < steps; step++) {
            int best = -1;
            double bestF = Double.POSITIVE_INFINITY;
            for (int j = 0; j < c; j++) {
                if (inT[j]) {
                    continue;
                }
                float[] cj = columns[j];
                for (int s = 0; s < m; s++) {
                    tmp[s] = cj[s];
                }
                for (int k = 0; k < step; k++) {
                    float[] ci = columns[order[k]];
                    for (int s = 0; s < m; s++) {
                        tmp[s] += ci[s];
                    }
                }
                double f = sumOfSquares(tmp);
                if (f < bestF) {
                    best = j;
                    bestF = f;
                }
            }
            inT[best] = true;
            order[step] = best;
        }
        return order;
    }

    /**
     * The first {@code steps} channels of the greedy removal order, every candidate scored as
     * ‖r + x̂<sub>j</sub>‖² against a running sum r of the chosen columns.
     *
     * @param columns C columns of m contributions each, {@code columns[c][s]}. Not modified.
     * @param steps   how many channels to choose, in [0, C]
     * @return the chosen channels, in order
     */
    static int[] runningSum(float[][] columns, int steps) {
        int c = checkSteps(columns, steps);
        int m = columns[0].length;
        boolean[] inT = new boolean[c];
        int[] order = new int[steps];
        double[] r = new double[m];
        for (int step = 0; step < steps; step++) {
            int best = -1;
            double bestF = Double.POSITIVE_INFINITY;
            for (int j = 0; j < c; j++) {
                if (inT[j]) {
                    continue;
                }
                double f = sumOfSquares(r, columns[j]);
                if (f < bestF) {
                    best = j;
                    bestF = f;
                }
            }
            inT[best] = true;
            order[step] = best;
            float[] cb = columns[best];
            for (int s = 0; s < m; s++) {
                r[s] += cb[s];
            }
        }
        return order;
    }

    /**
     * Scales the measured time of the first k greedy steps to a whole selection of {@code numRemove}
     * channels out of C, in proportion to the passes over the samples each step makes.
     *
     * @param measured  time of the first {@code steps} steps (any unit; the result is in the same unit)
     * @param variant   the scheme measured
     * @param channels  C
     * @param steps     k ≥ 1, the steps measured
     * @param numRemove R ≥ k, the steps of the whole selection
     */
    static double extrapolate(double measured, Variant variant, int channels, int steps, int numRemove) {
        if (steps < 1 || numRemove < steps || numRemove > channels) {
            throw new IllegalArgumentException("need 1 <= steps <= numRemove <= channels, got steps=" + steps
                    + " numRemove=" + numRemove + " channels=" + channels);
        }
        return measured * passes(variant, channels, numRemove) / passes(variant, channels, steps);
    }

    /** Σ<sub>t&lt;steps</sub> passes(C, t). */
    static double passes(Variant variant, int channels, int steps) {
        double total = 0;
        for (int t = 0; t < steps; t++) {
            total += variant.passes(channels, t);
        }
        return total;
    }

    private static int checkSteps(float[][] columns, int steps) {
        if (columns.length == 0) {
            throw new IllegalArgumentException("no channels");
        }
        if (steps < 0 || steps > columns.length) {
            throw new IllegalArgumentException("cannot choose " + steps + " of " + columns.length + " channels");
        }
        return columns.length;
    }

    /** Σ a[s]², with four partial sums. */
    private static double sumOfSquares(double[] a) {
        double f0 = 0;
        double f1 = 0;
        double f2 = 0;
        double f3 = 0;
        int n = a.length;
        int s = 0;
        for (; s + 3 < n; s += 4) {
            f0 += a[s] * a[s];
            f1 += a[s + 1] * a[s + 1];
            f2 += a[s + 2] * a[s + 2];
            f3 += a[s + 3] * a[s + 3];
        }
        for (; s < n; s++) {
            f0 += a[s] * a[s];
        }
        return (f0 + f1) + (f2 + f3);
    }

    /** Σ (r[s] + x[s])², with four partial sums. */
    private static double sumOfSquares(double[] r, float[] x) {
        double f0 = 0;
        double f1 = 0;
        double f2 = 0;
        double f3 = 0;
        int n = r.length;
        int s = 0;
        for (; s + 3 < n; s += 4) {
            double v0 = r[s] + x[s];
            double v1 = r[s + 1] + x[s + 1];
            double v2 = r[s + 2] + x[s + 2];
            double v3 = r[s + 3] + x[s + 3];
            f0 += v0 * v0;
            f1 += v1 * v1;
            f2 += v2 * v2;
            f3 += v3 * v3;
        }
        for (; s < n; s++) {
            double v = r[s] + x[s];
            f0 += v * v;
        }
        return (f0 + f1) + (f2 + f3);
    }
}
