package dev.thinet4j.engine;

import dev.thinet4j.model.Node;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.List;

/**
 * Runs one {@link Node} on ND4J arrays. A kernel holds the node's weights converted once into ND4J
 * arrays in the layout the native op wants; {@link #close()} releases them.
 *
 * <p>Obtain one with {@link #of(Node)} (caller owns and closes it) or from
 * {@link InferenceEngine#kernel(String)} (owned by the engine).
 */
public interface OpKernel extends AutoCloseable {

    /**
     * Builds the kernel for a node, converting its weights.
     *
     * @param node the node
     * @return its kernel; close it to release the converted weights
     * @throws UnsupportedOperationException naming the node when its op has no kernel
     */
    static OpKernel of(Node node) {
        return Kernels.create(node);
    }

    /**
     * The node this kernel runs.
     *
     * @return the node given to {@link #of(Node)}
     */
    Node node();

    /**
     * Computes the node's output for float32 inputs.
     *
     * @param inputs                 one array per entry of {@code node().inputs()}, in that order, batch first
     *                               (NCHW for images). Not modified, except input 0 when
     *                               {@code mayOverwriteFirstInput} is true.
     * @param mayOverwriteFirstInput when true, element-wise ops (BatchNorm, activations, Add, Clip) may write
     *                               their result into input 0 and return it
     * @return the output. Usually a new array; it is input 0 itself or a view of its memory for Identity,
     *         Flatten and Reshape of a c-ordered array, single-input Concat, Transpose (0, 2, 3, 1) of an
     *         NCHW-shaped view of NHWC memory and Transpose (0, 3, 1, 2) of a dense array, and in-place results
     * @throws IllegalArgumentException naming the node when the inputs' number, type or shapes do not fit
     */
    INDArray apply(List<INDArray> inputs, boolean mayOverwriteFirstInput);

    /**
     * {@link #apply(List, boolean)} without overwriting any input.
     *
     * @param inputs one array per node input, in order. Not modified.
     * @return the output, as for {@link #apply(List, boolean)}
     */
    default INDArray apply(List<INDArray> inputs) {
        return apply(inputs, false);
    }

    /** Releases the converted weights. */
    @Override
    void close();
}
