package dev.thinet4j.data;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/** Base of views over another source; closing the view closes the inner source. */
abstract class WrappedSource extends AbstractImageSource {
    final ImageSource inner;

    WrappedSource(ImageSource inner) {
        this.inner = java.util.Objects.requireNonNull(inner, "source");
    }

    @Override
    public int channels() {
        return inner.channels();
    }

    @Override
    public int height() {
        return inner.height();
    }

    @Override
    public int width() {
        return inner.width();
    }

    @Override
    public int size() {
        return inner.size();
    }

    @Override
    public boolean hasLabels() {
        return inner.hasLabels();
    }

    @Override
    public List<String> classNames() {
        return inner.classNames();
    }

    @Override
    void closeSource() {
        inner.close();
    }

    /** A cursor over any source: our own directly, a foreign one through its batches. */
    static Cursor cursorOf(ImageSource source, int batchHint) throws IOException {
        if (source instanceof AbstractImageSource own) {
            return own.trackedCursor(batchHint);
        }
        return new ForeignCursor(source, batchHint);
    }

    /**
     * Re-batches a foreign source's batches to the sizes asked for, copying the data (so that our
     * batches never share arrays with the foreign source) and checking the shapes it reports.
     */
    private static final class ForeignCursor implements Cursor {
        private final ImageSource source;
        private final Iterator<Batch> it;
        private Batch current;
        private int used;
        private int pos;

        ForeignCursor(ImageSource source, int batchHint) {
            this.source = source;
            this.it = source.batches(batchHint).iterator();
        }

        private boolean fill() {
            while (current == null || used == current.n()) {
                if (!it.hasNext()) {
                    return false;
                }
                Batch b = it.next();
                if (b.channels() != source.channels() || b.height() != source.height()
                        || b.width() != source.width()) {
                    throw new InvalidDataException(null, "source " + source + " declares images of "
                            + source.channels() + "x" + source.height() + "x" + source.width()
                            + " but produced a batch of " + b.channels() + "x" + b.height() + "x" + b.width());
                }
                current = b;
                used = 0;
            }
            return true;
        }

        @Override
        public Batch read(int max) {
            List<Batch> parts = new ArrayList<>();
            int total = 0;
            while (total < max && fill()) {
                int k = Math.min(max - total, current.n() - used);
                parts.add(current.slice(used, k));
                used += k;
                total += k;
            }
            if (total == 0) {
                return null;
            }
            int size = source.imageSize();
            float[] data = new float[total * size];
            boolean labelled = parts.stream().allMatch(Batch::hasLabels);
            int[] labels = labelled ? new int[total] : null;
            int at = 0;
            for (Batch p : parts) {
                System.arraycopy(p.images(), 0, data, at * size, p.n() * size);
                if (labelled) {
                    System.arraycopy(p.labels(), 0, labels, at, p.n());
                }
                at += p.n();
            }
            Batch b = new Batch(data, total, source.channels(), source.height(), source.width(), labels, pos);
            pos += total;
            return b;
        }

        @Override
        public void close() throws IOException {
            if (it instanceof AutoCloseable c) {
                try {
                    c.close();
                } catch (IOException | RuntimeException e) {
                    throw e;
                } catch (Exception e) {
                    throw new IOException(e);
                }
            }
        }
    }
}
