package dev.thinet4j.reliability;

import dev.thinet4j.data.Batch;
import dev.thinet4j.data.ImageSource;
import dev.thinet4j.data.ImageSources;
import dev.thinet4j.data.InvalidDataException;
import dev.thinet4j.data.Labels;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.zip.GZIPOutputStream;

import static dev.thinet4j.reliability.OnnxFuzzTest.concat;
import static dev.thinet4j.reliability.OnnxFuzzTest.mutate;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Fuzzing of the image readers ({@link ImageSources#open(Path)} and iterating the source) and of
 * {@link Labels#read}: mutated IDX / NPY / gzip / text files and random bytes behind each format's
 * magic number. Only the documented exceptions may escape — {@link InvalidDataException},
 * {@link IllegalArgumentException}, {@link IOException} when opening and {@link UncheckedIOException}
 * while iterating — and every message names the file. Nothing is allocated from a declared size
 * before it is checked (no {@code OutOfMemoryError}), and a source that opens delivers exactly the
 * images it announced, each of the announced shape.
 */
class DataFuzzTest {
    static final List<byte[]> IMAGES = new ArrayList<>();
    static final List<byte[]> LABELS = new ArrayList<>();
    static Path dir;

    @BeforeContainer
    static void seeds() throws IOException {
        Random r = new Random(1);
        // IDX images: 5 of 6×7
        byte[] pixels = new byte[5 * 6 * 7];
        r.nextBytes(pixels);
        byte[] idx = concat(ByteBuffer.allocate(16).putInt(0x803).putInt(5).putInt(6).putInt(7).array(), pixels);
        IMAGES.add(idx);
        IMAGES.add(gzip(idx));
        // NPY float32 (4, 1, 5, 3), uint8 (3, 4, 4), float64 (2, 2, 3, 3), version 2.0 float32 (3, 2, 2)
        IMAGES.add(npy(1, "<f4", "(4, 1, 5, 3)", floats(r, 60, 4)));
        IMAGES.add(npy(1, "|u1", "(3, 4, 4)", bytes(r, 48)));
        IMAGES.add(npy(1, "<f8", "(2, 2, 3, 3)", doubles(r, 36)));
        IMAGES.add(npy(2, "<f4", "(3, 2, 2)", floats(r, 12, 4)));
        IMAGES.add(gzip(IMAGES.get(2)));
        // labels: IDX, gzip IDX, NPY int64 (N,), NPY uint8 (N, 1), text
        byte[] idxLabels = concat(ByteBuffer.allocate(8).putInt(0x801).putInt(10).array(), bytes(r, 10));
        LABELS.add(idxLabels);
        LABELS.add(gzip(idxLabels));
        ByteBuffer longs = ByteBuffer.allocate(80).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 10; i++) {
            longs.putLong(i % 7);
        }
        LABELS.add(npy(1, "<i8", "(10,)", longs.array()));
        LABELS.add(npy(1, "|u1", "(6, 1)", bytes(r, 6)));
        LABELS.add("# labels\n3\n1\n4\n\n1\n5\n".getBytes(StandardCharsets.UTF_8));
        dir = Files.createTempDirectory("thinet4j-data-fuzz");
    }

    @AfterContainer
    static void cleanUp() throws IOException {
        try (var s = Files.walk(dir)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    // ------------------------------------------------------------------ properties

    @Property(tries = 2400, seed = "20261126")
    void mutatedImageFiles(@ForAll @IntRange(min = 0, max = 6) int seedFile, @ForAll long seed,
                           @ForAll @IntRange(min = 1, max = 7) int batch) throws IOException {
        readImages(mutate(IMAGES.get(seedFile), new Random(seed)), batch);
    }

    @Property(tries = 1000, seed = "20261126")
    void randomBytesBehindAnImageMagic(@ForAll @IntRange(min = 0, max = 3) int magic,
                                       @ForAll @Size(max = 300) byte[] tail) throws IOException {
        byte[] head = switch (magic) {
            case 0 -> new byte[]{0, 0, 8, 3};
            case 1 -> new byte[]{(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};
            case 2 -> new byte[]{(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 2, 0};
            default -> new byte[]{0x1F, (byte) 0x8B, 8, 0};
        };
        readImages(concat(head, tail), 3);
    }

    @Property(tries = 1000, seed = "20261126")
    void mutatedLabelFiles(@ForAll @IntRange(min = 0, max = 4) int seedFile, @ForAll long seed) throws IOException {
        readLabels(mutate(LABELS.get(seedFile), new Random(seed)));
    }

    @Property(tries = 500, seed = "20261126")
    void randomLabelBytes(@ForAll @Size(max = 200) byte[] bytes, @ForAll boolean idxMagic) throws IOException {
        readLabels(idxMagic ? concat(new byte[]{0, 0, 8, 1}, bytes) : bytes);
    }

    // ------------------------------------------------------------------ checks

    private static void readImages(byte[] content, int batch) throws IOException {
        Path f = dir.resolve("images.bin");
        Files.write(f, content);
        ImageSource source;
        try {
            source = ImageSources.open(f);
        } catch (InvalidDataException | IllegalArgumentException | IOException expected) {
            assertThat(expected.getMessage()).contains(f.toString());
            return;
        }
        try (source) {
            int size = source.size();
            int per = source.imageSize();
            assertThat(size).isPositive();
            assertThat(per).isPositive();
            int seen = 0;
            try {
                for (Batch b : source.batches(batch)) {
                    assertThat(b.n()).isBetween(1, batch);
                    assertThat(b.offset()).isEqualTo(seen);
                    assertThat(b.images().length).isEqualTo(b.n() * per);
                    assertThat(b.imageSize()).isEqualTo(per);
                    seen += b.n();
                }
            } catch (InvalidDataException | UncheckedIOException expected) {
                assertThat(expected.getMessage()).contains(f.toString());
                return;
            }
            assertThat(seen).isEqualTo(size);
        }
    }

    private static void readLabels(byte[] content) throws IOException {
        Path f = dir.resolve("labels.bin");
        Files.write(f, content);
        try {
            int[] labels = Labels.read(f);
            assertThat(labels).isNotNull();
        } catch (InvalidDataException | IOException expected) {
            assertThat(expected.getMessage()).contains(f.toString());
        }
    }

    // ------------------------------------------------------------------ seed files

    static byte[] npy(int major, String descr, String shape, byte[] body) {
        String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
        int pre = major == 1 ? 10 : 12;
        StringBuilder h = new StringBuilder(dict);
        while ((pre + h.length() + 1) % 64 != 0) {
            h.append(' ');
        }
        h.append('\n');
        byte[] text = h.toString().getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer b = ByteBuffer.allocate(pre + text.length + body.length).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) major).put((byte) 0);
        if (major == 1) {
            b.putShort((short) text.length);
        } else {
            b.putInt(text.length);
        }
        return b.put(text).put(body).array();
    }

    private static byte[] floats(Random r, int n, int width) {
        ByteBuffer b = ByteBuffer.allocate(n * width).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            b.putFloat(r.nextFloat());
        }
        return b.array();
    }

    private static byte[] doubles(Random r, int n) {
        ByteBuffer b = ByteBuffer.allocate(n * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < n; i++) {
            b.putDouble(r.nextDouble());
        }
        return b.array();
    }

    private static byte[] bytes(Random r, int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) r.nextInt(10);
        }
        return b;
    }

    private static byte[] gzip(byte[] data) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream z = new GZIPOutputStream(out)) {
            z.write(data);
        }
        return out.toByteArray();
    }
}
