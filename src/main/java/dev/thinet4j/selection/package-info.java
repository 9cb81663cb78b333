/**
 * Channel selection: which output channels of a layer to remove. {@link dev.thinet4j.selection.Criterion}
 * lists the built-in criteria (ThiNet greedy, its journal forward-selection variant, filter L1/L2 norms,
 * FPGM's distance to the geometric median, APoZ, BN γ, random); {@link dev.thinet4j.selection.ChannelCriterion}
 * is the interface to plug in others. Inputs come in a {@link dev.thinet4j.selection.SelectionContext}; results
 * are immutable {@link dev.thinet4j.selection.Selection}s. Ties always remove the lower channel index first.
 */
package dev.thinet4j.selection;
