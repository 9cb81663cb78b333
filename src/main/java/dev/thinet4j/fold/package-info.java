/**
 * Folding and structural re-parameterisation: rewrites that make a network smaller or faster without
 * changing the function it computes.
 *
 * <ul>
 *   <li>{@link dev.thinet4j.fold.FoldMath}: the weight arithmetic on op records — BatchNorm into
 *       conv or linear, parallel convs summed (ACNet / RepVGG branches, kernels zero-padded to one),
 *       convs concatenated (stacked filters), a 1×1 conv composed with another conv, average pooling
 *       as a conv — each with the condition under which it is exact.</li>
 *   <li>{@link dev.thinet4j.fold.Folding#foldAll}: finds those patterns in a
 *       {@link dev.thinet4j.model.Network} and rewrites every one that is exact, returning a
 *       {@link dev.thinet4j.fold.FoldResult} with the new network, the
 *       {@link dev.thinet4j.fold.FoldChange}s made and the {@link dev.thinet4j.fold.FoldSkip}s
 *       (patterns left alone, with the reason).</li>
 * </ul>
 *
 * <p>Nothing is approximated: a rewritten network equals the original up to float rounding (the
 * weight arithmetic runs in double precision and is rounded once).
 */
package dev.thinet4j.fold;
