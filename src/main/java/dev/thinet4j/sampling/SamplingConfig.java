package dev.thinet4j.sampling;

/**
 * How the sampler draws rows.
 *
 * @param pointsPerImage random spatial locations per image and consumer (ThiNet: 10); for a linear
 *                       consumer, random output neurons per image
 * @param seed           seed of every random draw; same seed, same rows
 * @param full           also accumulate, per consumer, the full normal equations over whole input patches
 *                       (all output channels at each location) for full-weight reconstruction
 * @param batchSize      images per forward pass
 */
public record SamplingConfig(int pointsPerImage, long seed, boolean full, int batchSize) {
    /**
     * Checks the counts.
     *
     * @param pointsPerImage see the record description
     * @param seed see the record description
     * @param full see the record description
     * @param batchSize see the record description
     * @throws IllegalArgumentException when a count is below 1
     */
    public SamplingConfig {
        if (pointsPerImage < 1) {
            throw new IllegalArgumentException("points per image must be at least 1, got " + pointsPerImage);
        }
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be at least 1, got " + batchSize);
        }
    }

    /**
     * ThiNet's defaults: 10 points per image, contributions only, batches of 32.
     *
     * @param seed the seed of the random draws
     * @return the configuration
     */
    public static SamplingConfig thinet(long seed) {
        return new SamplingConfig(10, seed, false, 32);
    }

    /**
     * @param f whether to accumulate the full normal equations too
     * @return this configuration with {@code full} replaced
     */
    public SamplingConfig withFull(boolean f) {
        return new SamplingConfig(pointsPerImage, seed, f, batchSize);
    }
}
