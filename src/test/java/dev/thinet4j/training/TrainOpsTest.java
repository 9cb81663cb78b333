package dev.thinet4j.training;

import dev.thinet4j.model.Arith;
import dev.thinet4j.model.Hw;
import dev.thinet4j.model.Node;
import dev.thinet4j.model.Op;
import dev.thinet4j.model.Padding;
import dev.thinet4j.model.Tensor;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class TrainOpsTest {

    @Test
    void everyOpKindHasATrainingOp() {
        Tensor w = Tensor.zeros(2, 2, 1, 1);
        Tensor c = Tensor.filled(1f, 2);
        List<Op> ops = List.of(Op.Conv.simple(w, null), new Op.BatchNorm(c, c, c, c, 1e-5f),
                new Op.Linear(Tensor.zeros(2, 2), null), new Op.Relu(), new Op.LeakyRelu(0.1f), new Op.Clip(0, 6),
                new Op.Sigmoid(), new Op.Softmax(1), new Op.Identity(), new Op.Add(), new Op.Concat(1),
                new Op.MaxPool(Hw.of(2), Hw.of(2), Padding.NONE, Hw.of(1), false),
                new Op.AvgPool(Hw.of(2), Hw.of(2), Padding.NONE, true, false), new Op.GlobalAvgPool(),
                new Op.Flatten(1), new Op.Binary(Arith.MUL), Op.ConstArith.right(Arith.ADD, c),
                new Op.HardSigmoid(0.2f, 0.5f), new Op.HardSwish(), new Op.Erf(), new Op.Sqrt(),
                new Op.ReduceMean(new int[]{2, 3}, true), new Op.LayerNorm(1, c, c, 1e-5f),
                new Op.Transpose(new int[]{0, 2, 3, 1}), new Op.Reshape(new int[]{2}), new Op.Slice(1, 0, 1),
                new Op.ChannelShuffle(2), new Op.Resize(2, 2), new Op.ChannelGather(new int[]{1, 0, 1}));
        Set<Class<?>> covered = new HashSet<>();
        for (Op op : ops) {
            TrainOp t = TrainOps.create(new Node("n", op, op.arity() == 2 ? List.of("x", "y") : List.of("x")), DataType.FLOAT);
            assertThat(t.node.op()).isSameAs(op);
            covered.add(op.getClass());
        }
        assertThat(covered).as("a new Op kind needs a training op in TrainOps.create and an entry here")
                .isEqualTo(Set.of(Op.class.getPermittedSubclasses()));
    }
}
