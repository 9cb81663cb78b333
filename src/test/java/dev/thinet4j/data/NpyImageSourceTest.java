package dev.thinet4j.data;

import static dev.thinet4j.data.TestData.dict;
import static dev.thinet4j.data.TestData.f4;
import static dev.thinet4j.data.TestData.f8;
import static dev.thinet4j.data.TestData.gzip;
import static dev.thinet4j.data.TestData.npy;
import static dev.thinet4j.data.TestData.u1;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NpyImageSourceTest {
    @TempDir
    Path dir;

    private Path write(String name, byte[] content) throws IOException {
        return Files.write(dir.resolve(name), content);
    }

    private static float[] ramp(int n, float start, float step) {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) {
            f[i] = start + i * step;
        }
        return f;
    }

    @Test
    void float32FourDimensionalV1() throws IOException {
        float[] values = ramp(2 * 3 * 2 * 2, -1.5f, 0.25f); // 24 values, exact in binary
        Path f = write("x.npy", npy(1, dict("<f4", false, "(2, 3, 2, 2)"), f4(values)));
        assertEquals(DataFormat.NPY, ImageSources.detect(f));
        try (ImageSource s = ImageSources.open(f)) {
            assertEquals(2, s.size());
            assertEquals(3, s.channels());
            assertEquals(2, s.height());
            assertEquals(2, s.width());
            assertArrayEquals(values, TestData.pixels(s, 1));
            Batch b = TestData.all(s, 2).get(0);
            // image 1, channel 2, row 1, col 0 is element 12 + 8 + 2 = 22
            assertEquals(values[22], b.get(1, 2, 1, 0));
        }
    }

    @Test
    void float32ThreeDimensionalV2GivesOneChannel() throws IOException {
        float[] values = {0.5f, 1.25f, -3f, 7f, 1e-3f, 42f};
        Path f = write("x.bin", npy(2, dict("<f4", false, "(3, 1, 2)"), f4(values)));
        try (ImageSource s = ImageSources.open(f)) {
            assertEquals(1, s.channels());
            assertEquals(1, s.height());
            assertEquals(2, s.width());
            assertEquals(3, s.size());
            List<Batch> batches = TestData.all(s, 2);
            assertEquals(List.of(2, 1), batches.stream().map(Batch::n).toList());
            assertEquals(List.of(0, 2), batches.stream().map(Batch::offset).toList());
            assertArrayEquals(values, TestData.pixels(s, 2));
        }
    }

    @Test
    void version3HeaderAndDoubleQuotesAndKeyOrder() throws IOException {
        String header = "{\"shape\": (1, 1, 1, 2), \"fortran_order\": False, \"descr\": \"<f4\"}";
        Path f = write("v3.npy", npy(3, header, f4(2.5f, -0.125f)));
        try (ImageSource s = ImageSources.open(f)) {
            assertArrayEquals(new float[]{2.5f, -0.125f}, TestData.pixels(s, 4));
        }
    }

    @Test
    void float64IsCastToFloat32() throws IOException {
        double[] values = {0.1, 1.0 / 3, -2.75, 1e10};
        Path f = write("d.npy", npy(1, dict("<f8", false, "(2, 1, 1, 2)"), f8(values)));
        try (ImageSource s = ImageSources.open(f)) {
            float[] want = new float[values.length];
            for (int i = 0; i < values.length; i++) {
                want[i] = (float) values[i];
            }
            assertArrayEquals(want, TestData.pixels(s, 1));
        }
    }

    @Test
    void uint8IsScaledBy255ByDefaultAndKeptWhenAsked() throws IOException {
        int[] bytes = {0, 1, 127, 128, 254, 255, 17, 200};
        Path f = write("u.npy", npy(1, dict("|u1", false, "(2, 2, 2)"), u1(bytes)));
        float[] scaled = new float[bytes.length];
        float[] raw = new float[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            scaled[i] = (float) (bytes[i] / 255.0);
            raw[i] = bytes[i];
        }
        try (ImageSource s = ImageSources.open(f)) {
            assertArrayEquals(scaled, TestData.pixels(s, 3));
        }
        try (ImageSource s = ImageSources.open(f, DataOptions.builder().scaleUint8(false).build())) {
            assertArrayEquals(raw, TestData.pixels(s, 3));
        }
    }

    @Test
    void gzipCompressedNpyIsRead() throws IOException {
        float[] values = ramp(8, 0f, 0.5f);
        Path f = write("x.npy.gz", gzip(npy(1, dict("<f4", false, "(2, 1, 2, 2)"), f4(values))));
        assertEquals(DataFormat.NPY_GZIP, ImageSources.detect(f));
        try (ImageSource s = ImageSources.open(f)) {
            assertArrayEquals(values, TestData.pixels(s, 1));
        }
    }

    @Test
    void fortranOrderIsRejected() throws IOException {
        Path f = write("f.npy", npy(1, dict("<f4", true, "(1, 1, 2, 2)"), f4(1, 2, 3, 4)));
        InvalidDataException e = assertThrows(InvalidDataException.class, () -> ImageSources.open(f));
        assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("Fortran order (fortran_order: True); only C order is supported"),
                e.getMessage());
    }

    @Test
    void badMagicIsRejected() throws IOException {
        byte[] bytes = npy(1, dict("<f4", false, "(1, 1, 1, 1)"), f4(1));
        bytes[1] = 'X';
        Path f = write("bad.npy", bytes);
        InvalidDataException e = assertThrows(InvalidDataException.class, () -> ImageSources.open(f));
        assertTrue(e.getMessage().contains("unrecognised image data: the file starts with 93 58 55 4D"),
                e.getMessage());
    }

    @Test
    void unsupportedVersionIsRejected() throws IOException {
        byte[] bytes = npy(1, dict("<f4", false, "(1, 1, 1, 1)"), f4(1));
        bytes[6] = 4;
        Path f = write("v4.npy", bytes);
        InvalidDataException e = assertThrows(InvalidDataException.class, () -> ImageSources.open(f));
        assertTrue(e.getMessage().contains("NPY format version 4.0 at offset 6 is not supported"), e.getMessage());
    }

    @Test
    void truncatedDataNamesTheImage() throws IOException {
        byte[] full = npy(1, dict("<f4", false, "(3, 1, 2, 2)"), f4(ramp(12, 0, 1)));
        Path f = write("t.npy", Arrays.copyOf(full, full.length - 5)); // image 2 loses 5 of 16 bytes
        InvalidDataException e = assertThrows(InvalidDataException.class, () -> ImageSources.open(f));
        assertTrue(e.getMessage().contains("truncated: image 2 (of 3) is incomplete"), e.getMessage());
        assertTrue(e.getMessage().contains("needs " + full.length + " bytes but the file has " + (full.length - 5)),
                e.getMessage());

        Path g = write("t.npy.gz", gzip(Arrays.copyOf(full, full.length - 5)));
        try (ImageSource s = ImageSources.open(g)) {
            InvalidDataException e2 = assertThrows(InvalidDataException.class, () -> TestData.all(s, 2));
            assertTrue(e2.getMessage().contains("truncated: image 2 (of 3) is incomplete"), e2.getMessage());
        }
    }

    @Test
    void truncatedHeaderIsRejected() throws IOException {
        byte[] full = npy(1, dict("<f4", false, "(3, 1, 2, 2)"), f4(ramp(12, 0, 1)));
        Path f = write("h.npy", Arrays.copyOf(full, 30));
        InvalidDataException e = assertThrows(InvalidDataException.class, () -> ImageSources.open(f));
        assertTrue(e.getMessage().contains("truncated: the NPY header declares 118 bytes at offset 10"),
                e.getMessage());
    }

    @Test
    void nanAndInfinityNameTheImageAndPosition() throws IOException {
        float[] values = ramp(2 * 1 * 2 * 3, 0, 1);
        values[6 + 4] = Float.NaN; // image 1, row 1, col 1
        Path f = write("nan.npy", npy(1, dict("<f4", false, "(2, 1, 2, 3)"), f4(values)));
        try (ImageSource s = ImageSources.open(f)) {
            InvalidDataException e = assertThrows(InvalidDataException.class, () -> TestData.all(s, 2));
            assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
            assertTrue(e.getMessage().contains("image 1 (of 2) contains NaN at channel 0, row 1, column 1"),
                    e.getMessage());
        }
        Path g = write("inf.npy", npy(1, dict("<f8", false, "(1, 1, 1, 2)"), f8(1, 1e300)));
        try (ImageSource s = ImageSources.open(g)) {
            InvalidDataException e = assertThrows(InvalidDataException.class, () -> TestData.all(s, 2));
            assertTrue(e.getMessage().contains("image 0 (of 1) contains a value out of float32 range (Infinity)"
                    + " at channel 0, row 0, column 1"), e.getMessage());
        }
    }

    @Test
    void unsupportedDtypesShapesAndByteOrder() throws IOException {
        Path i4 = write("i4.npy", npy(1, dict("<i4", false, "(1, 1, 1, 1)"), TestData.i4(1)));
        assertTrue(assertThrows(InvalidDataException.class, () -> ImageSources.open(i4)).getMessage()
                .contains("NPY dtype '<i4' is not supported for images"));
        Path be = write("be.npy", npy(1, dict(">f4", false, "(1, 1, 1, 1)"), new byte[4]));
        assertTrue(assertThrows(InvalidDataException.class, () -> ImageSources.open(be)).getMessage()
                .contains("is big-endian"));
        Path flat = write("flat.npy", npy(1, dict("<f4", false, "(4,)"), f4(1, 2, 3, 4)));
        String m = assertThrows(InvalidDataException.class, () -> ImageSources.open(flat)).getMessage();
        assertTrue(m.contains("shape (4,) has 1 dimension(s); expected images as [N, C, H, W] or [N, H, W]"), m);
        Path garbled = write("g.npy", npy(1, "{'descr': '<f4', 'shape': (1, 2", new byte[0]));
        m = assertThrows(InvalidDataException.class, () -> ImageSources.open(garbled)).getMessage();
        assertTrue(m.contains("malformed NPY header"), m);
    }
}
