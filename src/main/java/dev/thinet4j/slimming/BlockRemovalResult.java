package dev.thinet4j.slimming;

import dev.thinet4j.model.Network;

import java.util.List;

/**
 * @param network    the network without the removed blocks
 * @param removed    the removed blocks, weakest first
 * @param candidates every removable block of the input network, weakest first
 */
public record BlockRemovalResult(Network network, List<BlockScore> removed, List<BlockScore> candidates) {
    public BlockRemovalResult {
        removed = List.copyOf(removed);
        candidates = List.copyOf(candidates);
    }
}
