package dev.thinet4j.zoo;

import dev.thinet4j.model.Hw;
import dev.thinet4j.model.Op;
import dev.thinet4j.model.Padding;
import dev.thinet4j.model.Tensor;

import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

/**
 * Creates weighted layers initialised as {@link ZooOptions} describes. Each layer draws from a
 * stream seeded by (seed, node name), never from a shared generator, so the weights of a layer do
 * not depend on which layers were created before it.
 */
final class LayerFactory {
    private static final float BN_BETA_MEAN_RANGE = 0.1f;

    private final ZooOptions options;

    LayerFactory(ZooOptions options) {
        this.options = options;
    }

    /** Square k×k convolution with symmetric padding, one group, dilation 1. */
    Op.Conv conv(String nodeName, int inChannels, int outChannels, int kernel, int stride, int pad, boolean withBias) {
        SplittableRandom rng = stream(options.seed(), nodeName);
        int receptive = kernel * kernel;
        float[] w = new float[Math.multiplyExact(Math.multiplyExact(outChannels, inChannels), receptive)];
        double std = Math.sqrt(2.0 / ((double) outChannels * receptive));
        fillNormal(w, std, rng);
        Tensor bias = null;
        if (withBias) {
            float[] b = new float[outChannels];
            if (options.biasInit() == BiasInit.UNIFORM) {
                fillUniform(b, 1.0 / Math.sqrt((double) inChannels * receptive), rng);
            }
            bias = Tensor.of(b, outChannels);
        }
        return new Op.Conv(Tensor.of(w, outChannels, inChannels, kernel, kernel), bias,
                Hw.of(stride), Padding.of(pad), Hw.of(1), 1);
    }

    /** Batch normalisation over {@code channels} channels. */
    Op.BatchNorm batchNorm(String nodeName, int channels) {
        float[] scale = new float[channels];
        float[] shift = new float[channels];
        float[] mean = new float[channels];
        float[] var = new float[channels];
        if (options.bnInit() == BnInit.RANDOM) {
            SplittableRandom rng = stream(options.seed(), nodeName);
            fillUniform(scale, 1.0, 0.5, rng);
            fillUniform(shift, 0.0, BN_BETA_MEAN_RANGE, rng);
            fillUniform(mean, 0.0, BN_BETA_MEAN_RANGE, rng);
            fillUniform(var, 1.0, 0.5, rng);
        } else {
            java.util.Arrays.fill(scale, 1f);
            java.util.Arrays.fill(var, 1f);
        }
        return new Op.BatchNorm(Tensor.of(scale, channels), Tensor.of(shift, channels),
                Tensor.of(mean, channels), Tensor.of(var, channels), options.bnEpsilon());
    }

    /** Fully connected layer with bias; weight and bias U[−1/√in, 1/√in]. */
    Op.Linear linear(String nodeName, int in, int out) {
        SplittableRandom rng = stream(options.seed(), nodeName);
        double bound = 1.0 / Math.sqrt(in);
        float[] w = new float[Math.multiplyExact(in, out)];
        fillUniform(w, bound, rng);
        float[] b = new float[out];
        fillUniform(b, bound, rng);
        return new Op.Linear(Tensor.of(w, out, in), Tensor.of(b, out));
    }

    // ---------------------------------------------------------------- random streams

    /** The stream of one layer: a mixed combination of the seed and a 64-bit hash of the name. */
    static SplittableRandom stream(long seed, String nodeName) {
        long h = 0xcbf29ce484222325L; // FNV-1a offset basis
        for (byte c : nodeName.getBytes(StandardCharsets.UTF_8)) {
            h ^= c & 0xff;
            h *= 0x100000001b3L;
        }
        // mixing both inputs non-linearly keeps streams of nearby seeds from being shifted copies
        return new SplittableRandom(mix(mix(seed) ^ h));
    }

    /** A 64-bit finaliser (xor-shift-multiply) with good avalanche. */
    private static long mix(long z) {
        z = (z ^ (z >>> 33)) * 0xff51afd7ed558ccdL;
        z = (z ^ (z >>> 33)) * 0xc4ceb9fe1a85ec53L;
        return z ^ (z >>> 33);
    }

    /** U[−bound, bound]. */
    private static void fillUniform(float[] out, double bound, SplittableRandom rng) {
        fillUniform(out, 0.0, bound, rng);
    }

    /** U[center − half, center + half]. */
    private static void fillUniform(float[] out, double center, double half, SplittableRandom rng) {
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) (center + half * (2.0 * rng.nextDouble() - 1.0));
        }
    }

    /**
     * N(0, std²) by the Marsaglia polar method, with {@link StrictMath#log} so the values are the
     * same on every platform.
     */
    private static void fillNormal(float[] out, double std, SplittableRandom rng) {
        int i = 0;
        while (i < out.length) {
            double u;
            double v;
            double s;
            do {
                u = 2.0 * rng.nextDouble() - 1.0;
                v = 2.0 * rng.nextDouble() - 1.0;
                s = u * u + v * v;
            } while (s >= 1.0 || s == 0.0);
            double f = Math.sqrt(-2.0 * StrictMath.log(s) / s) * std;
            out[i++] = (float) (u * f);
            if (i < out.length) {
                out[i++] = (float) (v * f);
            }
        }
    }
}
