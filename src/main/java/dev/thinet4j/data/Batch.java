package dev.thinet4j.data;

import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A batch of images in NCHW float32 layout, as produced by an {@link ImageSource}.
 *
 * <p>{@code images} holds {@code n * channels * height * width} values in row-major order: image
 * {@code i}, channel {@code c}, row {@code y}, column {@code x} is at
 * {@code ((i * channels + c) * height + y) * width + x}. {@code labels} holds one class index per
 * image, or is {@code null} for unlabelled data. {@code offset} is the index (within the source) of
 * the first image of the batch, so image {@code i} of the batch is image {@code offset + i} of the
 * source.
 *
 * <p>The arrays are not copied: every batch handed out by this package owns freshly allocated arrays
 * that no one else references, and callers must treat them as read-only. Equality compares contents.
 *
 * @param images   pixel values, {@code n * channels * height * width} of them
 * @param n        number of images, at least 1
 * @param channels channels per image
 * @param height   rows per image
 * @param width    columns per image
 * @param labels   one label per image, or {@code null}
 * @param offset   index of the first image in the source
 */
public record Batch(float[] images, int n, int channels, int height, int width, int[] labels, int offset) {

    /**
     * Checks the shape against the array lengths.
     *
     * @param images see the record description
     * @param n see the record description
     * @param channels see the record description
     * @param height see the record description
     * @param width see the record description
     * @param labels see the record description
     * @param offset see the record description
     * @throws IllegalArgumentException when a size is not positive or an array has the wrong length
     */
    public Batch {
        if (n < 1 || channels < 1 || height < 1 || width < 1) {
            throw new IllegalArgumentException("batch shape must be positive, got n=" + n + ", C=" + channels
                    + ", H=" + height + ", W=" + width);
        }
        if (offset < 0) {
            throw new IllegalArgumentException("batch offset must be >= 0, got " + offset);
        }
        if (images == null) {
            throw new IllegalArgumentException("batch images must not be null");
        }
        long expected = (long) n * channels * height * width;
        if (images.length != expected) {
            throw new IllegalArgumentException("batch of shape [" + n + ", " + channels + ", " + height + ", "
                    + width + "] needs " + expected + " values, got " + images.length);
        }
        if (labels != null && labels.length != n) {
            throw new IllegalArgumentException("batch of " + n + " images has " + labels.length + " labels");
        }
    }

    /** {@return values per image: {@code channels * height * width}} */
    public int imageSize() {
        return channels * height * width;
    }

    /** {@return the NCHW shape {@code [n, channels, height, width]}} */
    public long[] shape() {
        return new long[]{n, channels, height, width};
    }

    /** {@return whether the batch carries labels} */
    public boolean hasLabels() {
        return labels != null;
    }

    /**
     * The label of image {@code i} of this batch.
     *
     * @param i an image of the batch, in [0, n)
     * @return its class index
     * @throws IllegalStateException when the batch has no labels
     */
    public int label(int i) {
        if (labels == null) {
            throw new IllegalStateException("this batch (images " + offset + ".." + (offset + n - 1)
                    + ") has no labels");
        }
        return labels[i];
    }

    /**
     * The value at image {@code i}, channel {@code c}, row {@code y}, column {@code x}.
     *
     * @param i image, in [0, n)
     * @param c channel, in [0, channels)
     * @param y row, in [0, height)
     * @param x column, in [0, width)
     * @return the value
     * @throws IndexOutOfBoundsException when an index is out of range
     */
    public float get(int i, int c, int y, int x) {
        java.util.Objects.checkIndex(i, n);
        java.util.Objects.checkIndex(c, channels);
        java.util.Objects.checkIndex(y, height);
        java.util.Objects.checkIndex(x, width);
        return images[((i * channels + c) * height + y) * width + x];
    }

    /**
     * A copy of one image.
     *
     * @param i image, in [0, n)
     * @return its {@code channels * height * width} CHW values
     */
    public float[] image(int i) {
        java.util.Objects.checkIndex(i, n);
        int size = imageSize();
        return Arrays.copyOfRange(images, i * size, (i + 1) * size);
    }

    /**
     * A new batch holding copies of images {@code from .. from + count - 1} of this one; its offset is
     * {@code offset + from}.
     *
     * @param from  the first image, in [0, n)
     * @param count how many, at least 1
     * @return the new batch
     * @throws IndexOutOfBoundsException when the range does not fit in this batch
     */
    public Batch slice(int from, int count) {
        java.util.Objects.checkFromIndexSize(from, count, n);
        int size = imageSize();
        float[] data = Arrays.copyOfRange(images, from * size, (from + count) * size);
        int[] lab = labels == null ? null : Arrays.copyOfRange(labels, from, from + count);
        return new Batch(data, count, channels, height, width, lab, offset + from);
    }

    /**
     * Creates a new float32 ND4J array of shape {@code [n, channels, height, width]} (C order) holding
     * a copy of the images. The caller owns the array and should {@link INDArray#close() close} it.
     *
     * @return the array
     */
    public INDArray toINDArray() {
        return Nd4j.create(images, shape(), DataType.FLOAT);
    }

    /**
     * Creates a new int32 ND4J vector of length {@code n} with the labels (caller closes).
     *
     * @return the vector
     * @throws IllegalStateException when the batch has no labels
     */
    public INDArray labelsToINDArray() {
        if (labels == null) {
            throw new IllegalStateException("this batch (images " + offset + ".." + (offset + n - 1)
                    + ") has no labels");
        }
        return Nd4j.createFromArray(labels.clone());
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Batch b && n == b.n && channels == b.channels && height == b.height
                && width == b.width && offset == b.offset && Arrays.equals(images, b.images)
                && Arrays.equals(labels, b.labels);
    }

    @Override
    public int hashCode() {
        int h = java.util.Objects.hash(n, channels, height, width, offset);
        return 31 * (31 * h + Arrays.hashCode(images)) + Arrays.hashCode(labels);
    }

    @Override
    public String toString() {
        return "Batch[images " + offset + ".." + (offset + n - 1) + ", shape " + n + "x" + channels + "x" + height
                + "x" + width + (labels == null ? ", unlabelled" : ", labelled") + "]";
    }
}
