package dev.thinet4j.data;

import java.io.IOException;

/** The first {@code limit} images of another source. */
final class LimitedSource extends WrappedSource {
    private final int limit;

    LimitedSource(ImageSource inner, int limit) {
        super(inner);
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be >= 1, got " + limit);
        }
        this.limit = limit;
    }

    @Override
    public int size() {
        int n = inner.size();
        return n < 0 ? -1 : Math.min(n, limit);
    }

    @Override
    Cursor openCursor(int batchHint) throws IOException {
        Cursor c = cursorOf(inner, Math.min(batchHint, limit));
        return new Cursor() {
            private int pos;

            @Override
            public Batch read(int max) throws IOException {
                int k = Math.min(max, limit - pos);
                if (k <= 0) {
                    return null;
                }
                Batch b = c.read(k);
                if (b != null) {
                    pos += b.n();
                }
                return b;
            }

            @Override
            public int skip(int count) throws IOException {
                int k = Math.min(count, limit - pos);
                if (k <= 0) {
                    return 0;
                }
                int done = c.skip(k);
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
        return "first " + limit + " of " + inner;
    }
}
