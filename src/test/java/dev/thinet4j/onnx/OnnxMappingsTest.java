package dev.thinet4j.onnx;

import dev.thinet4j.model.Arith;
import dev.thinet4j.model.Network;
import dev.thinet4j.model.Node;
import dev.thinet4j.model.Op;
import dev.thinet4j.onnx.OnnxTestSupport.Arr;
import dev.thinet4j.onnx.proto.OnnxModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import java.util.List;

import static dev.thinet4j.onnx.OnnxModels.f;
import static dev.thinet4j.onnx.OnnxModels.i;
import static dev.thinet4j.onnx.OnnxModels.ints;
import static dev.thinet4j.onnx.OnnxModels.s;
import static dev.thinet4j.onnx.OnnxTestSupport.assertClose;
import static dev.thinet4j.onnx.OnnxTestSupport.ort;
import static dev.thinet4j.onnx.OnnxTestSupport.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The mappings of the ONNX ops modern torchvision families need (arithmetic, HardSwish, GELU's
 * Erf, ReduceMean, LayerNorm, Transpose, Reshape, Split / Slice, Resize) and the patterns that
 * collapse into one node. Each imported network is exported again and both models are run by
 * ONNX Runtime (the export must compute what the original computes); the engine's kernels for
 * the new ops are tested elsewhere.
 */
class OnnxMappingsTest {
    private static final long END = Long.MAX_VALUE;

    private static List<String> l(String... s) {
        return List.of(s);
    }

    private static Network load(OnnxModel m) {
        return OnnxImporter.fromModel(m, "t.onnx");
    }

    private static List<Class<?>> kinds(Network net) {
        return net.nodes().stream().<Class<?>>map(n -> n.op().getClass()).toList();
    }

    private static int[] outShape(Network net) {
        return net.shapes(1).get(net.outputs().get(0));
    }

    /** ONNX Runtime on the original and on our export agree (batch 2). */
    private static Network sameAsOriginal(OnnxModel m, double tol) {
        Network net = load(m);
        int[] in = net.input().shape(2);
        Arr x = random(3, in[0], in[1], in[2], in[3]);
        assertClose(ort(m, net.input().name(), x), ort(OnnxExporter.toModel(net), net.input().name(), x), tol,
                "export vs original (ONNX Runtime)");
        return net;
    }

    private static <T extends Throwable> void assertRefused(Class<T> type, Executable body, String... keys) {
        T e = assertThrows(type, body);
        for (String k : keys) {
            assertTrue(e.getMessage().contains(k), "message should contain '" + k + "': " + e.getMessage());
        }
    }

    private static OnnxModels conv(int opset, int c, int h, int w) {
        return OnnxModels.opset(opset).input("x", 3, h, w).output("y").weight("cw", c, 3, 3, 3)
                .node("Conv", "conv", l("x", "cw"), l("c"), ints("pads", 1, 1, 1, 1));
    }

    // ------------------------------------------------------------------ arithmetic

    @Test
    void squeezeExcitationSiluAndResidualArithmetic() {
        OnnxModel m = conv(13, 4, 6, 6)
                .node("Sigmoid", "sig", l("c"), l("s"))
                .node("Mul", "silu", l("c", "s"), l("a"))                      // SiLU: x * sigmoid(x)
                .node("GlobalAveragePool", "gap", l("a"), l("g"))
                .node("HardSigmoid", "hs", l("g"), l("gate"), f("alpha", 1f / 6))
                .node("Mul", "scale", l("a", "gate"), l("se"))                 // [N,4,6,6] * [N,4,1,1]
                .node("Add", "res", l("se", "c"), l("y"))
                .build();
        Network net = sameAsOriginal(m, 1e-5);
        assertEquals(List.of(Op.Conv.class, Op.Sigmoid.class, Op.Binary.class, Op.GlobalAvgPool.class,
                Op.HardSigmoid.class, Op.Binary.class, Op.Add.class), kinds(net));
        assertEquals(new Op.Binary(Arith.MUL), net.node("scale").op());
        assertEquals(new Op.HardSigmoid(1f / 6, 0.5f), net.node("hs").op());
        assertArrayEquals(new int[]{1, 4, 6, 6}, outShape(net));
    }

    @Test
    void constantOperandsEitherSideScalarsAndFolding() {
        OnnxModel m = conv(13, 4, 5, 5)
                .constFloats("one", new float[]{1f})
                .floats("perc", new float[]{1, 2, 3, 4}, 4, 1, 1)
                .floats("k", new float[]{0.5f}, 1)
                .floats("k2", new float[]{4f}, 1)
                .node("Sub", "rsub", l("one", "c"), l("a"))         // 1 - x
                .node("Div", "div", l("a", "perc"), l("b"))         // per channel
                .node("Mul", "kk", l("k", "k2"), l("kk"))           // constant ∘ constant folds to 2
                .node("Pow", "pow", l("b", "kk"), l("p"))
                .node("Add", "shift", l("p", "k"), l("y"))
                .build();
        Network net = sameAsOriginal(m, 1e-5);
        assertEquals(List.of(Op.Conv.class, Op.ConstArith.class, Op.ConstArith.class, Op.ConstArith.class,
                Op.ConstArith.class), kinds(net));
        Op.ConstArith rsub = (Op.ConstArith) net.node("rsub").op();
        assertEquals(Arith.SUB, rsub.arith());
        assertTrue(rsub.constantFirst());
        Op.ConstArith pow = (Op.ConstArith) net.node("pow").op();
        assertEquals(Arith.POW, pow.arith());
        assertEquals(2f, pow.constant().get(0));
        assertArrayEquals(new int[]{4, 1, 1}, ((Op.ConstArith) net.node("div").op()).constant().shape());
    }

    @Test
    void geluAsTorchWritesIt() {
        // 0.5 · x · (1 + erf(x / √2)), torch 1.13 at opset 13
        OnnxModel m = conv(13, 4, 4, 4)
                .constFloats("sqrt2", new float[]{1.4142135f})
                .constFloats("one", new float[]{1f})
                .constFloats("half", new float[]{0.5f})
                .node("Div", "d", l("c", "sqrt2"), l("d"))
                .node("Erf", "erf", l("d"), l("e"))
                .node("Add", "a", l("e", "one"), l("a"))
                .node("Mul", "m", l("c", "a"), l("m"))
                .node("Mul", "h", l("m", "half"), l("y"))
                .build();
        Network net = sameAsOriginal(m, 1e-5);
        assertEquals(List.of(Op.Conv.class, Op.ConstArith.class, Op.Erf.class, Op.ConstArith.class, Op.Binary.class,
                Op.ConstArith.class), kinds(net));
    }

    @Test
    void hardSwishHardSigmoidDefaultsAndSqrt() {
        OnnxModel m = conv(14, 4, 4, 4)
                .node("HardSwish", "hsw", l("c"), l("a"))
                .node("HardSigmoid", "hsg", l("a"), l("b"))
                .node("Sqrt", "sq", l("b"), l("y"))
                .build();
        Network net = sameAsOriginal(m, 1e-5);
        assertEquals(new Op.HardSigmoid(0.2f, 0.5f), net.node("hsg").op());
        assertInstanceOf(Op.HardSwish.class, net.node("hsw").op());
        assertInstanceOf(Op.Sqrt.class, net.node("y").op());
    }

    @Test
    void shapeArithmeticFoldsAndRefusesTheBatch() {
        // x.view(b, c // 2, 2 * h * w) with b, c, h, w from Shape / Gather
        OnnxModels base = conv(13, 4, 3, 3)
                .node("Shape", "shape", l("c"), l("sh"))
                .longs("i0", new long[]{0}).longs("i1", new long[]{1}).longs("i2", new long[]{2})
                .longs("i3", new long[]{3}).longs("two", new long[]{2}).longs("ax0", new long[]{0}, 1)
                .node("Gather", "g0", l("sh", "i0"), l("b"))
                .node("Gather", "g1", l("sh", "i1"), l("ch"))
                .node("Gather", "g2", l("sh", "i2"), l("h"))
                .node("Gather", "g3", l("sh", "i3"), l("w"))
                .node("Div", "half", l("ch", "two"), l("cg"))
                .node("Mul", "hw", l("h", "w"), l("hw"))
                .node("Mul", "hw2", l("hw", "two"), l("hw2"));
        OnnxModel m = base
                .node("Unsqueeze", "u0", l("b", "ax0"), l("b1"))
                .node("Unsqueeze", "u1", l("cg", "ax0"), l("cg1"))
                .node("Unsqueeze", "u2", l("hw2", "ax0"), l("hw1"))
                .node("Concat", "cat", l("b1", "cg1", "hw1"), l("target"), i("axis", 0))
                .node("Reshape", "view", l("c", "target"), l("y"))
                .build();
        Network net = sameAsOriginal(m, 1e-6);
        assertEquals(new Op.Reshape(new int[]{2, 18}), net.node("y").op());

        OnnxModel batchTimesTwo = conv(13, 4, 3, 3)
                .node("Shape", "shape", l("c"), l("sh")).longs("i0", new long[]{0}).longs("two", new long[]{2})
                .node("Gather", "g0", l("sh", "i0"), l("b"))
                .node("Mul", "bb", l("b", "two"), l("b2"))
                .longs("ax0", new long[]{0}, 1).longs("rest", new long[]{-1}, 1)
                .node("Unsqueeze", "u0", l("b2", "ax0"), l("b1"))
                .node("Concat", "cat", l("b1", "rest"), l("target"), i("axis", 0))
                .node("Reshape", "view", l("c", "target"), l("y"))
                .build();
        assertRefused(UnsupportedOnnxException.class, () -> load(batchTimesTwo), "node 'bb'", "batch");
    }

    @Test
    void activationsOfDifferentRanksAreRefused() {
        OnnxModel m = conv(13, 4, 4, 4).node("Flatten", "fl", l("c"), l("f"))
                .node("Mul", "mul", l("c", "f"), l("y")).build();
        assertRefused(UnsupportedOnnxException.class, () -> load(m), "node 'mul'", "different ranks");
    }

    // ------------------------------------------------------------------ reductions and layout

    @Test
    void reduceMeanGlobalPoolNegativeAxesAndBatchRefused() {
        OnnxModel m = conv(13, 4, 4, 4)
                .node("ReduceMean", "mean", l("c"), l("y"), ints("axes", -1, 2), i("keepdims", 0))
                .build();
        Network net = sameAsOriginal(m, 1e-5);
        assertEquals(new Op.ReduceMean(new int[]{2, 3}, false), net.node("y").op());
        assertArrayEquals(new int[]{1, 4}, outShape(net));

        OnnxModel keep = conv(13, 4, 4, 4).node("ReduceMean", "mean", l("c"), l("y"), ints("axes", 1)).build();
        assertArrayEquals(new int[]{1, 1, 4, 4}, outShape(sameAsOriginal(keep, 1e-5)));

        OnnxModel batch = conv(13, 4, 4, 4).node("ReduceMean", "mean", l("c"), l("y"), ints("axes", 0, 1)).build();
        assertRefused(UnsupportedOnnxException.class, () -> load(batch), "node 'mean'", "batch axis");
        OnnxModel all = conv(13, 4, 4, 4).node("ReduceMean", "mean", l("c"), l("y")).build();
        assertRefused(UnsupportedOnnxException.class, () -> load(all), "node 'mean'", "all axes");
    }

    @Test
    void transposeKeepsTheBatchFirst() {
        OnnxModel m = conv(13, 4, 3, 5).node("Transpose", "nhwc", l("c"), l("y"), ints("perm", 0, 2, 3, 1)).build();
        Network net = sameAsOriginal(m, 1e-6);
        assertEquals(new Op.Transpose(new int[]{0, 2, 3, 1}), net.node("y").op());
        assertArrayEquals(new int[]{1, 3, 5, 4}, outShape(net));

        OnnxModel moving = conv(13, 4, 3, 5).node("Transpose", "tr", l("c"), l("y"), ints("perm", 1, 0, 2, 3)).build();
        assertRefused(UnsupportedOnnxException.class, () -> load(moving), "node 'tr'", "moves the batch axis");
        OnnxModel reversed = conv(13, 4, 3, 5).node("Transpose", "tr", l("c"), l("y")).build();
        assertRefused(UnsupportedOnnxException.class, () -> load(reversed), "node 'tr'", "batch");
    }

    @Test
    void generalReshapeAndFlatten() {
        OnnxModel m = conv(13, 4, 4, 4).longs("shape", new long[]{0, 2, -1, 4}, 4)
                .node("Reshape", "rs", l("c", "shape"), l("y")).build();
        Network net = sameAsOriginal(m, 1e-6);
        assertEquals(new Op.Reshape(new int[]{2, 8, 4}), net.node("y").op());
        assertArrayEquals(new int[]{1, 2, 8, 4}, outShape(net));

        OnnxModel flat = conv(13, 4, 4, 4).longs("shape", new long[]{1, -1}, 2)
                .node("Reshape", "rs", l("c", "shape"), l("y")).build();
        assertEquals(new Op.Flatten(1), load(flat).node("y").op());
    }

    @Test
    void channelShuffleAsTorchWritesItIsOneNode() {
        Network net = sameAsOriginal(shuffle(false), 1e-6);
        assertEquals(List.of(Op.Conv.class, Op.ChannelShuffle.class), kinds(net));
        assertEquals(new Op.ChannelShuffle(2), net.node("y").op());
        assertEquals(List.of("conv"), net.node("y").inputs());
        assertArrayEquals(new int[]{1, 6, 4, 4}, outShape(net));
    }

    @Test
    void channelShuffleWithAnotherConsumerStaysGeneral() {
        Network net = load(shuffle(true));
        assertTrue(kinds(net).containsAll(List.of(Op.Reshape.class, Op.Transpose.class)), kinds(net).toString());
        assertFalse(kinds(net).contains(Op.ChannelShuffle.class));
        assertArrayEquals(new int[]{1, 2, 3, 4, 4}, net.shapes(1).get("grouped"));
    }

    @Test
    void gatherOnChannelsBecomesChannelGather() {
        // x[:, idx] with an initializer (negative indices, one channel left out) and with a Constant node
        // on axis -3 (repeats); the shape Gathers next to them stay symbolic
        OnnxModel m = conv(13, 6, 4, 4)
                .longs("idx", new long[]{0, -3, 1, 4, 2}, 5)
                .node("Gather", "g", l("c", "idx"), l("gathered"), i("axis", 1))
                .constLongs("idx2", new long[]{4, 0, 0, 2}, 4)
                .node("Gather", "g2", l("gathered", "idx2"), l("twice"), i("axis", -3))
                .node("Shape", "shape", l("twice"), l("sh"))
                .longs("i0", new long[]{0}).longs("ax0", new long[]{0}, 1).longs("minus1", new long[]{-1}, 1)
                .node("Gather", "gb", l("sh", "i0"), l("b"))
                .node("Unsqueeze", "ub", l("b", "ax0"), l("b1"))
                .node("Concat", "s2", l("b1", "minus1"), l("shape2"), i("axis", 0))
                .node("Reshape", "flat", l("twice", "shape2"), l("y"))
                .build();
        Network net = sameAsOriginal(m, 1e-6);
        assertEquals(List.of(Op.Conv.class, Op.ChannelGather.class, Op.ChannelGather.class, Op.Flatten.class),
                kinds(net));
        assertEquals(new Op.ChannelGather(new int[]{0, 3, 1, 4, 2}), net.node("g").op());
        assertEquals(new Op.ChannelGather(new int[]{4, 0, 0, 2}), net.node("g2").op());
        assertArrayEquals(new int[]{1, 4, 4, 4}, net.shapes(1).get("g2"));
        assertArrayEquals(new int[]{1, 64}, outShape(net));
        Arr x = random(5, 2, 3, 4, 4);
        assertClose(ort(m, "x", x), OnnxTestSupport.engine(net, x), 1e-5, "engine vs ONNX Runtime on the original");
    }

    @Test
    void gatherOfAnActivationOtherwiseIsRefused() {
        OnnxModel scalar = conv(13, 4, 4, 4).longs("k", new long[]{2})
                .node("Gather", "pick", l("c", "k"), l("y"), i("axis", 1)).build();
        assertRefused(UnsupportedOnnxException.class, () -> load(scalar), "node 'pick'", "scalar");
        OnnxModel rows = conv(13, 4, 4, 4).longs("k", new long[]{0, 2}, 2)
                .node("Gather", "rows", l("c", "k"), l("y"), i("axis", 2)).build();
        assertRefused(UnsupportedOnnxException.class, () -> load(rows), "node 'rows'", "axis 2", "channel axis");
        OnnxModel batch = conv(13, 4, 4, 4).longs("k", new long[]{0}, 1)
                .node("Gather", "first", l("c", "k"), l("y")).build();
        assertRefused(UnsupportedOnnxException.class, () -> load(batch), "node 'first'", "axis 0");
        OnnxModel matrix = conv(13, 4, 4, 4).longs("k", new long[]{0, 1, 2, 3}, 2, 2)
                .node("Gather", "grid", l("c", "k"), l("y"), i("axis", 1)).build();
        assertRefused(UnsupportedOnnxException.class, () -> load(matrix), "node 'grid'", "1-D");
        OnnxModel outside = conv(13, 4, 4, 4).longs("k", new long[]{1, 4}, 2)
                .node("Gather", "far", l("c", "k"), l("y"), i("axis", 1)).build();
        assertRefused(OnnxImportException.class, () -> load(outside), "node 'far'", "index 4", "4 channels");
    }

    /** torch: b, c, h, w = x.size(); x.view(b, 2, c // 2, h, w).transpose(1, 2).contiguous().view(b, -1, h, w). */
    private static OnnxModel shuffle(boolean exposeGrouped) {
        OnnxModels m = conv(13, 6, 4, 4)
                .node("Shape", "shape", l("c"), l("sh"))
                .longs("i0", new long[]{0}).longs("i1", new long[]{1}).longs("i2", new long[]{2})
                .longs("i3", new long[]{3}).longs("g", new long[]{2}).longs("ax0", new long[]{0}, 1)
                .longs("g1", new long[]{2}, 1).longs("minus1", new long[]{-1}, 1)
                .node("Gather", "gb", l("sh", "i0"), l("b"))
                .node("Gather", "gc", l("sh", "i1"), l("ch"))
                .node("Gather", "gh", l("sh", "i2"), l("h"))
                .node("Gather", "gw", l("sh", "i3"), l("w"))
                .node("Div", "cpg", l("ch", "g"), l("cg"))
                .node("Unsqueeze", "ub", l("b", "ax0"), l("b1"))
                .node("Unsqueeze", "uc", l("cg", "ax0"), l("cg1"))
                .node("Unsqueeze", "uh", l("h", "ax0"), l("h1"))
                .node("Unsqueeze", "uw", l("w", "ax0"), l("w1"))
                .node("Concat", "s5", l("b1", "g1", "cg1", "h1", "w1"), l("shape5"), i("axis", 0))
                .node("Reshape", "view1", l("c", "shape5"), l("grouped"))
                .node("Transpose", "swap", l("grouped"), l("t"), ints("perm", 0, 2, 1, 3, 4))
                .node("Concat", "s4", l("b1", "minus1", "h1", "w1"), l("shape4"), i("axis", 0))
                .node("Reshape", "view2", l("t", "shape4"), l("y"));
        if (exposeGrouped) {
            m.output("grouped");
        }
        return m.build();
    }

    @Test
    void splitAndSliceBecomeSliceNodes() {
        OnnxModel m = conv(13, 8, 4, 4)
                .longs("split", new long[]{2, 6}, 2)
                .node("Split", "split", l("c", "split"), l("a", "b"), i("axis", 1))
                .longs("st", new long[]{-3}, 1).longs("en", new long[]{END}, 1).longs("ax", new long[]{-1}, 1)
                .node("Slice", "tail", l("b", "st", "en", "ax"), l("bt"))
                .longs("st2", new long[]{0, 1}, 2).longs("en2", new long[]{1, 3}, 2).longs("ax2", new long[]{1, 2}, 2)
                .node("Slice", "two", l("a", "st2", "en2", "ax2"), l("at"))
                .longs("st3", new long[]{0}, 1).longs("en3", new long[]{END}, 1).longs("ax3", new long[]{0}, 1)
                .node("Slice", "all", l("bt", "st3", "en3", "ax3"), l("btt"))
                .node("Concat", "cat", l("btt", "bt"), l("y"), i("axis", 1))
                .build();
        Network net = sameAsOriginal(m, 1e-6);
        assertEquals(new Op.Slice(1, 2, 8), net.node("split_2").op(), "the second output of Split 'split'");
        assertEquals(new Op.Slice(3, 1, 4), net.node("tail").op());
        assertInstanceOf(Op.Identity.class, net.node("all").op());
        assertArrayEquals(new int[]{1, 12, 4, 3}, outShape(net));
        assertFalse(net.nodes().stream().anyMatch(n -> n.name().startsWith("two") || n.name().equals("split")),
                "unused slices are dropped");
    }

    @Test
    void splitForms() {
        // opset 11: split attribute; no split: equal parts (x.chunk(2, dim=1)); outputs straight to the graph
        OnnxModel attr = OnnxModels.opset(11).input("x", 6, 2, 2).output("p").output("q")
                .node("Split", "sp", l("x"), l("p", "q"), i("axis", 1), ints("split", 4, 2)).build();
        Network a = load(attr);
        assertEquals(List.of("p", "q"), a.outputs());
        assertEquals(new Op.Slice(1, 4, 6), a.node("q").op());
        OnnxModel chunk = OnnxModels.opset(13).input("x", 6, 2, 2).output("p").output("q").output("r")
                .node("Split", "sp", l("x"), l("p", "q", "r"), i("axis", -3)).build();
        Network c = load(chunk);
        assertEquals(new Op.Slice(1, 2, 4), c.node("q").op());
        assertArrayEquals(new int[]{1, 2, 2, 2}, c.shapes(1).get("r"));
        OnnxModel batch = OnnxModels.opset(13).input("x", 6, 2, 2).output("p").output("q")
                .node("Split", "sp", l("x"), l("p", "q")).build();
        assertRefused(UnsupportedOnnxException.class, () -> load(batch), "node 'sp'", "batch axis");
    }

    @Test
    void resizeAndUpsampleNearestByIntegerFactors() {
        OnnxModel scales = conv(13, 4, 3, 5).floats("roi", new float[0], 0).floats("sc", new float[]{1, 1, 2, 3}, 4)
                .node("Resize", "up", l("c", "roi", "sc"), l("y"), s("mode", "nearest"),
                        s("coordinate_transformation_mode", "asymmetric"), s("nearest_mode", "floor"))
                .build();
        Network net = sameAsOriginal(scales, 1e-6);
        assertEquals(new Op.Resize(2, 3), net.node("y").op());
        assertArrayEquals(new int[]{1, 4, 6, 15}, outShape(net));

        // sizes from the shape: F.interpolate(x, size=(6, 10)) with the batch and channels from Shape
        OnnxModel sizes = conv(13, 4, 3, 5)
                .node("Shape", "shape", l("c"), l("sh"))
                .longs("s0", new long[]{0}, 1).longs("s2", new long[]{2}, 1).longs("hw", new long[]{6, 10}, 2)
                .node("Slice", "nc", l("sh", "s0", "s2"), l("nc"))
                .node("Concat", "cat", l("nc", "hw"), l("sizes"), i("axis", 0))
                .node("Resize", "up", l("c", "", "", "sizes"), l("y"), s("mode", "nearest"))
                .build();
        assertEquals(new Op.Resize(2, 2), sameAsOriginal(sizes, 1e-6).node("y").op());

        OnnxModel upsample = OnnxModels.opset(9).input("x", 3, 4, 4).output("y")
                .floats("sc", new float[]{1, 1, 2, 2}, 4)
                .node("Upsample", "up", l("x", "sc"), l("y"), s("mode", "nearest")).build();
        assertEquals(new Op.Resize(2, 2), load(upsample).node("y").op());

        OnnxModel linear = conv(13, 4, 3, 5).floats("sc", new float[]{1, 1, 2, 2}, 4)
                .node("Resize", "bilinear_up", l("c", "", "sc"), l("y"), s("mode", "linear")).build();
        assertRefused(UnsupportedOnnxException.class, () -> load(linear), "node 'bilinear_up'", "mode 'linear'");
        OnnxModel frac = conv(13, 4, 3, 5).floats("sc", new float[]{1, 1, 1.5f, 1.5f}, 4)
                .node("Resize", "up15", l("c", "", "sc"), l("y"), s("mode", "nearest"),
                        s("coordinate_transformation_mode", "asymmetric"), s("nearest_mode", "floor")).build();
        assertRefused(UnsupportedOnnxException.class, () -> load(frac), "node 'up15'", "integer");
        OnnxModel corners = conv(13, 4, 3, 5).floats("sc", new float[]{1, 1, 2, 2}, 4)
                .node("Resize", "ac", l("c", "", "sc"), l("y"), s("mode", "nearest"),
                        s("coordinate_transformation_mode", "align_corners")).build();
        assertRefused(UnsupportedOnnxException.class, () -> load(corners), "node 'ac'", "align_corners");
    }

    // ------------------------------------------------------------------ LayerNorm and channels-last Linear

    @Test
    void decomposedLayerNormAndChannelsLastLinearAsConvNeXtWritesThem() {
        Network net = sameAsOriginal(convNextBlock(false), 1e-4);
        // the decomposition collapses into one LayerNorm, and the channels-last region between the transposes is
        // rewritten channels-first (ChannelsFirst): LayerNorm over axis 1, the MatMul a 1x1 conv, no transposes
        assertEquals(List.of(Op.Conv.class, Op.LayerNorm.class, Op.Conv.class), kinds(net));
        Node ln = net.nodesOf(Op.LayerNorm.class).get(0);
        Op.LayerNorm op = (Op.LayerNorm) ln.op();
        assertEquals(1, op.axis());
        assertEquals(1e-6f, op.epsilon());
        assertArrayEquals(new float[]{1, 2, 3, 4}, op.scale().data());
        assertArrayEquals(new float[]{0.1f, 0.2f, 0.3f, 0.4f}, op.bias().data());
        assertEquals("bias_add", ln.name(), "the LayerNorm takes the name of the node ending the pattern");
        Op.Conv fc = (Op.Conv) net.nodesOf(Op.Conv.class).get(1).op();
        assertEquals(4, fc.inChannels());
        assertEquals(8, fc.outChannels());
        assertEquals(1, fc.kernel().h());
        assertArrayEquals(new int[]{1, 8, 3, 3}, outShape(net));
    }

    @Test
    void incompleteLayerNormPatternStaysSeparateOps() {
        Network net = load(convNextBlock(true));
        assertFalse(kinds(net).contains(Op.LayerNorm.class));
        assertTrue(kinds(net).containsAll(List.of(Op.ReduceMean.class, Op.Binary.class, Op.ConstArith.class,
                Op.Sqrt.class)), kinds(net).toString());
        assertEquals(List.of("y", "mean"), net.outputs());
    }

    /** Permute → F.layer_norm (opset 13 decomposition) → Linear (MatMul + Add) → permute back. */
    private static OnnxModel convNextBlock(boolean exposeMean) {
        OnnxModels m = conv(13, 4, 3, 3)
                .node("Transpose", "to_nhwc", l("c"), l("t"), ints("perm", 0, 2, 3, 1))
                .node("ReduceMean", "mean", l("t"), l("mean"), ints("axes", -1))
                .node("Sub", "sub", l("t", "mean"), l("d"))
                .constFloats("two", new float[]{2f})
                .node("Pow", "pow", l("d", "two"), l("p"))
                .node("ReduceMean", "var", l("p"), l("v"), ints("axes", -1))
                .constFloats("eps", new float[]{1e-6f})
                .node("Add", "add_eps", l("v", "eps"), l("ve"))
                .node("Sqrt", "sqrt", l("ve"), l("sd"))
                .node("Div", "div", l("d", "sd"), l("nrm"))
                .floats("lnw", new float[]{1, 2, 3, 4}, 4)
                .floats("lnb", new float[]{0.1f, 0.2f, 0.3f, 0.4f}, 4)
                .node("Mul", "weight_mul", l("nrm", "lnw"), l("sc"))
                .node("Add", "bias_add", l("sc", "lnb"), l("ln"))
                .weight("W", 4, 8).weight("B", 8)
                .node("MatMul", "pw", l("ln", "W"), l("mm"))
                .node("Add", "pw_bias", l("B", "mm"), l("lin"))
                .node("Transpose", "to_nchw", l("lin"), l("y"), ints("perm", 0, 3, 1, 2));
        if (exposeMean) {
            m.output("mean");
        }
        return m.build();
    }

    @Test
    void layerNormalizationOpset17() {
        OnnxModel m = conv(17, 4, 3, 3)
                .node("Transpose", "to_nhwc", l("c"), l("t"), ints("perm", 0, 2, 3, 1))
                .floats("lnw", new float[]{1, 2, 3, 4}, 4).floats("lnb", new float[]{0, 1, 0, 1}, 4)
                .node("LayerNormalization", "ln", l("t", "lnw", "lnb"), l("y"), i("axis", -1), f("epsilon", 1e-6f))
                .build();
        Network net = sameAsOriginal(m, 1e-4);
        Op.LayerNorm op = (Op.LayerNorm) net.node("y").op();
        assertEquals(3, op.axis());
        assertEquals(1e-6f, op.epsilon());
        assertArrayEquals(new float[]{0, 1, 0, 1}, op.bias().data());

        OnnxModel two = conv(17, 4, 3, 3).floats("lnw", new float[48], 4, 3, 4)
                .node("LayerNormalization", "ln2", l("c", "lnw"), l("y"), i("axis", 1)).build();
        assertRefused(UnsupportedOnnxException.class, () -> load(two), "node 'ln2'", "several axes");
    }

    @Test
    void layerNormWithoutBiasTakesAFollowingAdd() {
        // over the channels of [N, 4, 1, 1] (ONNX normalises from the axis to the end)
        OnnxModel m = conv(17, 4, 1, 1)
                .floats("lnw", new float[]{1, 2, 3, 4}, 4).floats("bias", new float[]{1, 2, 3, 4}, 4, 1, 1)
                .node("LayerNormalization", "ln", l("c", "lnw"), l("n"), i("axis", 1))
                .node("Add", "plus", l("n", "bias"), l("y"))
                .build();
        Network net = sameAsOriginal(m, 1e-4);
        assertEquals(List.of(Op.Conv.class, Op.LayerNorm.class), kinds(net));
        Op.LayerNorm op = (Op.LayerNorm) net.node("y").op();
        assertEquals(1, op.axis());
        assertArrayEquals(new float[]{1, 2, 3, 4}, op.bias().data());
    }

    // ------------------------------------------------------------------ graph outputs

    @Test
    void severalOutputsKeepTheirNames() {
        OnnxModel m = OnnxModels.opset(13).input("images", 3, 8, 8).output("boxes").output("scores").output("masks")
                .weight("w", 4, 3, 3, 3).weight("wb", 8, 4, 1, 1).weight("wm", 2, 4, 1, 1).weight("fc", 5, 4)
                .node("Conv", "stem", l("images", "w"), l("f"), ints("pads", 1, 1, 1, 1))
                .node("Relu", "relu", l("f"), l("r"))
                .node("Conv", "box_head", l("r", "wb"), l("boxes"))
                .node("GlobalAveragePool", "gap", l("r"), l("g"))
                .node("Flatten", "flat", l("g"), l("gf"))
                .node("Gemm", "cls_head", l("gf", "fc"), l("scores"), i("transB", 1))
                .node("Conv", "mask_head", l("r", "wm"), l("masks"))
                .build();
        Network net = load(m);
        assertEquals(List.of("boxes", "scores", "masks"), net.outputs());
        assertArrayEquals(new int[]{1, 8, 8, 8}, net.shapes(1).get("boxes"));
        assertArrayEquals(new int[]{1, 5}, net.shapes(1).get("scores"));
        assertArrayEquals(new int[]{1, 2, 8, 8}, net.shapes(1).get("masks"));
        Network again = OnnxImporter.fromModel(OnnxExporter.toModel(net), "again.onnx");
        assertEquals(net.outputs(), again.outputs());
        assertNull(net.nodes().stream().filter(n -> n.name().equals("box_head")).findAny().orElse(null),
                "a node writing a graph output is named after the output");
    }
}
