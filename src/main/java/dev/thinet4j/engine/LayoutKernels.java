package dev.thinet4j.engine;

import dev.thinet4j.model.Node;
import dev.thinet4j.model.Op;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.Arrays;
import java.util.List;

/**
 * Kernels that move elements without arithmetic: Transpose, Reshape, Slice, ChannelShuffle, ChannelGather and nearest
 * Resize.
 */
final class LayoutKernels {
    private LayoutKernels() {
    }

    private static final int[] TO_CHANNELS_LAST = {0, 2, 3, 1};
    private static final int[] TO_CHANNELS_FIRST = {0, 3, 1, 2};

    /**
     * y[i_0, …, i_{r−1}] = x[j] with j_{perm[k]} = i_k (output axis k is input axis perm[k]): a dense copy of the
     * permuted view. Two rank-4 cases move no data: (0, 2, 3, 1) of an NHWC view is its dense [N, H, W, C]
     * array, and (0, 3, 1, 2) of a dense c-order [N, H, W, C] array is the NHWC view over it (ConvNeXt's
     * permutes around its channels-last block).
     */
    static final class Transpose extends AnyLayoutKernel {
        private final int[] perm;

        Transpose(Node node, Op.Transpose op) {
            super(node);
            this.perm = op.perm();
        }

        @Override
        protected INDArray compute(List<INDArray> in, List<int[]> shapes, int[] out, boolean inPlace, Buffers alloc) {
            INDArray x = in.get(0);
            if (NdArrays.isNhwc(x)) {
                if (Arrays.equals(perm, TO_CHANNELS_LAST)) {
                    return NdArrays.nhwcBase(x);
                }
                INDArray dense = NdArrays.toDenseC(x, alloc);
                try {
                    return permuted(dense, out, alloc);
                } finally {
                    alloc.recycle(dense);
                }
            }
            if (Arrays.equals(perm, TO_CHANNELS_FIRST) && NdArrays.isDenseC(x)) {
                return NdArrays.nchwView(x);
            }
            return permuted(x, out, alloc);
        }

        private INDArray permuted(INDArray x, int[] out, Buffers alloc) {
            INDArray y = alloc.allocate(out);
            y.assign(x.permute(perm));
            return y;
        }
    }

    /** [N, …] → [N, shape…] in c (row-major) element order: a reshape, a view when the input is c-contiguous. */
    static final class Reshape extends AbstractKernel {
        Reshape(Node node) {
            super(node);
        }

        @Override
        protected INDArray compute(List<INDArray> in, List<int[]> shapes, int[] out, boolean inPlace, Buffers alloc) {
            return in.get(0).reshape('c', NdArrays.longs(out));
        }
    }

    /** y = x[:, …, start:end, …] along one axis (step 1), copied into a dense array. */
    static final class Slice extends AbstractKernel {
        private final int axis;
        private final int start;
        private final int end;

        Slice(Node node, Op.Slice op) {
            super(node);
            this.axis = op.axis();
            this.start = op.start();
            this.end = op.end();
        }

        @Override
        protected INDArray compute(List<INDArray> in, List<int[]> shapes, int[] out, boolean inPlace, Buffers alloc) {
            INDArray x = in.get(0);
            org.nd4j.linalg.indexing.INDArrayIndex[] idx = new org.nd4j.linalg.indexing.INDArrayIndex[x.rank()];
            for (int a = 0; a < idx.length; a++) {
                idx[a] = a == axis ? NDArrayIndex.interval(start, end) : NDArrayIndex.all();
            }
            INDArray y = alloc.allocate(out);
            y.assign(x.get(idx));
            return y;
        }
    }

    /**
     * y[n, o, h, w] = x[n, (o mod g)·(C/g) + ⌊o/g⌋, h, w]: x viewed as [N, g, C/g, H, W], permuted to
     * [N, C/g, g, H, W] and copied densely (the ONNX Reshape / Transpose / Reshape form).
     */
    static final class ChannelShuffle extends AbstractKernel {
        private final int groups;

        ChannelShuffle(Node node, Op.ChannelShuffle op) {
            super(node);
            this.groups = op.groups();
        }

        @Override
        protected INDArray compute(List<INDArray> in, List<int[]> shapes, int[] out, boolean inPlace, Buffers alloc) {
            INDArray x = in.get(0);
            int[] s = shapes.get(0);
            int per = s[1] / groups;
            INDArray y = alloc.allocate(out);
            INDArray y5 = y.reshape('c', s[0], per, groups, s[2], s[3]);
            y5.assign(x.reshape('c', s[0], groups, per, s[2], s[3]).permute(0, 2, 1, 3, 4));
            return y;
        }
    }

    /**
     * y[n, o, …] = x[n, indices[o], …] for any rank ≥ 2: x and y viewed as [N, C, inner] and [N, K, inner]
     * (inner = the product of the axes after the channels), and each run of output channels whose sources
     * are consecutive (indices[o + 1] = indices[o] + 1) copied with one strided assign, so an uneven pruned
     * shuffle, a slice-like run or a repeated channel costs one copy per run. An NHWC view input is gathered
     * along the last axis of its [N, H, W, C] storage and the output is again an NHWC view.
     */
    static final class ChannelGather extends AnyLayoutKernel {
        private final int[] indices;
        /** Runs as (first output channel, first source channel, length) triples. */
        private final int[] runs;

        ChannelGather(Node node, Op.ChannelGather op) {
            super(node);
            this.indices = op.indices();
            this.runs = op.runs();
        }

        @Override
        protected INDArray compute(List<INDArray> in, List<int[]> shapes, int[] out, boolean inPlace, Buffers alloc) {
            INDArray x = in.get(0);
            int[] s = shapes.get(0);
            if (NdArrays.isNhwc(x)) {
                // channels are the last axis of the dense [N, H, W, C] storage: gather there, return the NCHW view
                INDArray yb = alloc.allocate(s[0], s[2], s[3], indices.length);
                copyRuns(NdArrays.nhwcBase(x), yb, 3);
                return NdArrays.nchwView(yb);
            }
            long inner = 1;
            for (int a = 2; a < s.length; a++) {
                inner *= s[a];
            }
            INDArray y = alloc.allocate(out);
            copyRuns(x.reshape('c', s[0], s[1], inner), y.reshape('c', s[0], indices.length, inner), 1);
            return y;
        }

        /** dst[…, o + i, …] = src[…, source + i, …] along {@code axis} for each run. */
        private void copyRuns(INDArray src, INDArray dst, int axis) {
            org.nd4j.linalg.indexing.INDArrayIndex[] from = new org.nd4j.linalg.indexing.INDArrayIndex[src.rank()];
            org.nd4j.linalg.indexing.INDArrayIndex[] to = new org.nd4j.linalg.indexing.INDArrayIndex[src.rank()];
            for (int r = 0; r < runs.length; r += 3) {
                int o = runs[r];
                int first = runs[r + 1];
                int len = runs[r + 2];
                for (int a = 0; a < from.length; a++) {
                    from[a] = a == axis ? NDArrayIndex.interval(first, first + len) : NDArrayIndex.all();
                    to[a] = a == axis ? NDArrayIndex.interval(o, o + len) : NDArrayIndex.all();
                }
                dst.get(to).assign(src.get(from));
            }
        }
    }

    /**
     * Nearest upsampling by integer factors: y[n, c, i, j] = x[n, c, ⌊i/s_h⌋, ⌊j/s_w⌋]. y is viewed as
     * [N, C, H, s_h, W, s_w] and each of the s_h·s_w strided sub-views [:, :, :, a, :, b] is assigned x.
     */
    static final class Resize extends AbstractKernel {
        private final int sh;
        private final int sw;

        Resize(Node node, Op.Resize op) {
            super(node);
            this.sh = op.scaleH();
            this.sw = op.scaleW();
        }

        @Override
        protected INDArray compute(List<INDArray> in, List<int[]> shapes, int[] out, boolean inPlace, Buffers alloc) {
            INDArray x = in.get(0);
            int[] s = shapes.get(0);
            INDArray y = alloc.allocate(out);
            long[] full = {s[0], s[1], s[2], sh, s[3], sw};
            long[] st = NdArrays.cStrides(full);
            long[] viewShape = {s[0], s[1], s[2], s[3]};
            long[] viewStride = {st[0], st[1], st[2], st[4]};
            for (int a = 0; a < sh; a++) {
                for (int b = 0; b < sw; b++) {
                    long offset = y.offset() + a * st[3] + b * st[5];
                    Nd4j.create(y.data(), viewShape, viewStride, offset, 'c').assign(x);
                }
            }
            return y;
        }
    }
}
