package dev.thinet4j.training;

import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.Arrays;

/**
 * One trainable tensor of a {@link TrainableNetwork}: its live value and the gradient of the last
 * backward pass, both ND4J arrays of the network's {@link Precision}, in the layout of the
 * {@link dev.thinet4j.model.Op} (Conv weight [C_out, C_in/groups, kH, kW] even for dilated or depthwise
 * convs). Both arrays belong to the network: callers may read and modify them in place (an optimiser
 * does), but must not close them or keep them after the network is closed.
 */
public final class Parameter {
    private final String node;
    private final ParameterKind kind;
    private final INDArray value;
    private final INDArray gradient;

    Parameter(String node, ParameterKind kind, INDArray value) {
        this.node = node;
        this.kind = kind;
        this.value = value;
        this.gradient = value.ulike().assign(0);
    }

    /** {@code <node>.<suffix>}, e.g. {@code conv1.weight}, {@code bn1.bias}. */
    public String name() {
        return node + "." + kind.suffix();
    }

    /** The node this parameter belongs to. */
    public String node() {
        return node;
    }

    public ParameterKind kind() {
        return kind;
    }

    /** The live value; writing into it changes the network. */
    public INDArray value() {
        return value;
    }

    /** ∂loss/∂value of the last backward pass (zeros before the first one, and for nodes the loss does not reach). */
    public INDArray gradient() {
        return gradient;
    }

    /** Number of elements. */
    public long size() {
        return value.length();
    }

    void close() {
        Nd.close(value, gradient);
    }

    @Override
    public String toString() {
        return "Parameter[" + name() + " " + Arrays.toString(value.shape()) + "]";
    }
}
