package dev.thinet4j.data;

import java.io.Closeable;
import java.io.IOException;

/**
 * A one-pass reading position over a source, used by the sources of this package and their
 * wrappers. Cursors hand out batches whose arrays are freshly allocated and not kept.
 */
interface Cursor extends Closeable {

    /**
     * Reads the next up to {@code max} images (fewer only at the end of the data).
     *
     * @param max at least 1
     * @return the batch, or {@code null} when no images are left
     */
    Batch read(int max) throws IOException;

    /**
     * Skips {@code count} images. The default reads and drops them.
     *
     * @return the number skipped: {@code count}, or fewer when the data ended
     */
    default int skip(int count) throws IOException {
        int done = 0;
        while (done < count) {
            Batch b = read(Math.min(count - done, 64));
            if (b == null) {
                break;
            }
            done += b.n();
        }
        return done;
    }

    @Override
    void close() throws IOException;
}
