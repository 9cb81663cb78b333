package dev.thinet4j.engine;

import java.util.List;

/**
 * Plain double-precision reference implementations of the ops, written as direct loops over NCHW
 * arrays from the ONNX / PyTorch definitions. Independent of ND4J and of the engine's code.
 */
final class ReferenceOps {
    private ReferenceOps() {
    }

    /**
     * Number of sliding-window positions along one axis. Floor mode: ⌊(n + pb + pe − eff)/s⌋ + 1 with
     * eff = d·(k − 1) + 1. Ceil mode: ⌈(n + pb + pe − eff)/s⌉ + 1, minus one when that last window would
     * start at or after n + pb (entirely in the end padding).
     */
    static int windows(int n, int k, int s, int pb, int pe, int d, boolean ceil) {
        int eff = d * (k - 1) + 1;
        int span = n + pb + pe - eff;
        if (span < 0) {
            return 0;
        }
        int out;
        if (ceil) {
            out = (span + s - 1) / s + 1;
            if ((out - 1) * s >= n + pb) {
                out--;
            }
        } else {
            out = span / s + 1;
        }
        return out;
    }

    /**
     * Grouped 2-D convolution. w: [Cout, Cin/groups, kh, kw]; b may be null; pads top, left, bottom, right.
     * y[n,o,i,j] = b[o] + Σ_{c,u,v} w[o,c,u,v]·x[n, g·Cin/groups + c, i·sh − pt + u·dh, j·sw − pl + v·dw],
     * out-of-range positions read zero.
     */
    static DArray conv(DArray x, DArray w, double[] b, int sh, int sw, int pt, int pl, int pb, int pr,
                       int dh, int dw, int groups) {
        int n = x.dim(0), cin = x.dim(1), h = x.dim(2), wd = x.dim(3);
        int cout = w.dim(0), cig = w.dim(1), kh = w.dim(2), kw = w.dim(3);
        if (cig * groups != cin) {
            throw new IllegalArgumentException("channels");
        }
        int cog = cout / groups;
        int ho = windows(h, kh, sh, pt, pb, dh, false);
        int wo = windows(wd, kw, sw, pl, pr, dw, false);
        DArray y = DArray.zeros(n, cout, ho, wo);
        for (int s = 0; s < n; s++) {
            for (int o = 0; o < cout; o++) {
                int g = o / cog;
                for (int i = 0; i < ho; i++) {
                    for (int j = 0; j < wo; j++) {
                        double acc = b == null ? 0 : b[o];
                        for (int c = 0; c < cig; c++) {
                            int ci = g * cig + c;
                            for (int u = 0; u < kh; u++) {
                                int yy = i * sh - pt + u * dh;
                                if (yy < 0 || yy >= h) {
                                    continue;
                                }
                                for (int v = 0; v < kw; v++) {
                                    int xx = j * sw - pl + v * dw;
                                    if (xx < 0 || xx >= wd) {
                                        continue;
                                    }
                                    acc += w.data()[((o * cig + c) * kh + u) * kw + v] * x.get4(s, ci, yy, xx);
                                }
                            }
                        }
                        y.data()[y.at4(s, o, i, j)] = acc;
                    }
                }
            }
        }
        return y;
    }

    /** y = (x − mean[c]) / √(var[c] + eps) · scale[c] + bias[c], channel = axis 1, any rank ≥ 2. */
    static DArray batchNorm(DArray x, double[] scale, double[] bias, double[] mean, double[] var, double eps) {
        int c = x.dim(1);
        int inner = x.size() / (x.dim(0) * c);
        DArray y = DArray.zeros(x.shape());
        for (int i = 0; i < x.size(); i++) {
            int ch = (i / inner) % c;
            y.data()[i] = (x.data()[i] - mean[ch]) / Math.sqrt(var[ch] + eps) * scale[ch] + bias[ch];
        }
        return y;
    }

    /** y[n,o] = b[o] + Σ_i x[n,i]·W[o,i]. */
    static DArray linear(DArray x, DArray w, double[] b) {
        int n = x.dim(0), in = x.dim(1), out = w.dim(0);
        DArray y = DArray.zeros(n, out);
        for (int s = 0; s < n; s++) {
            for (int o = 0; o < out; o++) {
                double acc = b == null ? 0 : b[o];
                for (int i = 0; i < in; i++) {
                    acc += x.data()[s * in + i] * w.data()[o * in + i];
                }
                y.data()[s * out + o] = acc;
            }
        }
        return y;
    }

    /** Max over the window positions that fall inside the input (padding never wins); −∞ if none. */
    static DArray maxPool(DArray x, int kh, int kw, int sh, int sw, int pt, int pl, int pb, int pr,
                          int dh, int dw, boolean ceil) {
        int n = x.dim(0), c = x.dim(1), h = x.dim(2), wd = x.dim(3);
        int ho = windows(h, kh, sh, pt, pb, dh, ceil);
        int wo = windows(wd, kw, sw, pl, pr, dw, ceil);
        DArray y = DArray.zeros(n, c, ho, wo);
        for (int s = 0; s < n; s++) {
            for (int ch = 0; ch < c; ch++) {
                for (int i = 0; i < ho; i++) {
                    for (int j = 0; j < wo; j++) {
                        double m = Double.NEGATIVE_INFINITY;
                        for (int u = 0; u < kh; u++) {
                            int yy = i * sh - pt + u * dh;
                            for (int v = 0; v < kw; v++) {
                                int xx = j * sw - pl + v * dw;
                                if (yy >= 0 && yy < h && xx >= 0 && xx < wd) {
                                    m = Math.max(m, x.get4(s, ch, yy, xx));
                                }
                            }
                        }
                        y.data()[y.at4(s, ch, i, j)] = m;
                    }
                }
            }
        }
        return y;
    }

    /**
     * Average pooling (PyTorch semantics). Each window position is either inside the input, inside the
     * declared padding, or beyond it (the ceil-mode overhang). The sum runs over inside positions; the
     * divisor counts inside + declared-padding positions with count_include_pad, inside positions otherwise.
     */
    static DArray avgPool(DArray x, int kh, int kw, int sh, int sw, int pt, int pl, int pb, int pr,
                          boolean countIncludePad, boolean ceil) {
        int n = x.dim(0), c = x.dim(1), h = x.dim(2), wd = x.dim(3);
        int ho = windows(h, kh, sh, pt, pb, 1, ceil);
        int wo = windows(wd, kw, sw, pl, pr, 1, ceil);
        DArray y = DArray.zeros(n, c, ho, wo);
        for (int s = 0; s < n; s++) {
            for (int ch = 0; ch < c; ch++) {
                for (int i = 0; i < ho; i++) {
                    for (int j = 0; j < wo; j++) {
                        double sum = 0;
                        int inside = 0;
                        int declared = 0;
                        for (int u = 0; u < kh; u++) {
                            int yy = i * sh - pt + u;
                            for (int v = 0; v < kw; v++) {
                                int xx = j * sw - pl + v;
                                boolean in = yy >= 0 && yy < h && xx >= 0 && xx < wd;
                                boolean inDeclared = yy >= -pt && yy < h + pb && xx >= -pl && xx < wd + pr;
                                if (in) {
                                    sum += x.get4(s, ch, yy, xx);
                                    inside++;
                                }
                                if (inDeclared) {
                                    declared++;
                                }
                            }
                        }
                        y.data()[y.at4(s, ch, i, j)] = sum / (countIncludePad ? declared : inside);
                    }
                }
            }
        }
        return y;
    }

    /** Mean over H and W: [N, C, H, W] → [N, C, 1, 1]. */
    static DArray globalAvgPool(DArray x) {
        int n = x.dim(0), c = x.dim(1), hw = x.dim(2) * x.dim(3);
        DArray y = DArray.zeros(n, c, 1, 1);
        for (int i = 0; i < n * c; i++) {
            double s = 0;
            for (int k = 0; k < hw; k++) {
                s += x.data()[i * hw + k];
            }
            y.data()[i] = s / hw;
        }
        return y;
    }

    static DArray relu(DArray x) {
        return map(x, v -> Math.max(v, 0));
    }

    static DArray leakyRelu(DArray x, double alpha) {
        return map(x, v -> v >= 0 ? v : alpha * v);
    }

    static DArray clip(DArray x, double lo, double hi) {
        return map(x, v -> Math.min(Math.max(v, lo), hi));
    }

    static DArray sigmoid(DArray x) {
        return map(x, v -> 1 / (1 + Math.exp(-v)));
    }

    private static DArray map(DArray x, java.util.function.DoubleUnaryOperator f) {
        DArray y = DArray.zeros(x.shape());
        for (int i = 0; i < x.size(); i++) {
            y.data()[i] = f.applyAsDouble(x.data()[i]);
        }
        return y;
    }

    /** Softmax along {@code axis} (negative counts from the end): e^x / Σ_axis e^x, computed stably. */
    static DArray softmax(DArray x, int axis) {
        int ax = axis < 0 ? axis + x.rank() : axis;
        int len = x.dim(ax);
        int inner = 1;
        for (int i = ax + 1; i < x.rank(); i++) {
            inner *= x.dim(i);
        }
        int outer = x.size() / (len * inner);
        DArray y = DArray.zeros(x.shape());
        for (int o = 0; o < outer; o++) {
            for (int in = 0; in < inner; in++) {
                double max = Double.NEGATIVE_INFINITY;
                for (int k = 0; k < len; k++) {
                    max = Math.max(max, x.data()[(o * len + k) * inner + in]);
                }
                double sum = 0;
                for (int k = 0; k < len; k++) {
                    sum += Math.exp(x.data()[(o * len + k) * inner + in] - max);
                }
                for (int k = 0; k < len; k++) {
                    int idx = (o * len + k) * inner + in;
                    y.data()[idx] = Math.exp(x.data()[idx] - max) / sum;
                }
            }
        }
        return y;
    }

    /** Element-wise sum of equally shaped tensors. */
    static DArray add(List<DArray> xs) {
        DArray y = DArray.zeros(xs.get(0).shape());
        for (DArray x : xs) {
            for (int i = 0; i < y.size(); i++) {
                y.data()[i] += x.data()[i];
            }
        }
        return y;
    }

    /** Concatenation along {@code axis} (negative counts from the end). */
    static DArray concat(List<DArray> xs, int axis) {
        int[] shape = xs.get(0).shape().clone();
        int ax = axis < 0 ? axis + shape.length : axis;
        shape[ax] = 0;
        for (DArray x : xs) {
            shape[ax] += x.dim(ax);
        }
        int outer = 1;
        for (int i = 0; i < ax; i++) {
            outer *= shape[i];
        }
        int inner = 1;
        for (int i = ax + 1; i < shape.length; i++) {
            inner *= shape[i];
        }
        DArray y = DArray.zeros(shape);
        int offset = 0;
        for (DArray x : xs) {
            int len = x.dim(ax);
            for (int o = 0; o < outer; o++) {
                for (int k = 0; k < len; k++) {
                    for (int in = 0; in < inner; in++) {
                        y.data()[(o * shape[ax] + offset + k) * inner + in] = x.data()[(o * len + k) * inner + in];
                    }
                }
            }
            offset += len;
        }
        return y;
    }

    /** [d0, d1, …] → [d0, d1·d2·…], same row-major values. */
    static DArray flatten(DArray x) {
        return new DArray(new int[]{x.dim(0), x.size() / x.dim(0)}, x.data().clone());
    }
}
