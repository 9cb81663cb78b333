/**
 * Sampling: draws ThiNet's random (image, location, output channel) samples of the layer after the
 * pruned one and accumulates them, batch by batch, into normal equations
 * ({@link dev.thinet4j.sampling.NormalEquations}).
 */
package dev.thinet4j.sampling;
