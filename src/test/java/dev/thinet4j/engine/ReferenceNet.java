package dev.thinet4j.engine;

import dev.thinet4j.model.Network;
import dev.thinet4j.model.Node;
import dev.thinet4j.model.Op;
import dev.thinet4j.model.Tensor;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Evaluates a whole {@link Network} with {@link ReferenceOps}, in double precision. */
final class ReferenceNet {
    private ReferenceNet() {
    }

    static double[] doubles(Tensor t) {
        if (t == null) {
            return null;
        }
        double[] d = new double[t.size()];
        for (int i = 0; i < d.length; i++) {
            d[i] = t.get(i);
        }
        return d;
    }

    static DArray darray(Tensor t) {
        return new DArray(t.shape(), doubles(t));
    }

    /** Every tensor of the network (input and all nodes) for the given input batch. */
    static Map<String, DArray> evaluate(Network net, DArray input) {
        Map<String, DArray> values = new LinkedHashMap<>();
        values.put(net.input().name(), input);
        for (Node n : net.nodes()) {
            List<DArray> in = new ArrayList<>();
            for (String s : n.inputs()) {
                in.add(values.get(s));
            }
            values.put(n.name(), run(n.op(), in));
        }
        return values;
    }

    static DArray run(Op op, List<DArray> in) {
        DArray x = in.get(0);
        if (op instanceof Op.Conv c) {
            return ReferenceOps.conv(x, darray(c.weight()), doubles(c.bias()), c.strides().h(), c.strides().w(),
                    c.pads().top(), c.pads().left(), c.pads().bottom(), c.pads().right(),
                    c.dilations().h(), c.dilations().w(), c.groups());
        } else if (op instanceof Op.BatchNorm b) {
            return ReferenceOps.batchNorm(x, doubles(b.scale()), doubles(b.bias()), doubles(b.mean()),
                    doubles(b.var()), b.epsilon());
        } else if (op instanceof Op.Linear l) {
            return ReferenceOps.linear(x, darray(l.weight()), doubles(l.bias()));
        } else if (op instanceof Op.Relu) {
            return ReferenceOps.relu(x);
        } else if (op instanceof Op.LeakyRelu l) {
            return ReferenceOps.leakyRelu(x, l.alpha());
        } else if (op instanceof Op.Clip c) {
            return ReferenceOps.clip(x, c.min(), c.max());
        } else if (op instanceof Op.Sigmoid) {
            return ReferenceOps.sigmoid(x);
        } else if (op instanceof Op.Softmax s) {
            return ReferenceOps.softmax(x, s.axis());
        } else if (op instanceof Op.Identity) {
            return x;
        } else if (op instanceof Op.Add) {
            return ReferenceOps.add(in);
        } else if (op instanceof Op.Concat c) {
            return ReferenceOps.concat(in, c.axis());
        } else if (op instanceof Op.MaxPool m) {
            return ReferenceOps.maxPool(x, m.kernel().h(), m.kernel().w(), m.strides().h(), m.strides().w(),
                    m.pads().top(), m.pads().left(), m.pads().bottom(), m.pads().right(),
                    m.dilations().h(), m.dilations().w(), m.ceilMode());
        } else if (op instanceof Op.AvgPool a) {
            return ReferenceOps.avgPool(x, a.kernel().h(), a.kernel().w(), a.strides().h(), a.strides().w(),
                    a.pads().top(), a.pads().left(), a.pads().bottom(), a.pads().right(),
                    a.countIncludePad(), a.ceilMode());
        } else if (op instanceof Op.GlobalAvgPool) {
            return ReferenceOps.globalAvgPool(x);
        } else if (op instanceof Op.Flatten) {
            return ReferenceOps.flatten(x);
        }
        throw new IllegalArgumentException("no reference for " + op);
    }
}
