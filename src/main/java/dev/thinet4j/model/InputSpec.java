package dev.thinet4j.model;

/** The image input of a network: NCHW float32 with a free batch dimension. */
public record InputSpec(String name, int channels, int height, int width) {
    public InputSpec {
        if (channels < 1 || height < 1 || width < 1) {
            throw new IllegalArgumentException("input '" + name + "' needs positive C, H, W, got "
                    + channels + "x" + height + "x" + width);
        }
    }

    /** The shape for a given batch size: [batch, C, H, W]. */
    public int[] shape(int batch) {
        return new int[]{batch, channels, height, width};
    }
}
