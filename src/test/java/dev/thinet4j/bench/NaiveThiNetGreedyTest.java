package dev.thinet4j.bench;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.thinet4j.sampling.NormalEquations;
import dev.thinet4j.selection.ThiNetGreedy;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The baselines of the selection benchmark choose what {@link ThiNetGreedy} chooses, so the benchmark
 * compares equal work; and the extrapolation of {@link NaiveThiNetGreedy#extrapolate} is exact for
 * the pass counts it models.
 */
class NaiveThiNetGreedyTest {

    @Test
    void bothBaselinesGiveTheGramGreedyOrderOnBothGramPaths() {
        ContributionSample data = ContributionSample.generate(3000, 24, 7);
        int numRemove = 12;

        NormalEquations loops = new NormalEquations(24, 1);
        double[] ySum = data.rowSums();
        double[][] targets = new double[ySum.length][];
        for (int s = 0; s < ySum.length; s++) {
            targets[s] = new double[]{ySum[s]};
        }
        loops.accumulate(data.rows(), targets);
        int[] ours = ThiNetGreedy.removalOrder(loops.xtx(), numRemove);

        NormalEquations nd = new NormalEquations(24, 1);
        try (INDArray x = Nd4j.create(data.rowMajor(), new long[]{3000, 24}, DataType.FLOAT);
             INDArray y = Nd4j.create(ySum, new long[]{3000}, DataType.DOUBLE)) {
            nd.accumulate(x, y);
        }
        assertArrayEquals(ours, ThiNetGreedy.removalOrder(nd.xtx(), numRemove));
        assertArrayEquals(ours, NaiveThiNetGreedy.maskedSum(data.columns, numRemove));
        assertArrayEquals(ours, NaiveThiNetGreedy.runningSum(data.columns, numRemove));
    }

    @Test
    void prefixesAgreeAtBenchmarkWidth() {
        ContributionSample data = ContributionSample.generate(2000, 128, SelectionBenchmark.SEED);
        NormalEquations ne = new NormalEquations(128, 1);
        try (INDArray x = Nd4j.create(data.rowMajor(), new long[]{2000, 128}, DataType.FLOAT);
             INDArray y = Nd4j.create(data.rowSums(), new long[]{2000}, DataType.DOUBLE)) {
            ne.accumulate(x, y);
        }
        int[] ours = ThiNetGreedy.removalOrder(ne.xtx(), 64);
        assertArrayEquals(Arrays.copyOf(ours, 5), NaiveThiNetGreedy.maskedSum(data.columns, 5));
        assertArrayEquals(Arrays.copyOf(ours, 64), NaiveThiNetGreedy.runningSum(data.columns, 64));
    }

    @Test
    void greedyDoesNotJustSortTheDiagonal() {
        ContributionSample data = ContributionSample.generate(3000, 24, 7);
        int[] order = NaiveThiNetGreedy.runningSum(data.columns, 12);
        Integer[] byNorm = new Integer[24];
        double[] norm = new double[24];
        for (int c = 0; c < 24; c++) {
            byNorm[c] = c;
            for (float v : data.columns[c]) {
                norm[c] += (double) v * v;
            }
        }
        Arrays.sort(byNorm, (a, b) -> Double.compare(norm[a], norm[b]));
        int[] smallest = Arrays.stream(byNorm).limit(12).mapToInt(Integer::intValue).toArray();
        assertFalse(Arrays.equals(order, smallest),
                "the correlated sample should make the greedy differ from picking the smallest columns");
    }

    @Test
    void extrapolationSumsThePassesOfEveryStep() {
        // masked, C = 4, R = 2: step 0 → 4·2 = 8 passes, step 1 → 3·3 = 9; from 1 step: × 17/8
        assertEquals(17.0, NaiveThiNetGreedy.extrapolate(8.0, NaiveThiNetGreedy.Variant.MASKED, 4, 1, 2), 1e-12);
        // running, C = 4, R = 2: 5 + 4 = 9 passes; from 1 step: × 9/5
        assertEquals(9.0, NaiveThiNetGreedy.extrapolate(5.0, NaiveThiNetGreedy.Variant.RUNNING, 4, 1, 2), 1e-12);
        assertEquals(3.0, NaiveThiNetGreedy.extrapolate(3.0, NaiveThiNetGreedy.Variant.RUNNING, 512, 256, 256), 1e-12);
        assertThrows(IllegalArgumentException.class,
                () -> NaiveThiNetGreedy.extrapolate(1, NaiveThiNetGreedy.Variant.MASKED, 4, 3, 2));
    }
}
