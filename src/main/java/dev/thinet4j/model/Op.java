package dev.thinet4j.model;

import java.util.Arrays;
import java.util.List;

/**
 * The operations a {@link Network} can hold, one immutable record per operation, over NCHW float32
 * tensors. Each knows its output shape, its learnable parameter count (PyTorch convention: BN running
 * statistics excluded) and its multiply-accumulate count for one forward pass.
 *
 * <p>Shapes passed to {@link #outputShape} include the batch dimension (any positive value).
 */
public sealed interface Op {

    /** The ONNX operator type this op is written as. */
    String onnxType();

    /** Number of inputs the op takes; -1 for "one or more". */
    default int arity() {
        return 1;
    }

    /**
     * @param inputs shapes of the inputs, batch first. Not modified.
     * @return the output shape
     * @throws IllegalArgumentException naming both shapes when the inputs do not fit the op
     */
    int[] outputShape(List<int[]> inputs);

    /**
     * How output channels map to input channels (see {@link ChannelRule}); the coupled-channel
     * analysis reads nothing else about the op's kind.
     *
     * @return this op's rule; some ops answer depending on their parameters (a Softmax over the
     *         channel axis mixes, over another axis it passes channels through)
     */
    ChannelRule channelRule();

    /** Learnable parameters (weights, biases, BN scale and shift). */
    default long params() {
        return 0;
    }

    /** Multiply-accumulates for one sample (batch 1). Conv: C_out·H_out·W_out·(C_in/groups)·k_h·k_w; linear: in·out. */
    default long macs(List<int[]> inputs, int[] output) {
        return 0;
    }

    // ---------------------------------------------------------------- layers with weights

    /**
     * 2-D convolution. Weight shape [C_out, C_in/groups, k_h, k_w]; optional bias [C_out].
     * Output size per axis: ⌊(H + pad_begin + pad_end − dilation·(k − 1) − 1) / stride⌋ + 1.
     */
    record Conv(Tensor weight, Tensor bias, Hw strides, Padding pads, Hw dilations, int groups) implements Op {
        public Conv {
            if (weight.rank() != 4) {
                throw new IllegalArgumentException("Conv weight must be [C_out, C_in/groups, kH, kW], got "
                        + Arrays.toString(weight.shape()));
            }
            if (groups < 1 || weight.dim(0) % groups != 0) {
                throw new IllegalArgumentException("Conv groups=" + groups + " must divide C_out=" + weight.dim(0));
            }
            if (bias != null && (bias.rank() != 1 || bias.dim(0) != weight.dim(0))) {
                throw new IllegalArgumentException("Conv bias shape " + Arrays.toString(bias.shape())
                        + " does not match C_out=" + weight.dim(0));
            }
            if (strides.h() < 1 || strides.w() < 1 || dilations.h() < 1 || dilations.w() < 1) {
                throw new IllegalArgumentException("Conv strides " + strides + " and dilations " + dilations
                        + " must be positive");
            }
        }

        /** A conv with stride 1, no padding, dilation 1, one group. */
        public static Conv simple(Tensor weight, Tensor bias) {
            return new Conv(weight, bias, Hw.of(1), Padding.NONE, Hw.of(1), 1);
        }

        public int outChannels() {
            return weight.dim(0);
        }

        public int inChannels() {
            return weight.dim(1) * groups;
        }

        public Hw kernel() {
            return new Hw(weight.dim(2), weight.dim(3));
        }

        public boolean isDepthwise() {
            return groups > 1 && groups == inChannels();
        }

        public Conv withWeights(Tensor newWeight, Tensor newBias) {
            return new Conv(newWeight, newBias, strides, pads, dilations, groups);
        }

        @Override
        public ChannelRule channelRule() {
            return groups == 1 ? ChannelRule.PRODUCER
                    : weight.dim(1) == 1 && outChannels() == groups ? ChannelRule.PER_CHANNEL : ChannelRule.GROUPED;
        }

        @Override
        public String onnxType() {
            return "Conv";
        }

        @Override
        public int[] outputShape(List<int[]> inputs) {
            int[] x = inputs.get(0);
            Shapes.requireRank(x, 4, "Conv input");
            if (x[1] != inChannels()) {
                throw new IllegalArgumentException("Conv expects " + inChannels() + " input channels (weight "
                        + Arrays.toString(weight.shape()) + ", groups " + groups + ") but input is " + Arrays.toString(x));
            }
            int h = Shapes.windowOut(x[2], weight.dim(2), strides.h(), pads.top(), pads.bottom(), dilations.h(), false);
            int w = Shapes.windowOut(x[3], weight.dim(3), strides.w(), pads.left(), pads.right(), dilations.w(), false);
            if (h < 1 || w < 1) {
                throw new IllegalArgumentException("Conv output would be empty for input " + Arrays.toString(x)
                        + " and kernel " + kernel());
            }
            return new int[]{x[0], outChannels(), h, w};
        }

        @Override
        public long params() {
            return weight.size() + (bias == null ? 0 : bias.size());
        }

        @Override
        public long macs(List<int[]> inputs, int[] output) {
            return (long) output[1] * output[2] * output[3] * weight.dim(1) * weight.dim(2) * weight.dim(3);
        }
    }

    /**
     * Inference batch normalisation per channel (axis 1):
     * y = scale·(x − mean)/√(var + ε) + bias.
     */
    record BatchNorm(Tensor scale, Tensor bias, Tensor mean, Tensor var, float epsilon) implements Op {
        public BatchNorm {
            int c = scale.size();
            if (bias.size() != c || mean.size() != c || var.size() != c) {
                throw new IllegalArgumentException("BatchNorm parameter sizes differ: scale " + c + ", bias "
                        + bias.size() + ", mean " + mean.size() + ", var " + var.size());
            }
        }

        public int channels() {
            return scale.size();
        }

        @Override
        public ChannelRule channelRule() {
            return ChannelRule.PER_CHANNEL;
        }

        @Override
        public String onnxType() {
            return "BatchNormalization";
        }

        @Override
        public int[] outputShape(List<int[]> inputs) {
            int[] x = inputs.get(0);
            if (x.length < 2 || x[1] != channels()) {
                throw new IllegalArgumentException("BatchNorm over " + channels() + " channels got input "
                        + Arrays.toString(x));
            }
            return x.clone();
        }

        @Override
        public long params() {
            return 2L * channels();
        }
    }

    /**
     * Fully connected layer y = x·Wᵀ + b with weight [out, in] and optional bias [out], applied over
     * the last axis: [N, in] → [N, out], or [N, …, in] → [N, …, out] (ONNX MatMul on a channels-last
     * tensor, e.g. ConvNeXt's pointwise layers).
     */
    record Linear(Tensor weight, Tensor bias) implements Op {
        public Linear {
            if (weight.rank() != 2) {
                throw new IllegalArgumentException("Linear weight must be [out, in], got " + Arrays.toString(weight.shape()));
            }
            if (bias != null && bias.size() != weight.dim(0)) {
                throw new IllegalArgumentException("Linear bias has " + bias.size() + " values for "
                        + weight.dim(0) + " outputs");
            }
        }

        public int inFeatures() {
            return weight.dim(1);
        }

        public int outFeatures() {
            return weight.dim(0);
        }

        @Override
        public ChannelRule channelRule() {
            return ChannelRule.PRODUCER;
        }

        @Override
        public String onnxType() {
            return "Gemm";
        }

        @Override
        public int[] outputShape(List<int[]> inputs) {
            int[] x = inputs.get(0);
            if (x.length < 2 || x[x.length - 1] != inFeatures()) {
                throw new IllegalArgumentException("Linear expects input [N, …, " + inFeatures() + "] (weight "
                        + Arrays.toString(weight.shape()) + ") but got " + Arrays.toString(x));
            }
            int[] out = x.clone();
            out[out.length - 1] = outFeatures();
            return out;
        }

        @Override
        public long params() {
            return weight.size() + (bias == null ? 0 : bias.size());
        }

        @Override
        public long macs(List<int[]> inputs, int[] output) {
            long positions = 1;
            for (int i = 1; i < output.length - 1; i++) {
                positions *= output[i];
            }
            return positions * inFeatures() * outFeatures();
        }
    }

    // ---------------------------------------------------------------- element-wise

    /** max(x, 0). */
    record Relu() implements Op {
        @Override
        public ChannelRule channelRule() {
            return ChannelRule.PASS_THROUGH;
        }

        @Override
        public String onnxType() {
            return "Relu";
        }

        @Override
        public int[] outputShape(List<int[]> inputs) {
            return inputs.get(0).clone();
        }
    }

    /** x for x ≥ 0, alpha·x otherwise. */
    record LeakyRelu(float alpha) implements Op {
        @Override
        public ChannelRule channelRule() {
            return ChannelRule.PASS_THROUGH;
        }

        @Override
        public String onnxType() {
            return "LeakyRelu";
        }

        @Override
        public int[] outputShape(List<int[]> inputs) {
            return inputs.get(0).clone();
        }
    }

    /** min(max(x, min), max); ReLU6 is Clip(0, 6). */
    record Clip(float min, float max) implements Op {
        public Clip {
            if (!(min <= max)) {
                throw new IllegalArgumentException("Clip min " + min + " must not exceed max " + max);
            }
        }

        @Override
        public ChannelRule channelRule() {
            return ChannelRule.PASS_THROUGH;
        }

        @Override
        public String onnxType() {
            return "Clip";
        }

        @Override
        public int[] outputShape(List<int[]> inputs) {
            return inputs.get(0).clone();
        }
    }

    /** 1 / (1 + e^−x). */
    record Sigmoid() implements Op {
        @Override
        public ChannelRule channelRule() {
            return ChannelRule.PASS_THROUGH;
        }

        @Override
        public String onnxType() {
            return "Sigmoid";
        }

        @Override
        public int[] outputShape(List<int[]> inputs) {
            return inputs.get(0).clone();
        }
    }

    /** Softmax along {@code axis} (negative counts from the end). */
    record Softmax(int axis) implements Op {
        @Override
        public ChannelRule channelRule() {
            return axis == 1 || axis < 0 ? ChannelRule.MIXING : ChannelRule.PASS_THROUGH;
        }

        @Override
        public String onnxType() {
            return "Softmax";
        }

        @Override
        public int[] outputShape(List<int[]> inputs) {
            return inputs.get(0).clone();
        }
    }

    /** Passes its input through: ONNX Identity and inference-mode Dropout. */
    record Identity() implements Op {
        @Override
        public ChannelRule channelRule() {
            return ChannelRule.PASS_THROUGH;
        }

        @Override
        public String onnxType() {
            return "Identity";
        }

        @Override
        public int[] outputShape(List<int[]> inputs) {
            return inputs.get(0).clone();
        }
    }

    /** Element-wise sum of two or more inputs of equal shape (residual connections). */
    record Add() implements Op {
        @Override
        public ChannelRule channelRule() {
            return ChannelRule.ELEMENTWISE;
        }

        @Override
        public String onnxType() {
            return "Add";
        }

        @Override
        public int arity() {
            return -1;
        }

        @Override
        public int[] outputShape(List<int[]> inputs) {
            int[] first = inputs.get(0);
            for (int[] s : inputs) {
                if (!Arrays.equals(Shapes.dropBatch(s), Shapes.dropBatch(first))) {
                    throw new IllegalArgumentException("Add inputs must have the same shape: "
                            + Arrays.toString(first) + " vs " + Arrays.toString(s));
                }
            }
            return first.clone();
        }
    }

    /** Concatenation along {@code axis} (1 = channels). */
    record Concat(int axis) implements Op {
        @Override
        public ChannelRule channelRule() {
            return ChannelRule.INDEX_MAP;
        }

        @Override
        public String onnxType() {
            return "Concat";
        }

        @Override
        public int arity() {
            return -1;
        }

        @Override
        public int[] outputShape(List<int[]> inputs) {
            int[] out = inputs.get(0).clone();
            int ax = axis < 0 ? axis + out.length : axis;
            if (ax <= 0 || ax >= out.length) {
                throw new IllegalArgumentException("Concat axis " + axis + " not supported for rank " + out.length
                        + " (only non-batch axes)");
            }
            out[ax] = 0;
            for (int[] s : inputs) {
                if (s.length != out.length) {
                    throw new IllegalArgumentException("Concat inputs have different ranks: "
                            + Arrays.toString(inputs.get(0)) + " vs " + Arrays.toString(s));
                }
                for (int i = 1; i < s.length; i++) {
                    if (i != ax && s[i] != out[i]) {
                        throw new IllegalArgumentException("Concat inputs differ outside axis " + axis + ": "
                                + Arrays.toString(inputs.get(0)) + " vs " + Arrays.toString(s));
                    }
                }
                out[ax] += s[ax];
            }
            return out;
        }
    }

    // ---------------------------------------------------------------- pooling and reshaping

    /** Max pooling over k_h×k_w windows (ONNX MaxPool, padded positions never win). */
    record MaxPool(Hw kernel, Hw strides, Padding pads, Hw dilations, boolean ceilMode) implements Op {
        @Override
        public ChannelRule channelRule() {
            return ChannelRule.PASS_THROUGH;
        }

        @Override
        public String onnxType() {
            return "MaxPool";
        }

        @Override
        public int[] outputShape(List<int[]> inputs) {
            int[] x = inputs.get(0);
            Shapes.requireRank(x, 4, "MaxPool input");
            return new int[]{x[0], x[1],
                    Shapes.windowOut(x[2], kernel.h(), strides.h(), pads.top(), pads.bottom(), dilations.h(), ceilMode),
                    Shapes.windowOut(x[3], kernel.w(), strides.w(), pads.left(), pads.right(), dilations.w(), ceilMode)};
        }
    }

    /**
     * Average pooling over k_h×k_w windows. With {@code countIncludePad} the divisor is always
     * k_h·k_w; otherwise it is the number of non-padded positions in the window.
     */
    record AvgPool(Hw kernel, Hw strides, Padding pads, boolean countIncludePad, boolean ceilMode) implements Op {
        @Override
        public ChannelRule channelRule() {
            return ChannelRule.PASS_THROUGH;
        }

        @Override
        public String onnxType() {
            return "AveragePool";
        }

        @Override
        public int[] outputShape(List<int[]> inputs) {
            int[] x = inputs.get(0);
            Shapes.requireRank(x, 4, "AveragePool input");
            return new int[]{x[0], x[1],
                    Shapes.windowOut(x[2], kernel.h(), strides.h(), pads.top(), pads.bottom(), 1, ceilMode),
                    Shapes.windowOut(x[3], kernel.w(), strides.w(), pads.left(), pads.right(), 1, ceilMode)};
        }
    }

    /** Mean over the spatial axes: [N, C, H, W] → [N, C, 1, 1]. */
    record GlobalAvgPool() implements Op {
        @Override
        public ChannelRule channelRule() {
            return ChannelRule.PASS_THROUGH;
        }

        @Override
        public String onnxType() {
            return "GlobalAveragePool";
        }

        @Override
        public int[] outputShape(List<int[]> inputs) {
            int[] x = inputs.get(0);
            Shapes.requireRank(x, 4, "GlobalAveragePool input");
            return new int[]{x[0], x[1], 1, 1};
        }
    }

    /**
     * Flattens to 2-D: [d0…d(axis−1), d(axis)…]. Also the form of PyTorch's {@code x.view(n, -1)}
     * (axis 1). Channel c of an NCHW input owns columns c·H·W … (c+1)·H·W − 1.
     */
    record Flatten(int axis) implements Op {
        public Flatten {
            if (axis != 1) {
                throw new IllegalArgumentException("only Flatten(axis=1) is supported, got axis " + axis);
            }
        }

        @Override
        public ChannelRule channelRule() {
            return ChannelRule.FLATTEN;
        }

        @Override
        public String onnxType() {
            return "Flatten";
        }

        @Override
        public int[] outputShape(List<int[]> inputs) {
            int[] x = inputs.get(0);
            long n = 1;
            for (int i = 1; i < x.length; i++) {
                n *= x[i];
            }
            return new int[]{x[0], Math.toIntExact(n)};
        }
    }

    // ---------------------------------------------------------------- arithmetic with broadcasting

    /**
     * Element-wise arithmetic of two activations with NumPy (ONNX multidirectional) broadcasting:
     * y = a ∘ b for ∘ in {+, −, ·, /, ^}. A squeeze-excitation gate is {@code Mul} of [N, C, H, W]
     * and [N, C, 1, 1]; SiLU is {@code Mul(x, Sigmoid(x))}. Residual additions of equal shapes are
     * {@link Add}.
     */
    record Binary(Arith arith) implements Op {
        public Binary {
            java.util.Objects.requireNonNull(arith, "arith");
        }

        @Override
        public ChannelRule channelRule() {
            return ChannelRule.ELEMENTWISE;
        }

        @Override
        public String onnxType() {
            return arith.onnxType();
        }

        @Override
        public int arity() {
            return 2;
        }

        @Override
        public int[] outputShape(List<int[]> inputs) {
            return Shapes.broadcast(inputs.get(0), inputs.get(1));
        }
    }

    /**
     * Element-wise arithmetic of an activation x and a constant c with broadcasting: y = x ∘ c, or
     * y = c ∘ x when {@code constantFirst}. The constant's rank must not exceed the activation's
     * and it must not widen the activation (a per-channel c is [C, 1, 1]; ConvNeXt's layer scale on a
     * channels-last tensor is [C]).
     *
     * @param arith         the operation
     * @param constant      the constant operand, right-aligned against the activation's shape
     * @param constantFirst whether the constant is the left operand (matters for −, / and ^)
     */
    record ConstArith(Arith arith, Tensor constant, boolean constantFirst) implements Op {
        public ConstArith {
            java.util.Objects.requireNonNull(arith, "arith");
            java.util.Objects.requireNonNull(constant, "constant");
        }

        /** x ∘ c. */
        public static ConstArith right(Arith arith, Tensor constant) {
            return new ConstArith(arith, constant, false);
        }

        /** The same op with another constant (e.g. with pruned channels removed). */
        public ConstArith withConstant(Tensor c) {
            return new ConstArith(arith, c, constantFirst);
        }

        @Override
        public ChannelRule channelRule() {
            return ChannelRule.PASS_THROUGH;
        }

        @Override
        public String onnxType() {
            return arith.onnxType();
        }

        @Override
        public int[] outputShape(List<int[]> inputs) {
            int[] x = inputs.get(0);
            int[] c = constant.shape();
            if (c.length > x.length) {
                throw new IllegalArgumentException(arith.onnxType() + " constant " + Arrays.toString(c)
                        + " has a higher rank than the activation " + Arrays.toString(x));
            }
            int[] out = Shapes.broadcast(x, c);
            if (!Arrays.equals(out, x)) {
                throw new IllegalArgumentException(arith.onnxType() + " constant " + Arrays.toString(c)
                        + " would broadcast the activation " + Arrays.toString(x) + " to " + Arrays.toString(out));
            }
            return out;
        }

        @Override
        public long params() {
            return 0;
        }
    }

    // ---------------------------------------------------------------- more element-wise functions

    /** max(0, min(1, alpha·x + beta)); PyTorch's Hardsigmoid is alpha = 1/6, beta = 0.5. */
    record HardSigmoid(float alpha, float beta) implements Op {
        @Override
        public ChannelRule channelRule() {
            return ChannelRule.PASS_THROUGH;
        }

        @Override
        public String onnxType() {
            return "HardSigmoid";
        }

        @Override
        public int[] outputShape(List<int[]> inputs) {
            return inputs.get(0).clone();
        }
    }

    /** x · max(0, min(1, x/6 + 1/2)) (ONNX HardSwish, opset 14; PyTorch's Hardswish). */
    record HardSwish() implements Op {
        @Override
        public ChannelRule channelRule() {
            return ChannelRule.PASS_THROUGH;
        }

        @Override
        public String onnxType() {
            return "HardSwish";
        }

        @Override
        public int[] outputShape(List<int[]> inputs) {
            return inputs.get(0).clone();
        }
    }

    /** The Gauss error function erf(x) (GELU is 0.5·x·(1 + erf(x/√2))). */
    record Erf() implements Op {
        @Override
        public ChannelRule channelRule() {
            return ChannelRule.PASS_THROUGH;
        }

        @Override
        public String onnxType() {
            return "Erf";
        }

        @Override
        public int[] outputShape(List<int[]> inputs) {
            return inputs.get(0).clone();
        }
    }

    /** √x (NaN below 0, as in ONNX). */
    record Sqrt() implements Op {
        @Override
        public ChannelRule channelRule() {
            return ChannelRule.PASS_THROUGH;
        }

        @Override
        public String onnxType() {
            return "Sqrt";
        }

        @Override
        public int[] outputShape(List<int[]> inputs) {
            return inputs.get(0).clone();
        }
    }

    // ---------------------------------------------------------------- reductions and normalisation

    /**
     * Mean over {@code axes} (non-negative, ascending, never the batch axis 0); with
     * {@code keepDims} the reduced axes stay with length 1. {@code ReduceMean(axes=[2,3])} of NCHW is
     * global average pooling (MnasNet's and ShuffleNet's {@code x.mean([2, 3])}).
     */
    record ReduceMean(int[] axes, boolean keepDims) implements Op {
        public ReduceMean {
            axes = axes.clone();
            if (axes.length == 0) {
                throw new IllegalArgumentException("ReduceMean needs at least one axis");
            }
            for (int i = 0; i < axes.length; i++) {
                if (axes[i] < 1 || (i > 0 && axes[i] <= axes[i - 1])) {
                    throw new IllegalArgumentException("ReduceMean axes must be ascending and above the batch axis, got "
                            + Arrays.toString(axes));
                }
            }
        }

        @Override
        public int[] axes() {
            return axes.clone();
        }

        /** Whether axis {@code a} is reduced. */
        public boolean reduces(int a) {
            return Arrays.binarySearch(axes, a) >= 0;
        }

        @Override
        public ChannelRule channelRule() {
            return ChannelRule.REDUCE;
        }

        @Override
        public String onnxType() {
            return "ReduceMean";
        }

        @Override
        public int[] outputShape(List<int[]> inputs) {
            int[] x = inputs.get(0);
            if (axes[axes.length - 1] >= x.length) {
                throw new IllegalArgumentException("ReduceMean axes " + Arrays.toString(axes) + " do not fit input "
                        + Arrays.toString(x));
            }
            int[] out = new int[keepDims ? x.length : x.length - axes.length];
            int k = 0;
            for (int i = 0; i < x.length; i++) {
                if (reduces(i)) {
                    if (keepDims) {
                        out[k++] = 1;
                    }
                } else {
                    out[k++] = x[i];
                }
            }
            return out;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof ReduceMean r && r.keepDims == keepDims && Arrays.equals(r.axes, axes);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(axes) * 31 + Boolean.hashCode(keepDims);
        }

        @Override
        public String toString() {
            return "ReduceMean[axes=" + Arrays.toString(axes) + ", keepDims=" + keepDims + "]";
        }
    }

    /**
     * Layer normalisation over one axis: y = (x − mean) / √(var + ε) · scale + bias, mean and (biased)
     * variance taken along {@code axis}. On a channels-last tensor the axis is the last one (ConvNeXt's
     * LayerNorm, also its decomposed ReduceMean / Sub / Pow / Sqrt / Div form); on NCHW it is axis 1.
     *
     * @param axis    the normalised axis (≥ 1)
     * @param scale   [D], D the length of the axis
     * @param bias    [D] or null
     * @param epsilon ε
     */
    record LayerNorm(int axis, Tensor scale, Tensor bias, float epsilon) implements Op {
        public LayerNorm {
            if (axis < 1) {
                throw new IllegalArgumentException("LayerNorm axis must be ≥ 1 (not the batch), got " + axis);
            }
            if (scale.rank() != 1 || (bias != null && (bias.rank() != 1 || bias.size() != scale.size()))) {
                throw new IllegalArgumentException("LayerNorm scale " + Arrays.toString(scale.shape()) + " and bias "
                        + (bias == null ? "none" : Arrays.toString(bias.shape())) + " must be vectors of one length");
            }
        }

        public int features() {
            return scale.size();
        }

        public LayerNorm withParams(Tensor newScale, Tensor newBias) {
            return new LayerNorm(axis, newScale, newBias, epsilon);
        }

        @Override
        public ChannelRule channelRule() {
            return axis == 1 ? ChannelRule.PER_CHANNEL : ChannelRule.PASS_THROUGH; // along H or W: per channel
        }

        @Override
        public String onnxType() {
            return "LayerNormalization";
        }

        @Override
        public int[] outputShape(List<int[]> inputs) {
            int[] x = inputs.get(0);
            if (axis >= x.length || x[axis] != features()) {
                throw new IllegalArgumentException("LayerNorm over axis " + axis + " with " + features()
                        + " features got input " + Arrays.toString(x));
            }
            return x.clone();
        }

        @Override
        public long params() {
            return scale.size() + (bias == null ? 0 : bias.size());
        }
    }

    // ---------------------------------------------------------------- layout

    /** Permutes the axes: output axis i is input axis perm[i]; the batch stays first (perm[0] = 0). */
    record Transpose(int[] perm) implements Op {
        public Transpose {
            perm = perm.clone();
            boolean[] seen = new boolean[perm.length];
            for (int p : perm) {
                if (p < 0 || p >= perm.length || seen[p]) {
                    throw new IllegalArgumentException("Transpose perm " + Arrays.toString(perm) + " is not a permutation");
                }
                seen[p] = true;
            }
            if (perm.length == 0 || perm[0] != 0) {
                throw new IllegalArgumentException("Transpose perm " + Arrays.toString(perm)
                        + " moves the batch axis; only permutations keeping axis 0 first are supported");
            }
        }

        @Override
        public int[] perm() {
            return perm.clone();
        }

        /** The output axis that input axis {@code a} becomes. */
        public int outputAxisOf(int a) {
            for (int i = 0; i < perm.length; i++) {
                if (perm[i] == a) {
                    return i;
                }
            }
            throw new IllegalArgumentException("axis " + a + " outside Transpose perm " + Arrays.toString(perm));
        }

        @Override
        public ChannelRule channelRule() {
            return ChannelRule.INDEX_MAP;
        }

        @Override
        public String onnxType() {
            return "Transpose";
        }

        @Override
        public int[] outputShape(List<int[]> inputs) {
            int[] x = inputs.get(0);
            if (x.length != perm.length) {
                throw new IllegalArgumentException("Transpose perm " + Arrays.toString(perm) + " does not fit input "
                        + Arrays.toString(x));
            }
            int[] out = new int[x.length];
            for (int i = 0; i < x.length; i++) {
                out[i] = x[perm[i]];
            }
            return out;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Transpose t && Arrays.equals(t.perm, perm);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(perm);
        }

        @Override
        public String toString() {
            return "Transpose[perm=" + Arrays.toString(perm) + "]";
        }
    }

    /**
     * Reshapes every sample to {@code shape} (the dimensions after the batch, all known and positive):
     * [N, …] → [N, shape…], same element order.
     */
    record Reshape(int[] shape) implements Op {
        public Reshape {
            shape = shape.clone();
            for (int d : shape) {
                if (d < 1) {
                    throw new IllegalArgumentException("Reshape target " + Arrays.toString(shape)
                            + " must be fully resolved (positive dimensions after the batch)");
                }
            }
        }

        @Override
        public int[] shape() {
            return shape.clone();
        }

        @Override
        public ChannelRule channelRule() {
            return ChannelRule.FLATTEN;
        }

        @Override
        public String onnxType() {
            return "Reshape";
        }

        @Override
        public int[] outputShape(List<int[]> inputs) {
            int[] x = inputs.get(0);
            if (Shapes.numel(Shapes.dropBatch(x)) != Shapes.numel(shape)) {
                throw new IllegalArgumentException("Reshape of " + Arrays.toString(x) + " to [N, "
                        + Arrays.toString(shape).substring(1) + " changes the element count");
            }
            int[] out = new int[shape.length + 1];
            out[0] = x[0];
            System.arraycopy(shape, 0, out, 1, shape.length);
            return out;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Reshape r && Arrays.equals(r.shape, shape);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(shape);
        }

        @Override
        public String toString() {
            return "Reshape[shape=" + Arrays.toString(shape) + "]";
        }
    }

    /**
     * Takes indices {@code start … end − 1} of axis {@code axis} (≥ 1), step 1. ONNX {@code Split}
     * becomes one Slice node per output (ShuffleNet's {@code x.chunk(2, dim=1)}).
     */
    record Slice(int axis, int start, int end) implements Op {
        public Slice {
            if (axis < 1 || start < 0 || end <= start) {
                throw new IllegalArgumentException("Slice axis " + axis + " [" + start + ", " + end
                        + ") must be a non-empty range on a non-batch axis");
            }
        }

        @Override
        public ChannelRule channelRule() {
            return ChannelRule.INDEX_MAP;
        }

        @Override
        public String onnxType() {
            return "Slice";
        }

        @Override
        public int[] outputShape(List<int[]> inputs) {
            int[] x = inputs.get(0);
            if (axis >= x.length || end > x[axis]) {
                throw new IllegalArgumentException("Slice axis " + axis + " [" + start + ", " + end + ") outside input "
                        + Arrays.toString(x));
            }
            int[] out = x.clone();
            out[axis] = end - start;
            return out;
        }
    }

    /**
     * ShuffleNet's channel shuffle, [N, C, H, W] → [N, C, H, W] with output channel o taken from input
     * channel (o mod g)·(C/g) + ⌊o/g⌋ — the ONNX form is Reshape [N, g, C/g, H, W] → Transpose
     * (0, 2, 1, 3, 4) → Reshape [N, C, H, W].
     */
    record ChannelShuffle(int groups) implements Op {
        public ChannelShuffle {
            if (groups < 1) {
                throw new IllegalArgumentException("ChannelShuffle groups must be positive, got " + groups);
            }
        }

        /**
         * The input channel that output channel {@code o} reads.
         *
         * @param o        output channel
         * @param channels C
         * @return (o mod g)·(C/g) + ⌊o/g⌋
         */
        public int sourceChannel(int o, int channels) {
            return (o % groups) * (channels / groups) + o / groups;
        }

        @Override
        public ChannelRule channelRule() {
            return ChannelRule.INDEX_MAP;
        }

        @Override
        public String onnxType() {
            return "ChannelShuffle";
        }

        @Override
        public int[] outputShape(List<int[]> inputs) {
            int[] x = inputs.get(0);
            Shapes.requireRank(x, 4, "ChannelShuffle input");
            if (x[1] % groups != 0) {
                throw new IllegalArgumentException("ChannelShuffle with " + groups + " groups needs a channel count "
                        + "divisible by it, got " + Arrays.toString(x));
            }
            return x.clone();
        }
    }

    /**
     * Nearest-neighbour upsampling by integer factors of H and W (ONNX Resize / Upsample with scales
     * [1, 1, s_h, s_w], mode nearest): y[n, c, i, j] = x[n, c, ⌊i/s_h⌋, ⌊j/s_w⌋].
     */
    record Resize(int scaleH, int scaleW) implements Op {
        public Resize {
            if (scaleH < 1 || scaleW < 1) {
                throw new IllegalArgumentException("Resize scales must be positive integers, got " + scaleH + "x" + scaleW);
            }
        }

        @Override
        public ChannelRule channelRule() {
            return ChannelRule.PASS_THROUGH;
        }

        @Override
        public String onnxType() {
            return "Resize";
        }

        @Override
        public int[] outputShape(List<int[]> inputs) {
            int[] x = inputs.get(0);
            Shapes.requireRank(x, 4, "Resize input");
            return new int[]{x[0], x[1], x[2] * scaleH, x[3] * scaleW};
        }
    }

    /**
     * Re-orders (and may drop) channels: output channel o is input channel {@code indices[o]} (axis 1,
     * any rank ≥ 2); ONNX {@code Gather(x, indices, axis=1)} with constant indices. A
     * {@link ChannelShuffle} whose channels were pruned unevenly becomes one of these.
     */
    record ChannelGather(int[] indices) implements Op {
        public ChannelGather {
            indices = indices.clone();
            if (indices.length == 0) {
                throw new IllegalArgumentException("ChannelGather needs at least one index");
            }
            for (int i : indices) {
                if (i < 0) {
                    throw new IllegalArgumentException("ChannelGather indices must be non-negative: "
                            + Arrays.toString(indices));
                }
            }
        }

        @Override
        public int[] indices() {
            return indices.clone();
        }

        /** Output channel {@code o}'s source channel. */
        public int source(int o) {
            return indices[o];
        }

        /**
         * The maximal runs of output channels whose sources are consecutive (indices[o + 1] = indices[o] + 1),
         * flattened as (first output channel, first source channel, length) triples in output order.
         *
         * @return a new array of 3·(number of runs) entries
         */
        public int[] runs() {
            int[] r = new int[3 * indices.length];
            int n = 0;
            int o = 0;
            while (o < indices.length) {
                int len = 1;
                while (o + len < indices.length && indices[o + len] == indices[o] + len) {
                    len++;
                }
                r[n++] = o;
                r[n++] = indices[o];
                r[n++] = len;
                o += len;
            }
            return Arrays.copyOf(r, n);
        }

        @Override
        public ChannelRule channelRule() {
            return ChannelRule.INDEX_MAP;
        }

        @Override
        public String onnxType() {
            return "Gather";
        }

        @Override
        public int[] outputShape(List<int[]> inputs) {
            int[] x = inputs.get(0);
            if (x.length < 2) {
                throw new IllegalArgumentException("ChannelGather needs a channel axis, got " + Arrays.toString(x));
            }
            for (int i : indices) {
                if (i >= x[1]) {
                    throw new IllegalArgumentException("ChannelGather index " + i + " outside the " + x[1]
                            + " channels of " + Arrays.toString(x));
                }
            }
            int[] out = x.clone();
            out[1] = indices.length;
            return out;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof ChannelGather g && Arrays.equals(g.indices, indices);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(indices);
        }

        @Override
        public String toString() {
            return "ChannelGather[indices=" + Arrays.toString(indices) + "]";
        }
    }
}
