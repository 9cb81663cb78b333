package dev.thinet4j.onnx;

import dev.thinet4j.model.Arith;
import dev.thinet4j.model.Hw;
import dev.thinet4j.model.Network;
import dev.thinet4j.model.Op;
import dev.thinet4j.model.Padding;
import dev.thinet4j.model.Tensor;
import dev.thinet4j.onnx.OnnxTestSupport.Arr;
import dev.thinet4j.onnx.proto.OnnxModel;
import dev.thinet4j.onnx.proto.OnnxNode;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * One place per operator, checked: every kind of {@link Op} declares a channel rule, has an inference
 * kernel, is written by the exporter as ONNX the importer reads back (to the same function) and ONNX
 * Runtime runs (to the same values). A new op kind without all of these fails here (its training op
 * is checked by {@code TrainOpsTest}, its kernel alone by {@code KernelsTest}).
 */
class OpCoverageTest {

    /** One instance of each op kind, each applicable to an [N, 2, 4, 4] input (binary ones read it twice). */
    static List<Op> oneOfEach() {
        Random r = new Random(3);
        Tensor two = Tensor.of(new float[]{0.7f, 1.3f}, 2);
        Tensor shift = Tensor.of(new float[]{0.1f, -0.2f}, 2);
        return List.of(
                new Op.Conv(rand(r, 2, 2, 3, 3), rand(r, 2), Hw.of(1), Padding.of(1), Hw.of(1), 1),
                new Op.BatchNorm(two, shift, shift, two, 1e-5f),
                new Op.Linear(rand(r, 3, 4), rand(r, 3)),
                new Op.Relu(), new Op.LeakyRelu(0.1f), new Op.Clip(0.2f, 0.6f), new Op.Sigmoid(), new Op.Softmax(1),
                new Op.Identity(), new Op.Add(), new Op.Concat(1),
                new Op.MaxPool(Hw.of(2), Hw.of(2), Padding.NONE, Hw.of(1), false),
                new Op.AvgPool(Hw.of(2), Hw.of(2), Padding.NONE, false, false),
                new Op.GlobalAvgPool(), new Op.Flatten(1),
                new Op.Binary(Arith.DIV), new Op.ConstArith(Arith.SUB, Tensor.of(new float[]{0.5f, 2f}, 2, 1, 1), true),
                new Op.HardSigmoid(0.2f, 0.5f), new Op.HardSwish(), new Op.Erf(), new Op.Sqrt(),
                new Op.ReduceMean(new int[]{2, 3}, true), new Op.LayerNorm(1, two, shift, 1e-5f),
                new Op.Transpose(new int[]{0, 2, 3, 1}), new Op.Reshape(new int[]{2, 16}), new Op.Slice(1, 1, 2),
                new Op.ChannelShuffle(2), new Op.Resize(2, 1), new Op.ChannelGather(new int[]{1, 0, 1}));
    }

    private static Tensor rand(Random r, int... shape) {
        int n = 1;
        for (int d : shape) {
            n *= d;
        }
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return Tensor.of(v, shape);
    }

    static Network single(Op op) {
        String[] inputs = op.arity() == 2 || op instanceof Op.Add || op instanceof Op.Concat
                ? new String[]{"input", "input"} : new String[]{"input"};
        return Network.builder("one-" + op.onnxType()).input("input", 2, 4, 4)
                .add("op", op, inputs)
                .output("op")
                .build();
    }

    @Test
    void everyOpKindRoundTripsThroughOnnxAndRunsUnderOnnxRuntime() {
        Set<Class<?>> covered = new HashSet<>();
        List<String> problems = new ArrayList<>();
        Random r = new Random(9);
        float[] x = new float[2 * 2 * 4 * 4];
        for (int i = 0; i < x.length; i++) {
            x[i] = 0.1f + r.nextFloat(); // positive: Sqrt, Div and Pow stay finite
        }
        Arr input = new Arr(x, new long[]{2, 2, 4, 4});
        for (Op op : oneOfEach()) {
            covered.add(op.getClass());
            assertNotNull(op.channelRule(), op.onnxType() + " declares no channel rule");
            Network net = single(op);
            OnnxModel model = OnnxExporter.toModel(net);
            for (OnnxNode n : model.graph().nodes()) {
                if (!OnnxImporter.SUPPORTED_OPS.contains(n.opType())) {
                    problems.add(op.getClass().getSimpleName() + " is exported as " + n.opType()
                            + ", which the importer does not read");
                }
            }
            Network back = OnnxImporter.fromModel(model, "roundtrip");
            Arr ours = OnnxTestSupport.engine(net, input);
            OnnxTestSupport.assertClose(ours, OnnxTestSupport.engine(back, input), 1e-5,
                    op.getClass().getSimpleName() + " re-imported");
            OnnxTestSupport.assertClose(OnnxTestSupport.ort(model, "input", input).data(), ours.data(), 1e-5,
                    op.getClass().getSimpleName() + " under ONNX Runtime");
        }
        assertTrue(problems.isEmpty(), String.join("\n", problems));
        assertEquals(Set.of(Op.class.getPermittedSubclasses()), covered,
                "a new Op kind needs an entry here, a kernel, an exporter case and an import mapping");
    }
}
