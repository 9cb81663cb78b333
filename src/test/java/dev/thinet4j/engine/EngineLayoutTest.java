package dev.thinet4j.engine;

import dev.thinet4j.model.Hw;
import dev.thinet4j.model.Network;
import dev.thinet4j.model.Node;
import dev.thinet4j.model.Op;
import dev.thinet4j.model.Padding;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The engine's internal speed-ups: NHWC views between kernels, BatchNorm folded into convolutions, pooled
 * buffers and lent tensors. Each must give what the plain NCHW kernels give.
 */
class EngineLayoutTest {

    /** An NCHW-shaped NHWC view holding the same values as {@code x}. */
    private static INDArray nhwcView(INDArray x) {
        INDArray base = x.permute(0, 2, 3, 1).dup('c');
        INDArray v = NdArrays.nchwView(base);
        assertTrue(NdArrays.isNhwc(v));
        assertEquals(x, v);
        return v;
    }

    private static INDArray random(SplittableRandom rnd, int... shape) {
        return EngineAsserts.nd(DArray.random(rnd, -2, 2, shape));
    }

    /** Runs the kernel on NHWC views (in place and not) and on NCHW arrays; the values must agree. */
    private static void sameOnBothLayouts(Op op, int inputs, int[] shape, double tol) {
        SplittableRandom rnd = new SplittableRandom(op.hashCode() * 31L + shape[1]);
        List<String> names = new ArrayList<>();
        for (int i = 0; i < inputs; i++) {
            names.add("in" + i);
        }
        Node node = new Node("n", op, names);
        try (OpKernel k = Kernels.create(node)) {
            AbstractKernel ak = (AbstractKernel) k;
            assertTrue(ak.acceptsNhwc(), op.onnxType());
            List<INDArray> nchw = new ArrayList<>();
            for (int i = 0; i < inputs; i++) {
                nchw.add(random(rnd, shape));
            }
            INDArray expected = k.apply(nchw);
            for (boolean inPlace : new boolean[]{false, true}) {
                List<INDArray> views = new ArrayList<>();
                for (INDArray a : nchw) {
                    views.add(nhwcView(a));
                }
                INDArray got = ak.run(views, inPlace, Buffers.pool());
                String what = op.onnxType() + " inPlace=" + inPlace;
                EngineAsserts.assertClose(EngineAsserts.darray(expected), got, tol, what);
                if (!inPlace) {
                    for (int i = 0; i < inputs; i++) {
                        assertEquals(nchw.get(i), views.get(i), what + " changed its input");
                    }
                }
            }
        }
    }

    @Test
    void nhwcPathsOfTheElementwiseKernelsMatchNchw() {
        int[] shape = {2, 5, 7, 6};
        sameOnBothLayouts(new Op.Relu(), 1, shape, 0);
        sameOnBothLayouts(new Op.LeakyRelu(0.1f), 1, shape, 0);
        sameOnBothLayouts(new Op.Sigmoid(), 1, shape, 0);
        sameOnBothLayouts(new Op.Clip(-0.5f, 1f), 1, shape, 0);
        sameOnBothLayouts(new Op.Identity(), 1, shape, 0);
        sameOnBothLayouts(TestNets.bn(new SplittableRandom(3), 5), 1, shape, 0);
        sameOnBothLayouts(new Op.Add(), 2, shape, 0);
        sameOnBothLayouts(new Op.Add(), 3, shape, 0);
        sameOnBothLayouts(new Op.GlobalAvgPool(), 1, shape, 1e-6);
        sameOnBothLayouts(new Op.Concat(1), 2, shape, 0);
    }

    @Test
    void nhwcPathsOfPoolingMatchNchw() {
        int[] shape = {2, 4, 9, 8};
        sameOnBothLayouts(new Op.MaxPool(Hw.of(2), Hw.of(2), Padding.NONE, Hw.of(1), false), 1, shape, 0);
        sameOnBothLayouts(new Op.MaxPool(Hw.of(3), Hw.of(2), Padding.of(1), Hw.of(1), false), 1, shape, 0);
        sameOnBothLayouts(new Op.MaxPool(Hw.of(3), Hw.of(2), Padding.NONE, Hw.of(1), true), 1, shape, 0);
        sameOnBothLayouts(new Op.MaxPool(Hw.of(2), Hw.of(1), Padding.NONE, Hw.of(2), false), 1, shape, 0);
        sameOnBothLayouts(new Op.AvgPool(Hw.of(3), Hw.of(2), Padding.of(1), false, false), 1, shape, 1e-6);
        sameOnBothLayouts(new Op.AvgPool(Hw.of(3), Hw.of(2), Padding.of(1), true, false), 1, shape, 1e-6);
        sameOnBothLayouts(new Op.AvgPool(Hw.of(3), Hw.of(2), new Padding(1, 0, 1, 2), false, true), 1, shape, 1e-6);
    }

    @Test
    void mixedLayoutsAreConvertedForAdd() {
        SplittableRandom rnd = new SplittableRandom(4);
        try (OpKernel k = Kernels.create(new Node("sum", new Op.Add(), List.of("a", "b")))) {
            INDArray a = random(rnd, 2, 3, 4, 5);
            INDArray b = random(rnd, 2, 3, 4, 5);
            INDArray expected = a.add(b);
            assertEquals(expected, ((AbstractKernel) k).run(List.of(nhwcView(a), b), false, Buffers.FRESH));
            assertEquals(expected, ((AbstractKernel) k).run(List.of(a.dup(), nhwcView(b)), true, Buffers.FRESH));
        }
    }

    /** conv → BN → ReLU: the folded pass, the conv output when requested (no folding) and the reference agree. */
    @Test
    void batchNormFoldedIntoTheConvolutionMatchesTheReference() {
        SplittableRandom rnd = new SplittableRandom(21);
        Network net = Network.builder("cbr").input("x", 3, 12, 12)
                .add("conv", TestNets.conv(rnd, 3, 6, 3, 1, Padding.of(1), 1, true), "x")
                .add("bn", TestNets.bn(rnd, 6), "conv")
                .add("relu", new Op.Relu(), "bn")
                .add("conv2", TestNets.conv(rnd, 6, 4, 3, 2, new Padding(0, 1, 1, 0), 1, false), "relu")
                .add("bn2", TestNets.bn(rnd, 4), "conv2")
                .add("bn3", TestNets.bn(rnd, 4), "conv2")
                .add("sum", new Op.Add(), "bn2", "bn3")
                .build();
        DArray x = DArray.random(rnd, -1, 1, 2, 3, 12, 12);
        Map<String, DArray> ref = ReferenceNet.evaluate(net, x);
        try (InferenceEngine engine = new InferenceEngine(net); INDArray in = EngineAsserts.nd(x)) {
            for (List<String> taps : List.of(List.of("relu"), List.of("bn"), List.of("conv", "bn"), List.of("sum"))) {
                Map<String, INDArray> got = engine.forward(in, taps);
                for (String t : taps) {
                    INDArray a = got.get(t);
                    assertTrue(NdArrays.isDenseC(a) && !a.isView(), t + " is not a dense c-order array");
                    EngineAsserts.assertClose(ref.get(t), a, 1e-5, t + " of " + taps);
                }
            }
            // requested, the conv output is the unfused kernel's (bit for bit)
            INDArray conv = engine.forward(in, List.of("conv")).get("conv");
            assertEquals(engine.runNode("conv", List.of(in)), conv);
        }
    }

    /** Passes of varying batch size reuse pooled buffers (best fit) and still give the same values. */
    @Test
    void pooledBuffersNeverLeakValuesBetweenPasses() {
        Network net = TestNets.resnet(31);
        try (InferenceEngine engine = new InferenceEngine(net)) {
            List<INDArray> inputs = new ArrayList<>();
            List<INDArray> first = new ArrayList<>();
            SplittableRandom rnd = new SplittableRandom(5);
            for (int batch : new int[]{3, 1, 2, 3}) {
                INDArray x = random(rnd, batch, 3, 12, 12);
                inputs.add(x);
                first.add(engine.forward(x));
            }
            try (InferenceEngine fresh = new InferenceEngine(net)) {
                for (int i = inputs.size() - 1; i >= 0; i--) {
                    assertEquals(first.get(i), engine.forward(inputs.get(i)));
                    assertEquals(first.get(i), fresh.forward(inputs.get(i)));
                }
            }
        }
    }

    @Test
    void lentTensorsEqualTheCopiesForwardReturns() {
        Network net = TestNets.vgg(8);
        SplittableRandom rnd = new SplittableRandom(6);
        try (InferenceEngine engine = new InferenceEngine(net); INDArray x = random(rnd, 2, 3, 16, 16)) {
            List<String> taps = List.of("relu1", "pool1", "conv3", "fc1");
            Map<String, INDArray> copies = engine.forward(x, taps);
            boolean anyNhwc = engine.withTensors(x, taps, lent -> {
                assertEquals(taps, new ArrayList<>(lent.keySet()));
                boolean nhwc = false;
                for (String t : taps) {
                    assertEquals(copies.get(t), lent.get(t), t);
                    nhwc |= NdArrays.isNhwc(lent.get(t));
                }
                return nhwc;
            });
            assertTrue(anyNhwc, "expected convolution outputs to be lent as NHWC views");
            for (INDArray a : copies.values()) {
                assertFalse(NdArrays.isNhwc(a));
            }
        }
    }
}
