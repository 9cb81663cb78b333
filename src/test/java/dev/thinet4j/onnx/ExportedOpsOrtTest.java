package dev.thinet4j.onnx;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.thinet4j.engine.InferenceEngine;
import dev.thinet4j.model.Arith;
import dev.thinet4j.model.Hw;
import dev.thinet4j.model.Network;
import dev.thinet4j.model.NetworkBuilder;
import dev.thinet4j.model.Op;
import dev.thinet4j.model.Padding;
import dev.thinet4j.model.Tensor;
import dev.thinet4j.onnx.proto.OnnxProtoWriter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The ops added for the modern CNN families (broadcast arithmetic, hard activations, Erf, Sqrt, ReduceMean,
 * LayerNorm, Transpose, Reshape, Slice, ChannelShuffle, ChannelGather, Resize, Linear over channels-last tensors, several
 * outputs): small networks built in Java run in our {@link InferenceEngine}, are written by {@link OnnxExporter}
 * (opset 13) and run in ONNX Runtime 1.20 (one thread, no graph optimisation); every output must agree within
 * max |ours − ORT| ≤ 1e-5·(1 + max |ORT|).
 */
class ExportedOpsOrtTest {
    private static final double TOL = 1e-5;
    private static final int BATCH = 2;
    /** Worst error ratio err / (1 + max|ORT|) per test, printed at the end. */
    private static final Map<String, Double> WORST = new LinkedHashMap<>();

    @AfterAll
    static void report() {
        WORST.forEach((k, v) -> System.out.printf("ExportedOpsOrtTest %-28s max|ours-ORT|/(1+max|ORT|) = %.3g%n", k, v));
    }

    // ------------------------------------------------------------------ helpers

    private static Tensor rand(Random r, double lo, double hi, int... shape) {
        int n = 1;
        for (int d : shape) {
            n *= d;
        }
        float[] f = new float[n];
        for (int k = 0; k < n; k++) {
            f[k] = (float) (lo + (hi - lo) * r.nextDouble());
        }
        return Tensor.of(f, shape);
    }

    /** Values in ±[0.5, 1.5]: safe divisors. */
    private static Tensor awayFromZero(Random r, int... shape) {
        Tensor t = rand(r, 0.5, 1.5, shape);
        float[] f = t.data();
        for (int k = 0; k < f.length; k++) {
            f[k] = r.nextBoolean() ? f[k] : -f[k];
        }
        return Tensor.of(f, shape);
    }

    private static Op.Conv conv(Random r, int cin, int cout, int k, int stride) {
        double bound = Math.sqrt(3.0 / (cin * k * k));
        return new Op.Conv(rand(r, -bound, bound, cout, cin, k, k), rand(r, -0.1, 0.1, cout), Hw.of(stride),
                Padding.of(k / 2), Hw.of(1), 1);
    }

    private static Op.Linear linear(Random r, int in, int out, boolean bias) {
        double bound = Math.sqrt(3.0 / in);
        return new Op.Linear(rand(r, -bound, bound, out, in), bias ? rand(r, -0.1, 0.1, out) : null);
    }

    /** Runs {@code net} in both engines on a seeded random batch and compares every output; returns ours. */
    private static Map<String, float[]> check(String what, Network net, long seed) {
        Random r = new Random(seed);
        var in = net.input();
        long[] shape = {BATCH, in.channels(), in.height(), in.width()};
        float[] x = new float[(int) (shape[0] * shape[1] * shape[2] * shape[3])];
        for (int k = 0; k < x.length; k++) {
            x[k] = (float) r.nextGaussian();
        }
        Map<String, float[]> ours = new LinkedHashMap<>();
        Map<String, long[]> ourShapes = new LinkedHashMap<>();
        try (InferenceEngine engine = new InferenceEngine(net);
             INDArray xa = Nd4j.create(x, shape, DataType.FLOAT)) {
            Map<String, INDArray> outs = engine.forwardAll(xa);
            assertEquals(net.outputs(), new ArrayList<>(outs.keySet()), what + ": outputs by name");
            for (Map.Entry<String, INDArray> e : outs.entrySet()) {
                ours.put(e.getKey(), e.getValue().dup('c').data().asFloat());
                ourShapes.put(e.getKey(), e.getValue().shape());
                e.getValue().close();
            }
        }
        byte[] model = OnnxProtoWriter.write(OnnxExporter.toModel(net));
        Map<String, float[]> ort = new LinkedHashMap<>();
        Map<String, long[]> ortShapes = new LinkedHashMap<>();
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
            opts.setIntraOpNumThreads(1);
            opts.setInterOpNumThreads(1);
            opts.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.NO_OPT);
            try (OrtSession session = env.createSession(model, opts);
                 ai.onnxruntime.OnnxTensor t = ai.onnxruntime.OnnxTensor.createTensor(env, FloatBuffer.wrap(x), shape);
                 OrtSession.Result res = session.run(Map.of(in.name(), t))) {
                assertEquals(net.outputs().size(), res.size(), what + ": ORT output count");
                for (String o : net.outputs()) {
                    ai.onnxruntime.OnnxTensor y = (ai.onnxruntime.OnnxTensor) res.get(o).orElseThrow();
                    FloatBuffer fb = y.getFloatBuffer();
                    float[] f = new float[fb.remaining()];
                    fb.get(f);
                    ort.put(o, f);
                    ortShapes.put(o, y.getInfo().getShape());
                }
            }
        } catch (OrtException e) {
            throw new AssertionError(what + ": ONNX Runtime failed: " + e.getMessage(), e);
        }
        double worst = 0;
        for (String o : net.outputs()) {
            assertArrayEquals(ortShapes.get(o), ourShapes.get(o), what + ": shape of " + o);
            float[] a = ours.get(o);
            float[] b = ort.get(o);
            double maxAbs = 0;
            double maxErr = 0;
            for (int k = 0; k < b.length; k++) {
                assertTrue(Float.isFinite(b[k]) && Float.isFinite(a[k]), what + ": non-finite value at " + k);
                maxAbs = Math.max(maxAbs, Math.abs(b[k]));
                maxErr = Math.max(maxErr, Math.abs(a[k] - b[k]));
            }
            double ratio = maxErr / (1 + maxAbs);
            worst = Math.max(worst, ratio);
            assertTrue(ratio <= TOL, what + ": output " + o + " max |ours − ORT| = " + maxErr + " with max |ORT| = "
                    + maxAbs + " (ratio " + ratio + " > " + TOL + ")");
        }
        WORST.merge(what, worst, Math::max);
        return ours;
    }

    // ------------------------------------------------------------------ broadcasting arithmetic

    @Test
    void binaryBroadcastsGateAndSpatialMap() {
        for (Arith a : Arith.values()) {
            for (boolean afterConv : new boolean[]{false, true}) {
                Random r = new Random(a.ordinal() * 2 + (afterConv ? 1 : 0));
                NetworkBuilder b = Network.builder("binary").input("x", 4, 5, 6);
                String x = "x";
                if (afterConv) {
                    b.add("conv", conv(r, 4, 4, 3, 1), "x");
                    x = "conv";
                }
                if (a == Arith.POW) {
                    // positive bases
                    b.add("base", new Op.Sigmoid(), x);
                    x = "base";
                }
                // [N, C, H, W] ∘ [N, C, 1, 1]
                b.add("gap", new Op.GlobalAvgPool(), x);
                b.add("gate", Op.ConstArith.right(Arith.ADD, Tensor.of(new float[]{1.5f})), "gap");
                b.add("byChannel", new Op.Binary(a), x, "gate");
                // [N, 1, H, W] ∘ [N, C, H, W] (map first) and [N, C, H, W] ∘ [N, 1, H, W]
                b.add("map0", new Op.ReduceMean(new int[]{1}, true), x);
                b.add("map", new Op.Sigmoid(), "map0");
                b.add("mapFirst", new Op.Binary(a == Arith.POW ? Arith.MUL : a), "map", x);
                b.add("mapShift", Op.ConstArith.right(Arith.ADD, Tensor.of(new float[]{0.75f})), "map");
                b.add("byPixel", new Op.Binary(a), x, "mapShift");
                b.output("byChannel").output("mapFirst").output("byPixel");
                check("Binary " + a + (afterConv ? " after conv" : ""), b.build(), 10 + a.ordinal());
            }
        }
    }

    @Test
    void constantArithmeticBothSides() {
        Random r = new Random(7);
        for (Arith a : Arith.values()) {
            for (boolean first : new boolean[]{false, true}) {
                for (int shapeKind = 0; shapeKind < 4; shapeKind++) {
                    Tensor c = switch (shapeKind) {
                        case 0 -> awayFromZero(r, 3, 1, 1);           // per channel
                        case 1 -> awayFromZero(r, 1);                  // scalar-like [1]
                        case 2 -> awayFromZero(r, 5, 6);               // per position [H, W]
                        default -> awayFromZero(r, 1, 3, 5, 6);        // full sample
                    };
                    if (a == Arith.POW) {
                        c = first ? rand(r, 0.5, 2, c.shape()) : rand(r, -2, 2, c.shape());
                    }
                    NetworkBuilder b = Network.builder("const").input("x", 3, 5, 6);
                    b.add("conv", conv(r, 3, 3, 1, 1), "x");
                    String x = "conv";
                    if (a == Arith.POW && !first || a == Arith.DIV && first) {
                        b.add("pos", new Op.Sigmoid(), x);
                        b.add("shift", Op.ConstArith.right(Arith.ADD, Tensor.of(new float[]{0.5f})), "pos");
                        x = "shift";
                    }
                    b.add("op", new Op.ConstArith(a, c, first), x);
                    check("ConstArith " + a + (first ? " c∘x" : " x∘c"), b.output("op").build(), shapeKind);
                }
            }
        }
    }

    @Test
    void channelsLastConstantAndLinear() {
        Random r = new Random(3);
        Network net = Network.builder("convnext-ish").input("x", 6, 5, 4)
                .add("dw", conv(r, 6, 6, 3, 1), "x")
                .add("nhwc", new Op.Transpose(new int[]{0, 2, 3, 1}), "dw")
                .add("ln", new Op.LayerNorm(3, rand(r, 0.5, 1.5, 6), rand(r, -0.2, 0.2, 6), 1e-6f), "nhwc")
                .add("fc1", linear(r, 6, 12, true), "ln")
                .add("half", Op.ConstArith.right(Arith.DIV, Tensor.of(new float[]{(float) Math.sqrt(2)})), "fc1")
                .add("erf", new Op.Erf(), "half")
                .add("erf1", Op.ConstArith.right(Arith.ADD, Tensor.of(new float[]{1f})), "erf")
                .add("gelu0", new Op.Binary(Arith.MUL), "fc1", "erf1")
                .add("gelu", Op.ConstArith.right(Arith.MUL, Tensor.of(new float[]{0.5f})), "gelu0")
                .add("fc2", linear(r, 12, 6, false), "gelu")
                .add("gamma", Op.ConstArith.right(Arith.MUL, awayFromZero(r, 6)), "fc2")
                .add("nchw", new Op.Transpose(new int[]{0, 3, 1, 2}), "gamma")
                .add("res", new Op.Add(), "nchw", "x")
                .add("conv", conv(r, 6, 4, 1, 1), "res")
                .output("conv").output("ln")
                .build();
        check("ConvNeXt block (channels-last)", net, 1);
    }

    @Test
    void squeezeExcitationBlock() {
        Random r = new Random(5);
        Network net = Network.builder("se").input("x", 3, 8, 8)
                .add("conv", conv(r, 3, 8, 3, 1), "x")
                .add("gap", new Op.GlobalAvgPool(), "conv")
                .add("reduce", conv(r, 8, 2, 1, 1), "gap")
                .add("relu", new Op.Relu(), "reduce")
                .add("expand", conv(r, 2, 8, 1, 1), "relu")
                .add("sig", new Op.Sigmoid(), "expand")
                .add("scale", new Op.Binary(Arith.MUL), "conv", "sig")
                .add("hs", new Op.HardSwish(), "scale")
                .add("out", conv(r, 8, 4, 3, 2), "hs")
                .build();
        check("SE block", net, 2);
    }

    // ------------------------------------------------------------------ element-wise functions

    @Test
    void elementwiseFunctions() {
        Random r = new Random(11);
        Network net = Network.builder("fns").input("x", 3, 4, 5)
                .add("x3", Op.ConstArith.right(Arith.MUL, Tensor.of(new float[]{3f})), "x")
                .add("hsig", new Op.HardSigmoid(0.2f, 0.5f), "x3")
                .add("hsig6", new Op.HardSigmoid(1f / 6, 0.5f), "x3")
                .add("hswish", new Op.HardSwish(), "x3")
                .add("erf", new Op.Erf(), "x")
                .add("sq", new Op.Binary(Arith.MUL), "x", "x")
                .add("sqrt", new Op.Sqrt(), "sq")
                .add("conv", conv(r, 3, 3, 3, 1), "x")
                .add("convHswish", new Op.HardSwish(), "conv")
                .add("convErf", new Op.Erf(), "conv")
                .output("hsig").output("hsig6").output("hswish").output("erf").output("sqrt")
                .output("convHswish").output("convErf")
                .build();
        check("HardSigmoid/HardSwish/Erf/Sqrt", net, 3);
    }

    // ------------------------------------------------------------------ reductions and normalisation

    @Test
    void reduceMeanKeepDimsAndAxes() {
        Random r = new Random(13);
        Network net = Network.builder("reduce").input("x", 4, 5, 6)
                .add("m23k", new Op.ReduceMean(new int[]{2, 3}, true), "x")
                .add("m23", new Op.ReduceMean(new int[]{2, 3}, false), "x")
                .add("m3k", new Op.ReduceMean(new int[]{3}, true), "x")
                .add("m3", new Op.ReduceMean(new int[]{3}, false), "x")
                .add("m1", new Op.ReduceMean(new int[]{1}, false), "x")
                .add("conv", conv(r, 4, 5, 3, 1), "x")
                .add("c23", new Op.ReduceMean(new int[]{2, 3}, false), "conv")
                .add("c2k", new Op.ReduceMean(new int[]{2}, true), "conv")
                .add("fc", linear(r, 5, 3, true), "c23")
                .output("m23k").output("m23").output("m3k").output("m3").output("m1").output("c2k").output("fc")
                .build();
        check("ReduceMean", net, 4);
    }

    @Test
    void layerNormOverChannelsAndLastAxis() {
        Random r = new Random(17);
        Network net = Network.builder("ln").input("x", 6, 4, 5)
                .add("lnC", new Op.LayerNorm(1, rand(r, 0.5, 1.5, 6), rand(r, -0.5, 0.5, 6), 1e-5f), "x")
                .add("conv", conv(r, 6, 6, 3, 1), "x")
                .add("lnConv", new Op.LayerNorm(1, rand(r, 0.5, 1.5, 6), null, 1e-6f), "conv")
                .add("nhwc", new Op.Transpose(new int[]{0, 2, 3, 1}), "x")
                .add("lnLast", new Op.LayerNorm(3, rand(r, 0.5, 1.5, 6), rand(r, -0.5, 0.5, 6), 1e-6f), "nhwc")
                .add("lnW", new Op.LayerNorm(3, rand(r, 0.5, 1.5, 5), rand(r, -0.5, 0.5, 5), 1e-5f), "x")
                .output("lnC").output("lnConv").output("lnLast").output("lnW")
                .build();
        check("LayerNorm", net, 5);
    }

    // ------------------------------------------------------------------ layout

    @Test
    void transposeReshapeAndFiveDimensions() {
        Random r = new Random(19);
        Network net = Network.builder("layout").input("x", 4, 6, 5)
                .add("conv", conv(r, 4, 6, 3, 1), "x")
                .add("nhwc", new Op.Transpose(new int[]{0, 2, 3, 1}), "conv")
                .add("relu", new Op.Relu(), "nhwc")
                .add("back", new Op.Transpose(new int[]{0, 3, 1, 2}), "relu")
                .add("conv2", conv(r, 6, 4, 3, 1), "back")
                .add("t", new Op.Transpose(new int[]{0, 1, 3, 2}), "conv2")
                .add("r3", new Op.Reshape(new int[]{4 * 5, 6}), "t")
                .add("r5", new Op.Reshape(new int[]{2, 2, 5, 6}), "t")
                .add("t5", new Op.Transpose(new int[]{0, 2, 1, 4, 3}), "r5")
                .add("s5", Op.ConstArith.right(Arith.MUL, awayFromZero(r, 2, 1, 6, 1)), "t5")
                .add("r4", new Op.Reshape(new int[]{4, 6, 5}), "s5")
                .add("conv3", conv(r, 4, 2, 1, 1), "r4")
                .output("back").output("r3").output("t5").output("conv3")
                .build();
        check("Transpose/Reshape (rank 3-5)", net, 6);
    }

    @Test
    void sliceAlongAxes() {
        Random r = new Random(23);
        Network net = Network.builder("slice").input("x", 6, 5, 7)
                .add("conv", conv(r, 6, 6, 1, 1), "x")
                .add("left", new Op.Slice(1, 0, 3), "conv")
                .add("right", new Op.Slice(1, 3, 6), "conv")
                .add("rows", new Op.Slice(2, 1, 4), "x")
                .add("cols", new Op.Slice(3, 2, 7), "x")
                .add("mid", new Op.Slice(1, 2, 3), "x")
                .add("rconv", conv(r, 3, 3, 3, 1), "right")
                .add("cat", new Op.Concat(1), "left", "rconv")
                .output("cat").output("rows").output("cols").output("mid")
                .build();
        check("Slice", net, 7);
    }

    @Test
    void channelShuffleMatchesOrtAndIndexFormula() {
        int c = 6;
        int g = 3;
        Network net = Network.builder("shuffle").input("x", c, 3, 4)
                .add("shuffle", new Op.ChannelShuffle(g), "x")
                .build();
        check("ChannelShuffle", net, 8);
        Network net2 = Network.builder("shuffle2").input("x", 8, 3, 4)
                .add("conv", conv(new Random(1), 8, 8, 3, 1), "x")
                .add("shuffle", new Op.ChannelShuffle(2), "conv")
                .build();
        check("ChannelShuffle after conv", net2, 9);
        // hand-computed: output channel o holds input channel (o mod g)·(C/g) + ⌊o/g⌋
        float[] x = new float[c * 3 * 4];
        for (int k = 0; k < x.length; k++) {
            x[k] = k;
        }
        try (InferenceEngine e = new InferenceEngine(net)) {
            float[] y = e.forwardToArray(x, 1)[0];
            int[] expectedSource = {0, 2, 4, 1, 3, 5};
            for (int o = 0; o < c; o++) {
                int src = (o % g) * (c / g) + o / g;
                assertEquals(expectedSource[o], src);
                for (int p = 0; p < 12; p++) {
                    assertEquals(x[src * 12 + p], y[o * 12 + p], "output channel " + o + " position " + p);
                }
            }
        }
    }

    @Test
    void channelGatherMatchesOrtAndIndices() {
        Random r = new Random(33);
        int[] uneven = {0, 3, 1, 4, 2}; // a shuffle of 6 channels with channel 5 pruned
        int[] repeat = {4, 0, 0, 2, 4, 1, 1};
        Network net = Network.builder("gather").input("x", 6, 3, 4)
                .add("onInput", new Op.ChannelGather(uneven), "x")
                .add("conv", conv(r, 6, 6, 3, 1), "x")
                .add("afterConv", new Op.ChannelGather(repeat), "conv")
                .add("conv2", conv(r, 7, 4, 1, 1), "afterConv")
                .add("one", new Op.ChannelGather(new int[]{3}), "conv2")
                .add("gap", new Op.GlobalAvgPool(), "conv")
                .add("flat", new Op.Flatten(1), "gap")
                .add("rank2", new Op.ChannelGather(new int[]{5, 5, 0, 2}), "flat")
                .output("onInput").output("afterConv").output("conv2").output("one").output("rank2")
                .build();
        Map<String, float[]> ours = check("ChannelGather", net, 12);
        assertEquals(BATCH * 7 * 12, ours.get("afterConv").length);
        assertEquals(BATCH * 4, ours.get("rank2").length);
        // hand-computed: output channel o is input channel indices[o]
        float[] x = new float[6 * 3 * 4];
        for (int k = 0; k < x.length; k++) {
            x[k] = k;
        }
        try (InferenceEngine e = new InferenceEngine(net)) {
            float[] y = e.forwardToArray(x, 1)[0];
            for (int o = 0; o < uneven.length; o++) {
                for (int p = 0; p < 12; p++) {
                    assertEquals(x[uneven[o] * 12 + p], y[o * 12 + p], "output channel " + o + " position " + p);
                }
            }
        }
    }

    @Test
    void resizeNearest() {
        Random r = new Random(29);
        Network net = Network.builder("resize").input("x", 3, 4, 5)
                .add("up22", new Op.Resize(2, 2), "x")
                .add("up21", new Op.Resize(2, 1), "x")
                .add("conv", conv(r, 3, 4, 3, 1), "x")
                .add("up13", new Op.Resize(1, 3), "conv")
                .output("up22").output("up21").output("up13")
                .build();
        Map<String, float[]> ours = check("Resize", net, 10);
        // y[n, c, i, j] = x[n, c, ⌊i/2⌋, ⌊j/2⌋], checked once by hand on a ramp
        float[] x = new float[3 * 4 * 5];
        for (int k = 0; k < x.length; k++) {
            x[k] = k;
        }
        try (InferenceEngine e = new InferenceEngine(net)) {
            float[] y = e.forwardToArray(x, 1)[0];
            for (int ch = 0; ch < 3; ch++) {
                for (int i = 0; i < 8; i++) {
                    for (int j = 0; j < 10; j++) {
                        assertEquals(x[ch * 20 + (i / 2) * 5 + j / 2], y[ch * 80 + i * 10 + j]);
                    }
                }
            }
        }
        assertEquals(BATCH * 3 * 8 * 10, ours.get("up22").length);
    }

    @Test
    void linearOnChannelsLastTensor() {
        Random r = new Random(31);
        Network net = Network.builder("linear4d").input("x", 5, 3, 4)
                .add("nhwc", new Op.Transpose(new int[]{0, 2, 3, 1}), "x")
                .add("fc", linear(r, 5, 7, true), "nhwc")
                .add("fcNoBias", linear(r, 7, 2, false), "fc")
                .add("fcW", linear(r, 4, 3, true), "x")
                .output("fc").output("fcNoBias").output("fcW")
                .build();
        check("Linear on [N,H,W,C]", net, 11);
    }

    // ------------------------------------------------------------------ several outputs

    @Test
    void detectorWithThreeHeads() {
        Random q = new Random(37);
        NetworkBuilder b = Network.builder("yolo-ish").input("images", 3, 32, 32)
                .add("stem", conv(q, 3, 8, 3, 2), "images")          // 16x16
                .add("stemSig", new Op.Sigmoid(), "stem")
                .add("p3", new Op.Binary(Arith.MUL), "stem", "stemSig")
                .add("down4", conv(q, 8, 8, 3, 2), "p3")              // 8x8
                .add("p4", new Op.HardSwish(), "down4")
                .add("down5", conv(q, 8, 8, 3, 2), "p4")              // 4x4
                .add("p5", new Op.Relu(), "down5")
                .add("up5", new Op.Resize(2, 2), "p5")                // 8x8
                .add("cat4", new Op.Concat(1), "up5", "p4")
                .add("head4", conv(q, 16, 6, 1, 1), "cat4")
                .add("head5", conv(q, 8, 6, 1, 1), "p5")
                .add("head3", conv(q, 8, 6, 1, 1), "p3")
                .add("out3", new Op.Reshape(new int[]{2, 3, 16 * 16}), "head3")
                .add("out4", new Op.Reshape(new int[]{2, 3, 8 * 8}), "head4")
                .add("out5", new Op.Reshape(new int[]{2, 3, 4 * 4}), "head5")
                .output("out3").output("out4").output("out5");
        Network heads = b.build();
        Map<String, float[]> ours = check("three-head detector", heads, 12);
        assertEquals(List.of("out3", "out4", "out5"), new ArrayList<>(ours.keySet()));
        try (InferenceEngine e = new InferenceEngine(heads);
             INDArray x = Nd4j.rand(DataType.FLOAT, 1, 3, 32, 32);
             INDArray first = e.forward(x)) {
            Map<String, INDArray> all = e.forwardAll(x);
            assertEquals(first, all.get("out3"));
            assertArrayEquals(new long[]{1, 2, 3, 64}, all.get("out4").shape());
            Map<String, float[][]> rows = e.forwardAllToArray(x.data().asFloat(), 1);
            assertEquals(3, rows.size());
            assertEquals(2 * 3 * 16, rows.get("out5")[0].length);
        }
    }
}
