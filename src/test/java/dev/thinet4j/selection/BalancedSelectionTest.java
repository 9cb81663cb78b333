package dev.thinet4j.selection;

import dev.thinet4j.model.Tensor;
import dev.thinet4j.sampling.NormalEquations;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Block-balanced selection: every criterion removes numRemove / B channels from each of B blocks. */
class BalancedSelectionTest {

    private static SelectionContext context(int channels, long seed) {
        Random r = new Random(seed);
        double[][] rows = new double[60][channels];
        double[][] ys = new double[60][1];
        for (double[] row : rows) {
            for (int j = 0; j < channels; j++) {
                row[j] = r.nextGaussian() * (1 + j % 3);
            }
        }
        for (int i = 0; i < rows.length; i++) {
            for (double v : rows[i]) {
                ys[i][0] += v;
            }
        }
        NormalEquations ne = new NormalEquations(channels, 1);
        ne.accumulate(rows, ys);
        float[] w = new float[channels * 5];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) r.nextGaussian();
        }
        double[] gamma = new double[channels];
        double[] apoz = new double[channels];
        for (int j = 0; j < channels; j++) {
            gamma[j] = r.nextDouble();
            apoz[j] = r.nextDouble();
        }
        return new SelectionContext("layer", channels, Tensor.of(w, channels, 5), gamma, apoz, ne, seed);
    }

    private static void assertBalanced(Selection s, int blocks, int numRemove) {
        int size = s.channels() / blocks;
        int[] count = new int[blocks];
        for (int c : s.removed()) {
            count[c / size]++;
        }
        for (int b = 0; b < blocks; b++) {
            assertEquals(numRemove / blocks, count[b], "removed per block " + java.util.Arrays.toString(count));
        }
    }

    @Property(tries = 30)
    void everyBuiltInCriterionRemovesAlikeFromEveryBlock(@ForAll @IntRange(min = 0, max = 1000) int seed,
                                                          @ForAll @IntRange(min = 2, max = 4) int blocks,
                                                          @ForAll @IntRange(min = 2, max = 5) int size) {
        int channels = blocks * size;
        SelectionContext ctx = context(channels, seed);
        int numRemove = blocks * (1 + new Random(seed).nextInt(size - 1));
        for (Criterion c : Criterion.values()) {
            Selection s = c.create().selectBalanced(ctx, numRemove, blocks);
            assertEquals(numRemove, s.removed().length, c.cliName());
            assertBalanced(s, blocks, numRemove);
            // one block is the unconstrained selection
            assertEquals(c.create().select(ctx, numRemove), c.create().selectBalanced(ctx, numRemove, 1), c.cliName());
        }
    }

    @Test
    void constrainedThiNetGreedyIsTheGreedyOverOpenBlocks() {
        SelectionContext ctx = context(8, 3);
        int[] free = ThiNetGreedy.removalOrder(ctx.contributions().xtx(), 8);
        int[] constrained = ThiNetGreedy.removalOrder(ctx.contributions().xtx(), 4, 2);
        // the first pick is the free greedy's first pick, whose block is open
        assertEquals(free[0], constrained[0]);
        assertBalanced(Selection.ofRemoved(8, constrained, null, Double.NaN), 2, 4);
        assertArrayEquals(ThiNetGreedy.removalOrder(ctx.contributions().xtx(), 5),
                ThiNetGreedy.removalOrder(ctx.contributions().xtx(), 5, 1));
    }

    @Test
    void defaultBalancedSelectionReadsTheCriterionsRemovalOrder() {
        // a criterion that removes the highest indices first (reported in that order)
        ChannelCriterion highFirst = new ChannelCriterion() {
            @Override
            public Selection select(SelectionContext ctx, int numRemove) {
                int[] removed = new int[numRemove];
                for (int i = 0; i < numRemove; i++) {
                    removed[i] = ctx.channels() - 1 - i;
                }
                return Selection.ofRemoved(ctx.channels(), removed, null, Double.NaN);
            }

            @Override
            public String name() {
                return "high-first";
            }
        };
        Selection s = highFirst.selectBalanced(context(9, 1), 6, 3);
        assertArrayEquals(new int[]{0, 3, 6}, s.kept());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> highFirst.selectBalanced(context(9, 1), 4, 3));
        assertThat(e.getMessage()).contains("multiple of 3");
    }
}
