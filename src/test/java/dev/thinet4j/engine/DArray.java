package dev.thinet4j.engine;

import java.util.Arrays;
import java.util.SplittableRandom;

/** A dense double-precision tensor in row-major order, for the reference implementation. */
record DArray(int[] shape, double[] data) {
    DArray {
        long n = 1;
        for (int d : shape) {
            n *= d;
        }
        if (n != data.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " vs " + data.length + " values");
        }
    }

    static DArray zeros(int... shape) {
        long n = 1;
        for (int d : shape) {
            n *= d;
        }
        return new DArray(shape.clone(), new double[(int) n]);
    }

    /** Values uniform in [lo, hi), rounded to float so that float and double inputs are equal. */
    static DArray random(SplittableRandom rnd, double lo, double hi, int... shape) {
        DArray a = zeros(shape);
        for (int i = 0; i < a.data.length; i++) {
            a.data[i] = (float) (lo + (hi - lo) * rnd.nextDouble());
        }
        return a;
    }

    int dim(int axis) {
        return shape[axis];
    }

    int rank() {
        return shape.length;
    }

    int size() {
        return data.length;
    }

    /** Flat index of (n, c, h, w) in an NCHW tensor. */
    int at4(int n, int c, int h, int w) {
        return ((n * shape[1] + c) * shape[2] + h) * shape[3] + w;
    }

    double get4(int n, int c, int h, int w) {
        return data[at4(n, c, h, w)];
    }

    float[] toFloats() {
        float[] f = new float[data.length];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) data[i];
        }
        return f;
    }

    static DArray ofFloats(float[] f, int... shape) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return new DArray(shape.clone(), d);
    }

    @Override
    public String toString() {
        return "DArray" + Arrays.toString(shape);
    }
}
