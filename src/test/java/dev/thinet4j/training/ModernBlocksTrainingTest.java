package dev.thinet4j.training;

import dev.thinet4j.data.ImageSource;
import dev.thinet4j.data.ImageSources;
import dev.thinet4j.model.Arith;
import dev.thinet4j.model.Hw;
import dev.thinet4j.model.Network;
import dev.thinet4j.model.NetworkBuilder;
import dev.thinet4j.model.Op;
import dev.thinet4j.model.Padding;
import dev.thinet4j.model.Tensor;
import dev.thinet4j.testing.TestNets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.Random;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static dev.thinet4j.training.GradNets.conv;
import static dev.thinet4j.training.GradNets.head;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Whole networks built from the new ops, as MobileNetV3 / EfficientNet / ConvNeXt / ShuffleNet / FPN
 * exports contain them: a float64 gradient check of the full network ({@link GradientCheck}, tolerance of
 * {@link GradientCheckTest}), a few steps of the {@link Trainer} in float64 lowering the loss, and a network
 * with an extra output next to the classifier (the loss is on the first output; the other is not run).
 */
class ModernBlocksTrainingTest {
    private static final double H = 1e-6;
    private static final double ATOL = 1e-7;
    private static final double RTOL = 1e-5;
    private static final Hw ONE = Hw.of(1);
    private static final Padding P1 = Padding.of(1);

    /**
     * conv 3×3 (2→6) → HardSwish → SE block (GAP → conv 1×1 6→3 → ReLU → conv 1×1 3→6 → Sigmoid → Mul gate
     * [N,6,H,W]·[N,6,1,1]) → GAP → flatten → fc(6→3).
     */
    static Network seNet(long seed) {
        Random r = new Random(seed);
        return Network.builder("se").input("input", 2, 6, 6)
                .add("conv1", conv(r, 2, 6, Hw.of(3), ONE, P1, ONE, 1, true), "input")
                .add("hswish", new Op.HardSwish(), "conv1")
                .add("se_pool", new Op.GlobalAvgPool(), "hswish")
                .add("se_reduce", conv(r, 6, 3, ONE, ONE, Padding.NONE, ONE, 1, true), "se_pool")
                .add("se_relu", new Op.Relu(), "se_reduce")
                .add("se_expand", conv(r, 3, 6, ONE, ONE, Padding.NONE, ONE, 1, true), "se_relu")
                .add("se_gate", new Op.Sigmoid(), "se_expand")
                .add("se_mul", new Op.Binary(Arith.MUL), "hswish", "se_gate")
                .add("gap", new Op.GlobalAvgPool(), "se_mul")
                .add("flatten", new Op.Flatten(1), "gap")
                .add("fc", TestNets.linear(r, 6, 3), "flatten")
                .output("fc").build();
    }

    static Stream<Arguments> networks() {
        return Stream.of(
                Arguments.of("SE block with HardSwish (MobileNetV3)", seNet(1)),
                Arguments.of("MobileNetV3 SE with HardSigmoid gate and ReduceMean", head("se2", 2, 5, 5, 2, (b, r) ->
                        b.add("conv", conv(r, 2, 4, Hw.of(3), ONE, P1, ONE, 1, true), "input")
                                .add("pool", new Op.ReduceMean(new int[]{2, 3}, true), "conv")
                                .add("fc1", conv(r, 4, 2, ONE, ONE, Padding.NONE, ONE, 1, true), "pool")
                                .add("relu", new Op.Relu(), "fc1")
                                .add("fc2", conv(r, 2, 4, ONE, ONE, Padding.NONE, ONE, 1, true), "relu")
                                .add("hsig", new Op.HardSigmoid(1 / 6f, 0.5f), "fc2")
                                .add("scale", new Op.Binary(Arith.MUL), "hsig", "conv").last())),
                Arguments.of("SiLU x·σ(x) and x·x (one tensor feeding both sides)", head("silu", 2, 4, 4, 3, (b, r) ->
                        b.add("conv", conv(r, 2, 3, Hw.of(3), ONE, P1, ONE, 1, true), "input")
                                .add("sig", new Op.Sigmoid(), "conv")
                                .add("silu", new Op.Binary(Arith.MUL), "conv", "sig")
                                .add("sq", new Op.Binary(Arith.MUL), "silu", "silu").last())),
                Arguments.of("ConvNeXt block (channels-last LayerNorm, Linear on rank 4, GELU via Erf, layer scale)",
                        convNextBlock(4)),
                Arguments.of("decomposed LayerNorm (ReduceMean/Sub/Pow/Add/Sqrt/Div)", head("dln", 3, 3, 4, 5, (b, r) ->
                        b.add("conv", conv(r, 3, 4, Hw.of(3), ONE, P1, ONE, 1, true), "input")
                                .add("mu", new Op.ReduceMean(new int[]{1}, true), "conv")
                                .add("xc", new Op.Binary(Arith.SUB), "conv", "mu")
                                .add("sq", Op.ConstArith.right(Arith.POW, Tensor.filled(2f, 1)), "xc")
                                .add("var", new Op.ReduceMean(new int[]{1}, true), "sq")
                                .add("veps", Op.ConstArith.right(Arith.ADD, Tensor.filled(1e-5f, 1)), "var")
                                .add("std", new Op.Sqrt(), "veps")
                                .add("xn", new Op.Binary(Arith.DIV), "xc", "std")
                                .add("g", Op.ConstArith.right(Arith.MUL, TestNets.rand(r, 1f, 4, 1, 1)), "xn").last())),
                Arguments.of("ShuffleNetV2 unit (Slice, Concat, ChannelShuffle)", head("shuf", 4, 4, 4, 6, (b, r) ->
                        b.add("left", new Op.Slice(1, 0, 2), "input")
                                .add("right", new Op.Slice(1, 2, 4), "input")
                                .add("pw", conv(r, 2, 2, ONE, ONE, Padding.NONE, ONE, 1, true), "right")
                                .add("relu", new Op.Relu(), "pw")
                                .add("dw", conv(r, 2, 2, Hw.of(3), ONE, P1, ONE, 2, true), "relu")
                                .add("cat", new Op.Concat(1), "left", "dw")
                                .add("shuffle", new Op.ChannelShuffle(2), "cat")
                                .add("conv", conv(r, 4, 3, ONE, ONE, Padding.NONE, ONE, 1, true), "shuffle").last())),
                Arguments.of("FPN-style top-down path (stride-2 conv, nearest Resize 2x, Add)", head("fpn", 2, 6, 6, 7,
                        (b, r) -> b.add("c1", conv(r, 2, 3, Hw.of(3), ONE, P1, ONE, 1, true), "input")
                                .add("c2", conv(r, 3, 3, Hw.of(3), Hw.of(2), P1, ONE, 1, true), "c1")
                                .add("up", new Op.Resize(2, 2), "c2")
                                .add("sum", new Op.Add(), "c1", "up")
                                .add("smooth", conv(r, 3, 2, Hw.of(3), Hw.of(2), P1, ONE, 1, true), "sum").last())),
                Arguments.of("Reshape/Transpose form of channel shuffle, and c − x, c / x", head("rt", 4, 3, 3, 8,
                        (b, r) -> b.add("conv", conv(r, 4, 4, Hw.of(3), ONE, P1, ONE, 1, true), "input")
                                .add("r5", new Op.Reshape(new int[]{2, 2, 3, 3}), "conv")
                                .add("t5", new Op.Transpose(new int[]{0, 2, 1, 3, 4}), "r5")
                                .add("r4", new Op.Reshape(new int[]{4, 3, 3}), "t5")
                                .add("sig", new Op.Sigmoid(), "r4")
                                .add("csub", new Op.ConstArith(Arith.SUB, Tensor.filled(2f, 4, 1, 1), true), "sig")
                                .add("cdiv", new Op.ConstArith(Arith.DIV, Tensor.filled(1.5f, 1), true), "csub")
                                .last())));
    }

    /**
     * conv stem → depthwise 3×3 → permute to NHWC → LayerNorm(last axis) → Linear(C→4C) → GELU
     * 0.5·x·(1 + erf(x/√2)) → Linear(4C→C) → layer scale γ (a frozen constant) → permute to NCHW → + stem.
     */
    static Network convNextBlock(long seed) {
        int c = 4;
        return head("convnext", 2, 4, 4, seed, (b, r) -> b
                .add("stem", conv(r, 2, c, Hw.of(2), ONE, Padding.NONE, ONE, 1, true), "input")
                .add("dw", conv(r, c, c, Hw.of(3), ONE, P1, ONE, c, true), "stem")
                .add("nhwc", new Op.Transpose(new int[]{0, 2, 3, 1}), "dw")
                .add("ln", new Op.LayerNorm(3, TestNets.rand(r, 1f, c), TestNets.rand(r, 0.3f, c), 1e-6f), "nhwc")
                .add("pw1", TestNets.linear(r, c, 4 * c), "ln")
                .add("gdiv", Op.ConstArith.right(Arith.DIV, Tensor.filled((float) Math.sqrt(2), 1)), "pw1")
                .add("gerf", new Op.Erf(), "gdiv")
                .add("gadd", Op.ConstArith.right(Arith.ADD, Tensor.filled(1f, 1)), "gerf")
                .add("gmul", new Op.Binary(Arith.MUL), "pw1", "gadd")
                .add("gelu", Op.ConstArith.right(Arith.MUL, Tensor.filled(0.5f, 1)), "gmul")
                .add("pw2", TestNets.linear(r, 4 * c, c), "gelu")
                .add("gamma", Op.ConstArith.right(Arith.MUL, TestNets.uniform(r, 0.5f, 1.5f, c)), "pw2")
                .add("nchw", new Op.Transpose(new int[]{0, 3, 1, 2}), "gamma")
                .add("res", new Op.Add(), "stem", "nchw").last());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("networks")
    void fullNetworkGradientCheck(String name, Network net) {
        int classes = net.shapes(1).get(net.outputs().get(0))[1];
        GradientCheck.Report report = GradientCheck.run(net, 3, classes, name.hashCode(), PassOptions.train(), 8, H);
        GradientCheck.Entry worst = report.worstEntry(ATOL, RTOL);
        assertThat(report.maxAnalytic()).as("gradients are not all zero").isGreaterThan(1e-4);
        assertThat(report.worst(ATOL, RTOL)).as("%s: worst entry %s", name, worst).isLessThanOrEqualTo(1.0);
    }

    private static ImageSource randomImages(Network net, int n, long seed) {
        var in = net.input();
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[n * in.channels() * in.height() * in.width()];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextDouble(-1, 1);
        }
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = r.nextInt(3);
        }
        return ImageSources.fromArray(x, n, in.channels(), in.height(), in.width(), y);
    }

    private static double meanLoss(TrainableNetwork tn, ImageSource data, int n) {
        var b = data.batches(n).iterator().next();
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = b.label(i);
        }
        try (INDArray f = Nd4j.create(b.images(), b.shape(), DataType.FLOAT);
             INDArray x = f.castTo(DataType.DOUBLE)) {
            return tn.loss(x, labels, PassOptions.eval());
        }
    }

    @Test
    void trainerLowersTheLossOfAnSeNetInFloat64() {
        Network net = seNet(11);
        int n = 16;
        try (ImageSource data = randomImages(net, n, 12);
             TrainableNetwork tn = TrainableNetwork.of(net, Precision.FLOAT64)) {
            double before = meanLoss(tn, data, n);
            TrainingConfig config = TrainingConfig.builder().epochs(15).batchSize(8).optimizer(OptimizerType.SGD)
                    .learningRate(0.2).momentum(0.9).seed(3).build();
            TrainingResult result = new Trainer(config).train(tn, data, null);
            double after = meanLoss(tn, data, n);
            assertThat(after).as("loss on the training images before %s", before).isLessThan(before * 0.9);
            assertThat(result.epochs().get(result.epochs().size() - 1).trainLoss())
                    .isLessThan(result.epochs().get(0).trainLoss());
            // the trained values go back into an immutable network that the same check accepts
            Network trained = result.network();
            GradientCheck.Report report = GradientCheck.run(trained, 3, 3, 99, PassOptions.train(), 8, H);
            assertThat(report.worst(ATOL, RTOL)).as("worst %s", report.worstEntry(ATOL, RTOL)).isLessThanOrEqualTo(1.0);
        }
    }

    @Test
    void trainingANetworkWithAnExtraOutputUsesTheFirstOutput() {
        Random r = new Random(21);
        Network classifier = seNet(21);
        NetworkBuilder b = Network.builder("two-heads").input("input", 2, 6, 6);
        classifier.nodes().forEach(b::add);
        // a detector-style second head: upsample a feature map and predict 5 maps per position
        Network net = b.add("det_up", new Op.Resize(2, 2), "se_mul")
                .add("det_conv", conv(r, 6, 5, ONE, ONE, Padding.NONE, ONE, 1, true), "det_up")
                .add("det_last", new Op.Transpose(new int[]{0, 2, 3, 1}), "det_conv")
                .output("fc").output("det_last").build();
        assertThat(net.outputs()).containsExactly("fc", "det_last");
        try (ImageSource data = randomImages(net, 16, 22);
             TrainableNetwork tn = TrainableNetwork.of(net, Precision.FLOAT64)) {
            assertThat(tn.logitsTensor()).isEqualTo("fc");
            double before = meanLoss(tn, data, 16);
            assertThat(tn.lossOutput()).isEqualTo("fc");
            assertThat(tn.lossParameters()).hasSize(tn.parameters().size() - 2)
                    .noneMatch(p -> p.node().equals("det_conv"));
            TrainingConfig config = TrainingConfig.builder().epochs(10).batchSize(8).optimizer(OptimizerType.SGD)
                    .learningRate(0.2).momentum(0.9).weightDecay(1e-2).seed(3).build();
            TrainingResult result = new Trainer(config).train(tn, data, null);
            assertThat(meanLoss(tn, data, 16)).isLessThan(before);
            // the detector head is untouched: no gradient reaches it, and not even weight decay changes it
            assertThat(tn.parameter("det_conv.weight").gradient().amaxNumber().doubleValue()).isZero();
            assertThat(result.network().node("det_conv").op()).isEqualTo(net.node("det_conv").op());
            assertThat(result.network().node("conv1").op()).isNotEqualTo(net.node("conv1").op());
            assertThat(result.network().outputs()).containsExactly("fc", "det_last");
        }
    }

    @Test
    void theLossOutputCanBeChosenAndMustBeAnOutput() {
        Network classifier = seNet(31);
        NetworkBuilder b = Network.builder("aux").input("input", 2, 6, 6);
        classifier.nodes().forEach(b::add);
        Random r = new Random(32);
        Network net = b.add("aux_gap", new Op.GlobalAvgPool(), "conv1")
                .add("aux_flat", new Op.Flatten(1), "aux_gap")
                .add("aux_fc", TestNets.linear(r, 6, 3), "aux_flat")
                .output("aux_fc").output("fc").build();
        try (TrainableNetwork first = TrainableNetwork.of(net, Precision.FLOAT64);
             TrainableNetwork chosen = TrainableNetwork.of(net, Precision.FLOAT64, "fc")) {
            assertThat(first.logitsTensor()).isEqualTo("aux_fc");
            assertThat(chosen.logitsTensor()).isEqualTo("fc");
            assertThat(chosen.lossParameters()).noneMatch(p -> p.node().equals("aux_fc"));
        }
        GradientCheck.Report report = GradientCheck.run(net, 3, 3, 33, PassOptions.train(), 8, H);
        assertThat(report.worst(ATOL, RTOL)).isLessThanOrEqualTo(1.0);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> TrainableNetwork.of(net, Precision.FLOAT64, "se_mul"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not an output")
                .hasMessageContaining("aux_fc");
    }
}
