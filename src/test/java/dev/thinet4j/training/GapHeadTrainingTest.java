package dev.thinet4j.training;

import dev.thinet4j.data.ImageSource;
import dev.thinet4j.data.ImageSources;
import dev.thinet4j.head.GapHeadOptions;
import dev.thinet4j.head.HeadReplacement;
import dev.thinet4j.model.Network;
import dev.thinet4j.model.Node;
import dev.thinet4j.model.Op;
import dev.thinet4j.testing.Forward;
import dev.thinet4j.testing.TestNets;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import static org.assertj.core.api.Assertions.assertThat;

/** The fine-tuner trains a ThiNet-GAP head (GlobalAveragePool → Flatten → Gemm) with the convs before it. */
class GapHeadTrainingTest {

    @Test
    void trainingTheGapHeadLowersTheLossOnAFixedBatch() {
        Network net = TestNets.vggDeep(7);
        int n = 32;
        // label i % 3: channel (i % 3) of the image is brighter, a difference the GAP features keep
        float[] x = Forward.images(net, n, 5);
        int[] labels = new int[n];
        for (int i = 0; i < n; i++) {
            labels[i] = i % 3;
            for (int p = 0; p < 144; p++) {
                x[(i * 3 + labels[i]) * 144 + p] += 1f;
            }
        }
        Network gap;
        try (ImageSource calib = ImageSources.fromArray(x, n, 3, 12, 12, null)) {
            gap = HeadReplacement.toGapHead(net, calib, GapHeadOptions.DEFAULTS, 1, 16).network();
        }
        TrainingConfig config = TrainingConfig.builder().epochs(6).batchSize(n).optimizer(OptimizerType.ADAM)
                .learningRate(1e-2).shuffle(false).seed(1).build();
        Network tuned;
        try (ImageSource train = ImageSources.fromArray(x, n, 3, 12, 12, labels)) {
            TrainingResult r = new Trainer(config).train(gap, train, null);
            assertThat(r.iterations()).isEqualTo(6);
            tuned = r.network();
        }
        double before;
        double after;
        try (INDArray batch = Nd4j.create(x, new long[]{n, 3, 12, 12}, 'c');
             TrainableNetwork a = TrainableNetwork.of(gap); TrainableNetwork b = TrainableNetwork.of(tuned)) {
            before = a.loss(batch, labels, PassOptions.eval());
            after = b.loss(batch, labels, PassOptions.eval());
        }
        assertThat(after).as("loss before %s, after %s", before, after).isLessThan(before * 0.8);
        // the new linear layer and the convs before the GAP were trained; the structure is kept
        assertThat(tuned.nodes()).extracting(Node::name).isEqualTo(gap.nodes().stream().map(Node::name).toList());
        assertThat(((Op.Linear) tuned.node("fc2").op()).weight())
                .isNotEqualTo(((Op.Linear) gap.node("fc2").op()).weight());
        assertThat(((Op.Conv) tuned.node("conv5").op()).weight())
                .isNotEqualTo(((Op.Conv) gap.node("conv5").op()).weight());
    }
}
