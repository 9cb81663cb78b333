package dev.thinet4j.data;

import java.util.Arrays;

/** Images held in memory (copied at creation). */
final class ArrayImageSource extends AbstractImageSource {
    private final float[] images;
    private final int count;
    private final int channels;
    private final int height;
    private final int width;
    private final int[] labels;

    ArrayImageSource(float[] images, int count, int channels, int height, int width, int[] labels) {
        if (count < 1 || channels < 1 || height < 1 || width < 1) {
            throw new IllegalArgumentException("shape must be positive, got n=" + count + ", C=" + channels
                    + ", H=" + height + ", W=" + width);
        }
        long expected = (long) count * channels * height * width;
        if (images.length != expected) {
            throw new IllegalArgumentException(count + " images of " + channels + "x" + height + "x" + width
                    + " need " + expected + " values, got " + images.length);
        }
        if (labels != null && labels.length != count) {
            throw new IllegalArgumentException(count + " images but " + labels.length + " labels");
        }
        for (int i = 0; i < images.length; i++) {
            if (!Float.isFinite(images[i])) {
                throw new InvalidDataException(null, "image " + i / (channels * height * width) + " (of " + count
                        + ") contains " + images[i] + "; image data must be finite");
            }
        }
        this.images = images.clone();
        this.count = count;
        this.channels = channels;
        this.height = height;
        this.width = width;
        this.labels = labels == null ? null : labels.clone();
    }

    @Override
    public int channels() {
        return channels;
    }

    @Override
    public int height() {
        return height;
    }

    @Override
    public int width() {
        return width;
    }

    @Override
    public int size() {
        return count;
    }

    @Override
    public boolean hasLabels() {
        return labels != null;
    }

    @Override
    Cursor openCursor(int batchHint) {
        return new Cursor() {
            private int pos;

            @Override
            public Batch read(int max) {
                int k = Math.min(max, count - pos);
                if (k <= 0) {
                    return null;
                }
                int size = imageSize();
                float[] data = Arrays.copyOfRange(images, pos * size, (pos + k) * size);
                int[] lab = labels == null ? null : Arrays.copyOfRange(labels, pos, pos + k);
                Batch b = new Batch(data, k, channels, height, width, lab, pos);
                pos += k;
                return b;
            }

            @Override
            public int skip(int n) {
                int k = Math.max(0, Math.min(n, count - pos));
                pos += k;
                return k;
            }

            @Override
            public void close() {
            }
        };
    }

    @Override
    public String toString() {
        return "in-memory images: " + count + " x " + channels + "x" + height + "x" + width;
    }
}
