package dev.thinet4j.engine;

import dev.thinet4j.model.Node;
import dev.thinet4j.model.Op;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.impl.scalar.LeakyReLU;
import org.nd4j.linalg.api.ops.impl.scalar.RectifiedLinear;
import org.nd4j.linalg.api.ops.impl.scalar.ScalarAdd;
import org.nd4j.linalg.api.ops.impl.scalar.ScalarMultiplication;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.AddOp;
import org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.MulOp;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.List;
import java.util.function.BiConsumer;

/**
 * Element-wise kernels (activations, HardSigmoid, HardSwish, Erf, Sqrt, BatchNorm, Add, Identity). Each may work in place on input 0
 * when the caller allows it. All of them take NHWC views (see {@link NdArrays#isNhwc}) and then work on the
 * dense [N, H, W, C] memory and return an NHWC view; Add does so when all its inputs are NHWC views.
 */
final class ElementwiseKernels {
    private ElementwiseKernels() {
    }

    /**
     * Runs {@code op(src, dst)} on the dense memory of {@code x}: for an NHWC view its [N, H, W, C] array, else
     * {@code x} itself. {@code dst} is {@code src} in place, otherwise a new dense array; the result has the
     * layout of {@code x}.
     */
    private static INDArray unary(INDArray x, boolean inPlace, Buffers alloc, BiConsumer<INDArray, INDArray> op) {
        boolean nhwc = NdArrays.isNhwc(x);
        INDArray src = nhwc ? NdArrays.nhwcBase(x) : x;
        INDArray dst = inPlace ? src : alloc.allocate(src.shape());
        op.accept(src, dst);
        return nhwc ? NdArrays.nchwView(dst) : dst;
    }

    /** max(x, 0) (libnd4j scalar op {@code relu} with cut-off 0, as {@code Transforms.relu}). */
    static final class Relu extends AnyLayoutKernel {
        Relu(Node node) {
            super(node);
        }

        @Override
        protected INDArray compute(List<INDArray> in, List<int[]> shapes, int[] out, boolean inPlace, Buffers alloc) {
            return unary(in.get(0), inPlace, alloc, (x, z) -> Nd4j.exec(new RectifiedLinear(x, z, 0.0)));
        }
    }

    /** x ≥ 0 ? x : alpha·x (libnd4j scalar op {@code leakyrelu}, as {@code Transforms.leakyRelu}). */
    static final class LeakyRelu extends AnyLayoutKernel {
        private final double alpha;

        LeakyRelu(Node node, Op.LeakyRelu op) {
            super(node);
            this.alpha = op.alpha();
        }

        @Override
        protected INDArray compute(List<INDArray> in, List<int[]> shapes, int[] out, boolean inPlace, Buffers alloc) {
            return unary(in.get(0), inPlace, alloc, (x, z) -> Nd4j.exec(new LeakyReLU(x, z, alpha)));
        }
    }

    /** 1 / (1 + e^−x) (libnd4j transform {@code sigmoid}, as {@code Transforms.sigmoid}). */
    static final class Sigmoid extends AnyLayoutKernel {
        Sigmoid(Node node) {
            super(node);
        }

        @Override
        protected INDArray compute(List<INDArray> in, List<int[]> shapes, int[] out, boolean inPlace, Buffers alloc) {
            return unary(in.get(0), inPlace, alloc,
                    (x, z) -> Nd4j.exec(new org.nd4j.linalg.api.ops.impl.transforms.strict.Sigmoid(x, z)));
        }
    }

    /** clip(z, lo, hi) in place via the native {@code clipbyvalue} op. */
    private static void clipInPlace(INDArray z, double lo, double hi) {
        Nd4j.exec(DynamicCustomOp.builder("clipbyvalue").addInputs(z).addOutputs(z)
                .addFloatingPointArguments(lo, hi).build());
    }

    /**
     * ONNX HardSigmoid: y = max(0, min(1, alpha·x + beta)), as the scalar ops z = x·alpha, z = z + beta and
     * an in-place {@code clipbyvalue}(0, 1) (ND4J's own hard sigmoid has fixed alpha and beta).
     */
    static final class HardSigmoid extends AnyLayoutKernel {
        private final double alpha;
        private final double beta;

        HardSigmoid(Node node, Op.HardSigmoid op) {
            super(node);
            this.alpha = op.alpha();
            this.beta = op.beta();
        }

        @Override
        protected INDArray compute(List<INDArray> in, List<int[]> shapes, int[] out, boolean inPlace, Buffers alloc) {
            return unary(in.get(0), inPlace, alloc, (x, z) -> hardSigmoid(x, z, alpha, beta));
        }
    }

    private static void hardSigmoid(INDArray x, INDArray z, double alpha, double beta) {
        Nd4j.exec(new ScalarMultiplication(x, null, z, alpha));
        Nd4j.exec(new ScalarAdd(z, null, z, beta));
        clipInPlace(z, 0, 1);
    }

    /**
     * HardSwish: y = x · max(0, min(1, x/6 + 1/2)), as a hard sigmoid (alpha 1/6, beta 1/2) into a scratch
     * array followed by an element-wise product with x.
     */
    static final class HardSwish extends AnyLayoutKernel {
        HardSwish(Node node) {
            super(node);
        }

        @Override
        protected INDArray compute(List<INDArray> in, List<int[]> shapes, int[] out, boolean inPlace, Buffers alloc) {
            return unary(in.get(0), inPlace, alloc, (x, z) -> {
                INDArray gate = alloc.allocate(x.shape());
                try {
                    hardSigmoid(x, gate, 1.0 / 6.0, 0.5);
                    Nd4j.exec(new MulOp(x, gate, z));
                } finally {
                    alloc.recycle(gate);
                }
            });
        }
    }

    /** The Gauss error function y = erf(x) = 2/√π ∫₀ˣ e^(−t²) dt (libnd4j transform {@code erf}). */
    static final class Erf extends AnyLayoutKernel {
        Erf(Node node) {
            super(node);
        }

        @Override
        protected INDArray compute(List<INDArray> in, List<int[]> shapes, int[] out, boolean inPlace, Buffers alloc) {
            return unary(in.get(0), inPlace, alloc,
                    (x, z) -> Nd4j.exec(new org.nd4j.linalg.api.ops.impl.transforms.strict.Erf(x, z)));
        }
    }

    /** y = √x, NaN for x &lt; 0 (libnd4j transform {@code sqrt}). */
    static final class Sqrt extends AnyLayoutKernel {
        Sqrt(Node node) {
            super(node);
        }

        @Override
        protected INDArray compute(List<INDArray> in, List<int[]> shapes, int[] out, boolean inPlace, Buffers alloc) {
            return unary(in.get(0), inPlace, alloc,
                    (x, z) -> Nd4j.exec(new org.nd4j.linalg.api.ops.impl.transforms.floating.Sqrt(x, z)));
        }
    }

    /** min(max(x, lo), hi) via the native {@code clipbyvalue} op (float arguments lo, hi). */
    static final class Clip extends AnyLayoutKernel {
        private final double min;
        private final double max;

        Clip(Node node, Op.Clip op) {
            super(node);
            this.min = op.min();
            this.max = op.max();
        }

        @Override
        protected INDArray compute(List<INDArray> in, List<int[]> shapes, int[] out, boolean inPlace, Buffers alloc) {
            return unary(in.get(0), inPlace, alloc, (x, z) -> Nd4j.exec(DynamicCustomOp.builder("clipbyvalue")
                    .addInputs(x).addOutputs(z).addFloatingPointArguments(min, max).build()));
        }
    }

    /** Identity / inference Dropout: returns input 0 itself. */
    static final class Identity extends AnyLayoutKernel {
        Identity(Node node) {
            super(node);
        }

        @Override
        protected INDArray compute(List<INDArray> in, List<int[]> shapes, int[] out, boolean inPlace, Buffers alloc) {
            return in.get(0);
        }
    }

    /**
     * Σ inputs, element-wise; in place into input 0 when allowed. When every input is an NHWC view, the sum is
     * taken over their dense [N, H, W, C] arrays and returned as an NHWC view; otherwise NHWC inputs are first
     * copied to dense NCHW arrays.
     */
    static final class Add extends AnyLayoutKernel {
        Add(Node node) {
            super(node);
        }

        @Override
        protected INDArray compute(List<INDArray> in, List<int[]> shapes, int[] out, boolean inPlace, Buffers alloc) {
            if (in.size() == 1) {
                if (inPlace) {
                    return in.get(0);
                }
                return unary(in.get(0), false, alloc, (x, z) -> z.assign(x));
            }
            boolean allNhwc = true;
            boolean anyNhwc = false;
            for (INDArray a : in) {
                boolean n = NdArrays.isNhwc(a);
                allNhwc &= n;
                anyNhwc |= n;
            }
            List<INDArray> scratch = new ArrayList<>();
            try {
                List<INDArray> xs = new ArrayList<>(in.size());
                for (INDArray a : in) {
                    if (allNhwc) {
                        xs.add(NdArrays.nhwcBase(a));
                    } else if (anyNhwc && NdArrays.isNhwc(a)) {
                        INDArray c = NdArrays.toDenseC(a, alloc);
                        scratch.add(c);
                        xs.add(c);
                    } else {
                        xs.add(a);
                    }
                }
                INDArray first = xs.get(0);
                boolean firstIsScratch = !scratch.isEmpty() && scratch.get(0) == first;
                INDArray acc;
                if (inPlace || firstIsScratch) {
                    acc = first.addi(xs.get(1));
                    if (firstIsScratch) {
                        scratch.remove(0);
                    }
                } else {
                    acc = alloc.allocate(first.shape());
                    Nd4j.exec(new AddOp(first, xs.get(1), acc));
                }
                for (int next = 2; next < xs.size(); next++) {
                    acc.addi(xs.get(next));
                }
                return allNhwc ? NdArrays.nchwView(acc) : acc;
            } finally {
                scratch.forEach(alloc::recycle);
            }
        }
    }

    /**
     * Inference batch normalisation over axis 1, computed as y = x·m + t with the per-channel
     * m = scale / √(var + ε) and t = bias − mean·m, precomputed in double precision and broadcast along
     * the other axes (for an NHWC view, as row vectors of its [N·H·W, C] matrix). The engine folds a
     * BatchNorm into the convolution before it when nothing else reads the convolution's output (see
     * {@link ConvKernel#ConvKernel(Node, Op.Conv, Op.BatchNorm)}); this kernel runs the others.
     */
    static final class BatchNorm extends AnyLayoutKernel {
        private final INDArray multiplier;
        private final INDArray shift;

        BatchNorm(Node node, Op.BatchNorm op) {
            super(node);
            int c = op.channels();
            float[] m = new float[c];
            float[] t = new float[c];
            for (int i = 0; i < c; i++) {
                double mul = op.scale().get(i) / Math.sqrt((double) op.var().get(i) + op.epsilon());
                m[i] = (float) mul;
                t[i] = (float) (op.bias().get(i) - op.mean().get(i) * mul);
            }
            multiplier = own(Nd4j.create(m, new long[]{c}, DataType.FLOAT));
            shift = own(Nd4j.create(t, new long[]{c}, DataType.FLOAT));
        }

        @Override
        protected INDArray compute(List<INDArray> in, List<int[]> shapes, int[] out, boolean inPlace, Buffers alloc) {
            INDArray x = in.get(0);
            if (NdArrays.isNhwc(x)) {
                long c = x.size(1);
                return unary(x, inPlace, alloc, (src, dst) -> {
                    INDArray rows = dst.reshape('c', dst.length() / c, c);
                    if (dst != src) {
                        rows.assign(src.reshape('c', src.length() / c, c));
                    }
                    rows.muliRowVector(multiplier).addiRowVector(shift);
                });
            }
            long[] bshape = new long[x.rank()];
            java.util.Arrays.fill(bshape, 1);
            bshape[1] = multiplier.length();
            INDArray m = multiplier.reshape(bshape);
            INDArray t = shift.reshape(bshape);
            INDArray y;
            if (inPlace) {
                y = x.muli(m);
            } else {
                y = alloc.allocate(x.shape());
                y.assign(x);
                y.muli(m);
            }
            return y.addi(t);
        }
    }
}
