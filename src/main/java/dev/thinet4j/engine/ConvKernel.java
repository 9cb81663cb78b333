package dev.thinet4j.engine;

import dev.thinet4j.model.Node;
import dev.thinet4j.model.Op;
import dev.thinet4j.model.Padding;
import dev.thinet4j.model.Tensor;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
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
 * (the ONNX layout, used as is) for one group; {@code depthwise_conv2d} with weight format 1 =
 * [multiplier, C_in, kH, kW] for depthwise convs (groups = C_in, any multiplier; libnd4j numbers output
 * channels c·multiplier + m like ONNX); one {@code conv2d} per group for other group counts, each writing
 * its slice of the output. Integer arguments of both ops, checked against a reference:
 * kH, kW, sH, sW, pH, pW, dH, dW, sameMode (0), dataFormat (0 = NCHW), weightFormat.
 * Asymmetric padding is applied beforehand with a zero {@code pad} and the op runs unpadded.
 *
 * <p>Dilation: the oneDNN build of ND4J 1.0.0-M2.1 cannot create any dilated convolution ("could not create
 * a descriptor for a dilated convolution forward propagation primitive"), so a dilated kernel is expanded
 * once, at construction, into the equivalent undilated kernel of size d·(k − 1) + 1 with zeros between the
 * taps, w'[o, c, u·d_h, v·d_w] = w[o, c, u, v]. Exact, at the cost of more multiply-adds for dilated convs.
 */
final class ConvKernel extends AbstractKernel {
    private static final int WEIGHT_FORMAT_OIHW = 1;

    private enum Kind { DENSE, DEPTHWISE, GROUPED }

    private final Op.Conv conv;
    private final Kind kind;
    /** Kernel size the native op sees (the dilated extent when dilation > 1). */
    private final int kh;
    private final int kw;
    /** DENSE: [O, I, kH, kW]; DEPTHWISE: [mult, C_in, kH, kW]; GROUPED: null. */
    private final INDArray weight;
    private final INDArray bias;
    private final INDArray[] groupWeights;
    private final INDArray[] groupBiases;

    ConvKernel(Node node, Op.Conv conv) {
        super(node);
        this.conv = conv;
        int cout = conv.outChannels();
        Tensor taps = dilate(conv.weight(), conv.dilations().h(), conv.dilations().w());
        this.kh = taps.dim(2);
        this.kw = taps.dim(3);
        if (conv.isDepthwise()) {
            kind = Kind.DEPTHWISE;
            int cin = conv.inChannels();
            int mult = cout / cin;
            try (INDArray w = NdArrays.toNd(taps)) {
                // ONNX [C_in·mult, 1, kH, kW] → [C_in, mult, kH, kW] → [mult, C_in, kH, kW]
                weight = own(w.reshape('c', cin, mult, kh, kw).permute(1, 0, 2, 3).dup('c'));
            }
            bias = conv.bias() == null ? null : own(NdArrays.toNd(conv.bias()));
            groupWeights = null;
            groupBiases = null;
        } else if (conv.groups() > 1) {
            kind = Kind.GROUPED;
            int g = conv.groups();
            int og = cout / g;
            groupWeights = new INDArray[g];
            groupBiases = new INDArray[g];
            try (INDArray w = NdArrays.toNd(taps)) {
                INDArray b = conv.bias() == null ? null : NdArrays.toNd(conv.bias());
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
            bias = conv.bias() == null ? null : own(NdArrays.toNd(conv.bias()));
            groupWeights = null;
            groupBiases = null;
        }
    }

    @Override
    protected INDArray compute(List<INDArray> in, List<int[]> shapes, int[] out, boolean inPlace) {
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
            INDArray y = NdArrays.uninitialized(out);
            switch (kind) {
                case DENSE -> run("conv2d", x, weight, bias, y, ph, pw);
                case DEPTHWISE -> run("depthwise_conv2d", x, weight, bias, y, ph, pw);
                case GROUPED -> {
                    int g = conv.groups();
                    int ig = conv.inChannels() / g;
                    int og = conv.outChannels() / g;
                    for (int k = 0; k < g; k++) {
                        INDArray xg = x.get(NDArrayIndex.all(), NDArrayIndex.interval(k * ig, (k + 1) * ig),
                                NDArrayIndex.all(), NDArrayIndex.all()).dup('c');
                        INDArray yg = NdArrays.uninitialized(out[0], og, out[2], out[3]);
                        try {
                            run("conv2d", xg, groupWeights[k], groupBiases[k], yg, ph, pw);
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

    private void run(String opName, INDArray x, INDArray w, INDArray b, INDArray y, int ph, int pw) {
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
                0, 0, WEIGHT_FORMAT_OIHW);
        Nd4j.exec(op.build());
    }
}
