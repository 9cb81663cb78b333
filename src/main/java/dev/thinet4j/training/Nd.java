package dev.thinet4j.training;

import dev.thinet4j.model.Tensor;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.impl.transforms.Pad;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.Arrays;

/** Small ND4J helpers of the training package. */
final class Nd {
    private Nd() {
    }

    /** A new c-order array of the given type holding the tensor's values, same shape. */
    static INDArray toNd(Tensor t, DataType type) {
        INDArray f = Nd4j.create(t.data(), longs(t.shape()), DataType.FLOAT);
        if (type == DataType.FLOAT) {
            return f;
        }
        INDArray d = f.castTo(type);
        f.close();
        return d;
    }

    /** A float32 tensor with a copy of the values of {@code a} (any floating type, any order). */
    static Tensor toTensor(INDArray a) {
        INDArray f = a.dataType() == DataType.FLOAT ? a.dup('c') : a.castTo(DataType.FLOAT).dup('c');
        float[] v = f.data().asFloat();
        f.close();
        return Tensor.of(v, ints(a.shape()));
    }

    static long[] longs(int... shape) {
        long[] out = new long[shape.length];
        for (int i = 0; i < shape.length; i++) {
            out[i] = shape[i];
        }
        return out;
    }

    static int[] ints(long... shape) {
        int[] out = new int[shape.length];
        for (int i = 0; i < shape.length; i++) {
            out[i] = Math.toIntExact(shape[i]);
        }
        return out;
    }

    /** Runs a libnd4j custom op with the given inputs, outputs and integer arguments. */
    static void exec(String op, INDArray[] inputs, INDArray[] outputs, int... intArgs) {
        Nd4j.exec(DynamicCustomOp.builder(op).addInputs(inputs).addOutputs(outputs)
                .addIntegerArguments(intArgs).build());
    }

    /** The buffer that owns the memory behind {@code a}. */
    static DataBuffer storage(INDArray a) {
        DataBuffer d = a.data();
        DataBuffer original = d.originalDataBuffer();
        return original != null ? original : d;
    }

    static boolean sameStorage(INDArray a, INDArray b) {
        return storage(a) == storage(b);
    }

    /** Closes the array when ND4J allows it (views are left to their owner). */
    static void close(INDArray a) {
        if (a != null && !a.wasClosed() && a.closeable()) {
            a.close();
        }
    }

    static void close(INDArray... arrays) {
        for (INDArray a : arrays) {
            close(a);
        }
    }

    /**
     * Pads the spatial axes of an NCHW array with a constant: a new array
     * [N, C, top + H + bottom, left + W + right]; {@code x} is not modified.
     */
    static INDArray padSpatial(INDArray x, int top, int left, int bottom, int right, double value) {
        return Nd4j.pad(x, new int[][]{{0, 0}, {0, 0}, {top, bottom}, {left, right}}, Pad.Mode.CONSTANT, value);
    }

    /** The [N, C, h, w] window of a padded NCHW array starting at (top, left), as a new c-order array. */
    static INDArray cropSpatial(INDArray padded, int top, int left, long h, long w) {
        return padded.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(top, top + h),
                NDArrayIndex.interval(left, left + w)).dup('c');
    }

    /** Index selecting {@code [from, to)} on axis {@code axis} of a rank-{@code rank} array, all of the others. */
    static INDArrayIndex[] slice(int rank, int axis, long from, long to) {
        INDArrayIndex[] idx = new INDArrayIndex[rank];
        Arrays.fill(idx, NDArrayIndex.all());
        idx[axis] = NDArrayIndex.interval(from, to);
        return idx;
    }

    /** A shape of ones of the given rank with {@code c} on axis 1, for per-channel broadcasting. */
    static long[] channelShape(int rank, long c) {
        long[] s = new long[rank];
        Arrays.fill(s, 1);
        s[1] = c;
        return s;
    }

    static String fmt(INDArray a) {
        return Arrays.toString(a.shape());
    }
}
