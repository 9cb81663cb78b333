package dev.thinet4j.engine;

import dev.thinet4j.model.Arith;
import dev.thinet4j.model.Hw;
import dev.thinet4j.model.Node;
import dev.thinet4j.model.Op;
import dev.thinet4j.model.Padding;
import dev.thinet4j.model.Tensor;
import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

/** Every op of the sealed {@link Op} hierarchy has a kernel. */
class KernelsTest {

    static List<Op> oneOfEach() {
        Tensor w = Tensor.filled(0.5f, 2, 2, 1, 1);
        Tensor one = Tensor.filled(1f, 2);
        return List.of(
                Op.Conv.simple(w, null),
                new Op.BatchNorm(one, one, one, one, 1e-5f),
                new Op.Linear(Tensor.filled(1f, 2, 2), null),
                new Op.Relu(), new Op.LeakyRelu(0.1f), new Op.Clip(0, 6), new Op.Sigmoid(), new Op.Softmax(1),
                new Op.Identity(), new Op.Add(), new Op.Concat(1),
                new Op.MaxPool(Hw.of(2), Hw.of(2), Padding.NONE, Hw.of(1), false),
                new Op.AvgPool(Hw.of(2), Hw.of(2), Padding.NONE, false, false),
                new Op.GlobalAvgPool(), new Op.Flatten(1),
                new Op.Binary(Arith.MUL), Op.ConstArith.right(Arith.ADD, Tensor.filled(1f, 2, 1, 1)),
                new Op.HardSigmoid(0.2f, 0.5f), new Op.HardSwish(), new Op.Erf(), new Op.Sqrt(),
                new Op.ReduceMean(new int[]{2, 3}, true), new Op.LayerNorm(1, one, one, 1e-5f),
                new Op.Transpose(new int[]{0, 2, 3, 1}), new Op.Reshape(new int[]{4}), new Op.Slice(1, 0, 1),
                new Op.ChannelShuffle(2), new Op.Resize(2, 2), new Op.ChannelGather(new int[]{1, 0, 1}));
    }

    @Test
    void everyOpKindHasAKernel() {
        Set<Class<?>> covered = new HashSet<>();
        for (Op op : oneOfEach()) {
            Node node = new Node("n", op, op.arity() == 2 ? List.of("x", "y") : List.of("x"));
            try (OpKernel k = OpKernel.of(node)) {
                assertSame(node, k.node());
            }
            covered.add(op.getClass());
        }
        assertEquals(Set.of(Op.class.getPermittedSubclasses()), covered,
                "a new Op kind needs a kernel in Kernels.create and an entry here");
    }
}
