package dev.thinet4j.engine;

import dev.thinet4j.model.Arith;
import dev.thinet4j.model.Network;
import dev.thinet4j.model.Op;
import dev.thinet4j.model.Padding;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/**
 * The zero-copy layout paths (Transpose to channels-last of a convolution's NHWC output and back, Reshape views)
 * when the tensors sharing memory are also requested or read by in-place element-wise ops: every returned array
 * must hold its own correct values.
 */
class EngineLayoutOpsTest {

    @Test
    void sharedMemoryTensorsAreReturnedCorrectly() {
        SplittableRandom rnd = new SplittableRandom(1);
        Network net = Network.builder("share").input("x", 3, 5, 4)
                .add("conv", TestNets.conv(rnd, 3, 6, 3, 1, Padding.of(1), 1, true), "x")
                .add("nhwc", new Op.Transpose(new int[]{0, 2, 3, 1}), "conv")
                .add("relu", new Op.Relu(), "nhwc")
                .add("scaled", Op.ConstArith.right(Arith.MUL, EngineAsserts.randomTensor(rnd, 0.5, 1.5, 6)), "relu")
                .add("back", new Op.Transpose(new int[]{0, 3, 1, 2}), "scaled")
                .add("flat", new Op.Reshape(new int[]{6 * 5 * 4}), "back")
                .add("gate", new Op.Binary(Arith.MUL), "back", "conv")
                .add("conv2", TestNets.conv(rnd, 6, 2, 1, 1, Padding.NONE, 1, false), "gate")
                .output("conv2").output("flat")
                .build();
        try (InferenceEngine e = new InferenceEngine(net);
             INDArray x = Nd4j.rand(DataType.FLOAT, 2, 3, 5, 4).subi(0.5)) {
            Map<String, INDArray> t = e.forward(x, List.of("conv", "nhwc", "relu", "scaled", "back", "flat", "gate",
                    "conv2"));
            // recompute each step with single-node kernels on dense copies
            INDArray conv = t.get("conv");
            assertEquals(conv.permute(0, 2, 3, 1).dup('c'), t.get("nhwc"));
            INDArray relu = e.runNode("relu", List.of(t.get("nhwc")));
            assertEquals(relu, t.get("relu"));
            INDArray scaled = e.runNode("scaled", List.of(relu));
            assertEquals(scaled, t.get("scaled"));
            assertEquals(scaled.permute(0, 3, 1, 2).dup('c'), t.get("back"));
            assertArrayEquals(new long[]{2, 120}, t.get("flat").shape());
            assertEquals(t.get("back").reshape('c', 2, 120), t.get("flat"));
            assertEquals(t.get("back").mul(conv), t.get("gate"));
            Map<String, INDArray> outs = e.forwardAll(x);
            assertEquals(t.get("conv2"), outs.get("conv2"));
            assertEquals(t.get("flat"), outs.get("flat"));
            for (INDArray a : t.values()) {
                assertFalse(NdArrays.isNhwc(a), "returned arrays are dense c-order");
            }
        }
    }
}
