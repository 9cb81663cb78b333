package dev.thinet4j.data;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.ZipException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A NumPy {@code .npy} array of images, shape [N, C, H, W] or [N, H, W] (one channel), C order,
 * little-endian {@code float32}, {@code float64} (cast to float32) or {@code uint8} (divided by 255
 * when {@code scaleUint8}). Plain or gzip-compressed; read sequentially, one batch at a time.
 */
final class NpyImageSource extends AbstractImageSource {
    private static final Logger LOG = LoggerFactory.getLogger(NpyImageSource.class);

    private final Path file;
    private final boolean gzip;
    private final Npy.Header header;
    private final boolean scaleUint8;
    private final int count;
    private final int channels;
    private final int height;
    private final int width;

    private NpyImageSource(Path file, boolean gzip, Npy.Header header, boolean scaleUint8) {
        this.file = file;
        this.gzip = gzip;
        this.header = header;
        this.scaleUint8 = scaleUint8;
        long[] s = header.shape();
        this.count = (int) s[0];
        this.channels = s.length == 4 ? (int) s[1] : 1;
        this.height = (int) s[s.length - 2];
        this.width = (int) s[s.length - 1];
    }

    static NpyImageSource open(Path file, boolean gzip, boolean scaleUint8) throws IOException {
        Npy.Header h;
        try (InputStream in = DataStreams.open(file, gzip)) {
            h = Npy.read(in, file);
        } catch (ZipException e) {
            throw new InvalidDataException(file, "corrupt gzip data in the NPY header: " + e.getMessage(), e);
        }
        if (h.fortranOrder()) {
            throw new InvalidDataException(file, "NPY array " + h.shapeText() + " is stored in Fortran order "
                    + "(fortran_order: True); only C order is supported (save numpy.ascontiguousarray(arr))");
        }
        Npy.DType t = h.dtype();
        if (t != Npy.DType.F4 && t != Npy.DType.F8 && t != Npy.DType.U1) {
            throw new InvalidDataException(file, "NPY dtype '" + h.descr() + "' is not supported for images;"
                    + " expected '<f4' (float32), '<f8' (float64) or '|u1' (uint8)");
        }
        long[] s = h.shape();
        if (s.length != 3 && s.length != 4) {
            throw new InvalidDataException(file, "NPY array shape " + h.shapeText() + " has " + s.length
                    + " dimension(s); expected images as [N, C, H, W] or [N, H, W]");
        }
        for (int i = 0; i < s.length; i++) {
            if (s[i] < 1 || s[i] > Integer.MAX_VALUE) {
                throw new InvalidDataException(file, "NPY array shape " + h.shapeText() + ": dimension " + i
                        + " is " + s[i] + ", expected 1.." + Integer.MAX_VALUE);
            }
        }
        long imageBytes; // of one image; -1 when over 2^63
        try {
            imageBytes = t.bytes;
            for (int i = 1; i < s.length; i++) {
                imageBytes = Math.multiplyExact(imageBytes, s[i]);
            }
        } catch (ArithmeticException e) {
            imageBytes = -1;
        }
        if (imageBytes < 0 || imageBytes > Integer.MAX_VALUE / 2) {
            throw new InvalidDataException(file, "NPY images of shape " + h.shapeText() + " are too large: one image"
                    + " of '" + h.descr() + "' values needs " + (imageBytes < 0 ? "over 2^63" : imageBytes)
                    + " bytes, more than the " + (Integer.MAX_VALUE / 2) + " bytes a batch may hold");
        }
        long dataBytes = s[0] * imageBytes; // < 2^31 · 2^30

        if (s.length == 4 && s[1] > 4 && (s[3] == 1 || s[3] == 3)) {
            LOG.warn("{}: shape {} looks like NHWC (channels last); it is read as NCHW with {} channels",
                    file, h.shapeText(), s[1]);
        }
        if (!gzip) {
            long expected = h.dataOffset() + dataBytes;
            long actual = Files.size(file);
            if (actual < expected) {
                long complete = Math.max(0, (actual - h.dataOffset()) / imageBytes);
                throw new InvalidDataException(file, "truncated: image " + complete + " (of " + s[0]
                        + ") is incomplete: header " + h.shapeText() + " '" + h.descr() + "' needs " + expected
                        + " bytes but the file has " + actual);
            }
            if (actual > expected) {
                LOG.warn("{}: {} trailing bytes after the NPY array {} are ignored", file, actual - expected,
                        h.shapeText());
            }
        }
        LOG.debug("{}: NPY v{}.{} '{}' {}{}", file, h.major(), h.minor(), h.descr(), h.shapeText(),
                gzip ? " (gzip)" : "");
        return new NpyImageSource(file, gzip, h, scaleUint8);
    }

    @Override
    public int channels() {
        return channels;
    }

    @Override
    public int height() {
        return height;
    }

    @Override
    public int width() {
        return width;
    }

    @Override
    public int size() {
        return count;
    }

    @Override
    Cursor openCursor(int batchHint) throws IOException {
        InputStream in = DataStreams.open(file, gzip);
        try {
            if (DataStreams.skipUpTo(in, header.dataOffset()) < header.dataOffset()) {
                throw new InvalidDataException(file, "truncated: the file ends inside the NPY header");
            }
        } catch (IOException | RuntimeException e) {
            in.close();
            throw e;
        }
        return new NpyCursor(in);
    }

    @Override
    public String toString() {
        return "NPY images " + file + (gzip ? " (gzip)" : "") + ": '" + header.descr() + "' " + count + " x "
                + channels + "x" + height + "x" + width;
    }

    private final class NpyCursor implements Cursor {
        private final InputStream in;
        private final int imageElems = channels * height * width;
        private final int imageBytes = imageElems * header.dtype().bytes;
        private byte[] buffer = new byte[0];
        private int pos;

        NpyCursor(InputStream in) {
            this.in = in;
        }

        @Override
        public Batch read(int max) throws IOException {
            int k = Math.min(Math.min(max, count - pos), Integer.MAX_VALUE / 2 / imageBytes);
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
            float[] out = new float[k * imageElems];
            ByteBuffer bb = ByteBuffer.wrap(buffer, 0, len).order(ByteOrder.LITTLE_ENDIAN);
            switch (header.dtype()) {
                case F4 -> bb.asFloatBuffer().get(out);
                case F8 -> {
                    var db = bb.asDoubleBuffer();
                    for (int i = 0; i < out.length; i++) {
                        out[i] = (float) db.get(i);
                    }
                }
                case U1 -> {
                    if (scaleUint8) {
                        for (int i = 0; i < out.length; i++) {
                            out[i] = (buffer[i] & 0xFF) / 255f;
                        }
                    } else {
                        for (int i = 0; i < out.length; i++) {
                            out[i] = buffer[i] & 0xFF;
                        }
                    }
                }
                default -> throw new IllegalStateException("dtype " + header.dtype());
            }
            if (header.dtype().isFloat()) {
                checkFinite(out);
            }
            Batch b = new Batch(out, k, channels, height, width, null, pos);
            pos += k;
            return b;
        }

        private void checkFinite(float[] out) {
            for (int i = 0; i < out.length; i++) {
                if (!Float.isFinite(out[i])) {
                    int image = pos + i / imageElems;
                    int r = i % imageElems;
                    int c = r / (height * width);
                    int y = r / width % height;
                    int x = r % width;
                    String what = Float.isNaN(out[i]) ? "NaN"
                            : header.dtype() == Npy.DType.F8 ? "a value out of float32 range (" + out[i] + ")"
                            : String.valueOf(out[i]);
                    throw new InvalidDataException(file, "image " + image + " (of " + count + ") contains " + what
                            + " at channel " + c + ", row " + y + ", column " + x
                            + "; image data must be finite");
                }
            }
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
            long end = header.dataOffset() + (long) pos * imageBytes + got;
            return new InvalidDataException(file, "truncated: image " + image + " (of " + count
                    + ") is incomplete: the " + (gzip ? "decompressed " : "") + "data ends at byte " + end
                    + " but the array " + header.shapeText() + " '" + header.descr() + "' needs "
                    + (header.dataOffset() + (long) count * imageBytes) + " bytes");
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }
}
