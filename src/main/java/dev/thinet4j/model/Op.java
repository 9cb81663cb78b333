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

    /** Fully connected layer y = x·Wᵀ + b with weight [out, in] and optional bias [out]. */
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
        public String onnxType() {
            return "Gemm";
        }

        @Override
        public int[] outputShape(List<int[]> inputs) {
            int[] x = inputs.get(0);
            if (x.length != 2 || x[1] != inFeatures()) {
                throw new IllegalArgumentException("Linear expects input [N, " + inFeatures() + "] (weight "
                        + Arrays.toString(weight.shape()) + ") but got " + Arrays.toString(x));
            }
            return new int[]{x[0], outFeatures()};
        }

        @Override
        public long params() {
            return weight.size() + (bias == null ? 0 : bias.size());
        }

        @Override
        public long macs(List<int[]> inputs, int[] output) {
            return (long) inFeatures() * outFeatures();
        }
    }

    // ---------------------------------------------------------------- element-wise

    /** max(x, 0). */
    record Relu() implements Op {
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
}
