package dev.thinet4j.data;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPOutputStream;

/** Hand-built file contents for the tests (written from the format descriptions, not by the readers). */
final class TestData {
    private TestData() {
    }

    /** An IDX file: 00 00 type ndims, big-endian sizes, then the raw data. */
    static byte[] idx(int type, int[] dims, byte[] data) {
        ByteBuffer b = ByteBuffer.allocate(4 + 4 * dims.length + data.length).order(ByteOrder.BIG_ENDIAN);
        b.put((byte) 0).put((byte) 0).put((byte) type).put((byte) dims.length);
        for (int d : dims) {
            b.putInt(d);
        }
        b.put(data);
        return b.array();
    }

    static byte[] gzip(byte[] data) {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(bos)) {
            gz.write(data);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bos.toByteArray();
    }

    /**
     * An NPY file: magic, version, little-endian header length (2 bytes for v1, 4 for v2/v3), the dict
     * text padded with spaces and ended by a newline so the data starts at a multiple of 64.
     */
    static byte[] npy(int major, String dict, byte[] data) {
        int lenBytes = major == 1 ? 2 : 4;
        int pre = 8 + lenBytes;
        StringBuilder h = new StringBuilder(dict);
        while ((pre + h.length() + 1) % 64 != 0) {
            h.append(' ');
        }
        h.append('\n');
        byte[] text = h.toString().getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer b = ByteBuffer.allocate(pre + text.length + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put(new byte[]{(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) major, 0});
        if (major == 1) {
            b.putShort((short) text.length);
        } else {
            b.putInt(text.length);
        }
        b.put(text).put(data);
        return b.array();
    }

    static String dict(String descr, boolean fortran, String shape) {
        return "{'descr': '" + descr + "', 'fortran_order': " + (fortran ? "True" : "False") + ", 'shape': " + shape
                + ", }";
    }

    static byte[] f4(float... values) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        return b.array();
    }

    static byte[] f8(double... values) {
        ByteBuffer b = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (double v : values) {
            b.putDouble(v);
        }
        return b.array();
    }

    static byte[] i8(long... values) {
        ByteBuffer b = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (long v : values) {
            b.putLong(v);
        }
        return b.array();
    }

    static byte[] i4(int... values) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (int v : values) {
            b.putInt(v);
        }
        return b.array();
    }

    static byte[] u1(int... values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            b[i] = (byte) values[i];
        }
        return b;
    }

    /** All batches of a source concatenated. */
    static List<Batch> all(ImageSource source, int batchSize) {
        List<Batch> out = new ArrayList<>();
        for (Batch b : source.batches(batchSize)) {
            out.add(b);
        }
        return out;
    }

    /** All images of a source as one array. */
    static float[] pixels(ImageSource source, int batchSize) {
        List<Batch> batches = all(source, batchSize);
        int total = batches.stream().mapToInt(b -> b.images().length).sum();
        float[] out = new float[total];
        int at = 0;
        for (Batch b : batches) {
            System.arraycopy(b.images(), 0, out, at, b.images().length);
            at += b.images().length;
        }
        return out;
    }
}
