package dev.thinet4j.data;

import java.util.Arrays;

/**
 * Per-channel normalisation {@code (x - mean[c]) / std[c]}, applied after pixel values have been
 * scaled into {@code [0, 1]} (image files, IDX, NPY {@code uint8}) or taken as they are (NPY float).
 *
 * <p>{@code mean} and {@code std} each hold either one value (used for every channel) or one value
 * per channel; {@link #NONE} holds none and leaves the data unchanged. The arrays are copied on the
 * way in and out, so a {@code Normalization} is immutable.
 *
 * @param mean per-channel means (empty only for {@link #NONE})
 * @param std  per-channel standard deviations, all finite and positive
 */
public record Normalization(float[] mean, float[] std) {

    /** No normalisation. */
    public static final Normalization NONE = new Normalization(new float[0], new float[0]);

    /**
     * The usual ImageNet statistics for RGB input in {@code [0, 1]}: mean (0.485, 0.456, 0.406), std
     * (0.229, 0.224, 0.225).
     */
    public static final Normalization IMAGENET = new Normalization(
            new float[]{0.485f, 0.456f, 0.406f}, new float[]{0.229f, 0.224f, 0.225f});

    /**
     * Validates and copies the arrays.
     *
     * @param mean see the record description
     * @param std see the record description
     * @throws IllegalArgumentException when a value is not finite, a std is not positive, or the lengths do not fit
     */
    public Normalization {
        if (mean == null || std == null) {
            throw new IllegalArgumentException("normalization mean and std must not be null");
        }
        if ((mean.length == 0) != (std.length == 0)) {
            throw new IllegalArgumentException("normalization needs both mean and std, got " + mean.length
                    + " mean value(s) and " + std.length + " std value(s)");
        }
        if (mean.length != std.length && mean.length != 1 && std.length != 1) {
            throw new IllegalArgumentException("normalization mean has " + mean.length + " values and std has "
                    + std.length + "; give the same number, or 1 for either");
        }
        for (int i = 0; i < mean.length; i++) {
            if (!Float.isFinite(mean[i])) {
                throw new IllegalArgumentException("normalization mean[" + i + "] is " + mean[i]
                        + ", expected a finite number");
            }
        }
        for (int i = 0; i < std.length; i++) {
            if (!(std[i] > 0) || !Float.isFinite(std[i])) {
                throw new IllegalArgumentException("normalization std[" + i + "] is " + std[i]
                        + ", expected a finite number > 0");
            }
        }
        mean = mean.clone();
        std = std.clone();
    }

    /**
     * The same mean and std for every channel.
     *
     * @param mean subtracted from every value
     * @param std  every value is divided by it, &gt; 0
     * @return the normalisation
     */
    public static Normalization of(float mean, float std) {
        return new Normalization(new float[]{mean}, new float[]{std});
    }

    /**
     * Parses comma-separated lists such as {@code "0.485,0.456,0.406"} and {@code "0.229,0.224,0.225"}
     * (spaces around values are allowed).
     *
     * @param mean the means, one value or one per channel
     * @param std  the standard deviations, one value or one per channel
     * @return the normalisation
     * @throws IllegalArgumentException naming the list and the value that is not a number
     */
    public static Normalization parse(String mean, String std) {
        return new Normalization(parseList("mean", mean), parseList("std", std));
    }

    private static float[] parseList(String what, String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("normalization " + what + " is empty, expected numbers such as "
                    + "\"0.485,0.456,0.406\"");
        }
        String[] parts = text.split(",", -1);
        float[] values = new float[parts.length];
        for (int i = 0; i < parts.length; i++) {
            String p = parts[i].trim();
            try {
                values[i] = Float.parseFloat(p);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("normalization " + what + " \"" + text + "\": value " + (i + 1)
                        + " \"" + p + "\" is not a number", e);
            }
        }
        return values;
    }

    /** {@return a copy of the means (empty for {@link #NONE})} */
    @Override
    public float[] mean() {
        return mean.clone();
    }

    /** {@return a copy of the standard deviations (empty for {@link #NONE})} */
    @Override
    public float[] std() {
        return std.clone();
    }

    /** {@return whether this is the identity (no values)} */
    public boolean isNone() {
        return mean.length == 0;
    }

    /**
     * The mean used for a channel.
     *
     * @param c the channel
     * @return its mean (0 for {@link #NONE})
     */
    public float meanOf(int c) {
        return mean.length == 0 ? 0f : mean.length == 1 ? mean[0] : mean[c];
    }

    /**
     * The standard deviation used for a channel.
     *
     * @param c the channel
     * @return its std (1 for {@link #NONE})
     */
    public float stdOf(int c) {
        return std.length == 0 ? 1f : std.length == 1 ? std[0] : std[c];
    }

    /**
     * Checks that this normalisation fits data with {@code channels} channels: each list must hold 1 or
     * {@code channels} values.
     *
     * @param channels channel count of the data
     * @param what     the data, for the message (e.g. a file name)
     * @throws IllegalArgumentException when a list has another length
     */
    public void checkChannels(int channels, String what) {
        check("mean", mean.length, channels, what);
        check("std", std.length, channels, what);
    }

    private static void check(String name, int length, int channels, String what) {
        if (length > 1 && length != channels) {
            throw new IllegalArgumentException("normalization " + name + " has " + length + " values but " + what
                    + " has " + channels + (channels == 1 ? " channel; give 1 value"
                    : " channels; give 1 or " + channels + " values"));
        }
    }

    /**
     * Normalises NCHW data in place: every value {@code x} of channel {@code c} becomes
     * {@code (x - mean[c]) / std[c]}.
     *
     * @param data     {@code n * channels * pixels} values
     * @param channels channels per image
     * @param pixels   values per channel ({@code height * width})
     */
    public void applyInPlace(float[] data, int channels, int pixels) {
        if (isNone()) {
            return;
        }
        checkChannels(channels, "the data");
        int imageSize = channels * pixels;
        if (data.length % imageSize != 0) {
            throw new IllegalArgumentException("data length " + data.length + " is not a multiple of C*H*W = "
                    + imageSize);
        }
        for (int base = 0; base < data.length; base += imageSize) {
            for (int c = 0; c < channels; c++) {
                float m = meanOf(c);
                float s = stdOf(c);
                int from = base + c * pixels;
                for (int k = from, end = from + pixels; k < end; k++) {
                    data[k] = (data[k] - m) / s;
                }
            }
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Normalization other && Arrays.equals(mean, other.mean) && Arrays.equals(std, other.std);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(mean) + Arrays.hashCode(std);
    }

    @Override
    public String toString() {
        return isNone() ? "Normalization[none]"
                : "Normalization[mean=" + Arrays.toString(mean) + ", std=" + Arrays.toString(std) + "]";
    }
}
