package dev.thinet4j.policy;

import dev.thinet4j.model.Network;
import dev.thinet4j.model.Node;
import dev.thinet4j.model.Op;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Finds residual blocks from the graph: each Add whose inputs share an earlier tensor (the block
 * input). The block's interior is every node that lies after the block input and before the Add.
 */
public final class ResidualBlocks {
    private ResidualBlocks() {
    }

    /**
     * @param add      the Add node joining the branches
     * @param input    the block input: the latest tensor both branches descend from
     * @param interior node names strictly between the block input and the Add
     */
    public record Block(String add, String input, Set<String> interior) {
        /**
         * Copies the interior set.
         *
         * @param add see the record description
         * @param input see the record description
         * @param interior see the record description
         */
        public Block {
            interior = Set.copyOf(interior);
        }
    }

    /**
     * Finds the residual blocks of a network.
     *
     * @param net the network. Not modified.
     * @return one block per Add node that joins two branches from a common input, in network order
     */
    public static List<Block> find(Network net) {
        Map<String, Set<String>> ancestors = new HashMap<>();
        ancestors.put(net.input().name(), Set.of());
        for (Node n : net.nodes()) {
            Set<String> a = new HashSet<>();
            for (String in : n.inputs()) {
                a.add(in);
                a.addAll(ancestors.get(in));
            }
            ancestors.put(n.name(), a);
        }
        List<Block> blocks = new ArrayList<>();
        for (Node n : net.nodes()) {
            if (!(n.op() instanceof Op.Add) || n.inputs().size() < 2) {
                continue;
            }
            Set<String> common = null;
            for (String in : n.inputs()) {
                Set<String> s = new HashSet<>(ancestors.get(in));
                s.add(in);
                if (common == null) {
                    common = s;
                } else {
                    common.retainAll(s);
                }
            }
            String blockInput = null;
            int best = -2;
            for (String t : common) {
                int idx = t.equals(net.input().name()) ? -1 : net.indexOf(t);
                if (idx > best) {
                    best = idx;
                    blockInput = t;
                }
            }
            if (blockInput == null) {
                continue;
            }
            Set<String> interior = new LinkedHashSet<>();
            Set<String> addAncestors = ancestors.get(n.name());
            for (Node m : net.nodes()) {
                if (addAncestors.contains(m.name()) && ancestors.get(m.name()).contains(blockInput)) {
                    interior.add(m.name());
                }
            }
            blocks.add(new Block(n.name(), blockInput, interior));
        }
        return blocks;
    }
}
