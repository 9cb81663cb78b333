package dev.thinet4j.engine;

import dev.thinet4j.model.Node;
import dev.thinet4j.model.Op;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

import java.util.List;

/** Linear, Softmax and the reshaping / reducing kernels (Flatten, Concat, GlobalAvgPool). */
final class ShapeKernels {
    private ShapeKernels() {
    }

    /** y = x·Wᵀ + b with {@code mmul} against a cached c-ordered Wᵀ [in, out] and a row-vector add of b. */
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
            INDArray y = in.get(0).mmul(weightT);
            if (bias != null) {
                y.addiRowVector(bias);
            }
            return y;
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
    static final class Concat extends AbstractKernel {
        private final int axis;

        Concat(Node node, Op.Concat op) {
            super(node);
            this.axis = op.axis();
        }

        @Override
        boolean acceptsNhwc() {
            return true;
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
    static final class GlobalAvgPool extends AbstractKernel {
        GlobalAvgPool(Node node) {
            super(node);
        }

        @Override
        boolean acceptsNhwc() {
            return true;
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
}
