package dev.thinet4j.data;

import java.io.IOException;
import java.util.Arrays;

/** Another source with labels attached (replacing any it had). */
final class LabelledSource extends WrappedSource {
    private final int[] labels;

    LabelledSource(ImageSource inner, int[] labels) {
        super(inner);
        int n = inner.size();
        if (n >= 0 && labels.length != n) {
            throw new IllegalArgumentException("there are " + labels.length + " labels but " + inner + " has " + n
                    + " images");
        }
        this.labels = labels.clone();
    }

    @Override
    public int size() {
        int n = inner.size();
        return n >= 0 ? n : labels.length;
    }

    @Override
    public boolean hasLabels() {
        return true;
    }

    @Override
    public java.util.List<String> classNames() {
        return java.util.List.of();
    }

    @Override
    Cursor openCursor(int batchHint) throws IOException {
        Cursor c = cursorOf(inner, batchHint);
        return new Cursor() {
            private int pos;

            @Override
            public Batch read(int max) throws IOException {
                int k = Math.min(max, labels.length - pos);
                Batch b = c.read(Math.max(k, 1));
                if (b == null) {
                    if (pos < labels.length) {
                        throw new InvalidDataException(null, inner + " ended after " + pos + " images but there are "
                                + labels.length + " labels");
                    }
                    return null;
                }
                if (k <= 0) {
                    throw new InvalidDataException(null, inner + " has more images than the " + labels.length
                            + " labels");
                }
                int[] lab = Arrays.copyOfRange(labels, pos, pos + b.n());
                Batch out = new Batch(b.images(), b.n(), b.channels(), b.height(), b.width(), lab, b.offset());
                pos += b.n();
                return out;
            }

            @Override
            public int skip(int count) throws IOException {
                int done = c.skip(count);
                pos += done;
                return done;
            }

            @Override
            public void close() throws IOException {
                c.close();
            }
        };
    }

    @Override
    public String toString() {
        return inner + " with " + labels.length + " labels";
    }
}
