package dev.thinet4j.engine;

import dev.thinet4j.model.Hw;
import dev.thinet4j.model.Node;
import dev.thinet4j.model.Op;
import dev.thinet4j.model.Padding;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Max and average pooling on libnd4j's {@code maxpool2d} / {@code avgpool2d} (dilated max pooling:
 * element-wise max of strided views, see {@link Max}). Integer arguments:
 * kH, kW, sH, sW, pH, pW, dH, dW, sameMode (0), extraParam0, dataFormat (0 = NCHW); for
 * {@code avgpool2d} extraParam0 = 1 divides by kH·kW, 0 by the number of non-padded positions
 * (checked by experiment); padded positions never win a max.
 *
 * <p>Symmetric padding without ceil mode runs the native op with its own padding, in NHWC data format
 * when the input is an NHWC view (see {@link NdArrays#isNhwc}; the output is one too). Otherwise
 * (asymmetric pads, ceil mode) the input is padded explicitly at the start by the declared pads and at the
 * end by exactly what the last window reaches, e_end = max(0, (out − 1)·s + d·(k − 1) + 1 − pad_begin − n),
 * and the native op runs unpadded: for max pooling the fill is −∞; for average pooling the fill is 0, the op
 * divides by kH·kW and the result is rescaled per output position by kH·kW / divisor, with the PyTorch
 * divisor per axis: start = o·s − pad_begin, end = min(start + k, n + pad_end); with count_include_pad
 * the divisor is (end − start), otherwise (min(end, n) − max(start, 0)); the 2-D divisor is the product of
 * the two axes' divisors.
 */
final class PoolKernels {
    private PoolKernels() {
    }

    private static int endPad(int n, int k, int s, int d, int padBegin, int out) {
        return Math.max(0, (out - 1) * s + d * (k - 1) + 1 - padBegin - n);
    }

    private static void pool(String opName, INDArray x, INDArray y, Hw k, Hw s, int ph, int pw, Hw d, int extra) {
        pool(opName, x, y, k, s, ph, pw, d, extra, 0);
    }

    private static void pool(String opName, INDArray x, INDArray y, Hw k, Hw s, int ph, int pw, Hw d, int extra,
                             int dataFormat) {
        Nd4j.exec(DynamicCustomOp.builder(opName).addInputs(x).addOutputs(y)
                .addIntegerArguments(k.h(), k.w(), s.h(), s.w(), ph, pw, d.h(), d.w(), 0, extra, dataFormat)
                .build());
    }

    /**
     * The symmetric, floor-mode, undilated pooling of an NHWC view in NHWC data format (1): the output is the
     * NCHW-shaped view of a new [N, H_out, W_out, C] array.
     */
    private static INDArray poolNhwc(String opName, INDArray x, int[] out, Hw k, Hw s, Padding p, int extra,
                                     Buffers alloc) {
        INDArray yb = alloc.allocate(out[0], out[2], out[3], out[1]);
        pool(opName, NdArrays.nhwcBase(x), yb, k, s, p.top(), p.left(), Hw.of(1), extra, 1);
        return NdArrays.nchwView(yb);
    }

    /** ONNX MaxPool. */
    static final class Max extends AnyLayoutKernel {
        private final Op.MaxPool op;

        Max(Node node, Op.MaxPool op) {
            super(node);
            this.op = op;
        }

        @Override
        protected INDArray compute(List<INDArray> in, List<int[]> shapes, int[] out, boolean inPlace, Buffers alloc) {
            INDArray x = in.get(0);
            int[] xs = shapes.get(0);
            Padding p = op.pads();
            boolean dilated = op.dilations().h() > 1 || op.dilations().w() > 1;
            if (p.isSymmetric() && !op.ceilMode() && !dilated) {
                if (NdArrays.isNhwc(x)) {
                    return poolNhwc("maxpool2d", x, out, op.kernel(), op.strides(), p, 0, alloc);
                }
                INDArray y = alloc.allocate(out);
                pool("maxpool2d", x, y, op.kernel(), op.strides(), p.top(), p.left(), Hw.of(1), 0);
                return y;
            }
            if (NdArrays.isNhwc(x)) {
                INDArray dense = NdArrays.toDenseC(x, alloc);
                try {
                    return general(dense, xs, out, alloc);
                } finally {
                    alloc.recycle(dense);
                }
            }
            return general(x, xs, out, alloc);
        }

        private INDArray general(INDArray x, int[] xs, int[] out, Buffers alloc) {
            Padding p = op.pads();
            boolean dilated = op.dilations().h() > 1 || op.dilations().w() > 1;
            int bottom = endPad(xs[2], op.kernel().h(), op.strides().h(), op.dilations().h(), p.top(), out[2]);
            int right = endPad(xs[3], op.kernel().w(), op.strides().w(), op.dilations().w(), p.left(), out[3]);
            try (INDArray padded = NdArrays.padSpatial(x, p.top(), p.left(), bottom, right, Double.NEGATIVE_INFINITY)) {
                if (dilated) {
                    return dilatedMax(padded, out);
                }
                INDArray y = alloc.allocate(out);
                pool("maxpool2d", padded, y, op.kernel(), op.strides(), 0, 0, Hw.of(1), 0);
                return y;
            }
        }

        /**
         * Dilated max pooling of an already padded input as an element-wise max over the k_h·k_w strided views
         * padded[:, :, u·d_h + i·s_h, v·d_w + j·s_w] (libnd4j's dilated {@code maxpool2d} gives wrong values in
         * 1.0.0-M2.1).
         */
        private INDArray dilatedMax(INDArray padded, int[] out) {
            Hw k = op.kernel();
            Hw s = op.strides();
            Hw d = op.dilations();
            // padded is a fresh c-ordered array: build each strided view directly from its buffer
            long[] st = padded.stride();
            long[] viewShape = NdArrays.longs(out);
            long[] viewStride = {st[0], st[1], st[2] * s.h(), st[3] * s.w()};
            INDArray y = null;
            for (int u = 0; u < k.h(); u++) {
                for (int v = 0; v < k.w(); v++) {
                    long offset = padded.offset() + (long) u * d.h() * st[2] + (long) v * d.w() * st[3];
                    INDArray view = Nd4j.create(padded.data(), viewShape, viewStride, offset, 'c');
                    if (y == null) {
                        y = view.dup('c');
                    } else {
                        Transforms.max(y, view, false);
                    }
                }
            }
            return y;
        }
    }

    /** ONNX AveragePool (PyTorch avg_pool2d semantics for ceil mode and count_include_pad). */
    static final class Avg extends AnyLayoutKernel {
        private final Op.AvgPool op;
        /** kH·kW / divisor per output position, [1, 1, H_out, W_out], keyed by input H·65536 + W. */
        private final Map<Long, INDArray> scales = new ConcurrentHashMap<>();

        Avg(Node node, Op.AvgPool op) {
            super(node);
            this.op = op;
        }

        @Override
        protected INDArray compute(List<INDArray> in, List<int[]> shapes, int[] out, boolean inPlace, Buffers alloc) {
            INDArray x = in.get(0);
            int[] xs = shapes.get(0);
            Padding p = op.pads();
            Hw k = op.kernel();
            Hw one = Hw.of(1);
            if (p.isSymmetric() && !op.ceilMode() && NdArrays.isNhwc(x)) {
                return poolNhwc("avgpool2d", x, out, k, op.strides(), p, op.countIncludePad() ? 1 : 0, alloc);
            }
            if (NdArrays.isNhwc(x)) {
                INDArray dense = NdArrays.toDenseC(x, alloc);
                try {
                    return compute(List.of(dense), shapes, out, false, alloc);
                } finally {
                    alloc.recycle(dense);
                }
            }
            INDArray y = alloc.allocate(out);
            if (p.isSymmetric() && !op.ceilMode()) {
                pool("avgpool2d", x, y, k, op.strides(), p.top(), p.left(), one, op.countIncludePad() ? 1 : 0);
                return y;
            }
            int bottom = endPad(xs[2], k.h(), op.strides().h(), 1, p.top(), out[2]);
            int right = endPad(xs[3], k.w(), op.strides().w(), 1, p.left(), out[3]);
            try (INDArray padded = NdArrays.padSpatial(x, p.top(), p.left(), bottom, right, 0.0)) {
                pool("avgpool2d", padded, y, k, op.strides(), 0, 0, one, 1);
            }
            y.muli(scale(xs[2], xs[3], out[2], out[3]));
            return y;
        }

        private INDArray scale(int h, int w, int outH, int outW) {
            long key = ((long) h << 32) | w;
            return scales.computeIfAbsent(key, unused -> {
                Padding p = op.pads();
                double[] dh = divisors(h, op.kernel().h(), op.strides().h(), p.top(), p.bottom(), outH);
                double[] dw = divisors(w, op.kernel().w(), op.strides().w(), p.left(), p.right(), outW);
                float[] f = new float[outH * outW];
                double area = (double) op.kernel().h() * op.kernel().w();
                for (int i = 0; i < outH; i++) {
                    for (int j = 0; j < outW; j++) {
                        double div = dh[i] * dw[j];
                        // an all-padding window (impossible when pad < kernel) sums zeros: keep it 0
                        f[i * outW + j] = div > 0 ? (float) (area / div) : 0f;
                    }
                }
                return own(Nd4j.create(f, new long[]{1, 1, outH, outW}, org.nd4j.linalg.api.buffer.DataType.FLOAT));
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
    }
}
