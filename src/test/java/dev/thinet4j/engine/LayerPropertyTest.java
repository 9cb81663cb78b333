package dev.thinet4j.engine;

import dev.thinet4j.model.Network;
import dev.thinet4j.model.Node;
import dev.thinet4j.model.Op;
import dev.thinet4j.model.Tensor;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.nd4j.linalg.api.ndarray.INDArray;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** BatchNorm, Linear, activations, Add and Concat against the double-precision reference. */
class LayerPropertyTest {

    @Property(tries = 60)
    void batchNormMatchesReference(@ForAll @IntRange(min = 1, max = 3) int batch,
                                   @ForAll @IntRange(min = 1, max = 8) int c,
                                   @ForAll @IntRange(min = 1, max = 9) int h,
                                   @ForAll @IntRange(min = 1, max = 9) int w,
                                   @ForAll boolean afterFlatten,
                                   @ForAll @IntRange(min = 0, max = 3) int epsExp,
                                   @ForAll long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        float eps = (float) Math.pow(10, -2 - epsExp);
        int channels = afterFlatten ? c * h * w : c;
        Tensor scale = EngineAsserts.randomTensor(rnd, -2, 2, channels);
        Tensor bias = EngineAsserts.randomTensor(rnd, -1, 1, channels);
        Tensor mean = EngineAsserts.randomTensor(rnd, -1, 1, channels);
        Tensor var = EngineAsserts.randomTensor(rnd, 0.01, 3, channels);
        Op.BatchNorm bn = new Op.BatchNorm(scale, bias, mean, var, eps);
        var b = Network.builder("bn").input("x", c, h, w);
        if (afterFlatten) {
            b.add("flat", new Op.Flatten(1), "x").add("bn", bn, "flat");
        } else {
            b.add("bn", bn, "x");
        }
        Network net = b.output("bn").build();
        DArray x = DArray.random(rnd, -3, 3, batch, c, h, w);
        DArray in = afterFlatten ? ReferenceOps.flatten(x) : x;
        DArray ref = ReferenceOps.batchNorm(in, ReferenceNet.doubles(scale), ReferenceNet.doubles(bias),
                ReferenceNet.doubles(mean), ReferenceNet.doubles(var), eps);
        try (InferenceEngine engine = new InferenceEngine(net);
             INDArray xin = EngineAsserts.nd(x);
             INDArray out = engine.forward(xin)) {
            EngineAsserts.assertClose(ref, out, 1e-4, "BatchNorm");
        }
    }

    @Property(tries = 60)
    void linearMatchesReference(@ForAll @IntRange(min = 1, max = 4) int batch,
                                @ForAll @IntRange(min = 1, max = 6) int c,
                                @ForAll @IntRange(min = 1, max = 5) int hw,
                                @ForAll @IntRange(min = 1, max = 20) int out,
                                @ForAll boolean withBias,
                                @ForAll long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int in = c * hw * hw;
        Tensor weight = EngineAsserts.randomTensor(rnd, -1, 1, out, in);
        Tensor bias = withBias ? EngineAsserts.randomTensor(rnd, -1, 1, out) : null;
        Network net = Network.builder("fc").input("x", c, hw, hw)
                .add("flat", new Op.Flatten(1), "x")
                .add("fc", new Op.Linear(weight, bias), "flat").build();
        DArray x = DArray.random(rnd, -1, 1, batch, c, hw, hw);
        DArray ref = ReferenceOps.linear(ReferenceOps.flatten(x), ReferenceNet.darray(weight), ReferenceNet.doubles(bias));
        try (InferenceEngine engine = new InferenceEngine(net);
             INDArray xin = EngineAsserts.nd(x);
             INDArray y = engine.forward(xin)) {
            EngineAsserts.assertClose(ref, y, 1e-4, "Linear");
        }
    }

    /** Single-input shape-preserving or reducing ops, run through {@link OpKernel} directly. */
    static Op unaryOp(int pick, int axisPick, float a, float b) {
        return switch (pick) {
            case 0 -> new Op.Relu();
            case 1 -> new Op.LeakyRelu(Math.abs(a) / 2);
            case 2 -> new Op.Clip(Math.min(a, b), Math.max(a, b));
            case 3 -> new Op.Sigmoid();
            case 4 -> new Op.Softmax(axisPick);
            case 5 -> new Op.GlobalAvgPool();
            case 6 -> new Op.Flatten(1);
            default -> new Op.Identity();
        };
    }

    @Property(tries = 100)
    void unaryOpsMatchReference(@ForAll @IntRange(min = 0, max = 7) int pick,
                                @ForAll @IntRange(min = -4, max = 3) int axis,
                                @ForAll @IntRange(min = 1, max = 3) int batch,
                                @ForAll @IntRange(min = 1, max = 6) int c,
                                @ForAll @IntRange(min = 1, max = 6) int h,
                                @ForAll @IntRange(min = 1, max = 6) int w,
                                @ForAll boolean inPlace,
                                @ForAll long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        Op op = unaryOp(pick, axis, (float) (rnd.nextDouble() * 4 - 2), (float) (rnd.nextDouble() * 4 - 2));
        DArray x = DArray.random(rnd, -4, 4, batch, c, h, w);
        DArray ref = ReferenceNet.run(op, List.of(x));
        Node node = new Node("op", op, List.of("x"));
        try (OpKernel k = OpKernel.of(node);
             INDArray in = EngineAsserts.nd(x)) {
            INDArray y = k.apply(List.of(in), inPlace);
            EngineAsserts.assertClose(ref, y, 1e-5, op.toString());
            if (!inPlace) {
                // input untouched when overwriting is not allowed
                EngineAsserts.assertClose(x, in, 0, op + " input");
            }
        }
    }

    @Property(tries = 60)
    void addAndConcatMatchReference(@ForAll @IntRange(min = 1, max = 4) int inputs,
                                    @ForAll boolean concat,
                                    @ForAll @IntRange(min = -3, max = 3) int axis,
                                    @ForAll @IntRange(min = 1, max = 3) int batch,
                                    @ForAll @IntRange(min = 1, max = 5) int c,
                                    @ForAll @IntRange(min = 1, max = 6) int h,
                                    @ForAll @IntRange(min = 1, max = 6) int w,
                                    @ForAll boolean inPlace,
                                    @ForAll long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        if (axis == 0 || axis == -4) {
            axis = 1;
        }
        int ax = axis < 0 ? axis + 4 : axis;
        List<DArray> xs = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < inputs; i++) {
            int[] shape = {batch, c, h, w};
            if (concat) {
                shape[ax] = 1 + rnd.nextInt(4);
            }
            xs.add(DArray.random(rnd, -1, 1, shape));
            names.add("in" + i);
        }
        Op op = concat ? new Op.Concat(axis) : new Op.Add();
        DArray ref = ReferenceNet.run(op, xs);
        List<INDArray> nds = new ArrayList<>();
        for (DArray d : xs) {
            nds.add(EngineAsserts.nd(d));
        }
        try (OpKernel k = OpKernel.of(new Node("op", op, names))) {
            INDArray y = k.apply(nds, inPlace);
            EngineAsserts.assertClose(ref, y, 1e-5, op.toString());
            for (int i = inPlace ? 1 : 0; i < xs.size(); i++) {
                EngineAsserts.assertClose(xs.get(i), nds.get(i), 0, op + " input " + i);
            }
        } finally {
            nds.forEach(INDArray::close);
        }
    }

    @Property(tries = 20)
    void staticRunNodeReturnsAFreshArray(@ForAll @IntRange(min = 5, max = 7) int pick, @ForAll long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        DArray x = DArray.random(rnd, -1, 1, 2, 3, 4, 4);
        Node node = new Node("op", unaryOp(pick, 1, 0, 1), List.of("x"));
        try (INDArray in = EngineAsserts.nd(x); INDArray y = InferenceEngine.runNode(node, List.of(in))) {
            EngineAsserts.assertClose(ReferenceNet.run(node.op(), List.of(x)), y, 1e-6, node.toString());
            in.assign(7);
            // the result does not share memory with the input
            assertEquals(ReferenceNet.run(node.op(), List.of(x)).data()[0], y.dup('c').getDouble(0), 1e-6);
        }
    }
}
