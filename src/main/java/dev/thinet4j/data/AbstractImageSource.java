package dev.thinet4j.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Base of the sources of this package: turns {@link Cursor}s into re-iterable batches, and tracks
 * open cursors so that {@link #close()} releases those of abandoned iterators. Several iterators
 * may run at the same time (each has its own cursor).
 */
abstract class AbstractImageSource implements ImageSource {
    private static final Logger LOG = LoggerFactory.getLogger(AbstractImageSource.class);

    private final Set<Cursor> openCursors = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    /**
     * Opens a cursor at the first image.
     *
     * @param batchHint the batch size the caller will most likely ask for
     */
    abstract Cursor openCursor(int batchHint) throws IOException;

    /** Releases resources of the source itself (not of cursors); the default does nothing. */
    void closeSource() {
    }

    /** Opens a cursor that is closed along with this source. */
    final Cursor trackedCursor(int batchHint) throws IOException {
        ensureOpen();
        Cursor inner = openCursor(batchHint);
        Cursor tracked = new Cursor() {
            @Override
            public Batch read(int max) throws IOException {
                return inner.read(max);
            }

            @Override
            public int skip(int count) throws IOException {
                return inner.skip(count);
            }

            @Override
            public void close() throws IOException {
                if (openCursors.remove(this)) {
                    inner.close();
                }
            }
        };
        openCursors.add(tracked);
        return tracked;
    }

    final void ensureOpen() {
        if (closed) {
            throw new IllegalStateException(this + " is closed");
        }
    }

    @Override
    public final Iterable<Batch> batches(int batchSize) {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batch size must be >= 1, got " + batchSize);
        }
        ensureOpen();
        return () -> {
            try {
                return new BatchIterator(trackedCursor(batchSize), batchSize);
            } catch (IOException e) {
                throw new UncheckedIOException(AbstractImageSource.this + ": cannot open: " + e.getMessage(), e);
            }
        };
    }

    @Override
    public final void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Cursor c : Set.copyOf(openCursors)) {
            try {
                c.close();
            } catch (IOException e) {
                LOG.warn("{}: error closing a reader: {}", this, e.toString());
            }
        }
        closeSource();
    }

    /** Iterator over a cursor, with one batch of look-ahead. */
    private final class BatchIterator implements Iterator<Batch>, AutoCloseable {
        private final Cursor cursor;
        private final int batchSize;
        private Batch next;
        private boolean done;

        BatchIterator(Cursor cursor, int batchSize) {
            this.cursor = cursor;
            this.batchSize = batchSize;
        }

        @Override
        public boolean hasNext() {
            if (next != null) {
                return true;
            }
            if (done) {
                return false;
            }
            if (closed) {
                done = true;
                throw new IllegalStateException(AbstractImageSource.this + " was closed during iteration");
            }
            try {
                next = cursor.read(batchSize);
            } catch (IOException e) {
                close();
                throw new UncheckedIOException(AbstractImageSource.this + ": read failed: " + e.getMessage(), e);
            } catch (RuntimeException e) {
                close();
                throw e;
            }
            if (next == null) {
                close();
                return false;
            }
            return true;
        }

        @Override
        public Batch next() {
            if (!hasNext()) {
                throw new NoSuchElementException("no more batches in " + AbstractImageSource.this);
            }
            Batch b = next;
            next = null;
            return b;
        }

        @Override
        public void close() {
            done = true;
            next = null;
            try {
                cursor.close();
            } catch (IOException e) {
                LOG.warn("{}: error closing a reader: {}", AbstractImageSource.this, e.toString());
            }
        }
    }
}
