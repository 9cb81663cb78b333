package dev.thinet4j.sampling;

import dev.thinet4j.reconstruction.Naive;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The blocked BLAS path of {@link NormalEquations#accumulate(INDArray, INDArray)} with more than one row block
 * and more than one product panel (n² doubles above {@link NormalEquations#BLOCK_BYTES}), against the
 * plain-loop path.
 */
class NormalEquationsBlockingTest {

    @Test
    void severalBlocksAndPanelsEqualThePlainLoops() {
        int n = 800;
        int k = 3;
        int m = 1100;
        // more than one block of rows and more than one panel of the product
        assertEquals(true, 8L * n * n > NormalEquations.BLOCK_BYTES);
        SplittableRandom rnd = new SplittableRandom(17);
        double[][] x = Naive.gaussian(rnd, m, n);
        double[][] y = Naive.gaussian(rnd, m, k);
        for (double[] row : x) {
            for (int j = 0; j < n; j += 7) {
                row[j] = 0; // sparse columns like ReLU outputs
            }
        }
        NormalEquations loops = new NormalEquations(n, k);
        loops.accumulate(x, y);
        NormalEquations blas = new NormalEquations(n, k);
        try (INDArray xs = Nd4j.createFromArray(x).castTo(DataType.FLOAT).castTo(DataType.DOUBLE);
             INDArray xd = Nd4j.createFromArray(x);
             INDArray yd = Nd4j.createFromArray(y)) {
            blas.accumulate(xd, yd);
            // a second, float32 batch goes through the same blocks
            NormalEquations twice = new NormalEquations(n, k);
            twice.accumulate(xd, yd);
            twice.accumulate(xs.castTo(DataType.FLOAT), yd.castTo(DataType.FLOAT));
            assertEquals(2L * m, twice.count());
        }
        double[] a = loops.xtx().data;
        double[] b = blas.xtx().data;
        double scale = 0;
        for (double v : a) {
            scale = Math.max(scale, Math.abs(v));
        }
        for (int i = 0; i < a.length; i++) {
            assertEquals(a[i], b[i], 1e-12 * scale, "xtx element " + i);
        }
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < i; j++) {
                assertEquals(blas.xtx(i, j), blas.xtx(j, i), 0.0, "exactly symmetric");
            }
        }
        assertArrayEquals(loops.xty().data, blas.xty().data, 1e-9);
        assertArrayEquals(loops.sumX(), blas.sumX(), 1e-9);
        assertArrayEquals(loops.yty(), blas.yty(), 1e-9);
        assertArrayEquals(loops.sumY(), blas.sumY(), 1e-9);
        assertEquals(m, blas.count());
    }
}
