package dev.thinet4j.model;

import java.nio.FloatBuffer;
import java.util.Arrays;

/**
 * An immutable dense float32 tensor in row-major (C) order, used for weights and small constants.
 *
 * <p>Construction copies the data once; {@link #data()} returns a fresh copy and {@link #buffer()}
 * a zero-copy read-only view, so nothing outside can change a tensor after it is built.
 */
public final class Tensor {
    private final float[] data;
    private final int[] shape;

    private Tensor(float[] data, int[] shape) {
        this.data = data;
        this.shape = shape;
    }

    /**
     * Creates a tensor from a copy of {@code data}.
     *
     * @param data  values in row-major order. Not modified.
     * @param shape dimensions; their product must equal {@code data.length}
     * @throws IllegalArgumentException when the element count does not match the shape
     */
    public static Tensor of(float[] data, int... shape) {
        checkShape(shape);
        long n = numel(shape);
        if (n != data.length) {
            throw new IllegalArgumentException("tensor data has " + data.length + " elements but shape "
                    + Arrays.toString(shape) + " needs " + n);
        }
        return new Tensor(data.clone(), shape.clone());
    }

    /** A tensor of zeros. */
    public static Tensor zeros(int... shape) {
        checkShape(shape);
        return new Tensor(new float[Math.toIntExact(numel(shape))], shape.clone());
    }

    /** A tensor filled with {@code value}. */
    public static Tensor filled(float value, int... shape) {
        Tensor t = zeros(shape);
        Arrays.fill(t.data, value);
        return t;
    }

    private static void checkShape(int[] shape) {
        for (int d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            }
        }
    }

    static long numel(int[] shape) {
        long n = 1;
        for (int d : shape) {
            n *= d;
        }
        return n;
    }

    /** @return a copy of the dimensions */
    public int[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    public int dim(int axis) {
        return shape[axis];
    }

    /** Number of elements. */
    public int size() {
        return data.length;
    }

    /** @return a copy of the values in row-major order */
    public float[] data() {
        return data.clone();
    }

    /** @return a read-only, zero-copy view of the values */
    public FloatBuffer buffer() {
        return FloatBuffer.wrap(data).asReadOnlyBuffer();
    }

    /** Value at a flat row-major index. */
    public float get(int flatIndex) {
        return data[flatIndex];
    }

    /** Value at a multi-dimensional index. */
    public float at(int... index) {
        if (index.length != shape.length) {
            throw new IllegalArgumentException("index of rank " + index.length + " for tensor of shape "
                    + Arrays.toString(shape));
        }
        int flat = 0;
        for (int i = 0; i < shape.length; i++) {
            if (index[i] < 0 || index[i] >= shape[i]) {
                throw new IndexOutOfBoundsException("index " + Arrays.toString(index) + " outside shape "
                        + Arrays.toString(shape));
            }
            flat = flat * shape[i] + index[i];
        }
        return data[flat];
    }

    /** The same values viewed with another shape of equal element count. */
    public Tensor reshape(int... newShape) {
        checkShape(newShape);
        if (numel(newShape) != data.length) {
            throw new IllegalArgumentException("cannot reshape " + Arrays.toString(shape) + " to "
                    + Arrays.toString(newShape));
        }
        return new Tensor(data, newShape.clone());
    }

    /**
     * Keeps only the given indices along {@code axis}, in the given order.
     *
     * @param axis    the axis to index
     * @param indices indices into that axis, each in [0, dim(axis)). Not modified.
     */
    public Tensor select(int axis, int[] indices) {
        if (axis < 0 || axis >= shape.length) {
            throw new IllegalArgumentException("axis " + axis + " out of range for shape " + Arrays.toString(shape));
        }
        int outer = 1;
        for (int i = 0; i < axis; i++) {
            outer *= shape[i];
        }
        int inner = 1;
        for (int i = axis + 1; i < shape.length; i++) {
            inner *= shape[i];
        }
        int n = shape[axis];
        for (int idx : indices) {
            if (idx < 0 || idx >= n) {
                throw new IndexOutOfBoundsException("index " + idx + " outside [0, " + n + ") on axis " + axis
                        + " of shape " + Arrays.toString(shape));
            }
        }
        int[] newShape = shape.clone();
        newShape[axis] = indices.length;
        float[] out = new float[Math.toIntExact(numel(newShape))];
        for (int o = 0; o < outer; o++) {
            for (int k = 0; k < indices.length; k++) {
                System.arraycopy(data, (o * n + indices[k]) * inner, out, (o * indices.length + k) * inner, inner);
            }
        }
        return new Tensor(out, newShape);
    }

    /** True when every value is finite (no NaN, no infinity). */
    public boolean allFinite() {
        for (float v : data) {
            if (!Float.isFinite(v)) {
                return false;
            }
        }
        return true;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Tensor t && Arrays.equals(shape, t.shape) && Arrays.equals(data, t.data);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(shape) + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "Tensor" + Arrays.toString(shape);
    }
}
