package dev.thinet4j.selection;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.thinet4j.reconstruction.Naive;
import dev.thinet4j.sampling.NormalEquations;
import java.util.Arrays;
import java.util.SplittableRandom;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.ejml.data.DMatrixRMaj;

class ThiNetGreedyTest {

    /** ThiNet statistics of raw contributions x̂ (rows) with ŷ = Σ x̂. */
    static NormalEquations contributions(double[][] x) {
        double[][] y = new double[x.length][1];
        for (int r = 0; r < x.length; r++) {
            for (double v : x[r]) {
                y[r][0] += v;
            }
        }
        NormalEquations ne = new NormalEquations(x[0].length, 1);
        ne.accumulate(x, y);
        return ne;
    }

    /** Σ_samples (Σ_{i∈T} x̂_i)², straight from the samples. */
    static double removedEnergy(double[][] x, boolean[] inT) {
        double f = 0;
        for (double[] row : x) {
            double s = 0;
            for (int i = 0; i < row.length; i++) {
                if (inT[i]) {
                    s += row[i];
                }
            }
            f += s * s;
        }
        return f;
    }

    /** Naive greedy: every candidate's objective recomputed from the raw sample matrix; ties → lower index. */
    static int[] naiveGreedy(double[][] x, int numRemove) {
        int c = x[0].length;
        boolean[] inT = new boolean[c];
        int[] order = new int[numRemove];
        for (int step = 0; step < numRemove; step++) {
            int best = -1;
            double bestF = Double.POSITIVE_INFINITY;
            for (int j = 0; j < c; j++) {
                if (inT[j]) {
                    continue;
                }
                inT[j] = true;
                double f = removedEnergy(x, inT);
                inT[j] = false;
                if (f < bestF) {
                    bestF = f;
                    best = j;
                }
            }
            inT[best] = true;
            order[step] = best;
        }
        return order;
    }

    /** Correlated continuous data: gaussian z times a random mixing matrix, with random channel scales. */
    static double[][] correlated(SplittableRandom rnd, int m, int c) {
        double[][] z = Naive.gaussian(rnd, m, c);
        double[][] mix = Naive.gaussian(rnd, c, c);
        for (int i = 0; i < c; i++) {
            mix[i][i] += 2;
        }
        double[][] x = Naive.mul(z, mix);
        for (int j = 0; j < c; j++) {
            double s = 0.1 + 3 * rnd.nextDouble();
            for (double[] row : x) {
                row[j] *= s;
            }
        }
        return x;
    }

    @Property(tries = 80, seed = "1707063421")
    void greedyEqualsNaiveGreedyOnRawSamples(@ForAll @IntRange(min = 2, max = 24) int c,
                                             @ForAll @IntRange(min = 5, max = 200) int m,
                                             @ForAll @IntRange(min = 0, max = 1000) int removePick,
                                             @ForAll long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        double[][] x = correlated(rnd, m, c);
        int numRemove = removePick % c;   // 0 … C−1
        NormalEquations ne = contributions(x);
        Selection sel = Criterion.THINET.create().select(new SelectionContext("conv", c, null, null, null, ne, seed),
                numRemove);
        int[] expected = naiveGreedy(x, numRemove);
        assertArrayEquals(expected, sel.removed());
        boolean[] inT = new boolean[c];
        for (int r : expected) {
            inT[r] = true;
        }
        double f = removedEnergy(x, inT) / m;
        assertEquals(f, sel.objective(), 1e-9 * (1 + f));
        assertEquals(c - numRemove, sel.kept().length);
    }

    @Example
    void plantedRedundancyIsRemoved() {
        SplittableRandom rnd = new SplittableRandom(3);
        int m = 300;
        double[][] x = Naive.gaussian(rnd, m, 8);
        for (double[] row : x) {
            for (int j = 0; j < 8; j++) {
                row[j] *= 1 + j % 3;          // real channels have scale 1..3
            }
            row[1] *= 0.3;                     // the weakest real channel
            row[2] = 0;                        // dead channel
            row[5] = -row[1];                  // exact duplicate of channel 1 with opposite sign
            row[7] = 1e-4 * row[3];            // tiny-magnitude copy of channel 3
        }
        Selection sel = new ThiNetGreedy().select(SelectionContext.ofContributions("conv3", contributions(x)), 4);
        int[] removed = sel.removed();
        assertEquals(2, removed[0], "dead channel first");
        assertEquals(7, removed[1], "tiny channel second");
        int[] pair = Arrays.copyOfRange(removed, 2, 4);
        Arrays.sort(pair);
        assertArrayEquals(new int[]{1, 5}, pair, "the cancelling pair");
        assertArrayEquals(new int[]{0, 3, 4, 6}, sel.kept());
        // only the tiny copy of channel 3 is left in the removed sum
        double tiny = 0;
        for (double[] row : x) {
            tiny += row[7] * row[7];
        }
        assertEquals(tiny / m, sel.objective(), 1e-12 * tiny / m + 1e-15);
    }

    @Example
    void handComputedGramAndTies() {
        // costs step 1: diag = 4, 1, 2 → channel 1; then s = G[1,:] = (1, ·, −1): 2·1 + 4 = 6 vs 2·(−1) + 2 = 0 → channel 2
        DMatrixRMaj g = new DMatrixRMaj(new double[][]{{4, 1, 0}, {1, 1, -1}, {0, -1, 2}});
        assertArrayEquals(new int[]{1, 2}, ThiNetGreedy.removalOrder(g, 2));
        assertEquals(1 + 2 - 2, ThiNetGreedy.subsetSum(g, new int[]{1, 2}));
        // all candidates tie: the lower index goes first
        assertArrayEquals(new int[]{0, 1, 2}, ThiNetGreedy.removalOrder(new DMatrixRMaj(new double[][]{
                {1, 0, 0}, {0, 1, 0}, {0, 0, 1}}), 3));
        assertArrayEquals(new int[0], ThiNetGreedy.removalOrder(g, 0));
        assertThrows(IllegalArgumentException.class, () -> ThiNetGreedy.removalOrder(new DMatrixRMaj(2, 3), 1));
    }

    @Example
    void needsContributions() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new ThiNetGreedy().select(
                new SelectionContext("conv3", 4, null, null, null, null, 0), 1));
        assertTrue(e.getMessage().contains("'thinet'") && e.getMessage().contains("'conv3'"), e.getMessage());
    }
}
