/**
 * Calibration and evaluation data: NCHW float32 images streamed in {@link dev.thinet4j.data.Batch}es
 * from an {@link dev.thinet4j.data.ImageSource}.
 *
 * <p>{@link dev.thinet4j.data.ImageSources#open(java.nio.file.Path, dev.thinet4j.data.DataOptions)}
 * reads IDX images (MNIST/Fashion-MNIST, plain or gzip), NumPy {@code .npy} arrays, and folders of
 * PNG/JPEG images (ImageNet-style class sub-folders give labels), detecting the format from the
 * content. Sources stream: the pixels are read one batch at a time and each iteration re-reads the
 * data from the start, so several passes need no reset and never hold the whole data set in memory.
 * {@link dev.thinet4j.data.Labels} reads label files (IDX, NPY, text); views limit, select, sample,
 * label and normalise sources.
 *
 * <p>Malformed data raises {@link dev.thinet4j.data.InvalidDataException} naming the file, the
 * position (offset, image index) and what was expected. Nothing here prints; diagnostics go to SLF4J.
 */
package dev.thinet4j.data;
