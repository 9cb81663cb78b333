package dev.thinet4j.training;

import dev.thinet4j.model.Node;
import dev.thinet4j.model.Op;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.List;

/**
 * Forward and backward of one node while training. An op keeps what its backward needs from the last
 * forward with {@code save = true} (references to its inputs, which the caller keeps alive until the
 * backward is done, and arrays of its own, freed by {@link #clear()}), so one instance serves one pass
 * at a time.
 */
abstract class TrainOp {
    final Node node;
    final DataType type;

    TrainOp(Node node, DataType type) {
        this.node = node;
        this.type = type;
    }

    /** Parameters of the node, in a fixed order (empty for ops without any). */
    List<Parameter> parameters() {
        return List.of();
    }

    /**
     * @param in   one array per node input (not modified, not closed)
     * @param pass the pass settings
     * @param save whether a backward pass follows (keep what it needs)
     * @return the output: a new array, or input 0 itself or a view of it (Identity, Flatten, one-input Concat)
     */
    abstract INDArray forward(List<INDArray> in, PassOptions pass, boolean save);

    /**
     * Gradients of the inputs from the gradient of the output, after a saving forward; writes the
     * gradients of the node's parameters into their {@link Parameter#gradient()} arrays.
     *
     * @param gradOut ∂loss/∂output (not modified, not closed)
     * @param need    which inputs need a gradient
     * @return one entry per input: null where not needed, else a new array, {@code gradOut} itself or a view of it
     */
    abstract INDArray[] backward(INDArray gradOut, boolean[] need);

    /** Frees the arrays the last saving forward kept. */
    void clear() {
    }

    /**
     * Frees arrays the op keeps for its whole life other than its parameters (e.g. a converted constant);
     * called once by {@link TrainableNetwork#close()} after {@link #clear()}.
     */
    void release() {
    }

    /** The node's op with the current parameter values (the op itself for ops without parameters). */
    Op currentOp() {
        return node.op();
    }

    /** The output shape for the inputs, via the op's shape inference. */
    int[] outShape(List<INDArray> in) {
        List<int[]> shapes = new ArrayList<>(in.size());
        for (INDArray a : in) {
            shapes.add(Nd.ints(a.shape()));
        }
        try {
            return node.op().outputShape(shapes);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("node '" + node.name() + "' (" + node.op().onnxType() + "): "
                    + e.getMessage(), e);
        }
    }

    INDArray create(int[] shape) {
        return org.nd4j.linalg.factory.Nd4j.createUninitialized(type, Nd.longs(shape));
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + node + "]";
    }
}
