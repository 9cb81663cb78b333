package dev.thinet4j.bench;

import java.util.SplittableRandom;

/**
 * A seeded synthetic stand-in for ThiNet's sampled contributions: m rows x̂ ∈ ℝᶜ, one per sampled
 * output entry of the next layer, x̂<sub>c</sub> being channel c's share of that entry.
 *
 * <p>Entry (s, c) is a<sub>c</sub>·z<sub>s,c</sub> + b<sub>c</sub>·u<sub>s</sub> with z, u standard normal, per-channel
 * scales a<sub>c</sub> log-uniform in [0.2, 2] and loadings b<sub>c</sub> uniform in [−0.5, 0.5] on one shared factor
 * u, so channels are correlated and the greedy order is not simply the order of the diagonal of XᵀX.
 * The values are float32, as the engine's activations are; every representation below holds the same
 * values.
 */
final class ContributionSample {
    /** Column-major copy: {@code columns[c][s]}, what the naive greedy variants stream through. */
    final float[][] columns;
    private final int samples;

    private ContributionSample(float[][] columns, int samples) {
        this.columns = columns;
        this.samples = samples;
    }

    /**
     * Draws m × C contributions.
     *
     * @param samples  m ≥ 1
     * @param channels C ≥ 1
     * @param seed     the random seed; equal arguments give identical values on every JVM
     */
    static ContributionSample generate(int samples, int channels, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        double[] scale = new double[channels];
        double[] loading = new double[channels];
        for (int c = 0; c < channels; c++) {
            scale[c] = 0.2 * Math.pow(10, rnd.nextDouble());
            loading[c] = rnd.nextDouble(-0.5, 0.5);
        }
        float[][] cols = new float[channels][samples];
        for (int s = 0; s < samples; s++) {
            double u = rnd.nextGaussian();
            for (int c = 0; c < channels; c++) {
                cols[c][s] = (float) (scale[c] * rnd.nextGaussian() + loading[c] * u);
            }
        }
        return new ContributionSample(cols, samples);
    }

    int samples() {
        return samples;
    }

    int channels() {
        return columns.length;
    }

    /** Row-major float32 values, [m·C], for an ND4J array of shape [m, C]. */
    float[] rowMajor() {
        int c = channels();
        float[] out = new float[Math.multiplyExact(samples, c)];
        for (int j = 0; j < c; j++) {
            float[] col = columns[j];
            for (int s = 0; s < samples; s++) {
                out[s * c + j] = col[s];
            }
        }
        return out;
    }

    /** Row-major double rows, [m][C], for the plain-loop {@code NormalEquations.accumulate(double[][], double[][])}. */
    double[][] rows() {
        int c = channels();
        double[][] out = new double[samples][c];
        for (int j = 0; j < c; j++) {
            float[] col = columns[j];
            for (int s = 0; s < samples; s++) {
                out[s][j] = col[s];
            }
        }
        return out;
    }

    /** The ThiNet target ŷ = Σ<sub>c</sub> x̂<sub>c</sub> per sample, summed in double. */
    double[] rowSums() {
        double[] y = new double[samples];
        for (float[] col : columns) {
            for (int s = 0; s < samples; s++) {
                y[s] += col[s];
            }
        }
        return y;
    }
}
