package dev.thinet4j.training;

import dev.thinet4j.data.Batch;
import dev.thinet4j.data.ImageSource;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.SplittableRandom;

/**
 * The labelled training images, batch by batch in a seeded order per epoch.
 *
 * <p>In memory (size known, pixels within {@link TrainingConfig#maxInMemoryBytes()}): read once; epoch e
 * visits the images in a uniformly random permutation drawn by Fisher–Yates from
 * {@code SplittableRandom(mix(seed, e))}. Streaming (otherwise): every epoch re-reads the source in order,
 * in windows of {@link TrainingConfig#shuffleWindow()} images (rounded up to whole batches), and permutes
 * each window the same way. Without shuffling the order is the source's. A last batch of one image is
 * skipped.
 */
abstract class TrainingData {
    private static final Logger LOG = LoggerFactory.getLogger(TrainingData.class);

    final int batchSize;
    final boolean shuffle;
    final long seed;

    TrainingData(TrainingConfig config) {
        this.batchSize = config.batchSize();
        this.shuffle = config.shuffle();
        this.seed = config.seed();
    }

    static TrainingData of(ImageSource source, TrainingConfig config) {
        long bytes = (long) source.size() * source.imageSize() * Float.BYTES;
        if (source.size() >= 0 && bytes <= config.maxInMemoryBytes()
                && (long) source.size() * source.imageSize() <= Integer.MAX_VALUE - 8) {
            return new InMemory(source, config);
        }
        LOG.info("training data {} ({} images) is streamed and shuffled within windows of {} images", source,
                source.size() < 0 ? "unknown number of" : Integer.toString(source.size()), config.shuffleWindow());
        return new Streaming(source, config);
    }

    /** Number of images, -1 when unknown. */
    abstract int size();

    /** Batches per epoch, -1 when unknown. */
    final long batchesPerEpoch() {
        int n = size();
        if (n < 0) {
            return -1;
        }
        long full = n / batchSize;
        int rest = n % batchSize;
        return full + (rest >= 2 ? 1 : 0);
    }

    /** The batches of epoch {@code epoch} (0-based). */
    abstract Iterator<Batch> epoch(int epoch);

    static SplittableRandom random(long seed, int epoch, long window) {
        return new SplittableRandom(seed * 0x9E3779B97F4A7C15L + 0x632BE59BD9B4E019L * (epoch + 1) + window);
    }

    static void permute(int[] a, SplittableRandom r) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }

    static int[] identity(int n) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = i;
        }
        return a;
    }

    static int[] requireLabels(Batch b, ImageSource source) {
        if (b.labels() == null) {
            throw new IllegalArgumentException("training data " + source + " has no labels: attach them (e.g. "
                    + "DataOptions.labelsFile or ImageSources.withLabels)");
        }
        return b.labels();
    }

    /** Copies the images at {@code order[from .. from + n)} of a flat NCHW array into a batch. */
    static Batch gather(float[] images, int[] labels, int imageSize, int[] order, int from, int n, int c, int h, int w) {
        float[] x = new float[n * imageSize];
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            int src = order[from + i];
            System.arraycopy(images, src * imageSize, x, i * imageSize, imageSize);
            y[i] = labels[src];
        }
        return new Batch(x, n, c, h, w, y, 0);
    }

    /** The whole set in memory. */
    static final class InMemory extends TrainingData {
        private final float[] images;
        private final int[] labels;
        private final int n;
        private final int c;
        private final int h;
        private final int w;

        InMemory(ImageSource source, TrainingConfig config) {
            super(config);
            int size = source.size();
            int per = source.imageSize();
            float[] all = new float[size * per];
            int[] lab = new int[size];
            int count = 0;
            for (Batch b : source.batches(Math.max(256, config.batchSize()))) {
                int[] y = requireLabels(b, source);
                if (count + b.n() > size) {
                    throw new IllegalStateException(source + " delivered more than its size " + size + " images");
                }
                System.arraycopy(b.images(), 0, all, count * per, b.n() * per);
                System.arraycopy(y, 0, lab, count, b.n());
                count += b.n();
            }
            if (count != size) {
                throw new IllegalStateException(source + " delivered " + count + " images but reports size " + size);
            }
            this.images = all;
            this.labels = lab;
            this.n = size;
            this.c = source.channels();
            this.h = source.height();
            this.w = source.width();
            LOG.debug("loaded {} training images into memory ({} MiB)", size, (long) size * per * 4 >> 20);
        }

        @Override
        int size() {
            return n;
        }

        @Override
        Iterator<Batch> epoch(int epoch) {
            int[] order = identity(n);
            if (shuffle) {
                permute(order, random(seed, epoch, 0));
            }
            int per = c * h * w;
            return new Iterator<>() {
                private int next;

                @Override
                public boolean hasNext() {
                    return n - next >= 2 || n - next == 1 && batchSize == 1;
                }

                @Override
                public Batch next() {
                    if (!hasNext()) {
                        throw new NoSuchElementException();
                    }
                    int k = Math.min(batchSize, n - next);
                    Batch b = gather(images, labels, per, order, next, k, c, h, w);
                    next += k;
                    return b;
                }
            };
        }
    }

    /** Re-read each epoch, shuffled within windows. */
    static final class Streaming extends TrainingData {
        private final ImageSource source;
        private final int window;

        Streaming(ImageSource source, TrainingConfig config) {
            super(config);
            this.source = source;
            int b = config.batchSize();
            this.window = (int) Math.min(Integer.MAX_VALUE, ((long) config.shuffleWindow() + b - 1) / b * b);
        }

        @Override
        int size() {
            return source.size();
        }

        @Override
        Iterator<Batch> epoch(int epoch) {
            Iterator<Batch> windows = source.batches(window).iterator();
            return new Iterator<>() {
                private final List<Batch> pending = new ArrayList<>();
                private long windowIndex;

                @Override
                public boolean hasNext() {
                    while (pending.isEmpty() && windows.hasNext()) {
                        split(windows.next());
                    }
                    return !pending.isEmpty();
                }

                @Override
                public Batch next() {
                    if (!hasNext()) {
                        throw new NoSuchElementException();
                    }
                    return pending.remove(0);
                }

                private void split(Batch win) {
                    int[] y = requireLabels(win, source);
                    int[] order = identity(win.n());
                    if (shuffle) {
                        permute(order, random(seed, epoch, ++windowIndex));
                    }
                    for (int from = 0; from < win.n(); from += batchSize) {
                        int k = Math.min(batchSize, win.n() - from);
                        if (k == 1 && batchSize > 1) {
                            break;
                        }
                        pending.add(gather(win.images(), y, win.imageSize(), order, from, k, win.channels(),
                                win.height(), win.width()));
                    }
                }
            };
        }
    }
}
