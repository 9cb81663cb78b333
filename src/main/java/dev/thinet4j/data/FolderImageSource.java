package dev.thinet4j.data;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Image files decoded with {@code javax.imageio}: a folder of images (sorted by file name), a folder
 * of class sub-folders ({@code root/<class>/*.jpg}, label = index of the class folder in sorted
 * order), or a single file. Each image is decoded when its batch is read, resized so its shorter
 * side is {@code resize} (bilinear), centre-cropped to {@code crop × crop} and scaled to
 * {@code [0, 1]}.
 */
final class FolderImageSource extends AbstractImageSource {
    private static final Logger LOG = LoggerFactory.getLogger(FolderImageSource.class);

    /** File name extensions taken as images (compared in lower case). */
    static final Set<String> EXTENSIONS = Set.of("png", "jpg", "jpeg", "bmp", "gif");

    private final Path root;
    private final List<Path> files;
    private final int[] labels;
    private final List<String> classNames;
    private final ColorMode mode;
    private final int resize;
    private final int crop;
    private final int outH;
    private final int outW;

    private FolderImageSource(Path root, List<Path> files, int[] labels, List<String> classNames,
                              DataOptions options, int outH, int outW) {
        this.root = root;
        this.files = List.copyOf(files);
        this.labels = labels;
        this.classNames = List.copyOf(classNames);
        this.mode = options.colorMode();
        this.resize = options.resize();
        this.crop = options.crop();
        this.outH = outH;
        this.outW = outW;
    }

    /** Opens a folder of images or of class sub-folders. */
    static FolderImageSource openFolder(Path root, DataOptions options) throws IOException {
        List<Path> images = new ArrayList<>();
        List<Path> dirs = new ArrayList<>();
        for (Path p : listSorted(root)) {
            if (Files.isDirectory(p)) {
                dirs.add(p);
            } else if (isImage(p)) {
                images.add(p);
            }
        }
        if (!images.isEmpty()) {
            if (!dirs.isEmpty()) {
                LOG.warn("{}: holds {} image file(s) directly, so its {} sub-folder(s) are ignored (put every image"
                        + " in a class sub-folder to get labels)", root, images.size(), dirs.size());
            }
            return create(root, images, null, List.of(), options);
        }
        if (dirs.isEmpty()) {
            throw new InvalidDataException(root, "the folder holds no image files (looked for ." + String.join(", .",
                    EXTENSIONS.stream().sorted().toList()) + ") and no class sub-folders");
        }
        List<Path> all = new ArrayList<>();
        List<Integer> labelList = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (int c = 0; c < dirs.size(); c++) {
            Path dir = dirs.get(c);
            names.add(dir.getFileName().toString());
            int before = all.size();
            for (Path p : listSorted(dir)) {
                if (!Files.isDirectory(p) && isImage(p)) {
                    all.add(p);
                    labelList.add(c);
                }
            }
            if (all.size() == before) {
                LOG.warn("{}: class folder '{}' (label {}) holds no images", root, names.get(c), c);
            }
        }
        if (all.isEmpty()) {
            throw new InvalidDataException(root, "none of the " + dirs.size() + " class sub-folders holds image files"
                    + " (looked for ." + String.join(", .", EXTENSIONS.stream().sorted().toList()) + ")");
        }
        int[] labels = labelList.stream().mapToInt(Integer::intValue).toArray();
        LOG.debug("{}: {} images in {} class folders", root, all.size(), dirs.size());
        return create(root, all, labels, names, options);
    }

    /** Opens a single image file as a one-image source. */
    static FolderImageSource openFile(Path file, DataOptions options) throws IOException {
        return create(file, List.of(file), null, List.of(), options);
    }

    private static FolderImageSource create(Path root, List<Path> files, int[] labels, List<String> names,
                                            DataOptions o) throws IOException {
        int outH;
        int outW;
        if (o.crop() > 0) {
            outH = o.crop();
            outW = o.crop();
        } else {
            int[] hw = headerSize(files.get(0));
            int[] r = resized(hw[0], hw[1], o.resize());
            outH = r[0];
            outW = r[1];
        }
        return new FolderImageSource(root, files, labels, names, o, outH, outW);
    }

    private static List<Path> listSorted(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> !p.getFileName().toString().startsWith("."))
                    .sorted(Comparator.comparing(p -> p.getFileName().toString()))
                    .toList();
        }
    }

    static boolean isImage(Path p) {
        String name = p.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot > 0 && EXTENSIONS.contains(name.substring(dot + 1).toLowerCase(Locale.ROOT));
    }

    /** Height and width after resizing the shorter side to {@code resize} (0 = unchanged). */
    static int[] resized(int h, int w, int resize) {
        if (resize <= 0) {
            return new int[]{h, w};
        }
        if (h <= w) {
            return new int[]{resize, (int) ((long) resize * w / h)};
        }
        return new int[]{(int) ((long) resize * h / w), resize};
    }

    /** Height and width from the file header, without decoding the pixels. */
    private static int[] headerSize(Path file) throws IOException {
        try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            if (in == null) {
                throw new IOException("cannot open " + file);
            }
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            if (!readers.hasNext()) {
                throw new InvalidDataException(file, "no image decoder recognises this file (expected PNG, JPEG,"
                        + " BMP or GIF content)");
            }
            ImageReader reader = readers.next();
            try {
                reader.setInput(in, true, true);
                return new int[]{reader.getHeight(0), reader.getWidth(0)};
            } catch (IOException e) {
                throw new InvalidDataException(file, "cannot read the image header: " + e.getMessage(), e);
            } finally {
                reader.dispose();
            }
        }
    }

    @Override
    public int channels() {
        return mode.channels();
    }

    @Override
    public int height() {
        return outH;
    }

    @Override
    public int width() {
        return outW;
    }

    @Override
    public int size() {
        return files.size();
    }

    @Override
    public boolean hasLabels() {
        return labels != null;
    }

    @Override
    public List<String> classNames() {
        return classNames;
    }

    /** The image files in source order. */
    List<Path> files() {
        return files;
    }

    @Override
    Cursor openCursor(int batchHint) {
        return new Cursor() {
            private int pos;

            @Override
            public Batch read(int max) throws IOException {
                int k = Math.min(max, files.size() - pos);
                if (k <= 0) {
                    return null;
                }
                int size = imageSize();
                float[] out = new float[k * size];
                for (int i = 0; i < k; i++) {
                    load(pos + i, out, i * size);
                }
                int[] lab = labels == null ? null : java.util.Arrays.copyOfRange(labels, pos, pos + k);
                Batch b = new Batch(out, k, channels(), outH, outW, lab, pos);
                pos += k;
                return b;
            }

            @Override
            public int skip(int count) {
                int k = Math.max(0, Math.min(count, files.size() - pos));
                pos += k;
                return k;
            }

            @Override
            public void close() {
            }
        };
    }

    /** Decodes image {@code index}, resizes, crops and writes it to {@code out} at {@code offset}. */
    private void load(int index, float[] out, int offset) throws IOException {
        Path file = files.get(index);
        BufferedImage img;
        try {
            img = ImageIO.read(file.toFile());
        } catch (IOException e) {
            if (!Files.exists(file)) {
                throw e;
            }
            throw new InvalidDataException(file, "cannot decode image " + index + " (of " + files.size() + "): "
                    + e.getMessage(), e);
        }
        if (img == null) {
            throw new InvalidDataException(file, "no image decoder recognises image " + index + " (of "
                    + files.size() + "); expected PNG, JPEG, BMP or GIF content");
        }
        int h = img.getHeight();
        int w = img.getWidth();
        int[] r = resized(h, w, resize);
        if (crop > 0) {
            if (r[0] < crop || r[1] < crop) {
                throw new InvalidDataException(file, "image " + index + " is " + w + "x" + h + " (width x height)"
                        + (resize > 0 ? ", " + r[1] + "x" + r[0] + " after resizing to " + resize : "")
                        + ", smaller than the " + crop + "x" + crop + " crop");
            }
        } else if (r[0] != outH || r[1] != outW) {
            throw new InvalidDataException(file, "image " + index + " is " + w + "x" + h + " (width x height)"
                    + (resize > 0 ? ", " + r[1] + "x" + r[0] + " after resizing to " + resize : "")
                    + ", but the first image " + files.get(0).getFileName() + " gives " + outW + "x" + outH
                    + "; set a crop size to bring all images to one size");
        }
        float[] planes = planes(img, mode);
        int top = (r[0] - outH) / 2;
        int left = (r[1] - outW) / 2;
        Resampler.resizeCrop(planes, mode.channels(), h, w, r[0], r[1], top, left, outH, outW, 255f, out, offset);
    }

    /**
     * The image as CHW float planes of values 0..255: the stored samples for grayscale images, sRGB
     * for everything else (alpha dropped); converted to the requested mode.
     */
    static float[] planes(BufferedImage img, ColorMode mode) {
        int h = img.getHeight();
        int w = img.getWidth();
        int n = h * w;
        ColorModel cm = img.getColorModel();
        boolean gray = !(cm instanceof IndexColorModel) && cm.getColorSpace().getType() == ColorSpace.TYPE_GRAY
                && cm.getNumColorComponents() == 1;
        float[] out = new float[mode.channels() * n];
        if (gray) {
            Raster raster = img.getRaster();
            int[] samples = raster.getSamples(0, 0, w, h, 0, (int[]) null);
            int bits = cm.getComponentSize(0);
            double max = (1L << bits) - 1;
            for (int i = 0; i < n; i++) {
                out[i] = bits == 8 ? samples[i] : (float) (samples[i] * 255.0 / max);
            }
            if (mode == ColorMode.RGB) {
                System.arraycopy(out, 0, out, n, n);
                System.arraycopy(out, 0, out, 2 * n, n);
            }
            return out;
        }
        int[] argb = img.getRGB(0, 0, w, h, null, 0, w);
        for (int i = 0; i < n; i++) {
            int p = argb[i];
            int r = (p >> 16) & 0xFF;
            int g = (p >> 8) & 0xFF;
            int b = p & 0xFF;
            if (mode == ColorMode.RGB) {
                out[i] = r;
                out[n + i] = g;
                out[2 * n + i] = b;
            } else {
                out[i] = (float) (0.299 * r + 0.587 * g + 0.114 * b);
            }
        }
        return out;
    }

    @Override
    public String toString() {
        return "image " + (files.size() == 1 && root.equals(files.get(0)) ? "file " : "folder ") + root + ": "
                + files.size() + " x " + channels() + "x" + outH + "x" + outW
                + (labels != null ? ", " + classNames.size() + " classes" : "");
    }
}
