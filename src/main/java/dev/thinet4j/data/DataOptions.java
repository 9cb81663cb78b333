package dev.thinet4j.data;

import java.nio.file.Path;
import java.util.Objects;

/**
 * How {@link ImageSources#open(Path, DataOptions)} reads and preprocesses a data set. Build one with
 * {@link #builder()}; {@link #DEFAULTS} reads the data as stored, with no normalisation.
 *
 * <p>Preprocessing order: decode → (image files only) resize the shorter side to {@code resize}
 * → centre-crop {@code crop × crop} → scale to {@code [0, 1]} (image files, IDX, and NPY
 * {@code uint8} when {@code scaleUint8}) → per-channel {@code normalization}.
 *
 * @param normalization per-channel mean/std applied last; {@link Normalization#NONE} for none
 * @param resize        image files: resize so the shorter side has this many pixels (bilinear);
 *                      0 = keep the size. Rejected for IDX/NPY data.
 * @param crop          image files: centre crop to {@code crop × crop}; 0 = no crop. Rejected for
 *                      IDX/NPY data.
 * @param colorMode     image files: RGB (3 channels) or grayscale (1 channel)
 * @param limit         use only the first {@code limit} images; 0 = all
 * @param scaleUint8    NPY {@code uint8} data: divide by 255 (the default, {@code true}) or keep 0..255
 * @param labelsFile    a label file ({@link Labels#read(Path)}) to attach to the images, or
 *                      {@code null}; overrides labels taken from class sub-folders
 */
public record DataOptions(Normalization normalization, int resize, int crop, ColorMode colorMode, int limit,
                          boolean scaleUint8, Path labelsFile) {

    /** No resize, crop, limit or normalisation; RGB; NPY {@code uint8} scaled by 1/255; no labels file. */
    public static final DataOptions DEFAULTS = builder().build();

    /**
     * Validates the values.
     *
     * @param normalization see the record description
     * @param resize see the record description
     * @param crop see the record description
     * @param colorMode see the record description
     * @param limit see the record description
     * @param scaleUint8 see the record description
     * @param labelsFile see the record description
     * @throws IllegalArgumentException when a size or the limit is negative, or the crop is larger than the resize
     */
    public DataOptions {
        Objects.requireNonNull(normalization, "normalization (use Normalization.NONE)");
        Objects.requireNonNull(colorMode, "colorMode");
        if (resize < 0) {
            throw new IllegalArgumentException("resize must be >= 0 (0 = keep the size), got " + resize);
        }
        if (crop < 0) {
            throw new IllegalArgumentException("crop must be >= 0 (0 = no crop), got " + crop);
        }
        if (resize > 0 && crop > resize) {
            throw new IllegalArgumentException("crop " + crop + " is larger than resize " + resize
                    + ": the crop must fit in the resized shorter side");
        }
        if (limit < 0) {
            throw new IllegalArgumentException("limit must be >= 0 (0 = all images), got " + limit);
        }
    }

    /** {@return a builder with the default values} */
    public static Builder builder() {
        return new Builder();
    }

    /** {@return a builder starting from these values} */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.normalization = normalization;
        b.resize = resize;
        b.crop = crop;
        b.colorMode = colorMode;
        b.limit = limit;
        b.scaleUint8 = scaleUint8;
        b.labelsFile = labelsFile;
        return b;
    }

    /** {@return whether a resize or crop is requested (only valid for image files)} */
    public boolean resizesOrCrops() {
        return resize > 0 || crop > 0;
    }

    /** Builder for {@link DataOptions}. Not thread-safe. */
    public static final class Builder {
        private Normalization normalization = Normalization.NONE;
        private int resize;
        private int crop;
        private ColorMode colorMode = ColorMode.RGB;
        private int limit;
        private boolean scaleUint8 = true;
        private Path labelsFile;

        private Builder() {
        }

        /**
         * Per-channel normalisation (default {@link Normalization#NONE}).
         *
         * @param normalization the normalisation, not null
         * @return this builder
         */
        public Builder normalization(Normalization normalization) {
            this.normalization = Objects.requireNonNull(normalization, "normalization");
            return this;
        }

        /**
         * Resize image files so the shorter side is {@code pixels} (0 = keep).
         *
         * @param pixels the shorter side after resizing, ≥ 0
         * @return this builder
         */
        public Builder resize(int pixels) {
            this.resize = pixels;
            return this;
        }

        /**
         * Centre-crop image files to {@code pixels × pixels} (0 = no crop).
         *
         * @param pixels the crop size, ≥ 0
         * @return this builder
         */
        public Builder crop(int pixels) {
            this.crop = pixels;
            return this;
        }

        /**
         * RGB (default) or grayscale decoding of image files.
         *
         * @param mode the colour mode, not null
         * @return this builder
         */
        public Builder colorMode(ColorMode mode) {
            this.colorMode = Objects.requireNonNull(mode, "colorMode");
            return this;
        }

        /**
         * Use only the first {@code n} images (0 = all, the default).
         *
         * @param n the number of images, ≥ 0
         * @return this builder
         */
        public Builder limit(int n) {
            this.limit = n;
            return this;
        }

        /**
         * Whether NPY {@code uint8} values are divided by 255 (default {@code true}).
         *
         * @param scale whether to divide by 255
         * @return this builder
         */
        public Builder scaleUint8(boolean scale) {
            this.scaleUint8 = scale;
            return this;
        }

        /**
         * A label file to attach ({@code null} = none, the default).
         *
         * @param file the label file, or {@code null}
         * @return this builder
         */
        public Builder labelsFile(Path file) {
            this.labelsFile = file;
            return this;
        }

        /**
         * Builds the options, validating them.
         *
         * @return the options
         * @throws IllegalArgumentException when a value is out of range
         */
        public DataOptions build() {
            return new DataOptions(normalization, resize, crop, colorMode, limit, scaleUint8, labelsFile);
        }
    }
}
