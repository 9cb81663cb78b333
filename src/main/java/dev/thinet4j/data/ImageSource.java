package dev.thinet4j.data;

import java.util.List;

/**
 * A re-readable stream of NCHW float32 images, delivered in {@link Batch}es.
 *
 * <p>Every call to {@link #batches(int)} — and every {@code iterator()} of the returned
 * {@code Iterable} — starts again from the first image, so callers can make several passes (for
 * example one pass per pruned layer) without any reset call. Implementations stream: they hold
 * at most one batch in memory when the format allows it.
 *
 * <p>An iterator that is run to the end releases its file handles by itself. One abandoned early is
 * released when the source is {@link #close() closed}; the iterators of this package also implement
 * {@link AutoCloseable} for callers who want to release one sooner.
 *
 * <p>Users can plug in their own sources by implementing this interface; only the shape methods,
 * {@link #size()} and {@link #batches(int)} are required.
 */
public interface ImageSource extends AutoCloseable {

    /** {@return channels per image} */
    int channels();

    /** {@return rows per image} */
    int height();

    /** {@return columns per image} */
    int width();

    /** {@return number of images, or -1 when not known in advance} */
    int size();

    /**
     * The images in order, in batches of {@code batchSize} (the last one may be smaller). Each
     * iteration starts from the first image.
     *
     * @param batchSize images per batch, at least 1
     * @return the batches; each iterator starts again from the first image
     * @throws IllegalArgumentException when {@code batchSize < 1}
     * @throws IllegalStateException    when the source is closed
     */
    Iterable<Batch> batches(int batchSize);

    /** {@return whether the batches carry labels (the default says no)} */
    default boolean hasLabels() {
        return false;
    }

    /**
     * Class names indexed by label, when the source knows them (e.g. the class sub-folders of an
     * image folder); an empty list otherwise.
     *
     * @return the names, indexed by label
     */
    default List<String> classNames() {
        return List.of();
    }

    /** {@return values per image: {@code channels() * height() * width()}} */
    default int imageSize() {
        return channels() * height() * width();
    }

    /**
     * A view of the first {@code n} images of this source. Closing the view closes this source.
     *
     * @param n the number of images, at least 1
     * @return the view
     * @see ImageSources#limit(ImageSource, int)
     */
    default ImageSource limit(int n) {
        return ImageSources.limit(this, n);
    }

    /** Releases file handles of this source and of iterators still open. The default does nothing. */
    @Override
    default void close() {
    }
}
