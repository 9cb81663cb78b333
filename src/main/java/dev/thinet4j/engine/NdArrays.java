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
        return fromFloats(t.data(), lshape);
    }

    /**
     * A new dense c-order float32 array holding {@code data}, copied in bulk ({@code Nd4j.create(float[], …)}
     * copies element by element, which showed in profiles of engine construction).
     */
    static INDArray fromFloats(float[] data, long... shape) {
        INDArray a = Nd4j.createUninitialized(DataType.FLOAT, shape);
        a.data().asNioFloat().put(data, 0, Math.toIntExact(a.length()));
        return a;
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

    /** Row-major (c-order) strides of a shape. */
    static long[] cStrides(long... shape) {
        long[] st = new long[shape.length];
        long s = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            st[i] = s;
            s *= shape[i];
        }
        return st;
    }

    /** Whether {@code a} is laid out exactly as a dense c-order array of its shape (any offset). */
    static boolean isDenseC(INDArray a) {
        return Arrays.equals(a.stride(), cStrides(a.shape())) && !a.isEmpty();
    }

    /**
     * Whether {@code a} is an NCHW-shaped view of a dense NHWC buffer: rank 4, strides exactly
     * [H·W·C, 1, W·C, C], with C &gt; 1 and H·W &gt; 1 (otherwise the two layouts are the same memory and the
     * engine represents the tensor as a plain c-order array).
     */
    static boolean isNhwc(INDArray a) {
        if (a.rank() != 4) {
            return false;
        }
        long[] s = a.shape();
        long c = s[1];
        long hw = s[2] * s[3];
        return c > 1 && hw > 1 && Arrays.equals(a.stride(), new long[]{hw * c, 1, s[3] * c, c});
    }

    /**
     * The dense c-order [N, H, W, C] array over the memory of {@code a} when {@code a} is an NHWC view or a
     * dense NCHW array whose layout coincides with NHWC (C = 1 or H·W = 1); null otherwise.
     */
    static INDArray nhwcBase(INDArray a) {
        if (a.rank() != 4) {
            return null;
        }
        long[] s = a.shape();
        boolean trivial = (s[1] == 1 || s[2] * s[3] == 1) && isDenseC(a);
        if (!trivial && !isNhwc(a)) {
            return null;
        }
        long[] shape = {s[0], s[2], s[3], s[1]};
        return Nd4j.create(a.data(), shape, cStrides(shape), a.offset(), 'c');
    }

    /**
     * The NCHW-shaped view of a dense c-order [N, H, W, C] array: the permuted view (an NHWC tensor for the
     * engine), or a plain c-order array over the same memory when C = 1 or H·W = 1.
     */
    static INDArray nchwView(INDArray base) {
        long[] s = base.shape();
        long[] shape = {s[0], s[3], s[1], s[2]};
        if (s[3] == 1 || s[1] * s[2] == 1) {
            return Nd4j.create(base.data(), shape, cStrides(shape), base.offset(), 'c');
        }
        return base.permute(0, 3, 1, 2);
    }

    /** A dense c-order [N, H, W, C] copy of an NCHW array of any layout, allocated by {@code alloc}. */
    static INDArray toNhwc(INDArray x, Buffers alloc) {
        INDArray base = nhwcBase(x);
        if (base != null) {
            return base;
        }
        long[] s = x.shape();
        INDArray t = alloc.allocate(s[0], s[2], s[3], s[1]);
        t.assign(x.permute(0, 2, 3, 1));
        return t;
    }

    /** A dense c-order NCHW copy of {@code x} (any layout), allocated by {@code alloc}. */
    static INDArray toDenseC(INDArray x, Buffers alloc) {
        INDArray t = alloc.allocate(x.shape());
        t.assign(x);
        return t;
    }

    static String fmt(int[] shape) {
        return Arrays.toString(shape);
    }

    static String fmt(INDArray a) {
        return Arrays.toString(a.shape());
    }
}
