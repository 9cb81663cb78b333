package dev.thinet4j.training;

import dev.thinet4j.model.Node;
import dev.thinet4j.model.Op;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;

/**
 * Flatten, Concat, Transpose, Reshape, Slice, ChannelShuffle, ChannelGather and nearest Resize: pure data movement, the
 * backward moves ∂y back (summing where the forward copied one value to several places).
 */
final class ShapeOps {
    private ShapeOps() {
    }

    /** c-order reshape to [N, rest] (a view of a c-contiguous input); ∂x = ∂y reshaped to the input's shape. */
    static final class Flatten extends Reshape {
        Flatten(Node node, DataType type) {
            super(node, type);
        }
    }

    /** {@code Nd4j.concat} along a non-batch axis; ∂x_i = the slice of ∂y that input i filled (copied). */
    static final class Concat extends TrainOp {
        private final int axis;
        private long[] sizes;
        private int ax;

        Concat(Node node, Op.Concat op, DataType type) {
            super(node, type);
            this.axis = op.axis();
        }

        @Override
        INDArray forward(List<INDArray> in, PassOptions pass, boolean save) {
            int[] out = outShape(in);
            ax = axis < 0 ? axis + out.length : axis;
            sizes = new long[in.size()];
            for (int i = 0; i < sizes.length; i++) {
                sizes[i] = in.get(i).size(ax);
            }
            if (in.size() == 1) {
                return in.get(0);
            }
            return Nd4j.concat(ax, in.toArray(new INDArray[0]));
        }

        @Override
        INDArray[] backward(INDArray gradOut, boolean[] need) {
            INDArray[] g = new INDArray[sizes.length];
            if (sizes.length == 1) {
                g[0] = need[0] ? gradOut : null;
                return g;
            }
            long from = 0;
            for (int i = 0; i < sizes.length; i++) {
                if (need[i]) {
                    g[i] = gradOut.get(Nd.slice(gradOut.rank(), ax, from, from + sizes[i])).dup('c');
                }
                from += sizes[i];
            }
            return g;
        }
    }

    /**
     * y = x with its axes permuted, y[i₀, …] = x[j₀, …] with j_{perm[k]} = i_k (a c-order copy of
     * {@code permute(perm)}); ∂x = ∂y permuted by the inverse permutation (perm⁻¹[perm[k]] = k).
     */
    static final class Transpose extends TrainOp {
        private final int[] perm;
        private final int[] inverse;

        Transpose(Node node, Op.Transpose op, DataType type) {
            super(node, type);
            this.perm = op.perm();
            this.inverse = new int[perm.length];
            for (int k = 0; k < perm.length; k++) {
                inverse[perm[k]] = k;
            }
        }

        @Override
        INDArray forward(List<INDArray> in, PassOptions pass, boolean save) {
            outShape(in);
            return in.get(0).permute(perm).dup('c');
        }

        @Override
        INDArray[] backward(INDArray gradOut, boolean[] need) {
            return new INDArray[]{need[0] ? gradOut.permute(inverse).dup('c') : null};
        }
    }

    /**
     * c-order reshape of every sample to the target shape, y = x viewed as [N, shape…] (a view of a
     * c-contiguous input, else a copy); ∂x = ∂y reshaped back to x's shape.
     */
    static class Reshape extends TrainOp {
        private long[] xShape;

        Reshape(Node node, DataType type) {
            super(node, type);
        }

        @Override
        final INDArray forward(List<INDArray> in, PassOptions pass, boolean save) {
            int[] out = outShape(in);
            xShape = in.get(0).shape();
            return in.get(0).reshape('c', Nd.longs(out));
        }

        @Override
        final INDArray[] backward(INDArray gradOut, boolean[] need) {
            return new INDArray[]{need[0] ? gradOut.reshape('c', xShape) : null};
        }
    }

    /**
     * y = x[…, start:end, …] along one axis (a c-order copy); ∂x = ∂y written into zeros of x's shape at
     * [start, end) of that axis.
     */
    static final class Slice extends TrainOp {
        private final Op.Slice op;
        private long[] xShape;

        Slice(Node node, Op.Slice op, DataType type) {
            super(node, type);
            this.op = op;
        }

        @Override
        INDArray forward(List<INDArray> in, PassOptions pass, boolean save) {
            outShape(in);
            INDArray x = in.get(0);
            xShape = x.shape();
            return x.get(Nd.slice(x.rank(), op.axis(), op.start(), op.end())).dup('c');
        }

        @Override
        INDArray[] backward(INDArray gradOut, boolean[] need) {
            if (!need[0]) {
                return new INDArray[]{null};
            }
            INDArray gx = Nd4j.zeros(type, xShape);
            gx.get(Nd.slice(gx.rank(), op.axis(), op.start(), op.end())).assign(gradOut);
            return new INDArray[]{gx};
        }
    }

    /**
     * Channel shuffle with g groups on NCHW: y[:, o] = x[:, (o mod g)·(C/g) + ⌊o/g⌋], computed as reshape
     * [N, g, C/g, H, W] → permute (0, 2, 1, 3, 4) → reshape [N, C, H, W]. The map is a permutation of the
     * channels, so ∂x[:, (o mod g)·(C/g) + ⌊o/g⌋] = ∂y[:, o]: the same three steps with the two group axes
     * swapped (reshape [N, C/g, g, H, W] → permute (0, 2, 1, 3, 4) → reshape), i.e. a shuffle with C/g groups.
     */
    static final class ChannelShuffle extends TrainOp {
        private final int groups;

        ChannelShuffle(Node node, Op.ChannelShuffle op, DataType type) {
            super(node, type);
            this.groups = op.groups();
        }

        static INDArray shuffle(INDArray x, long g) {
            long[] s = x.shape();
            INDArray c = x.isView() || x.ordering() != 'c' ? x.dup('c') : x;
            INDArray five = c.reshape('c', s[0], g, s[1] / g, s[2], s[3]);
            INDArray out = Nd4j.createUninitialized(x.dataType(), s);
            out.reshape('c', s[0], s[1] / g, g, s[2], s[3]).assign(five.permute(0, 2, 1, 3, 4));
            if (c != x) {
                Nd.close(c);
            }
            return out;
        }

        @Override
        INDArray forward(List<INDArray> in, PassOptions pass, boolean save) {
            outShape(in);
            return shuffle(in.get(0), groups);
        }

        @Override
        INDArray[] backward(INDArray gradOut, boolean[] need) {
            return new INDArray[]{need[0] ? shuffle(gradOut, gradOut.size(1) / groups) : null};
        }
    }

    /**
     * y[:, o, …] = x[:, indices[o], …] along axis 1 of any rank ≥ 2 (indices may repeat or omit channels):
     * x and y viewed as [N, C, inner] and [N, K, inner], and each run of consecutive sources copied at once.
     * ∂x[:, c, …] = Σ_{o : indices[o] = c} ∂y[:, o, …]: zeros of x's shape, each run of ∂y added into its
     * source channels (a repeated channel accumulates, an omitted one keeps a zero gradient).
     */
    static final class ChannelGather extends TrainOp {
        private final int[] indices;
        /** (first output channel, first source channel, length) triples of maximal consecutive runs. */
        private final int[] runs;
        private long[] xShape;

        ChannelGather(Node node, Op.ChannelGather op, DataType type) {
            super(node, type);
            this.indices = op.indices();
            this.runs = op.runs();
        }

        private static long inner(long[] s) {
            long inner = 1;
            for (int a = 2; a < s.length; a++) {
                inner *= s[a];
            }
            return inner;
        }

        private static INDArray channels(INDArray a, long from, long len) {
            return a.get(org.nd4j.linalg.indexing.NDArrayIndex.all(),
                    org.nd4j.linalg.indexing.NDArrayIndex.interval(from, from + len),
                    org.nd4j.linalg.indexing.NDArrayIndex.all());
        }

        @Override
        INDArray forward(List<INDArray> in, PassOptions pass, boolean save) {
            int[] out = outShape(in);
            INDArray x = in.get(0);
            xShape = x.shape();
            long inner = inner(xShape);
            INDArray x3 = x.reshape('c', xShape[0], xShape[1], inner);
            INDArray y = Nd4j.createUninitialized(x.dataType(), Nd.longs(out));
            INDArray y3 = y.reshape('c', xShape[0], indices.length, inner);
            for (int r = 0; r < runs.length; r += 3) {
                channels(y3, runs[r], runs[r + 2]).assign(channels(x3, runs[r + 1], runs[r + 2]));
            }
            if (!Nd.sameStorage(x3, x)) {
                Nd.close(x3);
            }
            return y;
        }

        @Override
        INDArray[] backward(INDArray gradOut, boolean[] need) {
            if (!need[0]) {
                return new INDArray[]{null};
            }
            long inner = inner(xShape);
            INDArray gx = Nd4j.zeros(gradOut.dataType(), xShape);
            INDArray g3 = gx.reshape('c', xShape[0], xShape[1], inner);
            INDArray gy3 = gradOut.reshape('c', xShape[0], indices.length, inner);
            for (int r = 0; r < runs.length; r += 3) {
                channels(g3, runs[r + 1], runs[r + 2]).addi(channels(gy3, runs[r], runs[r + 2]));
            }
            if (!Nd.sameStorage(gy3, gradOut)) {
                Nd.close(gy3);
            }
            return new INDArray[]{gx};
        }
    }

    /**
     * Nearest-neighbour upsampling by integer factors, y[n, c, i, j] = x[n, c, ⌊i/s_h⌋, ⌊j/s_w⌋]: x viewed
     * as [N, C, H, 1, W, 1] broadcast into [N, C, H, s_h, W, s_w], viewed as [N, C, H·s_h, W·s_w]. Each
     * input value feeds an s_h×s_w block, so ∂x[n, c, h, w] = Σ_{u &lt; s_h, v &lt; s_w} ∂y[n, c, h·s_h + u,
     * w·s_w + v]: ∂y viewed as [N, C, H, s_h, W, s_w] summed over axes 3 and 5.
     */
    static final class Resize extends TrainOp {
        private final int sh;
        private final int sw;

        Resize(Node node, Op.Resize op, DataType type) {
            super(node, type);
            this.sh = op.scaleH();
            this.sw = op.scaleW();
        }

        @Override
        INDArray forward(List<INDArray> in, PassOptions pass, boolean save) {
            int[] out = outShape(in);
            INDArray x = in.get(0);
            long[] s = x.shape();
            INDArray y = Nd4j.zeros(type, Nd.longs(out));
            INDArray xv = x.reshape('c', s[0], s[1], s[2], 1, s[3], 1);
            y.reshape('c', s[0], s[1], s[2], sh, s[3], sw).addi(xv);
            if (!Nd.sameStorage(xv, x)) {
                Nd.close(xv);
            }
            return y;
        }

        @Override
        INDArray[] backward(INDArray gradOut, boolean[] need) {
            if (!need[0]) {
                return new INDArray[]{null};
            }
            long[] s = gradOut.shape();
            INDArray six = gradOut.reshape('c', s[0], s[1], s[2] / sh, sh, s[3] / sw, sw);
            INDArray gx = six.sum(3, 5);
            if (!Nd.sameStorage(six, gradOut)) {
                Nd.close(six);
            }
            return new INDArray[]{gx};
        }
    }
}
