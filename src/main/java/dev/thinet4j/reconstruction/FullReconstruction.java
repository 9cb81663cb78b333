package dev.thinet4j.reconstruction;

import dev.thinet4j.model.Tensor;
import dev.thinet4j.sampling.NormalEquations;
import java.util.Arrays;
import org.ejml.data.DMatrixRMaj;

/**
 * Full least-squares reconstruction of a pruned layer's consumer: all of the consumer's weights on the kept
 * input channels are refitted so that its outputs stay as close as possible to the original ones.
 *
 * <p><b>Statistics layout.</b> The {@link NormalEquations} are accumulated over full input vectors of the
 * consumer: for a conv, the patch vector x ∈ ℝ<sup>C·k<sub>h</sub>·k<sub>w</sub></sup> under one output position, ordered
 * (channel, dy, dx) like the weight [C_out, C, k_h, k_w] flattened per filter, so channel c owns the columns
 * c·k<sub>h</sub>k<sub>w</sub> … (c+1)·k<sub>h</sub>k<sub>w</sub> − 1; for a linear consumer after an NCHW flatten, the input
 * row x ∈ ℝ<sup>C·HW</sup>, channel c owning the columns c·HW … (c+1)·HW − 1. No column of ones is needed.
 *
 * <p><b>Targets and bias.</b> The targets are the C_out original outputs <i>without</i> the consumer's
 * bias, y = W·x (for ThiNet usually computed by the unpruned network). With kept columns S:
 * <ul>
 *   <li>{@link BiasRefit#KEEP}: W' = argmin ‖Y − X<sub>S</sub>W‖² + λ‖W‖²; the bias is unchanged.</li>
 *   <li>{@link BiasRefit#REFIT}: (W', δ) = argmin ‖Y − X<sub>S</sub>W − 1δᵀ‖² + λ‖W‖² (δ not penalised), solved from
 *       the system augmented with Σx, Σy and m; the new bias is b + δ (δ alone when the consumer has no
 *       bias), which absorbs the mean contribution of the removed channels.</li>
 * </ul>
 * Solvers as in {@link LeastSquares}. "Before" is the original weights restricted to the kept columns
 * (δ = 0).
 */
public final class FullReconstruction {
    private FullReconstruction() {
    }

    /**
     * A refitted consumer.
     *
     * @param weight         the new weight, [C_out, |S|, k_h, k_w] for a conv, [out, |S|·HW] for a linear
     * @param bias           the new bias [C_out], or null when the consumer had none and the bias was kept
     * @param residualBefore ‖Y − X<sub>S</sub>W<sub>orig,S</sub>‖ / ‖Y‖
     * @param residualAfter  ‖Y − X<sub>S</sub>W' − 1δᵀ‖ / ‖Y‖
     * @param method         the solver used
     */
    public record Result(Tensor weight, Tensor bias, double residualBefore, double residualAfter, String method) {
    }

    /**
     * The feature columns of the kept channels: kept[a]·cpc + p for a in order, p in 0 … cpc−1.
     *
     * @param kept              channels. Not modified.
     * @param columnsPerChannel cpc ≥ 1
     * @return the columns, kept.length·cpc of them
     */
    public static int[] channelColumns(int[] kept, int columnsPerChannel) {
        if (columnsPerChannel < 1) {
            throw new IllegalArgumentException("columns per channel must be >= 1, got " + columnsPerChannel);
        }
        int[] cols = new int[kept.length * columnsPerChannel];
        for (int a = 0; a < kept.length; a++) {
            for (int p = 0; p < columnsPerChannel; p++) {
                cols[a * columnsPerChannel + p] = kept[a] * columnsPerChannel + p;
            }
        }
        return cols;
    }

    /**
     * Refits a conv consumer (one group) on its kept input channels.
     *
     * @param ne     statistics over patch vectors, n = C·k_h·k_w, k = C_out. Not modified.
     * @param weight the consumer's original weight [C_out, C, k_h, k_w]. Not modified.
     * @param bias   its bias [C_out] or null. Not modified.
     * @param kept   kept input channels, in the order of the new weight's axis 1. Not modified.
     * @param refit  bias handling
     * @param ridge  λ ≥ 0, absolute
     * @return the new weight [C_out, |kept|, k_h, k_w] and bias, with the residuals before and after
     * @throws IllegalArgumentException naming both shapes when the weight and the statistics do not fit
     */
    public static Result conv(NormalEquations ne, Tensor weight, Tensor bias, int[] kept, BiasRefit refit,
                              double ridge) {
        if (weight.rank() != 4) {
            throw new IllegalArgumentException("conv weight must be [C_out, C, kH, kW], got "
                    + Arrays.toString(weight.shape()));
        }
        int inner = weight.dim(2) * weight.dim(3);
        Fit fit = refit(ne, weight, weight.dim(1), inner, bias, kept, refit, ridge);
        return fit.pack(new int[]{weight.dim(0), kept.length, weight.dim(2), weight.dim(3)}, bias);
    }

    /**
     * Refits a grouped conv consumer, weight W [C_out, C_in/g, k_h, k_w] with g groups, one conv group at a time:
     * the filters of conv group q (rows q·C_out/g … (q+1)·C_out/g − 1) see only q's C_in/g input channels, so their
     * least-squares problem is that of an ordinary conv with weight W<sub>q</sub> [C_out/g, C_in/g, k_h, k_w] over
     * the kept columns local[q] — solved with {@link #conv} on statistics {@code perGroup.get(q)}. Memory: one
     * group's system at a time, (|local[q]|·k_h·k_w)² doubles.
     *
     * <p>Residuals combine the groups: with SSE<sub>q</sub> = r<sub>q</sub>²·‖Y<sub>q</sub>‖², the result's residual is
     * √(Σ SSE<sub>q</sub> / Σ ‖Y<sub>q</sub>‖²) (before and after alike).
     *
     * @param perGroup statistics per conv group (n = C_in/g·k_h·k_w, k = C_out/g), g of them. Not modified.
     * @param weight   the consumer's weight [C_out, C_in/g, k_h, k_w]. Not modified.
     * @param bias     its bias [C_out] or null. Not modified.
     * @param local    per conv group, the kept local input channels in [0, C_in/g), all of one length k′. Not
     *                 modified.
     * @param refit    bias handling
     * @param ridge    λ ≥ 0, absolute
     * @return the new weight [C_out, k′, k_h, k_w] and bias, with the combined residuals; method is that of the
     *         first group (or {@code mixed} when the groups used different solvers)
     * @throws IllegalArgumentException when the shapes, the group count or the kept lengths do not fit
     */
    public static Result groupedConv(java.util.List<NormalEquations> perGroup, Tensor weight, Tensor bias,
                                     int[][] local, BiasRefit refit, double ridge) {
        int g = perGroup.size();
        if (weight.rank() != 4 || g < 1 || weight.dim(0) % g != 0 || local.length != g) {
            throw new IllegalArgumentException("grouped conv weight " + Arrays.toString(weight.shape()) + " does not fit "
                    + g + " groups of statistics and " + local.length + " kept sets");
        }
        int rows = weight.dim(0) / g;
        int kept = local[0].length;
        int inner = kept * weight.dim(2) * weight.dim(3);
        float[] w = new float[weight.dim(0) * inner];
        float[] b = null;
        double sseBefore = 0;
        double sseAfter = 0;
        double yy = 0;
        String method = null;
        for (int q = 0; q < g; q++) {
            if (local[q].length != kept) {
                throw new IllegalArgumentException("conv group " + q + " keeps " + local[q].length + " channels, group 0 "
                        + kept);
            }
            int[] idx = java.util.stream.IntStream.range(q * rows, (q + 1) * rows).toArray();
            Tensor bq = bias == null ? null : bias.select(0, idx);
            NormalEquations ne = perGroup.get(q);
            Result r = conv(ne, weight.select(0, idx), bq, local[q], refit, ridge);
            System.arraycopy(r.weight().data(), 0, w, q * rows * inner, rows * inner);
            if (r.bias() != null) {
                if (b == null) {
                    b = new float[weight.dim(0)];
                }
                System.arraycopy(r.bias().data(), 0, b, q * rows, rows);
            }
            double y = ne.ytyTotal();
            yy += y;
            sseBefore += r.residualBefore() * r.residualBefore() * y;
            sseAfter += r.residualAfter() * r.residualAfter() * y;
            method = method == null || method.equals(r.method()) ? r.method() : "mixed";
        }
        return new Result(Tensor.of(w, weight.dim(0), kept, weight.dim(2), weight.dim(3)),
                b == null ? null : Tensor.of(b, b.length), LeastSquares.normalise(sseBefore, yy),
                LeastSquares.normalise(sseAfter, yy), method);
    }

    /**
     * Refits a linear consumer [out, C·HW] whose input is an NCHW-flattened feature map.
     *
     * @param ne                statistics over input rows, n = C·HW, k = out. Not modified.
     * @param weight            [out, C·HW]. Not modified.
     * @param bias              [out] or null. Not modified.
     * @param kept              kept channels. Not modified.
     * @param columnsPerChannel HW ≥ 1
     * @param refit             bias handling
     * @param ridge             λ ≥ 0, absolute
     * @return the new weight [out, |kept|·HW] and bias, with the residuals before and after
     * @throws IllegalArgumentException naming the shapes when the weight and the statistics do not fit
     */
    public static Result linear(NormalEquations ne, Tensor weight, Tensor bias, int[] kept, int columnsPerChannel,
                                BiasRefit refit, double ridge) {
        if (weight.rank() != 2 || columnsPerChannel < 1 || weight.dim(1) % columnsPerChannel != 0) {
            throw new IllegalArgumentException("linear weight " + Arrays.toString(weight.shape())
                    + " does not split into blocks of " + columnsPerChannel + " columns per channel");
        }
        Fit fit = refit(ne, weight, weight.dim(1) / columnsPerChannel, columnsPerChannel, bias, kept, refit, ridge);
        return fit.pack(new int[]{weight.dim(0), kept.length * columnsPerChannel}, bias);
    }

    /** The solved weights (row-major [out, |cols|]), the intercept δ or null, and the residuals. */
    private record Fit(float[] weight, double[] delta, double residualBefore, LeastSquaresSolution solution) {
        Result pack(int[] shape, Tensor bias) {
            Tensor newBias = bias;
            if (delta != null) {
                float[] b = new float[delta.length];
                for (int o = 0; o < b.length; o++) {
                    b[o] = (float) ((bias == null ? 0.0 : bias.get(o)) + delta[o]);
                }
                newBias = Tensor.of(b, b.length);
            }
            return new Result(Tensor.of(weight, shape), newBias, residualBefore, solution.residual(),
                    solution.method());
        }
    }

    private static Fit refit(NormalEquations ne, Tensor weight, int channels, int inner, Tensor bias, int[] kept,
                                 BiasRefit refit, double ridge) {
        int out = weight.dim(0);
        if (ne.features() != channels * inner || ne.targets() != out) {
            throw new IllegalArgumentException("weight " + Arrays.toString(weight.shape()) + " needs statistics with n="
                    + channels * inner + " features and k=" + out + " targets, but they have n=" + ne.features()
                    + ", k=" + ne.targets());
        }
        if (bias != null && bias.size() != out) {
            throw new IllegalArgumentException("bias " + Arrays.toString(bias.shape()) + " does not match weight "
                    + Arrays.toString(weight.shape()));
        }
        for (int c : kept) {
            if (c < 0 || c >= channels) {
                throw new IllegalArgumentException("kept channel " + c + " outside [0, " + channels + ") of weight "
                        + Arrays.toString(weight.shape()));
            }
        }
        boolean intercept = refit == BiasRefit.REFIT;
        int[] cols = channelColumns(kept, inner);
        float[] src = weight.data();
        DMatrixRMaj before = new DMatrixRMaj(cols.length + (intercept ? 1 : 0), out);
        for (int a = 0; a < kept.length; a++) {
            for (int p = 0; p < inner; p++) {
                for (int o = 0; o < out; o++) {
                    before.set(a * inner + p, o, src[(o * channels + kept[a]) * inner + p]);
                }
            }
        }
        double residualBefore = LeastSquares.residual(ne, cols, intercept, before);
        LeastSquaresSolution sol = LeastSquares.solve(ne, cols, ridge, intercept);
        DMatrixRMaj w = sol.weights();
        float[] dst = new float[out * cols.length];
        for (int r = 0; r < cols.length; r++) {
            for (int o = 0; o < out; o++) {
                dst[o * cols.length + r] = (float) w.get(r, o);
            }
        }
        double[] delta = null;
        if (intercept) {
            delta = new double[out];
            for (int o = 0; o < out; o++) {
                delta[o] = w.get(cols.length, o);
            }
        }
        return new Fit(dst, delta, residualBefore, sol);
    }
}
