package dev.thinet4j.families;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.thinet4j.engine.InferenceEngine;
import dev.thinet4j.model.Network;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

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
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The torchvision family fixtures ({@code tools/fixtures/make_families.py}) and what the family
 * tests need: .npy reading, ONNX Runtime with every output, our engine with every output.
 */
final class Families {
    static final Path DIR = Path.of("src/test/resources/fixtures/families");

    /** Every classification family and the detector, by fixture name. */
    static final List<String> ALL = List.of("alexnet", "vgg11_bn", "resnet18", "resnet50", "resnext", "wide_resnet",
            "densenet", "googlenet", "squeezenet", "mobilenet_v2", "regnet_x", "regnet_y", "efficientnet_b0",
            "mobilenet_v3", "mnasnet", "shufflenet_v2", "convnext", "yolo_mbv2");

    /** Families with residual additions (the resnet policy must keep their widths). */
    static final List<String> RESIDUAL = List.of("resnet18", "resnet50", "resnext", "wide_resnet", "mobilenet_v2",
            "regnet_x", "regnet_y", "efficientnet_b0", "mobilenet_v3", "mnasnet", "convnext", "yolo_mbv2");

    private Families() {
    }

    /** A float32 array and its shape. */
    record Arr(float[] data, long[] shape) {
        int batch() {
            return (int) shape[0];
        }

        float maxAbs() {
            float m = 0;
            for (float v : data) {
                m = Math.max(m, Math.abs(v));
            }
            return m;
        }
    }

    static Path model(String name) {
        return DIR.resolve(name + ".onnx");
    }

    static Arr input(String name) {
        return readNpy(DIR.resolve(name + ".input.npy"));
    }

    /** PyTorch's outputs, in graph-output order. */
    static List<Arr> torchOutputs(String name) {
        Path single = DIR.resolve(name + ".output.npy");
        if (Files.exists(single)) {
            return List.of(readNpy(single));
        }
        List<Arr> out = new ArrayList<>();
        for (int k = 0; Files.exists(DIR.resolve(name + ".output" + k + ".npy")); k++) {
            out.add(readNpy(DIR.resolve(name + ".output" + k + ".npy")));
        }
        return out;
    }

    /** Reads a little-endian float32 C-order .npy file. */
    static Arr readNpy(Path file) {
        try {
            byte[] b = Files.readAllBytes(file);
            ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
            int headerLen = b[6] == 1 ? bb.getShort(8) & 0xFFFF : bb.getInt(8);
            int start = b[6] == 1 ? 10 : 12;
            String header = new String(b, start, headerLen, StandardCharsets.ISO_8859_1);
            Matcher s = Pattern.compile("'shape':\\s*\\(([^)]*)\\)").matcher(header);
            if (!header.contains("'<f4'") || !s.find()) {
                throw new IllegalArgumentException(file + ": expected float32 .npy, header " + header);
            }
            long[] shape = Arrays.stream(s.group(1).split(",")).filter(p -> !p.isBlank())
                    .mapToLong(p -> Long.parseLong(p.trim())).toArray();
            int n = (int) Arrays.stream(shape).reduce(1, (x, y) -> x * y);
            float[] out = new float[n];
            ByteBuffer.wrap(b, start + headerLen, 4 * n).slice().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
            return new Arr(out, shape);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Every graph output of a model file under ONNX Runtime (one thread, no graph optimisation). */
    static Map<String, Arr> ort(Path model, String inputName, Arr input) {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
            opts.setIntraOpNumThreads(1);
            opts.setInterOpNumThreads(1);
            opts.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.NO_OPT);
            try (OrtSession session = env.createSession(model.toString(), opts);
                 OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(input.data()), input.shape());
                 OrtSession.Result r = session.run(Map.of(inputName, in))) {
                Map<String, Arr> out = new LinkedHashMap<>();
                for (Map.Entry<String, ai.onnxruntime.OnnxValue> e : r) {
                    OnnxTensor t = (OnnxTensor) e.getValue();
                    FloatBuffer fb = t.getFloatBuffer();
                    float[] data = new float[fb.remaining()];
                    fb.get(data);
                    out.put(e.getKey(), new Arr(data, t.getInfo().getShape()));
                }
                return out;
            }
        } catch (OrtException e) {
            throw new AssertionError("ONNX Runtime failed on " + model + ": " + e.getMessage(), e);
        }
    }

    /** Every network output under our engine, keyed by output name. */
    static Map<String, Arr> engine(Network net, Arr input) {
        try (InferenceEngine e = new InferenceEngine(net);
             INDArray x = Nd4j.create(input.data(), input.shape(), 'c')) {
            Map<String, INDArray> outs = e.forward(x, net.outputs());
            Map<String, Arr> res = new LinkedHashMap<>();
            for (String o : net.outputs()) {
                try (INDArray a = outs.get(o).dup('c')) {
                    res.put(o, new Arr(a.data().asFloat(), a.shape()));
                }
                outs.get(o).close();
            }
            return res;
        }
    }

    /** max |a − e| ≤ tol · max(1, max |e|), shapes equal. */
    static double assertClose(Arr expected, Arr actual, double tol, String what) {
        assertArrayEquals(expected.shape(), actual.shape(), what + ": shape");
        double scale = Math.max(1, expected.maxAbs());
        double worst = 0;
        int at = -1;
        for (int k = 0; k < expected.data().length; k++) {
            double err = Math.abs(expected.data()[k] - actual.data()[k]);
            if (!(err <= worst)) {
                worst = err;
                at = k;
            }
        }
        if (!(worst <= tol * scale)) {
            fail(what + ": max |diff| " + worst + " > " + tol + "·" + scale + " at " + at + " (expected "
                    + expected.data()[at] + ", got " + actual.data()[at] + ")");
        }
        return worst / scale;
    }
}
