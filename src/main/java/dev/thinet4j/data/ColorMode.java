package dev.thinet4j.data;

/**
 * How decoded image files (PNG, JPEG, ...) are turned into channels. Has no effect on tensor formats
 * (IDX, NPY), whose channel count comes from the file.
 */
public enum ColorMode {
    /**
     * Three channels in R, G, B order. Grayscale files are replicated into all three channels; an
     * alpha channel is dropped (not composited).
     */
    RGB(3),
    /**
     * One channel. Grayscale files give their stored values; colour files are converted with the
     * ITU-R BT.601 luma weights {@code 0.299 R + 0.587 G + 0.114 B} (not rounded).
     */
    GRAYSCALE(1);

    private final int channels;

    ColorMode(int channels) {
        this.channels = channels;
    }

    /** {@return the number of channels this mode produces} */
    public int channels() {
        return channels;
    }
}
