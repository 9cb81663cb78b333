package dev.thinet4j.training;

import dev.thinet4j.model.Node;
import dev.thinet4j.model.Op;
import dev.thinet4j.model.Padding;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.INDArrayIndex;
import org.nd4j.linalg.indexing.NDArrayIndex;

import java.util.List;

/**
 * Conv forward and backward on libnd4j's native ops, with the conventions of the inference engine's
 * conv kernel: {@code conv2d} / {@code conv2d_bp} (weight format 1 = [O, I, kH, kW]) for one group,
 * {@code depthwise_conv2d} / {@code depthwise_conv2d_bp} (weights [multiplier, C_in, kH, kW]) when
 * groups = C_in, one {@code conv2d} / {@code conv2d_bp} per group otherwise. Integer arguments:
 * kH, kW, sH, sW, pH, pW, dH, dW, sameMode 0, dataFormat 0 (NCHW), weightFormat 1.
 *
 * <p>The backward ops return ∂L/∂x, ∂L/∂w and ∂L/∂b of y = conv(x, w) + b in one call:
 * ∂L/∂x = conv_transpose(∂L/∂y, w), ∂L/∂w[o, c, i, j] = Σ_{n, h, w} ∂L/∂y[n, o, h, w]·x_pad[n, c, h·s + i, w·s + j],
 * ∂L/∂b[o] = Σ_{n, h, w} ∂L/∂y[n, o, h, w].
 *
 * <p>Asymmetric padding: the input is zero-padded beforehand and the op runs unpadded; ∂L/∂x is the
 * interior of the padded input's gradient. Dilation: oneDNN (float32) cannot create dilated
 * convolutions forward or backward in ND4J 1.0.0-M2.1, so, as in the engine, the kernel is expanded to the
 * equivalent undilated one with zeros between the taps, w'[o, c, u·d_h, v·d_w] = w[o, c, u, v], and the
 * weight gradient is the expanded kernel's gradient at the taps (exact: the loss depends on w only through
 * those entries of w').
 */
final class ConvOp extends TrainOp {
    private static final int WEIGHT_FORMAT_OIHW = 1;

    private enum Kind { DENSE, DEPTHWISE, GROUPED }

    private final Op.Conv conv;
    private final Kind kind;
    private final Parameter weight;
    private final Parameter bias;
    private final int dh;
    private final int dw;
    private final int kh;
    private final int kw;

    /** Saved by a training forward: the (padded) input, and whether it is ours. */
    private INDArray xIn;
    private boolean ownsX;
    private long[] xShape;
    /** Saved: the weights as the native op saw them (expanded, permuted); null when the parameter itself. */
    private INDArray wNative;

    ConvOp(Node node, Op.Conv conv, DataType type) {
        super(node, type);
        this.conv = conv;
        this.weight = new Parameter(node.name(), ParameterKind.WEIGHT, Nd.toNd(conv.weight(), type));
        this.bias = conv.bias() == null ? null : new Parameter(node.name(), ParameterKind.BIAS, Nd.toNd(conv.bias(), type));
        // a dilation along an axis of kernel size 1 changes nothing
        this.dh = conv.weight().dim(2) == 1 ? 1 : conv.dilations().h();
        this.dw = conv.weight().dim(3) == 1 ? 1 : conv.dilations().w();
        this.kh = dh * (conv.weight().dim(2) - 1) + 1;
        this.kw = dw * (conv.weight().dim(3) - 1) + 1;
        this.kind = conv.isDepthwise() ? Kind.DEPTHWISE : conv.groups() > 1 ? Kind.GROUPED : Kind.DENSE;
    }

    @Override
    List<Parameter> parameters() {
        return bias == null ? List.of(weight) : List.of(weight, bias);
    }

    @Override
    Op currentOp() {
        return conv.withWeights(Nd.toTensor(weight.value()), bias == null ? null : Nd.toTensor(bias.value()));
    }

    private boolean dilated() {
        return dh > 1 || dw > 1;
    }

    /** Strided view of the taps of an expanded [O, I, kh, kw] kernel. */
    private INDArray taps(INDArray expanded) {
        return expanded.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, dh, kh),
                NDArrayIndex.interval(0, dw, kw));
    }

    /** The weights in the layout of the native op (a new array), or null when that is the parameter itself. */
    private INDArray nativeWeights() {
        INDArray w = weight.value();
        INDArray expanded = null;
        if (dilated()) {
            long[] s = w.shape();
            expanded = Nd4j.zeros(type, s[0], s[1], kh, kw);
            taps(expanded).assign(w);
            w = expanded;
        }
        if (kind != Kind.DEPTHWISE) {
            return expanded;
        }
        int cin = conv.inChannels();
        int mult = conv.outChannels() / cin;
        // ONNX [C_in·mult, 1, kH, kW] → [C_in, mult, kH, kW] → [mult, C_in, kH, kW]
        INDArray p = w.reshape('c', cin, mult, kh, kw).permute(1, 0, 2, 3).dup('c');
        Nd.close(expanded);
        return p;
    }

    @Override
    INDArray forward(List<INDArray> in, PassOptions pass, boolean save) {
        INDArray x = in.get(0);
        int[] out = outShape(in);
        Padding p = conv.pads();
        int ph = p.top();
        int pw = p.left();
        INDArray xp = x;
        if (!p.isSymmetric()) {
            xp = Nd.padSpatial(x, p.top(), p.left(), p.bottom(), p.right(), 0.0);
            ph = 0;
            pw = 0;
        }
        INDArray wn = nativeWeights();
        INDArray w = wn == null ? weight.value() : wn;
        INDArray b = bias == null ? null : bias.value();
        INDArray y = create(out);
        switch (kind) {
            case DENSE -> run("conv2d", xp, w, b, y, ph, pw);
            case DEPTHWISE -> run("depthwise_conv2d", xp, w, b, y, ph, pw);
            case GROUPED -> {
                int g = conv.groups();
                long ig = conv.inChannels() / g;
                long og = conv.outChannels() / g;
                for (int k = 0; k < g; k++) {
                    INDArray xg = xp.get(Nd.slice(4, 1, k * ig, (k + 1) * ig)).dup('c');
                    INDArray wg = w.get(Nd.slice(4, 0, k * og, (k + 1) * og)).dup('c');
                    INDArray bg = b == null ? null : b.get(NDArrayIndex.interval(k * og, (k + 1) * og)).dup();
                    INDArray yg = Nd4j.createUninitialized(type, out[0], og, out[2], out[3]);
                    run("conv2d", xg, wg, bg, yg, ph, pw);
                    y.get(Nd.slice(4, 1, k * og, (k + 1) * og)).assign(yg);
                    Nd.close(xg, wg, bg, yg);
                }
            }
            default -> throw new AssertionError(kind);
        }
        if (save) {
            xIn = xp;
            ownsX = xp != x;
            xShape = x.shape();
            wNative = wn;
        } else {
            if (xp != x) {
                Nd.close(xp);
            }
            Nd.close(wn);
        }
        return y;
    }

    @Override
    INDArray[] backward(INDArray gradOut, boolean[] need) {
        INDArray xp = xIn;
        INDArray w = wNative == null ? weight.value() : wNative;
        Padding p = conv.pads();
        int ph = p.isSymmetric() ? p.top() : 0;
        int pw = p.isSymmetric() ? p.left() : 0;
        INDArray gxp = xp.ulike();
        // the native op's weight gradient goes straight into the parameter when the layouts agree
        INDArray gw = wNative == null ? weight.gradient() : wNative.ulike();
        INDArray gb = bias == null ? null : bias.gradient();
        INDArray bv = bias == null ? null : bias.value();
        INDArray dy = gradOut.ordering() == 'c' ? gradOut : gradOut.dup('c');
        switch (kind) {
            case DENSE -> runBp("conv2d_bp", xp, w, bv, dy, gxp, gw, gb, ph, pw);
            case DEPTHWISE -> runBp("depthwise_conv2d_bp", xp, w, bv, dy, gxp, gw, gb, ph, pw);
            case GROUPED -> {
                int g = conv.groups();
                long ig = conv.inChannels() / g;
                long og = conv.outChannels() / g;
                for (int k = 0; k < g; k++) {
                    INDArrayIndex[] inSlice = Nd.slice(4, 1, k * ig, (k + 1) * ig);
                    INDArrayIndex[] outSlice = Nd.slice(4, 1, k * og, (k + 1) * og);
                    INDArrayIndex[] wSlice = Nd.slice(4, 0, k * og, (k + 1) * og);
                    INDArray xg = xp.get(inSlice).dup('c');
                    INDArray wg = w.get(wSlice).dup('c');
                    INDArray dyg = dy.get(outSlice).dup('c');
                    INDArray gxg = xg.ulike();
                    INDArray gwg = wg.ulike();
                    INDArray bg = bv == null ? null : bv.get(NDArrayIndex.interval(k * og, (k + 1) * og)).dup();
                    INDArray gbg = gb == null ? null : Nd4j.createUninitialized(type, og);
                    runBp("conv2d_bp", xg, wg, bg, dyg, gxg, gwg, gbg, ph, pw);
                    gxp.get(inSlice).assign(gxg);
                    gw.get(wSlice).assign(gwg);
                    if (gbg != null) {
                        gb.get(NDArrayIndex.interval(k * og, (k + 1) * og)).assign(gbg);
                    }
                    Nd.close(xg, wg, bg, dyg, gxg, gwg, gbg);
                }
            }
            default -> throw new AssertionError(kind);
        }
        if (dy != gradOut) {
            Nd.close(dy);
        }
        if (wNative != null) {
            INDArray g = gw;
            INDArray unpermuted = null;
            if (kind == Kind.DEPTHWISE) {
                // [mult, C_in, kH, kW] → [C_in, mult, kH, kW] → [C_in·mult, 1, kH, kW]
                unpermuted = gw.permute(1, 0, 2, 3).dup('c').reshape('c', conv.outChannels(), 1, kh, kw);
                g = unpermuted;
            }
            weight.gradient().assign(dilated() ? taps(g) : g);
            Nd.close(gw, unpermuted);
        }
        INDArray gx = null;
        if (need[0]) {
            gx = ownsX ? Nd.cropSpatial(gxp, p.top(), p.left(), xShape[2], xShape[3]) : gxp;
        }
        if (gx != gxp) {
            Nd.close(gxp);
        }
        return new INDArray[]{gx};
    }

    @Override
    void clear() {
        if (ownsX) {
            Nd.close(xIn);
        }
        Nd.close(wNative);
        xIn = null;
        wNative = null;
        ownsX = false;
    }

    private void run(String opName, INDArray x, INDArray w, INDArray b, INDArray y, int ph, int pw) {
        INDArray[] ins = b == null ? new INDArray[]{x, w} : new INDArray[]{x, w, b};
        Nd.exec(opName, ins, new INDArray[]{y}, args(ph, pw));
    }

    private void runBp(String opName, INDArray x, INDArray w, INDArray b, INDArray dy, INDArray gx, INDArray gw,
                       INDArray gb, int ph, int pw) {
        INDArray[] ins = gb == null ? new INDArray[]{x, w, dy} : new INDArray[]{x, w, b, dy};
        INDArray[] outs = gb == null ? new INDArray[]{gx, gw} : new INDArray[]{gx, gw, gb};
        Nd.exec(opName, ins, outs, args(ph, pw));
    }

    private int[] args(int ph, int pw) {
        return new int[]{kh, kw, conv.strides().h(), conv.strides().w(), ph, pw, 1, 1, 0, 0, WEIGHT_FORMAT_OIHW};
    }
}
