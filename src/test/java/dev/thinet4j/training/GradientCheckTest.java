package dev.thinet4j.training;

import dev.thinet4j.model.Hw;
import dev.thinet4j.model.Network;
import dev.thinet4j.model.Op;
import dev.thinet4j.model.Padding;
import dev.thinet4j.testing.TestNets;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.stream.Stream;

import static dev.thinet4j.training.GradNets.CLASSES;
import static dev.thinet4j.training.GradNets.conv;
import static dev.thinet4j.training.GradNets.head;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Backward pass of every trainable op against float64 central differences of the loss, on tiny random
 * networks: for up to 16 entries (5 in the whole-network cases) of every parameter and of the input, |analytic − numeric| ≤
 * 1e-7 + 1e-5·max(|analytic|, |numeric|).
 */
class GradientCheckTest {
    private static final double H = 1e-6;
    private static final double ATOL = 1e-7;
    private static final double RTOL = 1e-5;

    private static final Hw ONE = Hw.of(1);
    private static final Padding P1 = Padding.of(1);

    static Stream<Arguments> cases() {
        PassOptions train = PassOptions.train();
        PassOptions eval = PassOptions.eval();
        return Stream.of(
                Arguments.of("conv 3x3 stride 1 pad 1 + bias", head("c1", 2, 5, 6, 1, (b, r) ->
                        b.add("conv", conv(r, 2, 4, Hw.of(3), ONE, P1, ONE, 1, true), "input").last()), train),
                Arguments.of("conv 3x2 stride 2x1 asymmetric pads, no bias", head("c2", 2, 7, 6, 2, (b, r) ->
                        b.add("conv", conv(r, 2, 3, new Hw(3, 2), new Hw(2, 1), new Padding(1, 0, 2, 1), ONE, 1, false),
                                "input").last()), train),
                Arguments.of("conv dilation 2x1 pad 2", head("c3", 2, 7, 7, 3, (b, r) ->
                        b.add("conv", conv(r, 2, 3, Hw.of(3), ONE, Padding.of(2), new Hw(2, 1), 1, true), "input").last()),
                        train),
                Arguments.of("conv k2 dilation 2 stride 2", head("c4", 2, 8, 7, 4, (b, r) ->
                        b.add("conv", conv(r, 2, 3, Hw.of(2), Hw.of(2), Padding.NONE, Hw.of(2), 1, true), "input").last()),
                        train),
                Arguments.of("conv groups 2", head("c5", 4, 5, 5, 5, (b, r) ->
                        b.add("conv", conv(r, 4, 6, Hw.of(3), ONE, P1, ONE, 2, true), "input").last()), train),
                Arguments.of("conv groups 2, dilation 2, stride 2, asymmetric pads", head("c5b", 4, 9, 8, 50, (b, r) ->
                        b.add("conv", conv(r, 4, 4, Hw.of(3), Hw.of(2), new Padding(0, 2, 1, 0), Hw.of(2), 2, true), "input")
                                .last()), train),
                Arguments.of("depthwise 3x3", head("c6", 3, 5, 5, 6, (b, r) ->
                        b.add("conv", conv(r, 3, 3, Hw.of(3), ONE, P1, ONE, 3, true), "input").last()), train),
                Arguments.of("depthwise multiplier 2 stride 2", head("c7", 3, 6, 6, 7, (b, r) ->
                        b.add("conv", conv(r, 3, 6, Hw.of(3), Hw.of(2), P1, ONE, 3, true), "input").last()), train),
                Arguments.of("depthwise dilation 2, asymmetric pads", head("c8", 2, 7, 7, 8, (b, r) ->
                        b.add("conv", conv(r, 2, 2, Hw.of(3), ONE, new Padding(2, 1, 1, 2), Hw.of(2), 2, false), "input")
                                .last()), train),
                Arguments.of("batchnorm train (NCHW)", head("bn1", 3, 4, 4, 9, (b, r) ->
                        b.add("conv", conv(r, 3, 4, Hw.of(3), ONE, P1, ONE, 1, true), "input")
                                .add("bn", TestNets.bn(r, 4), "conv").last()), train),
                Arguments.of("batchnorm eval (NCHW)", head("bn2", 3, 4, 4, 10, (b, r) ->
                        b.add("conv", conv(r, 3, 4, Hw.of(3), ONE, P1, ONE, 1, true), "input")
                                .add("bn", TestNets.bn(r, 4), "conv").last()), eval),
                Arguments.of("batchnorm train (N, features)", head("bn3", 2, 3, 3, 11, (b, r) ->
                        b.add("flat", new Op.Flatten(1), "input").add("lin", TestNets.linear(r, 18, 5), "flat")
                                .add("bn", TestNets.bn(r, 5), "lin").last()), train),
                Arguments.of("linear without bias", head("lin", 2, 3, 3, 12, (b, r) ->
                        b.add("flat", new Op.Flatten(1), "input")
                                .add("lin", new Op.Linear(TestNets.rand(r, 0.4f, 4, 18), null), "flat").last()), train),
                Arguments.of("relu", head("a1", 2, 4, 4, 13, (b, r) ->
                        b.add("conv", conv(r, 2, 3, Hw.of(3), ONE, P1, ONE, 1, true), "input")
                                .add("act", new Op.Relu(), "conv").last()), train),
                Arguments.of("leaky relu 0.1", head("a2", 2, 4, 4, 14, (b, r) ->
                        b.add("conv", conv(r, 2, 3, Hw.of(3), ONE, P1, ONE, 1, true), "input")
                                .add("act", new Op.LeakyRelu(0.1f), "conv").last()), train),
                Arguments.of("clip [-0.3, 0.4]", head("a3", 2, 4, 4, 15, (b, r) ->
                        b.add("conv", conv(r, 2, 3, Hw.of(3), ONE, P1, ONE, 1, true), "input")
                                .add("act", new Op.Clip(-0.3f, 0.4f), "conv").last()), train),
                Arguments.of("sigmoid", head("a4", 2, 4, 4, 16, (b, r) ->
                        b.add("conv", conv(r, 2, 3, Hw.of(3), ONE, P1, ONE, 1, true), "input")
                                .add("act", new Op.Sigmoid(), "conv").last()), train),
                Arguments.of("softmax over channels (axis 1 of NCHW)", head("a5", 2, 4, 4, 17, (b, r) ->
                        b.add("conv", conv(r, 2, 3, Hw.of(3), ONE, P1, ONE, 1, true), "input")
                                .add("act", new Op.Softmax(1), "conv").last()), train),
                Arguments.of("softmax over the last axis, mid-network", head("a6", 2, 3, 3, 18, (b, r) ->
                        b.add("flat", new Op.Flatten(1), "input").add("lin", TestNets.linear(r, 18, 5), "flat")
                                .add("act", new Op.Softmax(-1), "lin").last()), train),
                Arguments.of("identity", head("a7", 2, 4, 4, 19, (b, r) ->
                        b.add("conv", conv(r, 2, 3, Hw.of(3), ONE, P1, ONE, 1, true), "input")
                                .add("id", new Op.Identity(), "conv").last()), train),
                Arguments.of("dropout 0.3 (seeded mask)", head("a8", 2, 4, 4, 20, (b, r) ->
                        b.add("conv", conv(r, 2, 3, Hw.of(3), ONE, P1, ONE, 1, true), "input")
                                .add("drop", new Op.Identity(), "conv").last()), train.withDropout(0.3, 99)),
                Arguments.of("maxpool 2x2 stride 2", head("p1", 2, 6, 6, 21, (b, r) ->
                        b.add("pool", new Op.MaxPool(Hw.of(2), Hw.of(2), Padding.NONE, ONE, false), "input").last()),
                        train),
                Arguments.of("maxpool 3x3 stride 2 pad 1", head("p2", 2, 7, 6, 22, (b, r) ->
                        b.add("pool", new Op.MaxPool(Hw.of(3), Hw.of(2), P1, ONE, false), "input").last()), train),
                Arguments.of("maxpool ceil mode", head("p3", 2, 5, 7, 23, (b, r) ->
                        b.add("pool", new Op.MaxPool(Hw.of(2), Hw.of(2), Padding.NONE, ONE, true), "input").last()),
                        train),
                Arguments.of("maxpool asymmetric pads", head("p4", 2, 5, 5, 24, (b, r) ->
                        b.add("pool", new Op.MaxPool(Hw.of(2), ONE, new Padding(0, 1, 1, 0), ONE, false), "input")
                                .last()), train),
                Arguments.of("maxpool dilation 2", head("p5", 2, 6, 6, 25, (b, r) ->
                        b.add("pool", new Op.MaxPool(Hw.of(2), ONE, Padding.NONE, Hw.of(2), false), "input").last()),
                        train),
                Arguments.of("avgpool 3x3 stride 2 pad 1, count_include_pad", head("q1", 2, 7, 6, 26, (b, r) ->
                        b.add("pool", new Op.AvgPool(Hw.of(3), Hw.of(2), P1, true, false), "input").last()), train),
                Arguments.of("avgpool 3x3 stride 2 pad 1, exclude pad", head("q2", 2, 7, 6, 27, (b, r) ->
                        b.add("pool", new Op.AvgPool(Hw.of(3), Hw.of(2), P1, false, false), "input").last()), train),
                Arguments.of("avgpool ceil mode", head("q3", 2, 5, 7, 28, (b, r) ->
                        b.add("pool", new Op.AvgPool(Hw.of(2), Hw.of(2), Padding.NONE, true, true), "input").last()),
                        train),
                Arguments.of("avgpool asymmetric pads, exclude pad", head("q4", 2, 5, 5, 29, (b, r) ->
                        b.add("pool", new Op.AvgPool(Hw.of(3), Hw.of(2), new Padding(1, 0, 0, 1), false, false), "input")
                                .last()), train),
                Arguments.of("global average pool", head("g1", 3, 4, 5, 30, (b, r) ->
                        b.add("conv", conv(r, 3, 4, Hw.of(3), ONE, P1, ONE, 1, true), "input")
                                .add("gap", new Op.GlobalAvgPool(), "conv").last()), train),
                Arguments.of("add of two branches", head("s1", 2, 4, 4, 31, (b, r) ->
                        b.add("a", conv(r, 2, 3, Hw.of(3), ONE, P1, ONE, 1, true), "input")
                                .add("b", conv(r, 2, 3, Hw.of(1), ONE, Padding.NONE, ONE, 1, true), "input")
                                .add("sum", new Op.Add(), "a", "b").last()), train),
                Arguments.of("add of a tensor to itself and a third input", head("s2", 2, 4, 4, 32, (b, r) ->
                        b.add("a", conv(r, 2, 3, Hw.of(3), ONE, P1, ONE, 1, true), "input")
                                .add("b", conv(r, 2, 3, Hw.of(1), ONE, Padding.NONE, ONE, 1, false), "input")
                                .add("sum", new Op.Add(), "a", "a", "b").last()), train),
                Arguments.of("concat of two branches", head("s3", 2, 4, 4, 33, (b, r) ->
                        b.add("a", conv(r, 2, 3, Hw.of(3), ONE, P1, ONE, 1, true), "input")
                                .add("b", conv(r, 2, 2, Hw.of(1), ONE, Padding.NONE, ONE, 1, true), "input")
                                .add("cat", new Op.Concat(1), "a", "b").last()), train),
                Arguments.of("residual net (TestNets.residual)", TestNets.residual(34), train),
                Arguments.of("concat + depthwise + ReLU6 net (TestNets.concatDepthwise)", TestNets.concatDepthwise(35),
                        train),
                Arguments.of("vgg-like net in eval mode (TestNets.vggLike)", TestNets.vggLike(36), eval));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void backwardMatchesCentralDifferences(String name, Network net, PassOptions pass) {
        int classes = net.shapes(1).get(net.outputs().get(0))[1];
        int perTensor = net.nodes().size() > 8 ? 5 : 16;
        GradientCheck.Report report = GradientCheck.run(net, 3, classes, name.hashCode(), pass, perTensor, H);
        assertThat(report.maxAnalytic()).as("gradients are not all zero").isGreaterThan(1e-4);
        assertThat(report.worst(ATOL, RTOL)).as("%s: worst entry %s", name, report.worstEntry(ATOL, RTOL))
                .isLessThanOrEqualTo(1.0);
    }

    @org.junit.jupiter.api.Test
    void finalSoftmaxIsSkippedAndTheLossUsesItsInput() {
        Network net = head("sm", 2, 4, 4, 40, (b, r) ->
                b.add("conv", conv(r, 2, 3, Hw.of(3), ONE, P1, ONE, 1, true), "input").last());
        var builder = Network.builder("sm2").input("input", 2, 4, 4);
        net.nodes().forEach(builder::add);
        Network withSoftmax = builder.add("prob", new Op.Softmax(-1), "fc").output("prob").build();
        try (TrainableNetwork tn = TrainableNetwork.of(withSoftmax, Precision.FLOAT64)) {
            assertThat(tn.endsWithSoftmax()).isTrue();
            assertThat(tn.logitsTensor()).isEqualTo("fc");
        }
        GradientCheck.Report report = GradientCheck.run(withSoftmax, 3, CLASSES, 41, PassOptions.train(), 16, H);
        assertThat(report.worst(ATOL, RTOL)).isLessThanOrEqualTo(1.0);
    }
}
