package dev.thinet4j.data;

import java.io.IOException;
import java.util.Arrays;

/**
 * Chosen images of another source, in ascending index order. Images between the chosen ones are
 * skipped (without decoding, where the source allows). Offsets count within the selection.
 */
final class SelectedSource extends WrappedSource {
    private final int[] indices;

    /** @param indices distinct, non-negative indices; sorted here */
    SelectedSource(ImageSource inner, int[] indices) {
        super(inner);
        int[] sorted = indices.clone();
        Arrays.sort(sorted);
        int n = inner.size();
        for (int i = 0; i < sorted.length; i++) {
            if (sorted[i] < 0) {
                throw new IllegalArgumentException("image index " + sorted[i] + " is negative");
            }
            if (i > 0 && sorted[i] == sorted[i - 1]) {
                throw new IllegalArgumentException("image index " + sorted[i] + " is selected twice");
            }
        }
        if (sorted.length == 0) {
            throw new IllegalArgumentException("no images selected");
        }
        if (n >= 0 && sorted[sorted.length - 1] >= n) {
            throw new IllegalArgumentException("image index " + sorted[sorted.length - 1] + " is out of range: "
                    + inner + " has " + n + " images");
        }
        this.indices = sorted;
    }

    @Override
    public int size() {
        return indices.length;
    }

    /** The selected indices of the inner source, ascending. */
    int[] indices() {
        return indices.clone();
    }

    @Override
    Cursor openCursor(int batchHint) throws IOException {
        Cursor c = cursorOf(inner, batchHint);
        return new Cursor() {
            private int k;          // next selection entry
            private int innerPos;   // position of the inner cursor

            @Override
            public Batch read(int max) throws IOException {
                int total = Math.min(max, indices.length - k);
                if (total <= 0) {
                    return null;
                }
                int size = imageSize();
                float[] data = new float[total * size];
                int[] labels = null;
                int start = k;
                int filled = 0;
                while (filled < total) {
                    int target = indices[k];
                    if (target > innerPos) {
                        int skipped = c.skip(target - innerPos);
                        innerPos += skipped;
                        if (innerPos < target) {
                            throw beyondEnd(target);
                        }
                    }
                    int run = 1;
                    while (filled + run < total && indices[k + run] == target + run) {
                        run++;
                    }
                    Batch b = c.read(run);
                    if (b == null) {
                        throw beyondEnd(target);
                    }
                    System.arraycopy(b.images(), 0, data, filled * size, b.n() * size);
                    if (b.hasLabels()) {
                        if (labels == null) {
                            if (filled > 0) {
                                throw new InvalidDataException(null, inner + " delivered labels for some images"
                                        + " and not for others");
                            }
                            labels = new int[total];
                        }
                        System.arraycopy(b.labels(), 0, labels, filled, b.n());
                    } else if (labels != null) {
                        throw new InvalidDataException(null, inner + " delivered labels for some images and not"
                                + " for others");
                    }
                    filled += b.n();
                    k += b.n();
                    innerPos += b.n();
                }
                return new Batch(data, total, channels(), height(), width(), labels, start);
            }

            private InvalidDataException beyondEnd(int target) {
                return new InvalidDataException(null, "image index " + target + " is beyond the end of " + inner
                        + ", which ended after " + innerPos + " images");
            }

            @Override
            public int skip(int count) {
                int n = Math.max(0, Math.min(count, indices.length - k));
                k += n;
                return n;
            }

            @Override
            public void close() throws IOException {
                c.close();
            }
        };
    }

    @Override
    public String toString() {
        return indices.length + " selected images of " + inner;
    }
}
