package dev.thinet4j.reliability;

import dev.thinet4j.cli.Main;
import dev.thinet4j.model.Hw;
import dev.thinet4j.model.Network;
import dev.thinet4j.model.Op;
import dev.thinet4j.model.Padding;
import dev.thinet4j.model.Tensor;
import org.junit.jupiter.api.function.Executable;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Shared helpers of the bad-input suite: CLI runs, refusal assertions, tiny nets and NPY files. */
final class Reliability {
    static final Path FIX = Path.of("src/test/resources/fixtures");
    static final Path BAD = FIX.resolve("bad");
    static final Path DATA = Path.of("data/fashion-mnist");
    static final Path VGG = FIX.resolve("vgg_bn_fc.onnx");
    static final Path TRAIN_IMAGES = DATA.resolve("train-images-idx3-ubyte.gz");

    private Reliability() {
    }

    /** One CLI run: exit code and the two streams. */
    record Run(int code, String out, String err) {
    }

    static Run cli(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /**
     * Asserts a CLI failure: the exit code, a single line on standard error and the key words in it
     * (case-sensitive).
     */
    static Run assertCliFails(int code, Run r, String... keyWords) {
        assertEquals(code, r.code(), () -> "exit code; stderr: " + r.err());
        String first = r.err().strip().lines().findFirst().orElse("");
        if (code == 1) {
            // usage errors add a 'usage:' line; working errors are exactly one line
            assertThat(r.err().strip().lines().count()).as("one line on stderr: %s", r.err()).isEqualTo(1);
        }
        for (String k : keyWords) {
            assertThat(first).as("stderr names '%s'", k).contains(k);
        }
        return r;
    }

    /** Asserts that {@code body} throws exactly {@code type} with every key word in its message. */
    static <T extends Throwable> T assertRefused(Class<T> type, Executable body, String... keyWords) {
        T e = assertThrows(type, body);
        assertEquals(type, e.getClass(), () -> "exception type; message: " + e.getMessage());
        for (String k : keyWords) {
            assertThat(e.getMessage()).as("message names '%s'", k).contains(k);
        }
        return e;
    }

    static String sha256(Path file) throws IOException {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
        } catch (NoSuchAlgorithmException e) {
            throw new AssertionError(e);
        }
    }

    // ------------------------------------------------------------------ tiny networks

    static Tensor gaussian(Random r, float scale, int... shape) {
        int n = 1;
        for (int d : shape) {
            n *= d;
        }
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) (r.nextGaussian() * scale);
        }
        return Tensor.of(v, shape);
    }

    static Op.Conv conv(Random r, int in, int out) {
        return new Op.Conv(gaussian(r, (float) Math.sqrt(2.0 / (9 * in)), out, in, 3, 3), gaussian(r, 0.1f, out),
                Hw.of(1), Padding.of(1), Hw.of(1), 1);
    }

    /**
     * conv1(1→c1) relu conv2(c1→6) relu pool conv3(6→6) relu gap flatten fc(6→3): input 1×8×8. The
     * prunable convs are conv1, conv2 and conv3.
     */
    static Network tinyNet(long seed, int c1) {
        Random r = new Random(seed);
        return Network.builder("tiny").input("input", 1, 8, 8)
                .add("conv1", conv(r, 1, c1), "input")
                .add("relu1", new Op.Relu(), "conv1")
                .add("conv2", conv(r, c1, 6), "relu1")
                .add("relu2", new Op.Relu(), "conv2")
                .add("pool", new Op.MaxPool(Hw.of(2), Hw.of(2), Padding.NONE, Hw.of(1), false), "relu2")
                .add("conv3", conv(r, 6, 6), "pool")
                .add("relu3", new Op.Relu(), "conv3")
                .add("gap", new Op.GlobalAvgPool(), "relu3")
                .add("flatten", new Op.Flatten(1), "gap")
                .add("fc", new Op.Linear(gaussian(r, 0.4f, 3, 6), gaussian(r, 0.1f, 3)), "flatten")
                .output("fc")
                .build();
    }

    /** {@code n} seeded uniform [0, 1) images of c×h×w, NCHW. */
    static float[] images(long seed, int n, int c, int h, int w) {
        Random r = new Random(seed);
        float[] v = new float[n * c * h * w];
        for (int i = 0; i < v.length; i++) {
            v[i] = r.nextFloat();
        }
        return v;
    }

    // ------------------------------------------------------------------ NPY files

    /** Writes a little-endian float32 C-order NPY array. */
    static Path writeNpy(Path file, float[] data, long... shape) throws IOException {
        ByteBuffer body = ByteBuffer.allocate(data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        body.asFloatBuffer().put(data);
        return writeNpy(file, "<f4", shape, body.array());
    }

    /** Writes an NPY v1.0 file with the given dtype, shape and raw data bytes. */
    static Path writeNpy(Path file, String descr, long[] shape, byte[] body) throws IOException {
        StringBuilder s = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) {
            s.append(i > 0 ? ", " : "").append(shape[i]);
        }
        s.append(shape.length == 1 ? ",)" : ")");
        StringBuilder header = new StringBuilder("{'descr': '" + descr + "', 'fortran_order': False, 'shape': "
                + s + ", }");
        while ((10 + header.length() + 1) % 64 != 0) {
            header.append(' ');
        }
        header.append('\n');
        byte[] h = header.toString().getBytes(StandardCharsets.ISO_8859_1);
        ByteBuffer out = ByteBuffer.allocate(10 + h.length + body.length).order(ByteOrder.LITTLE_ENDIAN);
        out.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).put((byte) 0);
        out.putShort((short) h.length).put(h).put(body);
        Files.write(file, out.array());
        return file;
    }
}
