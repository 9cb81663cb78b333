package dev.thinet4j.data;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * Reads class labels, one integer per image. The format is detected from the content, and any of
 * them may be gzip-compressed (detected by the magic bytes {@code 1F 8B}):
 * <ul>
 *   <li>IDX label files (MNIST {@code idx1-ubyte}): magic {@code 0x00000801}, then one unsigned byte
 *       per label;</li>
 *   <li>NumPy {@code .npy} integer arrays of shape (N,) or (N, 1), dtype {@code uint8}, {@code int8},
 *       {@code (u)int16}, {@code (u)int32} or {@code (u)int64} (little-endian);</li>
 *   <li>text with one integer per line (blank lines and lines starting with {@code #} are skipped).</li>
 * </ul>
 * Labels are small, so they are read whole; files over 1 GiB (after decompression) are refused.
 */
public final class Labels {
    /** Largest label file read, after decompression: 1 GiB (over 100 million labels in any format). */
    static final int MAX_BYTES = 1 << 30;

    private Labels() {
    }

    /**
     * Reads the labels in {@code file}.
     *
     * @param file an IDX, NPY or text label file, optionally gzip-compressed
     * @return one label per image
     * @throws IOException          when the file cannot be read
     * @throws InvalidDataException when the content is malformed, naming the file and the position
     */
    public static int[] read(Path file) throws IOException {
        long size = Files.size(file);
        if (size > MAX_BYTES) {
            throw new InvalidDataException(file, "the label file has " + size + " bytes; label files (after"
                    + " decompression) are limited to " + MAX_BYTES + " bytes");
        }
        byte[] bytes = Files.readAllBytes(file);
        if (DataStreams.isGzip(bytes)) {
            try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(bytes))) {
                bytes = in.readNBytes(MAX_BYTES + 1);
                if (bytes.length > MAX_BYTES) {
                    throw new InvalidDataException(file, "the gzip-compressed labels decompress to more than "
                            + MAX_BYTES + " bytes, the limit for label files");
                }
            } catch (java.io.EOFException e) {
                throw new InvalidDataException(file, "truncated gzip data: the compressed stream ends early", e);
            } catch (ZipException e) {
                throw new InvalidDataException(file, "corrupt gzip data: " + e.getMessage(), e);
            }
        }
        if (Npy.hasMagic(bytes)) {
            return npy(bytes, file);
        }
        if (bytes.length >= 4 && bytes[0] == 0 && bytes[1] == 0) {
            return idx(bytes, file);
        }
        return text(bytes, file);
    }

    /**
     * The number of classes the labels imply: the largest label plus one (0 for no labels).
     *
     * @param labels the labels. Not modified.
     * @return the largest label plus one
     */
    public static int classCount(int[] labels) {
        int max = -1;
        for (int l : labels) {
            max = Math.max(max, l);
        }
        return max + 1;
    }

    private static int[] idx(byte[] bytes, Path file) throws IOException {
        Idx.Header h = Idx.read(new ByteArrayInputStream(bytes), file, "labels");
        if (h.dims().length != 1) {
            throw new InvalidDataException(file, "IDX labels need magic 0x00000801 (1 dimension), found "
                    + Idx.magic(h.type(), h.dims().length) + " (" + h.dims().length + " dimensions"
                    + (h.dims().length == 3 ? "; this looks like an IDX image file" : "") + ")");
        }
        if (h.type() != Idx.TYPE_UBYTE) {
            throw new InvalidDataException(file, "IDX label element type 0x" + String.format("%02X", h.type()) + " ("
                    + Idx.typeName(h.type()) + ") at offset 2 is not supported; expected 0x08 (unsigned byte)");
        }
        int n = h.dims()[0];
        int available = bytes.length - h.dataOffset();
        if (available < n) {
            throw new InvalidDataException(file, "truncated: the header declares " + n + " labels but only "
                    + available + " follow (label " + available + " is missing)");
        }
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = bytes[h.dataOffset() + i] & 0xFF;
        }
        return labels;
    }

    private static int[] npy(byte[] bytes, Path file) throws IOException {
        Npy.Header h = Npy.read(new ByteArrayInputStream(bytes), file);
        long[] s = h.shape();
        if (!(s.length == 1 || (s.length == 2 && s[1] == 1))) {
            throw new InvalidDataException(file, "NPY labels need shape (N,) or (N, 1), found " + h.shapeText());
        }
        if (h.dtype().isFloat()) {
            throw new InvalidDataException(file, "NPY labels need an integer dtype, found '" + h.descr() + "'");
        }
        if (s[0] > Integer.MAX_VALUE) {
            throw new InvalidDataException(file, "NPY label array " + h.shapeText() + " is too long");
        }
        int n = (int) s[0];
        int size = h.dtype().bytes;
        long need = h.dataOffset() + (long) n * size;
        if (bytes.length < need) {
            long complete = Math.max(0, (bytes.length - h.dataOffset()) / size);
            throw new InvalidDataException(file, "truncated: the array " + h.shapeText() + " '" + h.descr()
                    + "' needs " + need + " bytes but the data has " + bytes.length + " (label " + complete
                    + " is missing)");
        }
        if (h.fortranOrder() && s.length > 1 && s[1] != 1) {
            throw new InvalidDataException(file, "NPY labels in Fortran order are not supported");
        }
        ByteBuffer bb = ByteBuffer.wrap(bytes, (int) h.dataOffset(), n * size).slice().order(ByteOrder.LITTLE_ENDIAN);
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            long v = switch (h.dtype()) {
                case U1 -> bb.get(i) & 0xFF;
                case I1 -> bb.get(i);
                case I2 -> bb.getShort(2 * i);
                case U2 -> bb.getShort(2 * i) & 0xFFFF;
                case I4 -> bb.getInt(4 * i);
                case U4 -> bb.getInt(4 * i) & 0xFFFFFFFFL;
                case I8, U8 -> bb.getLong(8 * i);
                default -> throw new IllegalStateException("dtype " + h.dtype());
            };
            boolean unsigned64 = h.dtype() == Npy.DType.U8 && v < 0;
            if (unsigned64 || v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
                throw new InvalidDataException(file, "label " + i + " is "
                        + (unsigned64 ? Long.toUnsignedString(v) : String.valueOf(v)) + ", outside the int range");
            }
            labels[i] = (int) v;
        }
        return labels;
    }

    private static int[] text(byte[] bytes, Path file) {
        for (int i = 0; i < Math.min(bytes.length, 4096); i++) {
            if (bytes[i] == 0) {
                throw new InvalidDataException(file, "not a label file: found a zero byte at offset " + i
                        + "; expected IDX labels (magic 00 00 08 01), NPY (magic 93 NUMPY) or text with one integer"
                        + " per line (first bytes: " + DataStreams.hex(bytes, 8) + ")");
            }
        }
        String content = new String(bytes, StandardCharsets.UTF_8);
        if (content.startsWith("\uFEFF")) {
            content = content.substring(1);
        }
        String[] lines = content.split("\r?\n|\r", -1);
        int[] labels = new int[lines.length];
        int n = 0;
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            try {
                labels[n++] = Integer.parseInt(line);
            } catch (NumberFormatException e) {
                String shown = line.length() > 40 ? line.substring(0, 40) + "..." : line;
                throw new InvalidDataException(file, "line " + (i + 1) + ": expected one integer label, found \""
                        + shown + "\"", e);
            }
        }
        if (n == 0) {
            throw new InvalidDataException(file, "no labels found: the text file has no integer lines");
        }
        return java.util.Arrays.copyOf(labels, n);
    }
}
