package dev.thinet4j.engine;

import dev.thinet4j.model.Node;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Common part of the kernels: checks the inputs against the op (count, dtype, shape inference),
 * and owns the converted weight arrays.
 */
abstract class AbstractKernel implements OpKernel {
    protected final Node node;
    private final List<INDArray> owned = Collections.synchronizedList(new ArrayList<>());
    private volatile boolean closed;

    AbstractKernel(Node node) {
        this.node = node;
    }

    /** Registers a weight array to be closed with the kernel and returns it. */
    protected final INDArray own(INDArray a) {
        if (a != null) {
            owned.add(a);
        }
        return a;
    }

    @Override
    public final Node node() {
        return node;
    }

    @Override
    public final INDArray apply(List<INDArray> inputs, boolean mayOverwriteFirstInput) {
        if (closed) {
            throw new IllegalStateException("kernel of node '" + node.name() + "' was closed");
        }
        if (inputs.size() != node.inputs().size()) {
            throw new IllegalArgumentException("node '" + node.name() + "' (" + node.op().onnxType() + ") reads "
                    + node.inputs().size() + " input(s) " + node.inputs() + " but got " + inputs.size());
        }
        List<int[]> shapes = new ArrayList<>(inputs.size());
        for (int i = 0; i < inputs.size(); i++) {
            INDArray in = inputs.get(i);
            if (in.dataType() != DataType.FLOAT) {
                throw new IllegalArgumentException("node '" + node.name() + "' expects float32 inputs but input '"
                        + node.inputs().get(i) + "' is " + in.dataType());
            }
            shapes.add(NdArrays.shapeOf(in));
        }
        int[] out;
        try {
            out = node.op().outputShape(shapes);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("node '" + node.name() + "' (" + node.op().onnxType() + "): "
                    + e.getMessage(), e);
        }
        try {
            return compute(inputs, shapes, out, mayOverwriteFirstInput);
        } catch (RuntimeException e) {
            List<String> given = new ArrayList<>();
            for (int[] s : shapes) {
                given.add(NdArrays.fmt(s));
            }
            throw new IllegalStateException("node '" + node.name() + "' (" + node.op().onnxType()
                    + ") failed on input shapes " + given + " (expected output " + NdArrays.fmt(out) + "): "
                    + e.getMessage(), e);
        }
    }

    /**
     * The op itself; inputs are already checked.
     *
     * @param in      the inputs
     * @param shapes  their shapes
     * @param out     the output shape inferred by the op
     * @param inPlace whether input 0 may be overwritten
     */
    protected abstract INDArray compute(List<INDArray> in, List<int[]> shapes, int[] out, boolean inPlace);

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            synchronized (owned) {
                for (INDArray a : owned) {
                    NdArrays.closeQuietly(a);
                }
                owned.clear();
            }
        }
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + node + "]";
    }
}
