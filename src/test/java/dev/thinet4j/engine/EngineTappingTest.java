package dev.thinet4j.engine;

import dev.thinet4j.model.Hw;
import dev.thinet4j.model.Network;
import dev.thinet4j.model.NetworkBuilder;
import dev.thinet4j.model.Node;
import dev.thinet4j.model.Op;
import dev.thinet4j.model.Padding;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Requesting intermediate tensors, input checks, ownership of arrays and memory release. */
class EngineTappingTest {

    private static INDArray input(Network net, int batch, long seed) {
        return EngineAsserts.nd(DArray.random(new SplittableRandom(seed), -1, 1, batch, net.input().channels(),
                net.input().height(), net.input().width()));
    }

    private static List<String> allNodes(Network net) {
        List<String> names = new ArrayList<>();
        for (Node n : net.nodes()) {
            names.add(n.name());
        }
        return names;
    }

    @Test
    void tappedTensorEqualsFullRunValue() {
        Network net = TestNets.resnet(3);
        try (InferenceEngine engine = new InferenceEngine(net); INDArray x = input(net, 2, 1)) {
            Map<String, INDArray> full = engine.forward(x, allNodes(net));
            for (String t : List.of("stem_relu", "b1_add", "b1_relu", "b2_relu1", "dw_relu6", "flat")) {
                Map<String, INDArray> one = engine.forward(x, Set.of(t));
                assertEquals(Set.of(t), one.keySet());
                assertEquals(full.get(t), one.get(t), t);
                one.get(t).close();
            }
            full.values().forEach(INDArray::close);
        }
    }

    @Test
    void unknownTensorNameIsRejectedByName() {
        Network net = TestNets.vgg(1);
        try (InferenceEngine engine = new InferenceEngine(net); INDArray x = input(net, 1, 1)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> engine.forward(x, List.of("conv1", "conv9")));
            assertTrue(e.getMessage().contains("'conv9'"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> engine.kernel("nope"));
        }
    }

    @Test
    void wrongInputShapeNamesBothShapes() {
        Network net = TestNets.vgg(1);
        try (InferenceEngine engine = new InferenceEngine(net);
             INDArray x = Nd4j.create(DataType.FLOAT, 2, 3, 15, 16);
             INDArray flat = Nd4j.create(DataType.FLOAT, 2, 768)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> engine.forward(x));
            assertTrue(e.getMessage().contains("[N, 3, 16, 16]"), e.getMessage());
            assertTrue(e.getMessage().contains("[2, 3, 15, 16]"), e.getMessage());
            IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class, () -> engine.forward(flat));
            assertTrue(e2.getMessage().contains("[2, 768]"), e2.getMessage());
        }
    }

    @Test
    void kernelErrorsNameTheNodeAndShapes() {
        Network net = TestNets.vgg(1);
        try (InferenceEngine engine = new InferenceEngine(net); INDArray bad = Nd4j.create(DataType.FLOAT, 1, 5, 8, 8)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> engine.runNode("conv3", List.of(bad)));
            assertTrue(e.getMessage().contains("conv3") && e.getMessage().contains("[1, 5, 8, 8]"), e.getMessage());
        }
    }

    @Test
    void requestingTheInputReturnsAnIndependentCopy() {
        Network net = TestNets.vgg(1);
        try (InferenceEngine engine = new InferenceEngine(net); INDArray x = input(net, 2, 4)) {
            INDArray got = engine.forward(x, List.of("image")).get("image");
            assertNotSame(x, got);
            assertEquals(x, got);
            got.assign(0);
            assertFalse(x.equals(got), "caller's input changed through the returned array");
        }
    }

    /** The first node is a ReLU: an in-place candidate that must not touch the caller's array. */
    @Test
    void callerInputIsNeverModified() {
        Network net = Network.builder("inplace").input("x", 2, 4, 4)
                .add("relu", new Op.Relu(), "x")
                .add("clip", new Op.Clip(0, 0.5f), "relu")
                .add("id", new Op.Identity(), "x")
                .add("sum", new Op.Add(), "id", "clip")
                .build();
        try (InferenceEngine engine = new InferenceEngine(net); INDArray x = input(net, 2, 9)) {
            INDArray before = x.dup();
            INDArray y = engine.forward(x);
            assertEquals(before, x);
            DArray ref = ReferenceNet.evaluate(net, EngineAsserts.darray(before)).get("sum");
            EngineAsserts.assertClose(ref, y, 1e-6, "sum");
        }
    }

    /** Returned arrays never share memory, even when one tensor is a view (Flatten, Identity) of another. */
    @Test
    void returnedArraysAreIndependent() {
        Network net = TestNets.vgg(2);
        try (InferenceEngine engine = new InferenceEngine(net); INDArray x = input(net, 2, 3)) {
            Map<String, INDArray> got = engine.forward(x, List.of("flatten", "pool2", "drop", "relu4"));
            INDArray pool2Before = got.get("pool2").dup();
            INDArray relu4Before = got.get("relu4").dup();
            got.get("flatten").assign(-1);
            got.get("drop").assign(-1);
            assertEquals(pool2Before, got.get("pool2"));
            assertEquals(relu4Before, got.get("relu4"));
            for (INDArray a : got.values()) {
                assertTrue(a.closeable(), "returned array should be owned by the caller (not a view)");
                a.close();
            }
        }
    }

    /** A chain of convs + in-place ReLUs holds at most an input and an output activation at a time. */
    @Test
    void intermediatesAreReleasedAsSoonAsPossible() {
        SplittableRandom rnd = new SplittableRandom(8);
        NetworkBuilder b = Network.builder("chain").input("x", 8, 16, 16);
        String prev = "x";
        for (int i = 0; i < 12; i++) {
            b.add("conv" + i, TestNets.conv(rnd, 8, 8, 3, 1, Padding.of(1), 1, true), prev);
            b.add("relu" + i, new Op.Relu(), "conv" + i);
            prev = "relu" + i;
        }
        Network net = b.build();
        long activation = 2L * 8 * 16 * 16 * Float.BYTES;
        try (InferenceEngine engine = new InferenceEngine(net); INDArray x = input(net, 2, 1)) {
            INDArray y = engine.forward(x);
            assertEquals(2 * activation, engine.lastPeakLiveBytes());
            DArray ref = ReferenceNet.evaluate(net, EngineAsserts.darray(x)).get(prev);
            EngineAsserts.assertClose(ref, y, 1e-4, "chain output");
        }
    }

    /** Only the sub-graph up to the requested tensor runs: the big later layers are never allocated. */
    @Test
    void onlyTheNeededSubGraphRuns() {
        SplittableRandom rnd = new SplittableRandom(2);
        Network net = Network.builder("early").input("x", 3, 32, 32)
                .add("small", TestNets.conv(rnd, 3, 2, 3, 2, Padding.of(1), 1, true), "x")
                .add("big", TestNets.conv(rnd, 2, 64, 3, 1, Padding.of(1), 1, true), "small")
                .add("bigger", new Op.MaxPool(Hw.of(1), Hw.of(1), Padding.NONE, Hw.of(1), false), "big")
                .build();
        try (InferenceEngine engine = new InferenceEngine(net); INDArray x = input(net, 1, 1)) {
            engine.forward(x, List.of("small")).get("small").close();
            assertEquals(2L * 16 * 16 * Float.BYTES, engine.lastPeakLiveBytes());
            engine.forward(x).close();
            // the full pass peaks while "big" and "bigger" are both live ("small" is gone by then)
            assertEquals(2L * 64 * 16 * 16 * Float.BYTES, engine.lastPeakLiveBytes());
        }
    }

    @Test
    void forwardToArrayAndDoubleInputAgreeWithForward() {
        Network net = TestNets.vgg(4);
        DArray d = DArray.random(new SplittableRandom(2), -1, 1, 2, 3, 16, 16);
        try (InferenceEngine engine = new InferenceEngine(net);
             INDArray x = EngineAsserts.nd(d);
             INDArray xd = x.castTo(DataType.DOUBLE);
             INDArray y = engine.forward(x);
             INDArray yd = engine.forward(xd)) {
            float[][] rows = engine.forwardToArray(d.toFloats(), 2);
            assertEquals(2, rows.length);
            for (int i = 0; i < 2; i++) {
                assertArrayEquals(y.getRow(i).toFloatVector(), rows[i], 0f);
            }
            assertEquals(y, yd);
            assertThrows(IllegalArgumentException.class, () -> engine.forwardToArray(new float[10], 2));
        }
    }

    @Test
    void resultsAreDetachedFromAnActiveWorkspace() {
        Network net = TestNets.resnet(1);
        WorkspaceConfiguration conf = WorkspaceConfiguration.builder().initialSize(1 << 20).build();
        try (InferenceEngine engine = new InferenceEngine(net); INDArray x = input(net, 1, 1)) {
            INDArray outside = engine.forward(x);
            INDArray y;
            try (MemoryWorkspace ws = Nd4j.getWorkspaceManager().getAndActivateWorkspace(conf, "engine-test")) {
                y = engine.forward(x);
            }
            assertFalse(y.isAttached());
            assertEquals(outside, y);
        }
    }

    /** Two threads sharing one engine get the single-threaded result (kernels hold no per-call state). */
    @Test
    void concurrentForwardPassesAgree() throws Exception {
        Network net = TestNets.inception(5);
        try (InferenceEngine engine = new InferenceEngine(net); INDArray x = input(net, 2, 3)) {
            INDArray expected = engine.forward(x);
            java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
            try {
                List<java.util.concurrent.Future<List<INDArray>>> futures = new ArrayList<>();
                for (int t = 0; t < 2; t++) {
                    futures.add(pool.submit(() -> {
                        List<INDArray> outs = new ArrayList<>();
                        for (int i = 0; i < 5; i++) {
                            outs.add(engine.forward(x));
                        }
                        return outs;
                    }));
                }
                for (var f : futures) {
                    for (INDArray y : f.get()) {
                        EngineAsserts.assertClose(EngineAsserts.darray(expected), y, 1e-6, "concurrent output");
                        y.close();
                    }
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void closedEngineRefusesWork() {
        Network net = TestNets.vgg(1);
        InferenceEngine engine = new InferenceEngine(net);
        engine.close();
        try (INDArray x = input(net, 1, 1)) {
            assertThrows(IllegalStateException.class, () -> engine.forward(x));
        }
        engine.close(); // idempotent
    }

    @Test
    void cachedKernelAndStaticRunNodeAgree() {
        Network net = TestNets.resnet(7);
        Node node = net.node("b2_conv2");
        try (InferenceEngine engine = new InferenceEngine(net); INDArray x = input(net, 2, 1)) {
            INDArray in = engine.forward(x, List.of("b2_relu1")).get("b2_relu1");
            INDArray a = engine.runNode("b2_conv2", List.of(in));
            INDArray b = InferenceEngine.runNode(node, List.of(in));
            INDArray c = engine.forward(x, List.of("b2_conv2")).get("b2_conv2");
            assertEquals(a, b);
            assertEquals(c, a);
        }
    }
}
