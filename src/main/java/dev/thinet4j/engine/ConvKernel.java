package dev.thinet4j.engine;

import dev.thinet4j.model.Node;
import dev.thinet4j.model.Op;
import dev.thinet4j.model.Padding;
import dev.thinet4j.model.Tensor;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.impl.transforms.Pad;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.List;

/**
 * 2-D convolution with groups: y[n, o, h, w] = b[o] + Σ_{c, i, j} w[o, c, i, j] ·
 * x_pad[n, g(o)·C_in/groups + c, h·s_h + i·d_h, w·s_w + j·d_w], g(o) = ⌊o / (C_out/groups)⌋, x_pad being x
 * zero-padded by (top, left, bottom, right). Writes a new output array; reads but never modifies its input.
 *
 * <p>Native ops: libnd4j {@code conv2d} (oneDNN where available) with weight format 1 = [O, I, kH, kW]
 * (the ONNX layout, used as is) for one group, run in NHWC data format: the input is read as (or copied
 * into) a dense [N, H, W, C] array and the output is written as one and returned as its NCHW-shaped view
 * (see {@link NdArrays#isNhwc}). oneDNN's convolution works in NHWC for float32 on AVX-512; given NCHW
 * arrays, libnd4j reorders the input, the (uninitialised) output and the result on every call, which cost
 * more than the convolution itself at batch 8 (profiled with {@code DNNL_VERBOSE=1}); {@code depthwise_conv2d}, also in
 * NHWC, with weight format 0 = [kH, kW, C_in, multiplier] for depthwise convs (groups = C_in, any multiplier;
 * libnd4j numbers output channels c·multiplier + m like ONNX; that combination is the one libnd4j hands to
 * oneDNN's depthwise kernel); one {@code conv2d} per group for other group counts, each writing
 * its slice of the output. Integer arguments of both ops, checked against a reference:
 * kH, kW, sH, sW, pH, pW, dH, dW, sameMode (0), dataFormat (0 = NCHW, 1 = NHWC), weightFormat.
 * Asymmetric padding is applied beforehand with a zero {@code pad} and the op runs unpadded.
 *
 * <p>Dilation: the oneDNN build of ND4J 1.0.0-M2.1 cannot create any dilated convolution ("could not create
 * a descriptor for a dilated convolution forward propagation primitive"), so a dilated kernel is expanded
 * once, at construction, into the equivalent undilated kernel of size d·(k − 1) + 1 with zeros between the
 * taps, w'[o, c, u·d_h, v·d_w] = w[o, c, u, v]. Exact, at the cost of more multiply-adds for dilated convs.
 */
final class ConvKernel extends AbstractKernel {
    private static final int WEIGHT_FORMAT_OIHW = 1;
    /** [kH, kW, C_in, mult] for {@code depthwise_conv2d}: the only format its oneDNN path takes. */
    private static final int WEIGHT_FORMAT_HWIO = 0;
    private static final int NCHW = 0;
    private static final int NHWC = 1;

    private enum Kind { DENSE, DEPTHWISE, GROUPED }

    private final Op.Conv conv;
    private final Kind kind;
    /** Kernel size the native op sees (the dilated extent when dilation > 1). */
    private final int kh;
    private final int kw;
    /** DENSE: [O, I, kH, kW]; DEPTHWISE: [kH, kW, C_in, mult]; GROUPED: null. */
    private final INDArray weight;
    private final INDArray bias;
    private final INDArray[] groupWeights;
    private final INDArray[] groupBiases;

    ConvKernel(Node node, Op.Conv conv) {
        this(node, conv, null);
    }

    /**
     * The kernel of {@code conv} followed by the inference batch normalisation {@code bn} (null: none), with
     * the normalisation folded into the weights: w'[o] = w[o]·m_o and b'_o = b_o·m_o + t_o, where
     * m = scale / √(var + ε) and t = bias − mean·m, computed in double precision and rounded once.
     */
    ConvKernel(Node node, Op.Conv conv, Op.BatchNorm bn) {
        super(node);
        this.conv = conv;
        int cout = conv.outChannels();
        Tensor w0 = conv.weight();
        Tensor b0 = conv.bias();
        if (bn != null) {
            float[] wd = w0.data();
            int per = wd.length / cout;
            float[] fw = new float[wd.length];
            float[] fb = new float[cout];
            for (int o = 0; o < cout; o++) {
                double m = bn.scale().get(o) / Math.sqrt((double) bn.var().get(o) + bn.epsilon());
                double t = bn.bias().get(o) - bn.mean().get(o) * m;
                for (int k = o * per; k < (o + 1) * per; k++) {
                    fw[k] = (float) (wd[k] * m);
                }
                fb[o] = (float) ((b0 == null ? 0.0 : b0.get(o)) * m + t);
            }
            w0 = Tensor.of(fw, w0.shape());
            b0 = Tensor.of(fb, cout);
        }
        Tensor taps = dilate(w0, conv.dilations().h(), conv.dilations().w());
        this.kh = taps.dim(2);
        this.kw = taps.dim(3);
        if (conv.isDepthwise()) {
            kind = Kind.DEPTHWISE;
            int cin = conv.inChannels();
            int mult = cout / cin;
            try (INDArray w = NdArrays.toNd(taps)) {
                // ONNX [C_in·mult, 1, kH, kW] → [C_in, mult, kH, kW] → [kH, kW, C_in, mult]
                weight = own(w.reshape('c', cin, mult, kh, kw).permute(2, 3, 0, 1).dup('c'));
            }
            bias = b0 == null ? null : own(NdArrays.toNd(b0));
            groupWeights = null;
            groupBiases = null;
        } else if (conv.groups() > 1) {
            kind = Kind.GROUPED;
            int g = conv.groups();
            int og = cout / g;
            groupWeights = new INDArray[g];
            groupBiases = new INDArray[g];
            try (INDArray w = NdArrays.toNd(taps)) {
                INDArray b = b0 == null ? null : NdArrays.toNd(b0);
                for (int k = 0; k < g; k++) {
                    groupWeights[k] = own(w.get(NDArrayIndex.interval(k * og, (k + 1) * og), NDArrayIndex.all(),
                            NDArrayIndex.all(), NDArrayIndex.all()).dup('c'));
                    if (b != null) {
                        groupBiases[k] = own(b.get(NDArrayIndex.interval(k * og, (k + 1) * og)).dup('c'));
                    }
                }
                NdArrays.closeQuietly(b);
            }
            weight = null;
            bias = null;
        } else {
            kind = Kind.DENSE;
            weight = own(NdArrays.toNd(taps));
            bias = b0 == null ? null : own(NdArrays.toNd(b0));
            groupWeights = null;
            groupBiases = null;
        }
    }

    @Override
    boolean acceptsNhwc() {
        return kind != Kind.GROUPED;
    }

    @Override
    protected INDArray compute(List<INDArray> in, List<int[]> shapes, int[] out, boolean inPlace, Buffers alloc) {
        if (kind == Kind.DENSE) {
            return nhwc("conv2d", WEIGHT_FORMAT_OIHW, in.get(0), out, alloc);
        }
        if (kind == Kind.DEPTHWISE) {
            return nhwc("depthwise_conv2d", WEIGHT_FORMAT_HWIO, in.get(0), out, alloc);
        }
        INDArray x = in.get(0);
        Padding p = conv.pads();
        INDArray padded = null;
        int ph = p.top();
        int pw = p.left();
        if (!p.isSymmetric()) {
            padded = NdArrays.padSpatial(x, p.top(), p.left(), p.bottom(), p.right(), 0.0);
            x = padded;
            ph = 0;
            pw = 0;
        }
        try {
            INDArray y = alloc.allocate(out);
            switch (kind) {
                case GROUPED -> {
                    int g = conv.groups();
                    int ig = conv.inChannels() / g;
                    int og = conv.outChannels() / g;
                    for (int k = 0; k < g; k++) {
                        INDArray xg = x.get(NDArrayIndex.all(), NDArrayIndex.interval(k * ig, (k + 1) * ig),
                                NDArrayIndex.all(), NDArrayIndex.all()).dup('c');
                        INDArray yg = NdArrays.uninitialized(out[0], og, out[2], out[3]);
                        try {
                            run("conv2d", xg, groupWeights[k], groupBiases[k], yg, ph, pw, NCHW, WEIGHT_FORMAT_OIHW);
                            INDArrayIndex[] slice = {NDArrayIndex.all(), NDArrayIndex.interval(k * og, (k + 1) * og),
                                    NDArrayIndex.all(), NDArrayIndex.all()};
                            y.get(slice).assign(yg);
                        } finally {
                            xg.close();
                            yg.close();
                        }
                    }
                }
                default -> throw new AssertionError(kind);
            }
            return y;
        } finally {
            NdArrays.closeQuietly(padded);
        }
    }

    /**
     * One-group or depthwise convolution in NHWC data format; returns the NCHW-shaped view of the [N, H, W, C]
     * output. Depthwise: libnd4j runs {@code depthwise_conv2d} on oneDNN's {@code jit_dw} kernel only for NHWC
     * data with [kH, kW, C_in, mult] weights; in NCHW with [mult, C_in, kH, kW] weights it took its generic
     * loop, 20-40× slower (18 ms against 0.5 ms for 116×28×28, 3×3, one thread).
     */
    private INDArray nhwc(String opName, int weightFormat, INDArray x, int[] out, Buffers alloc) {
        INDArray xb = NdArrays.toNhwc(x, alloc);
        INDArray scratch = NdArrays.sameStorage(xb, x) ? null : xb;
        Padding p = conv.pads();
        int ph = p.top();
        int pw = p.left();
        INDArray padded = null;
        if (!p.isSymmetric()) {
            padded = Nd4j.pad(xb, new int[][]{{0, 0}, {p.top(), p.bottom()}, {p.left(), p.right()}, {0, 0}},
                    Pad.Mode.CONSTANT, 0.0);
            ph = 0;
            pw = 0;
        }
        try {
            INDArray yb = alloc.allocate(out[0], out[2], out[3], out[1]);
            run(opName, padded != null ? padded : xb, weight, bias, yb, ph, pw, NHWC, weightFormat);
            return NdArrays.nchwView(yb);
        } finally {
            NdArrays.closeQuietly(padded);
            if (scratch != null) {
                alloc.recycle(scratch);
            }
        }
    }

    /**
     * The undilated equivalent of a dilated kernel: shape [O, I, d_h·(k_h − 1) + 1, d_w·(k_w − 1) + 1],
     * w'[o, i, u·d_h, v·d_w] = w[o, i, u, v] and zero elsewhere. Returns {@code w} itself when d_h = d_w = 1.
     */
    static Tensor dilate(Tensor w, int dh, int dw) {
        if (dh == 1 && dw == 1) {
            return w;
        }
        int o = w.dim(0), i = w.dim(1), kh = w.dim(2), kw = w.dim(3);
        int eh = dh * (kh - 1) + 1;
        int ew = dw * (kw - 1) + 1;
        float[] src = w.data();
        float[] dst = new float[o * i * eh * ew];
        for (int plane = 0; plane < o * i; plane++) {
            for (int u = 0; u < kh; u++) {
                for (int v = 0; v < kw; v++) {
                    dst[(plane * eh + u * dh) * ew + v * dw] = src[(plane * kh + u) * kw + v];
                }
            }
        }
        return Tensor.of(dst, o, i, eh, ew);
    }

    private void run(String opName, INDArray x, INDArray w, INDArray b, INDArray y, int ph, int pw, int dataFormat,
            int weightFormat) {
        DynamicCustomOp.DynamicCustomOpsBuilder op = DynamicCustomOp.builder(opName);
        if (b != null) {
            op.addInputs(x, w, b);
        } else {
            op.addInputs(x, w);
        }
        op.addOutputs(y).addIntegerArguments(
                kh, kw,
                conv.strides().h(), conv.strides().w(),
                ph, pw,
                1, 1,
                0, dataFormat, weightFormat);
        Nd4j.exec(op.build());
    }
}
