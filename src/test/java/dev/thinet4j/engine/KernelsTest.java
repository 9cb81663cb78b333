package dev.thinet4j.engine;

import dev.thinet4j.model.Arith;
import dev.thinet4j.model.Hw;
import dev.thinet4j.model.Node;
import dev.thinet4j.model.Op;
import dev.thinet4j.model.Padding;
import dev.thinet4j.model.Tensor;
import org.junit.jupiter.api.Test;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

    /** y[n, o, …] = x[n, indices[o], …] on a ramp, for a dense input, an NHWC view of one, and rank 2 and 3. */
    @Test
    void channelGatherCopiesSourceChannels() {
        int[] idx = {2, 0, 0, 1, 2, 3, 3};
        Node node = new Node("g", new Op.ChannelGather(idx), List.of("x"));
        long n = 2, c = 4, h = 3, w = 5;
        float[] ramp = new float[(int) (n * c * h * w)];
        for (int k = 0; k < ramp.length; k++) {
            ramp[k] = k;
        }
        try (OpKernel k = OpKernel.of(node)) {
            AbstractKernel ak = (AbstractKernel) k;
            INDArray dense = Nd4j.create(ramp, new long[]{n, c, h, w}, DataType.FLOAT);
            INDArray nhwc = dense.permute(0, 2, 3, 1).dup('c').permute(0, 3, 1, 2);
            assertTrue(NdArrays.isNhwc(nhwc));
            for (INDArray x : List.of(dense, nhwc)) {
                INDArray y = ak.run(List.of(x), false, Buffers.FRESH);
                assertArrayEquals(new long[]{n, idx.length, h, w}, y.shape());
                assertEquals(NdArrays.isNhwc(x), NdArrays.isNhwc(y), "an NHWC input gives an NHWC output");
                for (int b = 0; b < n; b++) {
                    for (int o = 0; o < idx.length; o++) {
                        for (int i = 0; i < h; i++) {
                            for (int j = 0; j < w; j++) {
                                assertEquals(ramp[(int) (((b * c + idx[o]) * h + i) * w + j)],
                                        y.getFloat(b, o, i, j), "n " + b + " o " + o + " at " + i + "," + j);
                            }
                        }
                    }
                }
                INDArray viaApply = k.apply(List.of(x), false);
                assertEquals(y.dup('c'), viaApply.dup('c'));
            }
            INDArray r3 = Nd4j.create(ramp, new long[]{n, c, h * w}, DataType.FLOAT);
            INDArray y3 = k.apply(List.of(r3), false);
            assertArrayEquals(new long[]{n, idx.length, h * w}, y3.shape());
            for (int o = 0; o < idx.length; o++) {
                assertEquals(r3.getFloat(1, idx[o], 7), y3.getFloat(1, o, 7));
            }
            INDArray r2 = Nd4j.create(new float[]{0, 1, 2, 3, 10, 11, 12, 13}, new long[]{2, 4}, DataType.FLOAT);
            assertEquals(Nd4j.create(new float[]{2, 0, 0, 1, 2, 3, 3, 12, 10, 10, 11, 12, 13, 13}, new long[]{2, 7},
                    DataType.FLOAT), k.apply(List.of(r2), false));
        }
    }
}
