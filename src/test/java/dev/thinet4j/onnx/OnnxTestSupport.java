package dev.thinet4j.onnx;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.thinet4j.engine.InferenceEngine;
import dev.thinet4j.model.Network;
import dev.thinet4j.onnx.proto.OnnxModel;
import dev.thinet4j.onnx.proto.OnnxProtoWriter;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.fail;

/** Test helpers: a tiny .npy reader, ONNX Runtime as the oracle, tolerant comparisons. */
final class OnnxTestSupport {
    static final Path FIXTURES = Path.of("src/test/resources/fixtures");

    private OnnxTestSupport() {
    }

    /** A float32 array with its shape. */
    record Arr(float[] data, long[] shape) {
        int batch() {
            return (int) shape[0];
        }
    }

    // ------------------------------------------------------------------ npy

    /** Reads a little-endian float32 (or float64), C-order .npy file. */
    static Arr readNpy(Path file) {
        try {
            byte[] b = Files.readAllBytes(file);
            if (b.length < 10 || (b[0] & 0xFF) != 0x93 || b[1] != 'N' || b[2] != 'U' || b[3] != 'M' || b[4] != 'P'
                    || b[5] != 'Y') {
                throw new IllegalArgumentException(file + ": not a .npy file");
            }
            int major = b[6];
            ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
            int headerLen;
            int start;
            if (major == 1) {
                headerLen = bb.getShort(8) & 0xFFFF;
                start = 10;
            } else {
                headerLen = bb.getInt(8);
                start = 12;
            }
            String header = new String(b, start, headerLen, StandardCharsets.ISO_8859_1);
            Matcher d = Pattern.compile("'descr':\\s*'([^']*)'").matcher(header);
            Matcher s = Pattern.compile("'shape':\\s*\\(([^)]*)\\)").matcher(header);
            if (!d.find() || !s.find()) {
                throw new IllegalArgumentException(file + ": bad header " + header);
            }
            if (header.contains("'fortran_order': True")) {
                throw new IllegalArgumentException(file + ": Fortran order not supported");
            }
            List<Long> dims = new ArrayList<>();
            for (String part : s.group(1).split(",")) {
                if (!part.isBlank()) {
                    dims.add(Long.parseLong(part.trim()));
                }
            }
            long[] shape = dims.stream().mapToLong(Long::longValue).toArray();
            int n = (int) Arrays.stream(shape).reduce(1, (x, y) -> x * y);
            ByteBuffer data = ByteBuffer.wrap(b, start + headerLen, b.length - start - headerLen)
                    .slice().order(ByteOrder.LITTLE_ENDIAN);
            float[] out = new float[n];
            switch (d.group(1)) {
                case "<f4" -> data.asFloatBuffer().get(out);
                case "<f8" -> {
                    for (int k = 0; k < n; k++) {
                        out[k] = (float) data.getDouble(k * 8);
                    }
                }
                default -> throw new IllegalArgumentException(file + ": dtype " + d.group(1) + " not supported");
            }
            return new Arr(out, shape);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ------------------------------------------------------------------ ONNX Runtime

    /*
     * ONNX Runtime runs the model's first output on one thread with graph optimisations off, so the
     * reference is the plain ONNX kernels (ORT 1.20's Pad→AveragePool fusion ignores
     * count_include_pad: microsoft/onnxruntime#23190).
     */

    /** Runs a model file (external data is resolved next to it). */
    static Arr ort(Path model, String inputName, Arr input) {
        return run((env, opts) -> env.createSession(model.toString(), opts), inputName, input);
    }

    static Arr ort(OnnxModel model, String inputName, Arr input) {
        return ort(OnnxProtoWriter.write(model), inputName, input);
    }

    static Arr ort(byte[] model, String inputName, Arr input) {
        return run((env, opts) -> env.createSession(model, opts), inputName, input);
    }

    private interface SessionFactory {
        OrtSession open(OrtEnvironment env, OrtSession.SessionOptions opts) throws OrtException;
    }

    private static Arr run(SessionFactory factory, String inputName, Arr input) {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
            opts.setIntraOpNumThreads(1);
            opts.setInterOpNumThreads(1);
            opts.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.NO_OPT);
            return run(env, factory.open(env, opts), inputName, input);
        } catch (OrtException e) {
            throw new AssertionError("ONNX Runtime failed: " + e.getMessage(), e);
        }
    }

    private static Arr run(OrtEnvironment env, OrtSession opened, String inputName, Arr input) throws OrtException {
        try (OrtSession session = opened;
             ai.onnxruntime.OnnxTensor in = ai.onnxruntime.OnnxTensor.createTensor(env,
                     FloatBuffer.wrap(input.data()), input.shape());
             OrtSession.Result r = session.run(Map.of(inputName, in))) {
            ai.onnxruntime.OnnxTensor out = (ai.onnxruntime.OnnxTensor) r.get(0);
            FloatBuffer fb = out.getFloatBuffer();
            float[] data = new float[fb.remaining()];
            fb.get(data);
            return new Arr(data, out.getInfo().getShape());
        }
    }

    // ------------------------------------------------------------------ our engine

    static Arr engine(Network net, Arr input) {
        try (InferenceEngine e = new InferenceEngine(net)) {
            float[][] rows = e.forwardToArray(input.data(), input.batch());
            int per = rows[0].length;
            float[] flat = new float[rows.length * per];
            for (int i = 0; i < rows.length; i++) {
                System.arraycopy(rows[i], 0, flat, i * per, per);
            }
            return new Arr(flat, new long[]{rows.length, per});
        }
    }

    // ------------------------------------------------------------------ comparisons

    /** |a − e| ≤ tol·(1 + |e|) element-wise (shapes compared when both given with equal rank). */
    static void assertClose(Arr expected, Arr actual, double tol, String what) {
        if (expected.shape().length == actual.shape().length) {
            assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
        }
        assertClose(expected.data(), actual.data(), tol, what);
    }

    static void assertClose(float[] expected, float[] actual, double tol, String what) {
        if (expected.length != actual.length) {
            fail(what + ": " + expected.length + " values expected, got " + actual.length);
        }
        double worst = 0;
        int at = -1;
        for (int k = 0; k < expected.length; k++) {
            double err = Math.abs(expected[k] - actual[k]) / (1 + Math.abs(expected[k]));
            if (!(err <= worst)) {
                worst = err;
                at = k;
            }
        }
        if (!(worst <= tol)) {
            fail(what + ": relative error " + worst + " > " + tol + " at " + at + " (expected " + expected[at]
                    + ", got " + actual[at] + ")");
        }
    }

    static Arr random(long seed, long... shape) {
        Random r = new Random(seed);
        int n = (int) Arrays.stream(shape).reduce(1, (x, y) -> x * y);
        float[] d = new float[n];
        for (int k = 0; k < n; k++) {
            d[k] = (float) r.nextGaussian();
        }
        return new Arr(d, shape);
    }

    static float[] randomFloats(long seed, int n, float scale) {
        Random r = new Random(seed);
        float[] d = new float[n];
        for (int k = 0; k < n; k++) {
            d[k] = (float) r.nextGaussian() * scale;
        }
        return d;
    }
}
