package dev.thinet4j.budget;

import dev.thinet4j.model.ModelSize;
import dev.thinet4j.model.Network;
import dev.thinet4j.model.NetworkBuilder;
import dev.thinet4j.model.Node;

import java.util.List;
import java.util.Map;

/**
 * The tail of a network after a cut tensor T: every node after T reads only T or later nodes, so the network's
 * output is a function of T alone. Pruning a layer changes no node before its group's first member, so with a
 * cut T before that member the unpruned network's T can be fed to the pruned network's tail.
 */
final class Suffix {
    private Suffix() {
    }

    /**
     * The latest cut strictly before node index {@code firstChanged}: the largest t &lt; firstChanged such that every
     * node after t reads only node t or later nodes, t's tensor is NCHW, and the first output comes after t;
     * −1 (the network input) when there is none.
     */
    static int cut(Network net, int firstChanged) {
        List<Node> nodes = net.nodes();
        int n = nodes.size();
        Map<String, int[]> shapes = net.shapes(1);
        // minRead[p] = smallest index read by any node at position ≥ p (the input counts as −1)
        int[] minRead = new int[n + 1];
        minRead[n] = Integer.MAX_VALUE;
        for (int p = n - 1; p >= 0; p--) {
            int m = minRead[p + 1];
            for (String in : nodes.get(p).inputs()) {
                m = Math.min(m, in.equals(net.input().name()) ? -1 : net.indexOf(in));
            }
            minRead[p] = m;
        }
        int output = net.indexOf(net.outputs().get(0));
        for (int t = Math.min(firstChanged, n) - 1; t >= 0; t--) {
            if (minRead[t + 1] >= t && output > t && shapes.get(nodes.get(t).name()).length == 4) {
                return t;
            }
        }
        return -1;
    }

    /**
     * The nodes after index {@code t} as a network whose input is node t's tensor (same names), with the same
     * first output; {@code net} itself when t = −1.
     */
    static Network after(Network net, int t) {
        if (t < 0) {
            return net;
        }
        String cut = net.nodes().get(t).name();
        int[] s = net.shapes(1).get(cut);
        NetworkBuilder b = Network.builder(net.name() + "[after " + cut + "]");
        b.input(cut, s[1], s[2], s[3]);
        for (int i = t + 1; i < net.nodes().size(); i++) {
            b.add(net.nodes().get(i));
        }
        return b.output(net.outputs().get(0)).build();
    }

    /** MACs (one image) of the nodes at index ≤ t: the part of the forward pass a cut at t skips. */
    static long prefixMacs(Network net, int t) {
        long macs = 0;
        List<dev.thinet4j.model.LayerSize> layers = ModelSize.of(net).layers();
        for (int i = 0; i <= t; i++) {
            macs += layers.get(i).macs();
        }
        return macs;
    }
}
