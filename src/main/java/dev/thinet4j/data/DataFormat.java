package dev.thinet4j.data;

/**
 * The on-disk formats that {@link ImageSources#open(java.nio.file.Path, DataOptions)} recognises.
 * The format is always detected from the content (magic bytes) or from the path being a directory,
 * never from the file name.
 */
public enum DataFormat {
    /** IDX (MNIST) images, uncompressed: magic {@code 0x00000803}, unsigned bytes [n, rows, cols]. */
    IDX,
    /** IDX images inside a gzip stream (file starts with {@code 1F 8B}). */
    IDX_GZIP,
    /** A NumPy {@code .npy} array (file starts with {@code 93 'NUMPY'}). */
    NPY,
    /** A NumPy {@code .npy} array inside a gzip stream. */
    NPY_GZIP,
    /** A directory of image files, optionally with one sub-folder per class. */
    IMAGE_FOLDER,
    /** A single PNG or JPEG file (a one-image source). */
    IMAGE_FILE
}
