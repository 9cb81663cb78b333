package dev.thinet4j.reconstruction;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.thinet4j.model.Tensor;
import dev.thinet4j.sampling.NormalEquations;
import java.util.SplittableRandom;
import net.jqwik.api.Example;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

class ReconstructionTest {

    @Example
    void parseNames() {
        assertEquals(Reconstruction.NONE, Reconstruction.parse("none"));
        assertEquals(Reconstruction.SCALE, Reconstruction.parse("Scale"));
        assertEquals(Reconstruction.FULL, Reconstruction.parse("full"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Reconstruction.parse("half"));
        assertTrue(e.getMessage().contains("none, scale, full"), e.getMessage());
    }

    // ------------------------------------------------------------------ scale reconstruction

    /** Contribution statistics with ŷ = Σ_c x̂_c. */
    static NormalEquations contributions(double[][] x) {
        double[][] y = new double[x.length][1];
        for (int r = 0; r < x.length; r++) {
            for (double v : x[r]) {
                y[r][0] += v;
            }
        }
        return LeastSquaresTest.stats(x, y);
    }

    @Property(tries = 50, seed = "2017")
    void scalesNeverIncreaseTheResidual(@ForAll @IntRange(min = 2, max = 16) int c,
                                        @ForAll @IntRange(min = 3, max = 120) int m,
                                        @ForAll long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        double[][] x = Naive.gaussian(rnd, m, c);
        int[] kept = LeastSquaresTest.randomColumns(rnd, c);
        ScaleReconstruction.Result fit = ScaleReconstruction.fit(contributions(x), kept, 0);
        // the normal-equation residual is accurate to about √ε ≈ 1.5e-8 (cancellation in ‖Y‖² − 2tr + tr)
        assertTrue(fit.residualAfter() <= fit.residualBefore() + 1e-7,
                fit.residualAfter() + " > " + fit.residualBefore());
        // before: the unscaled kept channels, from the samples
        double[][] y = new double[m][1];
        for (int r = 0; r < m; r++) {
            for (double v : x[r]) {
                y[r][0] += v;
            }
        }
        double[][] ones = new double[kept.length][1];
        for (double[] row : ones) {
            row[0] = 1;
        }
        double yy = Naive.energy(y);
        assertEquals(Math.sqrt(Naive.sse(x, y, kept, ones) / yy), fit.residualBefore(), 1e-7);
        if (kept.length < m) {
            double[][] ref = Naive.leastSquares(x, y, kept, 0);
            for (int i = 0; i < kept.length; i++) {
                assertEquals(ref[i][0], fit.scales()[i], 1e-8 * (1 + Math.abs(ref[i][0])));
            }
        }
    }

    @Example
    void removedChannelThatCopiesAKeptOneIsAbsorbedByItsScale() {
        SplittableRandom rnd = new SplittableRandom(6);
        double[][] x = Naive.gaussian(rnd, 40, 4);
        for (double[] row : x) {
            row[2] = 0.5 * row[0];
        }
        ScaleReconstruction.Result fit = ScaleReconstruction.fit(contributions(x), new int[]{0, 1, 3}, 0);
        assertArrayEquals(new double[]{1.5, 1, 1}, fit.scales(), 1e-10);
        assertTrue(fit.residualAfter() < 1e-7);
        assertTrue(fit.residualBefore() > 0.1);
        assertEquals(LeastSquares.CHOLESKY, fit.method());
    }

    @Example
    void scalesAreMultipliedIntoConvAndLinearWeights() {
        // conv [2, 3, 1, 2] = 0..11; keep channels 2 then 0 with scales 2, −1
        float[] w = new float[12];
        for (int i = 0; i < 12; i++) {
            w[i] = i;
        }
        Tensor conv = Tensor.of(w, 2, 3, 1, 2);
        Tensor scaled = ScaleReconstruction.scaleConvInputs(conv, new int[]{2, 0}, new double[]{2, -1});
        assertArrayEquals(new int[]{2, 2, 1, 2}, scaled.shape());
        assertArrayEquals(new float[]{8, 10, -0f, -1, 20, 22, -6, -7}, scaled.data());
        // linear [2, 3·2]: channel c owns columns 2c, 2c+1
        Tensor lin = Tensor.of(w, 2, 6);
        Tensor ls = ScaleReconstruction.scaleLinearInputs(lin, new int[]{1}, new double[]{3}, 2);
        assertArrayEquals(new int[]{2, 2}, ls.shape());
        assertArrayEquals(new float[]{6, 9, 24, 27}, ls.data());
        assertThrows(IllegalArgumentException.class,
                () -> ScaleReconstruction.scaleLinearInputs(lin, new int[]{1}, new double[]{3}, 4));
        assertThrows(IllegalArgumentException.class,
                () -> ScaleReconstruction.scaleConvInputs(conv, new int[]{3}, new double[]{1}));
        assertThrows(IllegalArgumentException.class,
                () -> ScaleReconstruction.scaleConvInputs(conv, new int[]{1}, new double[]{1, 2}));
        assertThrows(IllegalArgumentException.class,
                () -> ScaleReconstruction.fit(new NormalEquations(3, 2), new int[]{0}, 0));
    }

    // ------------------------------------------------------------------ full reconstruction

    /** Patch rows for C channels of kh·kw columns each, and a random weight [cout, C, kh, kw]. */
    private record ConvCase(double[][] x, float[] w, int cout, int c, int kh, int kw) {
        Tensor weight() {
            return Tensor.of(w, cout, c, kh, kw);
        }

        /** Pre-bias targets y = W·x, computed from the float weights in double. */
        double[][] targets() {
            int n = c * kh * kw;
            double[][] y = new double[x.length][cout];
            for (int r = 0; r < x.length; r++) {
                for (int o = 0; o < cout; o++) {
                    for (int i = 0; i < n; i++) {
                        y[r][o] += w[o * n + i] * x[r][i];
                    }
                }
            }
            return y;
        }
    }

    private static ConvCase convCase(SplittableRandom rnd, int m, int cout, int c, int kh, int kw) {
        double[][] x = Naive.gaussian(rnd, m, c * kh * kw);
        float[] w = new float[cout * c * kh * kw];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) Naive.gauss(rnd);
        }
        return new ConvCase(x, w, cout, c, kh, kw);
    }

    @Example
    void fullConvRecoversTheKeptWeightsInLayout() {
        SplittableRandom rnd = new SplittableRandom(21);
        ConvCase cc = convCase(rnd, 200, 3, 4, 2, 3);
        // the targets come from other weights, in which channel 1 is zero: they depend on channels 0, 2, 3 only
        float[] w = convCase(rnd, 1, 3, 4, 2, 3).w();
        for (int o = 0; o < 3; o++) {
            for (int p = 0; p < 6; p++) {
                w[(o * 4 + 1) * 6 + p] = 0;
            }
        }
        ConvCase planted = new ConvCase(cc.x(), w, 3, 4, 2, 3);
        NormalEquations ne = LeastSquaresTest.stats(planted.x(), planted.targets());
        int[] kept = {3, 0, 2};   // any order: the new weight follows it
        FullReconstruction.Result r = FullReconstruction.conv(ne, cc.weight(), null, kept, BiasRefit.KEEP, 0);
        assertArrayEquals(new int[]{3, 3, 2, 3}, r.weight().shape());
        Tensor expected = planted.weight().select(1, kept);
        float[] got = r.weight().data();
        float[] want = expected.data();
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], got[i], 1e-5);
        }
        assertNull(r.bias());
        assertTrue(r.residualAfter() < 1e-6, "after " + r.residualAfter());
        assertTrue(r.residualBefore() > 0.1, "the original weights differ from the planted ones");
        assertEquals(LeastSquares.CHOLESKY, r.method());
    }

    @Property(tries = 30, seed = "555")
    void fullNeverIncreasesTheResidualAndMatchesBruteForce(@ForAll @IntRange(min = 2, max = 5) int c,
                                                           @ForAll @IntRange(min = 1, max = 3) int cout,
                                                           @ForAll @IntRange(min = 1, max = 2) int kh,
                                                           @ForAll boolean refitBias,
                                                           @ForAll long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        ConvCase cc = convCase(rnd, 80, cout, c, kh, 2);
        double[][] y = cc.targets();
        for (double[] row : y) {
            for (int o = 0; o < cout; o++) {
                row[o] += Naive.gauss(rnd);   // the pruned network's inputs no longer explain everything
            }
        }
        int[] kept = LeastSquaresTest.randomColumns(rnd, c);
        float[] bias = new float[cout];
        for (int o = 0; o < cout; o++) {
            bias[o] = o + 0.5f;
        }
        BiasRefit mode = refitBias ? BiasRefit.REFIT : BiasRefit.KEEP;
        FullReconstruction.Result r = FullReconstruction.conv(LeastSquaresTest.stats(cc.x(), y), cc.weight(),
                Tensor.of(bias, cout), kept, mode, 0);
        assertTrue(r.residualAfter() <= r.residualBefore() + 1e-7, r.residualAfter() + " > " + r.residualBefore());

        int per = kh * 2;
        int[] cols = FullReconstruction.channelColumns(kept, per);
        double[][] xa = cc.x();
        int[] colsA = cols;
        if (refitBias) {
            xa = new double[cc.x().length][];
            for (int i = 0; i < xa.length; i++) {
                xa[i] = java.util.Arrays.copyOf(cc.x()[i], c * per + 1);
                xa[i][c * per] = 1;
            }
            colsA = java.util.Arrays.copyOf(cols, cols.length + 1);
            colsA[cols.length] = c * per;
        }
        double[][] ref = Naive.leastSquares(xa, y, colsA, 0);
        float[] got = r.weight().data();
        for (int o = 0; o < cout; o++) {
            for (int i = 0; i < cols.length; i++) {
                assertEquals((float) ref[i][o], got[o * cols.length + i], 1e-5 * (1 + Math.abs(ref[i][o])));
            }
            float expectedBias = refitBias ? (float) (bias[o] + ref[cols.length][o]) : bias[o];
            assertEquals(expectedBias, r.bias().get(o), 1e-5 * (1 + Math.abs(expectedBias)));
        }
        double yy = Naive.energy(y);
        assertEquals(Math.sqrt(Naive.sse(xa, y, colsA, ref) / yy), r.residualAfter(), 1e-7);
        // before: the original weights restricted to the kept columns
        double[][] before = new double[colsA.length][cout];
        for (int o = 0; o < cout; o++) {
            for (int i = 0; i < cols.length; i++) {
                before[i][o] = cc.w()[o * c * per + cols[i]];
            }
        }
        assertEquals(Math.sqrt(Naive.sse(xa, y, colsA, before) / yy), r.residualBefore(), 1e-7);
    }

    @Example
    void biasRefitAbsorbsTheMeanOfARemovedConstantChannel() {
        SplittableRandom rnd = new SplittableRandom(33);
        ConvCase cc = convCase(rnd, 150, 2, 3, 1, 2);
        for (double[] row : cc.x()) {
            row[2] = 3;   // channel 1 (columns 2, 3) is constant: a saturated activation
            row[3] = 3;
        }
        double[][] y = cc.targets();
        NormalEquations ne = LeastSquaresTest.stats(cc.x(), y);
        Tensor bias = Tensor.of(new float[]{1, -1}, 2);
        int[] kept = {0, 2};
        FullReconstruction.Result refit = FullReconstruction.conv(ne, cc.weight(), bias, kept, BiasRefit.REFIT, 0);
        FullReconstruction.Result keep = FullReconstruction.conv(ne, cc.weight(), bias, kept, BiasRefit.KEEP, 0);
        assertTrue(refit.residualAfter() < 1e-6, "refit " + refit.residualAfter());
        assertTrue(keep.residualAfter() > 0.05, "keep " + keep.residualAfter());
        assertEquals(bias, keep.bias());
        for (int o = 0; o < 2; o++) {
            double lost = 3.0 * (cc.w()[o * 6 + 2] + cc.w()[o * 6 + 3]);
            assertEquals(bias.get(o) + lost, refit.bias().get(o), 1e-5);
        }
        Tensor expected = cc.weight().select(1, kept);
        float[] got = refit.weight().data();
        for (int i = 0; i < got.length; i++) {
            assertEquals(expected.get(i), got[i], 1e-5);
        }
        // a consumer without bias gets one
        assertEquals(refit.bias().get(0) - 1,
                FullReconstruction.conv(ne, cc.weight(), null, kept, BiasRefit.REFIT, 0).bias().get(0), 1e-5);
    }

    @Example
    void fullLinearUsesChannelBlocks() {
        SplittableRandom rnd = new SplittableRandom(44);
        int c = 3;
        int hw = 4;
        double[][] x = Naive.gaussian(rnd, 100, c * hw);
        float[] w = new float[2 * c * hw];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) Naive.gauss(rnd);
        }
        double[][] y = new double[100][2];
        for (int r = 0; r < 100; r++) {
            for (int o = 0; o < 2; o++) {
                for (int i = 0; i < c * hw; i++) {
                    if (i / hw != 1) {     // channel 1 does not contribute
                        y[r][o] += w[o * c * hw + i] * x[r][i];
                    }
                }
            }
        }
        Tensor weight = Tensor.of(w, 2, c * hw);
        FullReconstruction.Result r = FullReconstruction.linear(LeastSquaresTest.stats(x, y), weight, null,
                new int[]{0, 2}, hw, BiasRefit.KEEP, 0);
        assertArrayEquals(new int[]{2, 2 * hw}, r.weight().shape());
        for (int o = 0; o < 2; o++) {
            for (int i = 0; i < hw; i++) {
                assertEquals(w[o * 12 + i], r.weight().at(o, i), 1e-5);
                assertEquals(w[o * 12 + 8 + i], r.weight().at(o, hw + i), 1e-5);
            }
        }
        assertTrue(r.residualAfter() < 1e-6);
    }

    @Example
    void fullShapeErrorsNameBothShapes() {
        NormalEquations ne = new NormalEquations(12, 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FullReconstruction.conv(ne, Tensor.zeros(2, 4, 2, 2), null, new int[]{0}, BiasRefit.KEEP, 0));
        assertTrue(e.getMessage().contains("[2, 4, 2, 2]") && e.getMessage().contains("n=12"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> FullReconstruction.conv(ne, Tensor.zeros(2, 3, 2, 2), null, new int[]{3}, BiasRefit.KEEP, 0));
        assertThrows(IllegalArgumentException.class,
                () -> FullReconstruction.conv(ne, Tensor.zeros(2, 3, 2, 2), Tensor.zeros(3), new int[]{0},
                        BiasRefit.KEEP, 0));
        assertThrows(IllegalArgumentException.class,
                () -> FullReconstruction.linear(ne, Tensor.zeros(2, 12), null, new int[]{0}, 5, BiasRefit.KEEP, 0));
        assertArrayEquals(new int[]{6, 7, 8, 0, 1, 2}, FullReconstruction.channelColumns(new int[]{2, 0}, 3));
    }
}
