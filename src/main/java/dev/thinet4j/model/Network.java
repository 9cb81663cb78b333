package dev.thinet4j.model;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * An immutable CNN: one NCHW image input, nodes in topological order, and named outputs.
 * Every node writes one tensor named after the node; a node may read the input or any earlier node.
 *
 * <p>Built with {@link NetworkBuilder}; changed only by building a new network
 * ({@link #withNodes}, {@link #toBuilder}).
 */
public final class Network {
    private final String name;
    private final InputSpec input;
    private final List<Node> nodes;
    private final List<String> outputs;
    private final Map<String, Node> byName;
    private final Map<String, List<Node>> consumers;

    Network(String name, InputSpec input, List<Node> nodes, List<String> outputs) {
        this.name = name;
        this.input = input;
        this.nodes = List.copyOf(nodes);
        this.outputs = List.copyOf(outputs);
        Map<String, Node> map = new LinkedHashMap<>();
        Map<String, List<Node>> cons = new HashMap<>();
        Set<String> defined = new HashSet<>();
        defined.add(input.name());
        for (Node n : this.nodes) {
            for (String in : n.inputs()) {
                if (!defined.contains(in)) {
                    throw new IllegalArgumentException("node '" + n.name() + "' reads '" + in
                            + "', which is neither the network input nor an earlier node");
                }
                cons.computeIfAbsent(in, k -> new ArrayList<>()).add(n);
            }
            if (!defined.add(n.name())) {
                throw new IllegalArgumentException("duplicate tensor name '" + n.name() + "'");
            }
            map.put(n.name(), n);
        }
        if (this.outputs.isEmpty()) {
            throw new IllegalArgumentException("network '" + name + "' has no outputs");
        }
        for (String out : this.outputs) {
            if (!defined.contains(out)) {
                throw new IllegalArgumentException("output '" + out + "' is not produced by any node");
            }
        }
        cons.replaceAll((k, v) -> List.copyOf(v));
        this.byName = Collections.unmodifiableMap(map);
        this.consumers = Collections.unmodifiableMap(cons);
    }

    public static NetworkBuilder builder(String name) {
        return new NetworkBuilder(name);
    }

    public String name() {
        return name;
    }

    public InputSpec input() {
        return input;
    }

    /** Nodes in topological order. */
    public List<Node> nodes() {
        return nodes;
    }

    public List<String> outputs() {
        return outputs;
    }

    /** The node of that name, or an error listing nothing but the name asked for. */
    public Node node(String nodeName) {
        Node n = byName.get(nodeName);
        if (n == null) {
            throw new IllegalArgumentException("no node named '" + nodeName + "' in network '" + name + "'");
        }
        return n;
    }

    public Optional<Node> findNode(String nodeName) {
        return Optional.ofNullable(byName.get(nodeName));
    }

    /** The node writing that tensor, empty for the network input. */
    public Optional<Node> producer(String tensor) {
        return Optional.ofNullable(byName.get(tensor));
    }

    /** Nodes reading that tensor, in topological order. */
    public List<Node> consumers(String tensor) {
        return consumers.getOrDefault(tensor, List.of());
    }

    /** Position of a node in topological order. */
    public int indexOf(String nodeName) {
        int i = nodes.indexOf(node(nodeName));
        return i;
    }

    /** Nodes of one op kind, in topological order. */
    public <T extends Op> List<Node> nodesOf(Class<T> kind) {
        List<Node> out = new ArrayList<>();
        for (Node n : nodes) {
            if (kind.isInstance(n.op())) {
                out.add(n);
            }
        }
        return out;
    }

    /**
     * Shapes of every tensor for a batch of {@code batch} images, in topological order.
     *
     * @throws IllegalArgumentException naming the node whose inputs do not fit
     */
    public Map<String, int[]> shapes(int batch) {
        Map<String, int[]> shapes = new LinkedHashMap<>();
        shapes.put(input.name(), input.shape(batch));
        for (Node n : nodes) {
            List<int[]> ins = new ArrayList<>(n.inputs().size());
            for (String in : n.inputs()) {
                ins.add(shapes.get(in));
            }
            try {
                shapes.put(n.name(), n.op().outputShape(ins));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("node '" + n.name() + "' (" + n.op().onnxType() + "): " + e.getMessage(), e);
            }
        }
        return Collections.unmodifiableMap(shapes);
    }

    /**
     * The same graph with another input resolution (or channel count); shapes are re-checked.
     *
     * @throws IllegalArgumentException naming the first node that does not fit the new input
     */
    public Network withInput(InputSpec newInput) {
        Network net = new Network(name, newInput, nodes, outputs);
        net.shapes(1);
        return net;
    }

    /** A network with the same input and outputs and these nodes (re-validated). */
    public Network withNodes(List<Node> newNodes) {
        return new Network(name, input, newNodes, outputs);
    }

    /** A network where each node whose name is a key is replaced by the mapped node (same name). */
    public Network replace(Map<String, Node> replacements) {
        List<Node> out = new ArrayList<>(nodes.size());
        for (Node n : nodes) {
            out.add(replacements.getOrDefault(n.name(), n));
        }
        return withNodes(out);
    }

    public NetworkBuilder toBuilder() {
        NetworkBuilder b = new NetworkBuilder(name).input(input.name(), input.channels(), input.height(), input.width());
        for (Node n : nodes) {
            b.add(n);
        }
        for (String o : outputs) {
            b.output(o);
        }
        return b;
    }

    @Override
    public String toString() {
        return "Network[" + name + ", " + nodes.size() + " nodes, input " + input + ", outputs " + outputs + "]";
    }
}
