package dev.thinet4j.engine;

import dev.thinet4j.model.Node;
import dev.thinet4j.model.Op;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

import java.util.List;

/** Linear, Softmax, LayerNorm and the reshaping / reducing kernels (Flatten, Concat, GlobalAvgPool, ReduceMean). */
final class ShapeKernels {
    private ShapeKernels() {
    }

    /**
     * y = x·Wᵀ + b over the last axis, with {@code mmul} against a cached c-ordered Wᵀ [in, out] and a
     * row-vector add of b. An input of rank &gt; 2, [N, …, in], is multiplied as its [N·…, in] matrix (a c-order
     * reshape, a view when the input is c-contiguous) and the result reshaped to [N, …, out].
     */
    static final class Linear extends AbstractKernel {
        private final INDArray weightT;
        private final INDArray bias;

        Linear(Node node, Op.Linear op) {
            super(node);
            try (INDArray w = NdArrays.toNd(op.weight())) {
                weightT = own(w.transpose().dup('c'));
            }
            bias = op.bias() == null ? null
                    : own(Nd4j.create(op.bias().data(), new long[]{1, op.outFeatures()},
                    org.nd4j.linalg.api.buffer.DataType.FLOAT));
        }

        @Override
        protected INDArray compute(List<INDArray> in, List<int[]> shapes, int[] out, boolean inPlace, Buffers alloc) {
            INDArray x = in.get(0);
            if (x.rank() == 2) {
                INDArray y = x.mmul(weightT);
                if (bias != null) {
                    y.addiRowVector(bias);
                }
                return y;
            }
            int[] xs = shapes.get(0);
            long rows = x.length() / xs[xs.length - 1];
            INDArray y = alloc.allocate(rows, out[out.length - 1]);
            x.reshape('c', rows, xs[xs.length - 1]).mmuli(weightT, y);
            if (bias != null) {
                y.addiRowVector(bias);
            }
            return y.reshape('c', NdArrays.longs(out));
        }
    }

    /**
     * Softmax along one axis: y = e^(x − max) / Σ e^(x − max). The native {@code softmax} op is used for the
     * last axis only; for other axes it was found to give wrong sums in ND4J 1.0.0-M2.1 (axis 1 of a rank-4
     * array), so the formula is evaluated with broadcast max, exp, sum and divide.
     */
    static final class Softmax extends AbstractKernel {
        private final int axis;

        Softmax(Node node, Op.Softmax op) {
            super(node);
            this.axis = op.axis();
        }

        @Override
        protected INDArray compute(List<INDArray> in, List<int[]> shapes, int[] out, boolean inPlace, Buffers alloc) {
            INDArray x = in.get(0);
            int rank = x.rank();
            int ax = axis < 0 ? axis + rank : axis;
            if (ax < 0 || ax >= rank) {
                throw new IllegalArgumentException("node '" + node.name() + "': Softmax axis " + axis
                        + " out of range for input " + NdArrays.fmt(x));
            }
            if (ax == rank - 1) {
                INDArray y = x.ulike();
                Nd4j.exec(DynamicCustomOp.builder("softmax").addInputs(x).addOutputs(y)
                        .addIntegerArguments(ax).build());
                return y;
            }
            INDArray y;
            try (INDArray max = x.max(true, ax)) {
                y = inPlace ? x.subi(max) : x.sub(max);
            }
            Transforms.exp(y, false);
            try (INDArray sum = y.sum(true, ax)) {
                y.divi(sum);
            }
            return y;
        }
    }

    /** Flatten(axis 1): a c-order reshape to [N, rest], a view when the input is c-contiguous. */
    static final class Flatten extends AbstractKernel {
        Flatten(Node node) {
            super(node);
        }

        @Override
        protected INDArray compute(List<INDArray> in, List<int[]> shapes, int[] out, boolean inPlace, Buffers alloc) {
            return in.get(0).reshape('c', out[0], out[1]);
        }
    }

    /**
     * {@code Nd4j.concat} along the (non-batch) axis; one input is returned as is. Channel concatenation of
     * NHWC views concatenates their [N, H, W, C] arrays along the last axis and returns an NHWC view; other
     * NHWC inputs are copied to dense NCHW arrays first.
     */
    static final class Concat extends AnyLayoutKernel {
        private final int axis;

        Concat(Node node, Op.Concat op) {
            super(node);
            this.axis = op.axis();
        }

        @Override
        protected INDArray compute(List<INDArray> in, List<int[]> shapes, int[] out, boolean inPlace, Buffers alloc) {
            if (in.size() == 1) {
                return in.get(0);
            }
            int ax = axis < 0 ? axis + out.length : axis;
            boolean allNhwc = ax == 1;
            for (INDArray a : in) {
                allNhwc &= NdArrays.isNhwc(a);
            }
            if (allNhwc) {
                INDArray[] bases = new INDArray[in.size()];
                for (int i = 0; i < bases.length; i++) {
                    bases[i] = NdArrays.nhwcBase(in.get(i));
                }
                return NdArrays.nchwView(Nd4j.concat(3, bases));
            }
            List<INDArray> scratch = new java.util.ArrayList<>();
            INDArray[] xs = new INDArray[in.size()];
            for (int i = 0; i < xs.length; i++) {
                INDArray a = in.get(i);
                if (NdArrays.isNhwc(a)) {
                    a = NdArrays.toDenseC(a, alloc);
                    scratch.add(a);
                }
                xs[i] = a;
            }
            try {
                return Nd4j.concat(ax, xs);
            } finally {
                scratch.forEach(alloc::recycle);
            }
        }
    }

    /**
     * Mean over axes 2 and 3 with kept dimensions: [N, C, H, W] → [N, C, 1, 1]; for an NHWC view, the mean
     * over axes 1 and 2 of its [N, H, W, C] array.
     */
    static final class GlobalAvgPool extends AnyLayoutKernel {
        GlobalAvgPool(Node node) {
            super(node);
        }

        @Override
        protected INDArray compute(List<INDArray> in, List<int[]> shapes, int[] out, boolean inPlace, Buffers alloc) {
            INDArray x = in.get(0);
            if (NdArrays.isNhwc(x)) {
                return NdArrays.nhwcBase(x).mean(1, 2).reshape('c', out[0], out[1], 1, 1);
            }
            return x.mean(true, 2, 3);
        }
    }

    /**
     * y = mean of x over {@code axes} = (1 / Π_{a ∈ axes} d_a) · Σ over those axes, with the reduced axes kept with
     * length 1 when {@code keepDims} (ND4J {@code mean(keepDims, axes)}). On an NHWC view with axes (2, 3), the
     * mean over axes 1 and 2 of its [N, H, W, C] array.
     */
    static final class ReduceMean extends AnyLayoutKernel {
        private final int[] axes;
        private final boolean keepDims;

        ReduceMean(Node node, Op.ReduceMean op) {
            super(node);
            this.axes = op.axes();
            this.keepDims = op.keepDims();
        }

        @Override
        protected INDArray compute(List<INDArray> in, List<int[]> shapes, int[] out, boolean inPlace, Buffers alloc) {
            INDArray x = in.get(0);
            if (NdArrays.isNhwc(x)) {
                if (java.util.Arrays.equals(axes, new int[]{2, 3})) {
                    return NdArrays.nhwcBase(x).mean(1, 2).reshape('c', NdArrays.longs(out));
                }
                INDArray dense = NdArrays.toDenseC(x, alloc);
                try {
                    return dense.mean(keepDims, axes).reshape('c', NdArrays.longs(out));
                } finally {
                    alloc.recycle(dense);
                }
            }
            return x.mean(keepDims, axes).reshape('c', NdArrays.longs(out));
        }
    }

    /**
     * Layer normalisation over one axis a: μ = mean_a(x), σ² = mean_a((x − μ)²) (biased), and
     * y = (x − μ) / √(σ² + ε) · scale + bias, with scale and bias broadcast along axis a (reshaped to
     * [1, …, D, …, 1] once per rank). Computed with keep-dims means and broadcast arithmetic in float32.
     */
    static final class LayerNorm extends AbstractKernel {
        private final int axis;
        private final float epsilon;
        private final float[] scaleData;
        private final float[] biasData;
        private final java.util.Map<Integer, INDArray[]> params = new java.util.concurrent.ConcurrentHashMap<>();

        LayerNorm(Node node, Op.LayerNorm op) {
            super(node);
            this.axis = op.axis();
            this.epsilon = op.epsilon();
            this.scaleData = op.scale().data();
            this.biasData = op.bias() == null ? null : op.bias().data();
        }

        private INDArray[] params(int rank) {
            return params.computeIfAbsent(rank, r -> {
                long[] s = new long[r];
                java.util.Arrays.fill(s, 1);
                s[axis] = scaleData.length;
                return new INDArray[]{own(NdArrays.fromFloats(scaleData, s)),
                        biasData == null ? null : own(NdArrays.fromFloats(biasData, s))};
            });
        }

        @Override
        protected INDArray compute(List<INDArray> in, List<int[]> shapes, int[] out, boolean inPlace, Buffers alloc) {
            INDArray x = in.get(0);
            INDArray[] p = params(x.rank());
            INDArray y = alloc.allocate(x.shape());
            try (INDArray mean = x.mean(true, axis)) {
                BroadcastKernels.exec(dev.thinet4j.model.Arith.SUB, x, mean, y);
            }
            INDArray sq = alloc.allocate(x.shape());
            try {
                Nd4j.exec(new org.nd4j.linalg.api.ops.impl.transforms.pairwise.arithmetic.MulOp(y, y, sq));
                try (INDArray var = sq.mean(true, axis)) {
                    var.addi(epsilon);
                    Transforms.sqrt(var, false);
                    BroadcastKernels.exec(dev.thinet4j.model.Arith.DIV, y, var, y);
                }
            } finally {
                alloc.recycle(sq);
            }
            BroadcastKernels.exec(dev.thinet4j.model.Arith.MUL, y, p[0], y);
            if (p[1] != null) {
                BroadcastKernels.exec(dev.thinet4j.model.Arith.ADD, y, p[1], y);
            }
            return y;
        }
    }
}
