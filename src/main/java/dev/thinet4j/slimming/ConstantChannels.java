package dev.thinet4j.slimming;

import dev.thinet4j.model.Network;
import dev.thinet4j.model.Node;
import dev.thinet4j.model.Op;
import dev.thinet4j.model.Tensor;
import dev.thinet4j.surgery.ChannelGroup;
import dev.thinet4j.surgery.Member;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The value each removed channel carries in each tensor of its group in the masked network (γ = 0
 * in every BN of the group for those channels), found by walking the group's tensors in
 * topological order:
 * <ul>
 *   <li>ordinary conv output: not constant (it varies with the input);</li>
 *   <li>BN: β (exact: γ = 0 makes the input irrelevant);</li>
 *   <li>Relu, LeakyRelu, Clip, Sigmoid, Identity: the activation of the input constant;</li>
 *   <li>MaxPool, GlobalAveragePool: the input constant (padded positions never win a max); AveragePool
 *       too, exact unless it counts zero padding;</li>
 *   <li>depthwise conv: a·Σ<sub>ky,kx</sub> w + b, exact only without padding (or a = 0);</li>
 *   <li>Add: the sum of the inputs' constants; Concat: the constant of the group's input.</li>
 *   <li>Mul / Sub / Div / Pow of two group tensors: the operation on their constants (a squeeze-excitation
 *       gate of a constant channel is constant too); with a scalar or per-channel constant: the operation
 *       on the channel's entry; HardSigmoid, HardSwish, Sqrt, Erf: the function of the constant; Resize,
 *       ReduceMean over H, W and Slice: the input constant.</li>
 * </ul>
 */
final class ConstantChannels {
    /** Per removed channel (in the order of {@code removed}) its value, and whether it holds at every pixel. */
    record Values(double[] values, boolean exact) {
        boolean allZero() {
            for (double v : values) {
                if (v != 0) {
                    return false;
                }
            }
            return true;
        }
    }

    private ConstantChannels() {
    }

    /**
     * @param net     the network holding the group (BN γ need not be zeroed: only β and weights are read)
     * @param group   the group, as found in {@code net}
     * @param removed removed group channel indices. Not modified.
     * @return for every group tensor its constants, or no entry when the tensor is not constant
     */
    static Map<String, Values> propagate(Network net, ChannelGroup group, int[] removed) {
        Map<String, Integer> offsets = new HashMap<>();
        for (Member m : group.members()) {
            offsets.putIfAbsent(m.node(), m.offset());
        }
        List<String> tensors = group.tensors();
        Map<String, Values> out = new HashMap<>();
        for (String t : tensors) {
            Node p = net.producer(t).orElseThrow(() -> new IllegalStateException("group tensor '" + t
                    + "' has no producing node"));
            Values v = valueOf(net, p, offsets, tensors, out, removed);
            if (v != null) {
                out.put(t, v);
            }
        }
        return out;
    }

    private static Values valueOf(Network net, Node p, Map<String, Integer> offsets, List<String> tensors,
                                  Map<String, Values> known, int[] removed) {
        Op op = p.op();
        int n = removed.length;
        if (op instanceof Op.BatchNorm bn) {
            int off = offset(offsets, p);
            double[] v = new double[n];
            for (int i = 0; i < n; i++) {
                v[i] = bn.bias().get(off + removed[i]);
            }
            return new Values(v, true);
        }
        if (op instanceof Op.Conv c) {
            if (c.groups() == 1) {
                return null;
            }
            Values in = known.get(p.input());
            if (in == null) {
                return null;
            }
            int off = offset(offsets, p);
            int kk = c.weight().dim(2) * c.weight().dim(3);
            double[] v = new double[n];
            for (int i = 0; i < n; i++) {
                int ch = off + removed[i];
                double sum = 0;
                for (int k = 0; k < kk; k++) {
                    sum += c.weight().get(ch * kk + k);
                }
                v[i] = in.values()[i] * sum + (c.bias() == null ? 0 : c.bias().get(ch));
            }
            return new Values(v, in.exact() && (c.pads().isZero() || in.allZero()));
        }
        if (op instanceof Op.Add) {
            double[] v = new double[n];
            boolean exact = true;
            for (String in : p.inputs()) {
                Values x = known.get(in);
                if (x == null) {
                    return null;
                }
                for (int i = 0; i < n; i++) {
                    v[i] += x.values()[i];
                }
                exact &= x.exact();
            }
            return new Values(v, exact);
        }
        if (op instanceof Op.Binary b) {
            // both operands must carry the group (a broadcast operand is not constant per removed channel)
            Values x = known.get(p.inputs().get(0));
            Values y = known.get(p.inputs().get(1));
            if (x == null || y == null) {
                return null;
            }
            double[] v = new double[n];
            for (int i = 0; i < n; i++) {
                v[i] = b.arith().apply(x.values()[i], y.values()[i]);
            }
            return new Values(v, x.exact() && y.exact());
        }
        if (op instanceof Op.Concat) {
            for (String in : p.inputs()) {
                if (tensors.contains(in)) {
                    return known.get(in);
                }
            }
            return null;
        }
        Values in = known.get(p.input());
        if (in == null) {
            return null;
        }
        if (op instanceof Op.MaxPool || op instanceof Op.GlobalAvgPool || op instanceof Op.Identity
                || op instanceof Op.Resize || op instanceof Op.ReduceMean || op instanceof Op.Slice) {
            return in;
        }
        if (op instanceof Op.ConstArith ca) {
            return constArith(ca, p, offsets, in, removed);
        }
        if (op instanceof Op.AvgPool a) {
            boolean padFree = !a.countIncludePad() || (a.pads().isZero() && !a.ceilMode());
            return new Values(in.values(), in.exact() && (padFree || in.allZero()));
        }
        double[] v = in.values().clone();
        for (int i = 0; i < n; i++) {
            v[i] = activate(op, p, v[i]);
        }
        return new Values(v, in.exact());
    }

    private static double activate(Op op, Node p, double x) {
        if (op instanceof Op.Relu) {
            return Math.max(x, 0);
        }
        if (op instanceof Op.LeakyRelu l) {
            return x >= 0 ? x : l.alpha() * x;
        }
        if (op instanceof Op.Clip c) {
            return Math.min(Math.max(x, c.min()), c.max());
        }
        if (op instanceof Op.Sigmoid) {
            return 1.0 / (1.0 + Math.exp(-x));
        }
        if (op instanceof Op.HardSigmoid h) {
            return Math.max(0, Math.min(1, h.alpha() * x + h.beta()));
        }
        if (op instanceof Op.HardSwish) {
            return x * Math.max(0, Math.min(1, x / 6 + 0.5));
        }
        if (op instanceof Op.Sqrt) {
            return Math.sqrt(x);
        }
        if (op instanceof Op.Erf) {
            return dev.thinet4j.model.ScalarMath.erf(x);
        }
        throw new IllegalStateException("no constant rule for " + op.onnxType() + " node '" + p.name() + "'");
    }

    /** x ∘ c with c a scalar or per-channel constant (one value per channel, constant over the pixels). */
    private static Values constArith(Op.ConstArith ca, Node p, Map<String, Integer> offsets, Values in, int[] removed) {
        Tensor c = ca.constant();
        int n = removed.length;
        double[] v = new double[n];
        if (c.size() == 1) {
            for (int i = 0; i < n; i++) {
                v[i] = apply(ca, in.values()[i], c.get(0));
            }
            return new Values(v, in.exact());
        }
        Integer off = offsets.get(p.name());
        int[] shape = c.shape();
        int channelAxis = -1;
        for (int a = 0; a < shape.length; a++) {
            if (shape[a] != 1) {
                if (channelAxis >= 0) {
                    return null; // varies over more than the channels
                }
                channelAxis = a;
            }
        }
        if (off == null || channelAxis < 0) {
            return null;
        }
        for (int i = 0; i < n; i++) {
            v[i] = apply(ca, in.values()[i], c.get(off + removed[i]));
        }
        return new Values(v, in.exact());
    }

    private static double apply(Op.ConstArith ca, double x, double c) {
        return ca.constantFirst() ? ca.arith().apply(c, x) : ca.arith().apply(x, c);
    }

    private static int offset(Map<String, Integer> offsets, Node p) {
        Integer off = offsets.get(p.name());
        if (off == null) {
            throw new IllegalStateException("node '" + p.name() + "' produces a group tensor but is no group member");
        }
        return off;
    }

    /** Sum of a tensor's values over {@code [from, from + count)}. */
    static double sum(Tensor t, int from, int count) {
        double s = 0;
        for (int i = from; i < from + count; i++) {
            s += t.get(i);
        }
        return s;
    }
}
