package dev.thinet4j.data;

/**
 * Separable bilinear resampling with a triangle filter, on float planes.
 *
 * <p>Output pixel {@code o} is centred at input coordinate {@code (o + 0.5) * in / out}. When
 * enlarging, the filter is the usual two-tap bilinear interpolation with half-pixel centres (edge
 * pixels are repeated). When shrinking by a factor {@code s > 1}, the triangle is widened by
 * {@code s} so every input pixel contributes (antialiasing, as image libraries do for "bilinear"
 * downscaling). Weights are normalised to sum to 1; a same-size resample is the identity.
 */
final class Resampler {
    private Resampler() {
    }

    /** Filter taps for a range of output positions along one axis. */
    record Taps(int[] first, int[] count, double[] weights, int stride) {
    }

    /**
     * Taps for output positions {@code from .. from + n - 1} of a resample from {@code in} to
     * {@code out} pixels.
     */
    static Taps taps(int in, int out, int from, int n) {
        double scale = (double) in / out;
        double widen = Math.max(scale, 1.0);
        double support = widen; // triangle of radius 1, widened when shrinking
        int stride = (int) Math.ceil(support) * 2 + 1;
        int[] first = new int[n];
        int[] count = new int[n];
        double[] weights = new double[n * stride];
        for (int j = 0; j < n; j++) {
            double center = (from + j + 0.5) * scale;
            int lo = Math.max(0, (int) Math.floor(center - support + 0.5));
            int hi = Math.min(in, (int) Math.floor(center + support + 0.5));
            double total = 0;
            int k = 0;
            for (int x = lo; x < hi && k < stride; x++, k++) {
                double t = Math.abs((x + 0.5 - center) / widen);
                double w = t < 1 ? 1 - t : 0;
                weights[j * stride + k] = w;
                total += w;
            }
            if (total <= 0) { // cannot happen for in >= 1, kept as a guard: nearest pixel
                lo = Math.min(in - 1, Math.max(0, (int) Math.floor(center)));
                k = 1;
                weights[j * stride] = 1;
                total = 1;
            }
            for (int q = 0; q < k; q++) {
                weights[j * stride + q] /= total;
            }
            first[j] = lo;
            count[j] = k;
        }
        return new Taps(first, count, weights, stride);
    }

    /**
     * Resizes {@code channels} planes of {@code inH × inW} to {@code outH × outW} and keeps the window
     * of {@code cropH × cropW} starting at ({@code top}, {@code left}) of the resized image, writing
     * it to {@code dst} at {@code dstOffset} (CHW) after dividing by {@code divisor}.
     */
    static void resizeCrop(float[] src, int channels, int inH, int inW, int outH, int outW, int top, int left,
                           int cropH, int cropW, float divisor, float[] dst, int dstOffset) {
        int inPlane = inH * inW;
        int outPlane = cropH * cropW;
        if (outH == inH && outW == inW) { // pure crop: copy
            for (int c = 0; c < channels; c++) {
                for (int y = 0; y < cropH; y++) {
                    int s = c * inPlane + (top + y) * inW + left;
                    int d = dstOffset + c * outPlane + y * cropW;
                    for (int x = 0; x < cropW; x++) {
                        dst[d + x] = src[s + x] / divisor;
                    }
                }
            }
            return;
        }
        Taps cols = taps(inW, outW, left, cropW);
        Taps rows = taps(inH, outH, top, cropH);
        int rowLo = rows.first()[0];
        int rowHi = rows.first()[cropH - 1] + rows.count()[cropH - 1];
        int used = rowHi - rowLo;
        double[] tmp = new double[used * cropW];
        for (int c = 0; c < channels; c++) {
            int plane = c * inPlane;
            for (int y = rowLo; y < rowHi; y++) {
                int rowBase = plane + y * inW;
                int t = (y - rowLo) * cropW;
                for (int x = 0; x < cropW; x++) {
                    int f = cols.first()[x];
                    int wBase = x * cols.stride();
                    double sum = 0;
                    for (int k = 0, n = cols.count()[x]; k < n; k++) {
                        sum += src[rowBase + f + k] * cols.weights()[wBase + k];
                    }
                    tmp[t + x] = sum;
                }
            }
            int d = dstOffset + c * outPlane;
            for (int y = 0; y < cropH; y++) {
                int f = rows.first()[y] - rowLo;
                int wBase = y * rows.stride();
                int n = rows.count()[y];
                for (int x = 0; x < cropW; x++) {
                    double sum = 0;
                    for (int k = 0; k < n; k++) {
                        sum += tmp[(f + k) * cropW + x] * rows.weights()[wBase + k];
                    }
                    dst[d + y * cropW + x] = (float) sum / divisor;
                }
            }
        }
    }
}
