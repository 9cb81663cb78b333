package dev.thinet4j.training;

import dev.thinet4j.model.Hw;
import dev.thinet4j.model.Node;
import dev.thinet4j.model.Op;
import dev.thinet4j.model.Padding;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Pooling forward and backward on libnd4j's {@code maxpool2d}/{@code maxpool2d_bp} and
 * {@code avgpool2d}/{@code avgpool2d_bp}, with the engine's conventions: integer arguments kH, kW, sH, sW,
 * pH, pW, dH, dW, sameMode 0, extraParam0, dataFormat 0 (NCHW); for average pooling extraParam0 = 1
 * divides by kH·kW and 0 by the non-padded count. Symmetric padding without ceil mode runs the native ops
 * with their own padding; otherwise the input is padded explicitly (−∞ for max, 0 for average) at the start
 * by the declared pads and at the end by what the last window reaches,
 * e_end = max(0, (out − 1)·s + d·(k − 1) + 1 − pad_begin − n), and the gradient is the interior of the
 * padded input's gradient.
 */
final class PoolOps {
    private PoolOps() {
    }

    static int endPad(int n, int k, int s, int d, int padBegin, int out) {
        return Math.max(0, (out - 1) * s + d * (k - 1) + 1 - padBegin - n);
    }

    private static int[] args(Hw k, Hw s, int ph, int pw, int extra) {
        return new int[]{k.h(), k.w(), s.h(), s.w(), ph, pw, 1, 1, 0, extra, 0};
    }

    /**
     * ONNX MaxPool. ∂x routes each ∂y to the input position that won its window. Dilated windows
     * (libnd4j's dilated {@code maxpool2d} is wrong in 1.0.0-M2.1) are computed as an element-wise max of
     * the k_h·k_w strided views of the padded input, and the backward routes ∂y through the same views in the
     * same order: the first tap equal to the maximum receives it.
     */
    static final class Max extends TrainOp {
        private final Op.MaxPool op;
        private INDArray xSaved;
        private boolean padded;
        private long[] xShape;
        private int[] outSaved;

        Max(Node node, Op.MaxPool op, DataType type) {
            super(node, type);
            this.op = op;
        }

        private boolean dilated() {
            return op.dilations().h() > 1 || op.dilations().w() > 1;
        }

        @Override
        INDArray forward(List<INDArray> in, PassOptions pass, boolean save) {
            INDArray x = in.get(0);
            int[] out = outShape(in);
            Padding p = op.pads();
            INDArray y;
            INDArray src = x;
            if (p.isSymmetric() && !op.ceilMode() && !dilated()) {
                y = create(out);
                Nd.exec("maxpool2d", new INDArray[]{x}, new INDArray[]{y},
                        args(op.kernel(), op.strides(), p.top(), p.left(), 0));
            } else {
                src = pad(x, out);
                if (src == x) {
                    src = x.dup('c');
                }
                if (dilated()) {
                    y = dilatedMax(src, out);
                } else {
                    y = create(out);
                    Nd.exec("maxpool2d", new INDArray[]{src}, new INDArray[]{y},
                            args(op.kernel(), op.strides(), 0, 0, 0));
                }
            }
            if (save) {
                xSaved = src;
                padded = src != x;
                xShape = x.shape();
                outSaved = out;
            } else if (src != x) {
                Nd.close(src);
            }
            return y;
        }

        private INDArray pad(INDArray x, int[] out) {
            Padding p = op.pads();
            int bottom = endPad((int) x.size(2), op.kernel().h(), op.strides().h(), op.dilations().h(), p.top(), out[2]);
            int right = endPad((int) x.size(3), op.kernel().w(), op.strides().w(), op.dilations().w(), p.left(), out[3]);
            return Nd.padSpatial(x, p.top(), p.left(), bottom, right, Double.NEGATIVE_INFINITY);
        }

        /** View of tap (u, v): padded[:, :, u·d_h + i·s_h, v·d_w + j·s_w] for every output (i, j). */
        private INDArray tap(INDArray padded, int u, int v, int[] out) {
            long[] st = padded.stride();
            long[] viewStride = {st[0], st[1], st[2] * op.strides().h(), st[3] * op.strides().w()};
            long offset = padded.offset() + (long) u * op.dilations().h() * st[2] + (long) v * op.dilations().w() * st[3];
            return Nd4j.create(padded.data(), Nd.longs(out), viewStride, offset, 'c');
        }

        private INDArray dilatedMax(INDArray padded, int[] out) {
            INDArray y = null;
            for (int u = 0; u < op.kernel().h(); u++) {
                for (int v = 0; v < op.kernel().w(); v++) {
                    INDArray view = tap(padded, u, v, out);
                    if (y == null) {
                        y = view.dup('c');
                    } else {
                        Transforms.max(y, view, false);
                    }
                }
            }
            return y;
        }

        @Override
        INDArray[] backward(INDArray gradOut, boolean[] need) {
            if (!need[0]) {
                return new INDArray[]{null};
            }
            INDArray g = xSaved.ulike();
            if (dilated()) {
                routeDilated(gradOut, g);
            } else {
                Padding p = op.pads();
                int[] a = padded ? args(op.kernel(), op.strides(), 0, 0, 0)
                        : args(op.kernel(), op.strides(), p.top(), p.left(), 0);
                Nd.exec("maxpool2d_bp", new INDArray[]{xSaved, gradOut}, new INDArray[]{g}, a);
            }
            if (!padded) {
                return new INDArray[]{g};
            }
            INDArray gx = Nd.cropSpatial(g, op.pads().top(), op.pads().left(), xShape[2], xShape[3]);
            Nd.close(g);
            return new INDArray[]{gx};
        }

        private void routeDilated(INDArray gradOut, INDArray g) {
            g.assign(0);
            INDArray y = dilatedMax(xSaved, outSaved);
            INDArray open = Nd4j.ones(type, y.shape());
            for (int u = 0; u < op.kernel().h(); u++) {
                for (int v = 0; v < op.kernel().w(); v++) {
                    INDArray view = tap(xSaved, u, v, outSaved);
                    INDArray hit = view.eq(y).castTo(type).muli(open);
                    open.subi(hit);
                    tap(g, u, v, outSaved).addi(hit.muli(gradOut));
                    Nd.close(hit);
                }
            }
            Nd.close(y, open);
        }

        @Override
        void clear() {
            if (padded) {
                Nd.close(xSaved);
            }
            xSaved = null;
            padded = false;
        }
    }

    /**
     * ONNX AveragePool with PyTorch's divisors. Explicitly padded cases run the native op with divisor
     * kH·kW and rescale each output by kH·kW/divisor (per axis: start = o·s − pad_begin,
     * end = min(start + k, n + pad_end); count_include_pad: end − start, else min(end, n) − max(start, 0));
     * the backward rescales ∂y the same way before {@code avgpool2d_bp}.
     */
    static final class Avg extends TrainOp {
        private final Op.AvgPool op;
        private final Map<Long, INDArray> scales = new HashMap<>();
        private INDArray xSaved;
        private boolean padded;
        private long[] xShape;
        private INDArray scaleSaved;

        Avg(Node node, Op.AvgPool op, DataType type) {
            super(node, type);
            this.op = op;
        }

        private boolean native2d() {
            return op.pads().isSymmetric() && !op.ceilMode();
        }

        @Override
        INDArray forward(List<INDArray> in, PassOptions pass, boolean save) {
            INDArray x = in.get(0);
            int[] out = outShape(in);
            Padding p = op.pads();
            Hw k = op.kernel();
            INDArray y = create(out);
            INDArray src = x;
            INDArray scale = null;
            if (native2d()) {
                Nd.exec("avgpool2d", new INDArray[]{x}, new INDArray[]{y},
                        args(k, op.strides(), p.top(), p.left(), op.countIncludePad() ? 1 : 0));
            } else {
                int h = (int) x.size(2);
                int w = (int) x.size(3);
                int bottom = endPad(h, k.h(), op.strides().h(), 1, p.top(), out[2]);
                int right = endPad(w, k.w(), op.strides().w(), 1, p.left(), out[3]);
                src = Nd.padSpatial(x, p.top(), p.left(), bottom, right, 0.0);
                Nd.exec("avgpool2d", new INDArray[]{src}, new INDArray[]{y}, args(k, op.strides(), 0, 0, 1));
                scale = scale(h, w, out[2], out[3]);
                y.muli(scale);
            }
            if (save) {
                xSaved = src;
                padded = src != x;
                xShape = x.shape();
                scaleSaved = scale;
            } else if (src != x) {
                Nd.close(src);
            }
            return y;
        }

        @Override
        INDArray[] backward(INDArray gradOut, boolean[] need) {
            if (!need[0]) {
                return new INDArray[]{null};
            }
            INDArray g = xSaved.ulike();
            Padding p = op.pads();
            if (!padded) {
                Nd.exec("avgpool2d_bp", new INDArray[]{xSaved, gradOut}, new INDArray[]{g},
                        args(op.kernel(), op.strides(), p.top(), p.left(), op.countIncludePad() ? 1 : 0));
                return new INDArray[]{g};
            }
            INDArray scaled = gradOut.mul(scaleSaved);
            Nd.exec("avgpool2d_bp", new INDArray[]{xSaved, scaled}, new INDArray[]{g},
                    args(op.kernel(), op.strides(), 0, 0, 1));
            INDArray gx = Nd.cropSpatial(g, p.top(), p.left(), xShape[2], xShape[3]);
            Nd.close(g, scaled);
            return new INDArray[]{gx};
        }

        /** kH·kW / divisor per output position, [1, 1, H_out, W_out], cached per input size. */
        private INDArray scale(int h, int w, int outH, int outW) {
            long key = ((long) h << 32) | w;
            return scales.computeIfAbsent(key, unused -> {
                Padding p = op.pads();
                double[] dh = divisors(h, op.kernel().h(), op.strides().h(), p.top(), p.bottom(), outH);
                double[] dw = divisors(w, op.kernel().w(), op.strides().w(), p.left(), p.right(), outW);
                double[] f = new double[outH * outW];
                double area = (double) op.kernel().h() * op.kernel().w();
                for (int i = 0; i < outH; i++) {
                    for (int j = 0; j < outW; j++) {
                        double div = dh[i] * dw[j];
                        f[i * outW + j] = div > 0 ? area / div : 0;
                    }
                }
                return Nd4j.create(f, new long[]{1, 1, outH, outW}, DataType.DOUBLE).castTo(type);
            });
        }

        private double[] divisors(int n, int k, int s, int padBegin, int padEnd, int outN) {
            double[] d = new double[outN];
            for (int o = 0; o < outN; o++) {
                int start = o * s - padBegin;
                int end = Math.min(start + k, n + padEnd);
                d[o] = op.countIncludePad() ? end - start : Math.min(end, n) - Math.max(start, 0);
            }
            return d;
        }

        @Override
        void clear() {
            if (padded) {
                Nd.close(xSaved);
            }
            xSaved = null;
            scaleSaved = null;
            padded = false;
        }
    }

    /** Mean over the spatial axes, [N, C, H, W] → [N, C, 1, 1]; ∂x = ∂y/(H·W) broadcast over H, W. */
    static final class GlobalAvg extends TrainOp {
        private long[] xShape;

        GlobalAvg(Node node, DataType type) {
            super(node, type);
        }

        @Override
        INDArray forward(List<INDArray> in, PassOptions pass, boolean save) {
            INDArray x = in.get(0);
            outShape(in);
            xShape = x.shape();
            return x.mean(true, 2, 3);
        }

        @Override
        INDArray[] backward(INDArray gradOut, boolean[] need) {
            if (!need[0]) {
                return new INDArray[]{null};
            }
            INDArray gx = Nd4j.zeros(type, xShape);
            INDArray scaled = gradOut.div((double) xShape[2] * xShape[3]);
            gx.addi(scaled);
            Nd.close(scaled);
            return new INDArray[]{gx};
        }
    }

    /**
     * y = mean of x over the axes A (M = Π_{a∈A} d_a values per output), kept as length-1 axes or dropped;
     * ∂x = ∂y/M broadcast over the reduced axes (∂y first viewed with the reduced axes as 1s).
     */
    static final class ReduceMean extends TrainOp {
        private final int[] axes;
        private long[] xShape;

        ReduceMean(Node node, Op.ReduceMean op, DataType type) {
            super(node, type);
            this.axes = op.axes();
        }

        @Override
        INDArray forward(List<INDArray> in, PassOptions pass, boolean save) {
            INDArray x = in.get(0);
            int[] out = outShape(in);
            xShape = x.shape();
            INDArray m = x.mean(true, axes);
            if (m.rank() == out.length && java.util.Arrays.equals(Nd.ints(m.shape()), out)) {
                return m;
            }
            INDArray r = m.reshape('c', Nd.longs(out)).dup('c');
            Nd.close(m);
            return r;
        }

        @Override
        INDArray[] backward(INDArray gradOut, boolean[] need) {
            if (!need[0]) {
                return new INDArray[]{null};
            }
            long[] keep = xShape.clone();
            long count = 1;
            for (int a : axes) {
                count *= keep[a];
                keep[a] = 1;
            }
            INDArray scaled = gradOut.div((double) count);
            INDArray kept = scaled.reshape('c', keep);
            INDArray gx = Nd4j.zeros(type, xShape);
            gx.addi(kept);
            Nd.close(scaled, kept);
            return new INDArray[]{gx};
        }
    }
}
