package dev.thinet4j.engine;

import dev.thinet4j.model.Node;
import dev.thinet4j.model.Op;
import dev.thinet4j.model.Padding;
import dev.thinet4j.model.Tensor;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.openblas.global.openblas_nolapack;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.api.ops.impl.transforms.Pad;
import org.nd4j.linalg.convolution.Convolution;
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
 * oneDNN's depthwise kernel). Other group counts (1 &lt; groups &lt; C_in; libnd4j's {@code conv2d} has no
 * groups argument) take one of two paths, chosen per call by the size of one group's im2col,
 * N·(C_in/groups)·kH·kW·Ho·Wo elements, against {@link #GEMM_MAX_COLUMNS_PER_GROUP}: small (the late stages
 * of RegNet/ResNeXt, batch 1) run im2col once per image and one OpenBLAS {@code sgemm} per group on
 * pointer offsets into the im2col matrix, the weight matrix and an NHWC output, y_n[hw, k·og + o] =
 * Σ_r cols_n[k·K + r, hw] · W[k·og + o, r], K = (C_in/groups)·kH·kW, with no slice copied (see
 * {@code groupedGemm}; dilation and symmetric padding done by {@code im2col}); large run one NCHW
 * {@code conv2d} per group, each on a copy of its input slice and writing its slice of the output, where
 * oneDNN's direct convolution beats libnd4j's im2col (≈ 2 ns per element) despite a fixed ≈ 0.1 ms per call.
 * Integer arguments of both ops, checked against a reference:
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

    /**
     * Grouped convs take the im2col + sgemm path when one group's im2col, N·C_in/groups·kH·kW·Ho·Wo floats, is
     * at most this; above it, one {@code conv2d} per group. Measured on one thread (2 vCPU EPYC, AVX-512):
     * libnd4j's {@code im2col} costs ≈ 2–2.5 ns per element written, a per-group {@code conv2d} ≈ 0.1–0.15 ms
     * fixed, so the two meet near 48k elements per group (e.g. 440 channels of 7×7 in 55 groups: 0.7 ms against
     * 6.8 ms; 128 channels of 56×56 in 32 groups at batch 8: 17 ms per-group against 80–100 ms).
     */
    static final long GEMM_MAX_COLUMNS_PER_GROUP = 48_000;

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
    /** GROUPED: the undilated weights as the dense [C_out, C_in/groups·kH·kW] matrix (ONNX order); else null. */
    private final INDArray gemmWeight;
    /** GROUPED: the bias as a [1, C_out] row (null: none); else null. */
    private final INDArray gemmBias;
    /** GROUPED: the undilated kernel size, for {@code im2col} (which dilates itself). */
    private final int kh0;
    private final int kw0;
    /** Tests: null chooses the grouped path by size; true/false forces im2col + sgemm or per-group conv2d. */
    private volatile Boolean forcedGemm;

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
        this.kh0 = w0.dim(2);
        this.kw0 = w0.dim(3);
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
            gemmWeight = null;
            gemmBias = null;
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
            gemmWeight = own(NdArrays.fromFloats(w0.data(), cout, w0.size() / cout));
            gemmBias = b0 == null ? null : own(NdArrays.fromFloats(b0.data(), 1, cout));
            weight = null;
            bias = null;
        } else {
            kind = Kind.DENSE;
            weight = own(NdArrays.toNd(taps));
            bias = b0 == null ? null : own(NdArrays.toNd(b0));
            groupWeights = null;
            groupBiases = null;
            gemmWeight = null;
            gemmBias = null;
        }
    }

    /** For tests: force the grouped path (true: im2col + sgemm, false: per-group conv2d, null: by size). */
    ConvKernel forceGroupedPath(Boolean gemm) {
        this.forcedGemm = gemm;
        return this;
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
            int ig = conv.inChannels() / conv.groups();
            long colsPerGroup = (long) out[0] * ig * kh0 * kw0 * out[2] * out[3];
            Boolean forced = forcedGemm;
            if (forced != null ? forced : colsPerGroup <= GEMM_MAX_COLUMNS_PER_GROUP) {
                return groupedGemm(x, ph, pw, out, alloc);
            }
            return groupedConv2d(x, ph, pw, out, alloc);
        } finally {
            NdArrays.closeQuietly(padded);
        }
    }

    /**
     * Grouped convolution as one {@code conv2d} per group (NCHW, dilated taps): copies the group's input
     * slice, runs the op into a scratch array and assigns it to the group's output slice. Each call costs a
     * fixed ≈ 0.1 ms (oneDNN primitive creation and weight/activation reorders), so this path is used only
     * when the im2col of {@link #groupedGemm} would cost more (large images or batches).
     */
    private INDArray groupedConv2d(INDArray x, int ph, int pw, int[] out, Buffers alloc) {
        INDArray y = alloc.allocate(out);
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
        return y;
    }

    /**
     * Grouped convolution as im2col and one matrix product per image and group, written straight into an
     * NHWC output (returned as its NCHW-shaped view). For image n, libnd4j {@code im2col} (zero padding
     * (ph, pw), strides and dilations native, undilated kernel) fills cols[c, i, j, h, w] =
     * x_pad[n, c, h·s_h + i·d_h, w·s_w + j·d_w], dense [C_in·kH·kW, Ho·Wo]; the rows of group k are the
     * contiguous block [k·K, (k+1)·K), K = C_in/groups·kH·kW, in the order of the ONNX weight's [C_in/groups,
     * kH, kW]. OpenBLAS {@code sgemm} then computes y_n[:, k·og : (k+1)·og] = cols_kᵀ · W_kᵀ, a [Ho·Wo, og]
     * block of the [Ho·Wo, C_out] NHWC image with leading dimension C_out, W_k being rows [k·og, (k+1)·og) of
     * the [C_out, K] weight matrix: no slice is copied. The bias is added afterwards as a row vector of
     * [N·Ho·Wo, C_out]. Scratch memory: one image's cols, C_in·kH·kW·Ho·Wo floats.
     */
    private INDArray groupedGemm(INDArray x, int ph, int pw, int[] out, Buffers alloc) {
        int n = out[0];
        int cout = out[1];
        int hw = out[2] * out[3];
        int cin = conv.inChannels();
        int g = conv.groups();
        int og = cout / g;
        int k = cin / g * kh0 * kw0;
        INDArray yb = alloc.allocate(n, out[2], out[3], cout);
        INDArray cols = alloc.allocate(1, cin, kh0, kw0, out[2], out[3]);
        try {
            checkDense(yb);
            checkDense(cols);
            checkDense(gemmWeight);
            FloatPointer pw8 = new FloatPointer(gemmWeight.data().addressPointer());
            FloatPointer pc = new FloatPointer(cols.data().addressPointer());
            FloatPointer py = new FloatPointer(yb.data().addressPointer());
            for (int i = 0; i < n; i++) {
                INDArray xi = n == 1 ? x : x.get(NDArrayIndex.interval(i, i + 1), NDArrayIndex.all(),
                        NDArrayIndex.all(), NDArrayIndex.all());
                Convolution.im2col(xi, kh0, kw0, conv.strides().h(), conv.strides().w(), ph, pw,
                        conv.dilations().h(), conv.dilations().w(), false, cols);
                long yOff = (long) i * hw * cout;
                for (int q = 0; q < g; q++) {
                    openblas_nolapack.cblas_sgemm(openblas_nolapack.CblasRowMajor, openblas_nolapack.CblasTrans,
                            openblas_nolapack.CblasTrans, hw, og, k, 1f, pc.getPointer((long) q * k * hw), hw,
                            pw8.getPointer((long) q * og * k), k, 0f, py.getPointer(yOff + (long) q * og), cout);
                }
            }
        } catch (RuntimeException e) {
            alloc.recycle(yb);
            throw e;
        } finally {
            alloc.recycle(cols);
        }
        if (gemmBias != null) {
            yb.reshape('c', (long) n * hw, cout).addiRowVector(gemmBias);
        }
        return NdArrays.nchwView(yb);
    }

    /** The raw-pointer path needs arrays that start at their buffer and are dense c-order. */
    private static void checkDense(INDArray a) {
        if (a.offset() != 0 || !NdArrays.isDenseC(a)) {
            throw new IllegalStateException("expected a dense c-order array at offset 0, got shape "
                    + NdArrays.fmt(a) + ", strides " + java.util.Arrays.toString(a.stride()) + ", offset " + a.offset());
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
