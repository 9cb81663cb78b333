package dev.thinet4j.training;

import dev.thinet4j.data.ImageSource;
import dev.thinet4j.model.Network;
import dev.thinet4j.model.Node;
import dev.thinet4j.policy.Policies;
import dev.thinet4j.pruner.PrunerConfig;
import dev.thinet4j.pruner.PruningResult;
import dev.thinet4j.pruner.ProgressListener;
import dev.thinet4j.pruner.ThiNetPruner;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class FineTuningHookTest {

    @Test
    void paperDefaults() {
        try (ImageSource data = Synthetic.data(8, 1)) {
            FineTuningHook h = FineTuningHook.thinet(data, 3);
            assertThat(h.afterLayerConfig().epochs()).isEqualTo(1);
            assertThat(h.afterLayerConfig().learningRate()).isEqualTo(1e-3);
            assertThat(h.atEndConfig().epochs()).isEqualTo(3);
            assertThat(h.atEndConfig().learningRate()).isEqualTo(1e-4);
            assertThat(h.atEndConfig().optimizer()).isEqualTo(OptimizerType.SGD);
            assertThat(h.atEndConfig().weightDecay()).isEqualTo(5e-4);
        }
    }

    @Test
    void tunesAfterEveryPrunedLayerAndAtTheEndKeepingNamesAndShapes() {
        try (ImageSource train = Synthetic.data(96, 1); ImageSource test = Synthetic.data(60, 2)) {
            TrainingConfig base = TrainingConfig.builder().epochs(6).batchSize(16).learningRate(0.1).momentum(0.9)
                    .seed(7).build();
            Network trained = new Trainer(base).train(Synthetic.net(3), train, null).network();
            PrunerConfig pc = PrunerConfig.builder().images(48).pointsPerImage(8).batchSize(16).seed(3).build();
            PruningResult plain = new ThiNetPruner(pc).prune(trained, Policies.uniform(0.5), train);

            TrainingConfig perLayer = base.toBuilder().epochs(1).maxIterations(3).learningRate(0.01).build();
            TrainingConfig atEnd = base.toBuilder().epochs(3).learningRate(0.02).build();
            FineTuningHook hook = new FineTuningHook(train, perLayer, atEnd).withValidation(test);
            PruningResult tuned = new ThiNetPruner(pc, hook, ProgressListener.NONE)
                    .prune(trained, Policies.uniform(0.5), train);

            int layers = plain.report().layers().size();
            assertThat(layers).isGreaterThanOrEqualTo(1);
            List<TrainingResult> runs = hook.results();
            assertThat(runs).hasSize(layers + 1);
            assertThat(runs.subList(0, layers)).allSatisfy(r -> assertThat(r.iterations()).isEqualTo(3));
            assertThat(runs.get(layers).epochs()).hasSize(3);

            Network a = plain.network();
            Network b = tuned.network();
            assertThat(b.nodes()).extracting(Node::name).isEqualTo(a.nodes().stream().map(Node::name).toList());
            assertThat(b.shapes(1).values()).usingRecursiveComparison().isEqualTo(a.shapes(1).values());
            try (TrainableNetwork ta = TrainableNetwork.of(a); TrainableNetwork tb = TrainableNetwork.of(b)) {
                double before = Trainer.accuracy(ta, test, 32);
                double after = Trainer.accuracy(tb, test, 32);
                assertThat(after).as("accuracy pruned %s, pruned and fine-tuned %s", before, after)
                        .isGreaterThanOrEqualTo(Math.min(before, 0.9));
                assertThat(after).isEqualTo(runs.get(layers).last().validationAccuracy());
            }
        }
    }

    @Test
    void nullConfigurationsSkipTheirRuns() {
        try (ImageSource data = Synthetic.data(8, 1)) {
            FineTuningHook none = new FineTuningHook(data, null, null);
            Network net = Synthetic.net(1);
            assertThat(none.afterLayer(net, 1, 2)).isSameAs(net);
            assertThat(none.atEnd(net)).isSameAs(net);
            assertThat(none.results()).isEmpty();
        }
    }
}
