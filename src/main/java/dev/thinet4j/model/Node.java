package dev.thinet4j.model;

import java.util.List;
import java.util.Objects;

/**
 * One operation in a {@link Network}: a unique name, the op, and the names of the tensors it reads.
 * Its single output tensor carries the node's own name.
 */
public record Node(String name, Op op, List<String> inputs) {
    public Node {
        Objects.requireNonNull(name, "node name");
        Objects.requireNonNull(op, "op of node " + name);
        if (name.isEmpty()) {
            throw new IllegalArgumentException("node name must not be empty");
        }
        inputs = List.copyOf(inputs);
        if (op.arity() > 0 && inputs.size() != op.arity()) {
            throw new IllegalArgumentException("node '" + name + "' (" + op.onnxType() + ") takes " + op.arity()
                    + " input(s) but got " + inputs);
        }
        if (op.arity() < 0 && inputs.isEmpty()) {
            throw new IllegalArgumentException("node '" + name + "' (" + op.onnxType() + ") needs at least one input");
        }
    }

    /** The name of the tensor this node writes (equal to the node name). */
    public String output() {
        return name;
    }

    /** The first (for most ops the only) input. */
    public String input() {
        return inputs.get(0);
    }

    public Node withOp(Op newOp) {
        return new Node(name, newOp, inputs);
    }

    @Override
    public String toString() {
        return name + " = " + op.onnxType() + inputs;
    }
}
