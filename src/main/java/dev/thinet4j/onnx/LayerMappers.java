package dev.thinet4j.onnx;

import dev.thinet4j.model.Hw;
import dev.thinet4j.model.Op;
import dev.thinet4j.model.Padding;
import dev.thinet4j.model.Tensor;
import dev.thinet4j.onnx.Value.Act;
import dev.thinet4j.onnx.Value.PendingLinear;
import dev.thinet4j.onnx.Value.PendingPad;
import dev.thinet4j.onnx.Value.Unavailable;
import dev.thinet4j.onnx.proto.OnnxNode;

import java.util.Arrays;
import java.util.Map;

/**
 * Layers with weights and windows: Conv (with a preceding zero Pad folded in), Pad,
 * BatchNormalization, MaxPool, AveragePool, GlobalAveragePool, Gemm and MatMul (by a constant
 * weight, over the last axis, fused with a following constant bias Add into {@link Op.Linear}).
 */
final class LayerMappers {
    private LayerMappers() {
    }

    static void register(Map<String, OpMapper> r) {
        r.put("Conv", LayerMappers::conv);
        r.put("Pad", LayerMappers::pad);
        r.put("BatchNormalization", LayerMappers::batchNorm);
        r.put("MaxPool", LayerMappers::maxPool);
        r.put("AveragePool", LayerMappers::avgPool);
        r.put("GlobalAveragePool", (c, n) -> c.emit(n, new Op.GlobalAvgPool(), c.act(n, 0)));
        r.put("Gemm", LayerMappers::gemm);
        r.put("MatMul", LayerMappers::matMul);
    }


    static void conv(ImportContext ctx, OnnxNode n) {
        PendingPad pre = ctx.valueOrPad(n, 0) instanceof PendingPad pp ? pp : null;
        Act x = pre != null ? pre.input() : ctx.act(n, 0);
        Tensor w = ctx.weight(n, 1, "weight");
        if (w.rank() != 4) {
            throw ctx.unsupported(ctx.at(n) + ": only 2-D convolution is supported, but the weight '" + n.inputs().get(1)
                    + "' has shape " + Arrays.toString(w.shape()));
        }
        if (x.shape().length != 4) {
            throw ctx.unsupported(ctx.at(n) + ": the input '" + n.inputs().get(0) + "' must be 4-D (NCHW), is "
                    + ImportContext.shapeText((x.shape())));
        }
        Tensor b = ctx.optionalWeight(n, 2, "bias");
        if (b != null) {
            b = b.reshape(b.size());
        }
        int kh = w.dim(2);
        int kw = w.dim(3);
        long[] ks = ctx.attrInts(n, "kernel_shape", null);
        if (ks != null && (ks.length != 2 || ks[0] != kh || ks[1] != kw)) {
            throw ctx.fail(ctx.at(n) + ": kernel_shape " + Arrays.toString(ks) + " does not match the weight '"
                    + n.inputs().get(1) + "' of shape " + Arrays.toString(w.shape()));
        }
        Hw strides = hw(ctx, n, "strides");
        Hw dil = hw(ctx, n, "dilations");
        Padding pads = plus(pads(ctx, n, padded(x.shape(), pre), kh, kw, strides, dil), pre);
        int group = (int) ctx.attrInt(n, "group", 1);
        ctx.emit(n, new Op.Conv(w, b, strides, pads, dil, group), x);
    }

    static Hw hw(ImportContext ctx, OnnxNode n, String attr) {
        long[] v = ctx.attrInts(n, attr, new long[]{1, 1});
        if (v.length != 2) {
            throw ctx.unsupported(ctx.at(n) + ": attribute '" + attr + "' " + Arrays.toString(v)
                    + " is not 2-D; only 2-D (NCHW) windows are supported");
        }
        return new Hw(Math.toIntExact(v[0]), Math.toIntExact(v[1]));
    }

    /** Explicit [top, left, bottom, right] pads from {@code pads} or {@code auto_pad}. */
    static Padding pads(ImportContext ctx, OnnxNode n, int[] x, int kh, int kw, Hw strides, Hw dil) {
        String autoPad = ctx.attrString(n, "auto_pad", "NOTSET");
        switch (autoPad) {
            case "NOTSET", "" -> {
                long[] p = ctx.attrInts(n, "pads", new long[]{0, 0, 0, 0});
                if (p.length != 4) {
                    throw ctx.unsupported(ctx.at(n) + ": pads " + Arrays.toString(p) + " are not 2-D");
                }
                for (long v : p) {
                    if (v < 0) {
                        throw ctx.unsupported(ctx.at(n) + ": negative pads " + Arrays.toString(p) + " are not supported");
                    }
                }
                return new Padding(Math.toIntExact(p[0]), Math.toIntExact(p[1]), Math.toIntExact(p[2]),
                        Math.toIntExact(p[3]));
            }
            case "VALID" -> {
                return Padding.NONE;
            }
            case "SAME_UPPER", "SAME_LOWER" -> {
                boolean upper = autoPad.equals("SAME_UPPER");
                int[] h = samePad(x[2], kh, strides.h(), dil.h(), upper);
                int[] w = samePad(x[3], kw, strides.w(), dil.w(), upper);
                return new Padding(h[0], w[0], h[1], w[1]);
            }
            default -> throw ctx.unsupported(ctx.at(n) + ": auto_pad '" + autoPad + "' is not supported");
        }
    }

    /** The shape after a pending zero Pad. */
    static int[] padded(int[] x, PendingPad pre) {
        if (pre == null) {
            return x;
        }
        Padding p = pre.pads();
        return new int[]{x[0], x[1], x[2] + p.top() + p.bottom(), x[3] + p.left() + p.right()};
    }

    static Padding plus(Padding a, PendingPad pre) {
        if (pre == null) {
            return a;
        }
        Padding b = pre.pads();
        return new Padding(a.top() + b.top(), a.left() + b.left(), a.bottom() + b.bottom(), a.right() + b.right());
    }

    /** A constant-zero spatial Pad, kept pending until a Conv or AveragePool folds it in. */
    static void pad(ImportContext ctx, OnnxNode n) {
        Act x = ctx.act(n, 0);
        String mode = ctx.attrString(n, "mode", "constant");
        if (!mode.equals("constant")) {
            throw ctx.unsupported(ctx.at(n) + ": Pad mode '" + mode + "' is not supported; only zero padding folded into a"
                    + " following Conv or AveragePool is");
        }
        long[] p;
        float value;
        if (ctx.opset < 11) {
            p = ctx.attrInts(n, "pads", null);
            value = ctx.attrFloat(n, "value", 0f);
        } else {
            p = ctx.constInput(n, 1, "pads").tensor().toLongArray();
            value = n.inputs().size() > 2 && !n.inputs().get(2).isEmpty() ? ctx.scalar(n, 2, "constant_value") : 0f;
            if (n.inputs().size() > 3 && !n.inputs().get(3).isEmpty()) {
                throw ctx.unsupported(ctx.at(n) + ": Pad with an 'axes' input is not supported");
            }
        }
        if (p == null || p.length != 8 || x.shape().length != 4) {
            throw ctx.unsupported(ctx.at(n) + ": only Pad of NCHW tensors is supported (pads " + Arrays.toString(p) + ")");
        }
        if (value != 0f) {
            throw ctx.unsupported(ctx.at(n) + ": Pad with the value " + value + " is not supported; only zero padding is");
        }
        for (int k = 0; k < 8; k++) {
            if (p[k] < 0 || ((k % 4) < 2 && p[k] != 0)) {
                throw ctx.unsupported(ctx.at(n) + ": Pad " + Arrays.toString(p) + " is not supported; only non-negative"
                        + " padding of H and W is");
            }
        }
        Padding pads = new Padding(Math.toIntExact(p[2]), Math.toIntExact(p[3]), Math.toIntExact(p[6]),
                Math.toIntExact(p[7]));
        ctx.put(ctx.output(n), new PendingPad(x, pads, n));
    }

    static int[] samePad(int in, int k, int stride, int dil, boolean upper) {
        int out = (in + stride - 1) / stride;
        int total = Math.max(0, (out - 1) * stride + (k - 1) * dil + 1 - in);
        int small = total / 2;
        int big = total - small;
        return upper ? new int[]{small, big} : new int[]{big, small};
    }

    static void batchNorm(ImportContext ctx, OnnxNode n) {
        Act x = ctx.act(n, 0);
        if (ctx.attrInt(n, "training_mode", 0) != 0) {
            throw ctx.unsupported(ctx.at(n) + ": BatchNormalization with training_mode=1 is not supported; export the model"
                    + " in eval() mode");
        }
        if (ctx.attrInt(n, "spatial", 1) == 0) {
            throw ctx.unsupported(ctx.at(n) + ": BatchNormalization with spatial=0 is not supported");
        }
        if (n.inputs().size() != 5) {
            throw ctx.fail(ctx.at(n) + " needs 5 inputs (X, scale, B, mean, var), has " + n.inputs().size());
        }
        Tensor scale = flat(ctx.weight(n, 1, "scale"));
        Tensor bias = flat(ctx.weight(n, 2, "bias"));
        Tensor mean = flat(ctx.weight(n, 3, "running mean"));
        Tensor var = flat(ctx.weight(n, 4, "running variance"));
        float eps = ctx.attrFloat(n, "epsilon", 1e-5f);
        for (int k = 1; k < n.outputs().size(); k++) {
            if (!n.outputs().get(k).isEmpty()) {
                ctx.put(n.outputs().get(k), new Unavailable("a training-mode output of BatchNormalization "
                        + ctx.at(n) + ", which thinet4j does not support"));
            }
        }
        ctx.emit(n, new Op.BatchNorm(scale, bias, mean, var, eps), x);
    }

    static Tensor flat(Tensor t) {
        return t.rank() == 1 ? t : t.reshape(t.size());
    }

    static void maxPool(ImportContext ctx, OnnxNode n) {
        Act x = ctx.act(n, 0);
        long[] ks = kernelShape(ctx, n, x);
        Hw strides = hw(ctx, n, "strides");
        Hw dil = hw(ctx, n, "dilations");
        Padding pads = pads(ctx, n, x.shape(), (int) ks[0], (int) ks[1], strides, dil);
        boolean ceil = ctx.attrInt(n, "ceil_mode", 0) != 0;
        if (n.outputs().size() > 1 && !n.outputs().get(1).isEmpty()) {
            ctx.put(n.outputs().get(1), new Unavailable("the Indices output of MaxPool " + ctx.at(n)
                    + ", which thinet4j does not support"));
        }
        ctx.emit(n, new Op.MaxPool(new Hw((int) ks[0], (int) ks[1]), strides, pads, dil, ceil), x);
    }

    static void avgPool(ImportContext ctx, OnnxNode n) {
        PendingPad pre = ctx.valueOrPad(n, 0) instanceof PendingPad pp ? pp : null;
        Act x = pre != null ? pre.input() : ctx.act(n, 0);
        long[] ks = kernelShape(ctx, n, x);
        Hw strides = hw(ctx, n, "strides");
        Hw dil = hw(ctx, n, "dilations");
        if (dil.h() != 1 || dil.w() != 1) {
            throw ctx.unsupported(ctx.at(n) + ": AveragePool with dilations " + dil + " is not supported");
        }
        Padding pads = pads(ctx, n, padded(x.shape(), pre), (int) ks[0], (int) ks[1], strides, dil);
        boolean ceil = ctx.attrInt(n, "ceil_mode", 0) != 0;
        boolean countPad = ctx.attrInt(n, "count_include_pad", 0) != 0;
        if (pre != null) {
            if (!pads.isZero() && !countPad) {
                throw ctx.unsupported(ctx.at(n) + ": AveragePool with its own pads and count_include_pad=0 after the zero Pad "
                        + ctx.at(pre.node()) + " is not supported");
            }
            pads = plus(pads, pre);
            countPad = true; // the padded zeros are real values for the pool
        }
        ctx.emit(n, new Op.AvgPool(new Hw((int) ks[0], (int) ks[1]), strides, pads, countPad, ceil), x);
    }

    static long[] kernelShape(ImportContext ctx, OnnxNode n, Act x) {
        long[] ks = ctx.attrInts(n, "kernel_shape", null);
        if (ks == null) {
            throw ctx.fail(ctx.at(n) + ": attribute 'kernel_shape' is missing");
        }
        if (ks.length != 2 || x.shape().length != 4) {
            throw ctx.unsupported(ctx.at(n) + ": only 2-D pooling of NCHW tensors is supported (kernel_shape "
                    + Arrays.toString(ks) + ")");
        }
        return ks;
    }

    static void gemm(ImportContext ctx, OnnxNode n) {
        Act a = ctx.act(n, 0);
        if (ctx.attrInt(n, "transA", 0) != 0) {
            throw ctx.unsupported(ctx.at(n) + ": Gemm with transA=1 is not supported");
        }
        if (a.shape().length != 2) {
            throw ctx.unsupported(ctx.at(n) + ": Gemm input '" + n.inputs().get(0) + "' must be 2-D, is "
                    + ImportContext.shapeText((a.shape())));
        }
        Tensor b = ctx.weight(n, 1, "weight (B)");
        if (b.rank() != 2) {
            throw ctx.fail(ctx.at(n) + ": the weight '" + n.inputs().get(1) + "' must be 2-D, has shape "
                    + Arrays.toString(b.shape()));
        }
        float alpha = ctx.attrFloat(n, "alpha", 1f);
        float beta = ctx.attrFloat(n, "beta", 1f);
        Tensor w = ctx.attrInt(n, "transB", 0) != 0 ? b : transpose(b);
        if (alpha != 1f) {
            w = scale(w, alpha);
        }
        Tensor c = ctx.optionalWeight(n, 2, "bias (C)");
        Tensor bias = null;
        if (c != null && beta != 0f) {
            bias = biasVector(ctx, n, c, w.dim(0));
            if (beta != 1f) {
                bias = scale(bias, beta);
            }
        }
        ctx.emit(n, new Op.Linear(w, bias), a);
    }

    static Tensor biasVector(ImportContext ctx, OnnxNode n, Tensor c, int out) {
        int[] s = c.shape();
        boolean rowOk = s.length == 1 || (s.length == 2 && s[0] == 1);
        if (c.size() == out && (rowOk || s.length == 0)) {
            return c.reshape(out);
        }
        if (c.size() == 1) {
            return Tensor.filled(c.get(0), out);
        }
        throw ctx.unsupported(ctx.at(n) + ": bias of shape " + Arrays.toString(s)
                + " does not broadcast as a per-output bias of " + out + " features");
    }

    static Tensor transpose(Tensor t) {
        int r = t.dim(0);
        int c = t.dim(1);
        float[] src = t.data();
        float[] dst = new float[src.length];
        for (int i = 0; i < r; i++) {
            for (int j = 0; j < c; j++) {
                dst[j * r + i] = src[i * c + j];
            }
        }
        return Tensor.of(dst, c, r);
    }

    static Tensor scale(Tensor t, float s) {
        float[] d = t.data();
        for (int k = 0; k < d.length; k++) {
            d[k] *= s;
        }
        return Tensor.of(d, t.shape());
    }

    static void matMul(ImportContext ctx, OnnxNode n) {
        Value va = ctx.value(n, 0);
        Value vb = ctx.value(n, 1);
        if (va instanceof Act && vb instanceof Act) {
            throw ctx.unsupported(ctx.at(n) + ": MatMul of two activations ('" + n.inputs().get(0) + "' and '"
                    + n.inputs().get(1) + "') is not supported; only activation × constant weight [in, out] is");
        }
        if (!(va instanceof Act a) || !(vb instanceof Value.Const)) {
            throw ctx.unsupported(ctx.at(n) + ": MatMul is supported only as activation × constant weight [in, out]");
        }
        if (a.shape().length < 2) {
            throw ctx.unsupported(ctx.at(n) + ": MatMul input '" + n.inputs().get(0) + "' must have a batch and a"
                    + " feature axis, is " + ImportContext.shapeText(a.shape()));
        }
        Tensor b = ctx.weight(n, 1, "weight");
        if (b.rank() != 2) {
            throw ctx.unsupported(ctx.at(n) + ": the MatMul weight '" + n.inputs().get(1)
                    + "' must be 2-D [in, out], has shape " + Arrays.toString(b.shape()));
        }
        if (b.dim(0) != a.shape()[a.shape().length - 1]) {
            throw ctx.fail(ctx.at(n) + ": weight '" + n.inputs().get(1) + "' " + Arrays.toString(b.shape())
                    + " does not fit the input " + ImportContext.shapeText(a.shape()));
        }
        ctx.put(ctx.output(n), new PendingLinear(n, a, transpose(b)));
    }
}
