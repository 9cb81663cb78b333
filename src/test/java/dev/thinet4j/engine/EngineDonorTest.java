package dev.thinet4j.engine;

import dev.thinet4j.model.Network;
import dev.thinet4j.surgery.ChannelGroup;
import dev.thinet4j.surgery.DependencyGraph;
import dev.thinet4j.surgery.Thinning;
import dev.thinet4j.testing.Forward;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** An engine built from a donor's kernels computes exactly what a fresh engine computes; the donor is retired. */
class EngineDonorTest {

    @Test
    void takenOverKernelsGiveTheFreshEnginesOutputsAndTheDonorIsRetired() {
        for (Network net : new Network[]{dev.thinet4j.testing.TestNets.residual(3),
                dev.thinet4j.testing.TestNets.vggLike(3), dev.thinet4j.testing.TestNets.concatDepthwise(3)}) {
            String layer = net.name().equals("residual") ? "b1.conv1" : net.name().equals("concat-dw") ? "a" : "conv1";
            ChannelGroup g = new DependencyGraph(net).groupOf(layer);
            Network thin = Thinning.keep(net, g, new int[]{0, 2});
            int n = 3;
            var in = net.input();
            float[] x = Forward.images(net, n, 5);
            try (INDArray input = Nd4j.create(x, new long[]{n, in.channels(), in.height(), in.width()})) {
                InferenceEngine donor = new InferenceEngine(net);
                float[] before = donor.forward(input).data().asFloat();
                InferenceEngine taker = new InferenceEngine(thin, null, donor);
                IllegalStateException e = assertThrows(IllegalStateException.class, () -> donor.forward(input));
                assertThat(e.getMessage()).contains("handed its kernels to a newer engine");
                donor.close(); // frees only what it kept
                float[] got = taker.forward(input).data().asFloat();
                try (InferenceEngine fresh = new InferenceEngine(thin)) {
                    assertArrayEquals(fresh.forward(input).data().asFloat(), got, 0f, net.name());
                }
                // and back: a third engine for the original network, taking the unchanged kernels from the second
                InferenceEngine again = new InferenceEngine(net, null, taker);
                taker.close();
                assertArrayEquals(before, again.forward(input).data().asFloat(), 0f, net.name());
                again.close();
                assertThrows(IllegalStateException.class, () -> new InferenceEngine(net, null, again));
            }
        }
    }
}
