package dev.thinet4j.engine;

import dev.thinet4j.model.Arith;
import dev.thinet4j.model.Node;
import dev.thinet4j.model.Op;
import dev.thinet4j.model.Shapes;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Element-wise arithmetic with NumPy (ONNX multidirectional) broadcasting: {@link Op.Binary} of two
 * activations and {@link Op.ConstArith} of an activation and a constant. Both run libnd4j's broadcastable
 * custom ops {@code add}, {@code subtract}, {@code multiply}, {@code divide} and {@code Pow}:
 * z[i] = a[i'] ∘ b[i''] where i' and i'' are i with every axis of length 1 in the (right-aligned, rank-padded)
 * operand read at index 0.
 *
 * <p>Layout: on rank-4 tensors both kernels take NHWC views (see {@link NdArrays#isNhwc}). The operands are
 * then brought to their dense [N, H, W, C] arrays (an NHWC view's base; a dense NCHW operand whose layout is
 * trivially NHWC, e.g. a squeeze-excitation gate [N, C, 1, 1] or a spatial map [N, 1, H, W], without a copy;
 * any other operand by one copy; a constant by a permutation done once), the arithmetic runs there and the
 * result is an NHWC view. Broadcasting commutes with that permutation of axes, so the values are the same.
 */
final class BroadcastKernels {
    private BroadcastKernels() {
    }

    /** z = a ∘ b with broadcasting; {@code z} has the broadcast shape (it may be {@code a} itself). */
    static void exec(Arith arith, INDArray a, INDArray b, INDArray z) {
        Nd4j.exec(DynamicCustomOp.builder(arith.nd4jOpName()).addInputs(a, b).addOutputs(z).build());
    }

    /** {@code a} with leading axes of length 1 up to {@code rank} (a view; {@code a} itself when already so). */
    static INDArray padRank(INDArray a, int rank) {
        if (a.rank() == rank) {
            return a;
        }
        return a.reshape('c', Shapes.padLeft(a.shape(), rank));
    }

    /**
     * y = a ∘ b for two activations, broadcast as in NumPy (operands of lower rank are padded with leading
     * axes of length 1). In place into input 0 when allowed and input 0 already has the output's shape.
     */
    static final class Binary extends AnyLayoutKernel {
        private final Arith arith;

        Binary(Node node, Op.Binary op) {
            super(node);
            this.arith = op.arith();
        }

        @Override
        protected INDArray compute(List<INDArray> in, List<int[]> shapes, int[] out, boolean inPlace, Buffers alloc) {
            INDArray a = in.get(0);
            INDArray b = in.get(1);
            boolean nhwc = out.length == 4 && a.rank() == 4 && b.rank() == 4
                    && (NdArrays.isNhwc(a) || NdArrays.isNhwc(b));
            List<INDArray> scratch = new ArrayList<>();
            try {
                if (nhwc) {
                    INDArray ab = nhwcOperand(a, alloc, scratch);
                    INDArray bb = nhwcOperand(b, alloc, scratch);
                    boolean overwrite = inPlace && NdArrays.isNhwc(a) && Arrays.equals(shapes.get(0), out);
                    INDArray z = overwrite ? ab : alloc.allocate(out[0], out[2], out[3], out[1]);
                    exec(arith, ab, bb, z);
                    return NdArrays.nchwView(z);
                }
                if (NdArrays.isNhwc(a)) {
                    a = NdArrays.toDenseC(a, alloc);
                    scratch.add(a);
                }
                if (NdArrays.isNhwc(b)) {
                    b = NdArrays.toDenseC(b, alloc);
                    scratch.add(b);
                }
                INDArray a4 = padRank(a, out.length);
                INDArray b4 = padRank(b, out.length);
                boolean overwrite = inPlace && Arrays.equals(shapes.get(0), out) && !scratch.contains(a);
                INDArray z = overwrite ? a : alloc.allocate(out);
                exec(arith, a4, b4, z);
                return z;
            } finally {
                scratch.forEach(alloc::recycle);
            }
        }

        /** The dense [N, H, W, C] array of a rank-4 operand: its NHWC base, else a copy (kept in {@code scratch}). */
        private static INDArray nhwcOperand(INDArray x, Buffers alloc, List<INDArray> scratch) {
            INDArray base = NdArrays.nhwcBase(x);
            if (base != null) {
                return base;
            }
            INDArray t = NdArrays.toNhwc(x, alloc);
            scratch.add(t);
            return t;
        }
    }

    /**
     * y = x ∘ c, or y = c ∘ x when the constant comes first, with the constant broadcast against x
     * (right-aligned; it never widens x, so y has x's shape). The constant is converted once, padded to x's
     * rank on first use; for NHWC views it is also permuted once to (0, 2, 3, 1). In place into x when allowed.
     */
    static final class ConstArith extends AnyLayoutKernel {
        private final Arith arith;
        private final boolean constantFirst;
        private final int[] constShape;
        private final float[] constData;
        /** The constant padded to rank r, by rank (index r); created on first use. */
        private final INDArray[] byRank = new INDArray[9];
        private volatile INDArray nhwcConst;

        ConstArith(Node node, Op.ConstArith op) {
            super(node);
            this.arith = op.arith();
            this.constantFirst = op.constantFirst();
            this.constShape = op.constant().shape();
            this.constData = op.constant().data();
        }

        private synchronized INDArray constant(int rank) {
            if (rank >= byRank.length) {
                return own(constantOfRank(rank));
            }
            if (byRank[rank] == null) {
                byRank[rank] = own(constantOfRank(rank));
            }
            return byRank[rank];
        }

        private INDArray constantOfRank(int rank) {
            return NdArrays.fromFloats(constData, Shapes.padLeft(NdArrays.longs(constShape), rank));
        }

        private synchronized INDArray nhwcConstant() {
            if (nhwcConst == null) {
                nhwcConst = own(constant(4).permute(0, 2, 3, 1).dup('c'));
            }
            return nhwcConst;
        }

        @Override
        protected INDArray compute(List<INDArray> in, List<int[]> shapes, int[] out, boolean inPlace, Buffers alloc) {
            INDArray x = in.get(0);
            if (NdArrays.isNhwc(x)) {
                INDArray base = NdArrays.nhwcBase(x);
                INDArray z = inPlace ? base : alloc.allocate(base.shape());
                apply(base, nhwcConstant(), z);
                return NdArrays.nchwView(z);
            }
            INDArray z = inPlace ? x : alloc.allocate(out);
            apply(x, constant(x.rank()), z);
            return z;
        }

        private void apply(INDArray x, INDArray c, INDArray z) {
            if (constantFirst) {
                exec(arith, c, x, z);
            } else {
                exec(arith, x, c, z);
            }
        }
    }
}
