package dev.thinet4j.slimming;

import java.util.List;

/**
 * A residual block with an identity shortcut, scored for removal.
 *
 * @param add          the Add node joining the branch and the shortcut
 * @param input        the block input, which is also the shortcut tensor
 * @param batchNorm    the BN after the block's last conv (the end of the branch)
 * @param meanAbsGamma mean over that BN's channels of |γ|
 * @param interior     the branch's nodes, in topological order (removed with the Add)
 */
public record BlockScore(String add, String input, String batchNorm, double meanAbsGamma, List<String> interior) {
    public BlockScore {
        interior = List.copyOf(interior);
    }
}
