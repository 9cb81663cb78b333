package dev.thinet4j.data;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.BitSet;
import java.util.Objects;
import java.util.SplittableRandom;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens image data sets and builds views over image sources.
 *
 * <p>{@link #open(Path, DataOptions)} picks the reader from the content, never from the file name:
 * a directory is a folder of images; otherwise the first bytes decide — gzip ({@code 1F 8B}) is
 * looked into, {@code 00 00 08 03} is IDX images, {@code 93 'NUMPY'} is a NumPy array, PNG and JPEG
 * signatures are a single image. See {@link DataFormat}.
 *
 * <p>Views ({@link #limit}, {@link #select}, {@link #sample}, {@link #withLabels},
 * {@link #normalize}) own the source they wrap: closing the view closes it.
 */
public final class ImageSources {
    private static final Logger LOG = LoggerFactory.getLogger(ImageSources.class);

    private ImageSources() {
    }

    /**
     * Opens {@code path} with {@link DataOptions#DEFAULTS}.
     *
     * @param path a file or folder of images
     * @return the source; close it when done
     * @throws IOException as {@link #open(Path, DataOptions)}
     */
    public static ImageSource open(Path path) throws IOException {
        return open(path, DataOptions.DEFAULTS);
    }

    /**
     * Opens an image data set: IDX images (plain or gzip), a NumPy {@code .npy} array (plain or gzip),
     * a folder of PNG/JPEG images (optionally with class sub-folders) or a single image file; then
     * attaches {@code options.labelsFile()}, applies {@code options.limit()} and the normalisation.
     *
     * <p>Headers are read and checked here (and, for uncompressed files, the file length); the
     * pixels are read batch by batch while iterating.
     *
     * @param path    a file or folder of images
     * @param options preprocessing, labels and limit
     * @return the source; close it when done
     * @throws NoSuchFileException      when {@code path} does not exist
     * @throws IOException              on other read failures
     * @throws InvalidDataException     when the content is not a supported format or is malformed
     * @throws IllegalArgumentException when the options do not fit the data (resize/crop for tensor
     *                                  formats, a normalisation with the wrong number of channels,
     *                                  a labels file of the wrong length)
     */
    public static ImageSource open(Path path, DataOptions options) throws IOException {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(options, "options");
        DataFormat format = detect(path);
        AbstractImageSource base = switch (format) {
            case IDX -> IdxImageSource.open(path, false);
            case IDX_GZIP -> IdxImageSource.open(path, true);
            case NPY -> NpyImageSource.open(path, false, options.scaleUint8());
            case NPY_GZIP -> NpyImageSource.open(path, true, options.scaleUint8());
            case IMAGE_FOLDER -> FolderImageSource.openFolder(path, options);
            case IMAGE_FILE -> FolderImageSource.openFile(path, options);
        };
        ImageSource source = base;
        try {
            if (options.resizesOrCrops() && format != DataFormat.IMAGE_FOLDER && format != DataFormat.IMAGE_FILE) {
                throw new IllegalArgumentException("resize/crop apply to image files only, but " + base
                        + " is already a tensor of " + base.channels() + "x" + base.height() + "x" + base.width()
                        + "; leave resize and crop unset for " + format + " data");
            }
            if (options.labelsFile() != null) {
                int[] labels = Labels.read(options.labelsFile());
                if (base.size() >= 0 && labels.length != base.size()) {
                    throw new IllegalArgumentException("labels file " + options.labelsFile() + " has "
                            + labels.length + " labels but " + path + " has " + base.size() + " images");
                }
                if (base.hasLabels()) {
                    LOG.info("{}: labels from {} replace the class-folder labels", path, options.labelsFile());
                }
                source = new LabelledSource(source, labels);
            }
            if (options.limit() > 0) {
                source = new LimitedSource(source, options.limit());
            }
            if (!options.normalization().isNone()) {
                source = new NormalizedSource(source, options.normalization());
            }
        } catch (IOException | RuntimeException e) {
            source.close();
            throw e;
        }
        LOG.debug("opened {}", source);
        return source;
    }

    /**
     * Detects the format of {@code path} from its content.
     *
     * @param path a file or folder
     * @return its format
     * @throws IOException          when the file cannot be read
     * @throws NoSuchFileException  when {@code path} does not exist
     * @throws InvalidDataException when the content is not a supported format
     */
    public static DataFormat detect(Path path) throws IOException {
        if (Files.isDirectory(path)) {
            return DataFormat.IMAGE_FOLDER;
        }
        if (!Files.exists(path)) {
            throw new NoSuchFileException(path.toString(), null, "image data not found");
        }
        byte[] head = DataStreams.head(path, 8);
        if (DataStreams.isGzip(head)) {
            byte[] inner = DataStreams.gzipHead(path, 8);
            if (Npy.hasMagic(inner)) {
                return DataFormat.NPY_GZIP;
            }
            if (Idx.looksLikeIdx(inner)) {
                return DataFormat.IDX_GZIP;
            }
            throw unknown(path, inner, "the gzip-compressed content");
        }
        if (Npy.hasMagic(head)) {
            return DataFormat.NPY;
        }
        if (Idx.looksLikeIdx(head)) {
            return DataFormat.IDX;
        }
        if (head.length >= 4 && (head[0] & 0xFF) == 0x89 && head[1] == 'P' && head[2] == 'N' && head[3] == 'G'
                || head.length >= 3 && (head[0] & 0xFF) == 0xFF && (head[1] & 0xFF) == 0xD8
                && (head[2] & 0xFF) == 0xFF
                || head.length >= 2 && head[0] == 'B' && head[1] == 'M'
                || head.length >= 4 && head[0] == 'G' && head[1] == 'I' && head[2] == 'F' && head[3] == '8') {
            return DataFormat.IMAGE_FILE;
        }
        throw unknown(path, head, "the file");
    }

    private static InvalidDataException unknown(Path path, byte[] head, String what) {
        String hint = "";
        if (head.length >= 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4) {
            hint = " (a ZIP archive: .npz files are not supported; save a single array with numpy.save)";
        } else if (head.length == 0) {
            hint = " (it is empty)";
        }
        return new InvalidDataException(path, "unrecognised image data: " + what + " starts with "
                + (head.length == 0 ? "nothing" : DataStreams.hex(head, 8)) + hint
                + "; expected IDX images (00 00 08 03), NPY (93 4E 55 4D 50 59), PNG, JPEG, optionally gzip-compressed,"
                + " or a folder of images");
    }

    /**
     * An in-memory source over a copy of {@code images} (NCHW, row-major).
     *
     * @param images   NCHW values, n·channels·height·width of them. Copied.
     * @param n        number of images
     * @param channels channels per image
     * @param height   rows per image
     * @param width    columns per image
     * @param labels   one label per image, or {@code null}
     * @return the source
     * @throws InvalidDataException when a value is NaN or infinite
     */
    public static ImageSource fromArray(float[] images, int n, int channels, int height, int width, int[] labels) {
        return new ArrayImageSource(Objects.requireNonNull(images, "images"), n, channels, height, width, labels);
    }

    /**
     * The first {@code n} images of {@code source} (all of them when it has fewer).
     *
     * @param source the source; closing the view closes it
     * @param n      the number of images, at least 1
     * @return the view
     * @throws IllegalArgumentException when {@code n < 1}
     */
    public static ImageSource limit(ImageSource source, int n) {
        return new LimitedSource(source, n);
    }

    /**
     * The images of {@code source} at the given indices, delivered in ascending index order whatever
     * the order of {@code indices}. Batch offsets count within the selection. Images in between are
     * skipped (without decoding for image folders and without converting for IDX/NPY).
     *
     * @param source  the source; closing the view closes it
     * @param indices the images to keep. Not modified.
     * @return the view
     * @throws IllegalArgumentException on a negative, duplicate or out-of-range index, or none
     */
    public static ImageSource select(ImageSource source, int[] indices) {
        return new SelectedSource(source, Objects.requireNonNull(indices, "indices"));
    }

    /**
     * A seeded random sample of {@code count} distinct images of {@code source}, in ascending index
     * order: {@code select(source, sampleIndices(source.size(), count, seed))}.
     *
     * @param source the source; closing the view closes it
     * @param count  the number of images
     * @param seed   the seed of the draw
     * @return the view
     * @throws IllegalArgumentException when the source's size is unknown or smaller than {@code count}
     */
    public static ImageSource sample(ImageSource source, int count, long seed) {
        if (source.size() < 0) {
            throw new IllegalArgumentException("cannot sample from " + source + ": its size is not known");
        }
        return select(source, sampleIndices(source.size(), count, seed));
    }

    /**
     * {@code source} with the given labels attached (replacing any labels it had).
     *
     * @param source the source; closing the view closes it
     * @param labels one label per image. Not modified.
     * @return the view
     * @throws IllegalArgumentException when the source's size is known and differs from the labels'
     */
    public static ImageSource withLabels(ImageSource source, int[] labels) {
        return new LabelledSource(source, Objects.requireNonNull(labels, "labels"));
    }

    /**
     * {@code source} with {@code (x - mean[c]) / std[c]} applied to every value.
     *
     * @param source        the source; closing the view closes it
     * @param normalization the per-channel mean and std
     * @return the view, or {@code source} itself for {@link Normalization#NONE}
     * @throws IllegalArgumentException when the normalisation's length is neither 1 nor the source's
     *                                  channel count
     */
    public static ImageSource normalize(ImageSource source, Normalization normalization) {
        Objects.requireNonNull(normalization, "normalization");
        return normalization.isNone() ? source : new NormalizedSource(source, normalization);
    }

    /**
     * {@code count} distinct indices in {@code [0, size)}, drawn uniformly at random with the given
     * seed and returned in ascending order. The same arguments always give the same indices.
     *
     * @param size  the number of images to draw from
     * @param count how many to draw
     * @param seed  the seed of the draw
     * @return the indices, ascending
     * @throws IllegalArgumentException when {@code count > size} ("asked for 500 images but the data
     *                                  has 120") or either is negative
     */
    public static int[] sampleIndices(int size, int count, long seed) {
        if (size < 0) {
            throw new IllegalArgumentException("data size must be >= 0, got " + size);
        }
        if (count < 0) {
            throw new IllegalArgumentException("sample count must be >= 0, got " + count);
        }
        if (count > size) {
            throw new IllegalArgumentException("asked for " + count + " images but the data has " + size);
        }
        // Floyd's algorithm: count draws, each adds exactly one new index
        SplittableRandom random = new SplittableRandom(seed);
        BitSet chosen = new BitSet(size);
        for (int j = size - count; j < size; j++) {
            int t = random.nextInt(j + 1);
            chosen.set(chosen.get(t) ? j : t);
        }
        return chosen.stream().toArray();
    }
}
