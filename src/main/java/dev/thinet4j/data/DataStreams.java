package dev.thinet4j.data;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/** Stream helpers shared by the readers. */
final class DataStreams {
    static final int BUFFER = 1 << 16;

    private DataStreams() {
    }

    /** Opens a file for sequential reading, decompressing gzip when asked. */
    static InputStream open(Path file, boolean gzip) throws IOException {
        InputStream raw = Files.newInputStream(file);
        try {
            return gzip ? new GZIPInputStream(raw, BUFFER) : new BufferedInputStream(raw, BUFFER);
        } catch (IOException e) {
            raw.close();
            if (gzip && e instanceof EOFException) {
                throw new InvalidDataException(file, "truncated: the file ends inside the gzip header", e);
            }
            throw e;
        }
    }

    /** The first {@code n} bytes of a file (fewer when the file is shorter). */
    static byte[] head(Path file, int n) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return in.readNBytes(n);
        }
    }

    /** The first {@code n} bytes of the decompressed content of a gzip file (fewer when shorter). */
    static byte[] gzipHead(Path file, int n) throws IOException {
        try (InputStream in = open(file, true)) {
            byte[] b = new byte[n];
            int got = readUpTo(in, b, 0, n);
            return java.util.Arrays.copyOf(b, got);
        } catch (ZipException e) {
            throw new InvalidDataException(file, "corrupt gzip data at the start of the file: " + e.getMessage(), e);
        }
    }

    /** Whether the bytes start with the gzip magic {@code 1F 8B}. */
    static boolean isGzip(byte[] head) {
        return head.length >= 2 && (head[0] & 0xFF) == 0x1F && (head[1] & 0xFF) == 0x8B;
    }

    /**
     * Reads up to {@code len} bytes, returning how many were read: fewer only at the end of the data.
     * A gzip stream that stops without its trailer counts as ended.
     */
    static int readUpTo(InputStream in, byte[] b, int off, int len) throws IOException {
        int done = 0;
        try {
            while (done < len) {
                int r = in.read(b, off + done, len - done);
                if (r < 0) {
                    break;
                }
                done += r;
            }
        } catch (EOFException e) {
            // truncated compressed stream: report what was read
        }
        return done;
    }

    /** Skips up to {@code n} bytes, returning how many were skipped (fewer only at the end). */
    static long skipUpTo(InputStream in, long n) throws IOException {
        long done = 0;
        byte[] scratch = null;
        try {
            while (done < n) {
                long s = in.skip(n - done);
                if (s > 0) {
                    done += s;
                    continue;
                }
                // skip() may return 0 before the end: confirm by reading
                if (scratch == null) {
                    scratch = new byte[(int) Math.min(BUFFER, n)];
                }
                int r = in.read(scratch, 0, (int) Math.min(scratch.length, n - done));
                if (r < 0) {
                    break;
                }
                done += r;
            }
        } catch (EOFException e) {
            // truncated compressed stream
        }
        return done;
    }

    /** Hex dump of bytes for messages, e.g. {@code "50 4B 03 04"}. */
    static String hex(byte[] bytes, int max) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < Math.min(bytes.length, max); i++) {
            if (i > 0) {
                sb.append(' ');
            }
            sb.append(String.format("%02X", bytes[i] & 0xFF));
        }
        return sb.toString();
    }
}
