package dev.thinet4j.engine;

import dev.thinet4j.model.Tensor;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.Pad;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Arrays;

/** Small ND4J helpers shared by the kernels and the engine. */
final class NdArrays {
    private NdArrays() {
    }

    /** A new float32 c-order array holding a copy of the tensor's values, same shape. */
    static INDArray toNd(Tensor t) {
        int[] shape = t.shape();
        long[] lshape = new long[shape.length];
        for (int i = 0; i < shape.length; i++) {
            lshape[i] = shape[i];
        }
        return Nd4j.create(t.data(), lshape, DataType.FLOAT);
    }

    static int[] shapeOf(INDArray a) {
        long[] s = a.shape();
        int[] out = new int[s.length];
        for (int i = 0; i < s.length; i++) {
            out[i] = Math.toIntExact(s[i]);
        }
        return out;
    }

    static long[] longs(int... shape) {
        long[] out = new long[shape.length];
        for (int i = 0; i < shape.length; i++) {
            out[i] = shape[i];
        }
        return out;
    }

    /** An uninitialised float32 array (the caller overwrites every element). */
    static INDArray uninitialized(int... shape) {
        return Nd4j.createUninitialized(DataType.FLOAT, longs(shape));
    }

    /**
     * The buffer that owns the memory behind {@code a}: a view's original buffer, else its own.
     * Two arrays with the same storage share memory.
     */
    static DataBuffer storage(INDArray a) {
        DataBuffer d = a.data();
        DataBuffer original = d.originalDataBuffer();
        return original != null ? original : d;
    }

    static boolean sameStorage(INDArray a, INDArray b) {
        return storage(a) == storage(b);
    }

    /** Closes the array if ND4J allows it (views and workspace arrays are left to their owners). */
    static void closeQuietly(INDArray a) {
        if (a != null && !a.wasClosed() && a.closeable()) {
            a.close();
        }
    }

    /**
     * Pads the two spatial axes of an NCHW array with a constant: a new array of shape
     * [N, C, top + H + bottom, left + W + right]. {@code x} is not modified.
     */
    static INDArray padSpatial(INDArray x, int top, int left, int bottom, int right, double value) {
        return Nd4j.pad(x, new int[][]{{0, 0}, {0, 0}, {top, bottom}, {left, right}}, Pad.Mode.CONSTANT, value);
    }

    static String fmt(int[] shape) {
        return Arrays.toString(shape);
    }

    static String fmt(INDArray a) {
        return Arrays.toString(a.shape());
    }
}
