package dev.thinet4j.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.stream.IntStream;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BatchingTest {
    @TempDir
    Path dir;

    /** n images of 1x2x2 where every value of image i is i + 0.5, and label i % 3. */
    private static ImageSource numbered(int n) {
        float[] data = new float[n * 4];
        for (int i = 0; i < data.length; i++) {
            data[i] = i / 4 + 0.5f;
        }
        return ImageSources.fromArray(data, n, 1, 2, 2, IntStream.range(0, n).map(i -> i % 3).toArray());
    }

    private static List<Integer> sizes(List<Batch> batches) {
        return batches.stream().map(Batch::n).toList();
    }

    private static List<Integer> offsets(List<Batch> batches) {
        return batches.stream().map(Batch::offset).toList();
    }

    @Test
    void batchesOfSevenOverTwentyImages() throws IOException {
        try (ImageSource s = numbered(20)) {
            List<Batch> first = TestData.all(s, 7);
            assertEquals(List.of(7, 7, 6), sizes(first));
            assertEquals(List.of(0, 7, 14), offsets(first));
            assertEquals(14.5f, first.get(2).get(0, 0, 0, 0));
            assertEquals(19.5f, first.get(2).get(5, 0, 1, 1));
            assertArrayEquals(new int[]{2, 0, 1, 2, 0, 1}, first.get(2).labels());
            List<Batch> second = TestData.all(s, 7);
            assertEquals(first, second);
            assertNotSame(first.get(0).images(), second.get(0).images());
        }
        // the same on an IDX file, which re-opens the file for every pass
        byte[] pixels = new byte[20 * 4];
        for (int i = 0; i < pixels.length; i++) {
            pixels[i] = (byte) (i / 4);
        }
        Path f = Files.write(dir.resolve("twenty.idx"), TestData.idx(0x08, new int[]{20, 2, 2}, pixels));
        try (ImageSource s = ImageSources.open(f)) {
            Iterable<Batch> batches = s.batches(7);
            List<Batch> a = new ArrayList<>();
            batches.forEach(a::add);
            List<Batch> b = new ArrayList<>();
            batches.forEach(b::add);
            assertEquals(List.of(7, 7, 6), sizes(a));
            assertEquals(List.of(0, 7, 14), offsets(a));
            assertEquals(a, b);
            assertEquals(19 / 255f, a.get(2).get(5, 0, 0, 0));
        }
    }

    @Test
    void twoIteratorsAtOnceAreIndependent() throws IOException {
        Path f = Files.write(dir.resolve("x.idx"), TestData.idx(0x08, new int[]{5, 1, 1}, TestData.u1(0, 1, 2, 3, 4)));
        try (ImageSource s = ImageSources.open(f)) {
            Iterator<Batch> a = s.batches(2).iterator();
            Iterator<Batch> b = s.batches(3).iterator();
            assertEquals(0, a.next().offset());
            assertArrayEquals(new float[]{0, 1 / 255f, 2 / 255f}, b.next().images());
            assertArrayEquals(new float[]{2 / 255f, 3 / 255f}, a.next().images());
        }
    }

    @Test
    void closedSourceRefusesIteration() {
        ImageSource s = numbered(3);
        Iterator<Batch> it = s.batches(1).iterator();
        it.next();
        s.close();
        assertThrows(IllegalStateException.class, () -> s.batches(1));
        assertThrows(IllegalStateException.class, it::hasNext);
        assertThrows(IllegalArgumentException.class, () -> numbered(1).batches(0));
    }

    @Test
    void limitAndSelect() {
        try (ImageSource s = numbered(10).limit(4)) {
            assertEquals(4, s.size());
            List<Batch> b = TestData.all(s, 3);
            assertEquals(List.of(3, 1), sizes(b));
            assertEquals(3.5f, b.get(1).get(0, 0, 0, 0));
        }
        try (ImageSource s = ImageSources.limit(numbered(3), 50)) {
            assertEquals(3, s.size());
            assertEquals(List.of(3), sizes(TestData.all(s, 8)));
        }
        try (ImageSource s = ImageSources.select(numbered(10), new int[]{8, 1, 2, 5})) {
            List<Batch> b = TestData.all(s, 3);
            assertEquals(List.of(3, 1), sizes(b));
            assertEquals(List.of(0, 3), offsets(b));
            assertEquals(1.5f, b.get(0).get(0, 0, 0, 0));
            assertEquals(2.5f, b.get(0).get(1, 0, 0, 0));
            assertEquals(5.5f, b.get(0).get(2, 0, 0, 0));
            assertEquals(8.5f, b.get(1).get(0, 0, 0, 0));
            assertArrayEquals(new int[]{1, 2, 2}, b.get(0).labels());
        }
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> ImageSources.select(numbered(10), new int[]{1, 1})).getMessage().contains("selected twice"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> ImageSources.select(numbered(10), new int[]{10})).getMessage()
                .contains("image index 10 is out of range"));
    }

    @Test
    void sampleIndicesErrorsAndDeterminism() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ImageSources.sampleIndices(120, 500, 1));
        assertEquals("asked for 500 images but the data has 120", e.getMessage());
        assertArrayEquals(ImageSources.sampleIndices(1000, 50, 42), ImageSources.sampleIndices(1000, 50, 42));
        assertFalse(Arrays.equals(ImageSources.sampleIndices(1000, 50, 42), ImageSources.sampleIndices(1000, 50, 43)));
        assertArrayEquals(IntStream.range(0, 7).toArray(), ImageSources.sampleIndices(7, 7, 3));
        try (ImageSource s = ImageSources.sample(numbered(30), 5, 9)) {
            int[] idx = ImageSources.sampleIndices(30, 5, 9);
            Batch b = TestData.all(s, 5).get(0);
            for (int i = 0; i < 5; i++) {
                assertEquals(idx[i] + 0.5f, b.get(i, 0, 0, 0));
            }
        }
    }

    @Test
    void foreignSourcesAreRebatched() {
        // a user-written source that always delivers batches of 3, ignoring the requested size
        ImageSource foreign = new ImageSource() {
            @Override
            public int channels() {
                return 1;
            }

            @Override
            public int height() {
                return 1;
            }

            @Override
            public int width() {
                return 1;
            }

            @Override
            public int size() {
                return -1;
            }

            @Override
            public Iterable<Batch> batches(int batchSize) {
                return () -> IntStream.range(0, 3)
                        .mapToObj(k -> new Batch(new float[]{3 * k, 3 * k + 1, 3 * k + 2}, 3, 1, 1, 1, null, 3 * k))
                        .iterator();
            }
        };
        try (ImageSource s = ImageSources.normalize(ImageSources.limit(foreign, 8), Normalization.of(1, 2))) {
            assertEquals(-1, s.size());
            List<Batch> b = TestData.all(s, 5);
            assertEquals(List.of(5, 3), sizes(b));
            assertArrayEquals(new float[]{-0.5f, 0, 0.5f, 1, 1.5f}, b.get(0).images());
            assertArrayEquals(new float[]{2, 2.5f, 3}, b.get(1).images());
        }
    }

    @Property(tries = 60)
    void batchesCoverEveryImageOnceInOrder(@ForAll @IntRange(min = 1, max = 40) int n,
                                           @ForAll @IntRange(min = 1, max = 50) int batchSize) {
        try (ImageSource s = numbered(n)) {
            List<Batch> batches = TestData.all(s, batchSize);
            assertEquals((n + batchSize - 1) / batchSize, batches.size());
            int expectedOffset = 0;
            for (Batch b : batches) {
                assertEquals(expectedOffset, b.offset());
                assertTrue(b.n() == batchSize || b.offset() + b.n() == n);
                for (int i = 0; i < b.n(); i++) {
                    assertEquals(b.offset() + i + 0.5f, b.get(i, 0, 1, 1));
                    assertEquals((b.offset() + i) % 3, b.label(i));
                }
                expectedOffset += b.n();
            }
            assertEquals(n, expectedOffset);
        }
    }

    @Property(tries = 100)
    void sampleIndicesAreDistinctSortedAndInRange(@ForAll @IntRange(min = 0, max = 300) int size,
                                                  @ForAll @IntRange(min = 0, max = 300) int count,
                                                  @ForAll long seed) {
        if (count > size) {
            assertThrows(IllegalArgumentException.class, () -> ImageSources.sampleIndices(size, count, seed));
            return;
        }
        int[] idx = ImageSources.sampleIndices(size, count, seed);
        assertEquals(count, idx.length);
        for (int i = 0; i < idx.length; i++) {
            assertTrue(idx[i] >= 0 && idx[i] < size);
            assertTrue(i == 0 || idx[i] > idx[i - 1]);
        }
        assertArrayEquals(idx, ImageSources.sampleIndices(size, count, seed));
    }

    @Property(tries = 40)
    void selectionMatchesDirectIndexing(@ForAll @IntRange(min = 1, max = 30) int n,
                                        @ForAll @IntRange(min = 1, max = 30) int count,
                                        @ForAll @IntRange(min = 1, max = 8) int batchSize,
                                        @ForAll long seed) {
        int k = Math.min(n, count);
        int[] idx = ImageSources.sampleIndices(n, k, seed);
        try (ImageSource s = ImageSources.select(numbered(n), idx)) {
            float[] all = TestData.pixels(s, batchSize);
            for (int i = 0; i < k; i++) {
                assertEquals(idx[i] + 0.5f, all[4 * i]);
            }
        }
    }
}
