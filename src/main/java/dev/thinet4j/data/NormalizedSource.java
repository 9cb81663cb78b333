package dev.thinet4j.data;

import java.io.IOException;

/** Another source with per-channel normalisation applied to every batch. */
final class NormalizedSource extends WrappedSource {
    private final Normalization normalization;

    NormalizedSource(ImageSource inner, Normalization normalization) {
        super(inner);
        normalization.checkChannels(inner.channels(), inner.toString());
        this.normalization = normalization;
    }

    @Override
    Cursor openCursor(int batchHint) throws IOException {
        Cursor c = cursorOf(inner, batchHint);
        int pixels = height() * width();
        return new Cursor() {
            @Override
            public Batch read(int max) throws IOException {
                Batch b = c.read(max);
                if (b != null) {
                    // cursors hand out fresh arrays, so normalising in place is safe
                    normalization.applyInPlace(b.images(), b.channels(), pixels);
                }
                return b;
            }

            @Override
            public int skip(int count) throws IOException {
                return c.skip(count);
            }

            @Override
            public void close() throws IOException {
                c.close();
            }
        };
    }

    @Override
    public String toString() {
        return inner + ", " + normalization;
    }
}
