package dev.thinet4j.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.ZipException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * IDX images (MNIST / Fashion-MNIST): magic {@code 0x00000803}, unsigned bytes [n, rows, cols],
 * plain or gzip-compressed. Values are divided by 255 into {@code [0, 1]}; one channel. Read
 * sequentially, one batch at a time.
 */
final class IdxImageSource extends AbstractImageSource {
    private static final Logger LOG = LoggerFactory.getLogger(IdxImageSource.class);

    private final Path file;
    private final boolean gzip;
    private final int count;
    private final int rows;
    private final int cols;
    private final int dataOffset;

    private IdxImageSource(Path file, boolean gzip, int count, int rows, int cols, int dataOffset) {
        this.file = file;
        this.gzip = gzip;
        this.count = count;
        this.rows = rows;
        this.cols = cols;
        this.dataOffset = dataOffset;
    }

    /** Reads and checks the header; for plain files also checks the file length. */
    static IdxImageSource open(Path file, boolean gzip) throws IOException {
        Idx.Header h;
        try (InputStream in = DataStreams.open(file, gzip)) {
            h = Idx.read(in, file, "images");
        } catch (ZipException e) {
            throw new InvalidDataException(file, "corrupt gzip data in the IDX header: " + e.getMessage(), e);
        }
        int ndims = h.dims().length;
        if (h.type() != Idx.TYPE_UBYTE) {
            throw new InvalidDataException(file, "IDX element type 0x" + String.format("%02X", h.type()) + " ("
                    + Idx.typeName(h.type()) + ") at offset 2 is not supported; expected 0x08 (unsigned byte)");
        }
        if (ndims != 3) {
            throw new InvalidDataException(file, "IDX images need magic 0x00000803 (3 dimensions: images, rows, "
                    + "cols), found " + Idx.magic(h.type(), ndims) + " (" + ndims + " dimension"
                    + (ndims == 1 ? "; this looks like an IDX label file" : "s") + ")");
        }
        int n = h.dims()[0];
        int rows = h.dims()[1];
        int cols = h.dims()[2];
        if (n < 1 || rows < 1 || cols < 1) {
            throw new InvalidDataException(file, "IDX header declares " + n + " images of " + rows + "x" + cols
                    + "; expected at least 1 image of at least 1x1");
        }
        if ((long) rows * cols > Integer.MAX_VALUE / 4) {
            throw new InvalidDataException(file, "IDX images of " + rows + "x" + cols + " are too large: one image"
                    + " needs " + (long) rows * cols + " bytes, " + (4L * rows * cols) + " as float32; at most "
                    + (Integer.MAX_VALUE / 4) + " pixels per image are supported");
        }
        if (!gzip) {
            long imageBytes = (long) rows * cols;
            long expected = h.dataOffset() + n * imageBytes;
            long actual = Files.size(file);
            if (actual < expected) {
                long complete = Math.max(0, (actual - h.dataOffset()) / imageBytes);
                throw new InvalidDataException(file, "truncated: image " + complete + " (of " + n
                        + ") is incomplete: the header declares " + n + " images of " + rows + "x" + cols
                        + " = " + expected + " bytes but the file has " + actual + " bytes");
            }
            if (actual > expected) {
                LOG.warn("{}: {} trailing bytes after the {} images declared by the IDX header are ignored",
                        file, actual - expected, n);
            }
        }
        LOG.debug("{}: IDX images, {} x {}x{}{}", file, n, rows, cols, gzip ? " (gzip)" : "");
        return new IdxImageSource(file, gzip, n, rows, cols, h.dataOffset());
    }

    @Override
    public int channels() {
        return 1;
    }

    @Override
    public int height() {
        return rows;
    }

    @Override
    public int width() {
        return cols;
    }

    @Override
    public int size() {
        return count;
    }

    @Override
    Cursor openCursor(int batchHint) throws IOException {
        InputStream in = DataStreams.open(file, gzip);
        try {
            long skipped = DataStreams.skipUpTo(in, dataOffset);
            if (skipped < dataOffset) {
                throw new InvalidDataException(file, "truncated: the file ends inside the IDX header");
            }
        } catch (IOException | RuntimeException e) {
            in.close();
            throw e;
        }
        return new IdxCursor(in);
    }

    @Override
    public String toString() {
        return "IDX images " + file + (gzip ? " (gzip)" : "") + ": " + count + " x 1x" + rows + "x" + cols;
    }

    private final class IdxCursor implements Cursor {
        private final InputStream in;
        private final int imageBytes = rows * cols;
        private byte[] buffer = new byte[0];
        private int pos;

        IdxCursor(InputStream in) {
            this.in = in;
        }

        @Override
        public Batch read(int max) throws IOException {
            int k = Math.min(max, count - pos);
            if (k <= 0) {
                return null;
            }
            int len = k * imageBytes;
            if (buffer.length < len) {
                buffer = new byte[len];
            }
            int got;
            try {
                got = DataStreams.readUpTo(in, buffer, 0, len);
            } catch (ZipException e) {
                throw new InvalidDataException(file, "corrupt gzip data while reading image " + pos + " (of "
                        + count + "): " + e.getMessage(), e);
            }
            if (got < len) {
                throw truncated(got);
            }
            float[] out = new float[len];
            for (int i = 0; i < len; i++) {
                out[i] = (buffer[i] & 0xFF) / 255f;
            }
            Batch b = new Batch(out, k, 1, rows, cols, null, pos);
            pos += k;
            return b;
        }

        @Override
        public int skip(int n) throws IOException {
            int k = Math.min(n, count - pos);
            if (k <= 0) {
                return 0;
            }
            long want = (long) k * imageBytes;
            long got;
            try {
                got = DataStreams.skipUpTo(in, want);
            } catch (ZipException e) {
                throw new InvalidDataException(file, "corrupt gzip data while skipping to image " + (pos + k)
                        + ": " + e.getMessage(), e);
            }
            if (got < want) {
                throw truncated(got);
            }
            pos += k;
            return k;
        }

        private InvalidDataException truncated(long got) {
            long image = pos + got / imageBytes;
            long end = dataOffset + (long) pos * imageBytes + got;
            return new InvalidDataException(file, "truncated: image " + image + " (of " + count
                    + ") is incomplete: the " + (gzip ? "decompressed " : "") + "data ends at byte " + end
                    + " but " + count + " images of " + rows + "x" + cols + " need "
                    + (dataOffset + (long) count * imageBytes) + " bytes");
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }
}
