package dev.thinet4j.slimming;

import dev.thinet4j.model.ModelSize;
import dev.thinet4j.model.Network;

import java.util.List;

/**
 * The outcome of {@link NetworkSlimming#slim}.
 *
 * @param network       the compact network (channels really removed)
 * @param layers        one entry per slimmed channel group, including groups that kept every channel
 * @param removedBlocks residual blocks removed before channel slimming, weakest first
 * @param threshold     the global |γ| threshold t; NaN when nothing was slimmable
 * @param skipped       groups that could not be slimmed, each with its reason
 * @param before        sizes of the input network
 * @param after         sizes of the compact network
 */
public record SlimmingResult(Network network, List<LayerChange> layers, List<BlockScore> removedBlocks, double threshold,
                             List<String> skipped, ModelSize before, ModelSize after) {
    public SlimmingResult {
        layers = List.copyOf(layers);
        removedBlocks = List.copyOf(removedBlocks);
        skipped = List.copyOf(skipped);
    }

    /** True when every absorption is exact everywhere, so the compact network equals the masked one. */
    public boolean exact() {
        return layers.stream().allMatch(LayerChange::exact);
    }
}
