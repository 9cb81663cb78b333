package dev.thinet4j.selection;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.thinet4j.model.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

class FpgmCriterionTest {

    @Example
    void threeFiltersOnALineHandComputed() {
        // filters (0,0), (3,4), (6,8): distances 5, 10, 5 → sums 15, 10, 15
        Tensor w = Tensor.of(new float[]{0, 0, 3, 4, 6, 8}, 3, 2, 1, 1);
        ChannelCriterion fpgm = Criterion.FPGM.create();
        Selection one = fpgm.select(SelectionContext.ofFilters("conv", w), 1);
        assertArrayEquals(new double[]{15, 10, 15}, one.scores(), 0);
        assertArrayEquals(new int[]{1}, one.removed(), "the middle filter is the geometric median");
        assertArrayEquals(new int[]{0, 2}, one.kept());
        assertTrue(Double.isNaN(one.objective()));
        // 15 = 15: the tie removes the lower index
        assertArrayEquals(new int[]{0, 1}, fpgm.select(SelectionContext.ofFilters("conv", w), 2).removed());
        assertEquals(0, fpgm.select(SelectionContext.ofFilters("conv", w), 0).removed().length);
    }

    @Example
    void largeNormsDoNotProtectAMedianFilter() {
        // L1 would remove the small filters; FPGM removes the one every other filter is close to
        Tensor w = Tensor.of(new float[]{10, 0, 0, 10, 7, 7, -10, 0, 0, -10}, 5, 2);
        assertArrayEquals(new int[]{2}, Criterion.FPGM.create().select(SelectionContext.ofFilters("c", w), 1).removed());
    }

    @Example
    void namesAndErrors() {
        assertEquals(Criterion.FPGM, Criterion.parse("FPGM"));
        assertEquals("fpgm", Criterion.FPGM.cliName());
        assertEquals("fpgm", Criterion.FPGM.create().name());
        SelectionContext noFilters = new SelectionContext("bn", 3, null, new double[]{1, 2, 3}, null, null, 0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Criterion.FPGM.create().select(noFilters, 1));
        assertTrue(e.getMessage().contains("fpgm") && e.getMessage().contains("weights"), e.getMessage());
        Tensor bad = Tensor.of(new float[]{Float.NaN, 0, 1, 1}, 2, 2);
        assertThrows(IllegalArgumentException.class,
                () -> Criterion.FPGM.create().select(SelectionContext.ofFilters("c", bad), 1));
    }

    /** Brute force: the distance matrix from 4-D indexing, then the subset of the given size with the least total score. */
    @Property(tries = 60)
    void matchesBruteForceOverAllSubsets(@ForAll @IntRange(min = 1, max = 7) int c,
                                         @ForAll @IntRange(min = 1, max = 3) int cin,
                                         @ForAll @IntRange(min = 1, max = 2) int k,
                                         @ForAll @IntRange(min = 0, max = 6) int removeRaw,
                                         @ForAll long seed) {
        int remove = removeRaw % c;
        Tensor w = gaussian(new Random(seed), c, cin, k, k);
        double[] ref = new double[c];
        for (int a = 0; a < c; a++) {
            for (int b = 0; b < c; b++) {
                double sq = 0;
                for (int i = 0; i < cin; i++) {
                    for (int y = 0; y < k; y++) {
                        for (int x = 0; x < k; x++) {
                            double d = (double) w.at(a, i, y, x) - w.at(b, i, y, x);
                            sq += d * d;
                        }
                    }
                }
                ref[a] += Math.sqrt(sq);
            }
        }
        int[] best = null;
        double bestSum = Double.POSITIVE_INFINITY;
        for (int[] subset : subsets(c, remove)) {
            double s = 0;
            for (int i : subset) {
                s += ref[i];
            }
            if (s < bestSum) {
                bestSum = s;
                best = subset;
            }
        }
        Selection sel = new FpgmCriterion().select(SelectionContext.ofFilters("conv", w), remove);
        assertArrayEquals(ref, sel.scores(), 1e-9);
        assertArrayEquals(best, sel.removed());
    }

    @Property(tries = 40)
    void invariantToTranslatingAndPermutingTheFilters(@ForAll @IntRange(min = 2, max = 8) int c,
                                                      @ForAll @IntRange(min = 1, max = 6) int d,
                                                      @ForAll long seed) {
        Random r = new Random(seed);
        Tensor w = gaussian(r, c, d);
        float[] v = w.data();
        float[] shift = new float[d];
        for (int i = 0; i < d; i++) {
            shift[i] = (float) r.nextGaussian();
        }
        int[] perm = new int[c];
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < c; i++) {
            order.add(i);
        }
        java.util.Collections.shuffle(order, r);
        float[] moved = new float[v.length];
        for (int j = 0; j < c; j++) {
            perm[j] = order.get(j);
            for (int i = 0; i < d; i++) {
                moved[j * d + i] = v[perm[j] * d + i] + shift[i];
            }
        }
        double[] s = FpgmCriterion.scores(w);
        double[] t = FpgmCriterion.scores(Tensor.of(moved, c, d));
        for (int j = 0; j < c; j++) {
            assertEquals(s[perm[j]], t[j], 1e-4 * (1 + s[perm[j]]));
        }
    }

    private static Tensor gaussian(Random r, int... shape) {
        int n = Arrays.stream(shape).reduce(1, (a, b) -> a * b);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return Tensor.of(v, shape);
    }

    /** Every ascending subset of {0 … n−1} of the given size, in lexicographic order. */
    private static List<int[]> subsets(int n, int size) {
        List<int[]> out = new ArrayList<>();
        fill(out, new int[size], 0, 0, n);
        return out;
    }

    private static void fill(List<int[]> out, int[] cur, int pos, int from, int n) {
        if (pos == cur.length) {
            out.add(cur.clone());
            return;
        }
        for (int i = from; i < n; i++) {
            cur[pos] = i;
            fill(out, cur, pos + 1, i + 1, n);
        }
    }
}
