package dev.thinet4j.training;

import dev.thinet4j.model.Arith;
import dev.thinet4j.model.Node;
import dev.thinet4j.model.Op;
import dev.thinet4j.model.Shapes;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.BooleanIndexing;
import org.nd4j.linalg.indexing.conditions.Conditions;
import org.nd4j.linalg.ops.transforms.Transforms;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Element-wise arithmetic with NumPy broadcasting: {@link Op.Binary} (two activations) and
 * {@link Op.ConstArith} (an activation and a frozen constant). Operands are right-aligned, given the
 * output's rank by prepending 1s, and combined with libnd4j's broadcastable pairwise ops
 * ({@code add}, {@code subtract}, {@code multiply}, {@code divide}, {@code Pow}) into an output of the
 * broadcast shape.
 *
 * <p>Backward: the gradient of each operand is first formed at the output's shape and then reduced to the
 * operand's shape ({@link #reduceTo}): summed over the leading axes the operand lacks and over every axis
 * where the operand has length 1 and the output does not — the adjoint of broadcasting.
 */
final class ArithOps {
    private ArithOps() {
    }

    /** {@code a} viewed (or copied, when not c-contiguous) at rank {@code rank} with 1s prepended. */
    static INDArray atRank(INDArray a, int rank) {
        if (a.rank() == rank) {
            return a;
        }
        return a.reshape('c', Shapes.padLeft(a.shape(), rank));
    }

    /** y = a ∘ b with broadcasting, into a new array of shape {@code out}. */
    static INDArray apply(Arith arith, INDArray a, INDArray b, int[] out, DataType type) {
        INDArray y = org.nd4j.linalg.factory.Nd4j.createUninitialized(type, Nd.longs(out));
        INDArray a2 = atRank(a, out.length);
        INDArray b2 = atRank(b, out.length);
        Nd.exec(arith.nd4jOpName(), new INDArray[]{a2, b2}, new INDArray[]{y});
        closeIfCopy(a2, a);
        closeIfCopy(b2, b);
        return y;
    }

    private static void closeIfCopy(INDArray maybeCopy, INDArray original) {
        if (maybeCopy != original && !Nd.sameStorage(maybeCopy, original)) {
            Nd.close(maybeCopy);
        }
    }

    /**
     * The adjoint of broadcasting {@code shape} to the shape of {@code full}: Σ over the axes that
     * broadcasting stretched, as a new c-order array of {@code shape}. {@code full} is closed when
     * {@code consume} and the result is not {@code full} itself.
     *
     * @param full    a gradient at the broadcast (output) shape
     * @param shape   the operand's shape, broadcastable to {@code full}'s
     * @param consume whether {@code full} may be closed (it is a temporary of the caller)
     * @return {@code full} itself when the shapes are equal, else a new array
     */
    static INDArray reduceTo(INDArray full, long[] shape, boolean consume) {
        long[] fs = full.shape();
        if (Arrays.equals(fs, shape)) {
            return full;
        }
        long[] padded = Shapes.padLeft(shape, fs.length);
        List<Integer> axes = new ArrayList<>();
        for (int i = 0; i < fs.length; i++) {
            if (padded[i] == 1 && fs[i] != 1) {
                axes.add(i);
            }
        }
        INDArray out;
        if (axes.isEmpty()) {
            out = full.dup('c').reshape('c', shape);
        } else {
            int[] ax = axes.stream().mapToInt(Integer::intValue).toArray();
            INDArray s = full.sum(true, ax);
            out = s.reshape('c', shape);
            if (!Nd.sameStorage(out, s)) {
                Nd.close(s);
            }
        }
        if (consume) {
            Nd.close(full);
        }
        return out;
    }

    /**
     * ln a as a new array, with ln 0 = −∞ replaced by 0: where a = 0 (and the exponent is positive) y = 0,
     * and y·ln a would be 0·(−∞) = NaN instead of the limit 0 (PyTorch's value). NaN stays for a &lt; 0.
     */
    static INDArray logZeroAtZero(INDArray a) {
        INDArray ln = Transforms.log(a, true);
        BooleanIndexing.replaceWhere(ln, 0.0, Conditions.isInfinite());
        return ln;
    }

    /**
     * y = a ∘ b of two activations (shapes broadcast NumPy-style, the output has the broadcast shape B).
     * Gradients at shape B, then reduced to each input's shape ({@link ArithOps#reduceTo}):
     * <ul>
     *   <li>Add: ∂a = ∂y, ∂b = ∂y</li>
     *   <li>Sub: ∂a = ∂y, ∂b = −∂y</li>
     *   <li>Mul: ∂a = ∂y·b, ∂b = ∂y·a</li>
     *   <li>Div: ∂a = ∂y/b, ∂b = −∂y·a/b² = −∂y·y/b</li>
     *   <li>Pow: ∂a = ∂y·b·a^(b−1), ∂b = ∂y·y·ln a (taken as 0 where a = 0 and y = 0; NaN for a &lt; 0, as
     *       in PyTorch)</li>
     * </ul>
     */
    static final class Binary extends TrainOp {
        private final Arith arith;
        private INDArray a;
        private INDArray b;
        private INDArray y;
        private int[] outSaved;

        Binary(Node node, Op.Binary op, DataType type) {
            super(node, type);
            this.arith = op.arith();
        }

        @Override
        INDArray forward(List<INDArray> in, PassOptions pass, boolean save) {
            int[] out = outShape(in);
            INDArray out0 = apply(arith, in.get(0), in.get(1), out, type);
            if (save) {
                a = in.get(0);
                b = in.get(1);
                outSaved = out;
                if (arith == Arith.DIV || arith == Arith.POW) {
                    y = out0;
                }
            }
            return out0;
        }

        @Override
        INDArray[] backward(INDArray gradOut, boolean[] need) {
            INDArray[] g = new INDArray[2];
            if (need[0]) {
                INDArray full = switch (arith) {
                    case ADD, SUB -> gradOut;
                    case MUL -> apply(Arith.MUL, gradOut, b, outSaved, type);
                    case DIV -> apply(Arith.DIV, gradOut, b, outSaved, type);
                    case POW -> {
                        INDArray bm1 = b.sub(1.0);
                        INDArray p = apply(Arith.POW, a, bm1, outSaved, type);
                        Nd.close(bm1);
                        INDArray t = apply(Arith.MUL, p, b, outSaved, type);
                        Nd.close(p);
                        yield t.muli(gradOut);
                    }
                };
                g[0] = reduceTo(full, a.shape(), full != gradOut);
            }
            if (need[1]) {
                INDArray full = switch (arith) {
                    case ADD -> gradOut;
                    case SUB -> gradOut.neg();
                    case MUL -> apply(Arith.MUL, gradOut, a, outSaved, type);
                    case DIV -> {
                        INDArray t = apply(Arith.DIV, y, b, outSaved, type);
                        yield t.muli(gradOut).negi();
                    }
                    case POW -> {
                        INDArray lnA = logZeroAtZero(a);
                        INDArray t = apply(Arith.MUL, y, lnA, outSaved, type);
                        Nd.close(lnA);
                        yield t.muli(gradOut);
                    }
                };
                g[1] = reduceTo(full, b.shape(), full != gradOut);
            }
            return g;
        }

        @Override
        void clear() {
            a = null;
            b = null;
            y = null;
        }
    }

    /**
     * y = x ∘ c, or y = c ∘ x with {@code constantFirst}, for an activation x and a constant c that
     * broadcasts into x's shape (right-aligned, never widening x). The constant is <b>frozen</b>: it is not
     * a {@link Parameter}, receives no gradient and is not changed by training — this includes a layer
     * scale (ConvNeXt's γ, a Mul by a constant) when the ONNX export made it a constant. Only ∂x is
     * computed:
     * <ul>
     *   <li>x + c, c + x, x − c: ∂x = ∂y; c − x: ∂x = −∂y</li>
     *   <li>x·c, c·x: ∂x = ∂y·c</li>
     *   <li>x / c: ∂x = ∂y/c; c / x: ∂x = −∂y·c/x² = −∂y·y/x</li>
     *   <li>x^c: ∂x = ∂y·c·x^(c−1); c^x: ∂x = ∂y·y·ln c (0 where c = 0)</li>
     * </ul>
     * The constant is held in the network's precision at the output's rank (1s prepended), so no
     * reduction is needed for ∂x.
     */
    static final class ConstArith extends TrainOp {
        private final Arith arith;
        private final boolean constantFirst;
        private final dev.thinet4j.model.Tensor constantTensor;
        private INDArray c;
        private INDArray cMinus1;
        private INDArray lnC;
        private INDArray x;
        private INDArray y;

        ConstArith(Node node, Op.ConstArith op, DataType type) {
            super(node, type);
            this.arith = op.arith();
            this.constantFirst = op.constantFirst();
            this.constantTensor = op.constant();
        }

        /** The constant at rank {@code rank}, converted once (the rank is the activation's, fixed per network). */
        private INDArray constant(int rank) {
            if (c == null || c.rank() != rank) {
                Nd.close(c, cMinus1, lnC);
                cMinus1 = null;
                lnC = null;
                try (var ignored = org.nd4j.linalg.factory.Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
                    INDArray t = Nd.toNd(constantTensor, type);
                    c = t.reshape('c', Shapes.padLeft(t.shape(), rank)).dup('c');
                    Nd.close(t);
                }
            }
            return c;
        }

        @Override
        INDArray forward(List<INDArray> in, PassOptions pass, boolean save) {
            int[] out = outShape(in);
            INDArray input = in.get(0);
            INDArray k = constant(out.length);
            INDArray out0 = constantFirst ? apply(arith, k, input, out, type) : apply(arith, input, k, out, type);
            if (save) {
                x = input;
                y = out0;
            }
            return out0;
        }

        @Override
        INDArray[] backward(INDArray gradOut, boolean[] need) {
            if (!need[0]) {
                return new INDArray[]{null};
            }
            int[] out = Nd.ints(gradOut.shape());
            INDArray k = constant(out.length);
            INDArray gx = switch (arith) {
                case ADD -> gradOut;
                case SUB -> constantFirst ? gradOut.neg() : gradOut;
                case MUL -> apply(Arith.MUL, gradOut, k, out, type);
                case DIV -> {
                    if (!constantFirst) {
                        yield apply(Arith.DIV, gradOut, k, out, type);
                    }
                    INDArray t = y.div(x);
                    yield t.muli(gradOut).negi();
                }
                case POW -> {
                    if (!constantFirst) {
                        if (cMinus1 == null) {
                            cMinus1 = k.sub(1.0);
                        }
                        INDArray p = apply(Arith.POW, x, cMinus1, out, type);
                        INDArray t = apply(Arith.MUL, p, k, out, type);
                        Nd.close(p);
                        yield t.muli(gradOut);
                    }
                    if (lnC == null) {
                        lnC = logZeroAtZero(k);
                    }
                    INDArray t = apply(Arith.MUL, y, lnC, out, type);
                    yield t.muli(gradOut);
                }
            };
            return new INDArray[]{gx};
        }

        @Override
        void clear() {
            x = null;
            y = null;
        }

        @Override
        void release() {
            Nd.close(c, cMinus1, lnC);
            c = null;
            cMinus1 = null;
            lnC = null;
        }
    }
}
