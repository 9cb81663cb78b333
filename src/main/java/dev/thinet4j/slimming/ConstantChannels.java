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
        if (op instanceof Op.MaxPool || op instanceof Op.GlobalAvgPool || op instanceof Op.Identity) {
            return in;
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
        throw new IllegalStateException("no constant rule for " + op.onnxType() + " node '" + p.name() + "'");
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
