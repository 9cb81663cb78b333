package dev.thinet4j.selection;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.thinet4j.reconstruction.LeastSquares;
import dev.thinet4j.reconstruction.Naive;
import dev.thinet4j.reconstruction.ScaleReconstruction;
import dev.thinet4j.sampling.NormalEquations;
import java.util.Arrays;
import java.util.SplittableRandom;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

class ThiNetForwardTest {

    static NormalEquations stats(double[][] x, double[] y) {
        NormalEquations ne = new NormalEquations(x[0].length, 1);
        ne.accumulate(x, Naive.column(y));
        return ne;
    }

    /** Naive forward selection: each candidate refitted by Gaussian elimination, residual from the samples. */
    static int[] naiveForward(double[][] x, double[] y, int numKeep) {
        int c = x[0].length;
        double[][] yc = Naive.column(y);
        int[] s = new int[0];
        for (int step = 0; step < numKeep; step++) {
            int best = -1;
            double bestSse = Double.POSITIVE_INFINITY;
            for (int j = 0; j < c; j++) {
                final int cand = j;
                if (Arrays.stream(s).anyMatch(v -> v == cand)) {
                    continue;
                }
                int[] trial = Arrays.copyOf(s, s.length + 1);
                trial[s.length] = j;
                double sse = Naive.sse(x, yc, trial, Naive.leastSquares(x, yc, trial, 0));
                if (sse < bestSse) {
                    bestSse = sse;
                    best = j;
                }
            }
            s = Arrays.copyOf(s, s.length + 1);
            s[s.length - 1] = best;
        }
        return s;
    }

    @Property(tries = 60, seed = "424242")
    void orderEqualsNaiveForwardSelection(@ForAll @IntRange(min = 2, max = 12) int c,
                                          @ForAll @IntRange(min = 0, max = 80) int extraRows,
                                          @ForAll @IntRange(min = 0, max = 1000) int keepPick,
                                          @ForAll long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int m = c + 5 + extraRows;
        double[][] x = ThiNetGreedyTest.correlated(rnd, m, c);
        double[] y = new double[m];
        for (int r = 0; r < m; r++) {
            for (int j = 0; j < c; j++) {
                y[r] += x[r][j];
            }
            y[r] += 0.3 * Naive.gauss(rnd);
        }
        int numKeep = 1 + keepPick % (c - 1);   // 1 … C−1
        int[] order = ThiNetForward.selectionOrder(stats(x, y).xtx(), stats(x, y).xty().data, numKeep);
        assertArrayEquals(naiveForward(x, y, numKeep), order);

        Selection sel = new ThiNetForward().select(SelectionContext.ofContributions("l", stats(x, y)), c - numKeep);
        int[] kept = order.clone();
        Arrays.sort(kept);
        assertArrayEquals(kept, sel.kept());
        double[][] yc = Naive.column(y);
        double sse = Naive.sse(x, yc, kept, Naive.leastSquares(x, yc, kept, 0));
        assertEquals(sse / m, sel.objective(), 1e-9 * (1 + sse / m));
    }

    @Example
    void recoversThePlantedSubsetAndItsScales() {
        SplittableRandom rnd = new SplittableRandom(11);
        int m = 400;
        int c = 10;
        double[][] x = Naive.gaussian(rnd, m, c);
        int[] planted = {1, 4, 6, 8};
        double[] a = {1.5, -2.0, 0.8, 1.2};
        double[] y = new double[m];
        for (int r = 0; r < m; r++) {
            for (int i = 0; i < planted.length; i++) {
                y[r] += a[i] * x[r][planted[i]];
            }
            y[r] += 0.01 * Naive.gauss(rnd);
        }
        NormalEquations ne = stats(x, y);
        Selection sel = Criterion.THINET_TPAMI.create().select(SelectionContext.ofContributions("conv", ne), 6);
        assertArrayEquals(planted, sel.kept());
        assertArrayEquals(new int[]{0, 2, 3, 5, 7, 9}, sel.removed());

        double[][] reference = Naive.leastSquares(x, Naive.column(y), planted, 0);
        ScaleReconstruction.Result fit = ScaleReconstruction.fit(ne, sel.kept(), 0);
        assertEquals(LeastSquares.CHOLESKY, fit.method());
        for (int i = 0; i < planted.length; i++) {
            assertEquals(reference[i][0], fit.scales()[i], 1e-9);
            assertEquals(a[i], fit.scales()[i], 0.01);
        }
        assertTrue(sel.objective() < 2e-4, "objective " + sel.objective());
    }

    @Example
    void duplicatesAndDeadChannelsAddNothing() {
        SplittableRandom rnd = new SplittableRandom(2);
        int m = 50;
        double[][] x = Naive.gaussian(rnd, m, 4);
        double[] y = new double[m];
        for (int r = 0; r < m; r++) {
            x[r][2] = x[r][0];   // duplicate of channel 0
            x[r][3] = 0;         // dead
            y[r] = x[r][0] + x[r][1];
        }
        NormalEquations ne = stats(x, y);
        // channels 0 and 2 tie at every step: the lower index is kept, its duplicate then has no gain
        assertArrayEquals(new int[]{0, 1}, orderSorted(ThiNetForward.selectionOrder(ne.xtx(), ne.xty().data, 2)));
        // forced to keep more than the rank: dependent channels join, lower index first
        assertArrayEquals(new int[]{0, 1, 2}, orderSorted(ThiNetForward.selectionOrder(ne.xtx(), ne.xty().data, 3)));
        Selection sel = new ThiNetForward().select(SelectionContext.ofContributions("c", ne), 1);
        assertArrayEquals(new int[]{3}, sel.removed());
        assertTrue(sel.objective() < 1e-12, "objective " + sel.objective());
    }

    private static int[] orderSorted(int[] v) {
        int[] s = v.clone();
        Arrays.sort(s);
        return s;
    }

    @Example
    void needsSingleTarget() {
        NormalEquations ne = new NormalEquations(3, 2);
        ne.accumulate(new double[][]{{1, 2, 3}}, new double[][]{{1, 2}});
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new ThiNetForward().select(SelectionContext.ofContributions("conv9", ne), 1));
        assertTrue(e.getMessage().contains("conv9"), e.getMessage());
    }
}
