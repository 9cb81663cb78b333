package dev.thinet4j.training;

import dev.thinet4j.model.Node;
import dev.thinet4j.model.Op;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.random.impl.BernoulliDistribution;
import org.nd4j.linalg.api.rng.Random;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

import java.util.List;

/**
 * Activations (ReLU, LeakyReLU, Clip, Sigmoid, HardSigmoid, HardSwish, Erf, Sqrt), Softmax, Identity/Dropout
 * and Add: forward and backward with vectorised ND4J ops, on inputs of any rank.
 */
final class ElementwiseOps {
    private ElementwiseOps() {
    }

    /**
     * A one-input op whose backward needs one array of the forward: its input x or its output y. Subclasses
     * state the formula only: {@link #value} for y, {@link #gradient} for ∂x.
     */
    abstract static class UnaryOp extends TrainOp {
        /** Which forward array the backward needs. */
        enum Keep { INPUT, OUTPUT }

        private final Keep keep;
        private INDArray saved;

        UnaryOp(Node node, DataType type, Keep keep) {
            super(node, type);
            this.keep = keep;
        }

        /** y for x, as a new array (x not modified). */
        abstract INDArray value(INDArray x);

        /** ∂x from ∂y and the kept array (x or y, per {@link Keep}), as a new array (neither modified). */
        abstract INDArray gradient(INDArray gradOut, INDArray saved);

        @Override
        final INDArray forward(List<INDArray> in, PassOptions pass, boolean save) {
            INDArray x = in.get(0);
            INDArray y = value(x);
            if (save) {
                saved = keep == Keep.INPUT ? x : y;
            }
            return y;
        }

        @Override
        final INDArray[] backward(INDArray gradOut, boolean[] need) {
            if (!need[0]) {
                return new INDArray[]{null};
            }
            return new INDArray[]{gradient(gradOut, saved)};
        }

        @Override
        final void clear() {
            saved = null;
        }
    }

    /** y = max(x, 0); ∂x = ∂y where y > 0, else 0 (native {@code relu_bp} on the saved output). */
    static final class Relu extends UnaryOp {
        Relu(Node node, DataType type) {
            super(node, type, Keep.OUTPUT);
        }

        @Override
        INDArray value(INDArray x) {
            return Transforms.relu(x, true);
        }

        @Override
        INDArray gradient(INDArray gradOut, INDArray y) {
            INDArray gx = gradOut.ulike();
            Nd.exec("relu_bp", new INDArray[]{y, gradOut}, new INDArray[]{gx});
            return gx;
        }
    }

    /** y = x for x ≥ 0, α·x otherwise; ∂x = ∂y·(x ≥ 0 ? 1 : α) (native {@code lrelu_bp}, float argument α). */
    static final class LeakyRelu extends UnaryOp {
        private final double alpha;

        LeakyRelu(Node node, Op.LeakyRelu op, DataType type) {
            super(node, type, Keep.INPUT);
            this.alpha = op.alpha();
        }

        @Override
        INDArray value(INDArray x) {
            return Transforms.leakyRelu(x, alpha, true);
        }

        @Override
        INDArray gradient(INDArray gradOut, INDArray x) {
            INDArray gx = gradOut.ulike();
            Nd4j.exec(DynamicCustomOp.builder("lrelu_bp").addInputs(x, gradOut).addOutputs(gx)
                    .addFloatingPointArguments(alpha).build());
            return gx;
        }
    }

    /**
     * y = min(max(x, lo), hi) (native {@code clipbyvalue}); ∂x = ∂y where lo &lt; x &lt; hi, else 0 (PyTorch's
     * hardtanh / ReLU6 rule), as a mask product.
     */
    static final class Clip extends UnaryOp {
        private final double min;
        private final double max;

        Clip(Node node, Op.Clip op, DataType type) {
            super(node, type, Keep.INPUT);
            this.min = op.min();
            this.max = op.max();
        }

        @Override
        INDArray value(INDArray x) {
            return clip(x, min, max);
        }

        @Override
        INDArray gradient(INDArray gradOut, INDArray x) {
            INDArray mask = openInterval(x, min, max, type);
            INDArray gx = gradOut.mul(mask);
            Nd.close(mask);
            return gx;
        }
    }

    /** min(max(v, lo), hi) by native {@code clipbyvalue}, as a new array. */
    static INDArray clip(INDArray v, double lo, double hi) {
        INDArray y = v.ulike();
        Nd4j.exec(DynamicCustomOp.builder("clipbyvalue").addInputs(v).addOutputs(y)
                .addFloatingPointArguments(lo, hi).build());
        return y;
    }

    /** y = 1/(1 + e^−x); ∂x = ∂y·y·(1 − y). */
    static final class Sigmoid extends UnaryOp {
        Sigmoid(Node node, DataType type) {
            super(node, type, Keep.OUTPUT);
        }

        @Override
        INDArray value(INDArray x) {
            return Transforms.sigmoid(x, true);
        }

        @Override
        INDArray gradient(INDArray gradOut, INDArray y) {
            return y.rsub(1.0).muli(y).muli(gradOut);
        }
    }

    /**
     * Softmax along one axis, y = e^(x − max)/Σ e^(x − max): the native {@code softmax} op on the last axis,
     * broadcast max/exp/sum/divide on other axes (the native op gives wrong sums there in ND4J 1.0.0-M2.1,
     * see the engine's softmax kernel). Backward: ∂x = y·(∂y − Σ_axis ∂y·y).
     */
    static final class Softmax extends UnaryOp {
        private final int axis;

        Softmax(Node node, Op.Softmax op, DataType type) {
            super(node, type, Keep.OUTPUT);
            this.axis = op.axis();
        }

        /** The axis as an index into {@code a}'s dimensions (x and y have the same rank). */
        private int axisFor(INDArray a) {
            int rank = a.rank();
            int ax = axis < 0 ? axis + rank : axis;
            if (ax < 0 || ax >= rank) {
                throw new IllegalArgumentException("node '" + node.name() + "': Softmax axis " + axis
                        + " out of range for input " + Nd.fmt(a));
            }
            return ax;
        }

        @Override
        INDArray value(INDArray x) {
            return softmax(x, axisFor(x));
        }

        static INDArray softmax(INDArray x, int ax) {
            if (ax == x.rank() - 1) {
                INDArray out = x.ulike();
                Nd.exec("softmax", new INDArray[]{x}, new INDArray[]{out}, ax);
                return out;
            }
            INDArray max = x.max(true, ax);
            INDArray out = x.sub(max);
            Nd.close(max);
            Transforms.exp(out, false);
            INDArray sum = out.sum(true, ax);
            out.divi(sum);
            Nd.close(sum);
            return out;
        }

        @Override
        INDArray gradient(INDArray gradOut, INDArray y) {
            INDArray prod = gradOut.mul(y);
            INDArray dot = prod.sum(true, axisFor(y));
            INDArray gx = gradOut.sub(dot).muli(y);
            Nd.close(prod, dot);
            return gx;
        }
    }

    /**
     * Identity, and inference-mode Dropout. With a dropout rate p &gt; 0 in TRAIN mode it is inverted
     * dropout: y = x·mask/(1 − p), mask ~ Bernoulli(1 − p) from the pass's seed, ∂x = ∂y·mask/(1 − p).
     * Otherwise y is x itself and ∂x is ∂y itself.
     */
    static final class Identity extends TrainOp {
        private INDArray mask;
        private Random random;

        Identity(Node node, DataType type) {
            super(node, type);
        }

        @Override
        INDArray forward(List<INDArray> in, PassOptions pass, boolean save) {
            INDArray x = in.get(0);
            if (pass.mode() != ForwardMode.TRAIN || pass.dropout() == 0) {
                return x;
            }
            if (random == null) {
                random = Nd4j.getRandomFactory().getNewRandomInstance(pass.seed());
            }
            // a distinct, reproducible stream per node and pass
            random.setSeed(pass.seed() * 0x9E3779B97F4A7C15L + node.name().hashCode());
            double keep = 1 - pass.dropout();
            INDArray m = x.ulike();
            Nd4j.getExecutioner().exec(new BernoulliDistribution(m, keep), random);
            m.divi(keep);
            INDArray y = x.mul(m);
            if (save) {
                mask = m;
            } else {
                Nd.close(m);
            }
            return y;
        }

        @Override
        INDArray[] backward(INDArray gradOut, boolean[] need) {
            if (!need[0]) {
                return new INDArray[]{null};
            }
            return new INDArray[]{mask == null ? gradOut : gradOut.mul(mask)};
        }

        @Override
        void clear() {
            Nd.close(mask);
            mask = null;
        }
    }

    /** y = Σ inputs; each input's gradient is ∂y itself. */
    static final class Add extends TrainOp {
        Add(Node node, DataType type) {
            super(node, type);
        }

        @Override
        INDArray forward(List<INDArray> in, PassOptions pass, boolean save) {
            outShape(in);
            INDArray acc = in.get(0).dup();
            for (int i = 1; i < in.size(); i++) {
                acc.addi(in.get(i));
            }
            return acc;
        }

        @Override
        INDArray[] backward(INDArray gradOut, boolean[] need) {
            INDArray[] g = new INDArray[need.length];
            for (int i = 0; i < need.length; i++) {
                g[i] = need[i] ? gradOut : null;
            }
            return g;
        }
    }

    /**
     * y = max(0, min(1, α·x + β)) (native {@code clipbyvalue} of the affine map); ∂x = ∂y·α where
     * 0 &lt; α·x + β &lt; 1, else 0 (PyTorch's rule at the kinks).
     */
    static final class HardSigmoid extends UnaryOp {
        private final double alpha;
        private final double beta;

        HardSigmoid(Node node, Op.HardSigmoid op, DataType type) {
            super(node, type, Keep.INPUT);
            this.alpha = op.alpha();
            this.beta = op.beta();
        }

        private INDArray affine(INDArray x) {
            return x.mul(alpha).addi(beta);
        }

        @Override
        INDArray value(INDArray x) {
            INDArray t = affine(x);
            INDArray y = clip(t, 0.0, 1.0);
            Nd.close(t);
            return y;
        }

        @Override
        INDArray gradient(INDArray gradOut, INDArray x) {
            INDArray t = affine(x);
            INDArray mask = openInterval(t, 0.0, 1.0, type);
            INDArray gx = gradOut.mul(mask).muli(alpha);
            Nd.close(t, mask);
            return gx;
        }
    }

    /** 1 where lo &lt; v &lt; hi, else 0, as a new array of {@code type}. */
    static INDArray openInterval(INDArray v, double lo, double hi, DataType type) {
        INDArray above = v.gt(lo);
        INDArray below = v.lt(hi);
        INDArray mask = above.castTo(type);
        INDArray belowT = below.castTo(type);
        mask.muli(belowT);
        Nd.close(above, below, belowT);
        return mask;
    }

    /**
     * y = x·max(0, min(1, x/6 + 1/2)); ∂x = ∂y·(0 for x &lt; −3, x/3 + 1/2 for −3 ≤ x ≤ 3, 1 for x &gt; 3)
     * (PyTorch's {@code hardswish_backward}).
     */
    static final class HardSwish extends UnaryOp {
        HardSwish(Node node, DataType type) {
            super(node, type, Keep.INPUT);
        }

        @Override
        INDArray value(INDArray x) {
            INDArray gate = x.div(6.0).addi(0.5);
            INDArray clipped = clip(gate, 0.0, 1.0);
            Nd.close(gate);
            return clipped.muli(x);
        }

        @Override
        INDArray gradient(INDArray gradOut, INDArray x) {
            INDArray lower = x.gte(-3.0);
            INDArray upper = x.lte(3.0);
            INDArray mid = lower.castTo(type);
            INDArray upperT = upper.castTo(type);
            mid.muli(upperT);
            INDArray above = x.gt(3.0);
            INDArray aboveT = above.castTo(type);
            // d = mid·(x/3 + 1/2) + [x > 3]
            INDArray d = x.div(3.0).addi(0.5).muli(mid).addi(aboveT);
            INDArray gx = d.muli(gradOut);
            Nd.close(lower, upper, mid, upperT, above, aboveT);
            return gx;
        }
    }

    /** y = erf(x) (libnd4j's {@code erf} transform); ∂x = ∂y·(2/√π)·e^(−x²). */
    static final class Erf extends UnaryOp {
        private static final double TWO_OVER_SQRT_PI = 2.0 / Math.sqrt(Math.PI);

        Erf(Node node, DataType type) {
            super(node, type, Keep.INPUT);
        }

        @Override
        INDArray value(INDArray x) {
            INDArray y = x.ulike();
            Nd4j.getExecutioner().exec(new org.nd4j.linalg.api.ops.impl.transforms.strict.Erf(x, y));
            return y;
        }

        @Override
        INDArray gradient(INDArray gradOut, INDArray x) {
            INDArray e = x.mul(x).negi();
            Transforms.exp(e, false);
            return e.muli(TWO_OVER_SQRT_PI).muli(gradOut);
        }
    }

    /** y = √x (NaN below 0); ∂x = ∂y/(2·y) (∞ at x = 0, as in PyTorch). */
    static final class Sqrt extends UnaryOp {
        Sqrt(Node node, DataType type) {
            super(node, type, Keep.OUTPUT);
        }

        @Override
        INDArray value(INDArray x) {
            return Transforms.sqrt(x, true);
        }

        @Override
        INDArray gradient(INDArray gradOut, INDArray y) {
            return gradOut.div(y).muli(0.5);
        }
    }
}
