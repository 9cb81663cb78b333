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

    /**
     * {@inheritDoc}
     *
     * <p>Arrays are allocated anew; an output the kernel computed in NHWC layout internally is returned as a
     * dense c-order NCHW copy.
     */
    @Override
    public final INDArray apply(List<INDArray> inputs, boolean mayOverwriteFirstInput) {
        INDArray out = run(inputs, mayOverwriteFirstInput, Buffers.FRESH);
        if (NdArrays.isNhwc(out)) {
            for (INDArray in : inputs) {
                if (NdArrays.sameStorage(in, out)) {
                    return out;
                }
            }
            INDArray c = out.dup('c');
            NdArrays.closeQuietly(out);
            return c;
        }
        return out;
    }

    /**
     * The engine's entry: like {@link #apply(List, boolean)}, but outputs and scratch arrays come from
     * {@code alloc}, inputs may be NHWC views (see {@link NdArrays#isNhwc}) when {@link #acceptsNhwc()}, and
     * the output may be an NHWC view.
     */
    final INDArray run(List<INDArray> inputs, boolean mayOverwriteFirstInput, Buffers alloc) {
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
            return compute(inputs, shapes, out, mayOverwriteFirstInput, alloc);
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
     * Whether {@link #compute} takes NHWC views as inputs (it must then handle both layouts). When false, the
     * engine hands it dense c-order NCHW arrays in place of NHWC views.
     */
    boolean acceptsNhwc() {
        return false;
    }

    /**
     * The op itself; inputs are already checked.
     *
     * @param in      the inputs
     * @param shapes  their shapes
     * @param out     the output shape inferred by the op
     * @param inPlace whether input 0 may be overwritten
     * @param alloc   where new arrays come from; scratch arrays go back to it
     */
    protected abstract INDArray compute(List<INDArray> in, List<int[]> shapes, int[] out, boolean inPlace,
                                        Buffers alloc);

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
