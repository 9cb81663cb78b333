package dev.thinet4j.training;

import dev.thinet4j.data.ImageSource;
import dev.thinet4j.data.ImageSources;
import dev.thinet4j.engine.InferenceEngine;
import dev.thinet4j.model.Network;
import dev.thinet4j.model.Node;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class TrainerTest {

    private static TrainingConfig.Builder quick() {
        return TrainingConfig.builder().epochs(6).batchSize(16).optimizer(OptimizerType.SGD).learningRate(0.1)
                .momentum(0.9).weightDecay(1e-4).seed(7);
    }

    @Test
    void learnsASeparableProblemToNearlyFullAccuracy() {
        List<EpochStats> seen = new ArrayList<>();
        TrainingListener l = new TrainingListener() {
            @Override
            public void epochFinished(EpochStats stats) {
                seen.add(stats);
            }
        };
        try (ImageSource train = Synthetic.data(192, 1); ImageSource test = Synthetic.data(96, 2)) {
            Network net = Synthetic.net(3);
            double before;
            try (TrainableNetwork tn = TrainableNetwork.of(net)) {
                before = Trainer.accuracy(tn, test, 32);
            }
            TrainingResult r = new Trainer(quick().schedule(LrSchedule.cosine()).build(), l).train(net, train, test);
            assertThat(r.epochs()).hasSize(6).isEqualTo(seen);
            assertThat(r.last().validationAccuracy()).as("accuracy before training: %s", before).isGreaterThanOrEqualTo(0.97);
            assertThat(r.epochs().get(5).trainLoss()).isLessThan(r.epochs().get(0).trainLoss());
            assertThat(r.iterations()).isEqualTo(6 * 12);
            try (TrainableNetwork trained = TrainableNetwork.of(r.network())) {
                assertThat(Trainer.accuracy(trained, test, 32)).isEqualTo(r.last().validationAccuracy());
            }
        }
    }

    @Test
    void sameSeedGivesTheSameWeightsAndAnotherSeedDoesNot() {
        try (ImageSource train = Synthetic.data(64, 1)) {
            TrainingConfig c = quick().epochs(2).dropout(0.2).build();
            Network a = new Trainer(c).train(Synthetic.net(3), train, null).network();
            Network b = new Trainer(c).train(Synthetic.net(3), train, null).network();
            Network other = new Trainer(c.toBuilder().seed(8).build()).train(Synthetic.net(3), train, null).network();
            for (Node n : a.nodes()) {
                assertThat(n.op()).as(n.name()).isEqualTo(b.node(n.name()).op());
            }
            assertThat(a.node("conv1").op()).isNotEqualTo(other.node("conv1").op());
        }
    }

    @Test
    void toNetworkKeepsNamesAndShapesAndMatchesTheEvalForward() {
        try (ImageSource train = Synthetic.data(64, 1);
             TrainableNetwork tn = TrainableNetwork.of(Synthetic.net(3))) {
            new Trainer(quick().epochs(1).build()).train(tn, train, null);
            Network out = tn.toNetwork();
            Network in = tn.network();
            assertThat(out.nodes()).extracting(Node::name).isEqualTo(in.nodes().stream().map(Node::name).toList());
            assertThat(out.shapes(2).values()).usingRecursiveComparison().isEqualTo(in.shapes(2).values());
            assertThat(out.node("conv1").op()).isNotEqualTo(in.node("conv1").op());
            try (INDArray x = Nd4j.rand(DataType.FLOAT, 5, 1, 8, 8);
                 InferenceEngine engine = new InferenceEngine(out);
                 INDArray expected = engine.forward(x);
                 INDArray actual = tn.forward(x, PassOptions.eval())) {
                assertThat(actual.shape()).isEqualTo(expected.shape());
                double diff = actual.sub(expected).amaxNumber().doubleValue();
                assertThat(diff).isLessThan(1e-5 * Math.max(1, expected.amaxNumber().doubleValue()));
            }
        }
    }

    @Test
    void maxIterationsEndsTheRunMidEpochAndTheListenerSeesEveryIteration() {
        List<Long> iterations = new ArrayList<>();
        TrainingListener l = new TrainingListener() {
            @Override
            public void iterationFinished(int epoch, long iteration, double loss, double learningRate) {
                iterations.add(iteration);
            }
        };
        try (ImageSource train = Synthetic.data(64, 1)) {
            TrainingResult r = new Trainer(quick().epochs(5).maxIterations(7).build(), l).train(Synthetic.net(3), train,
                    null);
            assertThat(r.iterations()).isEqualTo(7);
            assertThat(iterations).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L);
            assertThat(r.epochs()).hasSize(2);
            assertThat(r.epochs().get(1).images()).isEqualTo(3 * 16);
        }
    }

    @Test
    void earlyStoppingStopsAndRestoresTheBestEpoch() {
        // validation labels are random: accuracy cannot keep improving
        try (ImageSource train = Synthetic.data(48, 1);
             ImageSource noise = ImageSources.withLabels(Synthetic.data(48, 5), randomLabels(48))) {
            TrainingResult r = new Trainer(quick().epochs(30).earlyStoppingPatience(2).build())
                    .train(Synthetic.net(3), train, noise);
            assertThat(r.stoppedEarly()).isTrue();
            assertThat(r.epochs().size()).isLessThan(30);
            assertThat(r.epochs().size() - r.bestEpoch()).isEqualTo(2);
            double bestAccuracy = r.epochs().get(r.bestEpoch() - 1).validationAccuracy();
            try (TrainableNetwork tn = TrainableNetwork.of(r.network())) {
                assertThat(Trainer.accuracy(tn, noise, 16)).isEqualTo(bestAccuracy);
            }
        }
    }

    private static int[] randomLabels(int n) {
        java.util.SplittableRandom r = new java.util.SplittableRandom(11);
        int[] y = new int[n];
        for (int i = 0; i < n; i++) {
            y[i] = r.nextInt(Synthetic.CLASSES);
        }
        return y;
    }

    @Test
    void freezingBatchNormLeavesTheRunningStatisticsAlone() {
        try (ImageSource train = Synthetic.data(32, 1);
             TrainableNetwork tn = TrainableNetwork.of(Synthetic.net(3))) {
            INDArray mean = tn.runningMean("bn1").dup();
            INDArray var = tn.runningVar("bn1").dup();
            INDArray gamma = tn.parameter("bn1.weight").value().dup();
            new Trainer(quick().epochs(1).freezeBatchNorm(true).build()).train(tn, train, null);
            assertThat(tn.runningMean("bn1")).isEqualTo(mean);
            assertThat(tn.runningVar("bn1")).isEqualTo(var);
            assertThat(tn.parameter("bn1.weight").value()).isNotEqualTo(gamma);
        }
    }

    @Test
    void clearErrorsForUnlabelledDataWrongShapesAndDivergence() {
        Network net = Synthetic.net(3);
        Trainer t = new Trainer(quick().build());
        try (ImageSource unlabelled = ImageSources.fromArray(new float[4 * 64], 4, 1, 8, 8, null)) {
            assertThatThrownBy(() -> t.train(net, unlabelled, null)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("has no labels");
        }
        try (ImageSource wrong = ImageSources.fromArray(new float[4 * 49], 4, 1, 7, 7, new int[4])) {
            assertThatThrownBy(() -> t.train(net, wrong, null)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("1x7x7").hasMessageContaining("1x8x8");
        }
        try (ImageSource badLabel = ImageSources.fromArray(new float[4 * 64], 4, 1, 8, 8, new int[]{0, 1, 2, 3})) {
            assertThatThrownBy(() -> t.train(net, badLabel, null)).hasMessageContaining("label 3");
        }
        try (ImageSource train = Synthetic.data(32, 1)) {
            Trainer wild = new Trainer(quick().optimizer(OptimizerType.SGD).momentum(0).learningRate(1e30).build());
            assertThatThrownBy(() -> wild.train(net, train, null)).isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("lower the learning rate");
        }
    }
}
