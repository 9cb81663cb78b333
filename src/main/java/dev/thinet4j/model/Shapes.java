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
