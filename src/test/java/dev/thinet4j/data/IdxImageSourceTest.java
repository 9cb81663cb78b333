package dev.thinet4j.data;

import static dev.thinet4j.data.TestData.gzip;
import static dev.thinet4j.data.TestData.idx;
import static dev.thinet4j.data.TestData.u1;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxImageSourceTest {
    @TempDir
    Path dir;

    /** Three 2x3 images with distinct known bytes. */
    private static final int[] PIXELS = {
            0, 255, 128, 1, 2, 3,
            10, 20, 30, 40, 50, 60,
            254, 253, 252, 251, 250, 249};

    private static float[] expected(int... bytes) {
        float[] f = new float[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            f[i] = (float) (bytes[i] / 255.0);
        }
        return f;
    }

    private Path write(String name, byte[] content) throws IOException {
        return Files.write(dir.resolve(name), content);
    }

    @Test
    void readsPlainIdxAsScaledFloats() throws IOException {
        Path f = write("images.bin", idx(0x08, new int[]{3, 2, 3}, u1(PIXELS)));
        assertEquals(DataFormat.IDX, ImageSources.detect(f));
        try (ImageSource s = ImageSources.open(f)) {
            assertEquals(1, s.channels());
            assertEquals(2, s.height());
            assertEquals(3, s.width());
            assertEquals(3, s.size());
            assertFalse(s.hasLabels());
            List<Batch> batches = TestData.all(s, 2);
            assertEquals(2, batches.size());
            assertEquals(2, batches.get(0).n());
            assertEquals(0, batches.get(0).offset());
            assertEquals(1, batches.get(1).n());
            assertEquals(2, batches.get(1).offset());
            assertNull(batches.get(0).labels());
            assertArrayEquals(expected(PIXELS), TestData.pixels(s, 2));
            assertEquals(128 / 255.0f, batches.get(0).get(0, 0, 0, 2));
            assertEquals(60 / 255.0f, batches.get(0).get(1, 0, 1, 2));
        }
    }

    @Test
    void gzipIsDetectedByMagicNotName() throws IOException {
        // named .idx, content gzip; and a plain file named .gz
        Path gz = write("images.idx", gzip(idx(0x08, new int[]{3, 2, 3}, u1(PIXELS))));
        Path plain = write("images.gz", idx(0x08, new int[]{3, 2, 3}, u1(PIXELS)));
        assertEquals(DataFormat.IDX_GZIP, ImageSources.detect(gz));
        assertEquals(DataFormat.IDX, ImageSources.detect(plain));
        try (ImageSource a = ImageSources.open(gz); ImageSource b = ImageSources.open(plain)) {
            assertArrayEquals(expected(PIXELS), TestData.pixels(a, 1));
            assertArrayEquals(expected(PIXELS), TestData.pixels(b, 5));
        }
    }

    @Test
    void everyByteValueMapsToItsQuotientBy255() throws IOException {
        int[] all = new int[256];
        Arrays.setAll(all, i -> i);
        Path f = write("all.idx", idx(0x08, new int[]{4, 8, 8}, u1(all)));
        try (ImageSource s = ImageSources.open(f)) {
            float[] got = TestData.pixels(s, 3);
            for (int v = 0; v < 256; v++) {
                assertEquals((float) (v / 255.0), got[v], "byte " + v);
            }
            assertEquals(0f, got[0]);
            assertEquals(1f, got[255]);
        }
    }

    @Test
    void truncatedPlainFileIsReportedAtOpenWithTheImageIndex() throws IOException {
        byte[] full = idx(0x08, new int[]{3, 2, 3}, u1(PIXELS));
        Path f = write("short.idx", Arrays.copyOf(full, full.length - 4)); // image 2 loses 4 of its 6 bytes
        InvalidDataException e = assertThrows(InvalidDataException.class, () -> ImageSources.open(f));
        assertTrue(e.getMessage().startsWith(f.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("truncated: image 2 (of 3)"), e.getMessage());
        assertTrue(e.getMessage().contains("34 bytes but the file has 30"), e.getMessage());
        assertEquals(f, e.file());
    }

    @Test
    void truncatedGzipIsReportedWhileReadingWithTheImageIndex() throws IOException {
        byte[] full = idx(0x08, new int[]{3, 2, 3}, u1(PIXELS));
        Path f = write("short.gz", gzip(Arrays.copyOf(full, 16 + 6 + 2))); // image 1 has 2 of 6 bytes
        try (ImageSource s = ImageSources.open(f)) {
            assertEquals(3, s.size());
            InvalidDataException e = assertThrows(InvalidDataException.class, () -> TestData.all(s, 1));
            assertTrue(e.getMessage().contains("truncated: image 1 (of 3) is incomplete"), e.getMessage());
            assertTrue(e.getMessage().contains("decompressed data ends at byte 24"), e.getMessage());
        }
    }

    @Test
    void gzipStreamCutMidwayIsReportedAsTruncated() throws IOException {
        int[] many = new int[50 * 28 * 28];
        Arrays.setAll(many, i -> (i * 31) & 0xFF);
        byte[] gz = gzip(idx(0x08, new int[]{50, 28, 28}, u1(many)));
        Path f = write("cut.gz", Arrays.copyOf(gz, gz.length / 2));
        try (ImageSource s = ImageSources.open(f)) {
            InvalidDataException e = assertThrows(InvalidDataException.class, () -> TestData.all(s, 10));
            assertTrue(e.getMessage().matches(".*truncated: image \\d+ \\(of 50\\) is incomplete.*"), e.getMessage());
        }
    }

    @Test
    void wrongElementTypeIsRejected() throws IOException {
        Path f = write("float.idx", idx(0x0D, new int[]{1, 1, 1}, new byte[4]));
        InvalidDataException e = assertThrows(InvalidDataException.class, () -> ImageSources.open(f));
        assertTrue(e.getMessage().contains("element type 0x0D (float32) at offset 2 is not supported"),
                e.getMessage());
    }

    @Test
    void labelFileGivenAsImagesIsRejected() throws IOException {
        Path f = write("labels.idx", idx(0x08, new int[]{3}, u1(1, 2, 3)));
        InvalidDataException e = assertThrows(InvalidDataException.class, () -> ImageSources.open(f));
        assertTrue(e.getMessage().contains("need magic 0x00000803"), e.getMessage());
        assertTrue(e.getMessage().contains("found 0x00000801"), e.getMessage());
        assertTrue(e.getMessage().contains("looks like an IDX label file"), e.getMessage());
    }

    @Test
    void unknownContentIsRejectedWithItsFirstBytes() throws IOException {
        Path f = write("junk.idx", new byte[]{'P', 'K', 3, 4, 0, 0, 0, 0});
        InvalidDataException e = assertThrows(InvalidDataException.class, () -> ImageSources.open(f));
        assertTrue(e.getMessage().contains("starts with 50 4B 03 04"), e.getMessage());
        assertTrue(e.getMessage().contains(".npz files are not supported"), e.getMessage());
        Path empty = write("empty", new byte[0]);
        InvalidDataException e2 = assertThrows(InvalidDataException.class, () -> ImageSources.open(empty));
        assertTrue(e2.getMessage().contains("it is empty"), e2.getMessage());
    }

    @Test
    void missingFileIsAnIoError() {
        assertThrows(java.nio.file.NoSuchFileException.class, () -> ImageSources.open(dir.resolve("nope")));
    }

    @Test
    void resizeOrCropForIdxIsRejected() throws IOException {
        Path f = write("images.idx", idx(0x08, new int[]{3, 2, 3}, u1(PIXELS)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ImageSources.open(f, DataOptions.builder().crop(2).build()));
        assertTrue(e.getMessage().contains("resize/crop apply to image files only"), e.getMessage());
    }

    @Test
    void labelsLimitAndNormalizationFromOptions() throws IOException {
        Path f = write("images.idx", idx(0x08, new int[]{3, 2, 3}, u1(PIXELS)));
        Path l = write("labels.gz", gzip(idx(0x08, new int[]{3}, u1(7, 8, 9))));
        DataOptions o = DataOptions.builder().labelsFile(l).limit(2).normalization(Normalization.of(0.5f, 0.25f))
                .build();
        try (ImageSource s = ImageSources.open(f, o)) {
            assertEquals(2, s.size());
            assertTrue(s.hasLabels());
            List<Batch> batches = TestData.all(s, 10);
            assertEquals(1, batches.size());
            assertArrayEquals(new int[]{7, 8}, batches.get(0).labels());
            float[] want = expected(Arrays.copyOf(PIXELS, 12));
            for (int i = 0; i < want.length; i++) {
                want[i] = (want[i] - 0.5f) / 0.25f;
            }
            assertArrayEquals(want, batches.get(0).images());
        }
        Path wrong = write("labels4.idx", idx(0x08, new int[]{4}, u1(1, 2, 3, 4)));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ImageSources.open(f, DataOptions.builder().labelsFile(wrong).build()));
        assertTrue(e.getMessage().contains("has 4 labels but " + f + " has 3 images"), e.getMessage());
        IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class,
                () -> ImageSources.open(f, DataOptions.builder().normalization(Normalization.IMAGENET).build()));
        assertTrue(e2.getMessage().contains("mean has 3 values but IDX images"), e2.getMessage());
        assertTrue(e2.getMessage().contains("has 1 channel; give 1 value"), e2.getMessage());
    }
}
