package dev.thinet4j.model;

import java.util.ArrayList;
import java.util.List;

/**
 * Mutable builder for an immutable {@link Network}. Nodes must be added in topological order
 * (each reads only the input or earlier nodes); {@link #build()} validates names, arity and shapes.
 *
 * <pre>{@code
 * Network net = Network.builder("tiny")
 *     .input("input", 1, 28, 28)
 *     .add("conv1", new Op.Conv(w, b, Hw.of(1), Padding.of(1), Hw.of(1), 1), "input")
 *     .add("relu1", new Op.Relu(), "conv1")
 *     .output("relu1")
 *     .build();
 * }</pre>
 */
public final class NetworkBuilder {
    private final String name;
    private InputSpec input;
    private final List<Node> nodes = new ArrayList<>();
    private final List<String> outputs = new ArrayList<>();

    NetworkBuilder(String name) {
        this.name = name;
    }

    public NetworkBuilder input(String inputName, int channels, int height, int width) {
        this.input = new InputSpec(inputName, channels, height, width);
        return this;
    }

    public NetworkBuilder add(String nodeName, Op op, String... inputs) {
        return add(new Node(nodeName, op, List.of(inputs)));
    }

    public NetworkBuilder add(Node node) {
        nodes.add(node);
        return this;
    }

    public NetworkBuilder output(String tensor) {
        outputs.add(tensor);
        return this;
    }

    /** Name of the last node added (handy when chaining layers). */
    public String last() {
        return nodes.isEmpty() ? (input == null ? null : input.name()) : nodes.get(nodes.size() - 1).name();
    }

    /**
     * Validates and builds. With no explicit output, the last node is the output.
     *
     * @throws IllegalArgumentException naming the offending node
     */
    public Network build() {
        if (input == null) {
            throw new IllegalStateException("network '" + name + "' has no input; call input(...) first");
        }
        List<String> outs = outputs.isEmpty() && !nodes.isEmpty() ? List.of(last()) : outputs;
        Network net = new Network(name, input, nodes, outs);
        net.shapes(1); // shape check
        return net;
    }
}
