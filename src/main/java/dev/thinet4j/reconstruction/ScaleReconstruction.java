package dev.thinet4j.reconstruction;

import dev.thinet4j.model.Tensor;
import dev.thinet4j.sampling.NormalEquations;
import java.util.Arrays;
import org.ejml.data.DMatrixRMaj;

/**
 * ThiNet's scale reconstruction (Luo et al. 2017, eq. 7): after pruning, one scale per kept input channel
 * of the consumer, ŵ = argmin<sub>w</sub> Σ<sub>samples</sub> (ŷ − Σ<sub>c∈S</sub> w<sub>c</sub> x̂<sub>c</sub>)², fitted from the
 * contribution statistics (rows x̂ ∈ ℝᶜ, target ŷ, k = 1) with {@link LeastSquares}; then each scale is
 * multiplied into the consumer's weights of its channel.
 */
public final class ScaleReconstruction {
    private ScaleReconstruction() {
    }

    /**
     * A fitted set of scales.
     *
     * @param kept           the kept channels, in the order of {@code scales}
     * @param scales         ŵ, one per kept channel
     * @param residualBefore ‖ŷ − X̂<sub>S</sub>1‖ / ‖ŷ‖ with all scales 1 (the unscaled kept weights)
     * @param residualAfter  ‖ŷ − X̂<sub>S</sub>ŵ‖ / ‖ŷ‖
     * @param method         the solver used ({@link LeastSquares#CHOLESKY}, {@link LeastSquares#PINV}, {@link LeastSquares#RIDGE})
     */
    public record Result(int[] kept, double[] scales, double residualBefore, double residualAfter, String method) {
        /**
         * Checks the lengths and copies the arrays.
         *
         * @param kept see the record description
         * @param scales see the record description
         * @param residualBefore see the record description
         * @param residualAfter see the record description
         * @param method see the record description
         * @throws IllegalArgumentException when kept and scales differ in length
         */
        public Result {
            kept = kept.clone();
            scales = scales.clone();
            if (kept.length != scales.length) {
                throw new IllegalArgumentException(kept.length + " kept channels but " + scales.length + " scales");
            }
        }

        /** @return a copy of the kept channels */
        @Override
        public int[] kept() {
            return kept.clone();
        }

        /** @return a copy of the scales */
        @Override
        public double[] scales() {
            return scales.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Result r && Arrays.equals(kept, r.kept) && Arrays.equals(scales, r.scales)
                    && Double.compare(residualBefore, r.residualBefore) == 0
                    && Double.compare(residualAfter, r.residualAfter) == 0 && method.equals(r.method);
        }

        @Override
        public int hashCode() {
            return 31 * (31 * Arrays.hashCode(kept) + Arrays.hashCode(scales)) + method.hashCode();
        }

        @Override
        public String toString() {
            return "ScaleReconstruction.Result[kept=" + kept.length + ", before=" + residualBefore + ", after="
                    + residualAfter + ", method=" + method + "]";
        }
    }

    /**
     * Fits ŵ by solving (X̂<sub>S</sub>ᵀX̂<sub>S</sub> + λI) ŵ = X̂<sub>S</sub>ᵀŷ (see {@link LeastSquares} for the solvers).
     *
     * @param contributions statistics with n = C features and k = 1 target. Not modified.
     * @param kept          the kept channels S. Not modified.
     * @param ridge         λ ≥ 0, absolute
     * @return the scales ŵ and the residuals with scales 1 and with ŵ
     * @throws IllegalArgumentException when k ≠ 1 or a channel is out of range
     */
    public static Result fit(NormalEquations contributions, int[] kept, double ridge) {
        if (contributions.targets() != 1) {
            throw new IllegalArgumentException("scale reconstruction needs one target (k = 1), got k = "
                    + contributions.targets());
        }
        LeastSquaresSolution sol = LeastSquares.solve(contributions, kept, ridge);
        DMatrixRMaj ones = new DMatrixRMaj(kept.length, 1);
        ones.fill(1.0);
        double before = LeastSquares.residual(contributions, kept, ones);
        double[] scales = new double[kept.length];
        DMatrixRMaj w = sol.weights();
        for (int i = 0; i < scales.length; i++) {
            scales[i] = w.get(i, 0);
        }
        return new Result(kept, scales, before, sol.residual(), sol.method());
    }

    /**
     * Keeps the given input channels of a conv weight and scales them: out[o, a, …] = scales[a]·w[o, kept[a], …].
     *
     * @param weight [C_out, C, k_h, k_w] (any rank ≥ 2; axis 1 is the input channel). Not modified.
     * @param kept   input channels to keep, in output order. Not modified.
     * @param scales one scale per kept channel. Not modified.
     * @return a new weight [C_out, |kept|, k_h, k_w]
     */
    public static Tensor scaleConvInputs(Tensor weight, int[] kept, double[] scales) {
        if (weight.rank() < 2) {
            throw new IllegalArgumentException("conv weight must have rank >= 2, got " + Arrays.toString(weight.shape()));
        }
        int inner = 1;
        for (int d = 2; d < weight.rank(); d++) {
            inner *= weight.dim(d);
        }
        float[] out = scaleBlocks(weight, weight.dim(1), inner, kept, scales);
        int[] shape = weight.shape();
        shape[1] = kept.length;
        return Tensor.of(out, shape);
    }

    /**
     * Keeps and scales, in each row of a grouped conv weight, the columns of its own conv group:
     * out[o, a, …] = scales[q][a]·w[o, local[q][a], …] with q = ⌊o / (C_out/g)⌋.
     *
     * @param weight [C_out, C_in/g, k_h, k_w]. Not modified.
     * @param local  per conv group q (g of them), the kept local input channels in [0, C_in/g), all of one length
     *               k′. Not modified.
     * @param scales per conv group, one scale per kept channel, shaped like {@code local}. Not modified.
     * @return a new weight [C_out, k′, k_h, k_w]
     * @throws IllegalArgumentException when the shapes do not fit
     */
    public static Tensor scaleGroupedConvInputs(Tensor weight, int[][] local, double[][] scales) {
        int g = local.length;
        if (weight.rank() != 4 || g < 1 || weight.dim(0) % g != 0 || scales.length != g) {
            throw new IllegalArgumentException("grouped conv weight " + Arrays.toString(weight.shape()) + " does not fit "
                    + g + " kept sets and " + scales.length + " scale sets");
        }
        int cout = weight.dim(0);
        int per = weight.dim(1);
        int kk = weight.dim(2) * weight.dim(3);
        int kept = local[0].length;
        int rows = cout / g;
        for (int q = 0; q < g; q++) {
            if (local[q].length != kept || scales[q].length != kept) {
                throw new IllegalArgumentException("conv group " + q + " has " + local[q].length + " kept channels and "
                        + scales[q].length + " scales, group 0 keeps " + kept);
            }
            for (int l : local[q]) {
                if (l < 0 || l >= per) {
                    throw new IllegalArgumentException("kept channel " + l + " outside [0, " + per + ") of weight "
                            + Arrays.toString(weight.shape()));
                }
            }
        }
        float[] src = weight.data();
        float[] out = new float[cout * kept * kk];
        for (int o = 0; o < cout; o++) {
            int q = o / rows;
            for (int a = 0; a < kept; a++) {
                int sI = (o * per + local[q][a]) * kk;
                int d = (o * kept + a) * kk;
                double f = scales[q][a];
                for (int p = 0; p < kk; p++) {
                    out[d + p] = (float) (src[sI + p] * f);
                }
            }
        }
        return Tensor.of(out, cout, kept, weight.dim(2), weight.dim(3));
    }

    /**
     * Keeps the given channel blocks of a linear weight and scales them: the input features of channel c are
     * the columns c·hw … (c+1)·hw − 1 (NCHW flattening), and out[o, a·hw + p] = scales[a]·w[o, kept[a]·hw + p].
     *
     * @param weight            [out, C·hw]. Not modified.
     * @param kept              channels to keep, in output order. Not modified.
     * @param scales            one per kept channel. Not modified.
     * @param columnsPerChannel hw ≥ 1
     * @return a new weight [out, |kept|·hw]
     */
    public static Tensor scaleLinearInputs(Tensor weight, int[] kept, double[] scales, int columnsPerChannel) {
        if (weight.rank() != 2 || columnsPerChannel < 1 || weight.dim(1) % columnsPerChannel != 0) {
            throw new IllegalArgumentException("linear weight " + Arrays.toString(weight.shape())
                    + " does not split into blocks of " + columnsPerChannel + " columns per channel");
        }
        float[] out = scaleBlocks(weight, weight.dim(1) / columnsPerChannel, columnsPerChannel, kept, scales);
        return Tensor.of(out, weight.dim(0), kept.length * columnsPerChannel);
    }

    private static float[] scaleBlocks(Tensor weight, int channels, int inner, int[] kept, double[] scales) {
        if (kept.length != scales.length) {
            throw new IllegalArgumentException(kept.length + " kept channels but " + scales.length + " scales");
        }
        for (int c : kept) {
            if (c < 0 || c >= channels) {
                throw new IllegalArgumentException("kept channel " + c + " outside [0, " + channels + ") of weight "
                        + Arrays.toString(weight.shape()));
            }
        }
        int outer = weight.dim(0);
        float[] src = weight.data();
        float[] out = new float[outer * kept.length * inner];
        for (int o = 0; o < outer; o++) {
            for (int a = 0; a < kept.length; a++) {
                int s = (o * channels + kept[a]) * inner;
                int d = (o * kept.length + a) * inner;
                double f = scales[a];
                for (int p = 0; p < inner; p++) {
                    out[d + p] = (float) (src[s + p] * f);
                }
            }
        }
        return out;
    }
}
