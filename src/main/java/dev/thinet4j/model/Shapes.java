package dev.thinet4j.model;

import java.util.Arrays;

/** Small shape helpers shared by the ops. */
public final class Shapes {
    private Shapes() {
    }

    /**
     * Output length of a sliding window:
     * ⌊(n + padBegin + padEnd − dilation·(k − 1) − 1) / stride⌋ + 1, or the ceiling with
     * {@code ceil}; in ceil mode a last window that would start in the end padding is dropped
     * (PyTorch / ONNX rule).
     */
    public static int windowOut(int n, int k, int stride, int padBegin, int padEnd, int dilation, boolean ceil) {
        int span = n + padBegin + padEnd - dilation * (k - 1) - 1;
        if (span < 0) {
            throw new IllegalArgumentException("window " + k + " (dilation " + dilation + ") larger than padded input "
                    + (n + padBegin + padEnd));
        }
        int out = ceil ? Math.floorDiv(span + stride - 1, stride) + 1 : span / stride + 1;
        if (ceil && (out - 1) * stride >= n + padBegin) {
            out--;
        }
        return out;
    }

    /**
     * A shape given rank {@code rank} by prepending 1s: the operand's shape as NumPy / ONNX broadcasting
     * right-aligns it.
     *
     * @param shape a shape of rank ≤ {@code rank}. Not modified.
     * @param rank  the rank wanted
     * @return a new array of length {@code rank}
     */
    public static long[] padLeft(long[] shape, int rank) {
        long[] out = new long[rank];
        Arrays.fill(out, 1);
        System.arraycopy(shape, 0, out, rank - shape.length, shape.length);
        return out;
    }

    /**
     * NumPy / ONNX multidirectional broadcasting: shapes are right-aligned, and each pair of
     * dimensions must be equal or contain a 1.
     *
     * @param a a shape. Not modified.
     * @param b another shape. Not modified.
     * @return the broadcast shape, of rank max(rank a, rank b)
     * @throws IllegalArgumentException naming both shapes when they do not broadcast
     */
    public static int[] broadcast(int[] a, int[] b) {
        long[] out = broadcast(Arrays.stream(a).asLongStream().toArray(), Arrays.stream(b).asLongStream().toArray());
        int[] r = new int[out.length];
        for (int i = 0; i < r.length; i++) {
            r[i] = (int) out[i];
        }
        return r;
    }

    /**
     * {@link #broadcast(int[], int[])} of {@code long} dimensions.
     *
     * @param a a shape. Not modified.
     * @param b another shape. Not modified.
     * @return the broadcast shape, of rank max(rank a, rank b)
     * @throws IllegalArgumentException naming both shapes when they do not broadcast
     */
    public static long[] broadcast(long[] a, long[] b) {
        int r = Math.max(a.length, b.length);
        long[] out = new long[r];
        for (int i = 0; i < r; i++) {
            long da = i < r - a.length ? 1 : a[i - (r - a.length)];
            long db = i < r - b.length ? 1 : b[i - (r - b.length)];
            if (da != db && da != 1 && db != 1) {
                throw new IllegalArgumentException("shapes " + Arrays.toString(a) + " and " + Arrays.toString(b)
                        + " do not broadcast (axis " + i + ": " + da + " vs " + db + ")");
            }
            out[i] = da == 1 ? db : da;
        }
        return out;
    }

    public static void requireRank(int[] shape, int rank, String what) {
        if (shape.length != rank) {
            throw new IllegalArgumentException(what + " must have rank " + rank + " (NCHW), got " + Arrays.toString(shape));
        }
    }

    public static int[] dropBatch(int[] shape) {
        return Arrays.copyOfRange(shape, 1, shape.length);
    }

    public static long numel(int[] shape) {
        return Tensor.numel(shape);
    }

    public static String format(int[] shape) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < shape.length; i++) {
            if (i > 0) {
                sb.append('x');
            }
            sb.append(shape[i]);
        }
        return sb.toString();
    }

    /** Parses "1x3x224x224". */
    public static int[] parse(String text) {
        String[] parts = text.trim().split("[xX,]");
        int[] shape = new int[parts.length];
        for (int i = 0; i < parts.length; i++) {
            try {
                shape[i] = Integer.parseInt(parts[i].trim());
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("bad shape '" + text + "': expected e.g. 1x3x224x224");
            }
            if (shape[i] <= 0) {
                throw new IllegalArgumentException("bad shape '" + text + "': dimensions must be positive");
            }
        }
        return shape;
    }
}
