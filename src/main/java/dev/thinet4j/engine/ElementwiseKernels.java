package dev.thinet4j.engine;

import dev.thinet4j.model.Node;
import dev.thinet4j.model.Op;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

import java.util.List;

/**
 * Element-wise kernels (activations, BatchNorm, Add, Identity). Each may work in place on input 0
 * when the caller allows it.
 */
final class ElementwiseKernels {
    private ElementwiseKernels() {
    }

    /** max(x, 0) via {@link Transforms#relu}. */
    static final class Relu extends AbstractKernel {
        Relu(Node node) {
            super(node);
        }

        @Override
        protected INDArray compute(List<INDArray> in, List<int[]> shapes, int[] out, boolean inPlace) {
            return Transforms.relu(in.get(0), !inPlace);
        }
    }

    /** x ≥ 0 ? x : alpha·x via {@link Transforms#leakyRelu}. */
    static final class LeakyRelu extends AbstractKernel {
        private final double alpha;

        LeakyRelu(Node node, Op.LeakyRelu op) {
            super(node);
            this.alpha = op.alpha();
        }

        @Override
        protected INDArray compute(List<INDArray> in, List<int[]> shapes, int[] out, boolean inPlace) {
            return Transforms.leakyRelu(in.get(0), alpha, !inPlace);
        }
    }

    /** 1 / (1 + e^−x) via {@link Transforms#sigmoid}. */
    static final class Sigmoid extends AbstractKernel {
        Sigmoid(Node node) {
            super(node);
        }

        @Override
        protected INDArray compute(List<INDArray> in, List<int[]> shapes, int[] out, boolean inPlace) {
            return Transforms.sigmoid(in.get(0), !inPlace);
        }
    }

    /** min(max(x, lo), hi) via the native {@code clipbyvalue} op (float arguments lo, hi). */
    static final class Clip extends AbstractKernel {
        private final double min;
        private final double max;

        Clip(Node node, Op.Clip op) {
            super(node);
            this.min = op.min();
            this.max = op.max();
        }

        @Override
        protected INDArray compute(List<INDArray> in, List<int[]> shapes, int[] out, boolean inPlace) {
            INDArray x = in.get(0);
            INDArray y = inPlace ? x : x.ulike();
            Nd4j.exec(DynamicCustomOp.builder("clipbyvalue").addInputs(x).addOutputs(y)
                    .addFloatingPointArguments(min, max).build());
            return y;
        }
    }

    /** Identity / inference Dropout: returns input 0 itself. */
    static final class Identity extends AbstractKernel {
        Identity(Node node) {
            super(node);
        }

        @Override
        protected INDArray compute(List<INDArray> in, List<int[]> shapes, int[] out, boolean inPlace) {
            return in.get(0);
        }
    }

    /** Σ inputs, element-wise; in place into input 0 when allowed. */
    static final class Add extends AbstractKernel {
        Add(Node node) {
            super(node);
        }

        @Override
        protected INDArray compute(List<INDArray> in, List<int[]> shapes, int[] out, boolean inPlace) {
            INDArray acc;
            int next;
            if (in.size() == 1) {
                return inPlace ? in.get(0) : in.get(0).dup();
            }
            if (inPlace) {
                acc = in.get(0).addi(in.get(1));
            } else {
                acc = in.get(0).add(in.get(1));
            }
            for (next = 2; next < in.size(); next++) {
                acc.addi(in.get(next));
            }
            return acc;
        }
    }

    /**
     * Inference batch normalisation over axis 1, computed as y = x·m + t with the per-channel
     * m = scale / √(var + ε) and t = bias − mean·m, precomputed in double precision and broadcast along
     * the other axes.
     */
    static final class BatchNorm extends AbstractKernel {
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
            multiplier = own(Nd4j.create(m, new long[]{c}, org.nd4j.linalg.api.buffer.DataType.FLOAT));
            shift = own(Nd4j.create(t, new long[]{c}, org.nd4j.linalg.api.buffer.DataType.FLOAT));
        }

        @Override
        protected INDArray compute(List<INDArray> in, List<int[]> shapes, int[] out, boolean inPlace) {
            INDArray x = in.get(0);
            long[] bshape = new long[x.rank()];
            java.util.Arrays.fill(bshape, 1);
            bshape[1] = multiplier.length();
            INDArray m = multiplier.reshape(bshape);
            INDArray t = shift.reshape(bshape);
            INDArray y = inPlace ? x.muli(m) : x.mul(m);
            return y.addi(t);
        }
    }
}
