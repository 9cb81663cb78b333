package dev.thinet4j.fold;

import dev.thinet4j.model.Hw;
import dev.thinet4j.model.Op;
import dev.thinet4j.model.Padding;
import dev.thinet4j.model.Tensor;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The weight arithmetic of folding and structural re-parameterisation: each method takes op records
 * and returns a new op record that computes exactly the same function (up to float rounding) where
 * the stated condition holds. Nothing is modified: op records and {@link Tensor}s are immutable.
 *
 * <p>Every sum is accumulated in double precision and rounded to float once. Each rewrite that is
 * exact only under a condition has an {@code …Obstacle} method that returns why it is not exact
 * (empty when it is); the rewrite itself throws {@link IllegalArgumentException} with that reason.
 *
 * <p>Notation: a conv weight is W[o, c, y, x] of shape [C_out, C_in/groups, k_h, k_w], its bias b[o]
 * (0 when absent); padding (top t, left l, bottom b, right r); dilation d; a BatchNorm has scale γ,
 * shift β, running mean μ, running variance σ² and ε, and s_o = γ_o / √(σ²_o + ε).
 */
public final class FoldMath {
    private FoldMath() {
    }

    // ------------------------------------------------------------------ BatchNorm

    /**
     * Folds an inference BatchNorm that reads the conv's output into the conv:
     * W'[o, ·, ·, ·] = s_o · W[o, ·, ·, ·] and b'_o = β_o + s_o · (b_o − μ_o), with
     * s_o = γ_o / √(σ²_o + ε) and b = 0 when the conv has no bias (the result always has one).
     * Always exact.
     *
     * @param conv the conv; not modified
     * @param bn   BatchNorm over the conv's C_out channels; not modified
     * @return a conv with the same geometry (strides, padding, dilation, groups) and a bias
     * @throws IllegalArgumentException when the BN's channel count is not the conv's C_out
     */
    public static Op.Conv foldBatchNorm(Op.Conv conv, Op.BatchNorm bn) {
        Objects.requireNonNull(conv, "conv");
        Objects.requireNonNull(bn, "bn");
        if (bn.channels() != conv.outChannels()) {
            throw new IllegalArgumentException("BatchNorm over " + bn.channels() + " channels cannot fold into a conv with "
                    + conv.outChannels() + " output channels");
        }
        float[][] wb = scaleRows(conv.weight(), conv.bias(), bn);
        return conv.withWeights(Tensor.of(wb[0], conv.weight().shape()), Tensor.of(wb[1], conv.outChannels()));
    }

    /**
     * Folds an inference BatchNorm over the features of a linear layer's [N, F] output into the layer:
     * W'[o, ·] = s_o · W[o, ·] and b'_o = β_o + s_o · (b_o − μ_o) (b = 0 when absent). Always exact.
     *
     * @param linear the linear layer; not modified
     * @param bn     BatchNorm over its {@code outFeatures()} features; not modified
     * @return a linear layer with a bias
     * @throws IllegalArgumentException when the BN's channel count is not the layer's output width
     */
    public static Op.Linear foldBatchNorm(Op.Linear linear, Op.BatchNorm bn) {
        Objects.requireNonNull(linear, "linear");
        Objects.requireNonNull(bn, "bn");
        if (bn.channels() != linear.outFeatures()) {
            throw new IllegalArgumentException("BatchNorm over " + bn.channels() + " features cannot fold into a linear"
                    + " layer with " + linear.outFeatures() + " outputs");
        }
        float[][] wb = scaleRows(linear.weight(), linear.bias(), bn);
        return new Op.Linear(Tensor.of(wb[0], linear.weight().shape()), Tensor.of(wb[1], linear.outFeatures()));
    }

    /** Row o of {@code weight} times s_o, and β + s·(b − μ). */
    private static float[][] scaleRows(Tensor weight, Tensor bias, Op.BatchNorm bn) {
        int rows = weight.dim(0);
        int per = weight.size() / Math.max(rows, 1);
        float[] w = weight.data();
        float[] b = new float[rows];
        for (int o = 0; o < rows; o++) {
            double s = (double) bn.scale().get(o) / Math.sqrt((double) bn.var().get(o) + bn.epsilon());
            if (!Double.isFinite(s)) {
                throw new IllegalArgumentException("BatchNorm channel " + o + " has a non-finite multiplier (scale "
                        + bn.scale().get(o) + ", var " + bn.var().get(o) + ", epsilon " + bn.epsilon() + ")");
            }
            for (int k = o * per; k < (o + 1) * per; k++) {
                w[k] = (float) (s * w[k]);
            }
            double b0 = bias == null ? 0.0 : bias.get(o);
            b[o] = (float) (bn.bias().get(o) + s * (b0 - bn.mean().get(o)));
        }
        return new float[][]{w, b};
    }

    // ------------------------------------------------------------------ parallel branches summed

    /**
     * Why the outputs of these convs, applied to one tensor and added, cannot be computed by one conv
     * (empty when they can, see {@link #sumParallel}).
     *
     * <p>Conditions: the same C_in, C_out, groups, strides and dilations; and on each axis, with
     * T = max t_i over the branches, (T − t_i) divisible by d (the kernel centres can be aligned by
     * zero-padding the smaller kernels) and t_i + b_i − d·(k_i − 1) equal for all branches (the
     * output sizes agree for every input size).
     *
     * @param convs the branch convs; not modified
     */
    public static Optional<String> parallelObstacle(List<Op.Conv> convs) {
        if (convs.isEmpty()) {
            return Optional.of("no convs to merge");
        }
        Op.Conv a = convs.get(0);
        for (int i = 1; i < convs.size(); i++) {
            Op.Conv c = convs.get(i);
            if (c.outChannels() != a.outChannels() || c.inChannels() != a.inChannels()) {
                return Optional.of("channels differ: " + a.inChannels() + "→" + a.outChannels() + " vs "
                        + c.inChannels() + "→" + c.outChannels());
            }
            if (c.groups() != a.groups()) {
                return Optional.of("groups differ: " + a.groups() + " vs " + c.groups());
            }
            if (!c.strides().equals(a.strides())) {
                return Optional.of("strides differ: " + a.strides() + " vs " + c.strides());
            }
            if (!c.dilations().equals(a.dilations())) {
                return Optional.of("dilations differ: " + a.dilations() + " vs " + c.dilations());
            }
        }
        int dh = a.dilations().h();
        int dw = a.dilations().w();
        int top = convs.stream().mapToInt(c -> c.pads().top()).max().orElseThrow();
        int left = convs.stream().mapToInt(c -> c.pads().left()).max().orElseThrow();
        for (Op.Conv c : convs) {
            if ((top - c.pads().top()) % dh != 0 || (left - c.pads().left()) % dw != 0) {
                return Optional.of("kernel centres cannot be aligned: padding " + pads(c.pads()) + " vs "
                        + top + "," + left + " at dilation " + a.dilations());
            }
            if (spanH(c) != spanH(a) || spanW(c) != spanW(a)) {
                return Optional.of("kernel " + c.kernel() + " padded " + pads(c.pads()) + " and kernel " + a.kernel()
                        + " padded " + pads(a.pads()) + " do not cover the same output positions");
            }
        }
        return Optional.empty();
    }

    /**
     * One conv equal to the sum of the outputs of parallel convs applied to the same tensor:
     * Σ_i conv_i(x) = conv(x) with W = Σ_i pad_i(W_i) and b = Σ_i b_i, where pad_i places W_i in a
     * larger kernel at offset ((T − t_i)/d_h, (L − l_i)/d_w), T and L being the largest top and left
     * padding. The result has padding top T, left L, and bottom / right chosen so that the output size
     * is unchanged; its kernel is the smallest that covers every branch window (e.g. 1×1 pad 0,
     * 1×3 pad (0, 1), 3×1 pad (1, 0) and 3×3 pad 1 give one 3×3 pad 1). Exact where
     * {@link #parallelObstacle} is empty.
     *
     * @param convs one or more branch convs; not modified
     * @return the merged conv (a bias only when some branch has one)
     * @throws IllegalArgumentException with the reason when the branches cannot be merged
     */
    public static Op.Conv sumParallel(List<Op.Conv> convs) {
        parallelObstacle(convs).ifPresent(why -> {
            throw new IllegalArgumentException("cannot merge parallel convs: " + why);
        });
        Op.Conv a = convs.get(0);
        int dh = a.dilations().h();
        int dw = a.dilations().w();
        int top = 0;
        int left = 0;
        int endH = Integer.MIN_VALUE;
        int endW = Integer.MIN_VALUE;
        for (Op.Conv c : convs) {
            top = Math.max(top, c.pads().top());
            left = Math.max(left, c.pads().left());
            endH = Math.max(endH, dh * (c.kernel().h() - 1) - c.pads().top());
            endW = Math.max(endW, dw * (c.kernel().w() - 1) - c.pads().left());
        }
        int kh = (endH + top) / dh + 1;
        int kw = (endW + left) / dw + 1;
        int bottom = spanH(a) + endH;
        int right = spanW(a) + endW;
        int out = a.outChannels();
        int inPer = a.weight().dim(1);
        double[] w = new double[out * inPer * kh * kw];
        double[] bias = null;
        for (Op.Conv c : convs) {
            int ch = c.kernel().h();
            int cw = c.kernel().w();
            int oy = (top - c.pads().top()) / dh;
            int ox = (left - c.pads().left()) / dw;
            float[] src = c.weight().data();
            for (int oc = 0; oc < out * inPer; oc++) {
                for (int y = 0; y < ch; y++) {
                    for (int x = 0; x < cw; x++) {
                        w[(oc * kh + oy + y) * kw + ox + x] += src[(oc * ch + y) * cw + x];
                    }
                }
            }
            if (c.bias() != null) {
                if (bias == null) {
                    bias = new double[out];
                }
                for (int o = 0; o < out; o++) {
                    bias[o] += c.bias().get(o);
                }
            }
        }
        return new Op.Conv(Tensor.of(toFloat(w), out, inPer, kh, kw), bias == null ? null : Tensor.of(toFloat(bias), out),
                a.strides(), new Padding(top, left, bottom, right), a.dilations(), a.groups());
    }

    /**
     * The identity map as a 1×1 conv: W[o, o mod (C/groups), 0, 0] = 1, all else 0, no bias, stride 1,
     * no padding. Used to merge a residual shortcut (or, through {@link #foldBatchNorm}, a BN-only
     * branch as in RepVGG) into parallel convs.
     *
     * @param channels  C (input and output channels)
     * @param groups    groups of the result, dividing C
     * @param dilations dilations recorded in the result (irrelevant to a 1×1 kernel, but
     *                  {@link #sumParallel} requires equal dilations)
     * @return the conv
     * @throws IllegalArgumentException when groups does not divide channels
     */
    public static Op.Conv identityConv(int channels, int groups, Hw dilations) {
        return channelwiseConv(channels, groups, new Hw(1, 1), 1f, Hw.of(1), Padding.NONE, dilations);
    }

    // ------------------------------------------------------------------ concatenation

    /**
     * Why the outputs of these convs, applied to one tensor and concatenated along the channels, cannot
     * be computed by one conv (empty when they can): they need the same C_in, kernel, strides, padding
     * and dilations, and groups 1 (with groups the stacked filters would belong to the wrong groups).
     *
     * @param convs the convs, in concatenation order; not modified
     */
    public static Optional<String> concatObstacle(List<Op.Conv> convs) {
        if (convs.isEmpty()) {
            return Optional.of("no convs to concatenate");
        }
        Op.Conv a = convs.get(0);
        for (Op.Conv c : convs) {
            if (c.groups() != 1) {
                return Optional.of("a conv has groups " + c.groups() + " (only groups 1 can be stacked)");
            }
            if (c.inChannels() != a.inChannels() || !c.kernel().equals(a.kernel()) || !c.strides().equals(a.strides())
                    || !c.pads().equals(a.pads()) || !c.dilations().equals(a.dilations())) {
                return Optional.of("geometry differs: " + geometry(a) + " vs " + geometry(c));
            }
        }
        return Optional.empty();
    }

    /**
     * One conv equal to the channel concatenation of convs applied to one tensor: the weights stacked
     * along C_out in order, W = [W_1; W_2; …] and b = [b_1; b_2; …] (0 for a conv without bias when
     * another has one). Exact where {@link #concatObstacle} is empty.
     *
     * @param convs one or more convs, in concatenation order; not modified
     * @return the stacked conv, with C_out = Σ C_out,i
     * @throws IllegalArgumentException with the reason when they cannot be stacked
     */
    public static Op.Conv concat(List<Op.Conv> convs) {
        concatObstacle(convs).ifPresent(why -> {
            throw new IllegalArgumentException("cannot stack convs: " + why);
        });
        Op.Conv a = convs.get(0);
        int out = convs.stream().mapToInt(Op.Conv::outChannels).sum();
        int per = a.weight().size() / a.outChannels();
        float[] w = new float[out * per];
        boolean anyBias = convs.stream().anyMatch(c -> c.bias() != null);
        float[] b = anyBias ? new float[out] : null;
        int at = 0;
        for (Op.Conv c : convs) {
            System.arraycopy(c.weight().data(), 0, w, at * per, c.weight().size());
            if (c.bias() != null) {
                System.arraycopy(c.bias().data(), 0, b, at, c.outChannels());
            }
            at += c.outChannels();
        }
        int[] shape = a.weight().shape();
        shape[0] = out;
        return a.withWeights(Tensor.of(w, shape), b == null ? null : Tensor.of(b, out));
    }

    // ------------------------------------------------------------------ sequential convs

    /**
     * Why {@code second(first(x))} cannot be computed by one conv (empty when it can, see
     * {@link #composeSequential}).
     *
     * <p>Conditions: both have groups 1, {@code second}'s C_in is {@code first}'s C_out, and either
     * <ul>
     *   <li>{@code second} is 1×1 with stride 1 and no padding (always exact), or</li>
     *   <li>{@code first} is 1×1 with stride 1 and no padding, and {@code second} has no padding or
     *       {@code first} has no bias or an all-zero bias. The reason: {@code second} pads the
     *       intermediate tensor y = W1·x + b1 with zeros, but the composed conv pads x with zeros, which
     *       corresponds to y = b1 at the padded positions, not 0. With b1 ≠ 0 every output whose window
     *       reaches into the padding would change by Σ W2[o, m, y, x]·b1[m] over the taps that fall in
     *       the padding.</li>
     * </ul>
     *
     * @param first  the conv applied first; not modified
     * @param second the conv reading {@code first}'s output; not modified
     */
    public static Optional<String> sequentialObstacle(Op.Conv first, Op.Conv second) {
        if (second.inChannels() != first.outChannels()) {
            return Optional.of("the second conv reads " + second.inChannels() + " channels but the first writes "
                    + first.outChannels());
        }
        if (first.groups() != 1 || second.groups() != 1) {
            return Optional.of("only groups 1 convs are composed (groups " + first.groups() + " and "
                    + second.groups() + ")");
        }
        if (isPointwise(second)) {
            return Optional.empty();
        }
        if (!isPointwise(first)) {
            return Optional.of("neither conv is 1×1 with stride 1 and no padding");
        }
        if (!second.pads().isZero() && hasNonZero(first.bias())) {
            return Optional.of("the second conv pads its input (" + pads(second.pads()) + ") and the 1×1 conv has a"
                    + " non-zero bias: its padded borders would read the bias instead of zeros");
        }
        return Optional.empty();
    }

    /**
     * One conv equal to {@code second(first(x))}; exact where {@link #sequentialObstacle} is empty.
     * <ul>
     *   <li>{@code first} 1×1 (weight W1[m, i]): the result has {@code second}'s geometry,
     *       W[o, i, y, x] = Σ_m W2[o, m, y, x]·W1[m, i] and b[o] = b2[o] + Σ_{m,y,x} W2[o, m, y, x]·b1[m].</li>
     *   <li>otherwise {@code second} 1×1 (weight W2[o, m]): the result has {@code first}'s geometry,
     *       W[o, i, y, x] = Σ_m W2[o, m]·W1[m, i, y, x] and b[o] = b2[o] + Σ_m W2[o, m]·b1[m].</li>
     * </ul>
     * Missing biases count as 0; the result has a bias when either input has one.
     *
     * @param first  the conv applied first; not modified
     * @param second the conv reading its output; not modified
     * @return the composed conv
     * @throws IllegalArgumentException with the reason when the composition would not be exact
     */
    public static Op.Conv composeSequential(Op.Conv first, Op.Conv second) {
        sequentialObstacle(first, second).ifPresent(why -> {
            throw new IllegalArgumentException("cannot compose convs: " + why);
        });
        boolean bias = first.bias() != null || second.bias() != null;
        int out = second.outChannels();
        int mid = first.outChannels();
        float[] w1 = first.weight().data();
        float[] w2 = second.weight().data();
        double[] b1 = doubles(first.bias(), mid);
        double[] b = doubles(second.bias(), out);
        if (isPointwise(first)) {
            int in = first.inChannels();
            int kk = second.kernel().h() * second.kernel().w();
            double[] w = new double[out * in * kk];
            for (int o = 0; o < out; o++) {
                for (int m = 0; m < mid; m++) {
                    int src = (o * mid + m) * kk;
                    for (int t = 0; t < kk; t++) {
                        double v = w2[src + t];
                        b[o] += v * b1[m];
                        for (int i = 0; i < in; i++) {
                            w[(o * in + i) * kk + t] += v * w1[m * in + i];
                        }
                    }
                }
            }
            return second.withWeights(Tensor.of(toFloat(w), out, in, second.kernel().h(), second.kernel().w()),
                    bias ? Tensor.of(toFloat(b), out) : null);
        }
        int per = first.weight().size() / mid;
        double[] w = new double[out * per];
        for (int o = 0; o < out; o++) {
            for (int m = 0; m < mid; m++) {
                double v = w2[o * mid + m];
                b[o] += v * b1[m];
                for (int k = 0; k < per; k++) {
                    w[o * per + k] += v * w1[m * per + k];
                }
            }
        }
        int[] shape = first.weight().shape();
        shape[0] = out;
        return first.withWeights(Tensor.of(toFloat(w), shape), bias ? Tensor.of(toFloat(b), out) : null);
    }

    // ------------------------------------------------------------------ average pooling

    /**
     * Why this average pool is not a fixed-weight conv (empty when it is): it must divide by k_h·k_w
     * everywhere, so {@code count_include_pad} or no padding, and floor mode (in ceil mode the last
     * window may reach past the padded input and is divided by its clipped size).
     *
     * @param pool the pool; not modified
     */
    public static Optional<String> avgPoolObstacle(Op.AvgPool pool) {
        if (pool.ceilMode()) {
            return Optional.of("ceil mode divides the last window by its clipped size");
        }
        if (!pool.countIncludePad() && !pool.pads().isZero()) {
            return Optional.of("padding " + pads(pool.pads()) + " without count_include_pad divides border windows"
                    + " by fewer than k_h·k_w");
        }
        return Optional.empty();
    }

    /**
     * The average pool as a conv with the pool's kernel, strides and padding, dilation 1, no bias:
     * W[o, o mod (C/groups), y, x] = 1/(k_h·k_w), all else 0. {@code groups = C} gives the depthwise
     * form [C, 1, k_h, k_w]; {@code groups = 1} the full [C, C, k_h, k_w] form that can be merged with
     * dense parallel convs. Exact where {@link #avgPoolObstacle} is empty.
     *
     * @param pool     the pool; not modified
     * @param channels C, the number of channels pooled
     * @param groups   groups of the result, dividing C
     * @return the conv
     * @throws IllegalArgumentException with the reason when the pool is not a conv, or when groups
     *                                  does not divide channels
     */
    public static Op.Conv avgPoolAsConv(Op.AvgPool pool, int channels, int groups) {
        avgPoolObstacle(pool).ifPresent(why -> {
            throw new IllegalArgumentException("average pool is not a conv: " + why);
        });
        Hw k = pool.kernel();
        return channelwiseConv(channels, groups, k, 1f / (k.h() * k.w()), pool.strides(), pool.pads(), Hw.of(1));
    }

    // ------------------------------------------------------------------ helpers

    /** W[o, o mod (C/g), ·, ·] = value over a k_h×k_w kernel. */
    private static Op.Conv channelwiseConv(int channels, int groups, Hw kernel, float value, Hw strides, Padding pads,
                                           Hw dilations) {
        if (channels < 1 || groups < 1 || channels % groups != 0) {
            throw new IllegalArgumentException("groups " + groups + " must divide channels " + channels);
        }
        int per = channels / groups;
        int kk = kernel.h() * kernel.w();
        float[] w = new float[channels * per * kk];
        for (int o = 0; o < channels; o++) {
            int base = (o * per + o % per) * kk;
            for (int t = 0; t < kk; t++) {
                w[base + t] = value;
            }
        }
        return new Op.Conv(Tensor.of(w, channels, per, kernel.h(), kernel.w()), null, strides, pads, dilations, groups);
    }

    /** 1×1, stride 1, no padding. */
    static boolean isPointwise(Op.Conv c) {
        return c.kernel().h() == 1 && c.kernel().w() == 1 && c.strides().h() == 1 && c.strides().w() == 1
                && c.pads().isZero();
    }

    /** t + b − d·(k − 1): equal for two convs iff their output heights agree for every input height. */
    private static int spanH(Op.Conv c) {
        return c.pads().top() + c.pads().bottom() - c.dilations().h() * (c.kernel().h() - 1);
    }

    private static int spanW(Op.Conv c) {
        return c.pads().left() + c.pads().right() - c.dilations().w() * (c.kernel().w() - 1);
    }

    static boolean hasNonZero(Tensor t) {
        if (t == null) {
            return false;
        }
        for (int i = 0; i < t.size(); i++) {
            if (t.get(i) != 0f) {
                return true;
            }
        }
        return false;
    }

    private static double[] doubles(Tensor t, int n) {
        double[] d = new double[n];
        if (t != null) {
            for (int i = 0; i < n; i++) {
                d[i] = t.get(i);
            }
        }
        return d;
    }

    private static float[] toFloat(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) {
            f[i] = (float) d[i];
        }
        return f;
    }

    static String pads(Padding p) {
        return p.isSymmetric() && p.top() == p.left() ? String.valueOf(p.top())
                : "(" + p.top() + "," + p.left() + "," + p.bottom() + "," + p.right() + ")";
    }

    static String geometry(Op.Conv c) {
        return c.inChannels() + "→" + c.outChannels() + " " + c.kernel() + " stride " + c.strides() + " pad "
                + pads(c.pads()) + " dilation " + c.dilations() + " groups " + c.groups();
    }
}
