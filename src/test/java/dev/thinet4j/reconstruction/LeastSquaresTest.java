package dev.thinet4j.reconstruction;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.thinet4j.sampling.NormalEquations;
import java.util.SplittableRandom;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.ejml.data.DMatrixRMaj;

class LeastSquaresTest {

    static NormalEquations stats(double[][] x, double[][] y) {
        NormalEquations ne = new NormalEquations(x[0].length, y[0].length);
        ne.accumulate(x, y);
        return ne;
    }

    /** A random subset of 0..n−1 in random order, of size ≥ 1. */
    static int[] randomColumns(SplittableRandom rnd, int n) {
        int[] perm = new int[n];
        for (int i = 0; i < n; i++) {
            perm[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = perm[i];
            perm[i] = perm[j];
            perm[j] = t;
        }
        return java.util.Arrays.copyOf(perm, 1 + rnd.nextInt(n));
    }

    static DMatrixRMaj matrix(double[][] v) {
        return new DMatrixRMaj(v);
    }

    @Property(tries = 60, seed = "31337")
    void matchesBruteForceOnWellConditionedData(@ForAll @IntRange(min = 1, max = 10) int n,
                                                @ForAll @IntRange(min = 1, max = 4) int k,
                                                @ForAll @IntRange(min = 5, max = 100) int extraRows,
                                                @ForAll boolean withRidge,
                                                @ForAll long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int m = n + extraRows;
        double[][] x = Naive.gaussian(rnd, m, n);
        double[][] y = Naive.gaussian(rnd, m, k);
        int[] cols = randomColumns(rnd, n);
        double ridge = withRidge ? 0.5 : 0;
        NormalEquations ne = stats(x, y);
        LeastSquaresSolution sol = LeastSquares.solve(ne, cols, ridge);
        double[][] ref = Naive.leastSquares(x, y, cols, ridge);
        double[][] w = sol.weightArray();
        for (int i = 0; i < cols.length; i++) {
            for (int j = 0; j < k; j++) {
                assertEquals(ref[i][j], w[i][j], 1e-9 * (1 + Math.abs(ref[i][j])));
            }
        }
        assertEquals(LeastSquares.CHOLESKY, sol.method());
        double yy = Naive.energy(y);
        double direct = Naive.sse(x, y, cols, w);
        assertEquals(direct, sol.sse(), 1e-9 * yy);
        assertEquals(Math.sqrt(direct / yy), sol.residual(), 1e-7);
    }

    @Property(tries = 40, seed = "8")
    void residualOfGivenWeightsEqualsDirectResidual(@ForAll @IntRange(min = 1, max = 8) int n,
                                                    @ForAll @IntRange(min = 1, max = 3) int k,
                                                    @ForAll @IntRange(min = 1, max = 60) int m,
                                                    @ForAll long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        double[][] x = Naive.gaussian(rnd, m, n);
        double[][] y = Naive.gaussian(rnd, m, k);
        int[] cols = randomColumns(rnd, n);
        double[][] w = Naive.gaussian(rnd, cols.length, k);
        double yy = Naive.energy(y);
        double direct = Naive.sse(x, y, cols, w);
        double viaNe = LeastSquares.residual(stats(x, y), cols, matrix(w));
        assertEquals(Math.sqrt(direct / yy), viaNe, 1e-9 * (1 + viaNe));
    }

    @Example
    void duplicatedColumnsFallBackToPseudoInverse() {
        SplittableRandom rnd = new SplittableRandom(4);
        int m = 60;
        double[][] x = Naive.gaussian(rnd, m, 5);
        double[][] y = Naive.gaussian(rnd, m, 2);
        for (double[] row : x) {
            row[3] = row[1];          // exact duplicate
            row[4] = -2 * row[0];     // scaled duplicate with opposite sign
        }
        for (int r = 0; r < m; r++) {
            y[r][0] += x[r][1] + 0.5 * x[r][0];
        }
        NormalEquations ne = stats(x, y);
        int[] all = {0, 1, 2, 3, 4};
        LeastSquaresSolution sol = LeastSquares.solve(ne, all, 0);
        assertEquals(LeastSquares.PINV, sol.method());
        double[][] w = sol.weightArray();
        for (double[] row : w) {
            for (double v : row) {
                assertTrue(Double.isFinite(v));
            }
        }
        // the residual from the normal equations equals the one computed from the samples
        double direct = Naive.sse(x, y, all, w);
        assertEquals(direct, sol.sse(), 1e-9 * Naive.energy(y));
        // no other solution does better: the independent columns' solution split in several ways
        int[] basis = {0, 1, 2};
        double[][] wb = Naive.leastSquares(x, y, basis, 0);
        double[][][] alternatives = new double[3][5][2];
        for (int j = 0; j < 2; j++) {
            // all on the first copy; all on the second copies; half and half
            alternatives[0][0][j] = wb[0][j];
            alternatives[0][1][j] = wb[1][j];
            alternatives[1][4][j] = -wb[0][j] / 2;
            alternatives[1][3][j] = wb[1][j];
            alternatives[2][0][j] = wb[0][j] / 2;
            alternatives[2][4][j] = -wb[0][j] / 4;
            alternatives[2][1][j] = wb[1][j] / 2;
            alternatives[2][3][j] = wb[1][j] / 2;
            for (double[][] alt : alternatives) {
                alt[2][j] = wb[2][j];
            }
        }
        for (double[][] alt : alternatives) {
            double other = Naive.sse(x, y, all, alt);
            assertTrue(direct <= other * (1 + 1e-10) + 1e-12, direct + " > " + other);
            assertEquals(other, direct, 1e-9 * other, "all are least-squares solutions");
        }
        // minimum norm: the duplicates share the weight in proportion to their scale
        for (int j = 0; j < 2; j++) {
            assertEquals(w[1][j], w[3][j], 1e-9);
            assertEquals(-2 * w[0][j], w[4][j], 1e-9);
        }
    }

    @Example
    void deadColumnGetsZeroWeight() {
        SplittableRandom rnd = new SplittableRandom(9);
        double[][] x = Naive.gaussian(rnd, 30, 3);
        double[][] y = Naive.gaussian(rnd, 30, 1);
        for (double[] row : x) {
            row[1] = 0;
        }
        LeastSquaresSolution sol = LeastSquares.solve(stats(x, y), new int[]{0, 1, 2}, 0);
        assertEquals(LeastSquares.PINV, sol.method());
        assertEquals(0, sol.weights().get(1, 0), 1e-12);
        double[][] ref = Naive.leastSquares(x, y, new int[]{0, 2}, 0);
        assertEquals(ref[0][0], sol.weights().get(0, 0), 1e-9);
        assertEquals(ref[1][0], sol.weights().get(2, 0), 1e-9);
    }

    @Example
    void interceptIsFittedFromTheSums() {
        SplittableRandom rnd = new SplittableRandom(12);
        int m = 80;
        double[][] x = Naive.gaussian(rnd, m, 3);
        double[][] y = new double[m][2];
        for (int r = 0; r < m; r++) {
            x[r][2] += 4;   // a column with a large mean
            y[r][0] = 2 * x[r][0] - x[r][2] + 3;
            y[r][1] = 0.5 * x[r][1] - 7 + 0.1 * Naive.gauss(rnd);
        }
        NormalEquations ne = stats(x, y);
        int[] cols = {0, 1, 2};
        LeastSquaresSolution sol = LeastSquares.solve(ne, cols, 0, true);
        assertEquals(4, sol.weights().numRows);
        assertEquals(3, sol.weights().get(3, 0), 1e-9);
        assertEquals(2, sol.weights().get(0, 0), 1e-9);
        // reference: elimination with an explicit ones column
        double[][] xa = new double[m][4];
        for (int r = 0; r < m; r++) {
            System.arraycopy(x[r], 0, xa[r], 0, 3);
            xa[r][3] = 1;
        }
        double[][] ref = Naive.leastSquares(xa, y, new int[]{0, 1, 2, 3}, 0);
        for (int i = 0; i < 4; i++) {
            for (int j = 0; j < 2; j++) {
                assertEquals(ref[i][j], sol.weights().get(i, j), 1e-9);
            }
        }
        double direct = Naive.sse(xa, y, new int[]{0, 1, 2, 3}, ref);
        assertEquals(Math.sqrt(direct / Naive.energy(y)), sol.residual(), 1e-8);
        assertEquals(sol.residual(), LeastSquares.residual(ne, cols, true, sol.weights()), 1e-8);
    }

    @Example
    void largeSingularSystemUsesAdaptiveRidge() {
        int p = LeastSquares.PINV_MAX_SIZE + 6;
        DMatrixRMaj a = new DMatrixRMaj(p, p);
        DMatrixRMaj b = new DMatrixRMaj(p, 1);
        for (int i = 0; i < p; i++) {
            a.set(i, i, 1);
            b.set(i, 0, 1 + i % 3);
        }
        a.set(0, 1, 1);
        a.set(1, 0, 1);
        a.set(1, 1, 1);         // columns 0 and 1 identical: singular
        b.set(1, 0, b.get(0, 0));
        // Y = projection on the (orthonormal) independent columns + a part of energy 5 no column explains
        double yy = 5;
        for (int i = 0; i < p; i++) {
            yy += i == 1 ? 0 : b.get(i, 0) * b.get(i, 0);
        }
        LeastSquaresSolution sol = LeastSquares.solve(a, b, yy, 0);
        assertEquals(LeastSquares.RIDGE, sol.method());
        assertTrue(sol.ridge() > 0);
        // best possible: w0 + w1 = b0, others b_i → sse = 5
        assertEquals(5, sol.sse(), 1e-5);
        // the duplicates share the weight (up to the ε/λ' error along the ridge-regularised direction)
        assertEquals(sol.weights().get(0, 0), sol.weights().get(1, 0), 1e-6);
        assertEquals(1, sol.weights().get(0, 0) + sol.weights().get(1, 0), 1e-6);
    }

    @Example
    void shapeErrorsNameBothShapes() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LeastSquares.solve(new DMatrixRMaj(5, 5), new DMatrixRMaj(4, 3), 1, 0));
        assertTrue(e.getMessage().contains("xtx is 5x5 but xty is 4x3"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> LeastSquares.solve(new DMatrixRMaj(2, 2), new DMatrixRMaj(2, 1), 1, -1));
        NormalEquations ne = new NormalEquations(3, 1);
        assertThrows(IndexOutOfBoundsException.class, () -> LeastSquares.solve(ne, new int[]{3}, 0));
        assertThrows(IllegalArgumentException.class,
                () -> LeastSquares.sumSquaredError(new DMatrixRMaj(2, 2), new DMatrixRMaj(2, 1), 1, new DMatrixRMaj(3, 1)));
    }

    @Example
    void noColumnsLeavesEverything() {
        NormalEquations ne = stats(new double[][]{{1, 2}, {3, 4}}, new double[][]{{1}, {2}});
        LeastSquaresSolution sol = LeastSquares.solve(ne, new int[0], 0);
        assertEquals(0, sol.weights().numRows);
        assertEquals(1, sol.residual(), 0);
        assertEquals(5, sol.sse(), 0);
    }
}
