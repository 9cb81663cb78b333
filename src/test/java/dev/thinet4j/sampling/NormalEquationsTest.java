package dev.thinet4j.sampling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.thinet4j.reconstruction.Naive;
import java.util.Arrays;
import java.util.SplittableRandom;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.ejml.data.DMatrixRMaj;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

class NormalEquationsTest {

    private static INDArray array(double[][] v, boolean float32) {
        INDArray a = Nd4j.createFromArray(v);
        return float32 ? a.castTo(DataType.FLOAT) : a;
    }

    private static double[][] roundToFloat(double[][] v) {
        double[][] out = new double[v.length][];
        for (int i = 0; i < v.length; i++) {
            out[i] = new double[v[i].length];
            for (int j = 0; j < v[i].length; j++) {
                out[i][j] = (float) v[i][j];
            }
        }
        return out;
    }

    private static double[][] rows(double[][] v, int from, int to) {
        return Arrays.copyOfRange(v, from, to);
    }

    /** Asserts every statistic against sums computed here from the raw samples with plain loops. */
    private static void assertMatchesReference(NormalEquations ne, double[][] x, double[][] y, double tol) {
        int n = x[0].length;
        int k = y[0].length;
        double[][] g = Naive.atb(x, x);
        double[][] b = Naive.atb(x, y);
        double[] yy = new double[k];
        double[] sx = new double[n];
        double[] sy = new double[k];
        for (int r = 0; r < x.length; r++) {
            for (int j = 0; j < n; j++) {
                sx[j] += x[r][j];
            }
            for (int j = 0; j < k; j++) {
                yy[j] += y[r][j] * y[r][j];
                sy[j] += y[r][j];
            }
        }
        assertEquals(x.length, ne.count());
        assertEquals(n, ne.features());
        assertEquals(k, ne.targets());
        DMatrixRMaj xtx = ne.xtx();
        DMatrixRMaj xty = ne.xty();
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                assertEquals(g[i][j], xtx.get(i, j), tol * (1 + Math.abs(g[i][j])), "xtx " + i + "," + j);
                assertEquals(xtx.get(j, i), xtx.get(i, j), 0.0, "the Gram matrix is exactly symmetric");
            }
            for (int j = 0; j < k; j++) {
                assertEquals(b[i][j], xty.get(i, j), tol * (1 + Math.abs(b[i][j])), "xty " + i + "," + j);
            }
            assertEquals(sx[i], ne.sumX()[i], tol * (1 + Math.abs(sx[i])), "sumX " + i);
        }
        double total = 0;
        for (int j = 0; j < k; j++) {
            assertEquals(yy[j], ne.yty()[j], tol * (1 + yy[j]), "yty " + j);
            assertEquals(sy[j], ne.sumY()[j], tol * (1 + Math.abs(sy[j])), "sumY " + j);
            total += yy[j];
        }
        assertEquals(total, ne.ytyTotal(), tol * (1 + total));
    }

    @Property(tries = 40, seed = "20240611")
    void batchByBatchEqualsOneShot(@ForAll @IntRange(min = 1, max = 60) int m,
                                   @ForAll @IntRange(min = 1, max = 12) int n,
                                   @ForAll @IntRange(min = 1, max = 5) int k,
                                   @ForAll @IntRange(min = 1, max = 6) int batches,
                                   @ForAll boolean float32,
                                   @ForAll long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        double[][] x = Naive.gaussian(rnd, m, n);
        double[][] y = Naive.gaussian(rnd, m, k);
        if (float32) {
            x = roundToFloat(x);
            y = roundToFloat(y);
        }
        int[] cuts = new int[batches + 1];
        cuts[batches] = m;
        for (int i = 1; i < batches; i++) {
            cuts[i] = rnd.nextInt(m + 1);
        }
        Arrays.sort(cuts);

        NormalEquations streamed = new NormalEquations(n, k);
        NormalEquations streamedArrays = new NormalEquations(n, k);
        for (int i = 0; i < batches; i++) {
            if (cuts[i + 1] > cuts[i]) {
                streamed.accumulate(array(rows(x, cuts[i], cuts[i + 1]), float32),
                        array(rows(y, cuts[i], cuts[i + 1]), float32));
            }
            streamedArrays.accumulate(rows(x, cuts[i], cuts[i + 1]), rows(y, cuts[i], cuts[i + 1]));
        }
        NormalEquations oneShot = new NormalEquations(n, k);
        oneShot.accumulate(array(x, float32), array(y, float32));

        assertMatchesReference(oneShot, x, y, 1e-12);
        assertMatchesReference(streamed, x, y, 1e-12);
        assertMatchesReference(streamedArrays, x, y, 1e-12);
    }

    @Property(tries = 20, seed = "77")
    void mergeEqualsAccumulatingBothParts(@ForAll @IntRange(min = 1, max = 30) int m1,
                                          @ForAll @IntRange(min = 1, max = 30) int m2,
                                          @ForAll @IntRange(min = 1, max = 8) int n,
                                          @ForAll long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        double[][] x = Naive.gaussian(rnd, m1 + m2, n);
        double[][] y = Naive.gaussian(rnd, m1 + m2, 2);
        NormalEquations a = new NormalEquations(n, 2);
        NormalEquations b = new NormalEquations(n, 2);
        a.accumulate(rows(x, 0, m1), rows(y, 0, m1));
        b.accumulate(rows(x, m1, m1 + m2), rows(y, m1, m1 + m2));
        a.merge(b);
        assertMatchesReference(a, x, y, 1e-12);
        assertMatchesReference(b, rows(x, m1, m1 + m2), rows(y, m1, m1 + m2), 1e-12);
    }

    @Example
    void float32InputIsWidenedExactly() {
        // small integers: every product and sum is exact in float64, so the result must be exact too
        double[][] x = {{1, 2, 3}, {4, 5, 6}, {7, 8, 9}, {-1, 0, 2}};
        double[][] y = {{1}, {-2}, {3}, {16777217}};   // 2^24 + 1 is not a float: becomes 16777216
        NormalEquations ne = new NormalEquations(3, 1);
        ne.accumulate(array(x, true), array(y, true));
        assertEquals(1 + 16 + 49 + 1, ne.xtx(0, 0));
        assertEquals(2 * 3 + 5 * 6 + 8 * 9, ne.xtx(1, 2));
        assertEquals(1 * 1 + 4 * -2 + 7 * 3 - 16777216.0, ne.xty(0, 0));
        assertEquals(1 + 4 + 9 + 16777216.0 * 16777216.0, ne.ytyTotal());
        assertArrayEquals(new double[]{11, 15, 20}, ne.sumX());
        assertEquals(4, ne.count());
    }

    @Example
    void viewsAndVectorTargetsAreRead() {
        SplittableRandom rnd = new SplittableRandom(5);
        double[][] big = Naive.gaussian(rnd, 12, 7);
        INDArray all = Nd4j.createFromArray(big);
        // rows 2..9, columns 1, 3, 5 (a strided, offset view)
        INDArray view = all.get(NDArrayIndex.interval(2, 10), NDArrayIndex.interval(1, 2, 6));
        INDArray yVec = all.get(NDArrayIndex.interval(2, 10), NDArrayIndex.point(6));
        double[][] x = new double[8][3];
        double[][] y = new double[8][1];
        for (int i = 0; i < 8; i++) {
            x[i] = new double[]{big[i + 2][1], big[i + 2][3], big[i + 2][5]};
            y[i][0] = big[i + 2][6];
        }
        NormalEquations ne = new NormalEquations(3, 1);
        ne.accumulate(view, yVec);
        assertMatchesReference(ne, x, y, 1e-12);
    }

    @Example
    void blocksAndCopies() {
        double[][] x = {{1, 2, 3}, {0, 1, -1}};
        double[][] y = {{1, 0}, {2, 5}};
        NormalEquations ne = new NormalEquations(3, 2);
        ne.accumulate(x, y);
        DMatrixRMaj block = ne.xtxBlock(new int[]{2, 0}, new int[]{1});
        assertEquals(2, block.numRows);
        assertEquals(3 * 2 + -1 * 1, block.get(0, 0));
        assertEquals(1 * 2 + 0, block.get(1, 0));
        DMatrixRMaj rows = ne.xtyRows(new int[]{1});
        assertEquals(2 * 1 + 1 * 2, rows.get(0, 0));
        assertEquals(5, rows.get(0, 1));
        ne.xtx().set(0, 0, 1e9);
        ne.yty()[0] = 1e9;
        assertEquals(1, ne.xtx(0, 0));
        assertEquals(5, ne.yty()[0]);
        NormalEquations copy = ne.copy();
        copy.merge(copy);
        assertEquals(2, copy.xtx(0, 0));
        assertEquals(4, copy.count());
        assertEquals(1, ne.xtx(0, 0));
    }

    @Example
    void shapeErrorsNameBothShapes() {
        NormalEquations ne = new NormalEquations(3, 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ne.accumulate(Nd4j.zeros(DataType.DOUBLE, 5, 3), Nd4j.zeros(DataType.DOUBLE, 4, 2)));
        assertTrue(e.getMessage().contains("[5, 3]") && e.getMessage().contains("[4, 2]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> ne.accumulate(Nd4j.zeros(DataType.DOUBLE, 5, 4), Nd4j.zeros(DataType.DOUBLE, 5, 2)));
        assertTrue(e.getMessage().contains("[5, 4]") && e.getMessage().contains("[5, 2]"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> ne.accumulate(Nd4j.zeros(DataType.INT, 5, 3), Nd4j.zeros(DataType.DOUBLE, 5, 2)));
        assertThrows(IllegalArgumentException.class, () -> ne.merge(new NormalEquations(3, 1)));
        assertThrows(IllegalArgumentException.class, () -> new NormalEquations(0, 1));
        assertThrows(IllegalArgumentException.class,
                () -> ne.accumulate(new double[][]{{1, 2, 3}}, new double[][]{{1}}));
    }
}
